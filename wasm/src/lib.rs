//! WebAssembly bindings of [`evmatch`] for JavaScript (browsers, bundlers and Node.js), built
//! with wasm-bindgen by `scripts/build-wasm.sh` into the npm package `wasm/pkg/` (see
//! `wasm/README.md`).
//!
//! ```js
//! const matcher = new Matcher();
//! matcher.addRule("stopped-ec2", {source: ["aws.ec2"], detail: {state: [{"anything-but": "running"}]}});
//! matcher.matches('{"source": "aws.ec2", "detail": {"state": "stopped"}}'); // ["stopped-ec2"]
//! Matcher.validate({source: "aws.ec2"}); // '"source" must be an object or an array'
//! ```
//!
//! This crate is only the boundary: every answer comes from the `evmatch` engine. A pattern or
//! event given as a JS string is JSON text and reaches the engine as its UTF-8 bytes, untouched
//! (duplicate keys, number spellings and `1e400` keep their meaning); any other value is first
//! serialised with the host's `JSON.stringify`.
//!
//! Refusals are thrown as JS `Error`s whose `name` says what failed (see [`Refusal`]) and whose
//! `message` is, for a pattern EventBridge refuses, exactly AWS's reason. Nothing panics across
//! the boundary; should a bug panic anyway, the panic hook reports it
//! through `console.error` before the module traps.

use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);

    /// `JSON.stringify(value)`: a string, or `undefined` for values JSON cannot hold; throws for
    /// cycles and BigInts.
    #[wasm_bindgen(js_namespace = JSON, js_name = stringify, catch)]
    fn json_stringify(value: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = Error)]
    type ErrorObject;
    #[wasm_bindgen(constructor, js_class = "Error")]
    fn new(message: &str) -> ErrorObject;
    #[wasm_bindgen(method, setter = name, js_class = "Error")]
    fn set_name(this: &ErrorObject, name: &str);

    #[wasm_bindgen(js_name = TypeError)]
    type TypeErrorObject;
    #[wasm_bindgen(constructor, js_class = "TypeError")]
    fn new(message: &str) -> TypeErrorObject;

    /// A pattern or an event: JSON text, or a value to `JSON.stringify`.
    #[wasm_bindgen(typescript_type = "string | object")]
    pub type JsonInput;

    /// What `validate` returns: `null`, or why the pattern is refused.
    #[wasm_bindgen(typescript_type = "string | null")]
    pub type Reason;
}

/// Installs the panic hook, once, from every entry point that can reach the engine: a panic (a
/// bug) is reported on `console.error` before the module traps, instead of surfacing only as
/// `RuntimeError: unreachable`.
fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if cfg!(target_arch = "wasm32") && !INSTALLED.swap(true, Ordering::Relaxed) {
        std::panic::set_hook(Box::new(|info| {
            console_error(&format!("evmatch: panic (a bug, please report it): {info}"));
        }));
    }
}

/// Why a call was refused; becomes a JS `Error` with this `name` and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    /// `PatternError` (EventBridge refuses the pattern; the message is AWS's reason),
    /// `PatternSyntaxError` (the pattern is not JSON) or `EventError` (the event cannot be read).
    name: &'static str,
    message: String,
}

impl From<evmatch::PatternError> for Refusal {
    fn from(error: evmatch::PatternError) -> Self {
        let name = match error {
            evmatch::PatternError::Syntax(_) => "PatternSyntaxError",
            _ => "PatternError",
        };
        Refusal {
            name,
            message: error.to_string(),
        }
    }
}

impl From<evmatch::EventError> for Refusal {
    fn from(error: evmatch::EventError) -> Self {
        Refusal {
            name: "EventError",
            message: error.to_string(),
        }
    }
}

impl From<Refusal> for JsValue {
    fn from(refusal: Refusal) -> Self {
        let error = ErrorObject::new(&refusal.message);
        error.set_name(refusal.name);
        error.into()
    }
}

/// The JSON text of a pattern or event: a string as it is, anything else through
/// `JSON.stringify` (whose own exceptions propagate).
fn json_text(input: &JsValue, what: &str) -> Result<String, JsValue> {
    if let Some(text) = input.as_string() {
        return Ok(text);
    }
    json_stringify(input)?.as_string().ok_or_else(|| {
        TypeErrorObject::new(&format!(
            "{what} must be a JSON string or a value JSON.stringify can serialise"
        ))
        .into()
    })
}

// The engine calls, free of JS types so that they are unit-tested natively.

