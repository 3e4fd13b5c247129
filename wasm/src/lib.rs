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

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
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

    /// An event: JSON text as a string or as UTF-8 bytes, or a value to `JSON.stringify`.
    #[wasm_bindgen(typescript_type = "string | Uint8Array | object")]
    pub type EventInput;

    /// `new Matcher(options)`'s options.
    #[wasm_bindgen(typescript_type = "MatcherOptions")]
    pub type MatcherOptions;
    #[wasm_bindgen(method, getter, structural)]
    fn validation(this: &MatcherOptions) -> JsValue;

    /// What `validate` returns: `null`, or why the pattern is refused.
    #[wasm_bindgen(typescript_type = "string | null")]
    pub type Reason;
}

#[wasm_bindgen(typescript_custom_section)]
const MATCHER_OPTIONS: &str = r#"
/** Options of `new Matcher(options)`. */
export interface MatcherOptions {
  /**
   * How much of each event is checked. `"full"` (the default): every byte, as `JSON.parse`
   * would, so malformed events are refused. `"structural"`: only what the rules read; the rest
   * is delimited, reading stops once nothing needed can follow, and repeated keys are assumed
   * absent. Faster, for events from a source you trust to send well-formed JSON.
   */
  validation?: "full" | "structural";
}
"#;

#[wasm_bindgen(module = "/src/event_input.js")]
extern "C" {
    fn write_event(input: &JsValue, memory: &JsValue, ptr: u32, capacity: u32) -> f64;
    fn is_bytes(input: &JsValue) -> bool;
    fn utf8_length(text: &JsValue) -> f64;
}

thread_local! {
    /// The module's `WebAssembly.Memory`, fetched once.
    static MEMORY: JsValue = wasm_bindgen::memory();
}

/// Events above this size get a buffer of their own, so one huge event does not pin its memory.
const KEPT_EVENT_BUFFER: usize = 1 << 20;

/// Copies a string event (as UTF-8) or a byte event (as it is) into `buffer`, growing it as
/// needed, and returns its length. Refuses events over the engine's size limit before copying
/// them.
fn copy_event(input: &JsValue, buffer: &mut Vec<u8>) -> Result<usize, Refusal> {
    let max = evmatch::limits::MAX_EVENT_BYTES;
    loop {
        let capacity = u32::try_from(buffer.len()).unwrap_or(u32::MAX);
        let written =
            MEMORY.with(|memory| write_event(input, memory, buffer.as_mut_ptr() as u32, capacity));
        if written >= 0.0 {
            return Ok(written as usize);
        }
        let needed = -written as usize;
        // A string needs at most 3 bytes per UTF-16 unit and at least 1.
        let (at_least, at_most) = if input.is_string() {
            (needed / 3, needed)
        } else {
            (needed, needed)
        };
        if at_least > max {
            let len = if input.is_string() {
                utf8_length(input) as usize
            } else {
                needed
            };
            return Err(evmatch::EventError::TooLarge { len, max }.into());
        }
        buffer.resize(at_most, 0);
    }
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
    json_stringify(input)?
        .as_string()
        .ok_or_else(|| not_serialisable(what))
}

fn not_serialisable(what: &str) -> JsValue {
    TypeErrorObject::new(&format!(
        "{what} must be JSON text or a value JSON.stringify can serialise"
    ))
    .into()
}

// The engine calls, free of JS types so that they are unit-tested natively.

fn add_text(matcher: &mut evmatch::Matcher, name: &str, pattern: &str) -> Result<(), Refusal> {
    Ok(matcher.add_rule(name, pattern)?)
}

