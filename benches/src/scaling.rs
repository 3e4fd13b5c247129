//! Scaling runs: how per-event cost, compile time and memory grow with the number of rules.
//!
//! - one field, one kind: 1 / 1k / 10k / 100k rules of `exact`, `prefix`, `numeric` or
//!   `wildcard` on a single field, every rule different;
//! - fan-out: many subscribers, each with a few rules of mixed kinds on several fields (the
//!   "10k subscribers × 3 rules" case of a shared event bus).
//!
//! Events are a sample spread evenly over the default citylots2 stream. Per-event cost is
//! measured in three rounds of a time budget each, cycling over the sample.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::data::Events;
use crate::gen::{format_fixed, Generator, Rng};
use crate::report::{self, Summary};
use crate::streets::all_streets;

/// A single-field rule kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `{"properties":{"MAPBLKLOT":["0012007"]}}`, distinct lot numbers.
    ///
    /// Single-field rules are spread over all blocks of the city, so their hit rate grows with
    /// their number.
    Exact,
    /// `{"properties":{"MAPBLKLOT":[{"prefix":"001200"}]}}`, distinct six-character prefixes.
    Prefix,
    /// `{"geometry":{"firstCoordinates":{"x":[{"numeric":[">=",lo,"<",hi]}]}}}`, the longitude
    /// span cut into as many disjoint ranges as there are rules.
    Numeric,
    /// `{"properties":{"BLKLOT":[{"wildcard":"0012*7"}]}}`, distinct block/lot-suffix pairs.
    Wildcard,
}

impl Kind {
    /// All kinds.
    pub const ALL: [Kind; 4] = [Kind::Exact, Kind::Prefix, Kind::Numeric, Kind::Wildcard];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::Prefix => "prefix",
            Kind::Numeric => "numeric",
            Kind::Wildcard => "wildcard",
        }
    }

    /// The kind called `name`.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The field its rules test.
    pub fn field(self) -> &'static str {
        match self {
            Kind::Exact | Kind::Prefix => "properties.MAPBLKLOT",
            Kind::Numeric => "geometry.firstCoordinates.x",
            Kind::Wildcard => "properties.BLKLOT",
        }
    }
}

/// Block and lot-index for rule `i`: consecutive rules land on blocks spread over the whole
/// city (multiplying by a number coprime to 8300 permutes the blocks), and rules past the 8300th
/// move on to the next lot, so every rule is different.
fn spread(i: usize) -> (usize, usize) {
    (1 + (i * 4099) % 8300, i / 8300)
}

/// `n` distinct rules of `kind`, as `(name, pattern)`.
pub fn single_field_rules(kind: Kind, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let (block, lot) = spread(i);
            let pattern = match kind {
                Kind::Exact => format!(
                    r#"{{"properties":{{"MAPBLKLOT":["{block:04}{:03}"]}}}}"#,
                    lot + 1
                ),
                // Lots 000-009 of a block, then 010-019, ...
                Kind::Prefix => format!(
                    r#"{{"properties":{{"MAPBLKLOT":[{{"prefix":"{block:04}{lot:02}"}}]}}}}"#
                ),
                Kind::Numeric => {
                    // Longitudes -122.5..-122.35 in units of 1e-12 degree, cut into n pieces.
                    let west: i64 = -122_500_000_000_000;
                    let span: i64 = 150_000_000_000;
                    let lo = west + span * i as i64 / n as i64;
                    let hi = west + span * (i as i64 + 1) / n as i64;
                    format!(
                        r#"{{"geometry":{{"firstCoordinates":{{"x":[{{"numeric":[">=",{},"<",{}]}}]}}}}}}"#,
                        format_fixed(lo, 12),
                        format_fixed(hi, 12)
                    )
                }
                // Lots of a block whose number ends in the given digit(s).
                Kind::Wildcard => format!(
                    r#"{{"properties":{{"BLKLOT":[{{"wildcard":"{block:04}*{}"}}]}}}}"#,
                    lot
                ),
            };
            (format!("{}-{i}", kind.name()), pattern)
        })
        .collect()
}