fn add_text(matcher: &mut evmatch::Matcher, name: &str, pattern: &str) -> Result<(), Refusal> {
    Ok(matcher.add_rule(name, pattern)?)
}

fn match_text(matcher: &evmatch::Matcher, event: &str) -> Result<Vec<String>, Refusal> {
    let names = matcher.matches(event.as_bytes())?;
    Ok(names.into_iter().map(str::to_owned).collect())
}

fn validate_text(pattern: &str) -> Option<String> {
    evmatch::Pattern::parse(pattern)
        .err()
        .map(|error| error.to_string())
}

/// Named EventBridge rules, matched together against each event.
///
/// A name may carry several patterns: it matches when any of them does.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Matcher {
    inner: evmatch::Matcher,
}

#[wasm_bindgen]
impl Matcher {
    /// An empty rule set.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Matcher {
        install_panic_hook();
        Matcher::default()
    }

    /// Adds `pattern` (JSON text, or an object to serialise) under `name`; a name may carry
    /// several patterns.
    ///
    /// @throws {Error} `name` "PatternError" with AWS's reason as the message when EventBridge
    /// refuses the pattern, "PatternSyntaxError" when it is not JSON; a `TypeError` when
    /// `pattern` cannot be serialised.
    #[wasm_bindgen(js_name = addRule)]
    pub fn add_rule(&mut self, name: &str, pattern: &JsonInput) -> Result<(), JsValue> {
        let text = json_text(pattern, "pattern")?;
        Ok(add_text(&mut self.inner, name, &text)?)
    }

    /// Removes every pattern under `name`; returns whether there was one.
    #[wasm_bindgen(js_name = deleteRule)]
    pub fn delete_rule(&mut self, name: &str) -> bool {
        self.inner.delete_rule(name)
    }

    /// The names of the rules `event` (JSON text, or an object to serialise) matches, each once,
    /// in the order the names were first added.
    ///
    /// @throws {Error} `name` "EventError" when the event is not a JSON object (malformed,
    /// another JSON type, too deep or too large); a `TypeError` when `event` cannot be
    /// serialised.
    pub fn matches(&self, event: &JsonInput) -> Result<Vec<String>, JsValue> {
        let text = json_text(event, "event")?;
        Ok(match_text(&self.inner, &text)?)
    }

    /// The number of rule names.
    #[allow(clippy::len_without_is_empty)]
    #[wasm_bindgen(getter)]
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// `null` if EventBridge accepts `pattern` (JSON text, or an object to serialise),
    /// otherwise why not: AWS's reason string (for text that is not JSON, a parser message).
    ///
    /// @throws {TypeError} when `pattern` cannot be serialised.
    pub fn validate(pattern: &JsonInput) -> Result<Reason, JsValue> {
        install_panic_hook();
        let reason = match validate_text(&json_text(pattern, "pattern")?) {
            Some(reason) => JsValue::from(reason),
            None => JsValue::NULL,
        };
        Ok(reason.unchecked_into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_refusals_carry_aws_reasons() {
        let mut matcher = evmatch::Matcher::new();
        let refusal = add_text(&mut matcher, "r", r#"{"source": "aws.ec2"}"#).unwrap_err();
        assert_eq!(
            refusal,
            Refusal {
                name: "PatternError",
                message: r#""source" must be an object or an array"#.to_owned(),
            }
        );
        let refusal = add_text(&mut matcher, "r", r#"{"source": ["#).unwrap_err();
        assert_eq!(refusal.name, "PatternSyntaxError");
        assert_eq!(matcher.len(), 0);
        assert_eq!(
            validate_text(r#"{"a": [{"numeric": [">", 5, "<", 1]}]}"#).as_deref(),
            Some("Bottom must be less than top")
        );
        assert_eq!(validate_text(r#"{"a": [1]}"#), None);
    }

    #[test]
    fn events_match_or_are_refused() {
        let mut matcher = evmatch::Matcher::new();
        add_text(&mut matcher, "é", r#"{"a": ["x"]}"#).unwrap();
        add_text(&mut matcher, "b", r#"{"b": [{"exists": true}]}"#).unwrap();
        assert_eq!(
            match_text(&matcher, r#"{"a": "x", "b": 1}"#).unwrap(),
            ["é", "b"]
        );
        assert_eq!(
            match_text(&matcher, r#"{"a": "y"}"#).unwrap(),
            [] as [&str; 0]
        );
        assert_eq!(match_text(&matcher, "[]").unwrap_err().name, "EventError");
        assert_eq!(match_text(&matcher, "{").unwrap_err().name, "EventError");
    }
}
