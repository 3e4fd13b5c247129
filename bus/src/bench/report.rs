//! What a run found: per publish phase a row of the table (and an entry of `--json`), from the
//! receivers' latencies, `/proc` and the server's `/metrics`.

use serde::Serialize;

use super::check::Verdict;

/// The connection phase: how long it took and what it cost the server.
#[derive(Debug, Default, Serialize)]
pub struct Setup {
    pub connections: usize,
    pub rules: usize,
    pub groups: u64,
    pub seed: u64,
    pub connect_seconds: f64,
    /// Server RSS before the first connection, after the last subscription is acknowledged.
    pub rss_before: Option<u64>,
    pub rss_connected: Option<u64>,
    /// `(rss_connected - rss_before) / connections`.
    pub rss_per_connection: Option<f64>,
    /// Server CPU seconds spent accepting connections and subscriptions.
    pub server_cpu_seconds: Option<f64>,
}

/// One publish phase at one rate.
#[derive(Debug, Default, Serialize)]
pub struct Phase {
    /// Target events/s; 0 means as fast as the bus accepts.
    pub rate: f64,
    pub batch: usize,
    pub seconds: f64,
    pub events: u64,
    pub events_per_second: f64,
    pub deliveries: u64,
    pub deliveries_per_event: f64,
    /// Deliveries over the time from the first publish to the last delivery.
    pub deliveries_per_second: f64,
    pub latency_ms: Latency,
    /// Server CPU over the phase (first publish to last delivery), % of one core.
    pub server_cpu_percent: Option<f64>,
    pub server_user_percent: Option<f64>,
    pub server_system_percent: Option<f64>,
    /// This process (subscribers and publisher), % of one core.
    pub client_cpu_percent: f64,
    /// Server and bench CPU per delivery, µs: robust to other load, unlike rates and latency.
    pub server_us_per_delivery: Option<f64>,
    pub client_us_per_delivery: f64,
    /// Every other process on the machine (a disturbed measurement when large), % of one core.
    pub other_cpu_percent: Option<f64>,
    pub rss_end: Option<u64>,
    pub requests: u64,
    pub throttled_429: u64,
    pub throttled_503: u64,
    pub verdict: Verdict,
    /// Connections whose socket closed during the run; frames that were not events.
    pub lost_connections: u64,
    pub strange_frames: u64,
    /// Whether every delivery the server counted arrived before the drain timeout.
    pub drained: bool,
    pub server: ServerSide,
}

/// What the server's `/metrics` says about the phase.
#[derive(Debug, Default, Serialize)]
pub struct ServerSide {
    pub events_published: f64,
    pub deliveries: f64,
    /// Mean time to match one event against every subscription, µs.
    pub match_us_per_event: f64,
    /// Share of the server's CPU time spent matching, %.
    pub match_share_percent: Option<f64>,
    /// Publish to notification written to the socket (bucket upper bounds), ms.
    pub publish_to_send_p50_ms: Option<f64>,
    pub publish_to_send_p99_ms: Option<f64>,
    pub drops: f64,
    pub slow_consumer_disconnects: f64,
}

