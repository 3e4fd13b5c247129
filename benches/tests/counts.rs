//! Match counts of every rule on the first 2,000 default events, cross-checked against an
//! independent evaluator of the pattern semantics when the rule files were written.
//!
//! A failure here means the engine's answer changed (or the generator did: then
//! `tests/generator.rs` fails too). It is a semantic check, not a speed check.

use std::collections::HashMap;

use evmatch::Matcher;
use evmatch_bench::data::Events;
use evmatch_bench::rules::{load_rules, CATEGORIES};
use evmatch_bench::{generate_to_vec, DEFAULT_SEED};

const EVENTS: usize = 2_000;

/// `(rule, matches in the first 2,000 events)`; COMBO holds the same rules again.
const EXPECTED: &[(&str, u64)] = &[
    ("exact-first-lot", 1),
    ("exact-condo-parent", 147),
    ("exact-absent-lot", 0),
    ("exact-lot-list", 234),
    ("exact-polygon", 1997),
    ("wildcard-block-0001", 14),
    ("wildcard-none", 0),
    ("wildcard-twenties", 114),
    ("wildcard-condo-blklot", 372),
    ("wildcard-has-zero", 2000),
    ("prefix-first-lot", 1),
    ("prefix-street-san", 0),
    ("prefix-street-m", 127),
    ("prefix-blocks-1000s", 0),
    ("prefix-poly", 1997),
    ("prefix-ic-x", 0),
    ("prefix-ic-condo-0012", 68),
    ("prefix-ic-qu", 2),
    ("prefix-ic-mis", 59),
    ("prefix-ic-poly", 1997),
    ("suffix-none", 0),
    ("suffix-lot-a", 213),
    ("suffix-first-lots", 106),
    ("suffix-th", 483),
    ("suffix-gon", 1999),
    ("suffix-ic-none", 0),
    ("suffix-ic-ness", 1),
    ("suffix-ic-lot-b", 174),
    ("suffix-ic-th", 484),
    ("suffix-ic-polygon", 1999),
    ("eic-none", 0),
    ("eic-castro", 21),
    ("eic-unknown", 75),
    ("eic-mission-or-2nd", 181),
    ("eic-polygon", 1997),
    ("numeric-x-equals", 1),
    ("numeric-x-narrow", 8),
    ("numeric-z-positive", 107),
    ("numeric-x-west", 147),
    ("numeric-z-zero", 1891),
    ("ab-polygon-types", 0),
    ("ab-z-zero", 107),
    ("ab-st-ave", 349),
    ("ab-even", 896),
    ("ab-unknown-street", 1925),
    ("abic-polygon-types", 0),
    ("abic-polygon", 2),
    ("abic-st-ave-blvd", 132),
    ("abic-even", 896),
    ("abic-unknown-street", 1925),
    ("abp-block-digits", 0),
    ("abp-poly", 2),
    ("abp-lot-0", 142),
    ("abp-numbered-street", 1267),
    ("abp-mapblklot-0", 0),
    ("abs-gon", 0),
    ("abs-lot-letter", 387),
    ("abs-block-letter", 372),
    ("abs-th", 1517),
    ("abs-mapblklot-1", 1652),
    ("abw-everything", 0),
    ("abw-poly", 2),
    ("abw-lot-0", 142),
    ("abw-single-word", 1758),
    ("abw-condo", 1628),
    ("complex-point", 1),
    ("complex-crossed-point", 0),
    ("complex-elevated-west", 0),
    ("complex-box", 0),
    ("complex-west-half", 632),
    ("combo-street-01", 0),
    ("combo-street-02", 0),
    ("combo-street-03", 0),
    ("combo-street-04", 0),
    ("combo-street-05", 0),
    ("combo-street-06", 0),
    ("combo-street-07", 0),
    ("combo-street-08", 0),
    ("combo-street-09", 0),
    ("combo-street-10", 0),
    ("combo-block-01", 839),
    ("combo-block-02", 0),
    ("combo-block-03", 0),
    ("combo-block-04", 0),
    ("combo-block-05", 0),
    ("combo-block-06", 0),
    ("combo-block-07", 0),
    ("combo-block-08", 0),
    ("combo-block-09", 0),
    ("combo-block-10", 0),
    ("combo-area-01", 0),
    ("combo-area-02", 0),
    ("combo-area-03", 0),
    ("combo-area-04", 0),
    ("combo-area-05", 0),
    ("combo-area-06", 0),
    ("combo-area-07", 0),
    ("combo-area-08", 0),
    ("combo-area-09", 0),
    ("combo-area-10", 56),
    ("combo-form-01", 882),
    ("combo-form-02", 160),
    ("combo-form-03", 57),
    ("combo-form-04", 217),
    ("combo-form-05", 33),
    ("combo-form-06", 112),
    ("combo-form-07", 0),
    ("combo-form-08", 0),
    ("combo-form-09", 40),
    ("combo-form-10", 39),
];

#[test]
fn rule_counts_on_the_first_2000_events() {
    let events = Events::from_bytes(generate_to_vec(DEFAULT_SEED, EVENTS));
    let expected: HashMap<&str, u64> = EXPECTED.iter().copied().collect();
    let mut mismatches = Vec::new();
    for c in CATEGORIES {
        let rules = load_rules(&c.path()).unwrap();
        let mut m = Matcher::new();
        for r in &rules {
            m.add_rule(&r.name, &r.pattern).unwrap();
        }
        let mut counts: HashMap<String, u64> = HashMap::new();
        for e in events.iter() {
            for name in m.matches(e).unwrap() {
                *counts.entry(name.to_owned()).or_default() += 1;
            }
        }
        for r in &rules {
            let want = *expected
                .get(r.name.as_str())
                .unwrap_or_else(|| panic!("no expected count for {}", r.name));
            let got = counts.get(&r.name).copied().unwrap_or(0);
            if got != want {
                mismatches.push(format!("{} {}: got {got}, expected {want}", c.name, r.name));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
