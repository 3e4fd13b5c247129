//! What `/metrics` reports, in Prometheus' text format (prometheus-client).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// One label: why (a connection closed, a request was refused).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    pub reason: &'static str,
}

/// Every metric of one bus. Cloning a metric shares it, so handles are cheap to pass around.
pub struct Metrics {
    registry: Registry,
    pub connections: Gauge,
    pub connections_opened: Counter,
    pub connections_closed: Family<Reason, Counter>,
    pub upgrades_refused: Family<Reason, Counter>,
    pub subscriptions: Gauge,
    pub events_published: Counter,
    pub events_refused: Family<Reason, Counter>,
    pub publishes_throttled: Family<Reason, Counter>,
    pub deliveries: Counter,
    pub drops: Family<Reason, Counter>,
    pub slow_consumer_disconnects: Counter,
    pub pending_bytes: Gauge,
    pub match_seconds: Histogram,
    pub publish_to_send_seconds: Histogram,
    pub events_replayed: Counter,
    pub last_sequence: Gauge,
    pub nats_connected: Gauge,
    pub consumer_pending: Gauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("evmatch_bus");
        let metrics = Metrics {
            connections: Gauge::default(),
            connections_opened: Counter::default(),
            connections_closed: Family::default(),
            upgrades_refused: Family::default(),
            subscriptions: Gauge::default(),
            events_published: Counter::default(),
            events_refused: Family::default(),
            publishes_throttled: Family::default(),
            deliveries: Counter::default(),
            drops: Family::default(),
            slow_consumer_disconnects: Counter::default(),
            pending_bytes: Gauge::default(),
            // 1 µs to about 16 s.
            match_seconds: Histogram::new(exponential_buckets(1e-6, 2.0, 25)),
            // 10 µs to about 40 s.
            publish_to_send_seconds: Histogram::new(exponential_buckets(1e-5, 2.0, 23)),
            events_replayed: Counter::default(),
            last_sequence: Gauge::default(),
            nats_connected: Gauge::default(),
            consumer_pending: Gauge::default(),
            registry: Registry::default(),
        };
        let m = &metrics;
        registry.register(
            "connections",
            "Open WebSocket connections",
            m.connections.clone(),
        );
        registry.register(
            "connections_opened",
            "WebSocket connections accepted",
            m.connections_opened.clone(),
        );
        registry.register(
            "connections_closed",
            "WebSocket connections closed, by reason",
            m.connections_closed.clone(),
        );
        registry.register(
            "upgrades_refused",
            "WebSocket upgrades refused, by reason",
            m.upgrades_refused.clone(),
        );
        registry.register(
            "subscriptions",
            "Subscription rules held, over all connections",
            m.subscriptions.clone(),
        );
        registry.register(
            "events_published",
            "Events accepted and matched",
            m.events_published.clone(),
        );
        registry.register(
            "events_refused",
            "Published events refused, by reason",
            m.events_refused.clone(),
        );
        registry.register(
            "publishes_throttled",
            "Publish requests refused with 429 or 503, by reason",
            m.publishes_throttled.clone(),
        );
        registry.register(
            "deliveries",
            "Event notifications queued for a connection",
            m.deliveries.clone(),
        );
        registry.register(
            "drops",
            "Event notifications that matched but could not be delivered, by reason",
            m.drops.clone(),
        );
        registry.register(
            "slow_consumer_disconnects",
            "Connections closed because their outbound queue was full",
            m.slow_consumer_disconnects.clone(),
        );
        registry.register(
            "pending_bytes",
            "Bytes queued for all connections (sampled at scrape)",
            m.pending_bytes.clone(),
        );
        registry.register(
            "match_seconds",
            "Time to match one published event against every subscription",
            m.match_seconds.clone(),
        );
        registry.register(
            "publish_to_send_seconds",
            "Time from an event's publication to its notification written to a socket",
            m.publish_to_send_seconds.clone(),
        );
        registry.register(
            "events_replayed",
            "Event notifications sent again by Resume",
            m.events_replayed.clone(),
        );
        registry.register(
            "last_sequence",
            "Sequence of the last event dispatched by this node (sampled at scrape)",
            m.last_sequence.clone(),
        );
        registry.register(
            "nats_connected",
            "1 while the NATS connection is up (with --nats; sampled at scrape)",
            m.nats_connected.clone(),
        );
        registry.register(
            "consumer_pending",
            "Stored events this node has not dispatched yet (with --nats; sampled at scrape)",
            m.consumer_pending.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

/// Counts `reason` in `family`.
pub fn count(family: &Family<Reason, Counter>, reason: &'static str) {
    family.get_or_create(&Reason { reason }).inc();
}
