//! `evmatch-bench`: the citylots2 throughput runner, scaling runs and the event generator.
//!
//! ```text
//! cargo run --release -p evmatch-bench -- citylots [--events N] [--json out.json]
//! cargo run --release -p evmatch-bench -- scaling [--sizes 1,1000,10000,100000] [--fanout mixed,per-user,per-channel] [--json out.json]
//! cargo run --release -p evmatch-bench -- scaling --export DIR
//! cargo run --release -p evmatch-bench -- generate [--events N] [--out FILE]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use evmatch_bench::alloc::CountingAlloc;
use evmatch_bench::citylots::{self, Source};
use evmatch_bench::data::{self, Events};
use evmatch_bench::fanout::{self, Workload};
use evmatch_bench::rules::{Category, CATEGORIES};
use evmatch_bench::scaling::{self, Kind};
use evmatch_bench::{DEFAULT_EVENTS, DEFAULT_SEED};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const USAGE: &str = "\
usage:
  evmatch-bench citylots [options]   throughput per rule category on citylots2 events
      --events N          number of events (default 213068); the file is generated into
                          benches/data/ once and reused
      --seed S            generator seed (decimal or 0x hex)
      --events-file FILE  use this file (one JSON event per line) instead of generating
      --passes P          timed passes per measurement (default 5), after one warm-up pass
      --categories A,B    only these categories (e.g. EXACT,NUMERIC,COMBO)
      --validation V      full (default) or structural: how much of each event is checked
      --batch             time Matcher::matches_batch over all events (prefetches upcoming
                          events) instead of Matcher::matches_with per event
      --no-baselines      skip the serde_json / simd-json parse-only baselines
      --json OUT          also write the results as JSON
      --quiet             no progress on stderr
  evmatch-bench scaling [options]    per-event cost, compile time and memory vs rule count
      --sizes LIST        single-field rule counts (default 1,1000,10000,100000; 0 for none)
      --kinds LIST        exact,prefix,numeric,wildcard (default all)
      --fanout LIST       fan-out workloads: mixed,per-user,per-channel (default all; none to
                          skip)
      --subscribers LIST  fan-out subscriber counts (default 1000,10000,30000,100000 for
                          mixed, 1000,10000,100000 for the others; 0 to skip fan-out)
      --changes N         time subscribing and unsubscribing in a SharedMatcher of N rules of
                          each fan-out workload (default 100000; 0 to skip)
      --change-count K    changes of each kind timed (default 2000)
      --sample N          events: sampled over the citylots2 stream (single-field, mixed) or
                          generated (per-user, per-channel) (default 10000)
      --budget-ms MS      time per measurement round, 3 rounds (default 1000)
      --seed S            generator seed
      --json OUT          also write the results as JSON
      --validation V      full (default) or structural
      --export DIR        write the fan-out workloads as rule, event and per-rule count files
                          into DIR (see benches/README.md) instead of measuring
  evmatch-bench generate [options]   write citylots2 events, one per line
      --events N          number of events (default 213068)
      --seed S            generator seed
      --out FILE          output (default: the cache file in benches/data/)
  evmatch-bench categories           list rule categories and files
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("citylots") => cmd_citylots(&args[1..]),
        Some("scaling") => cmd_scaling(&args[1..]),
        Some("generate") => cmd_generate(&args[1..]),
        Some("categories") => {
            for c in CATEGORIES {
                println!("{:<28} {}", c.name, c.path().display());
            }
            Ok(())
        }
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("expected a subcommand\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("evmatch-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--flag value` pairs and bare `--switch`es.
struct Args {
    items: Vec<(String, Option<String>)>,
}

impl Args {
    fn parse(args: &[String], switches: &[&str], valued: &[&str]) -> Result<Args, String> {
        let mut items = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
                _ => (a.as_str(), None),
            };
            if switches.contains(&flag) && inline.is_none() {
                items.push((flag.to_owned(), None));
            } else if valued.contains(&flag) {
                let v = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| format!("{flag} needs a value"))?,
                };
                items.push((flag.to_owned(), Some(v)));
            } else {
                return Err(format!("unknown argument {a:?}\n\n{USAGE}"));
            }
        }
        Ok(Args { items })
    }

    fn value(&self, flag: &str) -> Option<&str> {
        self.items
            .iter()
            .rev()
            .find(|(f, _)| f == flag)
            .and_then(|(_, v)| v.as_deref())
    }

    fn has(&self, flag: &str) -> bool {
        self.items.iter().any(|(f, _)| f == flag)
    }

    fn count(&self, flag: &str) -> Result<Option<usize>, String> {
        self.value(flag).map(parse_count).transpose()
    }

    fn seed(&self) -> Result<u64, String> {
        match self.value("--seed") {
            None => Ok(DEFAULT_SEED),
            Some(s) => {
                let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
                    None => s.replace('_', "").parse(),
                };
                parsed.map_err(|_| format!("bad --seed {s:?}"))
            }
        }
    }
}

/// `213068`, `213_068` or `213,068`.
fn parse_count(s: &str) -> Result<usize, String> {
    s.replace(['_', ','], "")
        .parse()
        .map_err(|_| format!("not a count: {s:?}"))
}

fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty())
}

fn write_json(path: &str, value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{path}: {e}"))?;
    eprintln!("wrote {path}");
    Ok(())
}

fn cmd_citylots(args: &[String]) -> Result<(), String> {
    let args = Args::parse(
        args,
        &["--no-baselines", "--quiet", "--batch"],
        &[
            "--events",
            "--seed",
            "--events-file",
            "--passes",
            "--categories",
            "--json",
            "--validation",
        ],
    )?;
    let n = args.count("--events")?;
    let seed = args.seed()?;
    let mut opts = citylots::Options {
        passes: args.count("--passes")?.unwrap_or(5).max(1),
        baselines: !args.has("--no-baselines"),
        progress: !args.has("--quiet"),
        batch: args.has("--batch"),
        ..citylots::Options::default()
    };
    opts.validation = validation_option(&args)?;
    if let Some(cats) = args.value("--categories") {
        opts.categories = list(cats)
            .map(|c| Category::find(c).ok_or_else(|| format!("unknown category {c:?}")))
            .collect::<Result<_, _>>()?;
    }

    let (events, source) = match args.value("--events-file") {
        Some(file) => {
            let mut events =
                Events::load(&PathBuf::from(file)).map_err(|e| format!("{file}: {e}"))?;
            if let Some(n) = n {
                events.truncate(n);
            }
            (events, Source::File)
        }
        None => {
            let n = n.unwrap_or(DEFAULT_EVENTS);
            let (events, fresh) = data::ensure_events(seed, n).map_err(|e| e.to_string())?;
            (events, Source::Generated { seed, fresh })
        }
    };
    if events.is_empty() {
        return Err("no events".to_owned());
    }
    eprintln!(
        "citylots: {} events, {} categories, {} timed passes each",
        events.len(),
        opts.categories.len(),
        opts.passes
    );
    let report = citylots::run(&opts, &events, source)?;
    print!("{}", report.table());
    if let Some(path) = args.value("--json") {
        write_json(path, &report.to_json())?;
    }
    Ok(())
}

fn cmd_scaling(args: &[String]) -> Result<(), String> {
    let args = Args::parse(
        args,
        &[],
        &[
            "--sizes",
            "--kinds",
            "--fanout",
            "--subscribers",
            "--changes",
            "--change-count",
            "--sample",
            "--budget-ms",
            "--seed",
            "--json",
            "--validation",
            "--export",
        ],
    )?;
    let validation = validation_option(&args)?;
    let sizes: Vec<usize> = match args.value("--sizes") {
        Some(s) => list(s)
            .map(parse_count)
            .filter(|n| n.as_ref().map_or(true, |&n| n > 0))
            .collect::<Result<_, _>>()?,
        None => vec![1, 1_000, 10_000, 100_000],
    };
    let kinds: Vec<Kind> = match args.value("--kinds") {
        Some(s) => list(s)
            .map(|k| Kind::parse(k).ok_or_else(|| format!("unknown kind {k:?}")))
            .collect::<Result<_, _>>()?,
        None => Kind::ALL.to_vec(),
    };
    let workloads: Vec<Workload> = match args.value("--fanout") {
        Some("none") => Vec::new(),
        Some(s) => list(s)
            .map(|w| Workload::parse(w).ok_or_else(|| format!("unknown fan-out workload {w:?}")))
            .collect::<Result<_, _>>()?,
        None => Workload::ALL.to_vec(),
    };
    let subscribers: Option<Vec<usize>> = match args.value("--subscribers") {
        Some(s) => Some(
            list(s)
                .map(parse_count)
                .filter(|n| n.as_ref().map_or(true, |&n| n > 0))
                .collect::<Result<_, _>>()?,
        ),
        None => None,
    };
    let subscribers_of = |w: Workload| -> Vec<usize> {
        subscribers
            .clone()
            .unwrap_or_else(|| w.default_subscribers().to_vec())
    };
    let sample = args.count("--sample")?.unwrap_or(10_000).max(1);
    let budget = Duration::from_millis(args.count("--budget-ms")?.unwrap_or(1000).max(1) as u64);
    let seed = args.seed()?;

    if let Some(dir) = args.value("--export") {
        let dir = PathBuf::from(dir);
        let mut manifest = Vec::new();
        for &w in &workloads {
            eprintln!("export: {}", w.name());
            let events = w.events(seed, sample);
            manifest.push(fanout::export(&dir, w, &subscribers_of(w), &events, seed)?);
        }
        fanout::write_manifest(&dir, manifest)?;
        eprintln!("wrote {}", dir.display());
        return Ok(());
    }

    let mut rows = Vec::new();
    if !kinds.is_empty() && !sizes.is_empty() {
        eprintln!("scaling: sampling {sample} events");
        let events = scaling::sample_events(seed, sample, DEFAULT_EVENTS);
        for &kind in &kinds {
            for &size in &sizes {
                eprintln!("scaling: {} × {size}", kind.name());
                let rules = scaling::single_field_rules(kind, size);
                rows.push(scaling::measure(
                    kind.name(),
                    kind.field(),
                    &rules,
                    &events,
                    budget,
                    validation,
                )?);
            }
        }
    }
    let mut fanout_rows = Vec::new();
    for &w in &workloads {
        let subs = subscribers_of(w);
        if subs.is_empty() {
            continue;
        }
        let events = w.events(seed, sample);
        fanout_rows.extend(fanout::measure(
            w,
            &subs,
            &events,
            budget,
            validation,
            |what| eprintln!("scaling: fan-out {what}"),
        )?);
    }
    let change_rules = args.count("--changes")?.unwrap_or(100_000);
    let change_count = args.count("--change-count")?.unwrap_or(2_000).max(1);
    let mut changes = Vec::new();
    if change_rules > 0 {
        for &w in &workloads {
            eprintln!("scaling: changes in {change_rules} {} rules", w.name());
            changes.push(fanout::changes(w, change_rules, change_count)?);
        }
    }
    print!("{}", scaling::table(&rows, sample));
    if !fanout_rows.is_empty() {
        print!("{}", fanout::table(&fanout_rows));
    }
    if !changes.is_empty() {
        print!("{}", fanout::changes_table(&changes));
    }
    if let Some(path) = args.value("--json") {
        let mut value = scaling::to_json(&rows, sample, seed);
        value["fanout"] = scaling::rows_json(&fanout_rows);
        value["changes"] = fanout::changes_json(&changes);
        write_json(path, &value)?;
    }
    Ok(())
}

/// `--validation full|structural` (default full).
fn validation_option(args: &Args) -> Result<evmatch::Validation, String> {
    match args.value("--validation") {
        None | Some("full") => Ok(evmatch::Validation::Full),
        Some("structural") => Ok(evmatch::Validation::Structural),
        Some(other) => Err(format!(
            "--validation: expected full or structural, got {other:?}"
        )),
    }
}

fn cmd_generate(args: &[String]) -> Result<(), String> {
    let args = Args::parse(args, &[], &["--events", "--seed", "--out"])?;
    let n = args.count("--events")?.unwrap_or(DEFAULT_EVENTS);
    let seed = args.seed()?;
    let path = args
        .value("--out")
        .map_or_else(|| data::events_path(seed, n), PathBuf::from);
    data::write_events(&path, seed, n).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {n} events to {}", path.display());
    Ok(())
}
