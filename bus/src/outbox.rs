//! A connection's outbound queue: bounded in bytes, so a client that stops reading costs at most
//! `--max-queue-bytes` and is then closed as a slow consumer, without ever making a publisher
//! wait. It also carries the connection's close request: the first reason given wins.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::ws::Message;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use crate::close::Close;

/// A message waiting to be written, with what the writer needs to account for it.
pub struct Queued {
    pub message: Message,
    pub bytes: usize,
    /// When the event behind it was published (for the publish-to-send latency); `None` for
    /// acknowledgements and other messages.
    pub published_at: Option<Instant>,
}

/// Why a message was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The connection is closing or closed.
    Closed,
    /// The queue would pass its bound: the connection is now being closed as a slow consumer.
    SlowConsumer,
}

/// The sending side, shared by everyone who writes to the connection.
pub struct Outbox {
    tx: mpsc::UnboundedSender<Queued>,
    queued_bytes: AtomicUsize,
    limit: usize,
    /// Bytes queued on every connection together (the bus's own counter).
    pending_bytes: Arc<AtomicUsize>,
    close: OnceLock<Close>,
    closing: CancellationToken,
    /// Signalled when the queue drains to half its bound.
    drained: Notify,
    /// Connections closed as slow consumers (the bus's metric).
    slow_consumers: Counter,
}

/// The receiving side, owned by the connection's writer.
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Queued>,
}

/// A queue of at most `limit` bytes whose bytes also count in `pending_bytes`; closing it as a
/// slow consumer counts in `slow_consumers`.
pub fn outbox(
    limit: usize,
    pending_bytes: Arc<AtomicUsize>,
    slow_consumers: Counter,
) -> (Outbox, Inbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    let outbox = Outbox {
        tx,
        queued_bytes: AtomicUsize::new(0),
        limit,
        pending_bytes,
        close: OnceLock::new(),
        closing: CancellationToken::new(),
        drained: Notify::new(),
        slow_consumers,
    };
    (outbox, Inbox { rx })
}

impl Outbox {
    /// Queues `message`; never waits. Past the bound the connection is closed as a slow consumer.
    pub fn push(&self, message: Message, published_at: Option<Instant>) -> Result<(), Refused> {
        // The close request is set before the token is cancelled, and reading it takes no lock.
        if self.close.get().is_some() {
            return Err(Refused::Closed);
        }
        let bytes = message_len(&message);
        let before = self.queued_bytes.fetch_add(bytes, Ordering::AcqRel);
        if before + bytes > self.limit {
            self.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
            // Whoever overflows the queue first closes it, and that close alone is counted,
            // whether an event, an ack or an @connections message overflowed it.
            if !self.close(Close::SLOW_CONSUMER) {
                return Err(Refused::Closed);
            }
            self.slow_consumers.inc();
            return Err(Refused::SlowConsumer);
        }
        self.pending_bytes.fetch_add(bytes, Ordering::AcqRel);
        let queued = Queued {
            message,
            bytes,
            published_at,
        };
        if self.tx.send(queued).is_err() {
            self.sent(bytes);
            return Err(Refused::Closed);
        }
        Ok(())
    }

    /// The bound of the queue, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Queues a text message that is not an event.
    pub fn push_text(&self, text: String) -> Result<(), Refused> {
        self.push(Message::Text(text.into()), None)
    }

    /// Accounts for `bytes` that left the queue (written, or dropped at close).
    pub fn sent(&self, bytes: usize) {
        let before = self.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
        self.pending_bytes.fetch_sub(bytes, Ordering::AcqRel);
        if before > self.limit / 2 && before - bytes <= self.limit / 2 {
            self.drained.notify_one();
        }
    }

    /// Whether the queue holds more than half its bound. The connection's reader then waits
    /// ([`Outbox::drained`]) before reading another action, so a client that sends actions
    /// faster than it reads their acks is slowed by TCP instead of closed as a slow consumer.
    pub fn backlogged(&self) -> bool {
        self.queued_bytes.load(Ordering::Acquire) > self.limit / 2
    }

    /// Resolves once the queue has drained to half its bound (or spuriously: check again).
    pub async fn drained(&self) {
        self.drained.notified().await
    }

    /// Bytes queued now.
    #[cfg(test)]
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes.load(Ordering::Acquire)
    }

    /// Asks the connection to close; returns whether this was the first request.
    pub fn close(&self, close: Close) -> bool {
        let first = self.close.set(close).is_ok();
        self.closing.cancel();
        first
    }

    /// The close request, once there is one.
    pub fn close_request(&self) -> Option<&Close> {
        self.close.get()
    }

    /// Resolves once a close has been requested.
    pub async fn closing(&self) {
        self.closing.cancelled().await
    }
}

impl Inbox {
    /// The next message, waiting for one.
    pub async fn recv(&mut self) -> Option<Queued> {
        self.rx.recv().await
    }

    /// The next message if one is queued.
    pub fn try_recv(&mut self) -> Option<Queued> {
        self.rx.try_recv().ok()
    }

    /// Stops the queue and returns what was left in it.
    pub fn close(&mut self) -> Vec<Queued> {
        self.rx.close();
        std::iter::from_fn(|| self.rx.try_recv().ok()).collect()
    }
}

fn message_len(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(bytes) => bytes.len(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_closes_as_slow_consumer_and_counts_are_kept() {
        let pending = Arc::new(AtomicUsize::new(0));
        let slow_consumers = Counter::default();
        let (outbox, mut inbox) = outbox(10, Arc::clone(&pending), slow_consumers.clone());
        assert_eq!(outbox.push_text("12345".into()), Ok(()));
        assert_eq!(outbox.push_text("12345".into()), Ok(()));
        assert_eq!(pending.load(Ordering::Acquire), 10);
        assert_eq!(outbox.push_text("1".into()), Err(Refused::SlowConsumer));
        assert_eq!(outbox.close_request(), Some(&Close::SLOW_CONSUMER));
        assert_eq!(slow_consumers.get(), 1);
        assert_eq!(outbox.push_text("1".into()), Err(Refused::Closed));
        let first = inbox.try_recv().unwrap();
        outbox.sent(first.bytes);
        let left = inbox.close();
        assert_eq!(left.len(), 1);
        outbox.sent(left[0].bytes);
        assert_eq!(
            (outbox.queued_bytes(), pending.load(Ordering::Acquire)),
            (0, 0)
        );
    }

    #[test]
    fn past_half_the_bound_is_backlogged_until_drained() {
        use futures_util::FutureExt;
        let (outbox, mut inbox) = outbox(10, Arc::new(AtomicUsize::new(0)), Counter::default());
        outbox.push_text("12345".into()).unwrap();
        assert!(!outbox.backlogged());
        outbox.push_text("1".into()).unwrap();
        assert!(outbox.backlogged());
        assert_eq!(outbox.drained().now_or_never(), None);
        let first = inbox.try_recv().unwrap();
        outbox.sent(first.bytes);
        assert!(!outbox.backlogged());
        assert_eq!(outbox.drained().now_or_never(), Some(()));
    }
}
