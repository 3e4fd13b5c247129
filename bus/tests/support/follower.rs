//! A subscriber that survives its node: it records every event it receives, and when its
//! connection is lost it connects to the next node, says Hello, subscribes its rules again and
//! resumes from the last `Sequence` it received, as a real client would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::nodes::Endpoint;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One received notification: the event's number (see `workload::numbered`), its `Rules`,
/// its `Sequence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub n: usize,
    pub rules: Vec<String>,
    pub sequence: u64,
}

/// What a follower has received so far, and how often it reconnected.
#[derive(Default, Debug)]
pub struct Log {
    pub got: Vec<Got>,
    pub reconnects: usize,
    pub ready: bool,
}

/// Follows `endpoints`, starting at `first`, until `stop` turns true.
pub async fn follow(
    endpoints: Arc<Vec<Endpoint>>,
    first: usize,
    rules: Vec<(String, String)>,
    log: Arc<Mutex<Log>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut node = first;
    let mut last = 0u64;
    let mut attempts = 0u32;
    while !*stop.borrow() {
        attempts += 1;
        assert!(attempts < 200, "a follower could not stay connected");
        let url = endpoints[node].ws_url();
        let connected = tokio::time::timeout(
            Duration::from_secs(5),
            tokio_tungstenite::connect_async(url),
        )
        .await;
        let Ok(Ok((mut socket, _))) = connected else {
            node = (node + 1) % endpoints.len();
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        if set_up(&mut socket, &rules, last, &log).await.is_err() {
            node = (node + 1) % endpoints.len();
            continue;
        }
        {
            let mut log = log.lock().unwrap();
            log.ready = true;
            if attempts > 1 {
                log.reconnects += 1;
            }
        }
        // Read until the connection is lost or the test is over.
        loop {
            tokio::select! {
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        return;
                    }
                }
                frame = socket.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        record(&text, &log, &mut last);
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => {}
                },
            }
        }
        node = (node + 1) % endpoints.len();
    }
}

/// Hello, every rule, and a Resume when something was received before.
async fn set_up(
    socket: &mut Socket,
    rules: &[(String, String)],
    last: u64,
    log: &Mutex<Log>,
) -> Result<(), ()> {
    let mut last_seen = last;
    act(socket, json!({"Action": "Hello"}), log, &mut last_seen).await?;
    for (name, pattern) in rules {
        let action = json!({"Action": "Subscribe", "Rule": name, "Pattern": pattern});
        act(socket, action, log, &mut last_seen).await?;
    }
    if last > 0 {
        let action = json!({"Action": "Resume", "LastSequence": last});
        act(socket, action, log, &mut last_seen).await?;
    }
    Ok(())
}

/// Sends an action and waits for its Ack (which must be Ok), recording events meanwhile.
async fn act(
    socket: &mut Socket,
    mut action: Value,
    log: &Mutex<Log>,
    last: &mut u64,
) -> Result<(), ()> {
    let id = uuid::Uuid::new_v4().to_string();
    action["RequestId"] = json!(id);
    socket
        .send(Message::text(action.to_string()))
        .await
        .map_err(drop)?;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .map_err(drop)?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                if message["Action"] == "Ack" && message["RequestId"] == id.as_str() {
                    assert_eq!(message["Status"], "Ok", "{action} → {message}");
                    return Ok(());
                }
                record(&text, log, last);
            }
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Err(()),
            Some(Ok(_)) => {}
        }
    }
}

fn record(text: &str, log: &Mutex<Log>, last: &mut u64) {
    let message: Value = serde_json::from_str(text).unwrap();
    if message["Action"] != "Event" {
        return;
    }
    let sequence = message["Sequence"].as_u64().expect("a Sequence");
    let event = message["Event"].as_str().unwrap();
    let n = super::workload::number_of(event).expect("a numbered event");
    let rules = serde_json::from_value(message["Rules"].clone()).unwrap();
    *last = sequence;
    log.lock().unwrap().got.push(Got { n, rules, sequence });
}
