//! A connection's life: the Hello timeout, KeepAlives, the idle timeout, the maximum lifetime;
//! `/healthz` and `/metrics`; and the graceful shutdown. After every close, other connections
//! on the same bus still subscribe and receive.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{entry, TestBus, WAIT};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn no_hello_in_time_closes_4000() {
    let bus = TestBus::start(|config| config.hello_timeout_secs = 0.3).await;
    let started = Instant::now();
    let mut silent = bus.connect().await;
    let mut polite = bus.connect_hello().await;
    let (code, reason) = silent.closed().await;
    assert_eq!(code, 4000);
    assert_eq!(reason, "no Hello action within the hello timeout");
    assert!(
        started.elapsed() >= Duration::from_millis(280),
        "{:?}",
        started.elapsed()
    );
    // The one that said Hello outlives the timeout and works.
    tokio::time::sleep(Duration::from_millis(100)).await;
    polite.subscribe_ok("p", r#"{"source": ["app.p"]}"#).await;
    bus.put_events(json!([entry("app.p", "T", json!({}))]))
        .await;
    assert_eq!(polite.event().await["Rules"], json!(["p"]));
    assert_eq!(
        bus.metric(r#"evmatch_bus_connections_closed_total{reason="hello_timeout"}"#)
            .await,
        1.0
    );
}

#[tokio::test]
async fn keepalives_arrive_every_interval() {
    let bus = TestBus::start(|config| config.keepalive_secs = 0.2).await;
    let mut client = bus.connect_hello().await;
    let started = Instant::now();
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_millis(750) {
        let Some(frame) = client.next_raw_within(Duration::from_millis(100)).await else {
            continue;
        };
        let Message::Text(text) = frame else {
            panic!("{frame:?}")
        };
        let message: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(message["Action"], "KeepAlive", "{message}");
        assert_eq!(message.as_object().unwrap().len(), 2, "{message}");
        assert!(uuid::Uuid::try_parse(message["RequestId"].as_str().unwrap()).is_ok());
        seen.push((started.elapsed(), message["RequestId"].clone()));
    }
    // Ticks at about 0.2, 0.4 and 0.6 s after the connection opened.
    assert!((2..=4).contains(&seen.len()), "{seen:?}");
    assert!(
        seen[1].0 - seen[0].0 >= Duration::from_millis(150),
        "{seen:?}"
    );
    assert_ne!(seen[0].1, seen[1].1);
    // KeepAlives are not client activity, and do not get in the way of actions.
    client.subscribe_ok("k", r#"{"source": ["app.k"]}"#).await;
}

#[tokio::test]
async fn idle_connections_close_4002_and_activity_keeps_them() {
    let bus = TestBus::start(|config| {
        config.idle_timeout_secs = 0.5;
        config.keepalive_secs = 0.1; // the server's KeepAlives are not activity
    })
    .await;
    let started = Instant::now();
    let mut idle = bus.connect_hello().await;
    let mut busy = bus.connect_hello().await;
    let chatter = async {
        while started.elapsed() < Duration::from_millis(900) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            busy.hello().await;
        }
        busy
    };
    let closing = async {
        let closed = idle.closed().await;
        (closed, started.elapsed())
    };
    let (mut busy, ((code, reason), after)) = tokio::join!(chatter, closing);
    assert_eq!((code, reason.as_str()), (4002, "idle timeout"));
    assert!(after >= Duration::from_millis(450), "{after:?}");
    busy.subscribe_ok("b", r#"{"source": ["app.b"]}"#).await;
    bus.put_events(json!([entry("app.b", "T", json!({}))]))
        .await;
    assert_eq!(busy.event().await["Rules"], json!(["b"]));
}

#[tokio::test]
async fn every_connection_ends_at_the_maximum_lifetime_with_4003() {
    let bus = TestBus::start(|config| config.max_lifetime_secs = 0.5).await;
    let started = Instant::now();
    let mut client = bus.connect_hello().await;
    client.subscribe_ok("l", r#"{"source": ["app.l"]}"#).await;
    // Busy or not, it is closed.
    let (code, reason) = loop {
        let request_id = uuid::Uuid::new_v4().to_string();
        client
            .send_json(json!({"Action": "Hello", "RequestId": request_id}))
            .await;
        match client.next().await {
            support::Received::Json(ack) => assert_eq!(ack["Status"], "Ok"),
            support::Received::Close(Some(frame)) => {
                break (u16::from(frame.code), frame.reason.to_string())
            }
            other => panic!("{other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (code, reason.as_str()),
        (4003, "maximum connection lifetime reached")
    );
    assert!(started.elapsed() >= Duration::from_millis(450));
    bus.wait_metric("evmatch_bus_subscriptions", |n| n == 0.0)
        .await;
    bus.assert_serving().await;
}

#[tokio::test]
async fn health_and_metrics_report_the_bus() {
    let bus = TestBus::start(|_| {}).await;
    let (status, health) = bus.healthz().await;
    assert_eq!(status, 200);
    assert_eq!(
        health,
        json!({"status": "ok", "connections": 0, "pendingBytes": 0, "lastSequence": 0})
    );

    let mut first = bus.connect_hello().await;
    for rule in ["a", "b", "c"] {
        first
            .subscribe_ok(rule, &format!(r#"{{"source": ["app.{rule}"]}}"#))
            .await;
    }
    first.subscribe_ok("a", r#"{"source": ["app.m"]}"#).await; // a replacement
    let mut second = bus.connect_hello().await;
    second.subscribe_ok("x", r#"{"source": ["app.m"]}"#).await;
    second.subscribe_ok("y", r#"{"source": ["app.y"]}"#).await;
    assert_eq!(second.unsubscribe("y").await["Status"], "Ok");
    bus.put_events(json!([entry("app.m", "T", json!({}))]))
        .await;
    first.event().await;
    second.event().await;

    let response = bus.http.get(bus.url("/metrics")).send().await.unwrap();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("text"));
    let text = response.text().await.unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("{name} missing from\n{text}"))
            .trim()
            .parse()
            .unwrap()
    };
    assert_eq!(value("evmatch_bus_connections"), 2.0);
    assert_eq!(value("evmatch_bus_connections_opened_total"), 2.0);
    assert_eq!(value("evmatch_bus_subscriptions"), 4.0);
    assert_eq!(value("evmatch_bus_events_published_total"), 1.0);
    assert_eq!(value("evmatch_bus_deliveries_total"), 2.0);
    for histogram in [
        "evmatch_bus_match_seconds",
        "evmatch_bus_publish_to_send_seconds",
    ] {
        assert!(
            text.contains(&format!("# TYPE {histogram} histogram")),
            "{text}"
        );
        let count = value(&format!("{histogram}_count"));
        assert_eq!(value(&format!("{histogram}_bucket{{le=\"+Inf\"}}")), count);
        assert!(value(&format!("{histogram}_sum")) >= 0.0);
        let buckets = text
            .lines()
            .filter(|line| line.starts_with(&format!("{histogram}_bucket{{le=")))
            .count();
        assert!(buckets > 10, "{histogram}: {buckets} buckets");
    }
    assert_eq!(value("evmatch_bus_match_seconds_count"), 1.0);
    assert_eq!(value("evmatch_bus_publish_to_send_seconds_count"), 2.0);
    assert!(text.contains("# TYPE evmatch_bus_events_published counter"));
    assert!(text.trim_end().ends_with("# EOF"));

    let (_, health) = bus.healthz().await;
    assert_eq!(health["connections"], 2);
    // Gone clients leave no rules behind.
    drop(first);
    second.ws.close(None).await.unwrap();
    bus.wait_metric("evmatch_bus_connections", |n| n == 0.0)
        .await;
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 0.0);
    assert_eq!(
        bus.metric(r#"evmatch_bus_connections_closed_total{reason="client"}"#)
            .await,
        2.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_sends_queued_messages_then_1001() {
    let mut bus = TestBus::start(|config| config.max_queue_bytes = 64 << 20).await;
    let mut client = bus.connect_hello().await;
    client
        .subscribe_ok("s", r#"{"source": ["app.s", "app.big"]}"#)
        .await;
    // A client that reads nothing keeps the shutdown draining while we look at it.
    let mut stuck = bus.connect_small_buffer(4096).await;
    stuck.hello().await;
    stuck
        .subscribe_ok("big", r#"{"source": ["app.big"]}"#)
        .await;
    let pad = "p".repeat(16 * 1024);
    let big: Vec<Value> = (0..8)
        .map(|i| entry("app.big", "Big", json!({"i": i, "pad": pad})))
        .collect();
    let mut big_sent = 0;
    let deadline = tokio::time::Instant::now() + WAIT;
    while bus.healthz().await.1["pendingBytes"] == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stuck client's queue never grew"
        );
        let (status, _) = bus.put_events(Value::Array(big.clone())).await;
        assert_eq!(status, 200);
        big_sent += 8;
        for _ in 0..8 {
            client.event().await;
        }
    }
    let (status, _) = bus
        .put_events(json!([
            entry("app.s", "One", json!({})),
            entry("app.s", "Two", json!({})),
            entry("app.s", "Three", json!({})),
        ]))
        .await;
    assert_eq!(status, 200);

    bus.begin_stop();
    // While connections drain, the node says it is going away.
    let deadline = tokio::time::Instant::now() + WAIT;
    let health = loop {
        let (status, health) = bus.healthz().await;
        if status != 200 {
            break (status, health);
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(health.0, 503);
    assert_eq!(health.1["status"], "shutting down");
    let (status, _) = bus
        .put_events(json!([entry("app.s", "Late", json!({}))]))
        .await;
    assert_eq!(status, 503);
    assert_eq!(
        bus.upgrade_status(Some(&bus.header()), "127.0.0.1").await,
        503
    );

    // The reading client gets what was queued, then 1001.
    for expected in ["One", "Two", "Three"] {
        assert_eq!(client.event().await["Type"], expected);
    }
    let (code, reason) = client.closed().await;
    assert_eq!((code, reason.as_str()), (1001, "server shutting down"));
    // The stuck client: everything queued for it, then 1001, once it reads.
    let mut received = 0;
    let close = loop {
        match stuck.next().await {
            support::Received::Json(event) => {
                assert_eq!(event["Action"], "Event");
                received += 1;
            }
            support::Received::Close(frame) => break frame.map(|f| u16::from(f.code)),
            other => panic!("after {received} events: {other:?}"),
        }
    };
    assert_eq!((received, close), (big_sent, Some(1001)));
    let stopped = Instant::now();
    bus.stop().await;
    assert!(
        stopped.elapsed() < Duration::from_secs(3),
        "{:?}",
        stopped.elapsed()
    );
}
