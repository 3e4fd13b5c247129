//! Writes the repository's seed inputs for the text targets, one file each:
//! `<out-dir>/parse_pattern/` gets every corpus pattern, `<out-dir>/match_event/` and
//! `<out-dir>/validate/` every corpus event and the first example events (200 lines by
//! default). scripts/fuzz.sh runs it to fill libFuzzer's corpus directories:
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds -- <out-dir> [example-lines]`

use std::path::PathBuf;

use evmatch_fuzz::seeds::{repo_root, seed_file_name, seed_texts};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().expect("usage: seeds <out-dir> [example-lines]"));
    let example_lines = args
        .next()
        .map(|n| n.parse().expect("example-lines is a number"))
        .unwrap_or(200);
    let seeds = seed_texts(&repo_root(), example_lines)?;
    for (target, texts) in [
        ("parse_pattern", &seeds.patterns),
        ("match_event", &seeds.events),
        ("validate", &seeds.events),
    ] {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir)?;
        for text in texts {
            std::fs::write(dir.join(seed_file_name(text.as_bytes())), text)?;
        }
        println!("{target}: {} seeds", texts.len());
    }
    Ok(())
}
