//! Python bindings of [`evmatch`]: the extension module `evmatch._evmatch` of the `evmatch`
//! wheel, built by maturin (`scripts/test-python.sh`; see `python/README.md`).
//!
//! ```python
//! import evmatch
//! m = evmatch.Matcher()
//! m.add_rule("stopped-ec2", {"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "running"}]}})
//! m.matches('{"source": "aws.ec2", "detail": {"state": "stopped"}}')  # ["stopped-ec2"]
//! evmatch.validate({"source": "aws.ec2"})  # '"source" must be an object or an array'
//! ```
//!
//! This crate is only the boundary: every answer comes from the `evmatch` engine. Patterns and
//! events given as `str` or `bytes` are JSON text and reach the engine byte for byte; other values
//! are written as JSON by [`convert`]. Refusals are typed Python exceptions (both `ValueError`s):
//! `InvalidEventPatternError`, whose message is AWS's `Event pattern is not valid. Reason: ...`,
//! and `InvalidEventError`. Nothing here panics on any input.
//!
//! # Threads
//!
//! A `Matcher` wraps an [`evmatch::SharedMatcher`]: matching threads never wait, neither for one
//! another nor for rule changes, and each match sees one whole rule set. Matching a batch
//! (`matches_many`, and `matches` on a large event) releases the GIL. Every rule change runs
//! detached from the interpreter too: a change waits for matches still running on the old copy
//! of the rules, and such a match may need the GIL again to build its result. The module
//! declares that it does not need the GIL (free-threaded builds): all its state is `Sync`.

mod convert;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use convert::{json_text, Unwritable};
use evmatch::limits::{MAX_EVENT_BYTES, MAX_PATTERN_BYTES};

create_exception!(
    evmatch,
    InvalidEventPatternError,
    PyValueError,
    "EventBridge refuses the pattern. The message is AWS's `Event pattern is not valid. Reason: \
     <reason>`; `reason` holds the reason alone."
);
create_exception!(
    evmatch,
    InvalidEventError,
    PyValueError,
    "The event cannot be read: not a JSON object (malformed, not UTF-8, another JSON type), too \
     deep or too large, or a value JSON cannot hold. `index` is the event's position in a \
     `matches_many` batch, else None."
);

/// Events at least this long are matched with the GIL released by `matches` too: below it,
/// releasing and taking back the GIL would cost more than it frees.
const DETACH_EVENT_BYTES: usize = 64 * 1024;

fn pattern_error(py: Python<'_>, reason: String) -> PyErr {
    let error =
        InvalidEventPatternError::new_err(format!("Event pattern is not valid. Reason: {reason}"));
    // Setting an attribute on a fresh exception object cannot fail short of memory exhaustion,
    // in which case the exception still carries its message.
    let _ = error.value(py).setattr("reason", reason);
    error
}

fn event_error(py: Python<'_>, message: String, index: Option<usize>) -> PyErr {
    let error = InvalidEventError::new_err(match index {
        Some(i) => format!("events[{i}]: {message}"),
        None => message,
    });
    let _ = error.value(py).setattr("index", index);
    error
}

/// A pattern's text (see [`convert`]), or why it cannot be one: AWS's reason wording for what
/// the engine would say, json's for values JSON cannot hold.
fn pattern_text<'a>(pattern: &'a Bound<'_, PyAny>) -> Result<Cow<'a, str>, String> {
    let text = json_text(pattern, MAX_PATTERN_BYTES).map_err(|e| e.pattern_reason())?;
    match text {
        Cow::Borrowed(bytes) => std::str::from_utf8(bytes).map(Cow::Borrowed),
        Cow::Owned(bytes) => String::from_utf8(bytes)
            .map(Cow::Owned)
            .map_err(|e| e.utf8_error()),
    }
    .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))
}

fn parse_pattern(pattern: &Bound<'_, PyAny>) -> PyResult<evmatch::Pattern> {
    let py = pattern.py();
    let text = pattern_text(pattern).map_err(|reason| pattern_error(py, reason))?;
    // Parsing is bounded (64 KiB of text), so it runs attached.
    evmatch::Pattern::parse(&text).map_err(|e| pattern_error(py, e.to_string()))
}

fn event_text<'a>(event: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    json_text(event, MAX_EVENT_BYTES)
        .map_err(|e: Unwritable| event_error(event.py(), e.event_message(), None))
}

/// The names matched by a batch, owned: every name's text back to back.
struct Matched {
    text: String,
    /// Where each name ends in `text`, after a leading 0.
    ends: Vec<usize>,
    /// How many names each event matched.
    counts: Vec<usize>,
}

