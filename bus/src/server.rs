//! The HTTP side: the routes, the WebSocket upgrade (where clients are authenticated), health,
//! metrics, the demo's static files, and a graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::services::ServeDir;

use crate::cluster::Cluster;
use crate::connection::{self, Identity};
use crate::hub::Hub;
use crate::{management, metrics, publish, Config};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub hub: Arc<Hub>,
    /// Publish requests allowed in flight at once.
    pub publish_slots: Arc<Semaphore>,
}

/// A bus node bound to its address, ready to [`run`](Server::run).
///
/// ```no_run
/// # async fn example() -> std::io::Result<()> {
/// let mut config = evmatch_bus::Config::default();
/// config.listen = "127.0.0.1:0".parse().unwrap();
/// let server = evmatch_bus::Server::bind(config).await?;
/// println!("listening on {}", server.local_addr());
/// server.run(async { let _ = tokio::signal::ctrl_c().await; }).await
/// # }
/// ```
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

/// How long a shutdown waits for connections to finish their close handshakes.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl Server {
    /// Binds `config.listen`. Without a publish key, a random one is made (see
    /// [`Server::publish_key`]).
    pub async fn bind(config: Config) -> std::io::Result<Server> {
        let listener = TcpListener::bind(config.listen).await?;
        let publish_key = config
            .publish_key
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        let publish_slots = Arc::new(Semaphore::new(config.max_concurrent_publishes.max(1)));
        let cluster = match &config.nats {
            Some(url) => Some(Arc::new(
                Cluster::connect(&config, url)
                    .await
                    .map_err(std::io::Error::other)?,
            )),
            None => None,
        };
        let hub = Arc::new(Hub::new(config, publish_key, cluster.clone()));
        if let Some(cluster) = cluster {
            follow(&hub, cluster).await?;
        }
        Ok(Server {
            listener,
            state: AppState { hub, publish_slots },
        })
    }

    /// The address actually bound (the port chosen when `listen` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The bearer key for publishing and `@connections`.
    pub fn publish_key(&self) -> &str {
        &self.state.hub.publish_key
    }

    /// The API key clients put in their header.
    pub fn api_key(&self) -> &str {
        &self.state.hub.api_key
    }

    /// Where the demo page's files are served from, if anywhere.
    pub fn static_root(&self) -> Option<PathBuf> {
        static_root(&self.state.hub.config)
    }

    /// Serves until `shutdown` resolves; then asks every connection to close after its queued
    /// messages (close code 1001) and waits for them (at most 10 s), still answering HTTP
    /// (`/healthz` 503, publishes and upgrades refused); then stops accepting.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let hub = Arc::clone(&self.state.hub);
        let router = router(self.state);
        let stop = async move {
            shutdown.await;
            tracing::info!("shutting down: closing connections");
            hub.shut_down();
            // Still listening, so a load balancer sees the 503 while the sockets drain.
            let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
            while hub.connection_count() > 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        // Small messages both ways (actions, acks, notifications): no Nagle delay.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "TCP_NODELAY");
            }
        });
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await
    }
}

