//! `evmatch-bus bench`: a load benchmark of a bus over loopback. It starts the server as a child
//! process (or targets `--server`), opens N WebSocket connections that subscribe R rules each,
//! publishes at a set rate through `POST /events/raw`, checks every delivery against an
//! [`evmatch::Matcher`] holding everyone's rules, and reports deliveries/s, publish-to-receive
//! latency and the server's CPU and memory.
//!
//! - `workload`: the rules and events, a pure function of the seed;
//! - `process`: the server child and `/proc` readings;
//! - `load`: the connections and their reader tasks;
//! - `publish`: the paced publisher;
//! - `check`: expected deliveries against received ones;
//! - `report`: the table and `--json`.

mod check;
mod load;
mod process;
mod publish;
mod report;
mod workload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use process::CpuTime;
use report::{Phase, Report, Scrape, Setup};

/// Options of `evmatch-bus bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// WebSocket connections (subscribers) to open.
    #[arg(long, default_value_t = 1000)]
    pub connections: usize,
    /// Rules each connection subscribes: user, group, score-or-tag, then more score ranges.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=6))]
    pub rules: u8,
    /// Target events/s; one publish phase per value (comma-separated), over the same
    /// connections. 0: as fast as the bus accepts.
    #[arg(long, value_delimiter = ',', default_value = "2000")]
    pub rate: Vec<f64>,
    /// Seconds each phase publishes.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Events per publish request.
    #[arg(long, default_value_t = 20)]
    pub batch: usize,
    /// Publish requests in flight at most.
    #[arg(long, default_value_t = 2)]
    pub publishers: usize,
    /// Seed of the rules and events.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Distinct `group` values (default: connections / 25: a group rule matches for 25
    /// connections).
    #[arg(long)]
    pub groups: Option<u64>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Connections being set up at once.
    #[arg(long, default_value_t = 200)]
    pub connect_concurrency: usize,
    /// Seconds to wait, after a phase, for deliveries still on their way.
    #[arg(long, default_value_t = 15.0)]
    pub drain_timeout: f64,
    /// Target a running bus at this address instead of starting one (127.0.0.1 only).
    #[arg(long)]
    pub server: Option<SocketAddr>,
    /// The running bus's publish key (with --server).
    #[arg(long, requires = "server")]
    pub publish_key: Option<String>,
    /// The running bus's API key (with --server; default: that of the default options).
    #[arg(long, requires = "server")]
    pub api_key: Option<String>,
    /// The running bus's process id, for its CPU and memory (with --server).
    #[arg(long, requires = "server")]
    pub server_pid: Option<u32>,
    /// An option for the server the bench starts, repeatable:
    /// `--server-arg=--max-queue-bytes=4194304`.
    #[arg(long, allow_hyphen_values = true)]
    pub server_arg: Vec<String>,
}

/// How often the drain looks at the received count.
const DRAIN_POLL: Duration = Duration::from_millis(2);

