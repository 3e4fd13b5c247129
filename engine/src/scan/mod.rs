//! The event reader: one pass over the event's bytes, guided by the field-level trie.
//!
//! A key no rule uses is skipped with its value, unread (`skip`); a value at a field some rule
//! tests is decoded (escapes resolved, numbers converted) and handed to the field's value
//! automaton, whose conditions are recorded in the [`EventState`]. Nothing is allocated: decoded
//! text goes to buffers kept in the scratch.
//!
//! Under [`Validation::Full`] skipped values are checked byte for byte and the whole event is
//! read. Under [`Validation::Structural`] they are only delimited, and reading stops as soon as
//! every key that leads to a needed field has been seen along the chain of objects from the root
//! (with no array on the way, where more elements could follow).

mod number;
mod skip;

pub(crate) use skip::check_against_json_parse;

use crate::automaton::evaluate::{EventState, UNTIED};
use crate::automaton::paths::{Level, ROOT};
use crate::automaton::values::{Value, ValueScratch};
use crate::automaton::Automaton;
use crate::limits::{MAX_DEPTH, MAX_EVENT_BYTES};
use crate::{EventError, Validation};
use skip::{
    scan_number, scan_string, scan_string_value, skip_rest_structural, skip_unneeded_members,
    skip_value, skip_whitespace, MemberStop, ScanError, SkipMode, Window,
};

/// Buffers the reader keeps between events.
#[derive(Debug, Default)]
pub(crate) struct ReadBuffers {
    key: Vec<u8>,
    text: Vec<u8>,
    pub(crate) values: ValueScratch,
}

/// Read `bytes` as an event, running every needed value through its field's automaton.
pub(crate) fn read_event(
    automaton: &Automaton,
    bytes: &[u8],
    validation: Validation,
    state: &mut EventState,
    buffers: &mut ReadBuffers,
) -> std::result::Result<(), EventError> {
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(EventError::TooLarge {
            len: bytes.len(),
            max: MAX_EVENT_BYTES,
        });
    }
    let mode = match validation {
        Validation::Full => SkipMode::Full,
        Validation::Structural => SkipMode::Structural,
    };
    let convert = |e| match e {
        ScanError::Syntax { offset, reason } => EventError::Syntax { offset, reason },
        ScanError::TooDeep => EventError::TooDeep { max: MAX_DEPTH },
    };
    let pos = skip_whitespace(bytes, 0);
    match bytes.get(pos) {
        Some(b'{') => {
            let mut reader = Reader {
                automaton,
                bytes,
                pos: pos + 1,
                mode,
                state,
                buffers,
                window: Window::default(),
            };
            reader.event().map_err(convert)
        }
        Some(_) => {
            // Not an object: still say whether it was JSON at all.
            let end = skip_value(bytes, pos, 0, SkipMode::Full).map_err(convert)?;
            let end = skip_whitespace(bytes, end);
            if end != bytes.len() {
                return Err(convert(syntax(
                    end,
                    "trailing characters after the JSON value",
                )));
            }
            Err(EventError::NotAnObject)
        }
        None => Err(convert(syntax(pos, "expected a JSON value"))),
    }
}

/// Whether the rest of the event still needs reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    /// Nothing needed can follow: stop reading (structural validation only).
    Stop,
}

/// What [`Reader::member`] found next in an object.
enum Member {
    /// A key has been read (`pos` is past it): where it leads, as [`Reader::key`] says.
    Key(Option<(u32, bool)>),
    /// The object has ended (`pos` is past its `}`).
    End,
}

struct Reader<'a, 'm> {
    automaton: &'m Automaton,
    bytes: &'a [u8],
    pos: usize,
    mode: SkipMode,
    state: &'a mut EventState,
    buffers: &'a mut ReadBuffers,
    /// Classified bytes kept for skipping unneeded members.
    window: Window,
}

type Result<T> = std::result::Result<T, ScanError>;

fn syntax(offset: usize, reason: &'static str) -> ScanError {
    ScanError::Syntax { offset, reason }
}

impl Reader<'_, '_> {
    /// `pos` is just past the root object's `{`.
    fn event(&mut self) -> Result<()> {
        if self.object(ROOT, 1, true)? == Flow::Stop {
            return Ok(());
        }
        self.end_of_document()
    }

