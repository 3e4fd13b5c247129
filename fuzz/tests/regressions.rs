//! Replays saved fuzz inputs on stable, without libFuzzer: every file under
//! `fuzz/regressions/<target>/` and `fuzz/seeds/<target>/` through that target's function, and
//! the repository's own texts (corpus patterns and events, the bundled example events) through
//! the text targets.
//!
//! `cargo test --manifest-path fuzz/Cargo.toml --locked`

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use evmatch_fuzz::seeds::{repo_root, seed_texts};
use evmatch_fuzz::{Target, TARGETS};

fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
}

/// Run every input file under `dir/<target>/`; returns (inputs run, failures).
fn replay_dir(dir: &Path) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut runs = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, failures);
    };
    let mut target_dirs: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    target_dirs.sort();
    for target_dir in target_dirs {
        let name = target_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let Some(run) = target(&name) else {
            failures.push(format!("{}: no target named {name}", target_dir.display()));
            continue;
        };
        let mut files: Vec<_> = std::fs::read_dir(&target_dir)
            .expect("readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).expect("readable");
            runs += 1;
            if catch_unwind(AssertUnwindSafe(|| run(&bytes))).is_err() {
                failures.push(format!("{name}: {}", file.display()));
            }
        }
    }
    (runs, failures)
}

fn fuzz_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn regressions_replay() {
    let (runs, failures) = replay_dir(&fuzz_dir().join("regressions"));
    println!("{runs} regression inputs replayed");
    assert!(
        failures.is_empty(),
        "{} of {runs} regression inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn committed_seeds_replay() {
    let (runs, failures) = replay_dir(&fuzz_dir().join("seeds"));
    println!("{runs} seeds replayed");
    assert!(runs > 0, "no seeds under fuzz/seeds/");
    assert!(
        failures.is_empty(),
        "{} of {runs} seeds fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The seeds scripts/fuzz.sh generates: every corpus pattern through `parse_pattern`, every
/// corpus event and the first 200 example events through `match_event`.
#[test]
fn repository_texts_replay() {
    let seeds = seed_texts(&repo_root(), 200).expect("corpus/ and examples/ are readable");
    assert!(
        seeds.patterns.len() >= 300,
        "{} patterns",
        seeds.patterns.len()
    );
    assert!(seeds.events.len() >= 300, "{} events", seeds.events.len());
    let mut failures = Vec::new();
    for (name, texts) in [
        ("parse_pattern", &seeds.patterns),
        ("match_event", &seeds.events),
    ] {
        let run = target(name).expect("a target");
        for text in texts {
            if catch_unwind(AssertUnwindSafe(|| run(text.as_bytes()))).is_err() {
                failures.push(format!("{name}: {text}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} repository texts fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The structured targets on a few thousand pseudo-random inputs: a smoke test that they run
/// (and agree) on stable.
#[test]
fn structured_targets_smoke() {
    let mut state: u64 = 0x5EED;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for name in ["differential", "rule_changes"] {
        let run = target(name).expect("a target");
        for _ in 0..2000 {
            let len = (next() % 600) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            run(&bytes);
        }
    }
}
