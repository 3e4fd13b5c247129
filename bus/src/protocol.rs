//! The messages of the WebSocket protocol: actions read from clients, and the acknowledgements
//! and notifications written to them, with exactly the protocol's field names.

use serde::Deserialize;
use serde_json::value::RawValue;

/// An action as a client sent it. Every field is kept raw so that a field of the wrong type is
/// answered with an `Ack Error` naming it, not a parse failure of the whole message.
#[derive(Deserialize, Default)]
struct RawAction<'a> {
    #[serde(rename = "Action", borrow, default)]
    action: Option<&'a RawValue>,
    #[serde(rename = "RequestId", borrow, default)]
    request_id: Option<&'a RawValue>,
    #[serde(rename = "Rule", borrow, default)]
    rule: Option<&'a RawValue>,
    #[serde(rename = "Pattern", borrow, default)]
    pattern: Option<&'a RawValue>,
    #[serde(rename = "LastSequence", borrow, default)]
    last_sequence: Option<&'a RawValue>,
}

/// A client's action, decoded as far as the protocol needs.
#[derive(Debug, PartialEq)]
pub enum Action {
    Hello,
    Subscribe {
        rule: String,
        pattern: String,
    },
    Unsubscribe {
        rule: String,
    },
    /// An extension: replay what matched since `last_sequence`, then continue live.
    Resume {
        last_sequence: u64,
    },
}

/// Reading one text frame: either an action with its request id, or the reason it is not one
/// (with the request id when one could be read, so the reason can be acknowledged).
#[derive(Debug, PartialEq)]
pub enum Read {
    Action {
        request_id: String,
        action: Action,
    },
    Invalid {
        request_id: Option<String>,
        message: String,
    },
}

/// Decodes one text frame.
pub fn read(text: &str) -> Read {
    let raw: RawAction = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(error) => {
            let message = if text.trim_start().starts_with('{') || error.is_eof() {
                format!("Message is not valid JSON: {error}")
            } else {
                "Message must be a JSON object".to_owned()
            };
            return Read::Invalid {
                request_id: scan_request_id(text),
                message,
            };
        }
    };
    let Some(request_id) = raw.request_id.and_then(string) else {
        return Read::Invalid {
            request_id: None,
            message: "RequestId is missing or not a string".to_owned(),
        };
    };
    match decode(&raw) {
        Ok(action) => Read::Action { request_id, action },
        Err(message) => Read::Invalid {
            request_id: Some(request_id),
            message,
        },
    }
}

fn decode(raw: &RawAction) -> Result<Action, String> {
    let action = raw
        .action
        .and_then(string)
        .ok_or("Action is missing or not a string")?;
    match action.as_str() {
        "Hello" => Ok(Action::Hello),
        "Subscribe" => {
            let rule = rule_name(raw.rule)?;
            let pattern = raw.pattern.ok_or("Pattern is missing")?;
            let pattern = match pattern.get().as_bytes().first() {
                Some(b'"') => string(pattern).ok_or("Pattern is not a valid string")?,
                Some(b'{') => pattern.get().to_owned(),
                _ => return Err("Pattern must be a JSON string or object".to_owned()),
            };
            Ok(Action::Subscribe { rule, pattern })
        }
        "Unsubscribe" => Ok(Action::Unsubscribe {
            rule: rule_name(raw.rule)?,
        }),
        "Resume" => {
            let last_sequence = raw
                .last_sequence
                .and_then(|value| value.get().parse::<u64>().ok())
                .ok_or("LastSequence must be a non-negative integer")?;
            Ok(Action::Resume { last_sequence })
        }
        other => Err(format!("Unknown action: {other}")),
    }
}

fn rule_name(rule: Option<&RawValue>) -> Result<String, String> {
    let rule = rule
        .and_then(string)
        .ok_or("Rule is missing or not a string")?;
    if rule.is_empty() {
        return Err("Rule must not be empty".to_owned());
    }
    Ok(rule)
}

/// The value as a string, if it is a JSON string.
fn string(value: &RawValue) -> Option<String> {
    serde_json::from_str(value.get()).ok()
}

