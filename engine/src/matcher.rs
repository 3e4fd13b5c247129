//! The facade: a set of named rules, matched together against each event.

use std::cell::RefCell;

use crate::automaton::evaluate::EventState;
use crate::automaton::Automaton;
use crate::prefetch;
use crate::scan::{read_event, ReadBuffers};
use crate::{EventError, Pattern, PatternError};

/// How much of an event is checked beyond the fields some rule needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Validation {
    /// Every byte of every event is checked: JSON grammar, UTF-8, escapes, nesting. Every field
    /// is read to the end, so a key repeated later in the event still counts. The answer is
    /// always the reference interpreter's answer. The default.
    #[default]
    Full,
    /// Only what some rule needs is read and checked; the rest is skipped by its structure
    /// (strings and brackets), and reading stops as soon as no needed field can follow. Use it
    /// for events already known to be valid JSON without duplicate keys (for example, events
    /// your own service serialised): a malformed part that no rule looks at goes unnoticed, and
    /// a key repeated after reading stopped is not seen. Keys count as repeated when they start
    /// with the same dot-separated segment: `{"a": 1, "a.b": 2}` repeats `a`.
    Structural,
}

/// Options for a [`Matcher`].
///
/// ```
/// use evmatch::{Matcher, Validation};
///
/// let mut matcher = Matcher::builder().validation(Validation::Structural).build();
/// matcher.add_rule("r", r#"{"a": ["x"]}"#)?;
/// // Nothing after the needed field is read, so its garbage goes unseen.
/// assert_eq!(matcher.matches(br#"{"a": "x", "b": garbage}"#)?, ["r"]);
/// assert!(Matcher::new().matches(br#"{"a": "x", "b": garbage}"#).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MatcherBuilder {
    validation: Validation,
}

impl MatcherBuilder {
    /// Default options: [`Validation::Full`].
    pub fn new() -> Self {
        Self::default()
    }

    /// How much of each event to check (default [`Validation::Full`]).
    pub fn validation(&mut self, validation: Validation) -> &mut Self {
        self.validation = validation;
        self
    }

    /// An empty matcher with these options.
    pub fn build(&self) -> Matcher {
        Matcher {
            validation: self.validation,
            automaton: Automaton::default(),
        }
    }
}

/// Many named rules; `matches` returns the names of every rule that matches an event.
///
/// A name may carry several patterns: it matches when any of them does.
#[derive(Debug, Default, Clone)]
pub struct Matcher {
    validation: Validation,
    automaton: Automaton,
}

/// Reusable working memory for [`Matcher::matches_with`]: once it has grown to fit the rule set,
/// matching allocates nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    state: EventState,
    buffers: ReadBuffers,
}

thread_local! {
    /// The scratch behind [`Matcher::matches`], one per thread.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
}

impl Scratch {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Matcher {
    /// An empty rule set with default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Options for a new matcher.
    pub fn builder() -> MatcherBuilder {
        MatcherBuilder::new()
    }

    /// Number of rule names.
    pub fn len(&self) -> usize {
        self.automaton.len()
    }

    /// Is the rule set empty?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The options this matcher was built with.
    pub fn validation(&self) -> Validation {
        self.validation
    }

    /// Parse `pattern` and add it under `name`.
    pub fn add_rule(&mut self, name: &str, pattern: &str) -> Result<(), PatternError> {
        let pattern = Pattern::parse(pattern)?;
        self.automaton.add(name, &pattern);
        Ok(())
    }

    /// Add an already parsed pattern under `name`.
    pub fn add_pattern(&mut self, name: &str, pattern: &Pattern) {
        self.automaton.add(name, pattern);
    }

    /// Remove every pattern under `name`; returns whether there was one.
    pub fn delete_rule(&mut self, name: &str) -> bool {
        self.automaton.delete(name)
    }

