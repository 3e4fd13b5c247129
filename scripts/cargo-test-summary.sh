# Sourced by scripts/test.sh and scripts/test-wasi.sh.
# `cargo_test_summary LABEL [cargo test arguments]` runs `cargo test --no-fail-fast` with those
# arguments, shows its output, and ends with "LABEL: N passed, N failed" summed over every test
# binary, plus how many binaries ended without a result (a crash, or a panic where panics
# abort, as on wasm32). Returns cargo's exit status.
cargo_test_summary() {
    local label=$1
    shift
    local log status passed failed started finished crashed
    log=$(mktemp)
    cargo test --no-fail-fast "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    passed=$(grep -oE '^test result: [A-Za-z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
    failed=$(grep -oE '; [0-9]+ failed' "$log" | awk '{s += $2} END {print s + 0}')
    started=$(grep -cE '^ +(Running|Doc-tests) ' "$log")
    finished=$(grep -cE '^test result: ' "$log")
    crashed=$((started > finished ? started - finished : 0))
    rm -f "$log"
    echo
    if ((crashed > 0)); then
        echo "$label: $passed passed, $failed failed, $crashed test binaries ended without a result"
    else
        echo "$label: $passed passed, $failed failed"
    fi
    return "$status"
}
