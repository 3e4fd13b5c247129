//! Every rule file parses, every pattern is a valid EventBridge pattern, and the catalog matches
//! the files on disk.

use std::collections::BTreeSet;

use evmatch::Matcher;
use evmatch_bench::rules::{load_rules, parse_rules, rules_dir, Category, CATEGORIES};
use evmatch_bench::scaling::{fanout_rules, single_field_rules, Kind};

#[test]
fn every_rule_file_parses_and_compiles() {
    for c in CATEGORIES {
        let rules = load_rules(&c.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(!rules.is_empty(), "{} is empty", c.file);
        let mut m = Matcher::new();
        for r in &rules {
            m.add_rule(&r.name, &r.pattern)
                .unwrap_or_else(|e| panic!("{}: {}: {e}", c.file, r.name));
        }
    }
}

#[test]
fn catalog_matches_the_files_on_disk() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(rules_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    let listed: BTreeSet<String> = CATEGORIES.iter().map(|c| c.file.to_owned()).collect();
    assert_eq!(on_disk, listed);
    assert_eq!(
        Category::find("anything_but_prefix").map(|c| c.name),
        Some("ANYTHING-BUT-PREFIX")
    );
    assert_eq!(Category::find("combo").map(|c| c.file), Some("combo.json"));
}

#[test]
fn category_sizes() {
    for c in CATEGORIES {
        let n = load_rules(&c.path()).unwrap().len();
        let expected = match c.name {
            "PARTIAL_COMBO" => 40,
            "COMBO" => 45,
            _ => 5,
        };
        assert_eq!(n, expected, "{}", c.name);
    }
}

/// COMBO is PARTIAL_COMBO followed by COMPLEX_ARRAYS, rule for rule.
#[test]
fn combo_is_partial_combo_plus_complex_arrays() {
    let load = |name: &str| load_rules(&Category::find(name).unwrap().path()).unwrap();
    let mut expected = load("PARTIAL_COMBO");
    expected.extend(load("COMPLEX_ARRAYS"));
    assert_eq!(load("COMBO"), expected);
}

#[test]
fn parse_keeps_order_and_source_text() {
    let rules = parse_rules(
        r#" { "b": {"x": [ 1.50 ]},
              "a": {"y": [{"prefix": "p"}]} } "#,
    )
    .unwrap();
    let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["b", "a"]);
    assert_eq!(rules[0].pattern, r#"{"x": [ 1.50 ]}"#);
    assert_eq!(rules[1].pattern, r#"{"y": [{"prefix": "p"}]}"#);
    assert!(parse_rules("{}").unwrap().is_empty());
}

#[test]
fn parse_rejects_malformed_files() {
    for bad in [
        "",
        "[]",
        r#"{"a": {"x": [1]}"#,
        r#"{"a": [1]}"#,
        r#"{"a": {"x": [1]}, "a": {"y": [2]}}"#,
        r#"{"a": {"x": [1]}} trailing"#,
    ] {
        assert!(parse_rules(bad).is_err(), "accepted {bad:?}");
    }
}

/// The scaling and fan-out rule generators produce valid, distinct patterns.
#[test]
fn generated_scaling_rules_compile() {
    for kind in Kind::ALL {
        let rules = single_field_rules(kind, 2_000);
        let distinct: BTreeSet<&str> = rules.iter().map(|(_, p)| p.as_str()).collect();
        assert_eq!(distinct.len(), rules.len(), "{kind:?} repeats patterns");
        let mut m = Matcher::new();
        for (name, pattern) in &rules {
            m.add_rule(name, pattern)
                .unwrap_or_else(|e| panic!("{name}: {pattern}: {e}"));
        }
    }
    let rules = fanout_rules(300, 3);
    assert_eq!(rules.len(), 900);
    let mut m = Matcher::new();
    for (name, pattern) in &rules {
        m.add_rule(name, pattern)
            .unwrap_or_else(|e| panic!("{name}: {pattern}: {e}"));
    }
    assert_eq!(
        fanout_rules(300, 3),
        rules,
        "fan-out rules are deterministic"
    );
}
