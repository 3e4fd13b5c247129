//! Publishing over HTTP: `POST /events` (EventBridge PutEvents' shapes) and `POST /events/raw`
//! (JSON Lines of complete events). A 200 means every accepted event was matched and queued for
//! every matching connection; when the bus cannot take more, publishers are told to retry.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::cluster::NotStored;
use crate::hub::Hub;
use crate::metrics;
use crate::protocol::push_json_string;
use crate::server::AppState;

/// AWS's limits on one PutEvents request.
const MAX_ENTRIES: usize = 10;
const MAX_ENTRIES_BYTES: usize = 256 * 1024;
const TOO_LARGE: &str = "Total size of the entries in the request is over the limit.";

/// `POST /events`.
pub async fn put_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let hub = &state.hub;
    if let Err(status) = crate::auth::check_bearer(&headers, &hub.publish_key) {
        return unauthorized(status);
    }
    // Past the HTTP body limit the entries are past AWS's 256 KB too: the same refusal.
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return validation_error(TOO_LARGE)
        }
        Err(rejection) => return rejection.into_response(),
    };
    let _permit = match admit(&state) {
        Ok(permit) => permit,
        Err(response) => return response,
    };
    let request: PutEventsRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return validation_error(&format!("Request body is not valid: {error}")),
    };
    let entries = request.entries.unwrap_or_default();
    if entries.is_empty() || entries.len() > MAX_ENTRIES {
        return validation_error(&format!(
            "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and {MAX_ENTRIES}, inclusive"
        ));
    }
    if entries.iter().map(PutEventsEntry::size).sum::<usize>() > MAX_ENTRIES_BYTES {
        return validation_error(TOO_LARGE);
    }
    let mut failed = 0;
    let mut not_stored = false;
    let mut results = Vec::with_capacity(entries.len());
    for entry in &entries {
        results.push(match publish_entry(hub, entry).await {
            Ok(event_id) => json!({ "EventId": event_id }),
            Err(failure) => {
                failed += 1;
                not_stored |= failure.code == NOT_STORED;
                metrics::count(&hub.metrics.events_refused, failure.metric());
                json!({ "ErrorCode": failure.code, "ErrorMessage": failure.message })
            }
        });
    }
    let body = json!({ "FailedEntryCount": failed, "Entries": results });
    answer(body, not_stored)
}

/// The publish response: `200`, or `503` with `Retry-After` when some event could not be
/// stored (the body says which, the status says retry).
fn answer(body: Value, not_stored: bool) -> Response {
    if not_stored {
        let retry = [(header::RETRY_AFTER, "1")];
        return (StatusCode::SERVICE_UNAVAILABLE, retry, Json(body)).into_response();
    }
    Json(body).into_response()
}

#[derive(Deserialize)]
struct PutEventsRequest {
    #[serde(rename = "Entries")]
    entries: Option<Vec<PutEventsEntry>>,
}

/// One entry, every field kept as sent so a bad field fails its entry alone.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutEventsEntry {
    source: Option<Value>,
    detail_type: Option<Value>,
    detail: Option<Value>,
    resources: Option<Value>,
    time: Option<Value>,
    // Accepted and not checked: this bus is the one bus.
    #[allow(dead_code)]
    event_bus_name: Option<Value>,
}

impl PutEventsEntry {
    /// The entry's size as AWS counts it for the 256 KB limit.
    fn size(&self) -> usize {
        let text = |value: &Option<Value>| match value {
            Some(Value::String(text)) => text.len(),
            _ => 0,
        };
        let resources = match &self.resources {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::len).sum(),
            _ => 0,
        };
        let time = if self.time.is_some() { 14 } else { 0 };
        text(&self.source) + text(&self.detail_type) + text(&self.detail) + resources + time
    }
}

/// Why an entry was not published: PutEvents' `ErrorCode` and `ErrorMessage`.
struct EntryError {
    code: &'static str,
    message: String,
}

/// The `ErrorCode` of an entry the stream could not store (a 503 for the request).
const NOT_STORED: &str = "InternalFailure";

impl EntryError {
    fn metric(&self) -> &'static str {
        if self.code == NOT_STORED {
            "not_stored"
        } else {
            "invalid_entry"
        }
    }
}

fn invalid(parameter: &str, reason: &str) -> EntryError {
    EntryError {
        code: "InvalidArgument",
        message: format!("Parameter {parameter} is not valid. Reason: {reason}"),
    }
}

