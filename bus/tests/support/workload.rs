//! Workloads drawn from the conformance corpus: patterns for subscriptions and events to
//! publish, with a deterministic generator so a failure replays.

use evmatch::Pattern;
use evmatch_corpus::Expect;
use serde_json::Value;

/// A small deterministic generator (xorshift64*), so a failure replays.
pub struct Rng(pub u64);

impl Rng {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// Valid corpus patterns of at most the bus's default size, and corpus events the bus can
/// publish as they are once `source` and `detail-type` are added where missing.
pub fn pools() -> (Vec<String>, Vec<String>) {
    let cases = evmatch_corpus::load();
    let mut patterns: Vec<String> = cases
        .iter()
        .filter(|case| !matches!(case.expect, Expect::Invalid { .. }))
        .map(|case| case.pattern.clone())
        .filter(|pattern| pattern.len() <= 4096 && Pattern::parse(pattern).is_ok())
        .collect();
    patterns.sort();
    patterns.dedup();
    let mut events: Vec<String> = cases
        .iter()
        .filter(|case| matches!(case.expect, Expect::Match | Expect::NoMatch))
        .filter_map(|case| publishable(case.event.as_deref()?))
        .collect();
    events.sort();
    events.dedup();
    (patterns, events)
}

/// The event as one line with a `source` and `detail-type` (added when absent), or `None` when
/// it cannot be published as it is (not one line of a JSON object, odd head fields).
pub fn publishable(event: &str) -> Option<String> {
    if event.contains(['\n', '\r']) || event.len() > 200_000 {
        return None;
    }
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(event) else {
        return None;
    };
    let mut head = String::new();
    for key in ["source", "detail-type"] {
        match fields.get(key) {
            None => head.push_str(&format!(r#""{key}":"corpus","#)),
            Some(Value::String(_)) if event.matches(&format!(r#""{key}""#)).count() == 1 => {}
            Some(_) => return None,
        }
    }
    let body = event.trim_start().strip_prefix('{')?;
    let rest = body.trim_start();
    Some(if rest.starts_with('}') {
        format!("{{{}{rest}", head.trim_end_matches(','))
    } else {
        format!("{{{head}{body}")
    })
}

/// The event published as number `seq`: the first field carries the number, so every published
/// text is distinct.
pub fn numbered(event: &str, seq: usize) -> String {
    format!(r#"{{"evmatch-bus-test-seq":{seq},{}"#, &event[1..])
}

/// The `n` of an event made by [`numbered`].
pub fn number_of(event: &str) -> Option<usize> {
    let value: Value = serde_json::from_str(event).ok()?;
    value["evmatch-bus-test-seq"].as_u64().map(|n| n as usize)
}