/// A `"RequestId": "..."` pair found in text that is not valid JSON: enough to acknowledge
/// the error to the sender. Escapes inside the id are not decoded; such an id is not used.
pub fn scan_request_id(text: &str) -> Option<String> {
    let after_key = &text[text.find("\"RequestId\"")? + "\"RequestId\"".len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = value.strip_prefix('"')?;
    let id = &value[..value.find('"')?];
    (!id.is_empty() && !id.contains('\\') && !id.chars().any(char::is_control))
        .then(|| id.to_owned())
}

/// Writes `text` as a JSON string into `out`.
pub fn push_json_string(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(out, text).expect("writing to a Vec cannot fail");
}

/// `{"Action":"Ack","RequestId":..,"Status":"Ok"}`.
pub fn ack_ok(request_id: &str) -> String {
    let mut out = Vec::with_capacity(64 + request_id.len());
    out.extend_from_slice(br#"{"Action":"Ack","RequestId":"#);
    push_json_string(&mut out, request_id);
    out.extend_from_slice(br#","Status":"Ok"}"#);
    into_string(out)
}

/// `{"Action":"Ack","RequestId":..,"Status":"Error","Message":..}`.
pub fn ack_error(request_id: &str, message: &str) -> String {
    let mut out = Vec::with_capacity(80 + request_id.len() + message.len());
    out.extend_from_slice(br#"{"Action":"Ack","RequestId":"#);
    push_json_string(&mut out, request_id);
    out.extend_from_slice(br#","Status":"Error","Message":"#);
    push_json_string(&mut out, message);
    out.push(b'}');
    into_string(out)
}

/// `{"Action":"KeepAlive","RequestId":..}`.
pub fn keep_alive() -> String {
    format!(
        r#"{{"Action":"KeepAlive","RequestId":"{}"}}"#,
        uuid::Uuid::new_v4()
    )
}

/// The parts of an `Event` notification that every receiving connection shares: everything
/// but `Rules` and `RequestId`, escaped once per event however many connections receive it.
pub struct EventNotice {
    /// `,"Sequence":..,"Source":..,"Type":..,"Event":..,"RequestId":"`
    shared_tail: Vec<u8>,
}

impl EventNotice {
    /// `event` is the published event's text, sent byte for byte inside a JSON string;
    /// `sequence` its position in the bus's stream (the `Sequence` extension field).
    pub fn new(sequence: u64, source: &str, detail_type: &str, event: &str) -> EventNotice {
        let mut tail = Vec::with_capacity(event.len() + event.len() / 8 + 128);
        tail.extend_from_slice(br#","Sequence":"#);
        tail.extend_from_slice(sequence.to_string().as_bytes());
        tail.extend_from_slice(br#","Source":"#);
        push_json_string(&mut tail, source);
        tail.extend_from_slice(br#","Type":"#);
        push_json_string(&mut tail, detail_type);
        tail.extend_from_slice(br#","Event":"#);
        push_json_string(&mut tail, event);
        tail.extend_from_slice(br#","RequestId":""#);
        EventNotice { shared_tail: tail }
    }

    /// The notification for one connection whose rules `rules` matched.
    pub fn for_rules<'r>(&self, rules: impl IntoIterator<Item = &'r str>) -> String {
        let mut out = Vec::with_capacity(self.shared_tail.len() + 96);
        out.extend_from_slice(br#"{"Action":"Event","Rules":["#);
        for (i, rule) in rules.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_json_string(&mut out, rule);
        }
        out.push(b']');
        out.extend_from_slice(&self.shared_tail);
        let mut id = uuid::Uuid::encode_buffer();
        out.extend_from_slice(
            uuid::Uuid::new_v4()
                .hyphenated()
                .encode_lower(&mut id)
                .as_bytes(),
        );
        out.extend_from_slice(br#""}"#);
        into_string(out)
    }
}

fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("built from JSON text and escaped strings only")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(text: &str) -> (String, Action) {
        match read(text) {
            Read::Action { request_id, action } => (request_id, action),
            other => panic!("{text}: {other:?}"),
        }
    }

    fn invalid(text: &str) -> (Option<String>, String) {
        match read(text) {
            Read::Invalid {
                request_id,
                message,
            } => (request_id, message),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn actions_decode() {
        assert_eq!(
            action(r#"{"Action":"Hello","RequestId":"r1"}"#),
            ("r1".into(), Action::Hello)
        );
        assert_eq!(
            action(r#"{"Action":"Subscribe","RequestId":"r","Rule":"x","Pattern":"{\"a\":[1]}"}"#)
                .1,
            Action::Subscribe {
                rule: "x".into(),
                pattern: r#"{"a":[1]}"#.into()
            }
        );
        // An object pattern is kept as its exact text.
        assert_eq!(
            action(r#"{"Action":"Subscribe","RequestId":"r","Rule":"x","Pattern":{"a": [3.0e2]}}"#)
                .1,
            Action::Subscribe {
                rule: "x".into(),
                pattern: r#"{"a": [3.0e2]}"#.into()
            }
        );
        assert_eq!(
            action(r#"{"Action":"Unsubscribe","RequestId":"r","Rule":"x","Extra":1}"#).1,
            Action::Unsubscribe { rule: "x".into() }
        );
        assert_eq!(
            action(r#"{"Action":"Resume","RequestId":"r","LastSequence":17}"#).1,
            Action::Resume { last_sequence: 17 }
        );
    }

    #[test]
    fn problems_keep_the_request_id() {
        let cases = [
            (
                r#"{"Action":"Nope","RequestId":"r"}"#,
                "Unknown action: Nope",
            ),
            (
                r#"{"Action":5,"RequestId":"r"}"#,
                "Action is missing or not a string",
            ),
            (
                r#"{"Action":"Subscribe","RequestId":"r","Pattern":"{}"}"#,
                "Rule is missing or not a string",
            ),
            (
                r#"{"Action":"Subscribe","RequestId":"r","Rule":"","Pattern":"{}"}"#,
                "Rule must not be empty",
            ),
            (
                r#"{"Action":"Subscribe","RequestId":"r","Rule":"x"}"#,
                "Pattern is missing",
            ),
            (
                r#"{"Action":"Subscribe","RequestId":"r","Rule":"x","Pattern":[1]}"#,
                "Pattern must be a JSON string or object",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(invalid(text), (Some("r".into()), expected.into()), "{text}");
        }
    }

    #[test]
    fn request_ids_are_scanned_from_broken_json() {
        assert_eq!(
            invalid(r#"{"RequestId": "abc", "Action": "#).0,
            Some("abc".into())
        );
        assert_eq!(
            invalid(r#"{"Action": "Hello"}"#),
            (None, "RequestId is missing or not a string".into())
        );
        assert_eq!(invalid("garbage").0, None);
        assert_eq!(invalid(r#"[1, "RequestId": "x"]"#).0, Some("x".into()));
        assert_eq!(scan_request_id(r#""RequestId": "a\"b""#), None);
    }

    #[test]
    fn notifications_are_json() {
        let notice = EventNotice::new(42, "src", "t\"ype", r#"{"a": "é\n"}"#);
        let text = notice.for_rules(["r1", "r\"2"]);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["Action"], "Event");
        assert_eq!(value["Rules"], serde_json::json!(["r1", "r\"2"]));
        assert_eq!(value["Sequence"], 42);
        assert_eq!(value["Source"], "src");
        assert_eq!(value["Type"], "t\"ype");
        assert_eq!(value["Event"], r#"{"a": "é\n"}"#);
        assert!(uuid::Uuid::try_parse(value["RequestId"].as_str().unwrap()).is_ok());
        let ack: serde_json::Value = serde_json::from_str(&ack_error("r", "bad \"x\"")).unwrap();
        assert_eq!(
            ack,
            serde_json::json!({"Action":"Ack","RequestId":"r","Status":"Error","Message":"bad \"x\""})
        );
        let ok: serde_json::Value = serde_json::from_str(&ack_ok("r")).unwrap();
        assert_eq!(
            ok,
            serde_json::json!({"Action":"Ack","RequestId":"r","Status":"Ok"})
        );
    }
}
