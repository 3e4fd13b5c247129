//! One WebSocket connection: its identity, and the task that serves it. The task reads actions
//! and writes what its outbox holds, concurrently, in one future: a client that does not read
//! never stops its own actions from being answered or anyone else's events from being sent.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::time::{sleep_until, timeout, timeout_at, Instant};

use crate::close::Close;
use crate::hub::Hub;
use crate::outbox::{Inbox, Outbox, Refused};
use crate::protocol;
use crate::session::Session;

/// Who connected, for `GET /@connections/{id}`.
pub struct Identity {
    pub source_ip: String,
    pub user_agent: String,
}

/// A connection as the rest of the bus sees it.
pub struct Connection {
    /// The bus-internal key (it prefixes the connection's rule names in the matcher).
    pub key: u64,
    /// The id `@connections` uses: `<node id>.<the key and 4 random bytes, URL-safe base64>`.
    pub id: String,
    /// The `Id` from the client's header.
    pub client_id: String,
    pub identity: Identity,
    pub connected_at: SystemTime,
    /// Milliseconds since the Unix epoch of the last frame from the client.
    last_active_ms: AtomicU64,
    pub outbox: Outbox,
    /// What `Resume` needs to know about live deliveries (see `resume`).
    delivery: Mutex<Delivery>,
}

/// Live delivery as a `Resume` sees it.
struct Delivery {
    /// Sequences delivered since the connection opened, until it resumes (or has had too many
    /// for a resume to make sense).
    live: Option<Vec<u64>>,
    /// While a resume replays: live notifications wait here, in order, with their sequences.
    held: Option<Vec<(u64, String, std::time::Instant)>>,
    held_bytes: usize,
    /// Events up to this sequence are never delivered: the client had them before it resumed.
    floor: u64,
}

/// Live deliveries remembered for a resume (8 KiB at most); a connection that has had more
/// before resuming cannot resume any more, and its memory of them is freed.
const LIVE_MEMORY: usize = 1_024;

impl Connection {
    pub fn new(
        node_id: &str,
        key: u64,
        client_id: String,
        identity: Identity,
        outbox: Outbox,
    ) -> Connection {
        let mut id = [0u8; 12];
        id[..8].copy_from_slice(&key.to_be_bytes());
        id[8..].copy_from_slice(&uuid::Uuid::new_v4().as_bytes()[..4]);
        let now = SystemTime::now();
        Connection {
            key,
            id: format!("{node_id}.{}", URL_SAFE_NO_PAD.encode(id)),
            client_id,
            identity,
            connected_at: now,
            last_active_ms: AtomicU64::new(unix_ms(now)),
            outbox,
            delivery: Mutex::new(Delivery {
                live: Some(Vec::new()),
                held: None,
                held_bytes: 0,
                floor: 0,
            }),
        }
    }

    /// Queues (or, during a resume, holds) the notification of event `sequence`. `Ok(false)`
    /// when the client already had it before it resumed.
    pub fn deliver(
        &self,
        sequence: u64,
        text: String,
        published_at: std::time::Instant,
    ) -> Result<bool, Refused> {
        let mut delivery = self.lock_delivery();
        if sequence <= delivery.floor {
            return Ok(false);
        }
        if let Some(live) = &mut delivery.live {
            if live.len() < LIVE_MEMORY {
                live.push(sequence);
            } else {
                delivery.live = None;
            }
        }
        if delivery.held.is_some() {
            delivery.held_bytes += text.len();
            if delivery.held_bytes > self.outbox.limit() {
                self.outbox.close(Close::SLOW_CONSUMER);
                return Err(Refused::SlowConsumer);
            }
            let held = delivery.held.as_mut().expect("checked");
            held.push((sequence, text, published_at));
            return Ok(true);
        }
        self.outbox
            .push(Message::Text(text.into()), Some(published_at))
            .map(|()| true)
    }

    /// Starts a resume: live notifications are held until [`Connection::end_resume`]. Returns
    /// the sequences delivered live so far, or `None` if the connection can no longer resume.
    pub fn begin_resume(&self) -> Option<Vec<u64>> {
        let mut delivery = self.lock_delivery();
        let live = delivery.live.take()?;
        delivery.held = Some(Vec::new());
        delivery.held_bytes = 0;
        Some(live)
    }

