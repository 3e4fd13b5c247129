//! Fan-out workloads: many subscribers, each with its own rules, over one stream of events —
//! the shape of an event bus's rule set.
//!
//! - `mixed`: 3 rules per subscriber of mixed kinds on citylots2 fields
//!   ([`crate::scaling::fanout_rules`]), against events sampled over the citylots2 stream;
//! - `per-user`: one rule per subscriber for its own user's events
//!   ([`crate::busevents::per_user_rules`]), against EventBridge-shaped app events;
//! - `per-channel`: one rule per subscriber on a realtime channel
//!   ([`crate::busevents::per_channel_rules`]), against channel envelopes.
//!
//! Each is measured at several subscriber counts. Beside each rule set runs its *no-match twin*:
//! the same rules with every string and number they test moved out of the events' reach
//! ([`never_matching`]), so the event is read, and its values looked up in tables of the same
//! size, but nothing matches. (per event − twin) / matches per event is the cost of a matched
//! rule on top of reading the event. A "read" row (one never-matching rule per tested field)
//! shows what reading costs with tiny tables. [`export`] writes every workload as rule and event
//! files with evmatch's per-rule counts, so any engine can run the same thing; [`changes`]
//! measures subscribing and unsubscribing in a large [`evmatch::SharedMatcher`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::busevents::{per_channel_rules, per_user_rules, ChannelEvents, UserEvents};
use crate::data::Events;
use crate::report::{self, Summary};
use crate::scaling::{self, Row};

/// A fan-out workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// 3 mixed rules per subscriber on citylots2 events.
    Mixed,
    /// One rule per subscriber for its user's events.
    PerUser,
    /// One rule per subscriber on a realtime channel.
    PerChannel,
}

impl Workload {
    /// Every workload.
    pub const ALL: [Workload; 3] = [Workload::Mixed, Workload::PerUser, Workload::PerChannel];

