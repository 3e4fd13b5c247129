//! The heart of the bus: every subscription of every connection in one [`SharedMatcher`], the
//! open connections, and dispatching: an event is matched once, and the matched rule names say
//! which connections receive it.
//!
//! A subscription is stored in the matcher under the name `<connection key as 16 hex
//! digits><rule name>`, so one match names every (connection, rule) pair at once; grouping the
//! names by their first 16 bytes gives each connection's `Rules`.
//!
//! Every event has a sequence number: its position in the in-memory history (one node) or in
//! the JetStream stream (`--nats`, see `cluster`). Events are dispatched one at a time in
//! sequence order, so each connection receives them in that order, and a `Resume` (see
//! `resume`) can tell exactly which it has had.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Instant;

use evmatch::{EventError, Matcher, Pattern, Scratch, SharedMatcher};

use crate::close::Close;
use crate::cluster::{Cluster, NotStored};
use crate::config::Config;
use crate::connection::{Connection, Identity};
use crate::history::{History, Published};
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
    /// The other nodes, with `--nats`.
    pub cluster: Option<Arc<Cluster>>,
    matcher: SharedMatcher,
    connections: RwLock<HashMap<u64, Arc<Connection>>>,
    next_key: AtomicU64,
    pending_bytes: Arc<AtomicUsize>,
    /// An empty full-validation matcher: checks that a text is one well-formed JSON object.
    validator: Matcher,
    /// Serialises dispatching, so that sequence order is delivery order.
    dispatch: Mutex<Dispatched>,
    shutting_down: AtomicBool,
}

/// What dispatching has done so far.
pub struct Dispatched {
    /// The sequence of the last event dispatched.
    pub last: u64,
    /// One node: the recent events, for replay.
    pub history: History,
}

/// What dispatching one event did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// Connections the event was queued for (or held for, during a resume).
    pub delivered: usize,
    /// Connections it matched but could not be queued for (closing, or a full queue).
    pub dropped: usize,
}

