//! Publishing: PutEvents' shapes and per-entry failures, request limits, the bearer key, JSON
//! Lines with per-line refusals, and what happens when clients cannot keep up (503 when the
//! queues are full, 4001 for a slow consumer, 429 past the concurrent publishes).

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{entry, TestBus, PUBLISH_KEY, WAIT};

#[tokio::test]
async fn put_events_builds_eventbridge_events() {
    let bus = TestBus::start(|config| {
        config.account = "123456789012".into();
        config.region = "eu-west-1".into();
    })
    .await;
    let mut client = bus.connect_hello().await;
    client
        .subscribe_ok("all", r#"{"source": ["app.shapes"]}"#)
        .await;
    let (status, body) = bus
        .put_events(json!([
            {"Source": "app.shapes", "DetailType": "Full", "Detail": "{\"id\": 7, \"s\": \"\\u00e9\"}",
             "Resources": ["arn:aws:x:1", "arn:aws:x:2"], "Time": "2026-12-06T10:00:00Z",
             "EventBusName": "default"},
            {"Source": "app.shapes", "DetailType": "Epoch", "Detail": "{}", "Time": 1_700_000_000},
            {"Source": "app.shapes", "DetailType": "Now", "Detail": "{\"a\": [1, 2.50]}"},
        ]))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["FailedEntryCount"], 0);
    let entries = body["Entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    let mut events = Vec::new();
    for result in entries {
        let id = result["EventId"].as_str().unwrap();
        assert!(uuid::Uuid::try_parse(id).is_ok(), "{id}");
        let notification = client.event().await;
        let event: Value = serde_json::from_str(notification["Event"].as_str().unwrap()).unwrap();
        assert_eq!(event["id"], id);
        assert_eq!(notification["Type"], event["detail-type"]);
        events.push((notification, event));
    }
    let (text, full) = &events[0];
    assert_eq!(
        full,
        &json!({"version": "0", "id": entries[0]["EventId"], "detail-type": "Full",
                "source": "app.shapes", "account": "123456789012", "time": "2026-12-06T10:00:00Z",
                "region": "eu-west-1", "resources": ["arn:aws:x:1", "arn:aws:x:2"],
                "detail": {"id": 7, "s": "é"}})
    );
    // The detail goes into the event as it was sent.
    assert!(text["Event"]
        .as_str()
        .unwrap()
        .ends_with(r#""detail":{"id": 7, "s": "\u00e9"}}"#));
    assert_eq!(events[1].1["time"], "2023-11-14T22:13:20Z");
    assert_eq!(events[1].1["resources"], json!([]));
    assert!(events[2].0["Event"]
        .as_str()
        .unwrap()
        .contains(r#""detail":{"a": [1, 2.50]}"#));
    client.assert_quiet(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_bad_entry_fails_alone() {
    let bus = TestBus::start(|_| {}).await;
    let mut client = bus.connect_hello().await;
    client
        .subscribe_ok("mine", r#"{"source": ["app.ok"]}"#)
        .await;
    client.subscribe_ok("evil", r#"{"source": ["evil"]}"#).await;
    let good = entry("app.ok", "Good", json!({"n": 1}));
    let cases = [
        (
            json!({"DetailType": "T", "Detail": "{}"}),
            "InvalidArgument",
            "Source",
        ),
        (
            json!({"Source": "", "DetailType": "T", "Detail": "{}"}),
            "InvalidArgument",
            "Source",
        ),
        (
            json!({"Source": "app.ok", "Detail": "{}"}),
            "InvalidArgument",
            "DetailType",
        ),
        (
            json!({"Source": "app.ok", "DetailType": "T"}),
            "InvalidArgument",
            "Detail",
        ),
        (
            json!({"Source": "app.ok", "DetailType": "T", "Detail": {"n": 1}}),
            "InvalidArgument",
            "Detail",
        ),
        (
            json!({"Source": "app.ok", "DetailType": "T", "Detail": "[1]"}),
            "MalformedDetail",
            "",
        ),
        (
            json!({"Source": "app.ok", "DetailType": "T", "Detail": "5"}),
            "MalformedDetail",
            "",
        ),
        (
            json!({"Source": "app.ok", "DetailType": "T", "Detail": "{\"a\":"}),
            "MalformedDetail",
            "",
        ),
        (
            json!({"Source": "app.ok", "DetailType": "T", "Detail": r#"{"a":1}, "source":"evil""#}),
            "MalformedDetail",
            "",
        ),
        (
            json!({"Source": "app.ok", "DetailType": "T", "Detail": "{\"a\":1} x"}),
            "MalformedDetail",
            "",
        ),
        (
            json!({"Source": "app.ok", "DetailType": "T", "Detail": "{}", "Resources": "arn:x"}),
            "InvalidArgument",
            "Resources",
        ),
        (
            json!({"Source": "app.ok", "DetailType": "T", "Detail": "{}", "Resources": [1]}),
            "InvalidArgument",
            "Resources",
        ),
        (
            json!({"Source": "app.ok", "DetailType": "T", "Detail": "{}", "Time": "yesterday"}),
            "InvalidArgument",
            "Time",
        ),
    ];
    let mut entries = vec![good.clone()];
    entries.extend(cases.iter().take(8).map(|case| case.0.clone()));
    entries.push(good.clone());
    let mut rest = cases
        .iter()
        .skip(8)
        .map(|case| case.0.clone())
        .collect::<Vec<_>>();
    rest.insert(2, good.clone());
    for (batch, expected) in [(entries, cases[..8].to_vec()), (rest, cases[8..].to_vec())] {
        let (status, body) = bus.put_events(Value::Array(batch.clone())).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["FailedEntryCount"], expected.len(), "{body}");
        let results = body["Entries"].as_array().unwrap();
        assert_eq!(results.len(), batch.len());
        let mut failures = results.iter().filter(|r| r.get("ErrorCode").is_some());
        for (sent, result) in batch.iter().zip(results) {
            if sent == &good {
                assert!(result["EventId"].is_string(), "{result}");
                let event = client.event().await;
                assert_eq!(event["Rules"], json!(["mine"]));
                let published: Value =
                    serde_json::from_str(event["Event"].as_str().unwrap()).unwrap();
                assert_eq!(published["id"], result["EventId"]);
            }
        }
        for (_, code, parameter) in expected {
            let failure = failures.next().unwrap();
            assert_eq!(failure["ErrorCode"], code, "{failure}");
            let message = failure["ErrorMessage"].as_str().unwrap();
            assert!(message.contains(parameter), "{parameter}: {message}");
            assert!(failure.get("EventId").is_none());
        }
    }
    // Nothing from the bad entries went out, "evil" least of all.
    client.assert_quiet(Duration::from_millis(200)).await;
    assert_eq!(bus.metric("evmatch_bus_events_published_total").await, 3.0);
}

#[tokio::test]
async fn whole_requests_are_refused_past_the_limits() {
    let bus = TestBus::start(|_| {}).await;
    let one = entry("app.x", "T", json!({}));
    let validation = |status: u16, body: &Value| {
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["__type"], "ValidationException", "{body}");
        assert!(body["message"].is_string());
    };
    let (status, body) = bus.put_events(json!([])).await;
    validation(status, &body);
    let (status, body) = bus.put_events(Value::Array(vec![one.clone(); 11])).await;
    validation(status, &body);
    let (status, _) = bus.put_events(Value::Array(vec![one.clone(); 10])).await;
    assert_eq!(status, 200);
    for raw in ["{}", "not json", r#"{"Entries": "x"}"#] {
        let response = bus
            .http
            .post(bus.url("/events"))
            .bearer_auth(PUBLISH_KEY)
            .body(raw)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        validation(status, &response.json().await.unwrap());
    }
    // 256 KB over all entries: Source, DetailType and Detail count.
    let detail = |len: usize| format!(r#"{{"p":"{}"}}"#, "x".repeat(len - 8));
    let at_limit = json!({"Source": "s", "DetailType": "t", "Detail": detail(256 * 1024 - 2)});
    let (status, body) = bus.put_events(json!([at_limit])).await;
    assert_eq!(status, 200, "{body}");
    let over = json!({"Source": "s", "DetailType": "t", "Detail": detail(256 * 1024 - 1)});
    let (status, body) = bus.put_events(json!([over])).await;
    validation(status, &body);
    // Far past it (past the HTTP body limit too): the same ValidationException.
    let huge = vec![json!({"Source": "s", "DetailType": "t", "Detail": detail(200 * 1024)}); 10];
    let (status, body) = bus.put_events(Value::Array(huge)).await;
    validation(status, &body);
    let halves = vec![json!({"Source": "s", "DetailType": "t", "Detail": detail(128 * 1024)}); 2];
    let (status, body) = bus.put_events(Value::Array(halves)).await;
    validation(status, &body);
    assert_eq!(bus.metric("evmatch_bus_events_published_total").await, 11.0);
}

#[tokio::test]
async fn publishing_needs_the_bearer_key() {
    let bus = TestBus::start(|_| {}).await;
    let body = json!({"Entries": [entry("s", "t", json!({}))]}).to_string();
    for path in ["/events", "/events/raw"] {
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("bearer test-publish-key"),
            Some(PUBLISH_KEY),
        ] {
            let mut request = bus.http.post(bus.url(path)).body(body.clone());
            if let Some(auth) = auth {
                request = request.header("Authorization", auth);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 401, "{path} {auth:?}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
        }
    }
    // The key is checked first, however large the body.
    for path in ["/events", "/events/raw"] {
        let response = bus
            .http
            .post(bus.url(path))
            .body(vec![b' '; 17 << 20])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{path}");
    }
    let response = bus
        .http
        .post(bus.url("/events/raw"))
        .bearer_auth(PUBLISH_KEY)
        .body(vec![b' '; 17 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let refusal: Value = response.json().await.unwrap();
    assert!(refusal["message"]
        .as_str()
        .unwrap()
        .contains("--max-raw-body-bytes"));
    let response = bus
        .http
        .post(bus.url("/events"))
        .header("Authorization", format!("Bearer {PUBLISH_KEY}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn json_lines_are_accepted_or_refused_by_line() {
    let bus = TestBus::start(|_| {}).await;
    let mut client = bus.connect_hello().await;
    client
        .subscribe_ok("lines", r#"{"source": ["app.lines"]}"#)
        .await;
    let nested = |depth: usize| {
        format!(
            r#"{{"source":"app.lines","detail-type":"deep","d":{}{}}}"#,
            "[".repeat(depth - 1),
            "]".repeat(depth - 1)
        )
    };
    let lines = [
        r#"{"source":"app.lines","detail-type":"one","detail":{}}"#.to_owned(), // 1
        r#"{"source":"app.lines","detail-type":"two""#.to_owned(),              // 2: cut short
        "[1, 2]".to_owned(),                                                    // 3
        r#""just a string""#.to_owned(),                                        // 4
        String::new(),                                                          // 5: blank
        r#"{"detail-type":"no source"}"#.to_owned(),                            // 6
        r#"{"source":"app.lines"}"#.to_owned(),                                 // 7
        r#"{"source":7,"detail-type":"t"}"#.to_owned(),                         // 8
        nested(1000),                                                           // 9: 1,000 levels
        nested(1001),                                                           // 10: one too many
        r#"{"source":"app.lines","detail-type":"t"} {}"#.to_owned(),            // 11: two values
        "   ".to_owned(),                                                       // 12: blank
        r#"{"source":"app.lines","detail-type":"last"}"#.to_owned(),            // 13
    ];
    let (status, body) = bus.put_raw(lines.join("\n")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Accepted"], 3, "{body}");
    let refused: Vec<u64> = body["Refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(!r["Reason"].as_str().unwrap().is_empty(), "{r}");
            r["Line"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(refused, [2, 3, 4, 6, 7, 8, 10, 11], "{body}");
    for expected in ["one", "deep", "last"] {
        assert_eq!(client.event().await["Type"], expected);
    }
    client.assert_quiet(Duration::from_millis(200)).await;
    assert_eq!(
        bus.metric(r#"evmatch_bus_events_refused_total{reason="invalid_line"}"#)
            .await,
        8.0
    );
}

/// `count` raw events of about `size` bytes each, one per line, with source `app.big`.
fn big_events(count: usize, size: usize) -> String {
    let pad = "p".repeat(size);
    (0..count)
        .map(|i| {
            format!(
                r#"{{"source":"app.big","detail-type":"Big","detail":{{"i":{i},"pad":"{pad}"}}}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn full_queues_make_publishers_retry_and_recover() {
    let bus = TestBus::start(|config| {
        config.max_pending_bytes = 32 * 1024;
        config.max_queue_bytes = 64 << 20;
    })
    .await;
    let mut stuck = bus.connect_small_buffer(4096).await;
    stuck.hello().await;
    stuck
        .subscribe_ok("big", r#"{"source": ["app.big"]}"#)
        .await;
    // The client reads no more: its queue grows until the bus as a whole is saturated.
    let mut saturated = None;
    for _ in 0..200 {
        let response = bus
            .http
            .post(bus.url("/events/raw"))
            .bearer_auth(PUBLISH_KEY)
            .body(big_events(4, 8 * 1024))
            .send()
            .await
            .unwrap();
        if response.status().as_u16() != 200 {
            saturated = Some(response);
            break;
        }
    }
    let response = saturated.expect("the bus saturates");
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["__type"], "ThrottlingException");
    let (status, _) = bus
        .put_events(json!([entry("app.big", "T", json!({}))]))
        .await;
    assert_eq!(status, 503);
    assert!(
        bus.metric(r#"evmatch_bus_publishes_throttled_total{reason="saturated"}"#)
            .await
            >= 2.0
    );
    // Once the stuck client is gone, every queued byte is accounted for and publishing works.
    drop(stuck);
    let deadline = tokio::time::Instant::now() + WAIT;
    while bus.healthz().await.1["pendingBytes"] != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            bus.healthz().await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bus.wait_metric("evmatch_bus_connections", |n| n == 0.0)
        .await;
    let (status, _) = bus
        .put_events(json!([entry("app.big", "T", json!({}))]))
        .await;
    assert_eq!(status, 200);
    bus.assert_serving().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_is_closed_and_others_get_everything() {
    let bus = TestBus::start(|config| config.max_queue_bytes = 64 * 1024).await;
    let mut slow = bus.connect_small_buffer(4096).await;
    slow.hello().await;
    slow.subscribe_ok("big", r#"{"source": ["app.big"]}"#).await;
    let mut fast = bus.connect_hello().await;
    fast.subscribe_ok("big", r#"{"source": ["app.big"]}"#).await;
    // Batches small enough for the fast client's queue; it reads each before the next.
    let mut sent = 0;
    let mut after_close = 0;
    while after_close < 3 {
        assert!(sent < 4000, "the slow client was never closed");
        let (status, body) = bus.put_raw(big_events(4, 4 * 1024)).await;
        assert_eq!((status, &body["Accepted"]), (200, &json!(4)), "{body}");
        for i in 0..4 {
            let event = fast.event().await;
            let published: Value = serde_json::from_str(event["Event"].as_str().unwrap()).unwrap();
            assert_eq!(published["detail"]["i"], i);
        }
        sent += 4;
        if bus
            .metric("evmatch_bus_slow_consumer_disconnects_total")
            .await
            > 0.0
        {
            after_close += 1;
        }
    }
    assert_eq!(
        bus.metric("evmatch_bus_slow_consumer_disconnects_total")
            .await,
        1.0
    );
    assert!(
        bus.metric(r#"evmatch_bus_drops_total{reason="slow_consumer"}"#)
            .await
            >= 1.0
    );
    // The slow client reads at last: what was in flight, then a 4001 close or the end.
    let mut received = 0;
    let close = loop {
        match slow.next().await {
            support::Received::Json(event) => {
                assert_eq!(event["Action"], "Event");
                received += 1;
            }
            support::Received::Close(frame) => break frame.map(|f| u16::from(f.code)),
            support::Received::Ended => break None,
            other => panic!("{other:?}"),
        }
    };
    assert!(received < sent, "{received} of {sent}");
    assert!(matches!(close, Some(4001) | None), "{close:?}");
    bus.wait_metric("evmatch_bus_connections", |n| n == 1.0)
        .await;
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 1.0);
    assert_eq!(
        bus.metric(r#"evmatch_bus_connections_closed_total{reason="slow_consumer"}"#)
            .await,
        1.0
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    while bus.healthz().await.1["pendingBytes"] != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            bus.healthz().await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_past_the_concurrency_limit_get_429() {
    let bus = TestBus::start(|config| config.max_concurrent_publishes = 1).await;
    // One long publish holds the only slot while a second asks for it. Whether they overlapped
    // is read from the first one's progress, before and after the second: only a proven
    // overlap is judged, so a scheduler that runs them apart cannot fail the test.
    let lines = 6000;
    let body = big_events(lines, 1000);
    let bus = std::sync::Arc::new(bus);
    for _attempt in 0..3 {
        let published = bus.metric("evmatch_bus_events_published_total").await;
        let first = tokio::spawn({
            let bus = std::sync::Arc::clone(&bus);
            let body = body.clone();
            async move { bus.put_raw(body).await }
        });
        let progress =
            || async { bus.metric("evmatch_bus_events_published_total").await - published };
        while progress().await == 0.0 && !first.is_finished() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let before = progress().await;
        // An entry that fails alone publishes nothing: the counter stays the first one's.
        let second = bus
            .http
            .post(bus.url("/events"))
            .bearer_auth(PUBLISH_KEY)
            .json(&json!({"Entries": [{"DetailType": "no source", "Detail": "{}"}]}))
            .send()
            .await
            .unwrap();
        let after = progress().await;
        let (status, answer) = first.await.unwrap();
        assert_eq!((status, &answer["Accepted"]), (200, &json!(lines)));
        if before > 0.0 && after < lines as f64 {
            assert_eq!(second.status().as_u16(), 429);
            assert_eq!(second.headers()["retry-after"], "1");
            let body: Value = second.json().await.unwrap();
            assert_eq!(body["__type"], "ThrottlingException");
            assert_eq!(
                bus.metric(r#"evmatch_bus_publishes_throttled_total{reason="too_many_requests"}"#)
                    .await,
                1.0
            );
            // The slot is free again.
            let (status, _) = bus.put_events(json!([entry("s", "t", json!({}))])).await;
            assert_eq!(status, 200);
            return;
        }
        assert_eq!(second.status().as_u16(), 200, "no overlap, so admitted");
    }
    eprintln!("the publishes never overlapped: 429 not judged");
}
