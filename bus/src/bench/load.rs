//! The subscribers: one WebSocket connection per simulated client over loopback, each with its
//! rules, and one task per connection that reads its socket and records every notification.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::workload::{fingerprint, Workload};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long one connection may take to connect, say Hello and have its rules acknowledged.
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);
/// A `Rules` entry that is not one of the connection's rules, or repeats one.
pub const BAD_RULES: u8 = 0x80;
/// A notification whose `Source` or `Type` is not the published event's.
pub const BAD_HEAD: u8 = 0x40;

/// One notification as received.
#[derive(Clone, Copy, Debug)]
pub struct Record {
    pub seq: u32,
    /// Publish to receive, in microseconds.
    pub latency_us: u32,
    /// Bit `i`: rule `i` was in `Rules`; plus [`BAD_RULES`] / [`BAD_HEAD`].
    pub rules: u8,
    /// [`fingerprint`] of the `Event` string as sent (still JSON-escaped).
    pub event_hash: u64,
}

/// What one connection has received since it was last [`drain`](Conn::drain)ed.
#[derive(Default)]
pub struct Conn {
    records: Mutex<Vec<Record>>,
    /// Text frames that were neither an Event nor a KeepAlive, or could not be read.
    pub strange: AtomicU64,
    /// Set once the socket closed or failed (it never should during a run).
    pub lost: AtomicU64,
}

impl Conn {
    /// Takes what was recorded so far.
    pub fn drain(&self) -> Vec<Record> {
        std::mem::take(&mut *self.records.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Every connection, its reader task, and the counters shared with them.
pub struct Fleet {
    pub conns: Vec<Arc<Conn>>,
    tasks: Vec<JoinHandle<()>>,
    /// Event notifications received, over all connections.
    pub received: Arc<AtomicU64>,
    /// When the latest notification arrived (ns on the bench clock).
    pub last_ns: Arc<AtomicU64>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Where and how to connect.
pub struct Target {
    pub addr: SocketAddr,
    pub api_key: String,
}

/// Opens `workload.connections` connections, `concurrency` at a time, each saying Hello and
/// subscribing its rules; returns once every one is acknowledged (or the first failure).
pub async fn connect_all(
    target: &Target,
    workload: &Arc<Workload>,
    concurrency: usize,
    clock: Instant,
) -> Result<Fleet, String> {
    let n = workload.connections;
    let received = Arc::new(AtomicU64::new(0));
    let last_ns = Arc::new(AtomicU64::new(0));
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let (ready, mut readiness) = mpsc::channel::<Result<(), String>>(n.max(1));
    let mut fleet = Fleet {
        conns: Vec::with_capacity(n),
        tasks: Vec::with_capacity(n),
        received: Arc::clone(&received),
        last_ns: Arc::clone(&last_ns),
    };
    for c in 0..n {
        let conn = Arc::new(Conn::default());
        fleet.conns.push(Arc::clone(&conn));
        let reader = Reader {
            conn,
            names: (0..workload.rules)
                .map(|i| workload.rule_name(c, i))
                .collect(),
            received: Arc::clone(&received),
            last_ns: Arc::clone(&last_ns),
            clock,
        };
        let url = ws_url(target, c);
        let actions = actions(workload, c);
        let (slots, ready) = (Arc::clone(&slots), ready.clone());
        fleet.tasks.push(tokio::spawn(async move {
            let socket = {
                let _slot = slots.acquire().await;
                tokio::time::timeout(SETUP_TIMEOUT, set_up(&url, actions)).await
            };
            match socket {
                Ok(Ok(socket)) => {
                    let _ = ready.send(Ok(())).await;
                    reader.run(socket).await;
                }
                Ok(Err(error)) => drop(ready.send(Err(format!("connection {c}: {error}"))).await),
                Err(_) => drop(
                    ready
                        .send(Err(format!("connection {c}: setup timed out")))
                        .await,
                ),
            }
        }));
    }
    drop(ready);
    for _ in 0..n {
        match readiness.recv().await {
            Some(Ok(())) => {}
            Some(Err(error)) => return Err(error),
            None => return Err("a connection task ended without a word".into()),
        }
    }
    Ok(fleet)
}

/// `ws://ADDR/ws?header=...` for connection `c`, with an `Id` GUID derived from `c`.
fn ws_url(target: &Target, c: usize) -> String {
    let header = serde_json::json!({
        "Host": target.addr.ip().to_string(),
        "ApiKey": target.api_key,
        "Id": uuid::Uuid::from_u128(0xBE_0000_0000_0000_0000 + c as u128).to_string(),
    });
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header.to_string());
    format!("ws://{}/ws?header={header}", target.addr)
}

/// Hello and every Subscribe of connection `c`, as text frames.
fn actions(workload: &Workload, c: usize) -> Vec<String> {
    let mut out = vec![r#"{"Action":"Hello","RequestId":"hello"}"#.to_owned()];
    for i in 0..workload.rules {
        out.push(
            serde_json::json!({
                "Action": "Subscribe",
                "RequestId": format!("sub-{i}"),
                "Rule": workload.rule_name(c, i),
                "Pattern": workload.pattern(c, i),
            })
            .to_string(),
        );
    }
    out
}

/// Connects, sends every action in one write, and waits for as many Ok Acks.
async fn set_up(url: &str, actions: Vec<String>) -> Result<Socket, String> {
    // Small buffers: 10,000 of these share the machine with the server, and tungstenite zeroes
    // the free part of the read buffer before every read.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .map_err(|e| format!("upgrade: {e}"))?;
    let expected = actions.len();
    for action in actions {
        socket
            .feed(Message::text(action))
            .await
            .map_err(|e| format!("send: {e}"))?;
    }
    socket.flush().await.map_err(|e| format!("send: {e}"))?;
    let mut acks = 0;
    while acks < expected {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let ack: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| format!("reply {text}: {e}"))?;
                match (ack["Action"].as_str(), ack["Status"].as_str()) {
                    (Some("Ack"), Some("Ok")) => acks += 1,
                    (Some("KeepAlive"), _) => {}
                    _ => return Err(format!("refused: {text}")),
                }
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(other)) => return Err(format!("unexpected frame {other:?}")),
            Some(Err(e)) => return Err(format!("read: {e}")),
            None => return Err("closed during setup".into()),
        }
    }
    Ok(socket)
}

/// The reading side of one connection.
struct Reader {
    conn: Arc<Conn>,
    /// The connection's rule names, by index.
    names: Vec<String>,
    received: Arc<AtomicU64>,
    last_ns: Arc<AtomicU64>,
    clock: Instant,
}

/// The parts of a notification the check needs; the rest is skipped unread.
#[derive(Deserialize)]
struct Notice<'a> {
    #[serde(rename = "Action", borrow)]
    action: &'a str,
    #[serde(rename = "Rules", borrow, default)]
    rules: Vec<&'a str>,
    #[serde(rename = "Source", borrow, default)]
    source: Option<&'a str>,
    #[serde(rename = "Type", borrow, default)]
    detail_type: Option<&'a str>,
    #[serde(rename = "Event", borrow, default)]
    event: Option<&'a RawValue>,
}