impl Default for Matched {
    fn default() -> Self {
        Matched {
            text: String::new(),
            ends: vec![0],
            counts: Vec::new(),
        }
    }
}

impl Matched {
    fn push(&mut self, names: &[&str]) {
        for name in names {
            self.text.push_str(name);
            self.ends.push(self.text.len());
        }
        self.counts.push(names.len());
    }
}

thread_local! {
    /// Working memory of `matches_many`, one per thread, kept between calls.
    static SCRATCH: RefCell<evmatch::Scratch> = RefCell::new(evmatch::Scratch::new());
}

/// Named EventBridge rules, matched together against each event. Safe to share between
/// threads: matching never waits, and rule changes are atomic.
#[pyclass(frozen, module = "evmatch", name = "Matcher")]
struct Matcher {
    rules: evmatch::SharedMatcher,
}

#[pymethods]
impl Matcher {
    /// An empty rule set. `validation` is `"full"` (every byte of every event is checked) or
    /// `"structural"` (only what the rules read; faster, for well-formed events).
    #[new]
    #[pyo3(signature = (*, validation = None), text_signature = "(*, validation='full')")]
    fn new(validation: Option<&Bound<'_, PyString>>) -> PyResult<Self> {
        let validation = match validation.map(convert::utf8).transpose()? {
            None | Some(b"full") => evmatch::Validation::Full,
            Some(b"structural") => evmatch::Validation::Structural,
            _ => {
                return Err(PyValueError::new_err(
                    "validation must be \"full\" or \"structural\"",
                ))
            }
        };
        let matcher = evmatch::Matcher::builder().validation(validation).build();
        Ok(Matcher {
            rules: evmatch::SharedMatcher::from_matcher(matcher),
        })
    }

    /// `"full"` or `"structural"`.
    #[getter]
    fn validation(&self) -> &'static str {
        match self.rules.snapshot().validation() {
            evmatch::Validation::Full => "full",
            evmatch::Validation::Structural => "structural",
        }
    }

    /// Adds `pattern` under `name`; a name may carry several patterns and matches when any of
    /// them does.
    fn add_rule(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyString>,
        pattern: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let name = convert::utf8(name)?;
        let name = std::str::from_utf8(name).expect("a str's UTF-8 form is UTF-8");
        let pattern = parse_pattern(pattern)?;
        py.detach(|| self.rules.add_pattern(name, &pattern));
        Ok(())
    }

    /// Removes every pattern under `name`; returns whether there was one.
    fn delete_rule(&self, py: Python<'_>, name: &Bound<'_, PyString>) -> PyResult<bool> {
        let name = convert::utf8(name)?;
        let name = std::str::from_utf8(name).expect("a str's UTF-8 form is UTF-8");
        Ok(py.detach(|| self.rules.delete_rule(name)))
    }

    /// The names of the rules `event` matches, each once, in the order the names were first
    /// added.
    fn matches<'py>(&self, event: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let py = event.py();
        let text = event_text(event)?;
        if text.len() < DETACH_EVENT_BYTES {
            let rules = self.rules.snapshot();
            let names = rules
                .matches(&text)
                .map_err(|e| event_error(py, e.to_string(), None))?;
            return PyList::new(py, names);
        }
        // A large event: matched detached, its names copied out before the GIL is taken back
        // (see `matches_many`).
        let rules = evmatch::Snapshot::into_inner(self.rules.snapshot());
        let names = py
            .detach(move || {
                let names = rules.matches(&text)?;
                Ok(names.into_iter().map(str::to_owned).collect::<Vec<_>>())
            })
            .map_err(|e: evmatch::EventError| event_error(py, e.to_string(), None))?;
        PyList::new(py, names)
    }

    /// `[matcher.matches(e) for e in events]` in one call: the events are converted first, then
    /// matched with the GIL released. Raises for the first event that cannot be read.
    fn matches_many<'py>(&self, events: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let py = events.py();
        if convert::is_text(events) || events.is_instance_of::<PyDict>() {
            return Err(PyTypeError::new_err(
                "matches_many takes an iterable of events; use matches for one event",
            ));
        }
        let items = events.try_iter()?.collect::<PyResult<Vec<_>>>()?;

        // Text is borrowed from the objects (kept alive by `items`); other values are written
        // one after another into `written`.
        let mut written = Vec::new();
        let mut slots = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let start = written.len();
            let slot = match convert::borrow_or_write(item, &mut written, MAX_EVENT_BYTES) {
                Ok(Some(bytes)) => Ok(bytes),
                Ok(None) => Err(start..written.len()),
                Err(e) => return Err(event_error(py, e.event_message(), Some(i))),
            };
            slots.push(slot);
        }
        let texts: Vec<&[u8]> = slots
            .iter()
            .map(|slot| match slot {
                Ok(bytes) => *bytes,
                Err(range) => &written[range.clone()],
            })
            .collect();

        let rules = evmatch::Snapshot::into_inner(self.rules.snapshot());
        let outcome = py.detach(move || {
            let mut matched = Matched::default();
            let mut first_error = None;
            SCRATCH.with(|scratch| {
                let mut fresh = None;
                let mut borrowed = scratch.try_borrow_mut();
                let scratch = match &mut borrowed {
                    Ok(scratch) => &mut **scratch,
                    Err(_) => fresh.insert(evmatch::Scratch::new()),
                };
                let mut names = Vec::new();
                rules.matches_batch(&texts, scratch, &mut names, |i, result| match result {
                    Ok(names) => matched.push(names),
                    Err(error) => {
                        first_error.get_or_insert((i, error));
                        matched.push(&[]);
                    }
                });
            });
            // The names are copied out and the rules let go before the GIL is taken back, so a
            // rule change (which waits for matches on the old rules) never waits for the GIL.
            drop(rules);
            match first_error {
                Some(error) => Err(error),
                None => Ok(matched),
            }
        });
        let matched = outcome.map_err(|(i, error)| event_error(py, error.to_string(), Some(i)))?;
        let mut names = matched.ends.windows(2).map(|w| &matched.text[w[0]..w[1]]);
        let lists = matched
            .counts
            .iter()
            .map(|&count| PyList::new(py, names.by_ref().take(count)))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, lists)
    }

    /// The number of rule names.
    fn __len__(&self) -> usize {
        self.rules.snapshot().len()
    }

    fn __repr__(&self) -> String {
        let rules = self.rules.snapshot();
        let count = rules.len();
        let plural = if count == 1 { "" } else { "s" };
        format!("<evmatch.Matcher: {count} rule{plural}>")
    }
}

