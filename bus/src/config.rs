//! The server's options: every one a command-line flag with an environment-variable twin.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// How a node is run. Defaults are API Gateway's WebSocket limits where it has one.
#[derive(Args, Clone, Debug)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port; the chosen one is printed).
    #[arg(long, env = "EVMATCH_BUS_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// The deployment (stack) identifier: the second part of the API key.
    #[arg(
        long,
        env = "EVMATCH_BUS_DEPLOYMENT_ID",
        default_value = "evmatch-local"
    )]
    pub deployment_id: String,

    /// The app version identifier: the first part of the API key.
    #[arg(long, env = "EVMATCH_BUS_APP_VERSION_ID", default_value = "dev")]
    pub app_version_id: String,

    /// Relaxed access: the API key is base64 of the deployment id alone, and Host is not checked.
    #[arg(long, env = "EVMATCH_BUS_DEV_MODE")]
    pub dev_mode: bool,

    /// Bearer token for publishing and for `@connections` (default: a random one, printed).
    #[arg(long, env = "EVMATCH_BUS_PUBLISH_KEY", hide_env_values = true)]
    pub publish_key: Option<String>,

    /// Seconds a new connection has to send Hello before it is closed.
    #[arg(
        long = "hello-timeout",
        value_name = "SECONDS",
        env = "EVMATCH_BUS_HELLO_TIMEOUT",
        default_value_t = 10.0
    )]
    pub hello_timeout_secs: f64,

    /// Seconds between KeepAlive notifications.
    #[arg(
        long = "keepalive",
        value_name = "SECONDS",
        env = "EVMATCH_BUS_KEEPALIVE",
        default_value_t = 60.0
    )]
    pub keepalive_secs: f64,

    /// The Host clients must name in their header (default: the request's Host without its port).
    #[arg(long, env = "EVMATCH_BUS_PUBLIC_HOST")]
    pub public_host: Option<String>,

    /// Seconds without a frame from the client before its connection is closed.
    #[arg(
        long = "idle-timeout",
        value_name = "SECONDS",
        env = "EVMATCH_BUS_IDLE_TIMEOUT",
        default_value_t = 600.0
    )]
    pub idle_timeout_secs: f64,

    /// Seconds after which any connection is closed.
    #[arg(
        long = "max-lifetime",
        value_name = "SECONDS",
        env = "EVMATCH_BUS_MAX_LIFETIME",
        default_value_t = 7200.0
    )]
    pub max_lifetime_secs: f64,

    /// Largest frame a client may send, and largest `@connections` message.
    #[arg(long, env = "EVMATCH_BUS_MAX_MESSAGE_BYTES", default_value_t = 128 * 1024)]
    pub max_message_bytes: usize,

    /// Subscription rules per connection.
    #[arg(long, env = "EVMATCH_BUS_MAX_RULES", default_value_t = 100)]
    pub max_rules: usize,

    /// Largest pattern, in bytes.
    #[arg(long, env = "EVMATCH_BUS_MAX_PATTERN_BYTES", default_value_t = 4096)]
    pub max_pattern_bytes: usize,

    /// Bytes waiting for one connection before it is closed as a slow consumer.
    #[arg(long, env = "EVMATCH_BUS_MAX_QUEUE_BYTES", default_value_t = 1 << 20)]
    pub max_queue_bytes: usize,

    /// Bytes waiting for all connections together before publishes are refused (503).
    #[arg(long, env = "EVMATCH_BUS_MAX_PENDING_BYTES", default_value_t = 256 << 20)]
    pub max_pending_bytes: usize,

    /// Open connections before upgrades are refused (503).
    #[arg(long, env = "EVMATCH_BUS_MAX_CONNECTIONS", default_value_t = 50_000)]
    pub max_connections: usize,

    /// Publish requests handled at once before more are refused (429).
    #[arg(
        long,
        env = "EVMATCH_BUS_MAX_CONCURRENT_PUBLISHES",
        default_value_t = 64
    )]
    pub max_concurrent_publishes: usize,

    /// Largest body of `POST /events/raw`.
    #[arg(long, env = "EVMATCH_BUS_MAX_RAW_BODY_BYTES", default_value_t = 16 << 20)]
    pub max_raw_body_bytes: usize,

    /// The `account` of events built from PutEvents entries.
    #[arg(long, env = "EVMATCH_BUS_ACCOUNT", default_value = "000000000000")]
    pub account: String,

    /// The `region` of events built from PutEvents entries.
    #[arg(long, env = "EVMATCH_BUS_REGION", default_value = "us-east-1")]
    pub region: String,

    /// NATS server to share events with other nodes through JetStream (`nats://host:port`);
    /// without it the node runs alone, in memory.
    #[arg(long, env = "EVMATCH_BUS_NATS")]
    pub nats: Option<String>,

    /// This node's name: it prefixes the ids of its connections (letters, digits, `-`, `_`).
    #[arg(long, env = "EVMATCH_BUS_NODE_ID", default_value_t = random_node_id(), value_parser = node_id)]
    pub node_id: String,

    /// The JetStream stream that holds published events (created if missing).
    #[arg(
        long,
        env = "EVMATCH_BUS_NATS_STREAM",
        default_value = "EVMATCH_EVENTS"
    )]
    pub nats_stream: String,

    /// The subject events are published on.
    #[arg(
        long,
        env = "EVMATCH_BUS_NATS_SUBJECT",
        default_value = "evmatch.events"
    )]
    pub nats_subject: String,

    /// How long the stream keeps events (the window in which a client can resume).
    #[arg(
        long = "stream-max-age",
        value_name = "SECONDS",
        env = "EVMATCH_BUS_STREAM_MAX_AGE",
        default_value_t = 3600.0
    )]
    pub stream_max_age_secs: f64,

    /// How many bytes the stream keeps at most (oldest events are dropped first).
    #[arg(long, env = "EVMATCH_BUS_STREAM_MAX_BYTES", default_value_t = 1 << 30)]
    pub stream_max_bytes: u64,

    /// Without NATS: how many recent events are kept for clients that resume.
    #[arg(long, env = "EVMATCH_BUS_HISTORY_EVENTS", default_value_t = 100_000)]
    pub history_events: usize,

    /// Without NATS: how long recent events are kept for clients that resume.
    #[arg(
        long = "history-age",
        value_name = "SECONDS",
        env = "EVMATCH_BUS_HISTORY_AGE",
        default_value_t = 600.0
    )]
    pub history_age_secs: f64,

    /// With NATS: stored events not yet dispatched by this node past which `/healthz` reports it
    /// as lagging (503).
    #[arg(long, env = "EVMATCH_BUS_MAX_LAG", default_value_t = 10_000)]
    pub max_lag: u64,

    /// Directory served under `/demo/`, `/pkg/` and `/client/` (the repository's `wasm/demo`,
    /// `wasm/pkg` and `bus/client/dist` when run from a checkout).
    #[arg(long, env = "EVMATCH_BUS_STATIC_ROOT")]
    pub static_root: Option<PathBuf>,
}