impl Reader {
    /// Records every notification until the socket ends (or the task is aborted).
    async fn run(self, mut socket: Socket) {
        while let Some(frame) = socket.next().await {
            match frame {
                Ok(Message::Text(text)) => self.on_text(&text),
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
                Ok(Message::Binary(_)) => {
                    self.conn.strange.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Message::Close(_)) | Err(_) => break,
            }
        }
        self.conn.lost.store(1, Ordering::Relaxed);
    }

    fn on_text(&self, text: &str) {
        let now_ns = self.clock.elapsed().as_nanos() as u64;
        let record = match serde_json::from_str::<Notice>(text) {
            Ok(notice) if notice.action == "Event" => self.record(&notice, now_ns),
            Ok(notice) if notice.action == "KeepAlive" => return,
            _ => None,
        };
        let Some(record) = record else {
            self.conn.strange.fetch_add(1, Ordering::Relaxed);
            return;
        };
        self.conn
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
        self.received.fetch_add(1, Ordering::Relaxed);
        self.last_ns.fetch_max(now_ns, Ordering::Relaxed);
    }

    fn record(&self, notice: &Notice, now_ns: u64) -> Option<Record> {
        let event = notice.event?.get();
        // `detail` ends the event, and `t` follows `seq` in it.
        let at = event.rfind(r#"\"seq\":"#)?;
        let seq = number_after(&event[at..], r#"\"seq\":"#)?;
        let t_ns = number_after(&event[at..], r#"\"t\":"#)?;
        let mut rules = 0u8;
        for name in &notice.rules {
            let bit = match self.names.iter().position(|known| known == name) {
                Some(i) if i < 6 => 1u8 << i,
                _ => BAD_RULES,
            };
            rules |= if rules & bit != 0 { BAD_RULES } else { bit };
        }
        if notice.source != Some("bench.app") || notice.detail_type != Some("bench") {
            rules |= BAD_HEAD;
        }
        Some(Record {
            seq: u32::try_from(seq).ok()?,
            latency_us: (now_ns.saturating_sub(t_ns) / 1000).min(u64::from(u32::MAX)) as u32,
            rules,
            event_hash: fingerprint(event.as_bytes()),
        })
    }
}

/// The decimal number right after the first `key` in `text`.
fn number_after(text: &str, key: &str) -> Option<u64> {
    let rest = &text[text.find(key)? + key.len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    rest[..digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::number_after;

    #[test]
    fn numbers_are_found_in_the_escaped_event() {
        let raw = r#""{\"detail\":{\"seq\":42,\"t\":123456789,\"user\":\"u-1\"}}""#;
        assert_eq!(number_after(raw, r#"\"seq\":"#), Some(42));
        assert_eq!(number_after(raw, r#"\"t\":"#), Some(123_456_789));
        assert_eq!(number_after(raw, r#"\"x\":"#), None);
    }
}
