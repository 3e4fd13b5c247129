//! The fan-out workloads: deterministic rules and events of the right shape, an export whose
//! per-rule counts the files alone reproduce (through the reference interpreter), and smoke runs
//! of the measurements.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use evmatch::{Matcher, Pattern};
use evmatch_bench::fanout::{self, never_matching, Workload};
use evmatch_bench::rules::load_rules;
use evmatch_bench::DEFAULT_SEED;
use serde_json::Value;

#[test]
fn rules_are_deterministic_valid_and_distinctly_named() {
    for w in Workload::ALL {
        let rules = w.rules(500);
        assert_eq!(rules.len(), 500 * w.rules_per_subscriber());
        assert_eq!(w.rules(500), rules, "{} rules are deterministic", w.name());
        let names: BTreeSet<&str> = rules.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), rules.len());
        let mut m = Matcher::new();
        for (name, pattern) in &rules {
            m.add_rule(name, pattern)
                .unwrap_or_else(|e| panic!("{name}: {pattern}: {e}"));
            m.add_rule("twin", &never_matching(pattern))
                .unwrap_or_else(|e| panic!("twin of {name}: {e}"));
        }
        assert_eq!(
            w.rules(1000)[..rules.len()],
            rules[..],
            "a prefix of a bigger set"
        );
    }
}

#[test]
fn bus_events_are_eventbridge_shaped_and_deterministic() {
    for w in [Workload::PerUser, Workload::PerChannel] {
        let events = w.events(DEFAULT_SEED, 300);
        assert_eq!(events.len(), 300);
        let again = w.events(DEFAULT_SEED, 300);
        assert!(
            events.iter().eq(again.iter()),
            "{} is deterministic",
            w.name()
        );
        let other = w.events(DEFAULT_SEED + 1, 300);
        assert!(!events.iter().eq(other.iter()));
        for event in events.iter() {
            let v: Value = serde_json::from_slice(event).expect("valid JSON");
            for key in [
                "version",
                "id",
                "detail-type",
                "source",
                "account",
                "time",
                "region",
            ] {
                assert!(v[key].is_string(), "{}: no {key}", w.name());
            }
            assert!(v["resources"].is_array() && v["detail"].is_object());
            match w {
                Workload::PerUser => {
                    assert!(v["detail"]["userId"].as_str().unwrap().starts_with("u-"))
                }
                _ => {
                    assert!(v["source"].as_str().unwrap().starts_with("channel."));
                    assert!(v["detail"]["channel"].as_str().unwrap().starts_with("org"));
                    let messages = v["detail"]["messages"].as_array().unwrap();
                    assert!(!messages.is_empty());
                    assert!(messages
                        .iter()
                        .all(|m| m["name"].is_string() && m["data"].is_string()));
                }
            }
        }
    }
}

/// Every twin matches nothing, and the real rules match something.
#[test]
fn twins_match_nothing() {
    for w in Workload::ALL {
        let events = w.events(DEFAULT_SEED, 400);
        let rules = w.rules(2000);
        let twins: Vec<(String, String)> = rules
            .iter()
            .map(|(n, p)| (n.clone(), never_matching(p)))
            .collect();
        let (counts, errors) = fanout::rule_counts(&twins, &events).unwrap();
        assert!(counts.is_empty() && errors == 0, "{}: {counts:?}", w.name());
        let (counts, _) = fanout::rule_counts(&rules, &events).unwrap();
        assert!(!counts.is_empty(), "{} matches nothing", w.name());
    }
}

/// The exported files alone give the exported counts: rules and events read back from disk and
/// matched with the reference interpreter.
#[test]
fn export_counts_are_reproducible_from_the_files() {
    let dir = std::env::temp_dir().join(format!("evmatch-fanout-export-{}", std::process::id()));
    let mut manifest = Vec::new();
    for w in Workload::ALL {
        let events = w.events(DEFAULT_SEED, 150);
        manifest.push(fanout::export(&dir, w, &[40, 400], &events, DEFAULT_SEED).unwrap());
    }
    fanout::write_manifest(&dir, manifest).unwrap();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut checked = 0;
    for workload in manifest["workloads"].as_array().unwrap() {
        let events_file = dir.join(workload["events_file"].as_str().unwrap());
        let events: Vec<String> = std::fs::read_to_string(&events_file)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(events.len(), 150);
        for set in workload["rule_sets"].as_array().unwrap() {
            let rules = load_rules(&dir.join(set["rules_file"].as_str().unwrap())).unwrap();
            let counts: Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join(set["counts_file"].as_str().unwrap())).unwrap(),
            )
            .unwrap();
            let mut want = BTreeMap::new();
            for rule in &rules {
                let pattern = Pattern::parse(&rule.pattern).unwrap();
                let n = events
                    .iter()
                    .filter(|e| pattern.matches(e.as_bytes()).unwrap())
                    .count() as u64;
                if n > 0 {
                    want.insert(rule.name.clone(), n);
                }
            }
            let got: BTreeMap<String, u64> = counts["counts"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                .collect();
            assert_eq!(got, want, "{}", set["counts_file"]);
            assert_eq!(
                counts["total_matches"].as_u64(),
                Some(want.values().sum::<u64>())
            );
            assert_eq!(counts["rules"].as_u64(), Some(rules.len() as u64));
            checked += 1;
        }
    }
    assert_eq!(checked, 6);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn measurements_run() {
    let w = Workload::PerChannel;
    let events = w.events(DEFAULT_SEED, 50);
    let rows = fanout::measure(
        w,
        &[100],
        &events,
        Duration::from_millis(5),
        evmatch::Validation::Full,
        |_| {},
    )
    .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1].matches_per_event, 0.0, "the twin matches nothing");
    assert!(fanout::table(&rows).contains("per-channel"));
    let changes = fanout::changes(Workload::PerUser, 300, 20).unwrap();
    assert_eq!(changes.rules, 300);
    assert_eq!(changes.changes, 20);
    assert!(fanout::changes_table(&[changes]).contains("per-user"));
}