    /// `mixed`, `per-user` or `per-channel`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Mixed => "mixed",
            Workload::PerUser => "per-user",
            Workload::PerChannel => "per-channel",
        }
    }

    /// The workload called `name`.
    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// Subscriber counts measured unless others are asked for.
    pub fn default_subscribers(self) -> &'static [usize] {
        match self {
            Workload::Mixed => &[1_000, 10_000, 30_000, 100_000],
            _ => &[1_000, 10_000, 100_000],
        }
    }

    /// Rules per subscriber.
    pub fn rules_per_subscriber(self) -> usize {
        match self {
            Workload::Mixed => 3,
            _ => 1,
        }
    }

    /// The rules of `subscribers` subscribers, as `(name, pattern)`; deterministic.
    pub fn rules(self, subscribers: usize) -> Vec<(String, String)> {
        match self {
            Workload::Mixed => scaling::fanout_rules(subscribers, 3),
            Workload::PerUser => per_user_rules(subscribers),
            Workload::PerChannel => per_channel_rules(subscribers),
        }
    }

    /// `n` events of the workload's stream for `seed`.
    pub fn events(self, seed: u64, n: usize) -> Events {
        let mut out = Vec::with_capacity(n * 700);
        match self {
            Workload::Mixed => return scaling::sample_events(seed, n, crate::DEFAULT_EVENTS),
            Workload::PerUser => {
                let mut g = UserEvents::new(seed);
                for _ in 0..n {
                    g.next_event(&mut out);
                    out.push(b'\n');
                }
            }
            Workload::PerChannel => {
                let mut g = ChannelEvents::new(seed);
                for _ in 0..n {
                    g.next_event(&mut out);
                    out.push(b'\n');
                }
            }
        }
        Events::from_bytes(out)
    }

    /// The fields the workload's rules test.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Workload::Mixed => &[
                "properties.STREET",
                "properties.ODD_EVEN",
                "properties.MAPBLKLOT",
                "properties.BLKLOT",
                "properties.ST_TYPE",
                "properties.FROM_ST",
                "geometry.type",
                "geometry.firstCoordinates.x",
            ],
            Workload::PerUser => &["source", "detail-type", "detail.userId"],
            Workload::PerChannel => &[
                "source",
                "detail.channel",
                "detail.messages.name",
                "detail.messages.data",
            ],
        }
    }

    /// The read baseline: one rule per tested field, with a value no event holds.
    pub fn read_rules(self) -> Vec<(String, String)> {
        self.fields()
            .iter()
            .map(|f| (format!("read-{f}"), format!(r#"{{"{f}":["~never~"]}}"#)))
            .collect()
    }
}

/// `pattern` with every string and number it tests moved out of any generated event's reach:
/// strings get a leading `~` (prefixes, suffixes, wildcards, ignore-case forms and literals
/// alike), numbers and `numeric` bounds grow by 10^9. `anything-but`, `exists` and `cidr` are
/// left as they are (the workloads' `anything-but`s sit beside another condition).
pub fn never_matching(pattern: &str) -> String {
    fn twist(v: &mut Value) {
        match v {
            Value::String(s) => s.insert(0, '~'),
            Value::Number(n) => {
                *v = json!(n.as_f64().unwrap_or(0.0) + 1e9);
            }
            Value::Array(items) => items.iter_mut().for_each(twist),
            Value::Object(members) => {
                for (key, member) in members.iter_mut() {
                    match (key.as_str(), member) {
                        ("anything-but" | "exists" | "cidr", _) => {}
                        // Operators stay; bounds move.
                        ("numeric", Value::Array(terms)) => {
                            terms.iter_mut().filter(|t| t.is_number()).for_each(twist)
                        }
                        (_, member) => twist(member),
                    }
                }
            }
            Value::Bool(_) | Value::Null => {}
        }
    }
    let mut value: Value = serde_json::from_str(pattern).expect("workload patterns are JSON");
    twist(&mut value);
    value.to_string()
}

/// The fan-out rows of one workload: its read baseline, then per subscriber count the rule
/// set's no-match twin and the rule set itself.
pub fn measure(
    workload: Workload,
    subscribers: &[usize],
    events: &Events,
    budget: Duration,
    validation: evmatch::Validation,
    mut progress: impl FnMut(&str),
) -> Result<Vec<Row>, String> {
    let name = workload.name();
    progress(&format!("{name}: read baseline"));
    let mut rows = vec![scaling::measure(
        name,
        "read (no match)",
        &workload.read_rules(),
        events,
        budget,
        validation,
    )?];
    for &subs in subscribers {
        let rules = workload.rules(subs);
        let detail = format!(
            "{} subscribers x {}",
            report::thousands(subs as u64),
            workload.rules_per_subscriber()
        );
        progress(&format!("{name}: {subs} subscribers, no-match twin"));
        let twin: Vec<(String, String)> = (rules.iter())
            .map(|(n, p)| (n.clone(), never_matching(p)))
            .collect();
        rows.push(scaling::measure(
            name,
            &format!("{detail} twin"),
            &twin,
            events,
            budget,
            validation,
        )?);
        progress(&format!("{name}: {subs} subscribers"));
        rows.push(scaling::measure(
            name, &detail, &rules, events, budget, validation,
        )?);
    }
    Ok(rows)
}

/// Nanoseconds per matched rule on top of reading: `(per event − twin) / matches per event`,
/// when there is about one match per event or more (fewer would magnify noise).
pub fn per_match(row: &Row, twin: &Row) -> Option<f64> {
    (row.matches_per_event >= 0.5)
        .then(|| (row.ns_per_event.median - twin.ns_per_event.median) / row.matches_per_event)
}

/// The fan-out rows as a table, with the cost per matched rule.
pub fn table(rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{:<12} {:<28} {:>8} {:>10} {:>10} {:>11} {:>11} {:>11} {:>10} {:>10}",
        "fan-out",
        "subscribers",
        "rules",
        "compile",
        "heap/rule",
        "per event",
        "min",
        "max",
        "matches/ev",
        "per match"
    );
    let mut twin: Option<&Row> = None;
    for r in rows {
        let per = match twin {
            Some(t) if !r.detail.ends_with("twin") && !r.detail.starts_with("read") => {
                per_match(r, t)
            }
            _ => None,
        };
        if r.detail.ends_with("twin") {
            twin = Some(r);
        }
        let _ = writeln!(
            s,
            "{:<12} {:<28} {:>8} {:>10} {:>10} {:>11} {:>11} {:>11} {:>10.2} {:>10}",
            r.workload,
            r.detail,
            report::thousands(r.rules as u64),
            report::duration(r.compile),
            r.heap_bytes
                .map_or_else(|| "-".to_owned(), |b| format!("{} B", b / r.rules.max(1))),
            report::nanos(r.ns_per_event.median),
            report::nanos(r.ns_per_event.min),
            report::nanos(r.ns_per_event.max),
            r.matches_per_event,
            per.map_or_else(|| "-".to_owned(), report::nanos),
        );
    }
    s
}

/// Count, over `events`, how many events each of `rules` matches (evmatch, full validation);
/// rules matching nothing are left out. Also returns the number of events that failed to read
/// (none, for generated events).
pub fn rule_counts(
    rules: &[(String, String)],
    events: &Events,
) -> Result<(BTreeMap<String, u64>, u64), String> {
    let mut m = evmatch::Matcher::new();
    for (name, pattern) in rules {
        m.add_rule(name, pattern)
            .map_err(|e| format!("rule {name}: {e}"))?;
    }
    let mut counts = BTreeMap::new();
    let mut errors = 0;
    let mut scratch = evmatch::Scratch::new();
    let mut names = Vec::new();
    for event in events.iter() {
        match m.matches_with(event, &mut scratch, &mut names) {
            Ok(()) => {
                for name in &names {
                    *counts.entry((*name).to_owned()).or_insert(0) += 1;
                }
            }
            Err(_) => errors += 1,
        }
    }
    Ok((counts, errors))
}

/// Write `workload` as files in `dir`: `<workload>.events.jsonl` (the events, one per line),
/// and per subscriber count `<workload>-<subs>.rules.json` (`{"name": pattern, ..}` in order,
/// the format of `benches/rules/`) and `<workload>-<subs>.counts.json` (evmatch's matches per
/// rule over those events, rules without matches left out, and the totals). Returns a manifest
/// entry for the workload.
pub fn export(
    dir: &Path,
    workload: Workload,
    subscribers: &[usize],
    events: &Events,
    seed: u64,
) -> Result<Value, String> {
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let name = workload.name();
    let events_file = format!("{name}.events.jsonl");
    let path = dir.join(&events_file);
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).map_err(|e| io(&path, e))?);
    for event in events.iter() {
        w.write_all(event).map_err(|e| io(&path, e))?;
        w.write_all(b"\n").map_err(|e| io(&path, e))?;
    }
    w.flush().map_err(|e| io(&path, e))?;
    let mut sets = Vec::new();
    for &subs in subscribers {
        let rules = workload.rules(subs);
        let rules_file = format!("{name}-{subs}.rules.json");
        let path = dir.join(&rules_file);
        let mut text = String::from("{\n");
        for (i, (rule, pattern)) in rules.iter().enumerate() {
            let sep = if i + 1 == rules.len() { "" } else { "," };
            let _ = writeln!(text, "  {}: {pattern}{sep}", json!(rule));
        }
        text.push_str("}\n");
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        let (counts, errors) = rule_counts(&rules, events)?;
        let total: u64 = counts.values().sum();
        let counts_file = format!("{name}-{subs}.counts.json");
        let path = dir.join(&counts_file);
        // The totals first, then the counts (serde_json would sort the keys).
        let mut text = String::from("{\n");
        for (key, value) in [
            ("workload", json!(name)),
            ("subscribers", json!(subs)),
            ("rules", json!(rules.len())),
            ("rules_file", json!(rules_file)),
            ("events_file", json!(events_file)),
            ("events", json!(events.len())),
            ("unreadable_events", json!(errors)),
            ("total_matches", json!(total)),
            ("rules_matching", json!(counts.len())),
        ] {
            let _ = writeln!(text, "  {}: {value},", json!(key));
        }
        text.push_str("  \"counts\": {");
        for (i, (rule, count)) in counts.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(text, "{sep}\n    {}: {count}", json!(rule));
        }
        text.push_str("\n  }\n}\n");
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
        sets.push(json!({
            "subscribers": subs,
            "rules": rules.len(),
            "rules_file": rules_file,
            "counts_file": counts_file,
            "total_matches": total,
        }));
    }
    Ok(json!({
        "workload": name,
        "events_file": events_file,
        "events": events.len(),
        "seed": format!("{seed:#x}"),
        "rule_sets": sets,
    }))
}

