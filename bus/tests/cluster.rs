//! Many nodes on a real nats-server (JetStream): each node matches the whole stream against its
//! own connections, clients that lose their node resume on another, and a NATS restart loses
//! nothing that was acknowledged. Processes are started and killed by the tests themselves, on
//! 127.0.0.1 only.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use evmatch::Pattern;
use serde_json::Value;
use support::follower::{follow, Got, Log};
use support::nodes::{Endpoint, Nats, Node};
use support::workload::{numbered, pools, Rng};
use support::PUBLISH_KEY;
use tokio::sync::watch;

/// Subscribers with rules drawn from the corpus, and numbered corpus events to publish.
struct Plan {
    rules: Vec<Vec<(String, String)>>,
    events: Vec<String>,
    /// For each subscriber, event number → the rules of it that match.
    expected: Vec<BTreeMap<usize, Vec<String>>>,
}

fn plan(seed: u64, subscribers: usize, events: usize) -> Plan {
    let (pattern_pool, event_pool) = pools();
    let mut rng = Rng(seed);
    let patterns: Vec<&String> = (0..60)
        .map(|_| &pattern_pool[rng.below(pattern_pool.len())])
        .collect();
    let parsed: Vec<Pattern> = patterns
        .iter()
        .map(|p| Pattern::parse(p).unwrap())
        .collect();
    let picks: Vec<Vec<(String, usize)>> = (0..subscribers)
        .map(|_| {
            (0..1 + rng.below(3))
                .map(|r| (format!("rule-{r}"), rng.below(patterns.len())))
                .collect()
        })
        .collect();
    let events: Vec<String> = (0..events)
        .map(|n| numbered(&event_pool[rng.below(event_pool.len())], n))
        .collect();
    let mut expected = vec![BTreeMap::new(); subscribers];
    for (n, event) in events.iter().enumerate() {
        let hits: Vec<bool> = parsed
            .iter()
            .map(|p| p.matches(event.as_bytes()).unwrap())
            .collect();
        for (s, rules) in picks.iter().enumerate() {
            let matched: Vec<String> = rules
                .iter()
                .filter(|(_, p)| hits[*p])
                .map(|(name, _)| name.clone())
                .collect();
            if !matched.is_empty() {
                expected[s].insert(n, matched);
            }
        }
    }
    let rules = picks
        .into_iter()
        .map(|rules| {
            rules
                .into_iter()
                .map(|(name, p)| (name, patterns[p].clone()))
                .collect()
        })
        .collect();
    Plan {
        rules,
        events,
        expected,
    }
}

/// Followers spread over the nodes, all subscribed before this returns.
struct Followers {
    logs: Vec<Arc<Mutex<Log>>>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn start_followers(endpoints: &[Endpoint], rules: &[Vec<(String, String)>]) -> Followers {
    let endpoints = Arc::new(endpoints.to_vec());
    let (stop, stopped) = watch::channel(false);
    let mut logs = Vec::new();
    let mut tasks = Vec::new();
    for (s, rules) in rules.iter().enumerate() {
        let log = Arc::new(Mutex::new(Log::default()));
        logs.push(Arc::clone(&log));
        tasks.push(tokio::spawn(follow(
            Arc::clone(&endpoints),
            s % endpoints.len(),
            rules.clone(),
            log,
            stopped.clone(),
        )));
    }
    wait_until(Duration::from_secs(60), || {
        logs.iter().all(|log| log.lock().unwrap().ready)
    })
    .await;
    Followers { logs, stop, tasks }
}

impl Followers {
    /// Waits until every follower has at least `counts[s]` events, then a little longer for
    /// anything extra, and stops them all.
    async fn finish(self, counts: &[usize]) -> Vec<Log> {
        let logs = &self.logs;
        wait_until(Duration::from_secs(60), || {
            logs.iter()
                .zip(counts)
                .all(|(log, &count)| log.lock().unwrap().got.len() >= count)
        })
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.stop.send(true).unwrap();
        for task in self.tasks {
            tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .expect("followers stop")
                .expect("a follower panicked");
        }
        self.logs
            .into_iter()
            .map(|log| std::mem::take(&mut *log.lock().unwrap()))
            .collect()
    }
}

async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "not done within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Publishes `lines` to `node` as JSON Lines; returns the event numbers it acknowledged and
/// whether the bus answered 503.
async fn publish(
    http: &reqwest::Client,
    node: &Endpoint,
    events: &[(usize, &String)],
) -> (Vec<usize>, bool) {
    let body: Vec<&str> = events.iter().map(|(_, e)| e.as_str()).collect();
    let response = http
        .post(format!("http://{}/events/raw", node.addr))
        .bearer_auth(PUBLISH_KEY)
        .body(body.join("\n"))
        .send()
        .await;
    let Ok(response) = response else {
        return (Vec::new(), true);
    };
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status == 200 || status == 503, "{status} {answer}");
    let refused: BTreeSet<usize> = answer["Refused"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|l| l["Line"].as_u64().unwrap() as usize)
                .collect()
        })
        .unwrap_or_default();
    if status == 200 {
        assert!(refused.is_empty(), "{answer}");
    }
    let accepted = events
        .iter()
        .enumerate()
        .filter(|(line, _)| status == 200 || !refused.contains(&(line + 1)))
        .map(|(_, (n, _))| *n)
        .collect();
    (accepted, status == 503)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .no_proxy()
        .build()
        .unwrap()
}