/// Runs the bench; the exit code says whether every check passed.
pub async fn run(args: BenchArgs) -> ExitCode {
    match bench(&args).await {
        Ok(report) => {
            print!("{}", report::table(&report));
            print!("{}", report::notes(&report));
            if let Some(path) = &args.json {
                let json = serde_json::to_string_pretty(&report).expect("a report serialises");
                if let Err(error) = std::fs::write(path, json + "\n") {
                    eprintln!("evmatch-bus bench: writing {}: {error}", path.display());
                    return ExitCode::FAILURE;
                }
            }
            let ok = report.phases.iter().all(|p| {
                p.verdict.clean() && p.drained && p.lost_connections == 0 && p.strange_frames == 0
            });
            if ok {
                ExitCode::SUCCESS
            } else {
                eprintln!("evmatch-bus bench: the check found differences (see above)");
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("evmatch-bus bench: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn bench(args: &BenchArgs) -> Result<Report, String> {
    let clock = Instant::now();
    let workload = Arc::new(workload::Workload::new(
        args.connections,
        usize::from(args.rules),
        args.seed,
        args.groups,
    ));
    check_open_files(args.connections)?;
    // The server: started here (killed when `_child` drops, errors included) or given.
    let (target, publish_key, pid, _child) = match args.server {
        Some(addr) => {
            if !addr.ip().is_loopback() {
                return Err("--server must be a loopback address".into());
            }
            let key = args
                .publish_key
                .clone()
                .ok_or("--server needs --publish-key")?;
            let api_key = args
                .api_key
                .clone()
                .unwrap_or_else(|| default_api_key().into());
            (load::Target { addr, api_key }, key, args.server_pid, None)
        }
        None => {
            let key = uuid::Uuid::new_v4().simple().to_string();
            let child = process::ServerChild::spawn(&key, &server_args(args))?;
            let target = load::Target {
                addr: child.addr,
                api_key: child.api_key.clone(),
            };
            let pid = Some(child.pid());
            (target, key, pid, Some(child))
        }
    };
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(publish::REQUEST_TIMEOUT)
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let base = format!("http://{}", target.addr);
    let scrape = || async {
        let text = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .map_err(|e| format!("/metrics: {e}"))?
            .text()
            .await
            .map_err(|e| format!("/metrics: {e}"))?;
        Ok::<_, String>(Scrape(text))
    };
    scrape().await?; // the server answers
    let reference = check::reference(&workload)?;

    // Connect and subscribe.
    let rss = |pid: Option<u32>| pid.and_then(process::rss_bytes);
    let cpu = |pid: Option<u32>| pid.and_then(|pid| CpuTime::of(Some(pid)));
    let mut setup = Setup {
        connections: workload.connections,
        rules: workload.rules,
        groups: workload.groups,
        seed: args.seed,
        rss_before: rss(pid),
        ..Setup::default()
    };
    let cpu_before = cpu(pid);
    let started = Instant::now();
    eprintln!(
        "bench: connecting {} x {} rules to {}",
        workload.connections, workload.rules, target.addr
    );
    let fleet = load::connect_all(&target, &workload, args.connect_concurrency, clock).await?;
    setup.connect_seconds = started.elapsed().as_secs_f64();
    setup.server_cpu_seconds = cpu(pid)
        .zip(cpu_before)
        .map(|(after, before)| after.since(before).total());
    tokio::time::sleep(Duration::from_millis(500)).await; // let the allocator settle
    setup.rss_connected = rss(pid);
    setup.rss_per_connection = setup
        .rss_connected
        .zip(setup.rss_before)
        .map(|(after, before)| (after as f64 - before as f64) / workload.connections.max(1) as f64);

    let publisher = publish::Publisher {
        http: http.clone(),
        url: format!("{base}/events/raw"),
        key: publish_key,
    };
    let mut report = Report {
        setup,
        phases: Vec::new(),
    };
    let mut first = 0u64;
    for &rate in &args.rate {
        eprintln!(
            "bench: publishing {} events/s for {} s",
            if rate > 0.0 {
                rate.to_string()
            } else {
                "max".into()
            },
            args.duration
        );
        let before = scrape().await?;
        let received_before = fleet.received.load(Ordering::Relaxed);
        let (server_before, client_before) = (cpu(pid), CpuTime::of(None));
        let machine_before = process::machine_busy();
        let duration = Duration::try_from_secs_f64(args.duration).unwrap_or(Duration::ZERO);
        let published = publisher
            .run(
                &workload,
                first,
                rate,
                args.batch,
                args.publishers,
                duration,
                clock,
            )
            .await?;
        // Every publish was answered, so the server has counted every delivery it queued.
        let after_publish = scrape().await?;
        let queued = after_publish.value(DELIVERIES) - before.value(DELIVERIES);
        let drain_deadline = Instant::now() + Duration::from_secs_f64(args.drain_timeout.max(0.0));
        let mut drained = false;
        while Instant::now() < drain_deadline {
            let arrived = fleet.received.load(Ordering::Relaxed) - received_before;
            if arrived as f64 >= queued {
                drained = true;
                break;
            }
            tokio::time::sleep(DRAIN_POLL).await;
        }
        let end_ns = clock.elapsed().as_nanos() as u64;
        let (server_after, client_after) = (cpu(pid), CpuTime::of(None));
        let machine = process::machine_busy()
            .zip(machine_before)
            .map(|(after, before)| after - before);
        let after = scrape().await?;
        let mut received: Vec<Vec<load::Record>> = fleet.conns.iter().map(|c| c.drain()).collect();
        let mut latencies: Vec<u32> = received.iter().flatten().map(|r| r.latency_us).collect();
        let verdict = check::check(&workload, &reference, first, &published.t_ns, &mut received)?;
        drop(received);
        let mut phase = phase_report(PhaseInput {
            rate,
            batch: args.batch,
            published: &published,
            verdict,
            latencies: &mut latencies,
            last_ns: fleet.last_ns.load(Ordering::Relaxed).max(published.end_ns),
            end_ns,
            server_cpu: server_after.zip(server_before).map(|(a, b)| a.since(b)),
            client_cpu: client_after
                .zip(client_before)
                .map_or(0.0, |(a, b)| a.since(b).total()),
            machine_cpu: machine,
            rss_end: rss(pid),
            before: &before,
            after: &after,
            drained,
        });
        phase.lost_connections = fleet
            .conns
            .iter()
            .map(|c| c.lost.load(Ordering::Relaxed))
            .sum();
        phase.strange_frames = fleet
            .conns
            .iter()
            .map(|c| c.strange.load(Ordering::Relaxed))
            .sum();
        first += published.t_ns.len() as u64;
        report.phases.push(phase);
    }
    drop(fleet);
    Ok(report)
}

const DELIVERIES: &str = "evmatch_bus_deliveries_total";

/// What [`phase_report`] needs.
struct PhaseInput<'a> {
    rate: f64,
    batch: usize,
    published: &'a publish::Published,
    verdict: check::Verdict,
    latencies: &'a mut [u32],
    /// The latest delivery, and the end of the drain (ns on the bench clock).
    last_ns: u64,
    end_ns: u64,
    server_cpu: Option<CpuTime>,
    client_cpu: f64,
    /// Busy CPU seconds of the whole machine over the phase.
    machine_cpu: Option<f64>,
    rss_end: Option<u64>,
    before: &'a Scrape,
    after: &'a Scrape,
    drained: bool,
}

fn phase_report(input: PhaseInput) -> Phase {
    let p = input.published;
    let (before, after) = (input.before, input.after);
    let delta = |name: &str| after.value(name) - before.value(name);
    let events = p.t_ns.len() as u64;
    let deliveries = input.verdict.received;
    let seconds = |from: u64, to: u64| (to.saturating_sub(from) as f64 / 1e9).max(1e-9);
    let window = seconds(p.start_ns, input.end_ns);
    let percent = |cpu: f64| 100.0 * cpu / window;
    let matches = delta("evmatch_bus_match_seconds_count");
    let match_seconds = delta("evmatch_bus_match_seconds_sum");
    let (send_before, send_after) = (
        before.buckets("evmatch_bus_publish_to_send_seconds"),
        after.buckets("evmatch_bus_publish_to_send_seconds"),
    );
    let send_ms = |q| report::bucket_quantile(&send_before, &send_after, q).map(|s| s * 1000.0);
    Phase {
        rate: input.rate,
        batch: input.batch,
        seconds: seconds(p.start_ns, p.end_ns),
        events,
        events_per_second: events as f64 / seconds(p.start_ns, p.end_ns),
        deliveries,
        deliveries_per_event: deliveries as f64 / events.max(1) as f64,
        deliveries_per_second: deliveries as f64 / seconds(p.start_ns, input.last_ns),
        latency_ms: report::Latency::of(input.latencies),
        server_cpu_percent: input.server_cpu.map(|c| percent(c.total())),
        server_user_percent: input.server_cpu.map(|c| percent(c.user)),
        server_system_percent: input.server_cpu.map(|c| percent(c.system)),
        client_cpu_percent: percent(input.client_cpu),
        server_us_per_delivery: input
            .server_cpu
            .map(|c| c.total() * 1e6 / deliveries.max(1) as f64),
        client_us_per_delivery: input.client_cpu * 1e6 / deliveries.max(1) as f64,
        other_cpu_percent: input.machine_cpu.map(|busy| {
            let server = input.server_cpu.map_or(0.0, CpuTime::total);
            percent((busy - server - input.client_cpu).max(0.0))
        }),
        rss_end: input.rss_end,
        requests: p.requests,
        throttled_429: p.throttled_429,
        throttled_503: p.throttled_503,
        verdict: input.verdict,
        lost_connections: 0,
        strange_frames: 0,
        drained: input.drained,
        server: report::ServerSide {
            events_published: delta("evmatch_bus_events_published_total"),
            deliveries: delta(DELIVERIES),
            match_us_per_event: if matches > 0.0 {
                match_seconds / matches * 1e6
            } else {
                0.0
            },
            match_share_percent: input
                .server_cpu
                .filter(|c| c.total() > 0.0)
                .map(|c| 100.0 * match_seconds / c.total()),
            publish_to_send_p50_ms: send_ms(0.5),
            publish_to_send_p99_ms: send_ms(0.99),
            drops: delta("evmatch_bus_drops_total"),
            slow_consumer_disconnects: delta("evmatch_bus_slow_consumer_disconnects_total"),
        },
    }
}

/// Options for the server the bench starts: room for every connection and rule, and no
/// timeout that would close a connection during a run.
fn server_args(args: &BenchArgs) -> Vec<String> {
    let mut out: Vec<String> = [
        "--max-connections".to_owned(),
        (args.connections + 1000).max(50_000).to_string(),
        "--max-rules".into(),
        usize::from(args.rules).max(100).to_string(),
        "--hello-timeout".into(),
        "600".into(),
        "--keepalive".into(),
        "3600".into(),
        "--idle-timeout".into(),
        "86400".into(),
        "--max-lifetime".into(),
        "86400".into(),
    ]
    .into();
    out.extend(args.server_arg.iter().cloned());
    out
}

/// The API key of a bus run with the default `--app-version-id` and `--deployment-id`.
fn default_api_key() -> &'static str {
    // base64("dev:evmatch-local")
    "ZGV2OmV2bWF0Y2gtbG9jYWw="
}

/// Raises this process's open-files limit to its hard limit, and says so when that is still
/// too few for `connections` sockets.
fn check_open_files(connections: usize) -> Result<(), String> {
    let limit = raise_open_files_limit();
    let needed = connections as u64 + 200;
    match limit {
        Some(limit) if limit < needed => Err(format!(
            "{connections} connections need about {needed} open files; the limit is {limit} \
             (raise it first, e.g. `ulimit -n {needed}`, as root if the hard limit is lower)"
        )),
        _ => Ok(()),
    }
}

/// Sets the soft open-files limit to the hard one; returns the limit now in force.
pub fn raise_open_files_limit() -> Option<u64> {
    rlimit::increase_nofile_limit(u64::MAX).ok()
}

#[cfg(test)]
mod tests {
    use super::default_api_key;
    use base64::Engine;

    #[test]
    fn the_default_api_key_is_that_of_the_default_options() {
        let plain = base64::engine::general_purpose::STANDARD
            .decode(default_api_key())
            .unwrap();
        assert_eq!(plain, b"dev:evmatch-local");
    }
}