impl Default for Config {
    /// The defaults of every flag, ignoring the environment.
    fn default() -> Config {
        use clap::{CommandFactory, FromArgMatches, Parser};
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        // Environment twins are dropped so that embedding and tests see the documented defaults.
        let command = Wrapper::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = command.get_matches_from(["evmatch-bus"]);
        Wrapper::from_arg_matches(&matches)
            .expect("the defaults parse")
            .config
    }
}

impl Config {
    pub(crate) fn hello_timeout(&self) -> Duration {
        seconds(self.hello_timeout_secs)
    }

    pub(crate) fn keepalive(&self) -> Duration {
        seconds(self.keepalive_secs)
    }

    pub(crate) fn idle_timeout(&self) -> Duration {
        seconds(self.idle_timeout_secs)
    }

    pub(crate) fn max_lifetime(&self) -> Duration {
        seconds(self.max_lifetime_secs)
    }

    pub(crate) fn stream_max_age(&self) -> Duration {
        seconds(self.stream_max_age_secs)
    }

    pub(crate) fn history_age(&self) -> Duration {
        seconds(self.history_age_secs)
    }
}

/// A fresh node name: `n` and 8 hex digits.
fn random_node_id() -> String {
    format!("n{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// A node id is a NATS subject token and part of connection ids in URLs.
fn node_id(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(text.to_owned())
    } else {
        Err("a node id is 1 to 64 letters, digits, '-' or '_'".to_owned())
    }
}

/// A duration from a flag's seconds; nonsense (negative, NaN) is clamped rather than panicking,
/// and a huge value means "practically never".
fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value.max(0.001)).unwrap_or(Duration::from_secs(100 * 365 * 86_400))
}
