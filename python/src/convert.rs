//! Patterns and events from Python values to the JSON text the engine reads.
//!
//! - `str`: its UTF-8 bytes, borrowed from the string object (no copy for the common compact
//!   strings, see [`utf8`]).
//! - `bytes`: borrowed as they are; `bytearray`: copied (it may change while the GIL is released).
//! - anything else: written as compact JSON straight from the Python objects, as `json.dumps`
//!   would (`dict` with `str` keys, `list`, `tuple`, `str`, `int`, `float`, `bool`, `None`), in one
//!   walk and without building an intermediate value. What `json.dumps` refuses is refused with
//!   its wording, and so are what it would write but JSON has not (`NaN`, `Infinity`), keys that
//!   are not `str`, nesting past the engine's depth limit (a cycle ends there too) and text past
//!   the size limit.

use std::borrow::Cow;
use std::fmt;
use std::os::raw::c_char;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType,
};

unsafe extern "C" {
    /// The UTF-8 form of a `str`, cached in the object for as long as it lives. Part of the stable
    /// ABI from Python 3.10 (which is why pyo3 does not declare it for an abi3-py39 build), and
    /// exported with this signature by every CPython since 3.3, so the abi3 wheel calls it on 3.9
    /// too.
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The UTF-8 bytes of `text`, borrowed from the string object (valid while it lives, which the
/// borrow of `text` guarantees). Fails for strings holding lone surrogates, which have no UTF-8
/// form.
pub(crate) fn utf8<'a>(text: &'a Bound<'_, PyString>) -> PyResult<&'a [u8]> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `text` is a live `str` (its type was checked), and we are attached to the
    // interpreter. The returned buffer belongs to the string object and lives as long as it,
    // which outlives the returned borrow; CPython never changes it once made.
    unsafe {
        let data = PyUnicode_AsUTF8AndSize(text.as_ptr(), &mut size);
        if data.is_null() {
            return Err(PyErr::fetch(text.py()));
        }
        let size = usize::try_from(size).expect("a str's size is not negative");
        Ok(std::slice::from_raw_parts(data.cast::<u8>(), size))
    }
}

/// What a Python value could not be turned into JSON text for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unwritable {
    /// A value JSON has no form for (`json.dumps`'s wording).
    NotSerializable(String),
    /// A `dict` key that is not a `str`.
    Key(String),
    /// `NaN` or an infinity.
    NonFinite(String),
    /// Python refused to convert a value: a `str` with lone surrogates, an `int` past the digit
    /// limit of `int` to `str` conversion. The message is Python's.
    Python(String),
    /// Nested deeper than the engine's limit (or a container that holds itself).
    TooDeep,
    /// The text would pass this many bytes.
    TooLarge(usize),
}

impl fmt::Display for Unwritable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unwritable::NotSerializable(type_name) => {
                write!(f, "Object of type {type_name} is not JSON serializable")
            }
            Unwritable::Key(type_name) => write!(f, "keys must be str, not {type_name}"),
            Unwritable::NonFinite(repr) => {
                write!(
                    f,
                    "Out of range float values are not JSON compliant: {repr}"
                )
            }
            Unwritable::Python(message) => f.write_str(message),
            Unwritable::TooDeep => write!(
                f,
                "nested too deeply: at most {} levels are allowed",
                evmatch::limits::MAX_DEPTH
            ),
            Unwritable::TooLarge(max) => {
                write!(
                    f,
                    "too large: more than {max} bytes, at most {max} are allowed"
                )
            }
        }
    }
}

impl Unwritable {
    /// Why an event given as this value cannot be read (the engine's wording for its limits).
    pub(crate) fn event_message(&self) -> String {
        match self {
            Unwritable::TooDeep | Unwritable::TooLarge(_) => format!("event is {self}"),
            _ => self.to_string(),
        }
    }

    /// Why a pattern given as this value is refused (the engine's wording for its limits).
    pub(crate) fn pattern_reason(&self) -> String {
        match self {
            Unwritable::TooDeep | Unwritable::TooLarge(_) => format!("Pattern is {self}"),
            _ => self.to_string(),
        }
    }

    fn python(err: PyErr, py: Python<'_>) -> Unwritable {
        Unwritable::Python(err.value(py).to_string())
    }
}

/// The JSON text of `value`, borrowed where it already is text (see the module docs), at most
/// `max_bytes` long when it has to be written.
pub(crate) fn json_text<'a>(
    value: &'a Bound<'_, PyAny>,
    max_bytes: usize,
) -> Result<Cow<'a, [u8]>, Unwritable> {
    let mut out = Vec::new();
    Ok(match borrow_or_write(value, &mut out, max_bytes)? {
        Some(text) => Cow::Borrowed(text),
        None => Cow::Owned(out),
    })
}

/// The JSON text of `value`: `Some` borrowed from a `str` or `bytes` object, else `None` and
/// appended to `out` (copied from a `bytearray`, or written, at most `max_bytes` long).
pub(crate) fn borrow_or_write<'a>(
    value: &'a Bound<'_, PyAny>,
    out: &mut Vec<u8>,
    max_bytes: usize,
) -> Result<Option<&'a [u8]>, Unwritable> {
    if let Ok(text) = value.cast::<PyString>() {
        return utf8(text)
            .map(Some)
            .map_err(|e| Unwritable::python(e, value.py()));
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(Some(bytes.as_bytes()));
    }
    if let Ok(bytes) = value.cast::<PyByteArray>() {
        // Copied: a bytearray can change while the GIL is released.
        out.extend_from_slice(&bytes.to_vec());
        return Ok(None);
    }
    write_json(value, out, max_bytes)?;
    Ok(None)
}

