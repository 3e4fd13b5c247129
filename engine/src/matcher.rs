//! The rule set: named patterns, matched together against each event.

use crate::{EventError, Pattern, PatternError};

/// Many named rules; `matches` returns the names of every rule that matches an event.
///
/// A name may carry several patterns: it matches when any of them does.
#[derive(Debug, Default, Clone)]
pub struct Matcher {
    rules: Vec<(String, Pattern)>,
}

impl Matcher {
    /// An empty rule set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse `pattern` and add it under `name`.
    pub fn add_rule(&mut self, name: &str, pattern: &str) -> Result<(), PatternError> {
        let pattern = Pattern::parse(pattern)?;
        self.add_pattern(name, pattern);
        Ok(())
    }

    /// Add an already parsed pattern under `name`.
    pub fn add_pattern(&mut self, name: &str, pattern: Pattern) {
        self.rules.push((name.to_owned(), pattern));
    }

    /// Remove every pattern under `name`; returns whether there was one.
    pub fn delete_rule(&mut self, name: &str) -> bool {
        let before = self.rules.len();
        self.rules.retain(|(n, _)| n != name);
        self.rules.len() != before
    }

    /// Names of the rules that match `event` (a JSON object), each once, in the order first added.
    pub fn matches(&self, event: &[u8]) -> Result<Vec<&str>, EventError> {
        let event = crate::reference::Event::parse(event)?;
        let mut names: Vec<&str> = Vec::new();
        for (name, pattern) in &self.rules {
            if !names.contains(&name.as_str()) && event.matches(pattern) {
                names.push(name);
            }
        }
        Ok(names)
    }
}