    /// Ends a resume: from now on nothing up to `floor` is delivered, and the held
    /// notifications are queued after the replayed ones.
    pub fn end_resume(&self, floor: u64) {
        let mut delivery = self.lock_delivery();
        delivery.floor = delivery.floor.max(floor);
        let floor = delivery.floor;
        let held = delivery.held.take().unwrap_or_default();
        // A node behind the client may have dispatched, during the replay, events the client
        // already had.
        for (_, text, published_at) in held.into_iter().filter(|(s, _, _)| *s > floor) {
            // A refusal closes the connection, for a reason that is recorded.
            let _ = self
                .outbox
                .push(Message::Text(text.into()), Some(published_at));
        }
    }

    fn lock_delivery(&self) -> std::sync::MutexGuard<'_, Delivery> {
        self.delivery
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// When the client last sent a frame.
    pub fn last_active(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(self.last_active_ms.load(Ordering::Relaxed))
    }

    fn touch(&self) {
        self.last_active_ms
            .store(unix_ms(SystemTime::now()), Ordering::Relaxed);
    }
}

/// The node named in a connection id.
pub fn node_of(id: &str) -> Option<&str> {
    id.split_once('.').map(|(node, _)| node)
}

/// The connection key inside a connection id of node `node_id`, if the id is well-formed.
pub fn key_of(node_id: &str, id: &str) -> Option<u64> {
    let local = id.strip_prefix(node_id)?.strip_prefix('.')?;
    let bytes = URL_SAFE_NO_PAD.decode(local).ok()?;
    let key: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
    (bytes.len() == 12).then(|| u64::from_be_bytes(key))
}