/// Every follower got each acknowledged event it should have exactly once, in sequence order,
/// and nothing else. An event in `republished` was refused once (503) and published again: if
/// the refused attempt was stored after all (the publisher cannot know), it is a second event
/// and may be received twice, never more. With `exact_rules`, each notification's `Rules` is
/// exactly the matching rules; otherwise (a client re-subscribing after a reconnect may briefly
/// hold only some of its rules) a non-empty subset of them.
fn check(
    plan: &Plan,
    logs: &[Log],
    acknowledged: &BTreeSet<usize>,
    republished: &BTreeSet<usize>,
    exact_rules: bool,
) {
    for (s, log) in logs.iter().enumerate() {
        let expected = &plan.expected[s];
        let mut seen = BTreeMap::new();
        for got in &log.got {
            let Got { n, rules, .. } = got;
            let times = seen.entry(*n).or_insert(0);
            *times += 1;
            let allowed = if republished.contains(n) { 2 } else { 1 };
            assert!(
                *times <= allowed,
                "subscriber {s} got event {n} {times} times: {:?}",
                log.got
            );
            let matching = expected
                .get(n)
                .unwrap_or_else(|| panic!("subscriber {s} got event {n}, which does not match"));
            assert!(
                acknowledged.contains(n),
                "subscriber {s} got event {n}, never acknowledged"
            );
            if exact_rules {
                assert_eq!(rules, matching, "subscriber {s}, event {n}");
            } else {
                assert!(
                    !rules.is_empty() && rules.iter().all(|r| matching.contains(r)),
                    "subscriber {s}, event {n}: {rules:?}"
                );
            }
        }
        assert!(
            log.got.windows(2).all(|w| w[0].sequence < w[1].sequence),
            "subscriber {s}: out of order"
        );
        let missing: Vec<usize> = expected
            .keys()
            .filter(|n| acknowledged.contains(n) && !seen.contains_key(n))
            .copied()
            .collect();
        assert!(
            missing.is_empty(),
            "subscriber {s} missed events {missing:?} (reconnects {})",
            log.reconnects
        );
    }
}

