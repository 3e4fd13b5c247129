//! A bus started in-process on a free loopback port, a real WebSocket client (tokio-tungstenite)
//! and a real HTTP client (reqwest), for the integration tests. Every wait is bounded.
#![allow(dead_code)] // each test binary uses a different part

pub mod follower;
pub mod nodes;
pub mod workload;

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use evmatch_bus::{Config, Server};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(10);
pub const PUBLISH_KEY: &str = "test-publish-key";

/// A running bus; stopped (gracefully) by [`TestBus::stop`] or when dropped.
pub struct TestBus {
    pub addr: SocketAddr,
    pub api_key: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub http: reqwest::Client,
}

impl TestBus {
    /// A bus with the defaults, a known publish key, and whatever `edit` changes.
    pub async fn start(edit: impl FnOnce(&mut Config)) -> TestBus {
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            publish_key: Some(PUBLISH_KEY.into()),
            ..Config::default()
        };
        edit(&mut config);
        let server = Server::bind(config).await.expect("bind a free port");
        let addr = server.local_addr();
        let api_key = server.api_key().to_owned();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        TestBus {
            addr,
            api_key,
            stop: Some(stop),
            task: Some(task),
            http: reqwest::Client::builder()
                .timeout(WAIT)
                .no_proxy()
                .build()
                .unwrap(),
        }
    }

    /// Starts the graceful shutdown without waiting for it.
    pub fn begin_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Starts the graceful shutdown and waits for it to finish.
    pub async fn stop(mut self) {
        self.begin_stop();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("shutdown within 20 s")
                .expect("server task")
                .expect("server result");
        }
    }

    /// The `header` query value for `header` (any JSON).
    pub fn encode_header(header: &Value) -> String {
        base64::engine::general_purpose::STANDARD.encode(header.to_string())
    }

    /// A valid header for this bus with a fresh GUID.
    pub fn header(&self) -> String {
        Self::encode_header(&json!({
            "Host": "127.0.0.1",
            "ApiKey": self.api_key,
            "Id": uuid::Uuid::new_v4().to_string(),
        }))
    }

    /// `ws://…/ws?header=…`, with the header percent-encoded.
    pub fn ws_url(&self, header: &str) -> String {
        let escaped = header
            .replace('%', "%25")
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        format!("ws://{}/ws?header={escaped}", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connects over a socket whose receive buffer is `receive_buffer` bytes (a client that stops
    /// reading then fills up quickly); does not send Hello.
    pub async fn connect_small_buffer(&self, receive_buffer: u32) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(receive_buffer).unwrap();
        let stream = tokio::time::timeout(WAIT, socket.connect(self.addr))
            .await
            .expect("connect in time")
            .expect("TCP connect");
        let url = self.ws_url(&self.header());
        let (ws, _) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream)),
        )
        .await
        .expect("upgrade in time")
        .expect("upgrade accepted");
        Client::new(ws)
    }

    /// The HTTP status of an upgrade request to `/ws` with this `header` query value (none when
    /// `None`) and this `Host` request header, sent by hand so nothing is added or checked.
    pub async fn upgrade_status(&self, header: Option<&str>, host: &str) -> u16 {
        let query = header.map_or(String::new(), |header| {
            let url = self.ws_url(header);
            url[url.find('?').unwrap()..].to_owned()
        });
        let request = format!(
            "GET /ws{query} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        );
        raw_http(self.addr, request.as_bytes()).await.0
    }

    /// `GET /healthz`: status and body.
    pub async fn healthz(&self) -> (u16, Value) {
        let response = self.http.get(self.url("/healthz")).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Polls `/metrics` until `name` satisfies `check`; panics after [`WAIT`] with the last value.
    pub async fn wait_metric(&self, name: &str, check: impl Fn(f64) -> bool) -> f64 {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let value = self.metric(name).await;
            if check(value) {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} is still {value} after {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A fresh client can still connect, subscribe and receive an event: the bus serves.
    pub async fn assert_serving(&self) {
        let mut client = self.connect_hello().await;
        let source = format!("check.{}", uuid::Uuid::new_v4().simple());
        let pattern = json!({ "source": [source] }).to_string();
        client.subscribe_ok("check", &pattern).await;
        let (status, body) = self
            .put_events(json!([entry(&source, "Check", json!({"n": 1}))]))
            .await;
        assert_eq!(status, 200, "{body}");
        let event = client.event().await;
        assert_eq!(event["Rules"], json!(["check"]));
        assert_eq!(event["Source"], source);
    }

    /// Connects with a valid header; does not send Hello.
    pub async fn connect(&self) -> Client {
        let url = self.ws_url(&self.header());
        let (ws, _) = tokio::time::timeout(
            WAIT,
            tokio_tungstenite::connect_async_with_config(url, None, true),
        )
        .await
        .expect("connect in time")
        .expect("upgrade accepted");
        Client::new(ws)
    }

    /// Connects with a valid header naming `id` and with this `User-Agent`; does not send Hello.
    pub async fn connect_as(&self, id: &str, user_agent: &str) -> Client {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let header = Self::encode_header(&json!({
            "Host": "127.0.0.1",
            "ApiKey": self.api_key,
            "Id": id,
        }));
        let mut request = self.ws_url(&header).into_client_request().unwrap();
        request
            .headers_mut()
            .insert("User-Agent", user_agent.parse().unwrap());
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(request))
            .await
            .expect("connect in time")
            .expect("upgrade accepted");
        Client::new(ws)
    }

    /// Connects, says Hello and waits for its Ack.
    pub async fn connect_hello(&self) -> Client {
        let mut client = self.connect().await;
        client.hello().await;
        client
    }

    /// `POST /events` with `{"Entries": entries}`.
    pub async fn put_events(&self, entries: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url("/events"))
            .bearer_auth(PUBLISH_KEY)
            .json(&json!({ "Entries": entries }))
            .send()
            .await
            .expect("publish request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST /events/raw` with `body`.
    pub async fn put_raw(&self, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .http
            .post(self.url("/events/raw"))
            .bearer_auth(PUBLISH_KEY)
            .body(body)
            .send()
            .await
            .expect("raw publish request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `GET /@connections`: the open connections' ids.
    pub async fn connection_ids(&self) -> Vec<String> {
        let listing: Value = self
            .http
            .get(self.url("/@connections"))
            .bearer_auth(PUBLISH_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listing["Connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["ConnectionId"].as_str().unwrap().to_owned())
            .collect()
    }

    /// `/metrics` as text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The value of one metric line (`name` including labels), or 0 when absent.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .map_or(0.0, |value| value.trim().parse().unwrap())
    }
}

impl Drop for TestBus {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Writes `request` on a new TCP connection and reads the response head; returns the status
/// code and the head (status line and headers). A response that never comes fails the test.
pub async fn raw_http(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.expect("TCP connect");
        stream.write_all(request).await.expect("write the request");
        let mut head = Vec::new();
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).await.expect("read the response");
            if read == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        String::from_utf8_lossy(&head).into_owned()
    };
    let head = tokio::time::timeout(WAIT, exchange)
        .await
        .expect("a response within the wait");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    (status, head)
}

/// One PutEvents entry.
pub fn entry(source: &str, detail_type: &str, detail: Value) -> Value {
    json!({ "Source": source, "DetailType": detail_type, "Detail": detail.to_string() })
}

/// What a client reads next.
#[derive(Debug)]
pub enum Received {
    Json(Value),
    Close(Option<CloseFrame>),
    Other(Message),
    /// The stream ended or failed without a close frame.
    Ended,
}

/// A WebSocket client.
pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Messages that arrived while [`Client::act`] waited for its Ack, in order.
    early: std::collections::VecDeque<Value>,
}

impl Client {
    pub fn new(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client {
            ws,
            early: Default::default(),
        }
    }

    pub async fn send_text(&mut self, text: impl Into<String>) {
        let text: String = text.into();
        self.ws.send(Message::text(text)).await.expect("send");
    }

    pub async fn send_json(&mut self, value: Value) {
        self.send_text(value.to_string()).await;
    }

    pub async fn send_message(&mut self, message: Message) {
        self.ws.send(message).await.expect("send");
    }

    /// The next frame as it came (KeepAlives included), or `None` if nothing came within `wait`
    /// or the stream ended.
    pub async fn next_raw_within(&mut self, wait: Duration) -> Option<Message> {
        match tokio::time::timeout(wait, self.ws.next()).await {
            Ok(Some(Ok(message))) => Some(message),
            _ => None,
        }
    }

    /// Reads until the connection ends; returns the close frame's code and reason if one came
    /// (a socket dropped without one gives `None`). Fails the test after [`WAIT`].
    pub async fn close_or_end(&mut self) -> Option<(u16, String)> {
        loop {
            match self.next().await {
                Received::Close(Some(frame)) => {
                    return Some((frame.code.into(), frame.reason.to_string()))
                }
                Received::Close(None) | Received::Ended => return None,
                Received::Json(_) | Received::Other(_) => continue,
            }
        }
    }

    /// The next frame, skipping KeepAlives; panics after [`WAIT`].
    pub async fn next(&mut self) -> Received {
        self.next_within(WAIT)
            .await
            .expect("a frame within the wait")
    }

    /// The next frame other than a KeepAlive, or `None` if nothing came within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Received> {
        if let Some(early) = self.early.pop_front() {
            return Some(Received::Json(early));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()?;
            let received = match frame {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).expect("server sends JSON");
                    if value["Action"] == "KeepAlive" {
                        continue;
                    }
                    Received::Json(value)
                }
                Some(Ok(Message::Close(frame))) => Received::Close(frame),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(other)) => Received::Other(other),
                Some(Err(_)) | None => Received::Ended,
            };
            return Some(received);
        }
    }

    /// The next JSON message (panics on anything else).
    pub async fn json(&mut self) -> Value {
        match self.next().await {
            Received::Json(value) => value,
            other => panic!("expected a JSON message, got {other:?}"),
        }
    }

    /// Waits for the close frame and returns its code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            match self.next().await {
                Received::Close(Some(frame)) => {
                    return (frame.code.into(), frame.reason.to_string())
                }
                Received::Json(_) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// Sends an action and returns its Ack; what arrives before it is read next.
    pub async fn act(&mut self, mut action: Value) -> Value {
        let request_id = uuid::Uuid::new_v4().to_string();
        action["RequestId"] = json!(request_id);
        self.send_json(action).await;
        let mut before = std::collections::VecDeque::new();
        loop {
            let message = self.read_json().await;
            if message["Action"] == "Ack" && message["RequestId"] == request_id {
                self.early.append(&mut before);
                return message;
            }
            before.push_back(message);
        }
    }

    /// The next JSON message from the socket, past anything kept by [`Client::act`].
    async fn read_json(&mut self) -> Value {
        let early = std::mem::take(&mut self.early);
        let message = self.json().await;
        self.early = early;
        message
    }

    pub async fn hello(&mut self) {
        let ack = self.act(json!({ "Action": "Hello" })).await;
        assert_eq!(ack["Status"], "Ok", "{ack}");
    }

    /// Subscribe; returns the Ack.
    pub async fn subscribe(&mut self, rule: &str, pattern: &str) -> Value {
        self.act(json!({ "Action": "Subscribe", "Rule": rule, "Pattern": pattern }))
            .await
    }

    /// Subscribe and assert it was acknowledged Ok.
    pub async fn subscribe_ok(&mut self, rule: &str, pattern: &str) {
        let ack = self.subscribe(rule, pattern).await;
        assert_eq!(ack["Status"], "Ok", "{ack}");
    }

    pub async fn unsubscribe(&mut self, rule: &str) -> Value {
        self.act(json!({ "Action": "Unsubscribe", "Rule": rule }))
            .await
    }

    /// The next Event notification (Acks in between fail the test).
    pub async fn event(&mut self) -> Value {
        let message = self.json().await;
        assert_eq!(message["Action"], "Event", "{message}");
        message
    }

    /// Asserts that nothing but KeepAlives arrives within `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        if let Some(received) = self.next_within(wait).await {
            panic!("expected nothing, got {received:?}");
        }
    }
}
