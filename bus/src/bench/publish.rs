//! The publisher: batches of events as JSON Lines to `POST /events/raw`, on a schedule of
//! `rate` events per second (or back to back), honouring 429/503 and their `Retry-After`.

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

impl Publisher {
    /// Publishes from `first` on, `rate` events/s (0: as fast as accepted) in batches of `batch`,
    /// for `duration`. An event's `t` is the time it was due (so a publisher that falls behind
    /// shows as latency, not as a lower rate with good numbers), or its send time when unpaced.
    pub async fn run(
        &self,
        workload: &Workload,
        first: u64,
        rate: f64,
        batch: usize,
        duration: Duration,
        clock: Instant,
    ) -> Result<Published, String> {
        let now_ns = || clock.elapsed().as_nanos() as u64;
        let batch = batch.max(1);
        let mut out = Published {
            start_ns: now_ns(),
            ..Published::default()
        };
        let end_ns = out.start_ns + duration.as_nanos() as u64;
        let interval_ns = if rate > 0.0 {
            (batch as f64 / rate * 1e9) as u64
        } else {
            0
        };
        let mut k = 0u64;
        // Each pass sends one batch or waits out one refusal; both take time, and the phase ends.
        while now_ns() < end_ns {
            let due_ns = out.start_ns + k * interval_ns;
            if due_ns >= end_ns {
                break;
            }
            if let Some(wait) = due_ns.checked_sub(now_ns()) {
                tokio::time::sleep(Duration::from_nanos(wait)).await;
            }
            let t_ns = if interval_ns > 0 { due_ns } else { now_ns() };
            let next = first + out.t_ns.len() as u64;
            let mut body = String::with_capacity(batch * 320);
            for seq in next..next + batch as u64 {
                body.push_str(&workload.event(seq, t_ns));
                body.push('\n');
            }
            out.requests += 1;
            match self.send(body).await? {
                Answer::Accepted(n) if n == batch => {
                    out.t_ns.extend(std::iter::repeat_n(t_ns, batch));
                    k += 1;
                }
                Answer::Accepted(n) => {
                    return Err(format!("the bus accepted {n} of a batch of {batch} events"))
                }
                Answer::Retry(status, after) => {
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        out.throttled_429 += 1;
                    } else {
                        out.throttled_503 += 1;
                    }
                    tokio::time::sleep(after.min(MAX_RETRY_AFTER)).await;
                }
            }
        }
        out.end_ns = now_ns();
        Ok(out)
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