fn match_text<'m>(
    matcher: &'m evmatch::Matcher,
    event: &[u8],
    scratch: &mut evmatch::Scratch,
) -> Result<Vec<&'m str>, Refusal> {
    let mut names = Vec::new();
    matcher.matches_with(event, scratch, &mut names)?;
    Ok(names)
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
    /// Each rule name as a JS string, made once when the name is added: answers hand out these
    /// instead of decoding UTF-8 for every match.
    /// (Names are not attacker-chosen here, so aHash's fixed default keys on wasm are fine.)
    js_names: HashMap<Box<str>, JsValue, BuildHasherDefault<ahash::AHasher>>,
    /// Where events are copied for the engine; kept between calls.
    event_buffer: RefCell<Vec<u8>>,
    scratch: RefCell<evmatch::Scratch>,
}

#[wasm_bindgen]
impl Matcher {
    /// An empty rule set.
    ///
    /// @throws {TypeError} when `options.validation` is neither "full" nor "structural".
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<MatcherOptions>) -> Result<Matcher, JsValue> {
        install_panic_hook();
        let validation = match options.map(|o| o.validation()) {
            None => evmatch::Validation::Full,
            Some(v) if v.is_undefined() => evmatch::Validation::Full,
            Some(v) => match v.as_string().as_deref() {
                Some("full") => evmatch::Validation::Full,
                Some("structural") => evmatch::Validation::Structural,
                _ => {
                    return Err(TypeErrorObject::new(
                        "options.validation must be \"full\" or \"structural\"",
                    )
                    .into())
                }
            },
        };
        Ok(Matcher {
            inner: evmatch::Matcher::builder().validation(validation).build(),
            ..Matcher::default()
        })
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
        add_text(&mut self.inner, name, &text)?;
        if !self.js_names.contains_key(name) {
            self.js_names.insert(name.into(), JsValue::from_str(name));
        }
        Ok(())
    }

    /// Removes every pattern under `name`; returns whether there was one.
    #[wasm_bindgen(js_name = deleteRule)]
    pub fn delete_rule(&mut self, name: &str) -> bool {
        self.js_names.remove(name);
        self.inner.delete_rule(name)
    }

    /// The names of the rules `event` matches, each once, in the order the names were first
    /// added. `event` is JSON text (a string, or its UTF-8 bytes as a `Uint8Array`, the fastest
    /// forms), or an object to serialise.
    ///
    /// @throws {Error} `name` "EventError" when the event is not a JSON object (malformed, not
    /// UTF-8, another JSON type, too deep or too large); a `TypeError` when `event` cannot be
    /// serialised.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn matches(&self, event: &EventInput) -> Result<Vec<JsValue>, JsValue> {
        let serialised;
        let input: &JsValue = if event.is_string() || is_bytes(event) {
            event
        } else {
            serialised = json_stringify(event)?;
            if !serialised.is_string() {
                return Err(not_serialisable("event"));
            }
            &serialised
        };
        let mut buffer = self.event_buffer.borrow_mut();
        let len = copy_event(input, &mut buffer)?;
        let names = match_text(&self.inner, &buffer[..len], &mut self.scratch.borrow_mut());
        if buffer.len() > KEPT_EVENT_BUFFER {
            *buffer = Vec::new();
        }
        Ok(names?
            .into_iter()
            .map(|name| self.js_names[name].clone())
            .collect())
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
        let mut scratch = evmatch::Scratch::default();
        add_text(&mut matcher, "é", r#"{"a": ["x"]}"#).unwrap();
        add_text(&mut matcher, "b", r#"{"b": [{"exists": true}]}"#).unwrap();
        assert_eq!(
            match_text(&matcher, br#"{"a": "x", "b": 1}"#, &mut scratch).unwrap(),
            ["é", "b"]
        );
        assert_eq!(
            match_text(&matcher, br#"{"a": "y"}"#, &mut scratch).unwrap(),
            [] as [&str; 0]
        );
        assert_eq!(
            match_text(&matcher, b"[]", &mut scratch).unwrap_err().name,
            "EventError"
        );
        assert_eq!(
            match_text(&matcher, b"{", &mut scratch).unwrap_err().name,
            "EventError"
        );
    }
}
