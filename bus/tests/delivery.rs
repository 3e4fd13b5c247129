//! Delivery is exact: 200 connections subscribe with patterns drawn from the conformance corpus,
//! 2,000 events drawn from the corpus are published, and every connection receives exactly the
//! events the reference interpreter says match its rules (with exactly those `Rules`), each
//! once, in publication order, byte for byte.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use evmatch::Pattern;
use serde_json::Value;
use support::workload::{numbered, pools, publishable, Rng};
use support::{Received, TestBus};

const CONNECTIONS: usize = 200;
const EVENTS: usize = 2_000;
const PATTERNS: usize = 80;
const BATCH: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connection_receives_exactly_its_events() {
    let (pattern_pool, event_pool) = pools();
    assert!(
        pattern_pool.len() >= PATTERNS,
        "{} patterns",
        pattern_pool.len()
    );
    assert!(event_pool.len() >= 100, "{} events", event_pool.len());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let patterns: Vec<&String> = (0..PATTERNS)
        .map(|_| &pattern_pool[rng.below(pattern_pool.len())])
        .collect();
    let parsed: Vec<Pattern> = patterns
        .iter()
        .map(|p| Pattern::parse(p).unwrap())
        .collect();

    let bus = TestBus::start(|_| {}).await;
    // Each connection: 1 to 4 rules, each one of the chosen patterns.
    let mut plans: Vec<Vec<(String, usize)>> = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        let mut client = bus.connect_hello().await;
        let rules: Vec<(String, usize)> = (0..1 + rng.below(4))
            .map(|r| (format!("rule-{r}"), rng.below(PATTERNS)))
            .collect();
        for (name, pattern) in &rules {
            client.subscribe_ok(name, patterns[*pattern]).await;
        }
        plans.push(rules);
        clients.push(client);
    }

    // Publish, and work out from the reference interpreter what each connection must get.
    let events: Vec<String> = (0..EVENTS)
        .map(|seq| numbered(&event_pool[rng.below(event_pool.len())], seq))
        .collect();
    let mut expected: Vec<Vec<(usize, Vec<String>)>> = vec![Vec::new(); CONNECTIONS];
    for (seq, event) in events.iter().enumerate() {
        let hits: Vec<bool> = parsed
            .iter()
            .map(|pattern| pattern.matches(event.as_bytes()).expect("a valid event"))
            .collect();
        for (connection, rules) in plans.iter().enumerate() {
            let matched: Vec<String> = rules
                .iter()
                .filter(|(_, pattern)| hits[*pattern])
                .map(|(name, _)| name.clone())
                .collect();
            if !matched.is_empty() {
                expected[connection].push((seq, matched));
            }
        }
    }
    for batch in events.chunks(BATCH) {
        let (status, body) = bus.put_raw(batch.join("\n")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["Accepted"], batch.len(), "{body}");
    }

    // Every connection reads until it has what it should, then checks that nothing more comes.
    let total: usize = expected.iter().map(Vec::len).sum();
    assert!(
        total > EVENTS,
        "the draw should make many deliveries, made {total}"
    );
    let events = std::sync::Arc::new(events);
    let readers = clients
        .into_iter()
        .zip(expected)
        .map(|(mut client, expected)| {
            let events = std::sync::Arc::clone(&events);
            tokio::spawn(async move {
                let mut received = Vec::new();
                while received.len() < expected.len() {
                    let message = client.event().await;
                    let text = message["Event"].as_str().unwrap().to_owned();
                    let value: Value = serde_json::from_str(&text).unwrap();
                    let seq = value["evmatch-bus-test-seq"].as_u64().unwrap() as usize;
                    assert_eq!(text, events[seq], "the event byte for byte");
                    assert_eq!(message["Source"], value["source"]);
                    assert_eq!(message["Type"], value["detail-type"]);
                    let rules: Vec<String> =
                        serde_json::from_value(message["Rules"].clone()).unwrap();
                    received.push((seq, rules));
                }
                if let Some(extra) = client.next_within(Duration::from_millis(200)).await {
                    assert!(
                        !matches!(extra, Received::Json(_)),
                        "an event too many: {extra:?}"
                    );
                }
                (received, expected)
            })
        })
        .collect::<Vec<_>>(); // every connection reading at once
    let mut wrong = BTreeMap::new();
    for (connection, reader) in readers.into_iter().enumerate() {
        let (received, expected) = reader.await.expect("reader");
        if received != expected {
            wrong.insert(connection, (received.len(), expected.len()));
        }
    }
    assert!(
        wrong.is_empty(),
        "connections with wrong deliveries (received, expected): {wrong:?}"
    );
    assert_eq!(
        bus.metric("evmatch_bus_deliveries_total").await as usize,
        total
    );
    bus.stop().await;
}

#[test]
fn publishable_events_keep_their_text() {
    assert_eq!(
        publishable(r#"{"a": 1}"#).unwrap(),
        r#"{"source":"corpus","detail-type":"corpus","a": 1}"#
    );
    assert_eq!(
        publishable("{ }").unwrap(),
        r#"{"source":"corpus","detail-type":"corpus"}"#
    );
    assert_eq!(
        publishable(r#"{"source": "x", "a": [1]}"#).unwrap(),
        r#"{"detail-type":"corpus","source": "x", "a": [1]}"#
    );
    assert_eq!(publishable(r#"{"source": 5}"#), None);
    assert_eq!(publishable("[1]"), None);
    assert_eq!(
        numbered(r#"{"a":1}"#, 7),
        r#"{"evmatch-bus-test-seq":7,"a":1}"#
    );
}