    /// Names of the rules that match `event` (a JSON object), each once, in the order the names
    /// were first added.
    pub fn matches(&self, event: &[u8]) -> Result<Vec<&str>, EventError> {
        let mut names = Vec::new();
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => self.matches_with(event, &mut scratch, &mut names),
            // Only if a caller re-enters from inside a match on this thread.
            Err(_) => self.matches_with(event, &mut Scratch::new(), &mut names),
        })?;
        Ok(names)
    }

    /// [`Matcher::matches`] for an event already parsed by serde_json.
    pub fn matches_value(&self, event: &serde_json::Value) -> Result<Vec<&str>, EventError> {
        if crate::json::too_deep(event) {
            return Err(EventError::TooDeep {
                max: crate::limits::MAX_DEPTH,
            });
        }
        let text = serde_json::to_vec(event).expect("a Value always serialises");
        self.matches(&text)
    }

    /// The hot-path form: clears `names`, then pushes the matching names into it, using
    /// `scratch` as working memory.
    ///
    /// It also asks the CPU to load the first bytes that follow `event` in memory, and those one
    /// event length further on: when events are matched back to back from one buffer (lines of
    /// a file, a socket read, a queue's batch), those are the starts of the next two events
    /// (if their sizes are alike), which are then in cache when their turn comes. That hides
    /// most of the memory latency of a stream larger than the caches; where the bytes after are
    /// something else, it costs a few cache lines. [`Matcher::matches_batch`] prefetches the
    /// events it is given wherever they are in memory.
    pub fn matches_with<'m>(
        &'m self,
        event: &[u8],
        scratch: &mut Scratch,
        names: &mut Vec<&'m str>,
    ) -> Result<(), EventError> {
        names.clear();
        prefetch::event_start(event);
        prefetch::bytes_after(event);
        let Scratch { state, buffers } = scratch;
        state.begin(&self.automaton);
        buffers.values.begin_event();
        read_event(&self.automaton, event, self.validation, state, buffers)?;
        state.finish(&self.automaton, &buffers.values, names);
        Ok(())
    }

    /// Matches a batch of events one after another, calling `each(i, result)` with event `i`'s
    /// names (or why it could not be read), exactly as [`Matcher::matches_with`] would give
    /// them. While it matches one event it asks the CPU to load the start of the event after
    /// next: on a batch larger than the caches (events read from a big buffer, a file, a long
    /// queue) that hides most of the memory latency of reaching each event, which otherwise
    /// bounds the fastest rule sets. Nothing is allocated once `scratch` and `names` are warm.
    ///
    /// ```
    /// let mut matcher = evmatch::Matcher::new();
    /// matcher.add_rule("big", r#"{"size": [{"numeric": [">", 100]}]}"#).unwrap();
    /// let events = [&br#"{"size": 500}"#[..], br#"{"size": 5}"#, b"not json"];
    /// let (mut scratch, mut names) = (evmatch::Scratch::new(), Vec::new());
    /// let mut counts = Vec::new();
    /// matcher.matches_batch(&events, &mut scratch, &mut names, |i, result| {
    ///     counts.push((i, result.map(|names| names.len()).ok()));
    /// });
    /// assert_eq!(counts, [(0, Some(1)), (1, Some(0)), (2, None)]);
    /// ```
    pub fn matches_batch<'m, E: AsRef<[u8]>>(
        &'m self,
        events: &[E],
        scratch: &mut Scratch,
        names: &mut Vec<&'m str>,
        mut each: impl FnMut(usize, Result<&[&'m str], EventError>),
    ) {
        for (i, event) in events.iter().enumerate() {
            if let Some(ahead) = events.get(i + PREFETCH_DISTANCE) {
                prefetch::event_start(ahead.as_ref());
            }
            match self.matches_with(event.as_ref(), scratch, names) {
                Ok(()) => each(i, Ok(names)),
                Err(error) => each(i, Err(error)),
            }
        }
    }
}

/// How many events ahead [`Matcher::matches_batch`] prefetches: one event's match is too short
/// to cover a memory access, two are enough (measured on the citylots2 benchmark).
const PREFETCH_DISTANCE: usize = 2;
