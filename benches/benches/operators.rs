//! One citylots2 event × one rule, per operator: the cost of a single match decision.
//!
//! Every rule here matches the event (so the whole path runs), except `none`, a rule on a field
//! the event lacks. Run with `cargo bench -p evmatch-bench --bench operators`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use evmatch::Matcher;
use evmatch_bench::gen::Generator;
use evmatch_bench::DEFAULT_SEED;

/// The event: lot 0050018 (18TH AVE, a five-point polygon), event 1234 of the default stream.
fn event() -> Vec<u8> {
    let mut g = Generator::new(DEFAULT_SEED);
    let mut buf = Vec::new();
    for _ in 0..=1234 {
        buf.clear();
        g.next_event(&mut buf);
    }
    buf
}

/// `(operator, pattern)`; all but `none` match [`event`].
const RULES: &[(&str, &str)] = &[
    ("exact", r#"{"properties":{"MAPBLKLOT":["0050018"]}}"#),
    (
        "prefix",
        r#"{"properties":{"MAPBLKLOT":[{"prefix":"0050"}]}}"#,
    ),
    (
        "prefix-ignore-case",
        r#"{"properties":{"STREET":[{"prefix":{"equals-ignore-case":"18t"}}]}}"#,
    ),
    ("suffix", r#"{"properties":{"STREET":[{"suffix":"TH"}]}}"#),
    (
        "suffix-ignore-case",
        r#"{"properties":{"STREET":[{"suffix":{"equals-ignore-case":"th"}}]}}"#,
    ),
    (
        "equals-ignore-case",
        r#"{"properties":{"STREET":[{"equals-ignore-case":"18th"}]}}"#,
    ),
    (
        "wildcard",
        r#"{"properties":{"BLKLOT":[{"wildcard":"005*8"}]}}"#,
    ),
    (
        "numeric-equals",
        r#"{"geometry":{"firstCoordinates":{"x":[{"numeric":["=",-122.42021820728317]}]}}}"#,
    ),
    (
        "numeric-range",
        r#"{"geometry":{"firstCoordinates":{"x":[{"numeric":[">",-122.5,"<=",-122.4]}]}}}"#,
    ),
    (
        "anything-but",
        r#"{"properties":{"STREET":[{"anything-but":["UNKNOWN","MISSION"]}]}}"#,
    ),
    (
        "anything-but-numeric",
        r#"{"geometry":{"firstCoordinates":{"z":[{"anything-but":[1,2,3]}]}}}"#,
    ),
    (
        "anything-but-prefix",
        r#"{"properties":{"MAPBLKLOT":[{"anything-but":{"prefix":"1"}}]}}"#,
    ),
    (
        "anything-but-suffix",
        r#"{"properties":{"LOT_NUM":[{"anything-but":{"suffix":"A"}}]}}"#,
    ),
    (
        "anything-but-ignore-case",
        r#"{"properties":{"STREET":[{"anything-but":{"equals-ignore-case":["mission"]}}]}}"#,
    ),
    (
        "anything-but-wildcard",
        r#"{"properties":{"BLKLOT":[{"anything-but":{"wildcard":"*T*"}}]}}"#,
    ),
    ("exists", r#"{"properties":{"ST_TYPE":[{"exists":true}]}}"#),
    (
        "null",
        r#"{"properties":{"MAPBLKLOT":[{"exists":true}],"ST_TYPE":["AVE",null]}}"#,
    ),
    (
        "array-consistent",
        r#"{"geometry":{"coordinates":{"x":[{"numeric":["=",-122.42017319651679]}],"y":[{"numeric":["=",37.82932193935211]}]}}}"#,
    ),
    (
        "or",
        r#"{"$or":[{"properties":{"STREET":["MISSION"]}},{"properties":{"ODD_EVEN":["O"]}}]}"#,
    ),
    ("none", r#"{"properties":{"NO_SUCH_FIELD":["x"]}}"#),
];

fn operators(c: &mut Criterion) {
    let event = event();
    let mut group = c.benchmark_group("operator");
    for (name, pattern) in RULES {
        let mut m = Matcher::new();
        m.add_rule(name, pattern).expect("valid pattern");
        let expected = usize::from(*name != "none");
        assert_eq!(
            m.matches(&event).expect("valid event").len(),
            expected,
            "{name} should {}match the bench event",
            if expected == 1 { "" } else { "not " }
        );
        group.bench_function(*name, |b| {
            b.iter(|| m.matches(black_box(&event)).map(|v| v.len()))
        });
    }
    group.finish();

    // cidr needs an IP-address field, which citylots2 has not.
    let ip_event = br#"{"source":"aws.ec2","detail":{"sourceIPAddress":"10.1.2.3","port":443}}"#;
    let mut m = Matcher::new();
    m.add_rule(
        "cidr",
        r#"{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/8"}]}}"#,
    )
    .expect("valid pattern");
    assert_eq!(m.matches(ip_event).expect("valid event").len(), 1);
    c.bench_function("operator/cidr (small event)", |b| {
        b.iter(|| m.matches(black_box(ip_event)).map(|v| v.len()))
    });
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = operators
}
criterion_main!(benches);
