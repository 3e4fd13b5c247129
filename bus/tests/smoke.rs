//! The whole path once: connect, Hello, Subscribe, publish, receive, Unsubscribe.

mod support;

use serde_json::json;
use support::{entry, TestBus};

#[tokio::test]
async fn subscribe_publish_receive() {
    let bus = TestBus::start(|_| {}).await;
    let mut client = bus.connect_hello().await;
    client
        .subscribe_ok(
            "orders",
            r#"{"source": ["app.orders"], "detail": {"total": [{"numeric": [">", 100]}]}}"#,
        )
        .await;
    let (status, body) = bus
        .put_events(json!([
            entry("app.orders", "Order Placed", json!({"total": 250})),
            entry("app.orders", "Order Placed", json!({"total": 5})),
        ]))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["FailedEntryCount"], 0);
    let event = client.event().await;
    assert_eq!(event["Rules"], json!(["orders"]));
    assert_eq!(event["Source"], "app.orders");
    assert_eq!(event["Type"], "Order Placed");
    let published: serde_json::Value =
        serde_json::from_str(event["Event"].as_str().unwrap()).unwrap();
    assert_eq!(published["id"], body["Entries"][0]["EventId"]);
    assert_eq!(published["detail"], json!({"total": 250}));
    client
        .assert_quiet(std::time::Duration::from_millis(300))
        .await;
    assert_eq!(client.unsubscribe("orders").await["Status"], "Ok");
    bus.put_events(json!([entry(
        "app.orders",
        "Order Placed",
        json!({"total": 250})
    )]))
    .await;
    client
        .assert_quiet(std::time::Duration::from_millis(300))
        .await;
    bus.stop().await;
}
