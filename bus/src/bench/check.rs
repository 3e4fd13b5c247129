//! The check: every published event is matched again, here, on an [`evmatch::Matcher`] holding
//! every connection's rules (named `<connection>/<rule>`), which says exactly which connections
//! should have received it and with which `Rules`; then that is compared with what each
//! connection received.

use evmatch::{Matcher, Scratch};
use serde::Serialize;

use super::load::Record;
use super::workload::{fingerprint, Workload};

/// What the comparison found. Everything but `expected` and `received` must be 0.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Verdict {
    pub expected: u64,
    pub received: u64,
    /// Expected and not received.
    pub missing: u64,
    /// Received more than once (each extra copy counts).
    pub duplicate: u64,
    /// Received by a connection none of whose rules match the event (or for no published event).
    pub unexpected: u64,
    /// Received with `Rules` other than the rules that match (or a wrong `Source`/`Type`).
    pub wrong_rules: u64,
    /// Received with an `Event` that is not the published text byte for byte.
    pub corrupt: u64,
}

impl Verdict {
    pub fn clean(&self) -> bool {
        self.missing + self.duplicate + self.unexpected + self.wrong_rules + self.corrupt == 0
    }
}

/// Every connection's rules in one matcher, names `<c>/<rule name>`.
pub fn reference(workload: &Workload) -> Result<Matcher, String> {
    let mut matcher = Matcher::new();
    for c in 0..workload.connections {
        for i in 0..workload.rules {
            let name = format!("{c}/{}", workload.rule_name(c, i));
            matcher
                .add_rule(&name, &workload.pattern(c, i))
                .map_err(|e| format!("rule {name}: {e}"))?;
        }
    }
    Ok(matcher)
}

/// Compares `received` (by connection, taken after the phase) with what events
/// `first..first + t_ns.len()`, published at `t_ns`, should have produced.
pub fn check(
    workload: &Workload,
    matcher: &Matcher,
    first: u64,
    t_ns: &[u64],
    received: &mut [Vec<Record>],
) -> Result<Verdict, String> {
    // (seq, rule bits) each connection should have, in seq order; and each event's fingerprint.
    let mut expected: Vec<Vec<(u32, u8)>> = vec![Vec::new(); workload.connections];
    let mut hashes = Vec::with_capacity(t_ns.len());
    let (mut scratch, mut names) = (Scratch::new(), Vec::new());
    let mut verdict = Verdict::default();
    for (offset, &t) in t_ns.iter().enumerate() {
        let seq = first + offset as u64;
        let event = workload.event(seq, t);
        matcher
            .matches_with(event.as_bytes(), &mut scratch, &mut names)
            .map_err(|e| format!("event {seq} does not match: {e}"))?;
        hashes.push(fingerprint(
            serde_json::to_string(&event).expect("a string").as_bytes(),
        ));
        names.sort_unstable();
        for name in &names {
            let (c, rule) = name.split_once('/').expect("names are <c>/<rule>");
            let c: usize = c.parse().expect("a connection number");
            let bit = (0..workload.rules)
                .position(|i| workload.rule_name(c, i) == rule)
                .map_or(0, |i| 1u8 << i);
            let list = &mut expected[c];
            match list.last_mut() {
                Some((last, bits)) if u64::from(*last) == seq => *bits |= bit,
                _ => list.push((seq as u32, bit)),
            }
        }
    }
    for (want, got) in expected.iter().zip(received.iter_mut()) {
        compare(want, got, first, &hashes, &mut verdict);
    }
    Ok(verdict)
}

/// One connection: `want` sorted by seq; `got` in any order.
fn compare(want: &[(u32, u8)], got: &mut [Record], first: u64, hashes: &[u64], v: &mut Verdict) {
    v.expected += want.len() as u64;
    v.received += got.len() as u64;
    got.sort_by_key(|record| record.seq);
    let mut want = want.iter().peekable();
    let mut previous = None;
    for record in got.iter() {
        if previous == Some(record.seq) {
            v.duplicate += 1;
            continue;
        }
        previous = Some(record.seq);
        while want.next_if(|(seq, _)| *seq < record.seq).is_some() {
            v.missing += 1;
        }
        let Some(&(_, bits)) = want.next_if(|(seq, _)| *seq == record.seq) else {
            v.unexpected += 1;
            continue;
        };
        if record.rules != bits {
            v.wrong_rules += 1;
        }
        let hash = (u64::from(record.seq))
            .checked_sub(first)
            .and_then(|offset| hashes.get(offset as usize));
        if hash != Some(&record.event_hash) {
            v.corrupt += 1;
        }
    }
    v.missing += want.count() as u64;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u32, rules: u8, event_hash: u64) -> Record {
        Record {
            seq,
            latency_us: 0,
            rules,
            event_hash,
        }
    }

    #[test]
    fn each_kind_of_difference_is_counted() {
        let want = [(10, 1), (11, 3), (12, 1), (14, 2)];
        let hashes = [100, 101, 102, 103, 104];
        let mut got = [
            record(14, 2, 104),
            record(10, 1, 100),
            record(10, 1, 100), // duplicate
            record(11, 1, 101), // wrong rules
            record(13, 1, 103), // unexpected
            record(12, 1, 999), // corrupt
        ];
        let mut v = Verdict::default();
        compare(&want, &mut got, 10, &hashes, &mut v);
        let expected = Verdict {
            expected: 4,
            received: 6,
            missing: 0,
            duplicate: 1,
            unexpected: 1,
            wrong_rules: 1,
            corrupt: 1,
        };
        assert_eq!(v, expected);
        let mut v = Verdict::default();
        compare(&want, &mut [record(12, 1, 102)], 10, &hashes, &mut v);
        assert_eq!((v.missing, v.clean()), (3, false));
    }

    #[test]
    fn the_reference_finds_what_a_perfect_bus_would_send() {
        let w = Workload::new(50, 3, 9, None);
        let matcher = reference(&w).unwrap();
        let t_ns = [7u64; 20];
        // Build exactly what a correct bus would deliver.
        let mut received = vec![Vec::new(); w.connections];
        for (offset, &t) in t_ns.iter().enumerate() {
            let event = w.event(offset as u64, t);
            let escaped = serde_json::to_string(&event).unwrap();
            for name in matcher.matches(event.as_bytes()).unwrap() {
                let (c, rule) = name.split_once('/').unwrap();
                let c: usize = c.parse().unwrap();
                let i = (0..3).position(|i| w.rule_name(c, i) == rule).unwrap();
                let list: &mut Vec<Record> = &mut received[c];
                match list.last_mut() {
                    Some(last) if last.seq == offset as u32 => last.rules |= 1 << i,
                    _ => list.push(record(
                        offset as u32,
                        1 << i,
                        fingerprint(escaped.as_bytes()),
                    )),
                }
            }
        }
        let v = check(&w, &matcher, 0, &t_ns, &mut received).unwrap();
        assert!(
            v.clean() && v.expected > 0 && v.expected == v.received,
            "{v:?}"
        );
    }
}
