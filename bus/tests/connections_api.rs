//! `@connections`: send a message to one connection, read its details, close it, list the open
//! ones; all behind the publish key.

mod support;

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use support::{TestBus, PUBLISH_KEY, WAIT};
use tokio_tungstenite::tungstenite::Message;

fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `GET /@connections`: the open connections.
async fn listing(bus: &TestBus) -> Vec<Value> {
    let response = bus
        .http
        .get(bus.url("/@connections"))
        .bearer_auth(PUBLISH_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    body["Connections"].as_array().unwrap().clone()
}

/// The ConnectionId of the connection whose header named `id`.
async fn connection_id(bus: &TestBus, id: &str) -> String {
    let all = listing(bus).await;
    let found: Vec<&Value> = all.iter().filter(|c| c["Id"] == id).collect();
    assert_eq!(found.len(), 1, "{all:?}");
    found[0]["ConnectionId"].as_str().unwrap().to_owned()
}

/// A request to `/@connections/{connection}` with the publish key (or `key`).
fn request(
    bus: &TestBus,
    method: reqwest::Method,
    connection: &str,
    key: Option<&str>,
) -> reqwest::RequestBuilder {
    let request = bus
        .http
        .request(method, bus.url(&format!("/@connections/{connection}")));
    match key {
        Some(key) => request.bearer_auth(key),
        None => request,
    }
}

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

fn time(value: &Value) -> SystemTime {
    humantime::parse_rfc3339(value.as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn post_sends_the_body_as_one_message() {
    let bus = TestBus::start(|config| config.max_message_bytes = 1024).await;
    let id = guid();
    let mut client = bus.connect_as(&id, "tests/1.0").await;
    let connection = connection_id(&bus, &id).await;
    let post = |body: Vec<u8>| {
        request(&bus, reqwest::Method::POST, &connection, Some(PUBLISH_KEY)).body(body)
    };
    let bodies: [(Vec<u8>, Message); 5] = [
        (b"plain text".to_vec(), Message::text("plain text")),
        ("ünïcødé ✓".into(), Message::text("ünïcødé ✓")),
        (
            br#"{"not": "an action"}"#.to_vec(),
            Message::text(r#"{"not": "an action"}"#),
        ),
        (
            vec![0xff, 0x00, 0x80],
            Message::binary(vec![0xff, 0x00, 0x80]),
        ),
        (vec![b'a'; 1024], Message::text("a".repeat(1024))),
    ];
    for (body, expected) in bodies {
        assert_eq!(status(post(body)).await, 200);
        let received = client.next_raw_within(WAIT).await.expect("the message");
        assert_eq!(received, expected);
    }
    let response = post(vec![b'a'; 1025]).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let refusal: Value = response.json().await.unwrap();
    assert!(refusal["message"]
        .as_str()
        .unwrap()
        .contains("--max-message-bytes"));
    for key in [None, Some("wrong")] {
        for body in [vec![b'x'], vec![b'x'; 4096]] {
            let unauthorised = request(&bus, reqwest::Method::POST, &connection, key).body(body);
            assert_eq!(status(unauthorised).await, 401);
        }
    }
    // Nothing else reached the client (KeepAlives aside), and it still works.
    assert!(client
        .next_within(Duration::from_millis(150))
        .await
        .is_none());
    client.hello().await;
    for unknown in ["AAAAAAAAAAAAAAAA", "x", "not%20an%20id"] {
        let post = request(&bus, reqwest::Method::POST, unknown, Some(PUBLISH_KEY)).body("x");
        assert_eq!(status(post).await, 410, "{unknown}");
    }
    // Closed by the client: gone.
    client.ws.close(None).await.unwrap();
    assert!(matches!(
        client.next().await,
        support::Received::Close(_) | support::Received::Ended
    ));
    bus.wait_metric("evmatch_bus_connections", |n| n == 0.0)
        .await;
    assert_eq!(status(post(b"late".to_vec())).await, 410);
    let get = request(&bus, reqwest::Method::GET, &connection, Some(PUBLISH_KEY));
    assert_eq!(status(get).await, 410);
}

#[tokio::test]
async fn get_describes_the_connection() {
    let bus = TestBus::start(|_| {}).await;
    let id = guid();
    let before = SystemTime::now() - Duration::from_millis(5);
    let mut client = bus.connect_as(&id, "evmatch-tests/2.0 (probe)").await;
    let connection = connection_id(&bus, &id).await;
    let get = || request(&bus, reqwest::Method::GET, &connection, Some(PUBLISH_KEY));
    let response = get().send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let first: Value = response.json().await.unwrap();
    assert_eq!(
        first["Identity"],
        json!({"SourceIp": "127.0.0.1", "UserAgent": "evmatch-tests/2.0 (probe)"})
    );
    let connected_at = time(&first["ConnectedAt"]);
    assert!(connected_at >= before && connected_at <= SystemTime::now());
    assert!(time(&first["LastActiveAt"]) >= connected_at);
    // A frame from the client moves LastActiveAt; ConnectedAt stays.
    tokio::time::sleep(Duration::from_millis(30)).await;
    client.hello().await;
    let second: Value = get().send().await.unwrap().json().await.unwrap();
    assert_eq!(second["ConnectedAt"], first["ConnectedAt"]);
    assert!(
        time(&second["LastActiveAt"]) >= time(&first["LastActiveAt"]) + Duration::from_millis(25),
        "{first} {second}"
    );
    for key in [None, Some("wrong")] {
        assert_eq!(
            status(request(&bus, reqwest::Method::GET, &connection, key)).await,
            401
        );
    }
}

#[tokio::test]
async fn delete_closes_with_1000_after_queued_messages() {
    let bus = TestBus::start(|_| {}).await;
    let id = guid();
    let mut client = bus.connect_as(&id, "t").await;
    client.hello().await;
    client.subscribe_ok("r", r#"{"source": ["app.d"]}"#).await;
    let connection = connection_id(&bus, &id).await;
    for key in [None, Some("wrong")] {
        let delete = request(&bus, reqwest::Method::DELETE, &connection, key);
        assert_eq!(status(delete).await, 401);
    }
    let post = request(&bus, reqwest::Method::POST, &connection, Some(PUBLISH_KEY)).body("first");
    assert_eq!(status(post).await, 200);
    bus.put_events(json!([support::entry("app.d", "T", json!({}))]))
        .await;
    let delete = request(
        &bus,
        reqwest::Method::DELETE,
        &connection,
        Some(PUBLISH_KEY),
    );
    assert_eq!(status(delete).await, 204);
    // Closing: no longer listed or reachable, even before the socket is gone.
    assert!(listing(&bus).await.is_empty());
    let post = request(&bus, reqwest::Method::POST, &connection, Some(PUBLISH_KEY)).body("x");
    assert_eq!(status(post).await, 410);
    assert_eq!(
        client.next_raw_within(WAIT).await,
        Some(Message::text("first"))
    );
    assert_eq!(client.event().await["Rules"], json!(["r"]));
    let (code, reason) = client.closed().await;
    assert_eq!(
        (code, reason.as_str()),
        (1000, "closed by the backend (DELETE @connections)")
    );
    bus.wait_metric("evmatch_bus_connections", |n| n == 0.0)
        .await;
    assert_eq!(bus.metric("evmatch_bus_subscriptions").await, 0.0);
    let delete = request(
        &bus,
        reqwest::Method::DELETE,
        &connection,
        Some(PUBLISH_KEY),
    );
    assert_eq!(status(delete).await, 410);
    bus.assert_serving().await;
}

#[tokio::test]
async fn the_listing_names_open_connections_with_their_header_ids() {
    let bus = TestBus::start(|_| {}).await;
    let ids = [guid(), guid(), guid()];
    let mut clients = Vec::new();
    for id in &ids {
        clients.push(bus.connect_as(id, "t").await);
    }
    let all = listing(&bus).await;
    let mut listed: Vec<&str> = all.iter().map(|c| c["Id"].as_str().unwrap()).collect();
    listed.sort_unstable();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
    for connection in &all {
        let id = connection["ConnectionId"].as_str().unwrap();
        assert!(
            !id.is_empty() && !id.contains('/') && !id.contains('+'),
            "{id}"
        );
        time(&connection["ConnectedAt"]);
    }
    // The same id as GET and POST use.
    let first = connection_id(&bus, &ids[0]).await;
    let get = request(&bus, reqwest::Method::GET, &first, Some(PUBLISH_KEY));
    assert_eq!(status(get).await, 200);
    drop(clients.remove(0));
    let deadline = tokio::time::Instant::now() + WAIT;
    while listing(&bus).await.len() != 2 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for key in [None, Some("wrong")] {
        let mut list = bus.http.get(bus.url("/@connections"));
        if let Some(key) = key {
            list = list.bearer_auth(key);
        }
        assert_eq!(status(list).await, 401);
    }
}

#[tokio::test]
async fn a_post_past_the_queue_bound_closes_the_connection_as_a_slow_consumer() {
    let bus = TestBus::start(|config| {
        config.max_queue_bytes = 1024;
        config.max_message_bytes = 4096;
    })
    .await;
    let id = guid();
    let mut client = bus.connect_as(&id, "t").await;
    client.hello().await;
    let connection = connection_id(&bus, &id).await;
    let post = |body: Vec<u8>| {
        request(&bus, reqwest::Method::POST, &connection, Some(PUBLISH_KEY)).body(body)
    };
    assert_eq!(status(post(vec![b'a'; 2000])).await, 410);
    assert_eq!(status(post(b"after".to_vec())).await, 410);
    let (code, reason) = client.closed().await;
    assert_eq!(
        (code, reason.as_str()),
        (4001, "slow consumer: outbound queue limit reached")
    );
    assert_eq!(
        bus.metric("evmatch_bus_slow_consumer_disconnects_total")
            .await,
        1.0
    );
    bus.wait_metric(
        r#"evmatch_bus_connections_closed_total{reason="slow_consumer"}"#,
        |n| n == 1.0,
    )
    .await;
    bus.assert_serving().await;
}