fn router(state: AppState) -> Router {
    let config = &state.hub.config;
    let mut router = Router::new()
        .route("/ws", get(upgrade))
        .route(
            "/events",
            post(publish::put_events).layer(DefaultBodyLimit::max(1 << 20)),
        )
        .route(
            "/events/raw",
            post(publish::put_raw).layer(DefaultBodyLimit::max(config.max_raw_body_bytes)),
        )
        .route("/@connections", get(management::list))
        .route(
            "/@connections/{id}",
            post(management::post)
                .get(management::get)
                .delete(management::delete)
                .layer(DefaultBodyLimit::max(config.max_message_bytes)),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/", get(index));
    if let Some(root) = static_root(config) {
        router = router
            .nest_service("/demo", ServeDir::new(root.join("wasm/demo")))
            .nest_service("/pkg", ServeDir::new(root.join("wasm/pkg")))
            .nest_service("/client", ServeDir::new(root.join("bus/client/dist")));
    }
    router.with_state(state)
}

/// Starts dispatching every event stored after the stream's current end, and answering
/// `@connections` calls forwarded from other nodes.
async fn follow(hub: &Arc<Hub>, cluster: Arc<Cluster>) -> std::io::Result<()> {
    let start = cluster
        .last_sequence()
        .await
        .map_err(std::io::Error::other)?;
    hub.with_dispatch_locked(|dispatched| dispatched.last = start);
    tracing::info!(node = %cluster.node_id, start, "following the event stream");
    let consumer = {
        let (hub, cluster) = (Arc::clone(hub), Arc::clone(&cluster));
        async move {
            cluster
                .consume(start, |stored| match stored.published() {
                    Some(published) => hub.dispatch(&published),
                    None => tracing::warn!("the stream holds an event that is not complete"),
                })
                .await;
        }
    };
    tokio::spawn(consumer);
    let hub = Arc::clone(hub);
    tokio::spawn(async move {
        cluster
            .serve_forwarded(|call| management::forwarded(&hub, call))
            .await;
    });
    Ok(())
}

/// `--static-root`, or the checkout this binary was built from when it is still there.
fn static_root(config: &Config) -> Option<PathBuf> {
    let root = config
        .static_root
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    root.join("wasm/demo").is_dir().then_some(root)
}

/// `GET /ws?header=...`: the client is checked before the socket exists.
async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let hub = &state.hub;
    let header_param = uri.query().and_then(|query| query_param(query, "header"));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let client_id =
        match crate::auth::check_header(&hub.config, &hub.api_key, header_param.as_deref(), host) {
            Ok(id) => id,
            Err(refusal) => {
                metrics::count(&hub.metrics.upgrades_refused, refusal.reason_label());
                return (refusal.status, refusal.reason).into_response();
            }
        };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    if hub.is_shutting_down() || hub.connection_count() >= hub.config.max_connections {
        metrics::count(&hub.metrics.upgrades_refused, "unavailable");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "the bus is not accepting connections now",
        )
            .into_response();
    }
    let identity = Identity {
        source_ip: peer.ip().to_string(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    };
    let limit = hub.config.max_message_bytes;
    let hub = Arc::clone(hub);
    upgrade
        // A small read buffer: most connections are idle most of the time, and memory per
        // connection is what limits how many one node holds. Writes gather up to 64 KiB before
        // a send (the writer flushes once per batch): one system call per batch, not per
        // notification, which cut the server's CPU per delivery by 15-25% in the bench; the
        // buffer only grows on connections that receive a batch.
        .read_buffer_size(4096)
        .write_buffer_size(64 * 1024)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| async move {
            let (connection, inbox) = hub.register(client_id, identity);
            tracing::debug!(id = %connection.id, "connection opened");
            connection::serve(socket, connection, inbox, hub).await;
        })
}

/// The value of `name` in a query string, percent-decoded. A `+` stays a `+`: base64 uses it,
/// and clients often leave it unescaped.
fn query_param(query: &str, name: &str) -> Option<String> {
    let value = query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?;
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `200` while serving; `503` while shutting down, without NATS, or lagging behind the stream.
async fn healthz(State(state): State<AppState>) -> Response {
    let hub = &state.hub;
    let last = hub.with_dispatch_locked(|dispatched| dispatched.last);
    let mut body = serde_json::json!({
        "connections": hub.connection_count(),
        "pendingBytes": hub.pending_bytes(),
        "lastSequence": last,
    });
    let mut problems = Vec::new();
    if hub.is_shutting_down() {
        problems.push("shutting down");
    }
    if let Some(cluster) = &hub.cluster {
        let (connected, lag) = (cluster.connected(), cluster.pending());
        body["nats"] = serde_json::json!({ "connected": connected, "consumerLag": lag, "node": cluster.node_id });
        if !connected {
            problems.push("NATS disconnected");
        }
        if lag > hub.config.max_lag {
            problems.push("lagging behind the event stream");
        }
    }
    body["status"] = match problems.as_slice() {
        [] => "ok".into(),
        _ => problems.join(", ").into(),
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let hub = &state.hub;
    let metrics = &hub.metrics;
    metrics.pending_bytes.set(hub.pending_bytes() as i64);
    let last = hub.with_dispatch_locked(|dispatched| dispatched.last);
    metrics
        .last_sequence
        .set(i64::try_from(last).unwrap_or(i64::MAX));
    if let Some(cluster) = &hub.cluster {
        metrics.nats_connected.set(i64::from(cluster.connected()));
        metrics
            .consumer_pending
            .set(i64::try_from(cluster.pending()).unwrap_or(i64::MAX));
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        hub.metrics.encode(),
    )
        .into_response()
}

async fn index() -> &'static str {
    "evmatch-bus: WebSocket at /ws?header=..., publish at POST /events and /events/raw, \
     @connections at /@connections/{id}, /healthz, /metrics, the demo at /demo/\n"
}

#[cfg(test)]
mod tests {
    use super::query_param;

    #[test]
    fn query_values_are_percent_decoded_and_plus_kept() {
        assert_eq!(
            query_param("a=1&header=ab%3D%3D", "header").as_deref(),
            Some("ab==")
        );
        assert_eq!(
            query_param("header=a+b/c==", "header").as_deref(),
            Some("a+b/c==")
        );
        assert_eq!(query_param("headers=x", "header"), None);
        assert_eq!(query_param("header=%zz", "header").as_deref(), Some("%zz"));
    }
}