/// Is `value` given as text (`str`, `bytes`, `bytearray`) rather than as a value to write?
pub(crate) fn is_text(value: &Bound<'_, PyAny>) -> bool {
    value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
}

/// Appends the compact JSON text of `value` to `out`, failing if `out` would pass `max_bytes`.
pub(crate) fn write_json(
    value: &Bound<'_, PyAny>,
    out: &mut Vec<u8>,
    max_bytes: usize,
) -> Result<(), Unwritable> {
    let limit = out.len().saturating_add(max_bytes);
    Writer {
        out,
        limit,
        max_bytes,
    }
    .value(value, 0)
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
    /// `out` may not grow past this length: where the value started plus `max_bytes`.
    limit: usize,
    max_bytes: usize,
}

impl Writer<'_> {
    /// Stops a value whose text has passed the size limit: checked after every value and
    /// before every container, so `out` passes it by at most one scalar's text.
    fn check_size(&self) -> Result<(), Unwritable> {
        if self.out.len() > self.limit {
            return Err(Unwritable::TooLarge(self.max_bytes));
        }
        Ok(())
    }

    /// Writes `value`, inside `depth` containers.
    fn value(&mut self, value: &Bound<'_, PyAny>, depth: usize) -> Result<(), Unwritable> {
        let py = value.py();
        if let Ok(text) = value.cast::<PyString>() {
            let bytes = utf8(text).map_err(|e| Unwritable::python(e, py))?;
            write_string(self.out, bytes);
        } else if let Ok(dict) = value.cast::<PyDict>() {
            self.enter(depth)?;
            self.out.push(b'{');
            for (i, (key, item)) in dict.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                let key = key
                    .cast::<PyString>()
                    .map_err(|_| Unwritable::Key(type_name(&key)))?;
                write_string(self.out, utf8(key).map_err(|e| Unwritable::python(e, py))?);
                self.out.push(b':');
                self.value(&item, depth + 1)?;
            }
            self.out.push(b'}');
        } else if let Ok(list) = value.cast::<PyList>() {
            self.enter(depth)?;
            self.out.push(b'[');
            for (i, item) in list.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.value(&item, depth + 1)?;
            }
            self.out.push(b']');
        } else if value.is_instance_of::<PyBool>() {
            // Before `int`: `bool` is a subclass of it.
            let word: &[u8] = if value.is_truthy().unwrap_or(false) {
                b"true"
            } else {
                b"false"
            };
            self.out.extend_from_slice(word);
        } else if let Ok(int) = value.cast::<PyInt>() {
            match int.extract::<i64>() {
                Ok(n) => self
                    .out
                    .extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
                // Past 64 bits: Python writes the digits (`int.__repr__`, so that subclasses
                // such as `IntEnum` write their value, as in `json.dumps`).
                Err(_) => {
                    let digits = py
                        .get_type::<PyInt>()
                        .call_method1("__repr__", (int,))
                        .map_err(|e| Unwritable::python(e, py))?;
                    let digits = digits
                        .cast::<PyString>()
                        .map_err(|_| Unwritable::NotSerializable(type_name(value)))?;
                    let digits = utf8(digits).map_err(|e| Unwritable::python(e, py))?;
                    self.out.extend_from_slice(digits);
                }
            }
        } else if let Ok(float) = value.cast::<PyFloat>() {
            let n = float.value();
            if !n.is_finite() {
                let repr = if n.is_nan() {
                    "nan"
                } else if n > 0.0 {
                    "inf"
                } else {
                    "-inf"
                };
                return Err(Unwritable::NonFinite(repr.to_owned()));
            }
            // The shortest text that reads back as the same binary64 (as Python's `repr`), with
            // an exponent for very large and small magnitudes (`1e300`, `1e-7`).
            self.out
                .extend_from_slice(zmij::Buffer::new().format_finite(n).as_bytes());
        } else if value.is_none() {
            self.out.extend_from_slice(b"null");
        } else if let Ok(tuple) = value.cast::<PyTuple>() {
            self.enter(depth)?;
            self.out.push(b'[');
            for (i, item) in tuple.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.value(&item, depth + 1)?;
            }
            self.out.push(b']');
        } else {
            return Err(Unwritable::NotSerializable(type_name(value)));
        }
        self.check_size()
    }

    /// Opens a container inside `depth` others: refused past the engine's depth limit (where
    /// the engine would refuse the text), which also ends a container that holds itself.
    fn enter(&self, depth: usize) -> Result<(), Unwritable> {
        if depth + 1 > evmatch::limits::MAX_DEPTH {
            return Err(Unwritable::TooDeep);
        }
        self.check_size()
    }
}

/// The name of `value`'s type, for messages.
fn type_name(value: &Bound<'_, PyAny>) -> String {
    let ty: Bound<'_, PyType> = value.get_type();
    ty.name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// Which bytes need an escape inside a JSON string: `"`, `\` and control characters.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends `text` (UTF-8) as a JSON string.
fn write_string(out: &mut Vec<u8>, text: &[u8]) {
    out.reserve(text.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &byte) in text.iter().enumerate() {
        if !NEEDS_ESCAPE[usize::from(byte)] {
            continue;
        }
        out.extend_from_slice(&text[start..i]);
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(byte >> 4)]);
                out.push(HEX[usize::from(byte & 15)]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&text[start..]);
    out.push(b'"');
}
