//! `evmatch-bus`: run one bus node; `evmatch-bus bench`: load-test one.

mod bench;

use clap::{Parser, Subcommand};
use evmatch_bus::{Config, Server};

/// An event bus over WebSocket: subscribe with AWS EventBridge patterns, receive what matches.
#[derive(Parser)]
#[command(name = "evmatch-bus", version, about)]
struct Cli {
    /// Without a command: serve.
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Subcommand)]
enum Command {
    /// Load benchmark: start a bus, open N WebSocket connections with R rules each over
    /// loopback, publish at a set rate, check every delivery, and report deliveries/s, latency
    /// and the server's CPU and memory.
    Bench(bench::BenchArgs),
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "evmatch_bus=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("building the tokio runtime");
    match cli.command {
        Some(Command::Bench(args)) => runtime.block_on(bench::run(args)),
        None => runtime.block_on(serve(cli.config)),
    }
}

async fn serve(config: Config) -> std::process::ExitCode {
    // Every connection is a file: allow as many as the hard limit does (harmless when lower).
    if bench::raise_open_files_limit().is_none() {
        tracing::warn!("could not raise the open-files limit");
    }
    let server = match Server::bind(config.clone()).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("evmatch-bus: cannot start on {}: {error}", config.listen);
            return std::process::ExitCode::FAILURE;
        }
    };
    print_urls(&server, &config);
    match server.run(shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("evmatch-bus: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// What a user needs to connect and publish; the first line is what scripts read. Written
/// once, and a closed stdout is no reason to stop serving.
fn print_urls(server: &Server, config: &Config) {
    use base64::Engine;
    use std::fmt::Write as _;
    let address = server.local_addr();
    let host = config
        .public_host
        .clone()
        .unwrap_or_else(|| address.ip().to_string());
    let header = serde_json::json!({"Host": host, "ApiKey": server.api_key(), "Id": uuid::Uuid::new_v4().to_string()});
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header.to_string());
    let mut text = String::new();
    let _ = writeln!(text, "evmatch-bus listening on http://{address}");
    let _ = writeln!(
        text,
        "  websocket   ws://{address}/ws?header=<base64 of {{\"Host\", \"ApiKey\", \"Id\"}}>"
    );
    let _ = writeln!(text, "  api key     {}", server.api_key());
    let _ = writeln!(text, "  try         ws://{address}/ws?header={header}");
    let _ = writeln!(
        text,
        "  publish     POST http://{address}/events  (PutEvents; or /events/raw, JSON Lines)"
    );
    let _ = writeln!(
        text,
        "  publish key {}  (Authorization: Bearer <key>; also for /@connections)",
        server.publish_key()
    );
    let _ = writeln!(
        text,
        "  metrics     http://{address}/metrics   health http://{address}/healthz"
    );
    match &config.nats {
        Some(nats) => {
            let _ = writeln!(
                text,
                "  node        {} on {nats} (stream {})",
                config.node_id, config.nats_stream
            );
        }
        None => {
            let _ = writeln!(text, "  node        {} alone, in memory", config.node_id);
        }
    }
    match server.static_root() {
        Some(_) => {
            let key = url_encode(server.api_key());
            let _ = writeln!(
                text,
                "  demo        http://{address}/demo/?bus=1&apiKey={key}"
            );
        }
        None => {
            let _ = writeln!(
                text,
                "  demo        (not served: no wasm/demo directory; see --static-root)"
            );
        }
    }
    let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
}

/// Percent-encodes everything but unreserved characters.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