/// Write the manifest of an export.
pub fn write_manifest(dir: &Path, workloads: Vec<Value>) -> Result<(), String> {
    let manifest = json!({
        "tool": "evmatch-bench scaling --export",
        "engine": "evmatch",
        "engine_version": env!("CARGO_PKG_VERSION"),
        "format": "rules files: one JSON object {\"rule name\": EventBridge pattern, ...}, rules in order; \
                   events files: one JSON event per line; counts files: for each rule that matches at \
                   least one event, the number of events it matches (full validation); a rule absent \
                   from counts matches no event",
        "workloads": workloads,
    });
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

/// Subscribing and unsubscribing in a large shared rule set.
#[derive(Debug, Clone)]
pub struct Changes {
    /// The workload whose rules fill the matcher.
    pub workload: Workload,
    /// Rules in the matcher.
    pub rules: usize,
    /// Time to build it (one `add_rules` change).
    pub build: Duration,
    /// Heap held by the [`evmatch::SharedMatcher`] (both copies).
    pub heap_bytes: Option<usize>,
    /// Nanoseconds per subscribe (`replace_rule` of a new name): median, min, max.
    pub subscribe: Summary,
    /// 99th percentile of subscribe.
    pub subscribe_p99: f64,
    /// Nanoseconds per unsubscribe (`delete_rules` of one name).
    pub unsubscribe: Summary,
    /// 99th percentile of unsubscribe.
    pub unsubscribe_p99: f64,
    /// Changes timed of each kind.
    pub changes: usize,
}

/// The `q` quantile (0..=1) of `values`.
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

/// Fill a [`evmatch::SharedMatcher`] with `rules` rules of `workload`, then time `changes`
/// subscribes of new rules (the workload's next subscribers, each rule under a new name, added
/// with `replace_rule` as the bus does) and `changes` unsubscribes of rules picked at random.
pub fn changes(workload: Workload, rules: usize, changes: usize) -> Result<Changes, String> {
    let per = workload.rules_per_subscriber();
    let all = workload.rules((rules + changes).div_ceil(per));
    let (base, fresh) = all.split_at(rules);
    let fresh = &fresh[..changes.min(fresh.len())];
    let heap_before = crate::alloc::allocated();
    let start = Instant::now();
    let shared = evmatch::SharedMatcher::new();
    shared
        .add_rules(base.iter().map(|(n, p)| (n.as_str(), p.as_str())))
        .map_err(|(name, e)| format!("rule {name}: {e}"))?;
    let build = start.elapsed();
    let heap_bytes = match (heap_before, crate::alloc::allocated()) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b)),
        _ => None,
    };
    let parsed: Vec<(String, evmatch::Pattern)> = fresh
        .iter()
        .map(|(n, p)| {
            Ok((
                n.clone(),
                evmatch::Pattern::parse(p).map_err(|e| e.to_string())?,
            ))
        })
        .collect::<Result<_, String>>()?;
    let mut subscribe = Vec::with_capacity(parsed.len());
    for (name, pattern) in &parsed {
        let t = Instant::now();
        shared.replace_rule(name, pattern);
        subscribe.push(t.elapsed().as_nanos() as f64);
    }
    // Unsubscribe rules picked at random over the whole set, old and new.
    let mut rng = crate::gen::Rng::new(0x0C4A_96E5);
    let mut names: Vec<&str> = base.iter().chain(fresh).map(|(n, _)| n.as_str()).collect();
    let mut unsubscribe = Vec::with_capacity(parsed.len());
    for _ in 0..parsed.len() {
        let i = rng.below(names.len() as u64) as usize;
        let name = names.swap_remove(i);
        let t = Instant::now();
        let gone = shared.delete_rules(&[name]);
        unsubscribe.push(t.elapsed().as_nanos() as f64);
        debug_assert_eq!(gone, 1);
    }
    Ok(Changes {
        workload,
        rules,
        build,
        heap_bytes,
        subscribe_p99: quantile(&subscribe, 0.99),
        subscribe: Summary::of(&subscribe),
        unsubscribe_p99: quantile(&unsubscribe, 0.99),
        unsubscribe: Summary::of(&unsubscribe),
        changes: parsed.len(),
    })
}