fn required_string<'a>(value: &'a Option<Value>, parameter: &str) -> Result<&'a str, EntryError> {
    match value {
        Some(Value::String(text)) if !text.is_empty() => Ok(text),
        None | Some(Value::Null) => Err(invalid(
            parameter,
            &format!("{parameter} is a required argument."),
        )),
        Some(_) => Err(invalid(
            parameter,
            &format!("{parameter} must be a non-empty string."),
        )),
    }
}

/// Builds the EventBridge event for `entry`, publishes it, and returns its id.
async fn publish_entry(hub: &Hub, entry: &PutEventsEntry) -> Result<String, EntryError> {
    let source = required_string(&entry.source, "Source")?;
    let detail_type = required_string(&entry.detail_type, "DetailType")?;
    let detail = required_string(&entry.detail, "Detail")?;
    let malformed = || EntryError {
        code: "MalformedDetail",
        message: "Detail is malformed.".to_owned(),
    };
    hub.validate_object(detail).map_err(|_| malformed())?;
    let resources: Vec<&str> = match &entry.resources {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| invalid("Resources", "Resources must be strings."))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("Resources", "Resources must be a list of strings.")),
    };
    let time = match &entry.time {
        None | Some(Value::Null) => SystemTime::now(),
        Some(Value::Number(seconds)) => seconds
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0 && *s < 253_402_300_800.0)
            .map(|s| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs_f64(s))
            .ok_or_else(|| invalid("Time", "Time is out of range."))?,
        Some(Value::String(text)) => humantime::parse_rfc3339_weak(text).map_err(|_| {
            invalid(
                "Time",
                "Time must be an RFC 3339 timestamp or epoch seconds.",
            )
        })?,
        Some(_) => {
            return Err(invalid(
                "Time",
                "Time must be an RFC 3339 timestamp or epoch seconds.",
            ))
        }
    };
    let id = uuid::Uuid::new_v4().to_string();
    let event = build_event(hub, &id, source, detail_type, &resources, time, detail);
    // The envelope adds a level of nesting to the detail's.
    hub.validate_object(&event).map_err(|_| malformed())?;
    hub.publish(event, source, detail_type)
        .await
        .map_err(|NotStored(why)| EntryError {
            code: NOT_STORED,
            message: format!("The event was not stored: {why}"),
        })?;
    Ok(id)
}

