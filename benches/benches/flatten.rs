//! Flattening: the cost of reading an event into matchable form, by event size.
//!
//! evmatch has no public flatten step, so this times `matches` with one rule on a field no
//! event has: the engine must still read the whole event (the JSON is validated), but no rule
//! work remains. Beside it, serde_json (to `Value`) and simd-json (to its borrowed value) parse
//! the same bytes. Run with `cargo bench -p evmatch-bench --bench flatten`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use evmatch::Matcher;
use evmatch_bench::gen::Generator;
use evmatch_bench::DEFAULT_SEED;

/// The first events of the default stream whose polygons have 4, 5, 10, 20 and 30 points, and
/// the first multipolygon.
fn events() -> Vec<(String, Vec<u8>)> {
    let mut wanted: Vec<(String, usize)> = [4, 5, 10, 20, 30]
        .iter()
        .map(|n| (format!("{n}-points"), *n))
        .collect();
    let mut out = Vec::new();
    let mut g = Generator::new(DEFAULT_SEED);
    let mut multi = false;
    for _ in 0..200_000 {
        let mut buf = Vec::new();
        g.next_event(&mut buf);
        let text = std::str::from_utf8(&buf).expect("UTF-8");
        if !multi && text.contains("\"MultiPolygon\"") {
            multi = true;
            out.push((usize::MAX, "multipolygon".to_owned(), buf));
            continue;
        }
        // Single-ring polygons only: count the point objects.
        if !text.contains("\"Polygon\"") || text.contains("]],[[") || text.contains("]],[{") {
            continue;
        }
        let points =
            text.matches("{\"x\":").count() - usize::from(text.contains("firstCoordinates"));
        if let Some(i) = wanted.iter().position(|(_, n)| *n == points) {
            let (name, n) = wanted.remove(i);
            out.push((n, name, buf));
        }
        if wanted.is_empty() && multi {
            break;
        }
    }
    out.sort_by_key(|(n, _, _)| *n);
    out.into_iter().map(|(_, name, buf)| (name, buf)).collect()
}

fn flatten(c: &mut Criterion) {
    let mut m = Matcher::new();
    m.add_rule("absent", r#"{"properties":{"NO_SUCH_FIELD":["x"]}}"#)
        .expect("valid pattern");
    let mut group = c.benchmark_group("flatten");
    for (name, event) in events() {
        group.throughput(Throughput::Bytes(event.len() as u64));
        group.bench_with_input(BenchmarkId::new("evmatch", &name), &event, |b, e| {
            b.iter(|| m.matches(black_box(e)).map(|v| v.len()))
        });
        group.bench_with_input(BenchmarkId::new("serde_json", &name), &event, |b, e| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(e)).is_ok())
        });
        let mut buf = Vec::with_capacity(event.len());
        let mut buffers = simd_json::Buffers::default();
        group.bench_with_input(BenchmarkId::new("simd-json", &name), &event, |b, e| {
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(black_box(e));
                simd_json::to_borrowed_value_with_buffers(&mut buf, &mut buffers).is_ok()
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = flatten
}
criterion_main!(benches);
