//! Timing statistics, progress lines and number formatting.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Median, minimum and maximum of a set of measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The middle value (mean of the two middle ones for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Summary {
    /// Summarise `values` (at least one).
    pub fn of(values: &[f64]) -> Summary {
        assert!(!values.is_empty(), "no measurements");
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Summary {
            median,
            min: v[0],
            max: v[n - 1],
        }
    }

    /// As a JSON object `{"median":..,"min":..,"max":..}`.
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({ "median": self.median, "min": self.min, "max": self.max })
    }
}

/// Rates (per second) of `count` items over each of `times`.
pub fn rates(count: u64, times: &[Duration]) -> Summary {
    let r: Vec<f64> = times
        .iter()
        .map(|t| count as f64 / t.as_secs_f64().max(1e-12))
        .collect();
    Summary::of(&r)
}

/// Progress on stderr for long loops: silent for the first second, then at most one update a
/// second on a terminal (rewriting the line) or one line every ten seconds otherwise.
#[derive(Debug)]
pub struct Progress {
    label: String,
    total: u64,
    start: Instant,
    last: Instant,
    shown: bool,
    tty: bool,
}

impl Progress {
    /// Progress of `label` towards `total` items.
    pub fn new(label: impl Into<String>, total: u64) -> Self {
        let now = Instant::now();
        Self {
            label: label.into(),
            total,
            start: now,
            last: now,
            shown: false,
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// `done` items so far. Cheap enough to call every few thousand items.
    pub fn tick(&mut self, done: u64) {
        let now = Instant::now();
        let every = if self.tty {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(10)
        };
        if now.duration_since(self.last) < every {
            return;
        }
        self.last = now;
        self.shown = true;
        let elapsed = now.duration_since(self.start).as_secs_f64();
        let pct = 100.0 * done as f64 / self.total.max(1) as f64;
        let eta = if done > 0 {
            elapsed * (self.total.saturating_sub(done)) as f64 / done as f64
        } else {
            0.0
        };
        let line = format!(
            "  {}: {}/{} ({pct:.0}%), {elapsed:.0} s elapsed, ~{eta:.0} s left",
            self.label,
            thousands(done),
            thousands(self.total)
        );
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r{line:<78}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// End the progress line if one was shown.
    pub fn finish(&mut self) {
        if self.shown && self.tty {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{:78}\r", "");
            let _ = err.flush();
        }
        self.shown = false;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate with thousands separators, no decimals.
pub fn rate(r: f64) -> String {
    thousands(r.round().max(0.0) as u64)
}

/// A duration in the most readable unit.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

/// Nanoseconds, readable.
pub fn nanos(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// A short description of the machine, for the report header.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {threads} threads, {}", std::env::consts::OS)
}
