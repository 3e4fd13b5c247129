//! `@connections`: API Gateway's connection management API, for backends: send a message to
//! one connection, read its details, close it; and (an extension) list the open connections.
//!
//! A connection id names its node (`<node id>.<local id>`). A call for a connection of another
//! node travels there over NATS request/reply (`cluster`); an unknown or departed node's
//! connection is 410 Gone, like a closed one.

use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::Message;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::close::Close;
use crate::cluster::{Answer, Forwarded};
use crate::hub::Hub;
use crate::publish::unauthorized;
use crate::server::AppState;

/// `POST /@connections/{id}`: the body goes to the connection as one message.
pub async fn post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(status) = crate::auth::check_bearer(&headers, &state.hub.publish_key) {
        return unauthorized(status);
    }
    // The route's body limit is --max-message-bytes: its refusal is this one.
    let body = match body {
        Ok(body) if body.len() <= state.hub.config.max_message_bytes => body,
        Err(rejection) if rejection.status() != StatusCode::PAYLOAD_TOO_LARGE => {
            return rejection.into_response()
        }
        _ => return respond(too_large()),
    };
    route(&state, &headers, "POST", id, Some(body)).await
}

/// `GET /@connections/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    route(&state, &headers, "GET", id, None).await
}

/// `DELETE /@connections/{id}`: 204, and the socket is closed.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    route(&state, &headers, "DELETE", id, None).await
}

/// `GET /@connections` (an extension): this node's open connections with the `Id` each
/// presented.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(status) = crate::auth::check_bearer(&headers, &state.hub.publish_key) {
        return unauthorized(status);
    }
    let connections: Vec<_> = state
        .hub
        .connections()
        .iter()
        .filter(|connection| connection.outbox.close_request().is_none())
        .map(|connection| {
            json!({
                "ConnectionId": connection.id,
                "Id": connection.client_id,
                "ConnectedAt": timestamp(connection.connected_at),
            })
        })
        .collect();
    Json(json!({ "Connections": connections })).into_response()
}

/// Answers a call here, or on the node the id names.
async fn route(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    id: String,
    body: Option<Bytes>,
) -> Response {
    let hub = &state.hub;
    if let Err(status) = crate::auth::check_bearer(headers, &hub.publish_key) {
        return unauthorized(status);
    }
    if body
        .as_ref()
        .is_some_and(|b| b.len() > hub.config.max_message_bytes)
    {
        return respond(answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Message is over the limit (--max-message-bytes)",
        ));
    }
    let node = crate::connection::node_of(&id)
        .unwrap_or_default()
        .to_owned();
    if node == hub.config.node_id {
        return respond(local(hub, method, &id, body));
    }
    let Some(cluster) = &hub.cluster else {
        return respond(gone());
    };
    let call = Forwarded {
        method: method.to_owned(),
        id,
        body: body.map(|b| STANDARD.encode(b)),
    };
    match cluster.forward(&node, &call).await {
        Some(answer) => respond(answer),
        None => respond(gone()),
    }
}

/// Answers a call forwarded from another node.
pub fn forwarded(hub: &Hub, call: Forwarded) -> Answer {
    let body = match call.body.map(|b| STANDARD.decode(b)) {
        None => None,
        Some(Ok(bytes)) => Some(Bytes::from(bytes)),
        Some(Err(_)) => return answer(StatusCode::BAD_REQUEST, "body is not base64"),
    };
    local(hub, &call.method, &call.id, body)
}

/// Answers a call for a connection of this node.
fn local(hub: &Hub, method: &str, id: &str, body: Option<Bytes>) -> Answer {
    let Some(connection) = hub
        .connection(id)
        .filter(|connection| connection.outbox.close_request().is_none())
    else {
        return gone();
    };
    match (method, body) {
        ("POST", Some(body)) => {
            let message = match String::from_utf8(body.to_vec()) {
                Ok(text) => Message::Text(text.into()),
                Err(_) => Message::Binary(body),
            };
            match connection.outbox.push(message, None) {
                Ok(()) => Answer {
                    status: 200,
                    body: None,
                },
                Err(_) => gone(),
            }
        }
        ("GET", _) => Answer {
            status: 200,
            body: Some(json!({
                "ConnectedAt": timestamp(connection.connected_at),
                "Identity": {
                    "SourceIp": connection.identity.source_ip,
                    "UserAgent": connection.identity.user_agent,
                },
                "LastActiveAt": timestamp(connection.last_active()),
            })),
        },
        ("DELETE", _) => {
            connection.outbox.close(Close::DELETED);
            Answer {
                status: 204,
                body: None,
            }
        }
        _ => answer(StatusCode::BAD_REQUEST, "unknown method"),
    }
}

fn too_large() -> Answer {
    answer(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Message is over the limit (--max-message-bytes)",
    )
}

fn gone() -> Answer {
    answer(
        StatusCode::GONE,
        "GoneException: the connection is not open",
    )
}

fn answer(status: StatusCode, text: &str) -> Answer {
    Answer {
        status: status.as_u16(),
        body: Some(json!({ "message": text })),
    }
}

fn respond(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    match answer.body {
        Some(Value::Null) | None => status.into_response(),
        Some(body) => (status, Json(body)).into_response(),
    }
}

/// RFC 3339 with milliseconds, UTC.
fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}
