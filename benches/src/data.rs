//! The events file: generated once into `benches/data/` (git-ignored) and reused.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::gen::{generate_with_progress, GENERATOR_VERSION};
use crate::report::Progress;

/// `benches/data/`.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// The cache file for `events` events of `seed`; the generator version is part of the name, so
/// a changed generator never reuses stale data.
pub fn events_path(seed: u64, events: usize) -> PathBuf {
    data_dir().join(format!(
        "citylots2-v{GENERATOR_VERSION}-seed{seed:x}-{events}.jsonl"
    ))
}

/// Generate `events` events of `seed` into `path` (through a temporary file, renamed at the end,
/// so an interrupted run never leaves a truncated file behind).
pub fn write_events(path: &Path, seed: u64, events: usize) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = (|| {
        let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(&tmp)?);
        let mut progress = Progress::new("generating", events as u64);
        generate_with_progress(seed, events, &mut w, |written| {
            progress.tick(written as u64)
        })?;
        w.flush()?;
        progress.finish();
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The cached events file for `(seed, events)`, generated if absent or damaged. Returns the
/// loaded events and whether they were generated now.
pub fn ensure_events(seed: u64, events: usize) -> io::Result<(Events, bool)> {
    let path = events_path(seed, events);
    if path.exists() {
        let loaded = Events::load(&path)?;
        if loaded.len() == events {
            eprintln!("reusing {}", path.display());
            return Ok((loaded, false));
        }
        eprintln!(
            "{}: holds {} events, expected {events}; regenerating",
            path.display(),
            loaded.len()
        );
    }
    let start = Instant::now();
    write_events(&path, seed, events)?;
    eprintln!(
        "generated {events} events into {} in {:.1} s",
        path.display(),
        start.elapsed().as_secs_f64()
    );
    Ok((Events::load(&path)?, true))
}

/// Events held in memory: one buffer, one range per non-empty line.
#[derive(Debug, Clone, Default)]
pub struct Events {
    /// Where they came from, if a file.
    pub path: Option<PathBuf>,
    bytes: Vec<u8>,
    lines: Vec<Range<usize>>,
}

impl Events {
    /// Split `bytes` into events, one per non-empty line (a trailing `\r` is dropped).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        let mut lines = Vec::new();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                push_line(&bytes, &mut lines, start..i);
                start = i + 1;
            }
        }
        push_line(&bytes, &mut lines, start..bytes.len());
        Self {
            path: None,
            bytes,
            lines,
        }
    }

    /// Read a file of one JSON event per line.
    pub fn load(path: &Path) -> io::Result<Self> {
        let mut events = Self::from_bytes(fs::read(path)?);
        events.path = Some(path.to_owned());
        Ok(events)
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// No events at all.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Bytes of all events, newlines excluded.
    pub fn event_bytes(&self) -> u64 {
        self.lines.iter().map(|r| r.len() as u64).sum()
    }

    /// Event `i`.
    pub fn get(&self, i: usize) -> &[u8] {
        &self.bytes[self.lines[i].clone()]
    }

    /// Every event, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.lines.iter().map(|r| &self.bytes[r.clone()])
    }

    /// Keep the first `n` events only.
    pub fn truncate(&mut self, n: usize) {
        self.lines.truncate(n);
    }
}

fn push_line(bytes: &[u8], lines: &mut Vec<Range<usize>>, mut r: Range<usize>) {
    if r.end > r.start && bytes[r.end - 1] == b'\r' {
        r.end -= 1;
    }
    if bytes[r.clone()].iter().any(|b| !b.is_ascii_whitespace()) {
        lines.push(r);
    }
}