fn unix_ms(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// How long a close frame may take to go out before the socket is simply dropped.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long queued messages may take to go out when a close asks for them to be flushed.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);
/// Messages written before one flush of the socket.
const WRITE_BATCH: usize = 64;

/// Serves `socket` until it closes, then removes the connection and its rules from the hub.
pub async fn serve(socket: WebSocket, connection: Arc<Connection>, inbox: Inbox, hub: Arc<Hub>) {
    let (sink, stream) = socket.split();
    let rules = {
        let reader = read_actions(stream, &connection, &hub);
        let writer = write_outbox(sink, inbox, &connection, &hub);
        let (rules, ()) = tokio::join!(reader, writer);
        rules
    };
    hub.unregister(&connection, &rules);
    tracing::debug!(id = %connection.id, close = ?connection.outbox.close_request(), "connection closed");
}

/// Reads frames and answers actions until a close is requested; returns the rules subscribed.
async fn read_actions(
    mut stream: SplitStream<WebSocket>,
    connection: &Connection,
    hub: &Hub,
) -> Vec<String> {
    let config = &hub.config;
    let started = Instant::now();
    let hello_deadline = started + config.hello_timeout();
    let lifetime_deadline = started + config.max_lifetime();
    let mut idle_deadline = started + config.idle_timeout();
    let mut session = Session::new(connection, hub);
    loop {
        let backlogged = connection.outbox.backlogged();
        tokio::select! {
            () = connection.outbox.closing() => break,
            // Acks wait in the same queue as events: read no more actions until it drains.
            () = connection.outbox.drained(), if backlogged => {}
            () = sleep_until(hello_deadline), if !session.said_hello() => {
                connection.outbox.close(Close::HELLO_TIMEOUT);
            }
            () = sleep_until(idle_deadline) => {
                connection.outbox.close(Close::IDLE);
            }
            () = sleep_until(lifetime_deadline) => {
                connection.outbox.close(Close::LIFETIME);
            }
            frame = stream.next(), if !backlogged => {
                idle_deadline = Instant::now() + config.idle_timeout();
                connection.touch();
                match frame {
                    Some(Ok(Message::Text(text))) => session.on_text(&text).await,
                    Some(Ok(Message::Binary(bytes))) => session.on_binary(&bytes),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => {
                        connection.outbox.close(Close::CLIENT_GONE);
                    }
                    Some(Err(error)) => {
                        connection.outbox.close(classify(error));
                    }
                }
            }
        }
    }
    session.rule_names()
}

/// What a read error means for the connection.
fn classify(error: axum::Error) -> Close {
    use tokio_tungstenite::tungstenite::Error;
    match error.into_inner().downcast_ref::<Error>() {
        Some(Error::Capacity(_)) => Close::TOO_BIG,
        Some(Error::Utf8(_)) => Close::NOT_UTF8,
        _ => Close::CLIENT_GONE,
    }
}

/// Writes queued messages and keep-alives until a close is requested, then closes the socket
/// as the request says.
async fn write_outbox(
    mut sink: SplitSink<WebSocket, Message>,
    mut inbox: Inbox,
    connection: &Connection,
    hub: &Hub,
) {
    let mut keepalive = tokio::time::interval(hub.config.keepalive());
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    keepalive.reset(); // the first tick one interval from now, not at once
    let mut flush_by = None; // set when a close comes during a write: the flush's deadline
    let alive = loop {
        tokio::select! {
            biased;
            () = connection.outbox.closing() => break true,
            queued = inbox.recv() => {
                let Some(first) = queued else { break true };
                let written = write_batch(&mut sink, &mut inbox, first, connection, hub);
                if !unless_closing(written, connection, &mut flush_by).await {
                    connection.outbox.close(Close::CLIENT_GONE);
                    break false;
                }
            }
            _ = keepalive.tick() => {
                let keep_alive = Message::Text(protocol::keep_alive().into());
                let written = async { sink.send(keep_alive).await.is_ok() };
                if !unless_closing(written, connection, &mut flush_by).await {
                    connection.outbox.close(Close::CLIENT_GONE);
                    break false;
                }
            }
        }
    };
    let close = connection
        .outbox
        .close_request()
        .cloned()
        .unwrap_or(Close::CLIENT_GONE);
    if alive && close.flush {
        let flush = async {
            while let Some(queued) = inbox.try_recv() {
                if !write_one(&mut sink, queued, connection, hub).await {
                    return;
                }
            }
            let _ = sink.flush().await;
        };
        let flush_by = flush_by.unwrap_or_else(|| Instant::now() + FLUSH_TIMEOUT);
        let _ = timeout_at(flush_by, flush).await;
    }
    let left = inbox.close();
    if !left.is_empty() {
        for queued in &left {
            connection.outbox.sent(queued.bytes);
        }
        let events = left.iter().filter(|q| q.published_at.is_some()).count();
        hub.metrics
            .drops
            .get_or_create(&crate::metrics::Reason {
                reason: "closed_with_queue",
            })
            .inc_by(events as u64);
    }
    if alive && close != Close::CLIENT_GONE {
        let frame = CloseFrame {
            code: close.code,
            reason: close.reason.into(),
        };
        let _ = timeout(CLOSE_WRITE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
    }
    let _ = timeout(CLOSE_WRITE_TIMEOUT, sink.close()).await;
}

/// Awaits a write (which waits for as long as the client does not read) unless a close is
/// requested meanwhile. Then a close that keeps queued messages lets the write finish by
/// `flush_by` (set to [`FLUSH_TIMEOUT`] from now); any other close abandons it. Returns whether
/// the socket is still usable.
async fn unless_closing(
    written: impl Future<Output = bool>,
    connection: &Connection,
    flush_by: &mut Option<Instant>,
) -> bool {
    tokio::pin!(written);
    tokio::select! {
        biased;
        ok = &mut written => ok,
        () = connection.outbox.closing() => {
            let flush = connection.outbox.close_request().is_some_and(|close| close.flush);
            let deadline = *flush_by.insert(Instant::now() + FLUSH_TIMEOUT);
            !flush || timeout_at(deadline, written).await.unwrap_or(false)
        }
    }
}

/// Writes `first` and whatever else is queued (up to a batch), then flushes once.
async fn write_batch(
    sink: &mut SplitSink<WebSocket, Message>,
    inbox: &mut Inbox,
    first: crate::outbox::Queued,
    connection: &Connection,
    hub: &Hub,
) -> bool {
    if !write_one(sink, first, connection, hub).await {
        return false;
    }
    for _ in 1..WRITE_BATCH {
        let Some(queued) = inbox.try_recv() else {
            break;
        };
        if !write_one(sink, queued, connection, hub).await {
            return false;
        }
    }
    sink.flush().await.is_ok()
}

/// Feeds one message to the socket (written at the next flush) and accounts for it.
async fn write_one(
    sink: &mut SplitSink<WebSocket, Message>,
    queued: crate::outbox::Queued,
    connection: &Connection,
    hub: &Hub,
) -> bool {
    // Accounted for before the wait: a write abandoned at a close must not stay counted.
    connection.outbox.sent(queued.bytes);
    if let Some(published_at) = queued.published_at {
        hub.metrics
            .publish_to_send_seconds
            .observe(published_at.elapsed().as_secs_f64());
    }
    sink.feed(queued.message).await.is_ok()
}
