//! Clients that break the protocol: frames that are not JSON, binary frames, oversized frames,
//! invalid UTF-8, random bytes, garbage HTTP, and ten thousand subscribes. Each is answered or
//! closed with the documented code, and the bus keeps serving everyone else.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::{raw_http, TestBus, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

/// A small deterministic generator of garbage.
struct Noise(u64);

impl Noise {
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                (self.0 >> 24) as u8
            })
            .collect()
    }
}

/// The acks a client receives, by RequestId, until `count` have come.
async fn acks(client: &mut support::Client, count: usize) -> HashMap<String, Value> {
    let mut acks = HashMap::new();
    while acks.len() < count {
        let message = client.json().await;
        assert_eq!(message["Action"], "Ack", "{message}");
        acks.insert(message["RequestId"].as_str().unwrap().to_owned(), message);
    }
    acks
}

#[tokio::test]
async fn broken_frames_with_a_request_id_are_acknowledged() {
    let bus = TestBus::start(|_| {}).await;
    let mut client = bus.connect_hello().await;
    client.send_text(r#"{"RequestId": "r1", "Action": "#).await;
    client.send_text(r#"[1, "RequestId": "r2"]"#).await;
    client
        .send_text(r#"{"Action": "Hello", "RequestId": "r3"} and more"#)
        .await;
    client
        .send_text(r#"{"Action": "Hello", "RequestId": "r4", "Action": "Hello"}"#)
        .await;
    client
        .send_message(Message::binary(r#"{"Action": "Hello", "RequestId": "r5"}"#))
        .await;
    let acks = acks(&mut client, 5).await;
    let message = |id: &str| acks[id]["Message"].as_str().unwrap().to_owned();
    for id in ["r1", "r2", "r3", "r4", "r5"] {
        assert_eq!(acks[id]["Status"], "Error", "{id}");
    }
    assert!(
        message("r1").starts_with("Message is not valid JSON"),
        "{}",
        message("r1")
    );
    assert_eq!(message("r2"), "Message must be a JSON object");
    assert!(
        message("r3").starts_with("Message is not valid JSON"),
        "{}",
        message("r3")
    );
    assert!(
        message("r4").contains("duplicate field"),
        "{}",
        message("r4")
    );
    assert_eq!(
        message("r5"),
        "Binary frames are not supported: send actions as JSON text frames"
    );
    // The connection is as good as before.
    client
        .subscribe_ok("still", r#"{"source": ["app.still"]}"#)
        .await;
    bus.put_events(json!([support::entry("app.still", "T", json!({}))]))
        .await;
    assert_eq!(client.event().await["Rules"], json!(["still"]));
}

/// Sends `last` right after a Subscribe, without waiting: the Subscribe's Ack must still come,
/// then the close frame with `code` and a reason.
async fn ack_then_close(bus: &TestBus, last: Message, code: u16) {
    let mut client = bus.connect_hello().await;
    let subscribe = json!({"Action": "Subscribe", "RequestId": "sub", "Rule": "r",
                           "Pattern": r#"{"source": ["x"]}"#});
    client
        .ws
        .feed(Message::text(subscribe.to_string()))
        .await
        .unwrap();
    client.ws.feed(last).await.unwrap();
    client.ws.flush().await.unwrap();
    let ack = client.json().await;
    assert_eq!(
        (ack["RequestId"].as_str(), ack["Status"].as_str()),
        (Some("sub"), Some("Ok"))
    );
    let (closed, reason) = client.closed().await;
    assert_eq!(closed, code, "{reason}");
    assert!(!reason.is_empty());
}

#[tokio::test]
async fn frames_without_a_request_id_close_after_the_acks() {
    let bus = TestBus::start(|_| {}).await;
    ack_then_close(&bus, Message::text("garbage"), 1008).await;
    ack_then_close(&bus, Message::text(r#"{"Action": "Hello"}"#), 1008).await;
    ack_then_close(
        &bus,
        Message::text(r#"{"Action": "Hello", "RequestId": 5}"#),
        1008,
    )
    .await;
    ack_then_close(&bus, Message::binary(vec![0u8, 1, 2, 3]), 1003).await;
    ack_then_close(&bus, Message::binary(r#"{"Action": "Hello"}"#), 1003).await;
    // Their rules went with them.
    bus.wait_metric("evmatch_bus_subscriptions", |n| n == 0.0)
        .await;
    bus.wait_metric("evmatch_bus_connections", |n| n == 0.0)
        .await;
    assert_eq!(
        bus.metric(r#"evmatch_bus_connections_closed_total{reason="no_request_id"}"#)
            .await,
        3.0
    );
    bus.assert_serving().await;
}

#[tokio::test]
async fn a_frame_over_the_limit_closes_1009() {
    let bus = TestBus::start(|config| config.max_message_bytes = 1024).await;
    let mut client = bus.connect_hello().await;
    // Exactly at the limit is fine.
    let mut hello = json!({"Action": "Hello", "RequestId": "at-limit", "Pad": ""}).to_string();
    let pad = 1024 - hello.len();
    hello = json!({"Action": "Hello", "RequestId": "at-limit", "Pad": "p".repeat(pad)}).to_string();
    assert_eq!(hello.len(), 1024);
    client.send_text(hello).await;
    assert_eq!(client.json().await["Status"], "Ok");
    for size in [1025, 64 * 1024] {
        ack_then_close(&bus, Message::text("x".repeat(size)), 1009).await;
        ack_then_close(&bus, Message::binary(vec![b'x'; size]), 1009).await;
    }
    bus.wait_metric("evmatch_bus_subscriptions", |n| n == 0.0)
        .await;
    bus.assert_serving().await;
}

#[tokio::test]
async fn invalid_utf8_in_a_text_frame_closes_1007() {
    let bus = TestBus::start(|_| {}).await;
    let not_utf8 = b"{\"Action\": \"Hello\", \"RequestId\": \"\xff\xfe\"}".to_vec();
    let frame = Frame::message(not_utf8, OpCode::Data(Data::Text), true);
    ack_then_close(&bus, Message::Frame(frame), 1007).await;
    bus.wait_metric("evmatch_bus_subscriptions", |n| n == 0.0)
        .await;
    bus.assert_serving().await;
}

#[tokio::test]
async fn random_frames_are_answered_or_closed_never_crash() {
    let bus = TestBus::start(|_| {}).await;
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    for round in 0..8 {
        let bytes = noise.bytes(16 + round * 97);
        let mut text_client = bus.connect_hello().await;
        text_client
            .send_text(String::from_utf8_lossy(&bytes).into_owned())
            .await;
        assert_eq!(text_client.close_or_end().await.map(|c| c.0), Some(1008));
        let mut binary_client = bus.connect().await;
        binary_client.send_message(Message::binary(bytes)).await;
        assert_eq!(binary_client.close_or_end().await.map(|c| c.0), Some(1003));
    }
    bus.assert_serving().await;
}

/// A manual upgrade over a TCP stream; returns the stream positioned after the response head.
async fn upgraded_stream(bus: &TestBus) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(bus.addr).await.unwrap();
    let url = bus.ws_url(&bus.header());
    let query = &url[url.find('?').unwrap()..];
    let request = format!(
        "GET /ws{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        let read = tokio::time::timeout(WAIT, stream.read(&mut byte))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read, 1, "the response head ended early");
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    stream
}

/// Reads until the server closes the stream (or resets it); fails after [`WAIT`].
async fn read_to_end(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut all))
        .await
        .expect("the server closes the stream");
    all
}

#[tokio::test]
async fn raw_garbage_after_the_upgrade_is_dropped() {
    let bus = TestBus::start(|_| {}).await;
    // Frames the server must refuse at once: unmasked, reserved bits set, a reserved opcode, a
    // control frame that is not final.
    let refused: [&[u8]; 4] = [
        b"\x81\x05hello",
        b"\xf1\x80\x01\x02\x03\x04",
        b"\x83\x80\x01\x02\x03\x04",
        b"\x09\x80\x01\x02\x03\x04",
    ];
    for bytes in refused {
        let mut stream = upgraded_stream(&bus).await;
        stream.write_all(bytes).await.unwrap();
        read_to_end(&mut stream).await;
    }
    // A frame header announcing 2^63 bytes: over the limit, closed with 1009.
    let mut stream = upgraded_stream(&bus).await;
    stream
        .write_all(b"\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff\x01\x02\x03\x04")
        .await
        .unwrap();
    let answer = read_to_end(&mut stream).await;
    assert!(answer.len() >= 4, "{answer:?}");
    assert_eq!(
        (answer[0], u16::from_be_bytes([answer[2], answer[3]])),
        (0x88, 1009)
    );
    // Noise, and half a frame: whatever the server makes of them, it serves others meanwhile.
    let mut noise = Noise(42);
    let mut held = Vec::new();
    for len in [1, 2, 13, 200, 5000] {
        let mut stream = upgraded_stream(&bus).await;
        let _ = stream.write_all(&noise.bytes(len)).await;
        held.push(stream);
    }
    bus.assert_serving().await;
    drop(held);
    // A masked text frame with invalid UTF-8, written by hand.
    let mut stream = upgraded_stream(&bus).await;
    let payload = [0xffu8, 0xfe, 0x80];
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).await.unwrap();
    let answer = read_to_end(&mut stream).await;
    // A server close frame: 0x88, a length, then the code 1007 big-endian.
    assert!(answer.len() >= 4, "{answer:?}");
    assert_eq!(answer[0], 0x88);
    assert_eq!(u16::from_be_bytes([answer[2], answer[3]]), 1007);
    bus.wait_metric("evmatch_bus_connections", |n| n == 0.0)
        .await;
    bus.assert_serving().await;
}

#[tokio::test]
async fn garbage_http_gets_an_error_or_a_close() {
    let bus = TestBus::start(|_| {}).await;
    let mut noise = Noise(7);
    // A connection that says nothing at all, held open throughout.
    let _silent = tokio::net::TcpStream::connect(bus.addr).await.unwrap();
    let mut half = tokio::net::TcpStream::connect(bus.addr).await.unwrap();
    half.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let requests: Vec<Vec<u8>> = vec![
        b"GARBAGE\r\n\r\n".to_vec(),
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"GET /ws?header=%%% HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec(),
        [b"GET /".as_slice(), &[b'a'; 70_000], b" HTTP/1.1\r\n\r\n"].concat(),
        noise.bytes(3000),
    ];
    for request in requests {
        let mut stream = tokio::net::TcpStream::connect(bus.addr).await.unwrap();
        let _ = stream.write_all(&request).await;
        // The response head, or the end of the stream (a parsed request may be kept alive).
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = tokio::time::timeout(WAIT, stream.read(&mut buffer))
                .await
                .expect("an answer or a close within the wait")
                .unwrap_or(0);
            if read == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..read]);
        }
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.is_empty()
                || answer.starts_with("HTTP/1.1 4")
                || answer.starts_with("HTTP/1.1 505"),
            "{answer}"
        );
    }
    let (status, _) = raw_http(bus.addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status, 200);
    bus.assert_serving().await;
}

/// Sends `count` Subscribe actions back to back (RequestId `s<i>`, rule `r<i>`) while reading
/// their acks; returns the acks by RequestId.
async fn subscribe_many(
    client: support::Client,
    count: usize,
) -> (support::Client, HashMap<String, Value>) {
    let (mut sink, mut stream) = client.ws.split();
    let sender = tokio::spawn(async move {
        for i in 0..count {
            let action = json!({"Action": "Subscribe", "RequestId": format!("s{i}"),
                                "Rule": format!("r{i}"), "Pattern": format!(r#"{{"source": ["s{i}"]}}"#)});
            sink.feed(Message::text(action.to_string())).await.unwrap();
        }
        sink.flush().await.unwrap();
        sink
    });
    let mut acks = HashMap::new();
    let deadline = tokio::time::Instant::now() + 4 * WAIT;
    while acks.len() < count {
        let frame = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("every ack within the wait")
            .expect("the connection stays open")
            .expect("a frame");
        let Message::Text(text) = frame else {
            panic!("{frame:?}")
        };
        let message: Value = serde_json::from_str(&text).unwrap();
        if message["Action"] == "Ack" {
            acks.insert(message["RequestId"].as_str().unwrap().to_owned(), message);
        }
    }
    let sink = sender.await.unwrap();
    let client = support::Client::new(sink.reunite(stream).unwrap());
    (client, acks)
}

#[tokio::test]
async fn ten_thousand_subscribes_past_the_limit_are_all_answered() {
    let bus = TestBus::start(|config| config.max_rules = 100).await;
    let client = bus.connect_hello().await;
    let (mut client, acks) = subscribe_many(client, 10_000).await;
    for i in 0..10_000 {
        let ack = &acks[&format!("s{i}")];
        let expected = if i < 100 { "Ok" } else { "Error" };
        assert_eq!(ack["Status"], expected, "s{i}: {ack}");
    }
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 100.0);
    bus.put_events(json!([
        support::entry("s99", "T", json!({})),
        support::entry("s100", "T", json!({}))
    ]))
    .await;
    assert_eq!(client.event().await["Rules"], json!(["r99"]));
    client.assert_quiet(Duration::from_millis(200)).await;
    drop(client);
    bus.wait_metric("evmatch_bus_subscriptions", |n| n == 0.0)
        .await;
    bus.assert_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_rules_on_one_connection_still_match() {
    let bus = TestBus::start(|config| config.max_rules = 10_000).await;
    let client = bus.connect_hello().await;
    let (mut client, acks) = subscribe_many(client, 10_000).await;
    assert!(acks.values().all(|ack| ack["Status"] == "Ok"));
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 10_000.0);
    bus.put_events(json!([
        support::entry("s7777", "T", json!({})),
        support::entry("s10000", "T", json!({}))
    ]))
    .await;
    assert_eq!(client.event().await["Rules"], json!(["r7777"]));
    client.assert_quiet(Duration::from_millis(200)).await;
    bus.assert_serving().await;
    drop(client);
    bus.wait_metric("evmatch_bus_subscriptions", |n| n == 0.0)
        .await;
}