/// Does `event_pattern` match `event`? Shaped like boto3's `events.test_event_pattern`: the
/// pattern is checked first (`InvalidEventPatternError` with AWS's message), then the event must
/// be a JSON object with AWS's envelope fields `id`, `account`, `source`, `time`, `region` and
/// `detail-type` (`InvalidEventError("Parameter Event is not valid.")` otherwise).
#[pyfunction]
fn test_event_pattern(
    event_pattern: &Bound<'_, PyAny>,
    event: &Bound<'_, PyAny>,
) -> PyResult<bool> {
    let py = event.py();
    let pattern = parse_pattern(event_pattern)?;
    let invalid = || event_error(py, "Parameter Event is not valid.".to_owned(), None);
    let event = json_text(event, MAX_EVENT_BYTES).map_err(|_| invalid())?;
    if !has_envelope(&event) {
        return Err(invalid());
    }
    let mut matcher = evmatch::Matcher::new();
    matcher.add_pattern("pattern", &pattern);
    let names = matcher.matches(&event).map_err(|_| invalid())?;
    Ok(!names.is_empty())
}

/// AWS's envelope: `TestEventPattern` refuses an event without any of these (as the CLI).
const ENVELOPE_FIELDS: [&str; 6] = ["id", "account", "source", "time", "region", "detail-type"];

/// Whether `event` is a JSON object holding every envelope field; values are skipped unbuilt.
fn has_envelope(event: &[u8]) -> bool {
    serde_json::from_slice::<HashMap<String, serde::de::IgnoredAny>>(event)
        .is_ok_and(|fields| ENVELOPE_FIELDS.iter().all(|f| fields.contains_key(*f)))
}

/// `None` if EventBridge accepts `pattern`, otherwise why not: AWS's reason string (for text
/// that is not JSON, a parser message).
#[pyfunction]
fn validate(pattern: &Bound<'_, PyAny>) -> Option<String> {
    match pattern_text(pattern) {
        Ok(text) => evmatch::Pattern::parse(&text).err().map(|e| e.to_string()),
        Err(reason) => Some(reason),
    }
}

#[pymodule(gil_used = false)]
fn _evmatch(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Matcher>()?;
    m.add_function(wrap_pyfunction!(test_event_pattern, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add(
        "InvalidEventPatternError",
        py.get_type::<InvalidEventPatternError>(),
    )?;
    m.add("InvalidEventError", py.get_type::<InvalidEventError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
