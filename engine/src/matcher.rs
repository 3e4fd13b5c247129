//! The facade: a set of named rules, matched together against each event.

use std::cell::RefCell;

use crate::automaton::evaluate::EventState;
use crate::automaton::Automaton;
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
    pub fn matches_with<'m>(
        &'m self,
        event: &[u8],
        scratch: &mut Scratch,
        names: &mut Vec<&'m str>,
    ) -> Result<(), EventError> {
        names.clear();
        let Scratch { state, buffers } = scratch;
        state.begin(&self.automaton);
        buffers.values.begin_event();
        read_event(&self.automaton, event, self.validation, state, buffers)?;
        state.finish(&self.automaton, &buffers.values, names);
        Ok(())
    }
}
