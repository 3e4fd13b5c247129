//! Many nodes on NATS JetStream (`--nats`): every published event is stored in one stream
//! before the publisher hears success, every node consumes the whole stream in order and
//! matches each event against its own connections, a reconnecting client's `Resume` is replayed
//! from the stream, and `@connections` calls travel to the node that holds the connection by
//! NATS request/reply.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// How long a publish waits for JetStream to confirm it stored the event.
const STORE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long an `@connections` call waits for the node that holds the connection.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

/// This node's link to the others.
pub struct Cluster {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    stream_name: String,
    subject: String,
    pub node_id: String,
    /// The stream sequence of the last event this node dispatched.
    dispatched: AtomicU64,
    /// Messages the stream holds that this node has not dispatched yet (JetStream's count).
    pending: AtomicU64,
}

/// An event as the stream delivered it.
pub struct Stored {
    pub sequence: u64,
    pub payload: Bytes,
}

/// Why an event was not stored.
#[derive(Debug)]
pub struct NotStored(pub String);

/// Why a replay cannot be served.
#[derive(Debug)]
pub enum ReplayError {
    /// The stream no longer holds the event after the requested sequence.
    Expired { oldest: u64 },
    /// JetStream could not be read.
    Unavailable(String),
}

/// An `@connections` call forwarded to another node.
#[derive(Serialize, Deserialize, Debug)]
pub struct Forwarded {
    pub method: String,
    pub id: String,
    /// The POST body, base64.
    pub body: Option<String>,
}

/// The answer to a forwarded call.
#[derive(Serialize, Deserialize, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Option<serde_json::Value>,
}