/// Rule-change results as a table.
pub fn changes_table(rows: &[Changes]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n{:<12} {:>8} {:>10} {:>12} {:>10} {:>14} {:>11} {:>10} {:>16} {:>11} {:>10}",
        "changes",
        "rules",
        "build",
        "heap (2 copies)",
        "per rule",
        "subscribe med",
        "p99",
        "max",
        "unsubscribe med",
        "p99",
        "max"
    );
    for c in rows {
        let _ = writeln!(
            s,
            "{:<12} {:>8} {:>10} {:>15} {:>10} {:>14} {:>11} {:>10} {:>16} {:>11} {:>10}",
            c.workload.name(),
            report::thousands(c.rules as u64),
            report::duration(c.build),
            c.heap_bytes
                .map_or_else(|| "-".to_owned(), |b| format!("{:.1} MB", b as f64 / 1e6)),
            c.heap_bytes
                .map_or_else(|| "-".to_owned(), |b| format!("{} B", b / c.rules.max(1))),
            report::nanos(c.subscribe.median),
            report::nanos(c.subscribe_p99),
            report::nanos(c.subscribe.max),
            report::nanos(c.unsubscribe.median),
            report::nanos(c.unsubscribe_p99),
            report::nanos(c.unsubscribe.max),
        );
    }
    s
}

/// Rule-change results as JSON.
pub fn changes_json(rows: &[Changes]) -> Value {
    rows.iter()
        .map(|c| {
            json!({
                "workload": c.workload.name(),
                "rules": c.rules,
                "build_seconds": c.build.as_secs_f64(),
                "heap_bytes_two_copies": c.heap_bytes,
                "changes": c.changes,
                "subscribe_ns": c.subscribe.to_json(),
                "subscribe_ns_p99": c.subscribe_p99,
                "unsubscribe_ns": c.unsubscribe.to_json(),
                "unsubscribe_ns_p99": c.unsubscribe_p99,
            })
        })
        .collect()
}
