//! `Resume` (an extension of the protocol): a client that reconnected, said Hello and
//! subscribed its rules again sends the `Sequence` of the last event it received; the node
//! replays, from its history (one node) or the JetStream stream (`--nats`), every later event
//! that matches the connection's rules, then continues live, with no gap and no duplicate:
//!
//! 1. With dispatching paused for an instant, the connection starts holding live notifications,
//!    and the last dispatched sequence `through` is taken.
//! 2. Events after `LastSequence` up to `through` are matched against the connection's rules
//!    and queued, except those already delivered live since the connection opened.
//! 3. The held notifications are queued after them, and nothing up to `LastSequence` is
//!    delivered from then on (a node that lags behind the one the client left may still
//!    dispatch such events).

use std::sync::Arc;

use evmatch::Matcher;

use crate::connection::Connection;
use crate::history::{Expired, Published};
use crate::hub::Hub;
use crate::protocol::EventNotice;

/// Replays what `connection` missed after `last`, then lets live delivery go on.
pub async fn resume(
    hub: &Hub,
    connection: &Connection,
    rules: &[(String, String)],
    last: u64,
) -> Result<(), String> {
    let started = hub.with_dispatch_locked(|dispatched| {
        let live = connection.begin_resume()?;
        let kept = hub
            .cluster
            .is_none()
            .then(|| dispatched.history.range(last, dispatched.last));
        Some((dispatched.last, live, kept))
    });
    let Some((through, live, kept)) = started else {
        return Err(
            "Resume is possible once per connection, right after Hello and Subscribe".into(),
        );
    };
    let outcome = match missed(hub, last, through, kept).await {
        Ok(events) => replay(connection, rules, &live, &events).map(|replayed| {
            hub.metrics.events_replayed.inc_by(replayed as u64);
            last
        }),
        Err(message) => Err(message),
    };
    // Live delivery goes on whatever happened; after a failed resume the client starts afresh.
    connection.end_resume(*outcome.as_ref().unwrap_or(&0));
    outcome.map(drop)
}

/// The events after `last` up to `through`.
async fn missed(
    hub: &Hub,
    last: u64,
    through: u64,
    kept: Option<Result<Vec<Published>, Expired>>,
) -> Result<Vec<Published>, String> {
    if last > through {
        let end = match &hub.cluster {
            Some(cluster) => cluster.last_sequence().await.map_err(|why| {
                format!("Resume failed: the event stream cannot be read now ({why})")
            })?,
            None => through,
        };
        if last > end {
            return Err(format!(
                "Resume impossible: sequence {last} is ahead of this bus's last event ({end}); \
                 its history was reset, so start afresh"
            ));
        }
        // This node has not dispatched that far yet: nothing to replay, and the floor keeps
        // it from delivering again what the client already has.
        return Ok(Vec::new());
    }
    let expired = |oldest: u64| {
        format!(
            "Resume impossible: events after sequence {last} are no longer kept (the oldest kept \
             is {oldest}); start afresh"
        )
    };
    match (kept, &hub.cluster) {
        (Some(kept), _) => kept.map_err(|Expired { oldest }| expired(oldest)),
        (None, Some(cluster)) => {
            let stored = cluster
                .replay(last, through)
                .await
                .map_err(|error| match error {
                    crate::cluster::ReplayError::Expired { oldest } => expired(oldest),
                    crate::cluster::ReplayError::Unavailable(why) => {
                        format!("Resume failed: the event stream cannot be read now ({why})")
                    }
                })?;
            Ok(stored.into_iter().filter_map(|s| s.published()).collect())
        }
        (None, None) => unreachable!("one node keeps a history"),
    }
}

/// Queues the notifications of `events` that match `rules` and were not delivered live.
fn replay(
    connection: &Connection,
    rules: &[(String, String)],
    live: &[u64],
    events: &[Published],
) -> Result<usize, String> {
    let mut matcher = Matcher::new();
    for (name, pattern) in rules {
        matcher
            .add_rule(name, pattern)
            .expect("subscribed patterns are valid");
    }
    let mut replayed = 0;
    for published in events {
        // Live deliveries are in sequence order.
        if live.binary_search(&published.sequence).is_ok() {
            continue;
        }
        let Ok(names) = matcher.matches(published.event.as_bytes()) else {
            continue;
        };
        if names.is_empty() {
            continue;
        }
        let notice = EventNotice::new(
            published.sequence,
            &published.source,
            &published.detail_type,
            &published.event,
        );
        let text = notice.for_rules(names);
        connection
            .outbox
            .push_text(text)
            .map_err(|_| "Resume stopped: the connection is closing".to_owned())?;
        replayed += 1;
    }
    Ok(replayed)
}

impl crate::cluster::Stored {
    /// The event as dispatching needs it, if the stored text is a complete event.
    pub fn published(self) -> Option<Published> {
        let event = String::from_utf8(self.payload.to_vec()).ok()?;
        let (source, detail_type) = crate::publish::head(&event)?;
        Some(Published {
            sequence: self.sequence,
            event: Arc::from(event),
            source: source.into(),
            detail_type: detail_type.into(),
        })
    }
}
