//! `@connections`: API Gateway's connection management API, for backends: send a message to
//! one connection, read its details, close it; and (an extension) list the open connections.

use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::Message;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::close::Close;
use crate::connection::Connection;
use crate::publish::unauthorized;
use crate::server::AppState;

/// `POST /@connections/{id}`: the body goes to the connection as one message.
pub async fn post(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let connection = match authorised_connection(&state, &headers, &id) {
        Ok(connection) => connection,
        Err(response) => return response,
    };
    // The route's body limit is --max-message-bytes: its refusal is this one.
    let body = match body {
        Ok(body) if body.len() <= state.hub.config.max_message_bytes => body,
        Err(rejection) if rejection.status() != StatusCode::PAYLOAD_TOO_LARGE => {
            return rejection.into_response()
        }
        _ => {
            return message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Message is over the limit (--max-message-bytes)",
            )
        }
    };
    let message = match String::from_utf8(body.to_vec()) {
        Ok(text) => Message::Text(text.into()),
        Err(_) => Message::Binary(body),
    };
    match connection.outbox.push(message, None) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(_) => gone(),
    }
}

/// `GET /@connections/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match authorised_connection(&state, &headers, &id) {
        Ok(connection) => Json(json!({
            "ConnectedAt": timestamp(connection.connected_at),
            "Identity": {
                "SourceIp": connection.identity.source_ip,
                "UserAgent": connection.identity.user_agent,
            },
            "LastActiveAt": timestamp(connection.last_active()),
        }))
        .into_response(),
        Err(response) => response,
    }
}

/// `DELETE /@connections/{id}`: 204, and the socket is closed.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match authorised_connection(&state, &headers, &id) {
        Ok(connection) => {
            connection.outbox.close(Close::DELETED);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(response) => response,
    }
}

/// `GET /@connections` (an extension): the open connections with the `Id` each presented.
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

fn authorised_connection(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<std::sync::Arc<Connection>, Response> {
    crate::auth::check_bearer(headers, &state.hub.publish_key).map_err(unauthorized)?;
    state
        .hub
        .connection(id)
        .filter(|connection| connection.outbox.close_request().is_none())
        .ok_or_else(gone)
}

fn gone() -> Response {
    message(
        StatusCode::GONE,
        "GoneException: the connection is not open",
    )
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "message": text }))).into_response()
}

/// RFC 3339 with milliseconds, UTC.
fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}
