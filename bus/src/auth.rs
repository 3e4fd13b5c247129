//! Who may connect and who may publish: the WebSocket `header` query parameter and the
//! publishers' bearer key, both checked before any work is done for the request.

use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::config::Config;

/// Standard and URL-safe alphabets, padding optional: clients encode the header either way.
const STANDARD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The API key clients must present: base64 of `<app version id>:<deployment id>`, or of the
/// deployment id alone in dev mode.
pub fn api_key(config: &Config) -> String {
    let plain = if config.dev_mode {
        config.deployment_id.clone()
    } else {
        format!("{}:{}", config.app_version_id, config.deployment_id)
    };
    base64::engine::general_purpose::STANDARD.encode(plain)
}

/// The decoded `header` query parameter.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
struct Header {
    host: String,
    api_key: String,
    id: String,
}

/// Why an upgrade was refused, with the HTTP status it gets.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub reason: &'static str,
}

impl Refusal {
    /// The label of the `upgrades_refused_total` metric.
    pub fn reason_label(&self) -> &'static str {
        match self.status {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::BAD_REQUEST => "bad_header",
            _ => "forbidden",
        }
    }
}

fn refuse(status: StatusCode, reason: &'static str) -> Refusal {
    Refusal { status, reason }
}

/// Checks the `header` query parameter of a WebSocket upgrade; returns the client's `Id`.
///
/// `request_host` is the request's `Host` header. Missing: 401; not base64 or JSON: 400; wrong
/// Host or ApiKey, or an `Id` that is not a GUID: 403.
pub fn check_header(
    config: &Config,
    expected_key: &str,
    header: Option<&str>,
    request_host: Option<&str>,
) -> Result<String, Refusal> {
    let header = header.ok_or(refuse(
        StatusCode::UNAUTHORIZED,
        "the header query parameter is missing",
    ))?;
    let json = STANDARD
        .decode(header)
        .or_else(|_| URL_SAFE.decode(header))
        .map_err(|_| refuse(StatusCode::BAD_REQUEST, "the header is not base64"))?;
    let not_an_object = || {
        refuse(
            StatusCode::BAD_REQUEST,
            "the header is not a JSON object with string Host, ApiKey and Id",
        )
    };
    // serde fills a struct from an array too: `["host", "key", "id"]` is not a header.
    if json.trim_ascii_start().first() != Some(&b'{') {
        return Err(not_an_object());
    }
    let header: Header = serde_json::from_slice(&json).map_err(|_| not_an_object())?;
    if !keys_equal(&header.api_key, expected_key) {
        return Err(refuse(StatusCode::FORBIDDEN, "wrong ApiKey"));
    }
    if !config.dev_mode {
        let expected_host = match &config.public_host {
            Some(host) => Some(host.as_str()),
            None => request_host.map(host_without_port),
        };
        if expected_host.is_none_or(|host| !host.eq_ignore_ascii_case(&header.host)) {
            return Err(refuse(StatusCode::FORBIDDEN, "wrong Host"));
        }
    }
    if uuid::Uuid::try_parse(&header.id).is_err() {
        return Err(refuse(StatusCode::FORBIDDEN, "Id is not a GUID"));
    }
    Ok(header.id)
}

/// `example.com:443` → `example.com`, `[::1]:80` → `[::1]`; a bare IPv6 literal has no port.
fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

/// Checks `Authorization: Bearer <publish key>`.
pub fn check_bearer(headers: &HeaderMap, publish_key: &str) -> Result<(), StatusCode> {
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    if keys_equal(presented.trim(), publish_key) {
        Ok(())
    } else {
        Err(StatusCode::UNAUTHORIZED)
    }
}

/// Equal in time that depends only on the lengths, so a guess learns nothing from timing.
fn keys_equal(presented: &str, expected: &str) -> bool {
    presented.as_bytes().ct_eq(expected.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ports_are_dropped() {
        assert_eq!(host_without_port("example.com:8080"), "example.com");
        assert_eq!(host_without_port("example.com"), "example.com");
        assert_eq!(host_without_port("[::1]:8080"), "[::1]");
        assert_eq!(host_without_port("::1"), "::1");
    }

    #[test]
    fn the_seed_header_decodes() {
        // The sample from the protocol document, with its line breaks and trailing newline.
        let header = "ewogICAgIkhvc3QiOiAiYWNtZS5leGVjdXRlLWFwaS51cy13ZXN0LTIuYW1hem9uYXdzLmNvbSIsCiAgICAiQXBpS2V5IjogIlpXVTRPVGMwTWpBdE9EZ3pOaTB4TVdWaUxXRm1NbU10TURJeFpUUTVOamM1WVRCaSIsCiAgICAiSWQiOiAiNGExMTQ1NjAtZmE1Yi00Zjk0LWE0NjItNjlmYmFmNDMyYjg2Igp9Cg==";
        let config = crate::Config {
            dev_mode: true,
            deployment_id: "ee897420-8836-11eb-af2c-021e49679a0b".into(),
            ..crate::Config::default()
        };
        let key = api_key(&config);
        assert_eq!(key, "ZWU4OTc0MjAtODgzNi0xMWViLWFmMmMtMDIxZTQ5Njc5YTBi");
        let id = check_header(&config, &key, Some(header), None).unwrap();
        assert_eq!(id, "4a114560-fa5b-4f94-a462-69fbaf432b86");
    }
}
