# Sourced by scripts/test.sh and scripts/test-wasi.sh.
# `cargo_test_summary LABEL [cargo test arguments]` runs `cargo test` with those arguments, shows
# its output, and ends with "LABEL: N passed, N failed" summed over every test binary. Returns
# cargo's exit status.
cargo_test_summary() {
    local label=$1
    shift
    local log status passed failed
    log=$(mktemp)
    cargo test "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    passed=$(grep -oE '^test result: [A-Za-z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
    failed=$(grep -oE '; [0-9]+ failed' "$log" | awk '{s += $2} END {print s + 0}')
    rm -f "$log"
    echo
    echo "$label: $passed passed, $failed failed"
    return "$status"
}
