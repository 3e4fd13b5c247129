//! `Resume` on one node: events carry a `Sequence`, and a client that reconnects, subscribes
//! again and resumes gets exactly what it missed, then live events, none twice.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{Client, TestBus};

const RULE: &str = r#"{"source": ["app"], "detail": {"n": [{"numeric": [">=", 0]}]}}"#;

/// Publishes `{"n": n}` from `app` (matches [`RULE`]) and `{"n": n}` from `other` (does not).
async fn publish(bus: &TestBus, n: i64, matching: bool) {
    let source = if matching { "app" } else { "other" };
    let line = json!({"source": source, "detail-type": "t", "detail": {"n": n}}).to_string();
    let (status, body) = bus.put_raw(line).await;
    assert_eq!((status, &body["Accepted"]), (200, &json!(1)), "{body}");
}

/// The next event's `n` and `Sequence`.
async fn next_n(client: &mut Client) -> (i64, u64) {
    let event = client.event().await;
    let inner: Value = serde_json::from_str(event["Event"].as_str().unwrap()).unwrap();
    (
        inner["detail"]["n"].as_i64().unwrap(),
        event["Sequence"].as_u64().expect("a Sequence"),
    )
}

async fn resume(client: &mut Client, last: u64) -> Value {
    client
        .act(json!({"Action": "Resume", "LastSequence": last}))
        .await
}

#[tokio::test]
async fn a_resumed_connection_gets_what_it_missed_once() {
    let bus = TestBus::start(|_| {}).await;
    let mut first = bus.connect_hello().await;
    first.subscribe_ok("r", RULE).await;
    publish(&bus, 1, true).await;
    publish(&bus, 2, false).await;
    publish(&bus, 3, true).await;
    let (n1, s1) = next_n(&mut first).await;
    let (n3, s3) = next_n(&mut first).await;
    assert_eq!((n1, n3), (1, 3));
    assert!(s3 > s1 + 1, "sequences count every event: {s1} then {s3}");
    drop(first);

    // Missed while away: 4 and 6 match.
    for (n, matching) in [(4, true), (5, false), (6, true)] {
        publish(&bus, n, matching).await;
    }
    let mut second = bus.connect_hello().await;
    second.subscribe_ok("r", RULE).await;
    publish(&bus, 7, true).await; // live before the resume
    assert_eq!(next_n(&mut second).await.0, 7);
    let ack = resume(&mut second, s3).await;
    assert_eq!(ack["Status"], "Ok", "{ack}");
    publish(&bus, 8, true).await;
    // Replayed 4 and 6 (their Acks came after them), then 8 live; 7 is not sent again.
    let mut seen = Vec::new();
    while seen.len() < 3 {
        seen.push(next_n(&mut second).await);
    }
    let ns: Vec<i64> = seen.iter().map(|(n, _)| *n).collect();
    assert_eq!(ns, [4, 6, 8]);
    assert!(
        seen.windows(2).all(|w| w[0].1 < w[1].1),
        "in sequence order: {seen:?}"
    );
    second.assert_quiet(Duration::from_millis(200)).await;

    // Once per connection.
    let again = resume(&mut second, s3).await;
    assert_eq!(again["Status"], "Error");
    bus.stop().await;
}

#[tokio::test]
async fn resume_beyond_what_is_kept_is_refused() {
    let bus = TestBus::start(|config| config.history_events = 2).await;
    for n in 0..5 {
        publish(&bus, n, true).await;
    }
    let mut client = bus.connect_hello().await;
    client.subscribe_ok("r", RULE).await;
    let ack = resume(&mut client, 1).await;
    assert_eq!(ack["Status"], "Error");
    let message = ack["Message"].as_str().unwrap();
    assert!(message.starts_with("Resume impossible"), "{message}");
    // Live delivery goes on after a refused resume.
    publish(&bus, 9, true).await;
    assert_eq!(next_n(&mut client).await.0, 9);

    // A position the bus never reached (its history was reset, say by a restart).
    let mut other = bus.connect_hello().await;
    other.subscribe_ok("r", RULE).await;
    let ack = resume(&mut other, 1_000_000).await;
    assert_eq!(ack["Status"], "Error");
    assert!(ack["Message"].as_str().unwrap().contains("ahead"), "{ack}");
    bus.stop().await;
}

#[tokio::test]
async fn resume_needs_hello_and_a_number() {
    let bus = TestBus::start(|_| {}).await;
    let mut client = bus.connect().await;
    let ack = resume(&mut client, 0).await;
    assert_eq!(
        ack["Message"],
        "Hello must be the first action on a connection"
    );
    client.hello().await;
    let ack = client
        .act(json!({"Action": "Resume", "LastSequence": "7"}))
        .await;
    assert_eq!(
        ack["Message"],
        "LastSequence must be a non-negative integer"
    );
    // Resuming from 0 with nothing published is simply done.
    assert_eq!(resume(&mut client, 0).await["Status"], "Ok");
    bus.stop().await;
}
