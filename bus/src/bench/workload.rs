//! The bench's rules and events, a pure function of a seed: every connection's patterns, and
//! event `seq` whenever it is (re)built — the check rebuilds each published event to match it
//! again.
//!
//! Connection `c` subscribes, in order:
//! - `user`: `{"source":["bench.app"],"detail":{"user":["u-<c>"]}}` — one connection per event;
//! - `group`: `{"detail":{"group":["g-<c mod groups>"]}}` — `connections / groups` per event;
//! - `score` (even `c`): a numeric range on `detail.score`, or `tag` (odd `c`): a prefix on
//!   `detail.tag` — about 4 + 4 connections per event;
//! - `range-<i>` for any further rule `i`: another numeric range.
//!
//! So an event reaches about 34 connections whatever their number (with the default groups of
//! 25): one user, one group, ~4 score ranges, ~4 tag prefixes.

/// Events carry a score in `0..SCORE_SPAN`.
const SCORE_SPAN: u64 = 1_000_000;
/// Score ranges (and tag prefixes) an event falls into, on average, over all connections.
const RANGE_HITS: u64 = 4;

/// splitmix64: small, fast, and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }
}

/// The shape of one bench run's subscriptions and events.
#[derive(Clone, Debug)]
pub struct Workload {
    pub connections: usize,
    pub rules: usize,
    pub groups: u64,
    seed: u64,
    tags: u64,
    range_width: u64,
}

impl Workload {
    /// `groups`: how many `group` values (default: one per 25 connections).
    pub fn new(connections: usize, rules: usize, seed: u64, groups: Option<u64>) -> Workload {
        let n = connections.max(1) as u64;
        Workload {
            connections,
            rules,
            groups: groups.unwrap_or(n / 25).max(1),
            seed,
            // Odd connections share tags in fours; even ones cover RANGE_HITS scores each.
            tags: (n / 2 / RANGE_HITS).max(1),
            range_width: (SCORE_SPAN * RANGE_HITS / (n / 2).max(1)).clamp(1, SCORE_SPAN),
        }
    }

    /// The name of rule `i` of connection `c`.
    pub fn rule_name(&self, c: usize, i: usize) -> String {
        match i {
            0 => "user".into(),
            1 => "group".into(),
            2 if c.is_multiple_of(2) => "score".into(),
            2 => "tag".into(),
            _ => format!("range-{i}"),
        }
    }

    /// The pattern of rule `i` of connection `c`.
    pub fn pattern(&self, c: usize, i: usize) -> String {
        match i {
            0 => format!(r#"{{"source":["bench.app"],"detail":{{"user":["u-{c}"]}}}}"#),
            1 => format!(
                r#"{{"detail":{{"group":["g-{}"]}}}}"#,
                c as u64 % self.groups
            ),
            2 if c % 2 == 1 => format!(
                r#"{{"detail":{{"tag":[{{"prefix":"t-{}-"}}]}}}}"#,
                (c as u64 / 2) % self.tags
            ),
            _ => {
                let mut rng = Rng::new(self.seed ^ 0x5C0E_0000_0000 ^ ((c as u64) << 8) ^ i as u64);
                let lo = rng.below(SCORE_SPAN - self.range_width + 1);
                format!(
                    r#"{{"detail":{{"score":[{{"numeric":[">=",{lo},"<",{}]}}]}}}}"#,
                    lo + self.range_width
                )
            }
        }
    }

    /// Event `seq`, published at `t_ns` (nanoseconds on the bench's clock). Only `seq` and
    /// `t` in `detail` vary with anything but the seed, and no rule reads them.
    pub fn event(&self, seq: u64, t_ns: u64) -> String {
        let mut rng = Rng::new(self.seed ^ seq.wrapping_mul(0xA24B_AED4_963E_E407));
        let n = self.connections.max(1) as u64;
        let user = rng.below(n);
        let group = rng.below(self.groups);
        let score = rng.below(SCORE_SPAN);
        let (tag, sub) = (rng.below(self.tags), rng.below(10));
        format!(
            concat!(
                r#"{{"version":"0","id":"{seq}","detail-type":"bench","source":"bench.app","#,
                r#""account":"000000000000","time":"2026-01-01T00:00:00Z","region":"us-east-1","#,
                r#""resources":[],"detail":{{"seq":{seq},"t":{t},"user":"u-{user}","#,
                r#""group":"g-{group}","score":{score},"tag":"t-{tag}-{sub}"}}}}"#
            ),
            seq = seq,
            t = t_ns,
            user = user,
            group = group,
            score = score,
            tag = tag,
            sub = sub,
        )
    }
}

/// A 64-bit fingerprint of a notification's `Event` text (still JSON-escaped), compared with
/// the published event's: eight bytes per step, so that checking every delivery stays cheap
/// next to reading it. Not for adversaries; a changed byte changes it.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let step = |hash: u64, word: u64| (hash.rotate_left(23) ^ word).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    let mut hash = (&mut chunks).fold(bytes.len() as u64, |hash, chunk| {
        step(hash, u64::from_le_bytes(chunk.try_into().expect("8 bytes")))
    });
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    hash = step(hash, u64::from_le_bytes(tail));
    hash ^ (hash >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_events_are_json_and_deterministic() {
        let w = Workload::new(1000, 4, 7, None);
        for c in [0, 1, 998, 999] {
            for i in 0..4 {
                evmatch::Pattern::parse(&w.pattern(c, i)).unwrap();
            }
        }
        let event: serde_json::Value = serde_json::from_str(&w.event(42, 99)).unwrap();
        assert_eq!(event["detail"]["seq"], 42);
        assert_eq!(event["detail"]["t"], 99);
        assert_eq!(w.event(42, 5), Workload::new(1000, 4, 7, None).event(42, 5));
        assert_ne!(w.event(42, 5), w.event(43, 5));
    }

    #[test]
    fn fingerprints_tell_texts_apart() {
        let text = w_text();
        let base = fingerprint(text.as_bytes());
        for at in [0, 7, 8, text.len() - 1] {
            let mut changed = text.clone().into_bytes();
            changed[at] ^= 1;
            assert_ne!(fingerprint(&changed), base, "byte {at}");
        }
        assert_ne!(fingerprint(b"ab"), fingerprint(b"ab\0"));
        assert_eq!(fingerprint(text.as_bytes()), base);
    }

    fn w_text() -> String {
        serde_json::to_string(&Workload::new(10, 3, 1, None).event(3, 4)).unwrap()
    }

    #[test]
    fn an_event_reaches_tens_of_connections() {
        let w = Workload::new(1000, 3, 1, None);
        let mut matcher = evmatch::Matcher::new();
        for c in 0..w.connections {
            for i in 0..w.rules {
                matcher
                    .add_rule(&format!("{c}/{}", w.rule_name(c, i)), &w.pattern(c, i))
                    .unwrap();
            }
        }
        let total: usize = (0..200)
            .map(|seq| matcher.matches(w.event(seq, 0).as_bytes()).unwrap().len())
            .sum();
        let average = total as f64 / 200.0;
        assert!((20.0..50.0).contains(&average), "{average}");
    }
}