/// Publish-to-receive latency over every delivery, ms.
#[derive(Debug, Default, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    /// From every delivery's latency in µs (reordered).
    pub fn of(latencies_us: &mut [u32]) -> Latency {
        let mut at = |q: f64| {
            if latencies_us.is_empty() {
                return 0.0;
            }
            let k = ((latencies_us.len() - 1) as f64 * q).round() as usize;
            f64::from(*latencies_us.select_nth_unstable(k).1) / 1000.0
        };
        Latency {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

/// Everything `--json` writes.
#[derive(Debug, Serialize)]
pub struct Report {
    pub setup: Setup,
    pub phases: Vec<Phase>,
}

/// A scrape of `/metrics`.
pub struct Scrape(pub String);

impl Scrape {
    /// The sum of every sample of `name` (any labels).
    pub fn value(&self, name: &str) -> f64 {
        self.samples(name).map(|(_, value)| value).sum()
    }

    /// `(labels, value)` of every sample called exactly `name`.
    fn samples<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (&'a str, f64)> + 'a {
        self.0.lines().filter_map(move |line| {
            let rest = line.strip_prefix(name)?;
            let (labels, value) = match rest.strip_prefix('{') {
                Some(inner) => inner.split_once("} ")?,
                None => ("", rest.strip_prefix(' ')?),
            };
            Some((labels, value.split_whitespace().next()?.parse().ok()?))
        })
    }

    /// Cumulative `(upper bound, count)` of histogram `name`.
    pub fn buckets(&self, name: &str) -> Vec<(f64, f64)> {
        let bucket = format!("{name}_bucket");
        let mut out: Vec<(f64, f64)> = self
            .samples(&bucket)
            .filter_map(|(labels, count)| {
                let le = labels.split("le=\"").nth(1)?.split('"').next()?;
                let bound = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                };
                Some((bound, count))
            })
            .collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        out
    }
}

/// The `q` quantile's bucket bound from the difference of two cumulative histograms.
pub fn bucket_quantile(before: &[(f64, f64)], after: &[(f64, f64)], q: f64) -> Option<f64> {
    let count = |buckets: &[(f64, f64)], bound: f64| {
        buckets
            .iter()
            .find(|(b, _)| *b == bound)
            .map_or(0.0, |(_, c)| *c)
    };
    let total = after.last()?.1 - before.last().map_or(0.0, |(_, c)| *c);
    if total <= 0.0 {
        return None;
    }
    after
        .iter()
        .find(|(bound, cumulative)| cumulative - count(before, *bound) >= q * total)
        .map(|(bound, _)| *bound)
}

/// The human-readable table: one row per phase.
pub fn table(report: &Report) -> String {
    use std::fmt::Write as _;
    let s = &report.setup;
    let mb =
        |bytes: Option<u64>| bytes.map_or("-".into(), |b| format!("{:.0}", b as f64 / 1048576.0));
    let opt = |v: Option<f64>, digits: usize| v.map_or("-".into(), |v| format!("{v:.digits$}"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>6} {:>5} {:>7} {:>8} {:>7} {:>9} {:>5} {:>9} {:>7} {:>7} {:>7} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>7} {:>5} {:>13} {:>6}",
        "conns", "rules", "rate", "events", "ev/s", "deliv", "d/ev", "deliv/s", "p50 ms", "p99 ms",
        "max ms", "srv%", "usr%", "sys%", "cli%", "oth%", "srvus", "clius", "RSS0MB", "RSS1MB", "KB/c", "miss/dup/unx", "thrott",
    );
    for p in &report.phases {
        let v = &p.verdict;
        let _ = writeln!(
            out,
            "{:>6} {:>5} {:>7} {:>8} {:>7.0} {:>9} {:>5.1} {:>9.0} {:>7.2} {:>7.2} {:>7.2} {:>6} {:>6} {:>6} {:>6.0} {:>6} {:>6} {:>6.1} {:>6} {:>7} {:>5} {:>13} {:>6}",
            s.connections,
            s.rules,
            if p.rate > 0.0 { format!("{:.0}", p.rate) } else { "max".into() },
            p.events,
            p.events_per_second,
            p.deliveries,
            p.deliveries_per_event,
            p.deliveries_per_second,
            p.latency_ms.p50,
            p.latency_ms.p99,
            p.latency_ms.max,
            opt(p.server_cpu_percent, 0),
            opt(p.server_user_percent, 0),
            opt(p.server_system_percent, 0),
            p.client_cpu_percent,
            opt(p.other_cpu_percent, 0),
            opt(p.server_us_per_delivery, 1),
            p.client_us_per_delivery,
            mb(s.rss_before),
            mb(s.rss_connected),
            opt(s.rss_per_connection.map(|b| b / 1024.0), 1),
            format!("{}/{}/{}", v.missing, v.duplicate, v.unexpected),
            p.throttled_429 + p.throttled_503,
        );
    }
    out
}

/// The lines under the table: setup, checks beyond missing/duplicate/unexpected, server side.
pub fn notes(report: &Report) -> String {
    use std::fmt::Write as _;
    let s = &report.setup;
    let mut out = String::from(
        "(srv/usr/sys/cli/oth %: CPU of the server, its user and system parts, this bench, every \
         other process, % of one core; srvus/clius: CPU µs per delivery; RSS0/RSS1: server before \
         connecting and after subscribing; KB/c: RSS per connection)\n",
    );
    let _ = writeln!(
        out,
        "setup: {} connections x {} rules ({} groups, seed {}) connected and subscribed in {:.1} s, server CPU {} s",
        s.connections,
        s.rules,
        s.groups,
        s.seed,
        s.connect_seconds,
        s.server_cpu_seconds.map_or("-".into(), |c| format!("{c:.1}")),
    );
    for p in &report.phases {
        let v = &p.verdict;
        let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}"));
        let _ = writeln!(
            out,
            "rate {}: expected {} received {}, wrong Rules {}, corrupt {}, lost connections {}, strange frames {}, drained {}; \
             server: match {:.1} us/event ({} % of its CPU), publish-to-send p50 <= {} ms p99 <= {} ms, drops {}, slow consumers {}; \
             latency p90 {:.2} ms; {} requests; RSS at end {} MB",
            if p.rate > 0.0 { format!("{:.0}", p.rate) } else { "max".into() },
            v.expected,
            v.received,
            v.wrong_rules,
            v.corrupt,
            p.lost_connections,
            p.strange_frames,
            p.drained,
            p.server.match_us_per_event,
            p.server.match_share_percent.map_or("-".into(), |s| format!("{s:.1}")),
            ms(p.server.publish_to_send_p50_ms),
            ms(p.server.publish_to_send_p99_ms),
            p.server.drops,
            p.server.slow_consumer_disconnects,
            p.latency_ms.p90,
            p.requests,
            p.rss_end.map_or("-".into(), |b| format!("{:.0}", b as f64 / 1048576.0)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_and_quantiles_are_read() {
        let before = Scrape(
            "x_bucket{le=\"0.001\"} 1\nx_bucket{le=\"0.01\"} 2\nx_bucket{le=\"+Inf\"} 2\n".into(),
        );
        let after = Scrape(
            "# HELP y\ny_total 5\nx_bucket{le=\"0.001\"} 51\nx_bucket{le=\"0.01\"} 101\nx_bucket{le=\"+Inf\"} 102\nd_total{reason=\"a\"} 2\nd_total{reason=\"b\"} 3\n"
                .into(),
        );
        assert_eq!(after.value("y_total"), 5.0);
        assert_eq!(after.value("d_total"), 5.0);
        let (b, a) = (before.buckets("x"), after.buckets("x"));
        assert_eq!(bucket_quantile(&b, &a, 0.5), Some(0.001));
        assert_eq!(bucket_quantile(&b, &a, 0.99), Some(0.01));
        assert_eq!(bucket_quantile(&b, &a, 1.0), Some(f64::INFINITY));
        let mut latencies = [5000, 1000, 3000, 2000, 4000];
        let l = Latency::of(&mut latencies);
        assert_eq!((l.p50, l.max), (3.0, 5.0));
    }
}
