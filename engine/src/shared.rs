//! A rule set that many threads match against while others change it.
//!
//! The model is two copies and an atomic pointer (the "left-right" scheme on top of
//! [`arc_swap`]). Readers load the published [`Matcher`] with one atomic operation and never wait.
//! A writer (one at a time, behind a mutex) applies its change to the unpublished copy, publishes
//! it, waits until the last reader of the old copy has let go, and applies the same change there,
//! so each change costs what it costs on a plain [`Matcher`], twice, and never a copy of the whole
//! rule set. A reader sees every change completely or not at all: a match runs on one snapshot.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::{ArcSwap, Guard};

use crate::{EventError, Matcher, Pattern, PatternError};

/// A [`Matcher`] shared between threads: `matches` never blocks, changes are atomic.
///
/// ```
/// use std::sync::Arc;
/// use evmatch::SharedMatcher;
///
/// let rules = Arc::new(SharedMatcher::new());
/// rules.add_rule("ec2", r#"{"source": ["aws.ec2"]}"#)?;
///
/// let reader = {
///     let rules = Arc::clone(&rules);
///     std::thread::spawn(move || rules.matches(br#"{"source": "aws.ec2"}"#).unwrap())
/// };
/// assert_eq!(reader.join().unwrap(), ["ec2"]);
/// assert!(rules.delete_rule("ec2"));
/// assert!(rules.matches(br#"{"source": "aws.ec2"}"#)?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SharedMatcher {
    published: ArcSwap<Matcher>,
    /// The unpublished copy; the mutex also serialises writers.
    standby: Mutex<Arc<Matcher>>,
}

/// A consistent view of a [`SharedMatcher`]'s rules: it dereferences to a [`Matcher`] that does
/// not change while it is held. Hold it briefly: a writer waits for it before reusing its copy.
pub type Snapshot = Guard<Arc<Matcher>>;

impl SharedMatcher {
    /// An empty rule set with default options.
    pub fn new() -> Self {
        Self::from_matcher(Matcher::new())
    }

    /// Share `matcher` (its rules and options).
    pub fn from_matcher(matcher: Matcher) -> Self {
        let standby = Arc::new(matcher.clone());
        SharedMatcher {
            published: ArcSwap::from_pointee(matcher),
            standby: Mutex::new(standby),
        }
    }

    /// The current rule set, for matching several events against one consistent view.
    pub fn snapshot(&self) -> Snapshot {
        self.published.load()
    }

    /// Names of the rules that match `event` now (see [`Matcher::matches`]).
    pub fn matches(&self, event: &[u8]) -> Result<Vec<String>, EventError> {
        let snapshot = self.published.load();
        let names = snapshot.matches(event)?;
        Ok(names.into_iter().map(str::to_owned).collect())
    }

    /// Parse `pattern` and add it under `name`; readers see it once this returns.
    pub fn add_rule(&self, name: &str, pattern: &str) -> Result<(), PatternError> {
        let pattern = Pattern::parse(pattern)?;
        self.change(|m| m.add_pattern(name, &pattern));
        Ok(())
    }

    /// Add many rules as one change: readers see all of them or none. Stops at the first
    /// invalid pattern, adding nothing, and returns its name with the error.
    pub fn add_rules<'a>(
        &self,
        rules: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(), (String, PatternError)> {
        let parsed = rules
            .into_iter()
            .map(|(name, text)| {
                Pattern::parse(text)
                    .map(|p| (name, p))
                    .map_err(|e| (name.to_owned(), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.change(|m| {
            for (name, pattern) in &parsed {
                m.add_pattern(name, pattern);
            }
        });
        Ok(())
    }

    /// Add an already parsed pattern under `name`; readers see it once this returns.
    pub fn add_pattern(&self, name: &str, pattern: &Pattern) {
        self.change(|m| m.add_pattern(name, pattern));
    }

    /// Make `pattern` the only pattern under `name`, as one change: a reader sees the old
    /// patterns or the new one, never neither. Returns whether `name` had patterns before.
    ///
    /// ```
    /// let rules = evmatch::SharedMatcher::new();
    /// let pattern = |text| evmatch::Pattern::parse(text).unwrap();
    /// assert!(!rules.replace_rule("mine", &pattern(r#"{"a": [1]}"#)));
    /// assert!(rules.replace_rule("mine", &pattern(r#"{"a": [2]}"#)));
    /// assert!(rules.matches(br#"{"a": 1}"#)?.is_empty());
    /// assert_eq!(rules.matches(br#"{"a": 2}"#)?, ["mine"]);
    /// # Ok::<(), evmatch::EventError>(())
    /// ```
    pub fn replace_rule(&self, name: &str, pattern: &Pattern) -> bool {
        self.change(|m| {
            let existed = m.delete_rule(name);
            m.add_pattern(name, pattern);
            existed
        })
    }

    /// Remove every pattern under each of `names` as one change; returns how many of the names
    /// had patterns.
    pub fn delete_rules<S: AsRef<str>>(&self, names: &[S]) -> usize {
        self.change(|m| {
            names
                .iter()
                .filter(|name| m.delete_rule(name.as_ref()))
                .count()
        })
    }

    /// Remove every pattern under `name`; returns whether there was one.
    pub fn delete_rule(&self, name: &str) -> bool {
        self.change(|m| m.delete_rule(name))
    }

    /// Apply `edit` to both copies: first the standby, which is then published, then the old
    /// published copy once no reader holds it. `edit` must be deterministic; it is private so
    /// only the edits above can be applied.
    fn change<R>(&self, edit: impl Fn(&mut Matcher) -> R) -> R {
        let mut standby = self.standby.lock().unwrap_or_else(PoisonError::into_inner);
        let result = edit(exclusive(&mut standby));
        let old = self.published.swap(Arc::clone(&standby));
        *standby = old;
        edit(exclusive(&mut standby));
        result
    }
}

impl Default for SharedMatcher {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for SharedMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedMatcher")
            .field("rules", &self.published.load().len())
            .finish()
    }
}

/// Wait until the writer holds the only reference to the standby copy, then borrow it mutably.
/// Readers hold a snapshot for one match, so the wait is short; after `swap`, arc-swap has turned
/// every reader's borrowed slot into a counted reference, so the count is exact.
fn exclusive<'a>(standby: &'a mut MutexGuard<'_, Arc<Matcher>>) -> &'a mut Matcher {
    let mut spins = 0u32;
    while Arc::get_mut(&mut **standby).is_none() {
        spins += 1;
        if spins < 64 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
    Arc::get_mut(&mut **standby).expect("checked unique just above")
}
