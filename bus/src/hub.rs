//! The heart of the bus: every subscription of every connection in one [`SharedMatcher`], the
//! open connections, and publishing: an event is matched once, and the matched rule names say
//! which connections receive it.
//!
//! A subscription is stored in the matcher under the name `<connection key as 16 hex
//! digits><rule name>`, so one match names every (connection, rule) pair at once; grouping the
//! names by their first 16 bytes gives each connection's `Rules`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use evmatch::{EventError, Matcher, Pattern, Scratch, SharedMatcher};

use crate::close::Close;
use crate::config::Config;
use crate::connection::{Connection, Identity};
use crate::metrics::{self, Metrics};
use crate::outbox::{self, Inbox, Refused};
use crate::protocol::EventNotice;

/// Length of the connection-key prefix of a matcher rule name.
const KEY_DIGITS: usize = 16;

thread_local! {
    /// Working memory for matching on this thread.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

/// The state one bus node shares between its connections and its publishers.
pub struct Hub {
    pub config: Config,
    /// The key clients present in their header.
    pub api_key: String,
    /// The publishers' bearer key.
    pub publish_key: String,
    pub metrics: Metrics,
    matcher: SharedMatcher,
    connections: RwLock<HashMap<u64, Arc<Connection>>>,
    next_key: AtomicU64,
    pending_bytes: Arc<AtomicUsize>,
    /// An empty full-validation matcher: checks that a text is one well-formed JSON object.
    validator: Matcher,
    shutting_down: AtomicBool,
}

/// What publishing one event did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Connections the event was queued for.
    pub delivered: usize,
    /// Connections it matched but could not be queued for (closing, or a full queue).
    pub dropped: usize,
}

impl Hub {
    pub fn new(config: Config, publish_key: String) -> Hub {
        Hub {
            api_key: crate::auth::api_key(&config),
            publish_key,
            config,
            metrics: Metrics::new(),
            matcher: SharedMatcher::new(),
            connections: RwLock::new(HashMap::new()),
            next_key: AtomicU64::new(1),
            pending_bytes: Arc::new(AtomicUsize::new(0)),
            validator: Matcher::new(),
            shutting_down: AtomicBool::new(false),
        }
    }

    /// Adds a connection; its writer takes the returned inbox.
    pub fn register(&self, client_id: String, identity: Identity) -> (Arc<Connection>, Inbox) {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        let (outbox, inbox) = outbox::outbox(
            self.config.max_queue_bytes,
            Arc::clone(&self.pending_bytes),
            self.metrics.slow_consumer_disconnects.clone(),
        );
        let connection = Arc::new(Connection::new(key, client_id, identity, outbox));
        self.write_connections()
            .insert(key, Arc::clone(&connection));
        self.metrics.connections.inc();
        self.metrics.connections_opened.inc();
        // Upgraded just as the shutdown began: `shut_down` may not have seen it.
        if self.is_shutting_down() {
            connection.outbox.close(Close::SHUTDOWN);
        }
        (connection, inbox)
    }

    /// Removes a connection and every one of its subscriptions, as one change.
    pub fn unregister(&self, connection: &Connection, rules: &[String]) {
        let names: Vec<String> = rules
            .iter()
            .map(|rule| rule_name(connection.key, rule))
            .collect();
        let removed = self.matcher.delete_rules(&names);
        self.metrics.subscriptions.dec_by(removed as i64);
        self.write_connections().remove(&connection.key);
        self.metrics.connections.dec();
        let close = connection
            .outbox
            .close_request()
            .unwrap_or(&Close::CLIENT_GONE);
        metrics::count(&self.metrics.connections_closed, close.label);
    }

    /// Creates or replaces `rule` of `connection`, atomically.
    pub fn subscribe(&self, connection: &Connection, rule: &str, pattern: &Pattern) {
        if !self
            .matcher
            .replace_rule(&rule_name(connection.key, rule), pattern)
        {
            self.metrics.subscriptions.inc();
        }
    }

