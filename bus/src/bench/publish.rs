//! The publishers: batches of events as JSON Lines to `POST /events/raw`, on a schedule of
//! `rate` events per second (or back to back), a few requests in flight, honouring 429/503 and
//! their `Retry-After`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::workload::Workload;

/// A publish request that takes longer than this fails the run.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest `Retry-After` honoured as given.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Where to publish.
pub struct Publisher {
    pub http: reqwest::Client,
    pub url: String,
    pub key: String,
}

/// What one publish phase did.
#[derive(Debug, Default)]
pub struct Published {
    /// Each accepted event's publish time (ns on the bench clock), by `seq - first` (events
    /// `first..first + t_ns.len()` were accepted).
    pub t_ns: Vec<u64>,
    pub requests: u64,
    /// Requests refused with 429 / 503 (and retried).
    pub throttled_429: u64,
    pub throttled_503: u64,
    /// When the first request was sent and the last answered (ns on the bench clock).
    pub start_ns: u64,
    pub end_ns: u64,
}

/// The schedule the publishers share: batch `k` holds events `first + k * batch ..` and is due
/// `k * interval` after the start.
struct Schedule<'a> {
    workload: &'a Workload,
    first: u64,
    batch: usize,
    interval_ns: u64,
    start_ns: u64,
    end_ns: u64,
    clock: Instant,
    next: AtomicU64,
    /// Each sent batch's `t` (by batch number) and the refusal counts.
    sent: Mutex<(Vec<u64>, u64, u64, u64)>,
}

impl Schedule<'_> {
    fn now_ns(&self) -> u64 {
        self.clock.elapsed().as_nanos() as u64
    }
}

impl Publisher {
    /// Publishes from `first` on, `rate` events/s (0: as fast as accepted) in batches of
    /// `batch`, for `duration`, with `publishers` requests in flight at most. An event's `t` is
    /// the time it was due (so a publisher that falls behind shows as latency, not as a lower
    /// rate with good numbers), or its send time when unpaced. Every batch taken is published
    /// (retried after 429/503) so that the accepted events are `first..first + n`.
    #[allow(clippy::too_many_arguments)]
    pub async fn run(
        &self,
        workload: &Workload,
        first: u64,
        rate: f64,
        batch: usize,
        publishers: usize,
        duration: Duration,
        clock: Instant,
    ) -> Result<Published, String> {
        let batch = batch.max(1);
        let start_ns = clock.elapsed().as_nanos() as u64;
        let schedule = Schedule {
            workload,
            first,
            batch,
            interval_ns: if rate > 0.0 {
                (batch as f64 / rate * 1e9) as u64
            } else {
                0
            },
            start_ns,
            end_ns: start_ns + duration.as_nanos() as u64,
            clock,
            next: AtomicU64::new(0),
            sent: Mutex::new((Vec::new(), 0, 0, 0)),
        };
        let loops = (0..publishers.max(1)).map(|_| self.publish_loop(&schedule));
        for result in futures_util::future::join_all(loops).await {
            result?;
        }
        let end_ns = schedule.now_ns();
        let (t_by_batch, requests, throttled_429, throttled_503) = schedule
            .sent
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(k) = t_by_batch.iter().position(|&t| t == u64::MAX) {
            return Err(format!("batch {k} was taken and never published"));
        }
        Ok(Published {
            t_ns: t_by_batch
                .iter()
                .flat_map(|&t| std::iter::repeat_n(t, batch))
                .collect(),
            requests,
            throttled_429,
            throttled_503,
            start_ns,
            end_ns,
        })
    }

    /// One publisher: takes the next batch while the phase lasts, waits until it is due, and
    /// sends it until it is accepted (bounded: the phase's end plus one request timeout).
    async fn publish_loop(&self, s: &Schedule<'_>) -> Result<(), String> {
        let give_up_ns = s.end_ns + REQUEST_TIMEOUT.as_nanos() as u64;
        let lock = || s.sent.lock().unwrap_or_else(PoisonError::into_inner);
        while s.now_ns() < s.end_ns {
            let k = s.next.fetch_add(1, Ordering::Relaxed);
            let due_ns = s.start_ns + k * s.interval_ns;
            if due_ns >= s.end_ns {
                break;
            }
            if let Some(wait) = due_ns.checked_sub(s.now_ns()) {
                tokio::time::sleep(Duration::from_nanos(wait)).await;
            }
            {
                let mut sent = lock();
                if sent.0.len() <= k as usize {
                    sent.0.resize(k as usize + 1, u64::MAX);
                }
            }
            loop {
                let t_ns = if s.interval_ns > 0 {
                    due_ns
                } else {
                    s.now_ns()
                };
                let from = s.first + k * s.batch as u64;
                let mut body = String::with_capacity(s.batch * 320);
                for seq in from..from + s.batch as u64 {
                    body.push_str(&s.workload.event(seq, t_ns));
                    body.push('\n');
                }
                lock().1 += 1;
                match self.send(body).await? {
                    Answer::Accepted(n) if n == s.batch => {
                        lock().0[k as usize] = t_ns;
                        break;
                    }
                    Answer::Accepted(n) => {
                        return Err(format!("the bus accepted {n} of a batch of {}", s.batch))
                    }
                    Answer::Retry(status, after) => {
                        if status == StatusCode::TOO_MANY_REQUESTS {
                            lock().2 += 1;
                        } else {
                            lock().3 += 1;
                        }
                        if s.now_ns() > give_up_ns {
                            return Err(format!("batch {k} refused until the end ({status})"));
                        }
                        tokio::time::sleep(after.min(MAX_RETRY_AFTER)).await;
                    }
                }
            }
        }
        Ok(())
    }

    async fn send(&self, body: String) -> Result<Answer, String> {
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(&self.key)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("publish: {e}"))?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            let after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok()?.trim().parse::<f64>().ok())
                .map_or(Duration::from_secs(1), |s| {
                    Duration::try_from_secs_f64(s).unwrap_or(MAX_RETRY_AFTER)
                });
            return Ok(Answer::Retry(status, after));
        }
        let text = response
            .text()
            .await
            .map_err(|e| format!("publish answer: {e}"))?;
        if status != StatusCode::OK {
            return Err(format!("publish answered {status}: {text}"));
        }
        let answer: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("publish answer {text}: {e}"))?;
        if answer["Refused"].as_array().is_some_and(|r| !r.is_empty()) {
            return Err(format!("the bus refused events: {text}"));
        }
        let accepted = answer["Accepted"]
            .as_u64()
            .ok_or_else(|| format!("publish answer without Accepted: {text}"))?;
        Ok(Answer::Accepted(accepted as usize))
    }
}

enum Answer {
    Accepted(usize),
    Retry(StatusCode, Duration),
}