/// `subscribers` subscribers with `per_subscriber` rules each, mixing exact, prefix, numeric,
/// equals-ignore-case, anything-but and wildcard on several fields. Deterministic.
pub fn fanout_rules(subscribers: usize, per_subscriber: usize) -> Vec<(String, String)> {
    let streets = all_streets();
    let mut out = Vec::with_capacity(subscribers * per_subscriber);
    for s in 0..subscribers {
        let mut rng = Rng::new(0xFA40_0000 + s as u64);
        for r in 0..per_subscriber {
            let street = &streets[rng.below(streets.len() as u64) as usize].0;
            let block = 1 + rng.below(8300);
            // A random longitude slice 0.0001–0.001 degree wide, in units of 1e-12 degree.
            let width = 100_000_000 * rng.range(1, 10) as i64;
            let lo = -122_500_000_000_000 + rng.below(150_000_000_000 - width as u64) as i64;
            let pattern = match rng.below(6) {
                0 => format!(
                    r#"{{"properties":{{"STREET":["{street}"],"ODD_EVEN":["{}"]}}}}"#,
                    if rng.chance(1, 2) { "E" } else { "O" }
                ),
                1 => format!(
                    r#"{{"properties":{{"MAPBLKLOT":[{{"prefix":"{block:04}"}}]}},"geometry":{{"firstCoordinates":{{"x":[{{"numeric":[">=",{},"<",{}]}}]}}}}}}"#,
                    format_fixed(lo, 12),
                    format_fixed(lo + width, 12)
                ),
                2 => format!(
                    r#"{{"properties":{{"STREET":[{{"equals-ignore-case":"{}"}}],"ST_TYPE":[{{"anything-but":["ST"]}}]}}}}"#,
                    street.to_lowercase()
                ),
                3 => format!(
                    r#"{{"properties":{{"BLKLOT":[{{"wildcard":"{block:04}*{}"}}]}}}}"#,
                    rng.below(10)
                ),
                4 => format!(
                    r#"{{"geometry":{{"firstCoordinates":{{"x":[{{"numeric":[">",{},"<=",{}]}}]}}}},"properties":{{"FROM_ST":[{{"anything-but":{{"prefix":"{}"}}}}]}}}}"#,
                    format_fixed(lo, 12),
                    format_fixed(lo + width, 12),
                    1 + rng.below(9)
                ),
                _ => format!(
                    r#"{{"properties":{{"STREET":[{{"prefix":"{street}"}}],"ST_TYPE":["AVE","BLVD"],"ODD_EVEN":["E"]}},"geometry":{{"type":["Polygon"]}}}}"#
                ),
            };
            out.push((format!("sub-{s}/rule-{r}"), pattern));
        }
    }
    out
}

/// `n` events spread evenly over the first `stream` events of `seed` (the default stream is
/// [`crate::DEFAULT_EVENTS`] long).
pub fn sample_events(seed: u64, n: usize, stream: usize) -> Events {
    let stream = stream.max(1);
    let n = n.clamp(1, stream);
    let step = stream / n;
    let mut g = Generator::new(seed);
    let mut scratch = Vec::with_capacity(4096);
    let mut out = Vec::with_capacity(n * 900);
    let mut kept = 0;
    for i in 0..stream {
        scratch.clear();
        g.next_event(&mut scratch);
        if i % step == 0 {
            out.extend_from_slice(&scratch);
            out.push(b'\n');
            kept += 1;
            if kept == n {
                break;
            }
        }
    }
    Events::from_bytes(out)
}

/// One measured configuration.
#[derive(Debug, Clone)]
pub struct Row {
    /// `exact`, `prefix`, …, or `fan-out`.
    pub workload: String,
    /// What the rules test.
    pub detail: String,
    /// Number of rules.
    pub rules: usize,
    /// Time to add every rule to a new matcher.
    pub compile: Duration,
    /// Heap bytes held by the matcher (with the counting allocator installed).
    pub heap_bytes: Option<usize>,
    /// Nanoseconds per event, one value per round.
    pub ns_per_event: Summary,
    /// Events matched during measurement.
    pub events_measured: u64,
    /// Average number of matching rules per event.
    pub matches_per_event: f64,
}

