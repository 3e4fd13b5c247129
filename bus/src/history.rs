//! The single-node event history: the most recent published events with their sequence numbers,
//! bounded in count and age, from which a reconnecting client's `Resume` is replayed.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One published event as the bus keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub sequence: u64,
    pub event: Arc<str>,
    pub source: Arc<str>,
    pub detail_type: Arc<str>,
}

/// Events kept for replay, oldest first.
#[derive(Debug)]
pub struct History {
    events: VecDeque<(Instant, Published)>,
    max_events: usize,
    max_age: Duration,
    /// The sequence of the last event ever added (0 before the first).
    last: u64,
}

/// Why a replay cannot be served.
#[derive(Debug, PartialEq, Eq)]
pub struct Expired {
    /// The oldest sequence still kept (`last + 1` when nothing is).
    pub oldest: u64,
}

impl History {
    pub fn new(max_events: usize, max_age: Duration) -> History {
        History {
            events: VecDeque::new(),
            max_events,
            max_age,
            last: 0,
        }
    }

    /// The next sequence number, and keeps the event under it.
    pub fn push(&mut self, event: Arc<str>, source: Arc<str>, detail_type: Arc<str>) -> Published {
        self.last += 1;
        let published = Published {
            sequence: self.last,
            event,
            source,
            detail_type,
        };
        let now = Instant::now();
        if self.max_events > 0 {
            if self.events.len() == self.max_events {
                self.events.pop_front();
            }
            self.events.push_back((now, published.clone()));
        }
        self.expire(now);
        published
    }

    /// The sequence of the last event published.
    #[cfg(test)]
    pub fn last(&self) -> u64 {
        self.last
    }

    /// The events after `after` up to and including `through`, if every one of them is still
    /// kept.
    pub fn range(&mut self, after: u64, through: u64) -> Result<Vec<Published>, Expired> {
        self.expire(Instant::now());
        if after >= through {
            return Ok(Vec::new());
        }
        let oldest = self
            .events
            .front()
            .map_or(self.last + 1, |(_, p)| p.sequence);
        if after + 1 < oldest {
            return Err(Expired { oldest });
        }
        Ok(self
            .events
            .iter()
            .map(|(_, p)| p)
            .filter(|p| p.sequence > after && p.sequence <= through)
            .cloned()
            .collect())
    }

    fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.events.front() {
            if now.duration_since(*at) <= self.max_age {
                break;
            }
            self.events.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(history: &mut History, n: usize) {
        for _ in 0..n {
            history.push("{}".into(), "s".into(), "t".into());
        }
    }

    fn sequences(events: &[Published]) -> Vec<u64> {
        events.iter().map(|p| p.sequence).collect()
    }

    #[test]
    fn ranges_are_served_while_kept() {
        let mut history = History::new(3, Duration::from_secs(60));
        assert_eq!(history.range(0, 0), Ok(Vec::new()));
        push(&mut history, 5);
        assert_eq!(history.last(), 5);
        assert_eq!(sequences(&history.range(2, 5).unwrap()), [3, 4, 5]);
        assert_eq!(sequences(&history.range(3, 4).unwrap()), [4]);
        assert_eq!(history.range(1, 5), Err(Expired { oldest: 3 }));
        assert_eq!(history.range(5, 5), Ok(Vec::new()));
    }

    #[test]
    fn age_expires_events() {
        let mut history = History::new(10, Duration::from_millis(1));
        push(&mut history, 2);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(history.range(0, 2), Err(Expired { oldest: 3 }));
        assert_eq!(history.range(2, 2), Ok(Vec::new()));
    }

    #[test]
    fn no_history_means_only_the_present() {
        let mut history = History::new(0, Duration::from_secs(60));
        push(&mut history, 2);
        assert_eq!(history.range(2, 2), Ok(Vec::new()));
        assert_eq!(history.range(1, 2), Err(Expired { oldest: 3 }));
    }
}