impl Cluster {
    /// Connects, and creates the stream if it is missing.
    pub async fn connect(config: &Config, url: &str) -> Result<Cluster, String> {
        let client = async_nats::ConnectOptions::new()
            .name(format!("evmatch-bus {}", config.node_id))
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5))
            .connect(url);
        let client = tokio::time::timeout(Duration::from_secs(10), client)
            .await
            .map_err(|_| format!("no NATS server answered at {url} within 10 s"))?
            .map_err(|error| format!("cannot connect to NATS at {url}: {error}"))?;
        let jetstream = jetstream::context::ContextBuilder::new()
            .timeout(STORE_TIMEOUT)
            .build(client.clone());
        let stream_config = stream::Config {
            name: config.nats_stream.clone(),
            subjects: vec![config.nats_subject.clone()],
            max_age: config.stream_max_age(),
            max_bytes: i64::try_from(config.stream_max_bytes).unwrap_or(i64::MAX),
            storage: stream::StorageType::File,
            ..Default::default()
        };
        // Two nodes starting together may both find the stream missing and both create it:
        // the one that loses finds it there when it looks again.
        if let Err(error) = jetstream.get_or_create_stream(stream_config).await {
            jetstream
                .get_stream(&config.nats_stream)
                .await
                .map_err(|_| {
                    format!(
                        "cannot create the JetStream stream {}: {error}",
                        config.nats_stream
                    )
                })?;
        }
        Ok(Cluster {
            client,
            jetstream,
            stream_name: config.nats_stream.clone(),
            subject: config.nats_subject.clone(),
            node_id: config.node_id.clone(),
            dispatched: AtomicU64::new(0),
            pending: AtomicU64::new(0),
        })
    }

    /// Whether the NATS connection is up now.
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Stores `event` in the stream; returns its sequence once JetStream has confirmed it.
    pub async fn store(&self, event: Bytes) -> Result<u64, NotStored> {
        // While disconnected the client would buffer the message and maybe store it later,
        // after the publisher was told it failed: refuse at once instead.
        if !self.connected() {
            return Err(NotStored("NATS is not connected".into()));
        }
        let ack = self
            .jetstream
            .publish(self.subject.clone(), event)
            .await
            .map_err(|error| NotStored(error.to_string()))?;
        let ack = tokio::time::timeout(STORE_TIMEOUT, ack)
            .await
            .map_err(|_| NotStored("JetStream did not confirm in time".into()))?
            .map_err(|error| NotStored(error.to_string()))?;
        Ok(ack.sequence)
    }

    /// Stores several events, pipelined: all are sent, then every confirmation is awaited.
    pub async fn store_many(&self, events: Vec<Bytes>) -> Vec<Result<u64, NotStored>> {
        if !self.connected() {
            return events
                .iter()
                .map(|_| Err(NotStored("NATS is not connected".into())))
                .collect();
        }
        let mut pending = Vec::with_capacity(events.len());
        for event in events {
            pending.push(self.jetstream.publish(self.subject.clone(), event).await);
        }
        let mut stored = Vec::with_capacity(pending.len());
        for ack in pending {
            stored.push(match ack {
                Ok(ack) => match tokio::time::timeout(STORE_TIMEOUT, ack).await {
                    Ok(Ok(ack)) => Ok(ack.sequence),
                    Ok(Err(error)) => Err(NotStored(error.to_string())),
                    Err(_) => Err(NotStored("JetStream did not confirm in time".into())),
                },
                Err(error) => Err(NotStored(error.to_string())),
            });
        }
        stored
    }

    /// The last sequence the stream holds.
    pub async fn last_sequence(&self) -> Result<u64, String> {
        let stream = self.stream().await?;
        let info = stream.get_info().await.map_err(|e| e.to_string())?;
        Ok(info.state.last_sequence)
    }

    async fn stream(&self) -> Result<stream::Stream, String> {
        self.jetstream
            .get_stream(&self.stream_name)
            .await
            .map_err(|error| error.to_string())
    }

    /// Delivers every event stored after `after`, in order, to `each`, forever; the consumer
    /// survives NATS restarts (an ordered consumer recreates itself where it left off).
    pub async fn consume(&self, after: u64, mut each: impl FnMut(Stored)) {
        self.dispatched.store(after, Ordering::Release);
        loop {
            let from = self.dispatched.load(Ordering::Acquire) + 1;
            match self.messages_from(from).await {
                Ok(mut messages) => {
                    while let Some(message) = messages.next().await {
                        let message = match message {
                            Ok(message) => message,
                            Err(error) => {
                                // For instance "consumer not found" after a NATS restart:
                                // start a new one where this one left off.
                                tracing::warn!(%error, "JetStream consumer failed; starting another");
                                break;
                            }
                        };
                        let Ok(info) = message.info() else { continue };
                        let (sequence, pending) = (info.stream_sequence, info.pending);
                        self.pending.store(pending, Ordering::Release);
                        if sequence <= self.dispatched.load(Ordering::Acquire) {
                            continue; // seen before a restart of the consumer
                        }
                        each(Stored {
                            sequence,
                            payload: message.payload.clone(),
                        });
                        self.dispatched.store(sequence, Ordering::Release);
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot start the JetStream consumer"),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn messages_from(&self, from: u64) -> Result<consumer::pull::Ordered, String> {
        let stream = self.stream().await?;
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: self.subject.clone(),
                deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: from,
                },
                ..Default::default()
            })
            .await
            .map_err(|error| error.to_string())?;
        consumer.messages().await.map_err(|error| error.to_string())
    }

    /// The events after `after` up to and including `through`, from the stream.
    pub async fn replay(&self, after: u64, through: u64) -> Result<Vec<Stored>, ReplayError> {
        if after >= through {
            return Ok(Vec::new());
        }
        let unavailable = ReplayError::Unavailable;
        let stream = self.stream().await.map_err(unavailable)?;
        let info = stream
            .get_info()
            .await
            .map_err(|e| ReplayError::Unavailable(e.to_string()))?;
        let oldest = info.state.first_sequence.max(1);
        if after + 1 < oldest || info.state.messages == 0 && after < info.state.last_sequence {
            return Err(ReplayError::Expired { oldest });
        }
        let mut messages = self
            .messages_from(after + 1)
            .await
            .map_err(ReplayError::Unavailable)?;
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while let Ok(Some(message)) = tokio::time::timeout_at(deadline, messages.next()).await {
            let message = message.map_err(|e| ReplayError::Unavailable(e.to_string()))?;
            let Ok(info) = message.info() else { continue };
            let sequence = info.stream_sequence;
            if sequence > through {
                break;
            }
            out.push(Stored {
                sequence,
                payload: message.payload.clone(),
            });
            if sequence == through {
                break;
            }
        }
        match out.last() {
            Some(last) if last.sequence == through => Ok(out),
            // Nothing was stored after `after` that the stream still holds up to `through`.
            _ if out.is_empty() && through <= after => Ok(out),
            _ => Err(ReplayError::Unavailable(format!(
                "replay stopped before sequence {through}"
            ))),
        }
    }

    /// Stored events this node has not dispatched yet, as JetStream last reported.
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Acquire)
    }

    /// The subject on which a node answers `@connections` calls for its connections.
    fn node_subject(&self, node: &str) -> String {
        format!("{}.node.{node}", self.subject.trim_end_matches(".>"))
    }

    /// Answers `@connections` calls forwarded to this node with `answer`, forever.
    pub async fn serve_forwarded(&self, answer: impl Fn(Forwarded) -> Answer) {
        let subject = self.node_subject(&self.node_id);
        loop {
            match self.client.subscribe(subject.clone()).await {
                Ok(mut requests) => {
                    while let Some(request) = requests.next().await {
                        let Some(reply) = request.reply.clone() else {
                            continue;
                        };
                        let answer = match serde_json::from_slice::<Forwarded>(&request.payload) {
                            Ok(call) => answer(call),
                            Err(_) => Answer {
                                status: 400,
                                body: None,
                            },
                        };
                        let payload = serde_json::to_vec(&answer).expect("an answer serialises");
                        if let Err(error) = self.client.publish(reply, payload.into()).await {
                            tracing::warn!(%error, "cannot answer a forwarded @connections call");
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot subscribe to {subject}"),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Sends `call` to `node`; `None` when no node of that name answers (unknown or departed).
    pub async fn forward(&self, node: &str, call: &Forwarded) -> Option<Answer> {
        let payload = serde_json::to_vec(call).expect("a call serialises");
        let request = self.client.request(self.node_subject(node), payload.into());
        let response = tokio::time::timeout(FORWARD_TIMEOUT, request)
            .await
            .ok()?
            .ok()?;
        serde_json::from_slice(&response.payload).ok()
    }
}
