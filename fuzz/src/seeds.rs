//! Seed inputs taken from the repository: the conformance corpus's pattern and event texts and
//! the bundled example events.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

/// The repository root (the directory above `fuzz/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/ has a parent")
        .to_path_buf()
}

/// Texts to seed the text targets with.
#[derive(Debug, Default)]
pub struct SeedTexts {
    /// Every pattern of `corpus/*.jsonl`, as raw text (valid or not), each once.
    pub patterns: Vec<String>,
    /// Every event of `corpus/*.jsonl`, then the first `example_lines` lines of
    /// `examples/events.jsonl` (bad lines included), each once.
    pub events: Vec<String>,
}

/// A case's `pattern` or `event` as the raw text it stands for: a JSON string holds the raw text;
/// any other value is its own text.
fn raw_text(value: &RawValue) -> String {
    let text = value.get();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).expect("a JSON string")
    } else {
        text.to_owned()
    }
}

fn push_new(list: &mut Vec<String>, text: String) {
    if !list.contains(&text) {
        list.push(text);
    }
}

/// Read the seed texts from the repository at `root`.
pub fn seed_texts(root: &Path, example_lines: usize) -> io::Result<SeedTexts> {
    let mut seeds = SeedTexts::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("corpus"))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    for file in files {
        for (n, line) in std::fs::read_to_string(&file)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: HashMap<String, Box<RawValue>> = serde_json::from_str(line).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}:{}: {e}", file.display(), n + 1),
                )
            })?;
            if let Some(pattern) = case.get("pattern") {
                push_new(&mut seeds.patterns, raw_text(pattern));
            }
            if let Some(event) = case.get("event") {
                push_new(&mut seeds.events, raw_text(event));
            }
        }
    }
    let examples = std::fs::read_to_string(root.join("examples/events.jsonl"))?;
    for line in examples.lines().take(example_lines) {
        if !line.is_empty() {
            push_new(&mut seeds.events, line.to_owned());
        }
    }
    Ok(seeds)
}

/// A file name for a seed: FNV-1a of its bytes, in hex.
pub fn seed_file_name(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("seed-{hash:016x}")
}
