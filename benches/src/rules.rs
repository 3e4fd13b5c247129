//! The citylots2 rule sets: `benches/rules/<file>.json`, each `{"rule-name": pattern, ...}`.
//!
//! Rules are loaded in file order with each pattern's exact source text, so every engine fed the
//! same file sees the same bytes.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A named rule set of the citylots2 workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// Upper-case name, as in aws/event-ruler's benchmarks (`EXACT`, `ANYTHING-BUT-PREFIX`).
    pub name: &'static str,
    /// File name inside `benches/rules/`.
    pub file: &'static str,
}

/// Every category, in the order the runner reports them.
pub const CATEGORIES: &[Category] = &[
    Category {
        name: "EXACT",
        file: "exact.json",
    },
    Category {
        name: "WILDCARD",
        file: "wildcard.json",
    },
    Category {
        name: "PREFIX",
        file: "prefix.json",
    },
    Category {
        name: "PREFIX_EQUALS_IGNORE_CASE",
        file: "prefix_equals_ignore_case.json",
    },
    Category {
        name: "SUFFIX",
        file: "suffix.json",
    },
    Category {
        name: "SUFFIX_EQUALS_IGNORE_CASE",
        file: "suffix_equals_ignore_case.json",
    },
    Category {
        name: "EQUALS_IGNORE_CASE",
        file: "equals_ignore_case.json",
    },
    Category {
        name: "NUMERIC",
        file: "numeric.json",
    },
    Category {
        name: "ANYTHING-BUT",
        file: "anything_but.json",
    },
    Category {
        name: "ANYTHING-BUT-IGNORE-CASE",
        file: "anything_but_ignore_case.json",
    },
    Category {
        name: "ANYTHING-BUT-PREFIX",
        file: "anything_but_prefix.json",
    },
    Category {
        name: "ANYTHING-BUT-SUFFIX",
        file: "anything_but_suffix.json",
    },
    Category {
        name: "ANYTHING-BUT-WILDCARD",
        file: "anything_but_wildcard.json",
    },
    Category {
        name: "COMPLEX_ARRAYS",
        file: "complex_arrays.json",
    },
    Category {
        name: "PARTIAL_COMBO",
        file: "partial_combo.json",
    },
    Category {
        name: "COMBO",
        file: "combo.json",
    },
];

impl Category {
    /// The category called `name`, compared ignoring case and treating `-` and `_` alike.
    pub fn find(name: &str) -> Option<Category> {
        let norm = |s: &str| s.to_ascii_uppercase().replace('-', "_");
        let want = norm(name);
        CATEGORIES.iter().copied().find(|c| norm(c.name) == want)
    }

    /// Where this category's rules live.
    pub fn path(&self) -> PathBuf {
        rules_dir().join(self.file)
    }
}

/// `benches/rules/`.
pub fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

/// One named pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The rule's name (the key in the file).
    pub name: String,
    /// The pattern's source text, exactly as in the file.
    pub pattern: String,
}

/// A rule file that could not be read or is malformed.
#[derive(Debug)]
pub struct RulesError {
    /// The file, if the rules came from one.
    pub path: Option<PathBuf>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RulesError {}

fn err(message: impl Into<String>) -> RulesError {
    RulesError {
        path: None,
        message: message.into(),
    }
}

/// Read a rule file.
pub fn load_rules(path: &Path) -> Result<Vec<Rule>, RulesError> {
    let text = std::fs::read_to_string(path).map_err(|e| RulesError {
        path: Some(path.to_owned()),
        message: e.to_string(),
    })?;
    parse_rules(&text).map_err(|e| RulesError {
        path: Some(path.to_owned()),
        message: e.message,
    })
}

/// Parse `{"name": pattern, ...}`: names must be unique and every pattern a JSON object.
/// Rules come back in file order, each with its pattern's exact text.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, RulesError> {
    // Validate the whole document first, for good error messages.
    let doc: Value = serde_json::from_str(text).map_err(|e| err(format!("invalid JSON: {e}")))?;
    if !doc.is_object() {
        return Err(err(
            "a rule file must be a JSON object {\"name\": pattern, ...}",
        ));
    }
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    debug_assert_eq!(bytes.get(pos), Some(&b'{'));
    pos = skip_ws(bytes, pos + 1);
    let mut rules: Vec<Rule> = Vec::new();
    if bytes.get(pos) == Some(&b'}') {
        return Ok(rules);
    }
    loop {
        let (key, next) = one_value(text, pos)?;
        let Value::String(name) = key else {
            return Err(err("rule names must be strings"));
        };
        pos = skip_ws(bytes, next);
        if bytes.get(pos) != Some(&b':') {
            return Err(err(format!("expected ':' after rule name {name:?}")));
        }
        pos = skip_ws(bytes, pos + 1);
        let (pattern, next) = one_value(text, pos)?;
        if !pattern.is_object() {
            return Err(err(format!(
                "rule {name:?}: a pattern must be a JSON object"
            )));
        }
        if rules.iter().any(|r| r.name == name) {
            return Err(err(format!("duplicate rule name {name:?}")));
        }
        rules.push(Rule {
            name,
            pattern: text[pos..next].to_owned(),
        });
        pos = skip_ws(bytes, next);
        match bytes.get(pos) {
            Some(b',') => pos = skip_ws(bytes, pos + 1),
            Some(b'}') => break,
            _ => return Err(err("expected ',' or '}' between rules")),
        }
    }
    Ok(rules)
}

/// Parse one JSON value starting at `pos`; returns it and the offset just after it.
fn one_value(text: &str, pos: usize) -> Result<(Value, usize), RulesError> {
    let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v)) => Ok((v, pos + stream.byte_offset())),
        Some(Err(e)) => Err(err(format!("invalid JSON: {e}"))),
        None => Err(err("unexpected end of file")),
    }
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}