/// Build a matcher from `rules` and measure it on `events`, `budget` per round, three rounds.
pub fn measure(
    workload: &str,
    detail: &str,
    rules: &[(String, String)],
    events: &Events,
    budget: Duration,
    validation: evmatch::Validation,
) -> Result<Row, String> {
    let heap_before = crate::alloc::allocated();
    let start = Instant::now();
    let mut m = evmatch::Matcher::builder().validation(validation).build();
    for (name, pattern) in rules {
        m.add_rule(name, pattern)
            .map_err(|e| format!("{workload}: rule {name}: {pattern}: {e}"))?;
    }
    let compile = start.elapsed();
    let heap_bytes = match (heap_before, crate::alloc::allocated()) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b)),
        _ => None,
    };

    let mut scratch = evmatch::Scratch::new();
    let mut names = Vec::new();
    let mut per_event = Vec::new();
    let mut measured = 0u64;
    let mut matched = 0u64;
    let mut next = 0usize;
    for _round in 0..3 {
        let start = Instant::now();
        let mut done = 0u64;
        let mut chunk = 1usize;
        loop {
            let t = Instant::now();
            for _ in 0..chunk {
                if m.matches_with(events.get(next), &mut scratch, &mut names)
                    .is_ok()
                {
                    matched += black_box(&names).len() as u64;
                }
                next = (next + 1) % events.len();
            }
            done += chunk as u64;
            // Grow chunks while they are short, so clock reads stay negligible.
            if t.elapsed() < Duration::from_millis(5) && chunk < 1 << 16 {
                chunk *= 2;
            }
            if start.elapsed() >= budget {
                break;
            }
        }
        per_event.push(start.elapsed().as_nanos() as f64 / done as f64);
        measured += done;
    }
    drop(m);
    Ok(Row {
        workload: workload.to_owned(),
        detail: detail.to_owned(),
        rules: rules.len(),
        compile,
        heap_bytes,
        ns_per_event: Summary::of(&per_event),
        events_measured: measured,
        matches_per_event: matched as f64 / measured.max(1) as f64,
    })
}

/// Render rows as a table.
pub fn table(rows: &[Row], sample: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "evmatch-bench scaling — evmatch {} — {}",
        env!("CARGO_PKG_VERSION"),
        report::machine()
    );
    let _ = writeln!(
        s,
        "events: {} spread over the citylots2 stream; per-event cost over 3 rounds (median, min, max)\n",
        report::thousands(sample as u64)
    );
    let _ = writeln!(
        s,
        "{:<9} {:<30} {:>8} {:>10} {:>12} {:>10} {:>11} {:>11} {:>11} {:>9}",
        "workload",
        "rules test",
        "rules",
        "compile",
        "compile/rule",
        "heap/rule",
        "per event",
        "min",
        "max",
        "matches/ev"
    );
    for r in rows {
        let per_rule = r.compile.as_nanos() as f64 / r.rules.max(1) as f64;
        let _ = writeln!(
            s,
            "{:<9} {:<30} {:>8} {:>10} {:>12} {:>10} {:>11} {:>11} {:>11} {:>9.2}",
            r.workload,
            r.detail,
            report::thousands(r.rules as u64),
            report::duration(r.compile),
            report::nanos(per_rule),
            r.heap_bytes
                .map_or_else(|| "-".to_owned(), |b| format!("{} B", b / r.rules.max(1))),
            report::nanos(r.ns_per_event.median),
            report::nanos(r.ns_per_event.min),
            report::nanos(r.ns_per_event.max),
            r.matches_per_event
        );
    }
    s
}

/// Rows as a JSON array.
pub fn rows_json(rows: &[Row]) -> Value {
    rows.iter()
        .map(|r| {
            json!({
                "workload": r.workload,
                "detail": r.detail,
                "rules": r.rules,
                "compile_seconds": r.compile.as_secs_f64(),
                "heap_bytes": r.heap_bytes,
                "heap_bytes_per_rule": r.heap_bytes.map(|b| b as f64 / r.rules.max(1) as f64),
                "ns_per_event": r.ns_per_event.to_json(),
                "events_measured": r.events_measured,
                "matches_per_event": r.matches_per_event,
            })
        })
        .collect()
}

/// Rows as JSON.
pub fn to_json(rows: &[Row], sample: usize, seed: u64) -> Value {
    json!({
        "tool": "evmatch-bench",
        "workload": "scaling",
        "engine": "evmatch",
        "engine_version": env!("CARGO_PKG_VERSION"),
        "machine": report::machine(),
        "sample_events": sample,
        "seed": format!("{seed:#x}"),
        "rows": rows_json(rows),
    })
}
