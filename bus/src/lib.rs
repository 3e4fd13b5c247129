//! An event bus over WebSocket, built on [`evmatch`]: clients connect, subscribe with named AWS
//! EventBridge patterns, and receive every published event that matches.
//!
//! Every subscription of every connection lives in one [`evmatch::SharedMatcher`]; a published
//! event is matched once, and the matched rule names say which connections receive it. The
//! protocol is LambdaSharp's App EventBus (Hello, Subscribe, Unsubscribe, Ack, Event,
//! KeepAlive); backends reach connections through API Gateway's `@connections` API. See the
//! crate's README for every route, message, limit and close code.
//!
//! The pipeline, one module each: `server` (routes, the upgrade and its `auth`entication) →
//! `connection` (one socket: read actions, write its `outbox`) → `hub` (the shared matcher and
//! the open connections) ← `publish` (PutEvents and JSON Lines) and `management`
//! (`@connections`); `protocol` holds the messages, `close` the close codes, `metrics` what
//! `/metrics` reports.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! let mut config = evmatch_bus::Config::default();
//! config.listen = "127.0.0.1:0".parse().unwrap();
//! config.publish_key = Some("secret".into());
//! let server = evmatch_bus::Server::bind(config).await?;
//! let address = server.local_addr();
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let running = tokio::spawn(server.run(async { let _ = stopped.await; }));
//! // ... clients connect to ws://{address}/ws?header=..., publishers POST to /events ...
//! # let _ = address;
//! stop.send(()).ok();
//! running.await.expect("the server task")?;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod auth;
mod close;
mod cluster;
mod config;
mod connection;
mod history;
mod hub;
mod management;
mod metrics;
mod outbox;
mod protocol;
mod publish;
mod resume;
mod server;
mod session;

pub use config::Config;
pub use server::Server;