fn count_acknowledged(plan: &Plan, acknowledged: &BTreeSet<usize>) -> Vec<usize> {
    plan.expected
        .iter()
        .map(|e| e.keys().filter(|n| acknowledged.contains(n)).count())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_deliver_every_event_exactly_once() {
    let nats = Nats::start();
    let nodes: Vec<Node> = (0..3)
        .map(|i| Node::start(&format!("node{i}"), &["--nats", &nats.url()]))
        .collect();
    let endpoints: Vec<Endpoint> = nodes.iter().map(Node::endpoint).collect();
    let plan = plan(0x5eed_0001, 300, 3_000);
    let followers = start_followers(&endpoints, &plan.rules).await;
    let http = http();
    let mut acknowledged = BTreeSet::new();
    let numbered: Vec<(usize, &String)> = plan.events.iter().enumerate().collect();
    for (i, batch) in numbered.chunks(100).enumerate() {
        let (accepted, unavailable) = publish(&http, &endpoints[i % 3], batch).await;
        assert!(!unavailable, "NATS is up: every publish succeeds");
        acknowledged.extend(accepted);
    }
    assert_eq!(acknowledged.len(), plan.events.len());
    let logs = followers
        .finish(&count_acknowledged(&plan, &acknowledged))
        .await;
    check(&plan, &logs, &acknowledged, &BTreeSet::new(), true);
    let deliveries: usize = logs.iter().map(|l| l.got.len()).sum();
    eprintln!("3 nodes, 300 connections, 3,000 events: {deliveries} deliveries, all exact");
    drop(nodes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_of_a_killed_node_resume_elsewhere_and_miss_nothing() {
    let nats = Nats::start();
    let mut nodes: Vec<Node> = (0..3)
        .map(|i| Node::start(&format!("node{i}"), &["--nats", &nats.url()]))
        .collect();
    let endpoints: Vec<Endpoint> = nodes.iter().map(Node::endpoint).collect();
    let plan = plan(0x5eed_0002, 90, 1_500);
    let followers = start_followers(&endpoints, &plan.rules).await;
    let http = http();
    let mut acknowledged = BTreeSet::new();
    let numbered: Vec<(usize, &String)> = plan.events.iter().enumerate().collect();
    for (i, batch) in numbered.chunks(50).enumerate() {
        if i == 10 {
            nodes[2].kill(); // SIGKILL, in the middle of the run
        }
        // Publishers use the nodes that stay.
        let (accepted, _) = publish(&http, &endpoints[i % 2], batch).await;
        acknowledged.extend(accepted);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(acknowledged.len(), plan.events.len());
    let logs = followers
        .finish(&count_acknowledged(&plan, &acknowledged))
        .await;
    check(&plan, &logs, &acknowledged, &BTreeSet::new(), false);
    let moved = logs.iter().filter(|l| l.reconnects > 0).count();
    assert!(
        moved >= 30,
        "the killed node's clients reconnected elsewhere ({moved})"
    );
    eprintln!("node killed: {moved} clients resumed on other nodes, nothing lost or repeated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_restart_loses_nothing_acknowledged() {
    let mut nats = Nats::start();
    let nodes: Vec<Node> = (0..2)
        .map(|i| Node::start(&format!("node{i}"), &["--nats", &nats.url()]))
        .collect();
    let endpoints: Vec<Endpoint> = nodes.iter().map(Node::endpoint).collect();
    let plan = plan(0x5eed_0003, 40, 1_200);
    let followers = start_followers(&endpoints, &plan.rules).await;
    let http = http();
    let (mut acknowledged, mut failed) = (BTreeSet::new(), BTreeSet::new());
    let mut republished = BTreeSet::new();
    let mut refused_during_outage = 0;
    let numbered: Vec<(usize, &String)> = plan.events.iter().enumerate().collect();
    let batches: Vec<_> = numbered.chunks(40).collect();
    for (i, batch) in batches.iter().enumerate() {
        if i == 10 {
            nats.kill();
        }
        if i == 16 {
            nats.restart();
        }
        let (accepted, unavailable) = publish(&http, &endpoints[i % 2], batch).await;
        if (10..16).contains(&i) {
            refused_during_outage += usize::from(unavailable);
        }
        for (n, _) in batch.iter() {
            if !accepted.contains(n) {
                failed.insert(*n);
                republished.insert(*n);
            }
        }
        acknowledged.extend(accepted);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Once NATS is back, publishing works again: send what failed until it is stored.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !failed.is_empty() {
        assert!(Instant::now() < deadline, "publishing never recovered");
        let retry: Vec<(usize, &String)> = failed.iter().map(|&n| (n, &plan.events[n])).collect();
        let (accepted, _) = publish(&http, &endpoints[0], &retry).await;
        for n in accepted {
            failed.remove(&n);
            acknowledged.insert(n);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        refused_during_outage, 6,
        "every publish during the outage answered 503"
    );
    let logs = followers
        .finish(&count_acknowledged(&plan, &acknowledged))
        .await;
    check(&plan, &logs, &acknowledged, &republished, true);
    drop(nodes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_api_works_from_any_node() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let nats = Nats::start();
    let mut nodes: Vec<Node> = (0..2)
        .map(|i| Node::start(&format!("node{i}"), &["--nats", &nats.url()]))
        .collect();
    let (near, far) = (nodes[0].endpoint(), nodes[1].endpoint());
    let (mut socket, _) = tokio_tungstenite::connect_async(far.ws_url())
        .await
        .unwrap();
    let hello = r#"{"Action": "Hello", "RequestId": "h"}"#;
    socket.send(Message::text(hello)).await.unwrap();
    let ack = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .unwrap();
    assert!(matches!(ack, Some(Ok(Message::Text(_)))), "{ack:?}");
    let http = http();
    let call = |method: reqwest::Method, path: String| {
        http.request(method, format!("http://{}{path}", near.addr))
            .bearer_auth(PUBLISH_KEY)
    };
    let id = first_connection_id(&http, &far).await;
    assert!(id.starts_with("node1."), "{id}");

    // Through the other node: read it, post to it, close it.
    let details = call(reqwest::Method::GET, format!("/@connections/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(details.status(), 200);
    let details: Value = details.json().await.unwrap();
    assert_eq!(details["Identity"]["SourceIp"], "127.0.0.1");
    let posted = call(reqwest::Method::POST, format!("/@connections/{id}"))
        .body("from afar")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let mut texts = Vec::new();
    while !texts.iter().any(|t| t == "from afar") {
        match tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Text(text))) => texts.push(text.to_string()),
            other => panic!("{other:?}"),
        }
    }
    let deleted = call(reqwest::Method::DELETE, format!("/@connections/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Close(frame))) => break frame.unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(u16::from(close.code), 1000);

    // Gone: a closed connection, an unknown node, a departed node.
    let gone = call(reqwest::Method::GET, format!("/@connections/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 410);
    let unknown = call(
        reqwest::Method::GET,
        "/@connections/nowhere.AAAAAAAAAAAAAAAA".into(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(unknown.status(), 410);
    let (mut second, _) = tokio_tungstenite::connect_async(far.ws_url())
        .await
        .unwrap();
    second.send(Message::text(hello)).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), second.next()).await;
    let second_id = first_connection_id(&http, &far).await;
    nodes[1].kill();
    let departed = call(reqwest::Method::GET, format!("/@connections/{second_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(departed.status(), 410);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_consumer_is_reported() {
    let nats = Nats::start();
    let publisher = Node::start("node0", &["--nats", &nats.url()]);
    let lagging = Node::start("node1", &["--nats", &nats.url(), "--max-lag", "50"]);
    let http = http();
    let health = |node: &Node| {
        let request = http.get(node.url("/healthz")).send();
        async move {
            let response = request.await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = health(&lagging).await;
    assert_eq!(
        (status, &body["nats"]["connected"]),
        (200, &Value::Bool(true)),
        "{body}"
    );

    // The node sleeps while 3,000 events are stored; when it wakes it is behind.
    lagging.signal("STOP");
    let events: Vec<String> = (0..3_000)
        .map(|n| format!(r#"{{"source":"lag","detail-type":"t","detail":{{"n":{n}}}}}"#))
        .collect();
    for batch in events.chunks(500) {
        let response = http
            .post(publisher.url("/events/raw"))
            .bearer_auth(PUBLISH_KEY)
            .body(batch.join("\n"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    lagging.signal("CONT");
    let start = Instant::now();
    let (mut saw_lag, mut saw_metric, mut caught_up) = (None, 0, false);
    while start.elapsed() < Duration::from_secs(30) && !caught_up {
        let metrics = http.get(lagging.url("/metrics")).send().await.unwrap();
        let metrics = metrics.text().await.unwrap();
        let pending: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("evmatch_bus_consumer_pending "))
            .expect("the metric is there")
            .trim()
            .parse()
            .unwrap();
        saw_metric = saw_metric.max(pending);
        let (status, body) = health(&lagging).await;
        let lag = body["nats"]["consumerLag"].as_u64().unwrap();
        if status == 503 && lag > 50 {
            assert!(
                body["status"].as_str().unwrap().contains("lagging"),
                "{body}"
            );
            saw_lag = saw_lag.max(Some(lag));
        }
        caught_up = saw_lag.is_some() && status == 200 && body["lastSequence"] == 3_000;
    }
    assert!(saw_lag.is_some(), "the lag was never reported by /healthz");
    assert!(saw_metric > 50, "the lag was never reported by /metrics");
    assert!(caught_up, "the node never caught up");
}

/// The id of the first open connection `node` lists.
async fn first_connection_id(http: &reqwest::Client, node: &Endpoint) -> String {
    let listing: Value = http
        .get(format!("http://{}/@connections", node.addr))
        .bearer_auth(PUBLISH_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listing["Connections"][0]["ConnectionId"]
        .as_str()
        .expect("an open connection")
        .to_owned()
}