impl Hub {
    pub fn new(config: Config, publish_key: String, cluster: Option<Arc<Cluster>>) -> Hub {
        let history = History::new(config.history_events, config.history_age());
        Hub {
            api_key: crate::auth::api_key(&config),
            publish_key,
            metrics: Metrics::new(),
            cluster,
            matcher: SharedMatcher::new(),
            connections: RwLock::new(HashMap::new()),
            next_key: AtomicU64::new(1),
            pending_bytes: Arc::new(AtomicUsize::new(0)),
            validator: Matcher::new(),
            dispatch: Mutex::new(Dispatched { last: 0, history }),
            shutting_down: AtomicBool::new(false),
            config,
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
        let connection = Arc::new(Connection::new(
            &self.config.node_id,
            key,
            client_id,
            identity,
            outbox,
        ));
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

    /// Publishes a validated event. One node: it is numbered, kept for replay and dispatched
    /// before this returns. With NATS: it is stored in the stream, and every node (this one
    /// too) dispatches it when its consumer reads it.
    pub async fn publish(
        &self,
        event: String,
        source: &str,
        detail_type: &str,
    ) -> Result<u64, NotStored> {
        if let Some(cluster) = &self.cluster {
            let sequence = cluster.store(event.into()).await?;
            self.metrics.events_published.inc();
            return Ok(sequence);
        }
        let mut dispatched = self.lock_dispatch();
        let published = dispatched
            .history
            .push(event.into(), source.into(), detail_type.into());
        dispatched.last = published.sequence;
        self.dispatch_locked(&published);
        self.metrics.events_published.inc();
        Ok(published.sequence)
    }

    /// Publishes several validated events `(text, source, detail-type)`, in order; with NATS
    /// they are stored pipelined (all sent, then every confirmation awaited).
    pub async fn publish_many(
        &self,
        events: Vec<(String, String, String)>,
    ) -> Vec<Result<u64, NotStored>> {
        let Some(cluster) = &self.cluster else {
            let mut results = Vec::with_capacity(events.len());
            for (event, source, detail_type) in events {
                results.push(self.publish(event, &source, &detail_type).await);
            }
            return results;
        };
        let texts = events
            .into_iter()
            .map(|(event, _, _)| event.into())
            .collect();
        let results = cluster.store_many(texts).await;
        let stored = results.iter().filter(|result| result.is_ok()).count();
        self.metrics.events_published.inc_by(stored as u64);
        results
    }

    /// Dispatches an event the stream delivered (with NATS), in sequence order.
    pub fn dispatch(&self, published: &Published) {
        let mut dispatched = self.lock_dispatch();
        if published.sequence <= dispatched.last {
            return; // delivered again after a consumer restart
        }
        dispatched.last = published.sequence;
        self.dispatch_locked(published);
    }

    /// Matches `published` once against every subscription and queues one notification for
    /// each connection with a matching rule. The caller holds the dispatch lock.
    fn dispatch_locked(&self, published: &Published) -> Delivered {
        let started = Instant::now();
        let snapshot = self.matcher.snapshot();
        let mut names = Vec::new();
        let matched = SCRATCH.with(|scratch| {
            snapshot.matches_with(
                published.event.as_bytes(),
                &mut scratch.borrow_mut(),
                &mut names,
            )
        });
        self.metrics
            .match_seconds
            .observe(started.elapsed().as_secs_f64());
        let mut outcome = Delivered::default();
        if let Err(error) = matched {
            // Validated when published; only a stream written by something else gets here.
            tracing::warn!(sequence = published.sequence, %error, "event cannot be matched");
            metrics::count(&self.metrics.events_refused, "unreadable_in_stream");
            return outcome;
        }
        if names.is_empty() {
            return outcome;
        }
        // A stable sort keeps each connection's rules in the order they were first added.
        names.sort_by_key(|name| &name[..KEY_DIGITS]);
        let notice = EventNotice::new(
            published.sequence,
            &published.source,
            &published.detail_type,
            &published.event,
        );
        let connections = self.read_connections();
        for group in names.chunk_by(|a, b| a[..KEY_DIGITS] == b[..KEY_DIGITS]) {
            let key = u64::from_str_radix(&group[0][..KEY_DIGITS], 16)
                .expect("rule names start with a hex key");
            // Absent only while the connection is being removed, after its rules are gone.
            let Some(connection) = connections.get(&key) else {
                continue;
            };
            let text = notice.for_rules(group.iter().map(|name| &name[KEY_DIGITS..]));
            match connection.deliver(published.sequence, text, started) {
                Ok(true) => outcome.delivered += 1,
                Ok(false) => {}
                Err(refused) => {
                    outcome.dropped += 1;
                    self.count_drop(refused);
                }
            }
        }
        self.metrics.deliveries.inc_by(outcome.delivered as u64);
        outcome
    }

    /// Counts a notification that could not be queued (the outbox counts the slow consumer).
    pub fn count_drop(&self, refused: Refused) {
        let reason = match refused {
            Refused::Closed => "connection_closing",
            Refused::SlowConsumer => "slow_consumer",
        };
        metrics::count(&self.metrics.drops, reason);
    }

    /// Runs `f` with the dispatch state locked: no event is dispatched meanwhile.
    pub fn with_dispatch_locked<R>(&self, f: impl FnOnce(&mut Dispatched) -> R) -> R {
        f(&mut self.lock_dispatch())
    }

    fn lock_dispatch(&self) -> MutexGuard<'_, Dispatched> {
        self.dispatch.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether publishing must wait: the outbound queues together hold too much.
    pub fn saturated(&self) -> bool {
        self.pending_bytes() > self.config.max_pending_bytes
    }

    /// Bytes queued for all connections.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes.load(Ordering::Acquire)
    }

    /// The open connection with this id on this node.
    pub fn connection(&self, id: &str) -> Option<Arc<Connection>> {
        let key = crate::connection::key_of(&self.config.node_id, id)?;
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
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write_connections(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<u64, Arc<Connection>>> {
        self.connections
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The matcher's name for `rule` of the connection with `key`.
fn rule_name(key: u64, rule: &str) -> String {
    format!("{key:0width$x}{rule}", width = KEY_DIGITS)
}