    fn end_of_document(&mut self) -> Result<()> {
        self.pos = skip_whitespace(self.bytes, self.pos);
        if self.pos != self.bytes.len() {
            return Err(syntax(self.pos, "trailing characters after the JSON value"));
        }
        Ok(())
    }

    // `inline(always)` and `matches!` rather than `==` on `Option`s: size-optimised (WASM) builds
    // would otherwise call out for each byte looked at.
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Past any whitespace at `pos`, the byte there (NUL at the end of input, which no caller
    /// expects): in compact JSON, one compare for both.
    #[inline(always)]
    fn next_token(&mut self) -> u8 {
        let mut b = self.bytes.get(self.pos).copied().unwrap_or(0);
        if b <= b' ' {
            self.pos = skip_whitespace(self.bytes, self.pos);
            b = self.bytes.get(self.pos).copied().unwrap_or(0);
        }
        b
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        // Compact JSON has no whitespace between tokens: one compare in the common case.
        if self.peek().is_some_and(|b| b <= b' ') {
            self.pos = skip_whitespace(self.bytes, self.pos);
        }
    }

    /// `pos` is just past `{` of an object at path `node` and nesting `depth`. `last` says
    /// whether everything after this object is unneeded (every enclosing object has seen all its
    /// needed keys, and no array encloses it).
    fn object(&mut self, node: u32, depth: usize, last: bool) -> Result<Flow> {
        if depth > MAX_DEPTH {
            return Err(ScanError::TooDeep);
        }
        // One loop per mode: the structural one, the hot one, keeps its few variables in
        // registers.
        match self.mode {
            SkipMode::Structural => self.object_structural(node, depth, last),
            SkipMode::Full => self.object_full(node, depth).map(|()| Flow::Continue),
        }
    }

    /// [`Reader::object`] under full validation: every member is read (unneeded ones checked
    /// and passed over in runs).
    fn object_full(&mut self, node: u32, depth: usize) -> Result<()> {
        let level = self.automaton.paths.level(node);
        if self.empty_object() {
            return Ok(());
        }
        loop {
            self.expect_key()?;
            let Member::Key(child) = self.member(level, true)? else {
                return Ok(());
            };
            self.colon()?;
            match child {
                Some((child, _)) => {
                    self.value(child, depth, false)?;
                }
                None => self.skip(depth)?,
            }
            if self.object_closes()? {
                return Ok(());
            }
        }
    }

    /// [`Reader::object`] under structural validation: unneeded members are passed over in
    /// runs, and the object is left as soon as its needed keys have been read.
    fn object_structural(&mut self, node: u32, depth: usize, last: bool) -> Result<Flow> {
        let level = self.automaton.paths.level(node);
        // Distinct keys still to read here (keys with dots, which lead further down, are not
        // counted: they end nothing).
        let mut unread = level.child_count();
        if last && unread == 0 {
            return Ok(Flow::Stop);
        }
        if self.empty_object() {
            return Ok(Flow::Continue);
        }
        loop {
            self.expect_key()?;
            let Member::Key(child) = self.member(level, false)? else {
                return Ok(Flow::Continue);
            };
            self.colon()?;
            match child {
                Some((child, direct)) => {
                    unread -= usize::from(direct);
                    let done = direct && unread == 0;
                    if self.value(child, depth, last && done)? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                    if done {
                        // Every needed key has been read: the rest is skipped in one go.
                        self.pos = skip_rest_structural(self.bytes, self.pos, depth)?;
                        return Ok(Flow::Continue);
                    }
                }
                None => self.skip(depth)?,
            }
            if self.object_closes()? {
                return Ok(Flow::Continue);
            }
        }
    }

    /// `pos` is a member's key (its opening quote): passes over the unneeded compact members
    /// from there in runs (checking them under full validation), then reads the next key, if
    /// the object goes on. The key read is looked up at `level` (see [`Reader::key`]). `full`
    /// is `self.mode == SkipMode::Full`, passed as a constant so that each caller gets the
    /// walk for its own mode.
    #[inline(always)]
    fn member(&mut self, level: Level<'_>, full: bool) -> Result<Member> {
        let found = skip_unneeded_members(self.bytes, self.pos, &mut self.window, full, |key| {
            level.step(key)
        });
        Ok(match found {
            MemberStop::Needed { close, found } => {
                self.pos = close + 1;
                Member::Key(Some(found))
            }
            MemberStop::Key(at) => {
                self.pos = at;
                Member::Key(self.key(level)?)
            }
            MemberStop::Closed(end) => {
                self.pos = end;
                Member::End
            }
        })
    }

    /// Past `{`: whether the object is empty (then its `}` is consumed).
    #[inline(always)]
    fn empty_object(&mut self) -> bool {
        self.skip_ws();
        let empty = matches!(self.peek(), Some(b'}'));
        self.pos += usize::from(empty);
        empty
    }

    #[inline(always)]
    fn expect_key(&self) -> Result<()> {
        if matches!(self.peek(), Some(b'"')) {
            Ok(())
        } else {
            Err(syntax(self.pos, "expected a string key"))
        }
    }

    /// Past a key: its `:`, and any whitespace up to the value.
    #[inline(always)]
    fn colon(&mut self) -> Result<()> {
        if self.next_token() != b':' {
            return Err(syntax(self.pos, "expected ':' after a key"));
        }
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    /// Past a member's value: `,` and whitespace (`false`), or the object's `}` (`true`).
    #[inline(always)]
    fn object_closes(&mut self) -> Result<bool> {
        match self.next_token() {
            b',' => {
                self.pos += 1;
                self.skip_ws();
                Ok(false)
            }
            b'}' => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(syntax(self.pos, "expected ',' or '}' in an object")),
        }
    }

    /// Skip the value at `pos`, with a short cut for the commonest unneeded value, a string.
    #[inline]
    fn skip(&mut self, depth: usize) -> Result<()> {
        self.pos = if matches!(self.peek(), Some(b'"')) {
            scan_string(self.bytes, self.pos + 1, self.mode)?.0 + 1
        } else {
            skip_value(self.bytes, self.pos, depth, self.mode)?
        };
        Ok(())
    }

    /// Read a key (at its opening quote) and look it up at `level`: the child node, and whether
    /// it is a direct child (a key without dots).
    fn key(&mut self, level: Level<'_>) -> Result<Option<(u32, bool)>> {
        let start = self.pos + 1;
        let (end, escaped) = scan_string(self.bytes, start, self.mode)?;
        self.pos = end + 1;
        let found = if escaped {
            let key = &mut self.buffers.key;
            key.clear();
            unescape_into(self.bytes, start, end, key)?;
            level.step(key)
        } else {
            level.step(&self.bytes[start..end])
        };
        Ok(found)
    }

    /// Read the value at `pos`, which sits at path `node`. Inlined, so that an object or array
    /// is entered without the frame of the scalar reader.
    #[inline(always)]
    fn value(&mut self, node: u32, depth: usize, last: bool) -> Result<Flow> {
        let paths = &self.automaton.paths;
        match self.peek() {
            Some(b'{') if paths.has_children(node) => {
                self.pos += 1;
                self.object(node, depth + 1, last)
            }
            Some(b'[') => {
                self.pos += 1;
                self.array(node, depth + 1)?;
                Ok(Flow::Continue)
            }
            Some(b'{') => {
                self.pos = skip_value(self.bytes, self.pos, depth, self.mode)?;
                Ok(Flow::Continue)
            }
            _ => self.scalar_value(node, depth, last),
        }
    }

    /// Read the value at `pos`, not an object or array, which sits at path `node`. Out of line:
    /// the value automaton's run is inlined here, and only here.
    #[inline(never)]
    fn scalar_value(&mut self, node: u32, depth: usize, last: bool) -> Result<Flow> {
        match self.automaton.paths.field(node) {
            Some(field) => {
                self.scalar(field)?;
                Ok(if last { Flow::Stop } else { Flow::Continue })
            }
            None => {
                self.pos = skip_value(self.bytes, self.pos, depth, self.mode)?;
                Ok(Flow::Continue)
            }
        }
    }

    /// `pos` is just past `[`. Elements stay at the array's path; containers among them are
    /// tied to their index for array consistency.
    fn array(&mut self, node: u32, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(ScanError::TooDeep);
        }
        let array = self.state.arrays;
        self.state.arrays += 1;
        self.skip_ws();
        if matches!(self.peek(), Some(b']')) {
            self.pos += 1;
            return Ok(());
        }
        let mut index = 0u32;
        loop {
            let tied = matches!(self.peek(), Some(b'{' | b'['));
            if tied {
                self.state.enter_element(array, index);
            }
            self.value(node, depth, false)?;
            if tied {
                self.state.leave_element();
            }
            index += 1;
            match self.next_token() {
                b',' => {
                    self.pos += 1;
                    self.skip_ws();
                }
                b']' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(syntax(self.pos, "expected ',' or ']' in an array")),
            }
        }
    }

    /// Decode the scalar at `pos` and run it through `field`'s automaton.
    fn scalar(&mut self, field: u32) -> Result<()> {
        let bytes = self.bytes;
        let start = self.pos;
        let text = &mut self.buffers.text;
        let value = match bytes.get(start).copied().unwrap_or(b' ') {
            b'"' => {
                let (end, escaped, ascii) = scan_string_value(bytes, start + 1)?;
                self.pos = end + 1;
                // Checked in full (escapes, UTF-8, control characters) whatever the mode: the
                // value automaton relies on it.
                if escaped {
                    text.clear();
                    unescape_into(bytes, start + 1, end, text)?;
                    Value::String { bytes: text, ascii }
                } else {
                    Value::String {
                        bytes: &bytes[start + 1..end],
                        ascii,
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                // One pass checks the grammar and converts; the scanner says what is wrong with
                // a malformed number.
                let Some((end, text, value)) = number::read_number(bytes, start) else {
                    scan_number(bytes, start, SkipMode::Full)?;
                    debug_assert!(false, "the scanner accepts what read_number refuses");
                    return Err(syntax(start, "invalid number"));
                };
                self.pos = end;
                Value::Number { text, value }
            }
            _ => {
                let literal = [
                    (&b"true"[..], Value::Bool(true)),
                    (b"false", Value::Bool(false)),
                    (b"null", Value::Null),
                ]
                .into_iter()
                .find(|(word, _)| bytes[start..].starts_with(word));
                let Some((word, value)) = literal else {
                    return Err(syntax(start, "expected a JSON value"));
                };
                self.pos = start + word.len();
                value
            }
        };
        let automaton = self.automaton;
        let state = &mut *self.state;
        let leaf = state.leaf(field);
        automaton.fields[field as usize].machine.run(
            value,
            leaf != UNTIED,
            &mut self.buffers.values,
            &mut |cond| state.hit(automaton, cond, leaf),
        );
        Ok(())
    }
}

/// Resolve the escapes of the string body `bytes[start..end]` (already delimited) into `out`.
/// Lone surrogates are refused, as the reference reader refuses them.
fn unescape_into(bytes: &[u8], start: usize, end: usize, out: &mut Vec<u8>) -> Result<()> {
    let mut i = start;
    while i < end {
        let b = bytes[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&escape) = bytes.get(i + 1) else {
            return Err(syntax(i, "unterminated escape"));
        };
        i += 2;
        let simple = match escape {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let high = hex4(bytes, i)?;
                i += 4;
                let c = if (0xD800..0xDC00).contains(&high) {
                    let low = if bytes.get(i..i + 2) == Some(b"\\u") {
                        hex4(bytes, i + 2)?
                    } else {
                        0
                    };
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(syntax(i, "lone surrogate in a \\u escape"));
                    }
                    i += 6;
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..0xE000).contains(&high) {
                    return Err(syntax(i, "lone surrogate in a \\u escape"));
                } else {
                    high
                };
                let c = char::from_u32(c).ok_or(syntax(i, "invalid \\u escape"))?;
                let mut utf8 = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                continue;
            }
            _ => return Err(syntax(i - 1, "invalid escape")),
        };
        out.push(simple);
    }
    Ok(())
}

fn hex4(bytes: &[u8], at: usize) -> Result<u32> {
    let digits = bytes
        .get(at..at + 4)
        .ok_or(syntax(at, "truncated \\u escape"))?;
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = (d as char)
            .to_digit(16)
            .ok_or(syntax(at, "invalid \\u escape"))?;
        Ok(acc * 16 + v)
    })
}
