//! The conformance corpus: `corpus/*.jsonl`, one case a line (see `corpus/README.md`).
//!
//! Every front end (the reference matcher, the automaton, the CLI) runs the same cases through
//! this loader, so a case means the same thing everywhere. Patterns and events are handed over as
//! their exact raw text: duplicate keys, number spellings and out-of-range numbers survive.

use std::fmt;
use std::path::{Path, PathBuf};

use std::collections::HashMap;

use serde_json::value::RawValue;

/// What a case expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Match,
    NoMatch,
    /// The pattern is refused; `reason` is AWS's exact reason (`None` for malformed JSON, whose
    /// wording is free).
    Invalid {
        reason: Option<String>,
    },
    /// The event cannot be read.
    EventError,
}

/// One conformance case.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// `file:line` where the case is written.
    pub location: String,
    /// The pattern's raw text.
    pub pattern: String,
    /// The event's raw text (absent for `invalid` cases).
    pub event: Option<String>,
    pub expect: Expect,
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.location)
    }
}

/// The corpus directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Every case of every `*.jsonl` file, files in name order. Panics on a malformed case line, with
/// its location: a corpus that cannot be read must fail the test run, not shrink it.
pub fn load() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("corpus directory")
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("corpus file is UTF-8");
        let file_name = file.file_name().unwrap_or_default().to_string_lossy();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let location = format!("{file_name}:{}", index + 1);
            cases.push(
                parse_case(line)
                    .unwrap_or_else(|e| panic!("{location}: {e}"))
                    .located(location),
            );
        }
    }
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        panic!("corpus case name used twice: {}", pair[0]);
    }
    cases
}

impl Case {
    fn located(mut self, location: String) -> Case {
        self.location = location;
        self
    }
}

fn parse_case(line: &str) -> Result<Case, String> {
    // Only the raw map: parsing the whole line as a `Value` would refuse numbers like 1e400.
    let fields: HashMap<String, &RawValue> =
        serde_json::from_str(line).map_err(|e| e.to_string())?;
    let string_of = |key: &str| -> Option<String> {
        fields
            .get(key)
            .and_then(|v| serde_json::from_str(v.get()).ok())
    };
    let text_of = |key: &str| -> Result<Option<String>, String> {
        let Some(value) = fields.get(key) else {
            return Ok(None);
        };
        // A JSON string stands for raw text that is not itself a JSON object.
        Ok(Some(match serde_json::from_str::<String>(value.get()) {
            Ok(text) => text,
            Err(_) => value.get().to_owned(),
        }))
    };
    let name = string_of("name").ok_or("case has no \"name\" string")?;
    let pattern = text_of("pattern")?.ok_or("case has no \"pattern\"")?;
    let event = text_of("event")?;
    let expect = match string_of("expect").as_deref() {
        Some("match") => Expect::Match,
        Some("no-match") => Expect::NoMatch,
        Some("invalid") => Expect::Invalid {
            reason: string_of("reason"),
        },
        Some("event-error") => Expect::EventError,
        other => return Err(format!("{name}: unknown \"expect\": {other:?}")),
    };
    if event.is_none() && !matches!(expect, Expect::Invalid { .. }) {
        return Err(format!("{name}: case has no \"event\""));
    }
    Ok(Case {
        name,
        location: String::new(),
        pattern,
        event,
        expect,
    })
}