/// The EventBridge event for an entry, fields in EventBridge's order; `detail` goes in as sent.
fn build_event(
    hub: &Hub,
    id: &str,
    source: &str,
    detail_type: &str,
    resources: &[&str],
    time: SystemTime,
    detail: &str,
) -> String {
    let mut out = Vec::with_capacity(detail.len() + 256);
    out.extend_from_slice(br#"{"version":"0","id":"#);
    push_json_string(&mut out, id);
    out.extend_from_slice(br#","detail-type":"#);
    push_json_string(&mut out, detail_type);
    out.extend_from_slice(br#","source":"#);
    push_json_string(&mut out, source);
    out.extend_from_slice(br#","account":"#);
    push_json_string(&mut out, &hub.config.account);
    out.extend_from_slice(br#","time":"#);
    push_json_string(
        &mut out,
        &humantime::format_rfc3339_seconds(time).to_string(),
    );
    out.extend_from_slice(br#","region":"#);
    push_json_string(&mut out, &hub.config.region);
    out.extend_from_slice(br#","resources":["#);
    for (i, resource) in resources.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_string(&mut out, resource);
    }
    out.extend_from_slice(br#"],"detail":"#);
    out.extend_from_slice(detail.as_bytes());
    out.push(b'}');
    String::from_utf8(out).expect("JSON text and a validated detail")
}

/// `POST /events/raw`: one complete event per line, published as it is.
pub async fn put_raw(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let hub = &state.hub;
    if let Err(status) = crate::auth::check_bearer(&headers, &hub.publish_key) {
        return unauthorized(status);
    }
    let limit = hub.config.max_raw_body_bytes;
    let too_large = || {
        let message = format!("Body is over {limit} bytes (--max-raw-body-bytes)");
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(json!({ "message": message })),
        )
            .into_response()
    };
    let body = match body {
        Ok(body) if body.len() <= limit => body,
        Ok(_) => return too_large(),
        // The body limit is --max-raw-body-bytes: say so, as JSON like every other answer.
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return too_large()
        }
        Err(rejection) => return rejection.into_response(),
    };
    let _permit = match admit(&state) {
        Ok(permit) => permit,
        Err(response) => return response,
    };
    let mut refused = Vec::new();
    let mut lines = Vec::new();
    let mut events = Vec::new();
    for (index, line) in body.split(|&byte| byte == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match check_line(hub, line) {
            Ok((text, source, detail_type)) => {
                lines.push(index + 1);
                events.push((text.to_owned(), source, detail_type));
            }
            Err(reason) => {
                metrics::count(&hub.metrics.events_refused, "invalid_line");
                refused.push((index + 1, reason));
            }
        }
    }
    let mut accepted = 0usize;
    let mut not_stored = false;
    for (line, result) in lines.into_iter().zip(hub.publish_many(events).await) {
        match result {
            Ok(_) => accepted += 1,
            Err(NotStored(why)) => {
                not_stored = true;
                metrics::count(&hub.metrics.events_refused, "not_stored");
                refused.push((line, format!("not stored: {why}")));
            }
        }
    }
    refused.sort_unstable_by_key(|(line, _)| *line);
    let refused: Vec<Value> = refused
        .into_iter()
        .map(|(line, reason)| json!({ "Line": line, "Reason": reason }))
        .collect();
    answer(
        json!({ "Accepted": accepted, "Refused": refused }),
        not_stored,
    )
}

/// The fields a notification needs from a complete event.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    source: Option<&'a RawValue>,
    #[serde(rename = "detail-type", borrow)]
    detail_type: Option<&'a RawValue>,
}

/// A line's text, `source` and `detail-type`, if it is one complete event.
fn check_line<'l>(hub: &Hub, line: &'l [u8]) -> Result<(&'l str, String, String), String> {
    let text = std::str::from_utf8(line).map_err(|_| "line is not valid UTF-8".to_owned())?;
    if line.len() > MAX_ENTRIES_BYTES {
        return Err(format!(
            "event is {} bytes; at most {MAX_ENTRIES_BYTES} are allowed",
            line.len()
        ));
    }
    // Full validation first: after it the text is one JSON object at most 1,000 levels deep, so
    // reading its head without serde_json's recursion limit is safe.
    hub.validate_object(text)
        .map_err(|error| error.to_string())?;
    let (source, detail_type) = head(text).ok_or_else(|| {
        "a complete event has string \"source\" and \"detail-type\" fields, once each".to_owned()
    })?;
    Ok((text, source, detail_type))
}

/// The `source` and `detail-type` of a validated event, if both are strings.
pub fn head(event: &str) -> Option<(String, String)> {
    let mut reader = serde_json::Deserializer::from_str(event);
    reader.disable_recursion_limit();
    let head = Head::deserialize(&mut reader).ok()?;
    let string = |value: Option<&RawValue>| {
        value.and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
    };
    Some((string(head.source)?, string(head.detail_type)?))
}

/// Admission control: refuses with 429 when too many publishes are in flight, and with 503 when
/// the outbound queues hold too much; either way the publisher is told when to retry.
fn admit(state: &AppState) -> Result<tokio::sync::OwnedSemaphorePermit, Response> {
    let hub = &state.hub;
    if hub.is_shutting_down() {
        return Err(retry_later(
            hub,
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "The bus is shutting down",
        ));
    }
    if hub.saturated() {
        return Err(retry_later(
            hub,
            StatusCode::SERVICE_UNAVAILABLE,
            "saturated",
            "The bus is saturated: outbound queues are full",
        ));
    }
    Arc::clone(&state.publish_slots)
        .try_acquire_owned()
        .map_err(|_| {
            retry_later(
                hub,
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "Too many publish requests in flight",
            )
        })
}

fn retry_later(hub: &Hub, status: StatusCode, reason: &'static str, message: &str) -> Response {
    metrics::count(&hub.metrics.publishes_throttled, reason);
    (
        status,
        [(header::RETRY_AFTER, "1")],
        Json(json!({ "__type": "ThrottlingException", "message": message })),
    )
        .into_response()
}

fn validation_error(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "__type": "ValidationException", "message": message })),
    )
        .into_response()
}

pub fn unauthorized(status: StatusCode) -> Response {
    (
        status,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(json!({ "message": "Missing or wrong Authorization: Bearer <publish key>" })),
    )
        .into_response()
}
