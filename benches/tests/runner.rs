//! Smoke tests of the runners on a few hundred events; nothing here asserts speed.

use std::time::Duration;

use evmatch::Matcher;
use evmatch_bench::citylots::{self, Options, Source};
use evmatch_bench::data::Events;
use evmatch_bench::rules::{load_rules, Category};
use evmatch_bench::scaling::{self, Kind};
use evmatch_bench::{generate_to_vec, DEFAULT_SEED};

const N: usize = 300;

fn events() -> Events {
    Events::from_bytes(generate_to_vec(DEFAULT_SEED, N))
}

#[test]
fn citylots_report_counts_every_rule() {
    let events = events();
    assert_eq!(events.len(), N);
    let opts = Options {
        passes: 1,
        progress: false,
        ..Options::default()
    };
    let report = citylots::run(
        &opts,
        &events,
        Source::Generated {
            seed: DEFAULT_SEED,
            fresh: true,
        },
    )
    .unwrap();
    assert_eq!(report.categories.len(), 16);
    assert_eq!(report.baselines.len(), 3); // serde_json, simd-json, evmatch validate only

    // Counts agree with matching each rule on its own.
    let exact = &report.categories[0];
    assert_eq!(exact.category.name, "EXACT");
    for rule in load_rules(&exact.rules_file).unwrap() {
        let mut m = Matcher::new();
        m.add_rule(&rule.name, &rule.pattern).unwrap();
        let alone = events
            .iter()
            .filter(|e| !m.matches(e).unwrap().is_empty())
            .count() as u64;
        let reported = exact
            .counts
            .iter()
            .find(|(n, _)| *n == rule.name)
            .unwrap()
            .1;
        assert_eq!(reported, alone, "{}", rule.name);
    }
    for c in &report.categories {
        assert_eq!(c.event_errors, 0, "{}", c.category.name);
        assert_eq!(
            c.total_matches,
            c.counts.iter().map(|(_, k)| k).sum::<u64>()
        );
        assert_eq!(c.times.len(), 1);
    }

    let table = report.table();
    for needle in [
        "events/s med",
        "[baseline] serde_json parse",
        "[baseline] evmatch validate only",
        "COMBO",
        "exact-first-lot",
    ] {
        assert!(table.contains(needle), "table lacks {needle:?}:\n{table}");
    }

    let json = report.to_json();
    assert_eq!(json["events"], N as u64);
    assert_eq!(json["categories"].as_array().unwrap().len(), 16);
    let first = &json["categories"][0];
    assert!(first["rules_file"]
        .as_str()
        .unwrap()
        .ends_with("exact.json"));
    assert!(first["events_per_sec"]["median"].as_f64().unwrap() > 0.0);
    assert_eq!(first["rule_counts"]["exact-first-lot"], 1);
}

#[test]
fn citylots_runs_selected_categories_without_baselines() {
    let opts = Options {
        passes: 2,
        progress: false,
        baselines: false,
        categories: vec![Category::find("NUMERIC").unwrap()],
        validation: evmatch::Validation::Structural,
        batch: false,
    };
    let report = citylots::run(&opts, &events(), Source::File).unwrap();
    assert!(report.baselines.is_empty());
    assert_eq!(report.categories.len(), 1);
    assert_eq!(report.categories[0].times.len(), 2);
    assert!(report.to_json()["seed"].is_null());
    assert_eq!(report.to_json()["api"], "matches_with");
}

/// `--batch` times `matches_batch`; every timed pass must count as many matches as the warm-up
/// pass made one event at a time (the runner refuses the run otherwise).
#[test]
fn citylots_batch_passes_count_the_same_matches() {
    let opts = Options {
        passes: 2,
        progress: false,
        baselines: false,
        categories: ["EXACT", "COMPLEX_ARRAYS", "COMBO"]
            .map(|c| Category::find(c).unwrap())
            .to_vec(),
        validation: evmatch::Validation::Full,
        batch: true,
    };
    let report = citylots::run(&opts, &events(), Source::File).unwrap();
    assert_eq!(report.categories.len(), 3);
    assert!(report.categories.iter().all(|c| c.times.len() == 2));
    assert_eq!(report.to_json()["api"], "matches_batch");
}

#[test]
fn scaling_measures_each_kind() {
    let events = scaling::sample_events(DEFAULT_SEED, 50, 2_000);
    assert_eq!(events.len(), 50);
    let budget = Duration::from_millis(5);
    let mut rows = Vec::new();
    for kind in Kind::ALL {
        let rules = scaling::single_field_rules(kind, 100);
        rows.push(
            scaling::measure(
                kind.name(),
                kind.field(),
                &rules,
                &events,
                budget,
                evmatch::Validation::Full,
            )
            .unwrap(),
        );
    }
    let rules = scaling::fanout_rules(20, 3);
    rows.push(
        scaling::measure(
            "fan-out",
            "20 x 3",
            &rules,
            &events,
            budget,
            evmatch::Validation::Structural,
        )
        .unwrap(),
    );
    for r in &rows {
        assert!(r.events_measured >= 3);
        assert!(r.ns_per_event.median > 0.0);
    }
    // Numeric ranges partition the longitude span: every event with a first coordinate hits one.
    assert!(rows[2].matches_per_event > 0.9 && rows[2].matches_per_event <= 1.0);
    let table = scaling::table(&rows, events.len());
    assert!(table.contains("fan-out"));
    assert_eq!(
        scaling::to_json(&rows, events.len(), DEFAULT_SEED)["rows"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
}
