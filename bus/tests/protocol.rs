//! The WebSocket protocol: authentication at the upgrade, every action and every `Ack Error`,
//! and the `Event` notifications (one per event and connection, byte for byte).

mod support;

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use support::{entry, TestBus};

const QUIET: Duration = Duration::from_millis(250);

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn header(host: &str, api_key: &str, id: &str) -> String {
    TestBus::encode_header(&json!({ "Host": host, "ApiKey": api_key, "Id": id }))
}

fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[tokio::test]
async fn upgrade_is_checked_before_a_socket_exists() {
    let bus = TestBus::start(|_| {}).await;
    let host = format!("127.0.0.1:{}", bus.addr.port());
    let key = bus.api_key.clone();
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"Host": "127.0.0.1", "ApiKey": key, "Id": guid()}).to_string());
    let cases: Vec<(&str, Option<String>, u16)> = vec![
        ("no header", None, 401),
        ("not base64", Some("not-base64!*".into()), 400),
        ("base64 of not JSON", Some(b64("Host: 127.0.0.1")), 400),
        ("a JSON array", Some(b64(r#"["127.0.0.1"]"#)), 400),
        (
            "the three fields as an array",
            Some(b64(&json!(["127.0.0.1", key, guid()]).to_string())),
            400,
        ),
        (
            "Id missing",
            Some(TestBus::encode_header(
                &json!({"Host": "127.0.0.1", "ApiKey": key}),
            )),
            400,
        ),
        (
            "ApiKey missing",
            Some(TestBus::encode_header(
                &json!({"Host": "127.0.0.1", "Id": guid()}),
            )),
            400,
        ),
        (
            "Host missing",
            Some(TestBus::encode_header(
                &json!({"ApiKey": key, "Id": guid()}),
            )),
            400,
        ),
        (
            "Id not a string",
            Some(TestBus::encode_header(
                &json!({"Host": "127.0.0.1", "ApiKey": key, "Id": 7}),
            )),
            400,
        ),
        (
            "wrong ApiKey",
            Some(header("127.0.0.1", "d3Jvbmc=", &guid())),
            403,
        ),
        (
            "the dev-mode ApiKey outside dev mode",
            Some(header("127.0.0.1", &b64("evmatch-local"), &guid())),
            403,
        ),
        (
            "wrong Host",
            Some(header("example.com", &key, &guid())),
            403,
        ),
        (
            "Id not a GUID",
            Some(header("127.0.0.1", &key, "not-a-guid")),
            403,
        ),
        ("valid", Some(header("127.0.0.1", &key, &guid())), 101),
        ("valid, URL-safe base64 unpadded", Some(url_safe), 101),
    ];
    for (what, header, expected) in &cases {
        let status = bus.upgrade_status(header.as_deref(), &host).await;
        assert_eq!(status, *expected, "{what}");
    }
    // Refusals open no connection: only the two valid upgrades were ever registered.
    bus.wait_metric("evmatch_bus_connections", |n| n == 0.0)
        .await;
    assert_eq!(
        bus.metric("evmatch_bus_connections_opened_total").await,
        2.0
    );
    assert_eq!(
        bus.metric(r#"evmatch_bus_upgrades_refused_total{reason="unauthorized"}"#)
            .await,
        1.0
    );
    assert_eq!(
        bus.metric(r#"evmatch_bus_upgrades_refused_total{reason="bad_header"}"#)
            .await,
        8.0
    );
    assert_eq!(
        bus.metric(r#"evmatch_bus_upgrades_refused_total{reason="forbidden"}"#)
            .await,
        4.0
    );
    // A real client sees the status too.
    let refused = tokio_tungstenite::connect_async(bus.ws_url(&header("127.0.0.1", "x", &guid())))
        .await
        .expect_err("a wrong key is refused");
    match refused {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status().as_u16(), 403)
        }
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
    bus.assert_serving().await;
}

#[tokio::test]
async fn upgrades_past_max_connections_get_503() {
    let bus = TestBus::start(|config| config.max_connections = 2).await;
    let host = "127.0.0.1";
    let first = bus.connect_hello().await;
    let _second = bus.connect_hello().await;
    assert_eq!(bus.upgrade_status(Some(&bus.header()), host).await, 503);
    drop(first);
    bus.wait_metric("evmatch_bus_connections", |n| n == 1.0)
        .await;
    bus.assert_serving().await;
    assert_eq!(
        bus.metric(r#"evmatch_bus_upgrades_refused_total{reason="unavailable"}"#)
            .await,
        1.0
    );
}

#[tokio::test]
async fn public_host_is_the_host_clients_must_name() {
    let bus = TestBus::start(|config| config.public_host = Some("bus.example.com".into())).await;
    let request_host = format!("127.0.0.1:{}", bus.addr.port());
    let named = header("bus.example.com", &bus.api_key, &guid());
    assert_eq!(bus.upgrade_status(Some(&named), &request_host).await, 101);
    let request_named = header("127.0.0.1", &bus.api_key, &guid());
    assert_eq!(
        bus.upgrade_status(Some(&request_named), &request_host)
            .await,
        403
    );
}

#[tokio::test]
async fn dev_mode_key_is_the_deployment_id_and_host_is_not_checked() {
    let bus = TestBus::start(|config| {
        config.dev_mode = true;
        config.deployment_id = "stack-1234".into();
    })
    .await;
    assert_eq!(bus.api_key, b64("stack-1234"));
    let host = format!("127.0.0.1:{}", bus.addr.port());
    let any_host = header("anything.example", &b64("stack-1234"), &guid());
    assert_eq!(bus.upgrade_status(Some(&any_host), &host).await, 101);
    let full_key = header("127.0.0.1", &b64("dev:stack-1234"), &guid());
    assert_eq!(bus.upgrade_status(Some(&full_key), &host).await, 403);
    let not_guid = header("127.0.0.1", &b64("stack-1234"), "1234");
    assert_eq!(bus.upgrade_status(Some(&not_guid), &host).await, 403);
}

/// Sends `action` and asserts it is acknowledged with an error saying exactly `message`.
async fn assert_refused(client: &mut support::Client, action: Value, message: &str) {
    let ack = client.act(action.clone()).await;
    assert_eq!(ack["Status"], "Error", "{action} -> {ack}");
    assert_eq!(ack["Message"], message, "{action} -> {ack}");
}

#[tokio::test]
async fn every_action_error_is_acknowledged() {
    let bus = TestBus::start(|_| {}).await;
    let mut client = bus.connect().await;
    let before_hello = "Hello must be the first action on a connection";
    assert_refused(
        &mut client,
        json!({"Action": "Subscribe", "Rule": "r", "Pattern": r#"{"source": ["a"]}"#}),
        before_hello,
    )
    .await;
    assert_refused(
        &mut client,
        json!({"Action": "Unsubscribe", "Rule": "r"}),
        before_hello,
    )
    .await;
    client.hello().await;
    client.hello().await; // a second Hello is fine
    client
        .subscribe_ok("kept", r#"{"source": ["app.kept"]}"#)
        .await;
    let cases = [
        (json!({"Action": "Dance"}), "Unknown action: Dance"),
        (json!({}), "Action is missing or not a string"),
        (json!({"Action": 5}), "Action is missing or not a string"),
        (
            json!({"Action": "Subscribe", "Pattern": "{}"}),
            "Rule is missing or not a string",
        ),
        (
            json!({"Action": "Subscribe", "Rule": 5, "Pattern": "{}"}),
            "Rule is missing or not a string",
        ),
        (
            json!({"Action": "Subscribe", "Rule": "", "Pattern": "{}"}),
            "Rule must not be empty",
        ),
        (
            json!({"Action": "Subscribe", "Rule": "r"}),
            "Pattern is missing",
        ),
        (
            json!({"Action": "Subscribe", "Rule": "r", "Pattern": ["a"]}),
            "Pattern must be a JSON string or object",
        ),
        (
            json!({"Action": "Subscribe", "Rule": "r", "Pattern": null}),
            "Pattern is missing",
        ),
        (
            json!({"Action": "Subscribe", "Rule": "r", "Pattern": true}),
            "Pattern must be a JSON string or object",
        ),
        (
            json!({"Action": "Subscribe", "Rule": "r", "Pattern": 7}),
            "Pattern must be a JSON string or object",
        ),
        (
            json!({"Action": "Unsubscribe"}),
            "Rule is missing or not a string",
        ),
        (
            json!({"Action": "Unsubscribe", "Rule": ""}),
            "Rule must not be empty",
        ),
        (
            json!({"Action": "Unsubscribe", "Rule": "never"}),
            r#"No subscription named "never" on this connection"#,
        ),
    ];
    for (action, message) in cases {
        assert_refused(&mut client, action, message).await;
    }
    // None of it touched the rule set.
    bus.put_events(json!([entry("app.kept", "T", json!({}))]))
        .await;
    assert_eq!(client.event().await["Rules"], json!(["kept"]));
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 1.0);
}

#[tokio::test]
async fn invalid_patterns_are_refused_with_the_reason_and_change_nothing() {
    let bus = TestBus::start(|_| {}).await;
    let mut client = bus.connect_hello().await;
    client.subscribe_ok("r", r#"{"source": ["app.a"]}"#).await;
    let cases = [
        (
            r#"{"source": "app.b"}"#,
            r#""source" must be an object or an array"#,
        ),
        (r#"{"detail": {"n": []}}"#, "Empty arrays are not allowed"),
        (
            r#"{"source": [{"bogus": 1}]}"#,
            "Unrecognized match type bogus",
        ),
        (
            r#"{"source": [{"prefix": 5}]}"#,
            "prefix match pattern must be a string",
        ),
        (
            r#"{"detail": {"n": [{"exists": "yes"}]}}"#,
            "exists match pattern must be either true or false.",
        ),
        ("[1]", "Filter is not an object"),
    ];
    for (pattern, reason) in cases {
        let ack = client.subscribe("r", pattern).await;
        assert_eq!(ack["Status"], "Error", "{pattern}: {ack}");
        assert_eq!(
            ack["Message"],
            format!("Event pattern is not valid. Reason: {reason}"),
            "{pattern}"
        );
    }
    let ack = client.subscribe("r", r#"{"source": ["app.b"]"#).await;
    let message = ack["Message"].as_str().unwrap();
    assert!(
        message.starts_with("Event pattern is not valid. Reason: "),
        "{message}"
    );
    // The rule "r" still has its first pattern.
    bus.put_events(json!([
        entry("app.b", "T", json!({"n": 1})),
        entry("app.a", "T", json!({"n": 2})),
    ]))
    .await;
    let event = client.event().await;
    assert_eq!(event["Rules"], json!(["r"]));
    assert_eq!(event["Source"], "app.a");
    client.assert_quiet(QUIET).await;
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 1.0);
}

#[tokio::test]
async fn object_patterns_and_replacing_a_rule() {
    let bus = TestBus::start(|_| {}).await;
    let mut client = bus.connect_hello().await;
    let ack = client
        .act(json!({"Action": "Subscribe", "Rule": "obj",
                     "Pattern": {"source": ["app.obj"], "detail": {"n": [300]}}}))
        .await;
    assert_eq!(ack["Status"], "Ok", "{ack}");
    bus.put_raw(concat!(
        r#"{"source":"app.obj","detail-type":"T","detail":{"n":3.0e2}}"#,
        "\n",
        r#"{"source":"app.obj","detail-type":"T","detail":{"n":301}}"#,
    ))
    .await;
    let event = client.event().await;
    assert_eq!(event["Rules"], json!(["obj"]));
    assert!(event["Event"].as_str().unwrap().contains("3.0e2"));
    client.assert_quiet(QUIET).await;

    // Subscribe under the same name replaces the pattern: one rule, the new pattern only.
    client
        .subscribe_ok("obj", r#"{"source": ["app.new"]}"#)
        .await;
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 1.0);
    bus.put_events(json!([
        entry("app.obj", "T", json!({"n": 300})),
        entry("app.new", "T", json!({})),
    ]))
    .await;
    let event = client.event().await;
    assert_eq!(event["Source"], "app.new");
    assert_eq!(event["Rules"], json!(["obj"]));
    client.assert_quiet(QUIET).await;
    assert_eq!(client.unsubscribe("obj").await["Status"], "Ok");
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 0.0);
    assert_eq!(client.unsubscribe("obj").await["Status"], "Error");
}

#[tokio::test]
async fn rule_count_and_pattern_size_are_limited() {
    let bus = TestBus::start(|config| {
        config.max_rules = 3;
        config.max_pattern_bytes = 64;
    })
    .await;
    let mut client = bus.connect_hello().await;
    for rule in ["a", "b", "c"] {
        client
            .subscribe_ok(rule, &format!(r#"{{"source": ["app.{rule}"]}}"#))
            .await;
    }
    let ack = client.subscribe("d", r#"{"source": ["app.d"]}"#).await;
    assert_eq!(ack["Status"], "Error");
    assert_eq!(
        ack["Message"],
        "Connection already has 3 rules, the most allowed; unsubscribe one first"
    );
    // Replacing one of the three is not a fourth.
    client.subscribe_ok("c", r#"{"source": ["app.c2"]}"#).await;
    assert_eq!(client.unsubscribe("a").await["Status"], "Ok");
    client.subscribe_ok("d", r#"{"source": ["app.d"]}"#).await;

    let exactly_64 = format!(r#"{{"source": ["{}"]}}"#, "x".repeat(64 - 16));
    assert_eq!(exactly_64.len(), 64);
    client.subscribe_ok("d", &exactly_64).await;
    let over = format!(r#"{{"source": ["{}"]}}"#, "x".repeat(65 - 16));
    let ack = client.subscribe("d", &over).await;
    assert_eq!(ack["Status"], "Error");
    assert_eq!(
        ack["Message"],
        "Pattern is 65 bytes; at most 64 are allowed"
    );
    // The refused replacement left "d" as it was.
    bus.put_events(json!([entry(&"x".repeat(48), "T", json!({}))]))
        .await;
    assert_eq!(client.event().await["Rules"], json!(["d"]));
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 3.0);
}

#[tokio::test]
async fn one_notification_per_event_and_connection_with_every_matching_rule() {
    let bus = TestBus::start(|_| {}).await;
    let mut many = bus.connect_hello().await;
    many.subscribe_ok("by-source", r#"{"source": ["app.n"]}"#)
        .await;
    many.subscribe_ok("by-type", r#"{"detail-type": ["Thing Happened"]}"#)
        .await;
    many.subscribe_ok("by-detail", r#"{"detail": {"n": [{"numeric": [">", 5]}]}}"#)
        .await;
    many.subscribe_ok("other", r#"{"source": ["app.other"]}"#)
        .await;
    let mut one = bus.connect_hello().await;
    one.subscribe_ok("prefix", r#"{"source": [{"prefix": "app."}]}"#)
        .await;
    let mut none = bus.connect_hello().await;
    none.subscribe_ok("nothing", r#"{"source": ["nobody"]}"#)
        .await;

    let (status, body) = bus
        .put_events(json!([
            entry("app.n", "Thing Happened", json!({"n": 9})),
            entry("app.n", "Other", json!({"n": 1})),
        ]))
        .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["EventId"].as_str().unwrap())
        .collect();

    let first = many.event().await;
    let mut rules: Vec<&str> = first["Rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    rules.sort_unstable();
    assert_eq!(rules, ["by-detail", "by-source", "by-type"]);
    assert_eq!(first["Source"], "app.n");
    assert_eq!(first["Type"], "Thing Happened");
    assert!(uuid::Uuid::try_parse(first["RequestId"].as_str().unwrap()).is_ok());
    let event: Value = serde_json::from_str(first["Event"].as_str().unwrap()).unwrap();
    assert_eq!(event["id"], ids[0]);
    assert_eq!(event["detail-type"], "Thing Happened");
    let second = many.event().await;
    assert_eq!(second["Rules"], json!(["by-source"]));
    assert_eq!(second["Type"], "Other");
    assert_ne!(first["RequestId"], second["RequestId"]);
    many.assert_quiet(QUIET).await;

    for id in &ids {
        let notification = one.event().await;
        assert_eq!(notification["Rules"], json!(["prefix"]));
        let event: Value = serde_json::from_str(notification["Event"].as_str().unwrap()).unwrap();
        assert_eq!(event["id"], *id);
    }
    one.assert_quiet(QUIET).await;
    none.assert_quiet(Duration::from_millis(50)).await;
    assert_eq!(bus.metric("evmatch_bus_deliveries_total").await, 4.0);
    assert_eq!(bus.metric("evmatch_bus_events_published_total").await, 2.0);
}

#[tokio::test]
async fn raw_events_arrive_byte_for_byte() {
    let bus = TestBus::start(|_| {}).await;
    let mut client = bus.connect_hello().await;
    client
        .subscribe_ok(
            "raw",
            r#"{"source": ["app.raw"], "detail": {"n": [300, {"numeric": ["<", 0]}]}}"#,
        )
        .await;
    let lines = [
        r#"{ "source" :"app.raw" ,  "detail-type":"caf\u00e9 \ud83d\ude00","detail":{"n":3.0e2,"x":1E-7,"s":"\u0041\n\"q\"","e":[ ]}}"#,
        "{\"detail-type\":\"T\",\t\"detail\":{\"n\":-0.5e0, \"deep\":{\"a\":[1,{\"b\":null}]}},\"source\":\"app.raw\"}",
        r#"{"source":"app.raw","detail-type":"T","detail":{"n":300.000,"raw":"é ü 日本"}}"#,
    ];
    // Blank lines are skipped and CRLF line ends are not part of the event.
    let body = format!("{}\r\n\n{}\n{}\n", lines[0], lines[1], lines[2]);
    let (status, answer) = bus.put_raw(body).await;
    assert_eq!(status, 200);
    assert_eq!(answer, json!({"Accepted": 3, "Refused": []}));
    for line in lines {
        let event = client.event().await;
        assert_eq!(event["Event"].as_str().unwrap(), line);
        assert_eq!(event["Source"], "app.raw");
        assert_eq!(event["Rules"], json!(["raw"]));
    }
    client.assert_quiet(QUIET).await;
    // Type is detail-type decoded.
    bus.put_raw(lines[0]).await;
    assert_eq!(client.event().await["Type"], "café 😀");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_a_rule_while_publishing_loses_no_event() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let bus = std::sync::Arc::new(TestBus::start(|_| {}).await);
    let mut client = bus.connect_hello().await;
    // Every event matches both patterns; the rule flips between them throughout.
    let patterns = [
        r#"{"source": ["app.atomic"]}"#,
        r#"{"detail-type": ["Tick"]}"#,
    ];
    client.subscribe_ok("r", patterns[0]).await;
    let (mut sink, mut stream) = client.ws.split();
    let (batches, per_batch, flips) = (20, 10, 40);
    let publisher = tokio::spawn({
        let bus = std::sync::Arc::clone(&bus);
        async move {
            for batch in 0..batches {
                let body: Vec<String> = (0..per_batch)
                    .map(|i| {
                        let n = batch * per_batch + i;
                        format!(r#"{{"source":"app.atomic","detail-type":"Tick","n":{n}}}"#)
                    })
                    .collect();
                let (status, _) = bus.put_raw(body.join("\n")).await;
                assert_eq!(status, 200);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    });
    let flipper = tokio::spawn(async move {
        for k in 0..flips {
            let action = json!({"Action": "Subscribe", "RequestId": format!("flip{k}"),
                                "Rule": "r", "Pattern": patterns[(k + 1) % 2]});
            sink.send(Message::text(action.to_string())).await.unwrap();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        sink
    });
    let mut seen = std::collections::BTreeSet::new();
    let mut acks = 0;
    let deadline = tokio::time::Instant::now() + support::WAIT;
    while seen.len() < batches * per_batch || acks < flips {
        let frame = tokio::time::timeout_at(deadline, stream.next())
            .await
            .unwrap_or_else(|_| panic!("{} events, {acks} acks", seen.len()))
            .unwrap()
            .unwrap();
        let message: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
        match message["Action"].as_str().unwrap() {
            "Ack" => {
                assert_eq!(message["Status"], "Ok", "{message}");
                acks += 1;
            }
            "Event" => {
                assert_eq!(message["Rules"], json!(["r"]));
                let event: Value =
                    serde_json::from_str(message["Event"].as_str().unwrap()).unwrap();
                assert!(seen.insert(event["n"].as_u64().unwrap()), "twice: {event}");
            }
            _ => {}
        }
    }
    publisher.await.unwrap();
    let _sink = flipper.await.unwrap();
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 1.0);
}