    /// Deletes `rule` of `connection`; whether it had one.
    pub fn unsubscribe(&self, connection: &Connection, rule: &str) -> bool {
        let existed = self.matcher.delete_rule(&rule_name(connection.key, rule));
        if existed {
            self.metrics.subscriptions.dec();
        }
        existed
    }

    /// Checks that `text` is one well-formed JSON object (every byte, limits included).
    pub fn validate_object(&self, text: &str) -> Result<(), EventError> {
        self.validator.matches(text.as_bytes()).map(drop)
    }

    /// Matches `event` once against every subscription and queues one notification for each
    /// connection with a matching rule. `event` is sent byte for byte.
    pub fn publish(
        &self,
        event: &str,
        source: &str,
        detail_type: &str,
    ) -> Result<Published, EventError> {
        let published_at = Instant::now();
        let snapshot = self.matcher.snapshot();
        let mut names = Vec::new();
        SCRATCH.with(|scratch| {
            snapshot.matches_with(event.as_bytes(), &mut scratch.borrow_mut(), &mut names)
        })?;
        self.metrics
            .match_seconds
            .observe(published_at.elapsed().as_secs_f64());
        self.metrics.events_published.inc();
        let mut outcome = Published::default();
        if names.is_empty() {
            return Ok(outcome);
        }
        // A stable sort keeps each connection's rules in the order they were first added.
        names.sort_by_key(|name| &name[..KEY_DIGITS]);
        let notice = EventNotice::new(source, detail_type, event);
        let connections = self.read_connections();
        for group in names.chunk_by(|a, b| a[..KEY_DIGITS] == b[..KEY_DIGITS]) {
            let key = u64::from_str_radix(&group[0][..KEY_DIGITS], 16)
                .expect("rule names start with a hex key");
            // Absent only while the connection is being removed, after its rules are gone.
            let Some(connection) = connections.get(&key) else {
                continue;
            };
            let text = notice.for_rules(group.iter().map(|name| &name[KEY_DIGITS..]));
            match connection.outbox.push(
                axum::extract::ws::Message::Text(text.into()),
                Some(published_at),
            ) {
                Ok(()) => outcome.delivered += 1,
                Err(refused) => {
                    outcome.dropped += 1;
                    let reason = match refused {
                        Refused::Closed => "connection_closing",
                        Refused::SlowConsumer => "slow_consumer",
                    };
                    metrics::count(&self.metrics.drops, reason);
                }
            }
        }
        self.metrics.deliveries.inc_by(outcome.delivered as u64);
        Ok(outcome)
    }

    /// Whether publishing must wait: the outbound queues together hold too much.
    pub fn saturated(&self) -> bool {
        self.pending_bytes() > self.config.max_pending_bytes
    }

    /// Bytes queued for all connections.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes.load(Ordering::Acquire)
    }

    /// The open connection with this id.
    pub fn connection(&self, id: &str) -> Option<Arc<Connection>> {
        let key = crate::connection::key_of(id)?;
        let connections = self.read_connections();
        let connection = connections.get(&key)?;
        (connection.id == id).then(|| Arc::clone(connection))
    }

    /// Every open connection.
    pub fn connections(&self) -> Vec<Arc<Connection>> {
        let mut all: Vec<_> = self.read_connections().values().cloned().collect();
        all.sort_by_key(|connection| connection.key);
        all
    }

    /// Open connections now.
    pub fn connection_count(&self) -> usize {
        self.read_connections().len()
    }

    /// Starts the shutdown: every connection is asked to close after its queued messages.
    pub fn shut_down(&self) {
        self.shutting_down.store(true, Ordering::Release);
        for connection in self.read_connections().values() {
            connection.outbox.close(Close::SHUTDOWN);
        }
    }

    /// Whether the shutdown has started.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    fn read_connections(&self) -> std::sync::RwLockReadGuard<'_, HashMap<u64, Arc<Connection>>> {
        self.connections
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write_connections(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<u64, Arc<Connection>>> {
        self.connections
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The matcher's name for `rule` of the connection with `key`.
fn rule_name(key: u64, rule: &str) -> String {
    format!("{key:0width$x}{rule}", width = KEY_DIGITS)
}
