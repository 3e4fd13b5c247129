//! The generator is deterministic, well-formed and citylots2-shaped.

use evmatch_bench::gen::{generate, generate_to_vec, Generator, Rng, GENERATOR_VERSION};
use evmatch_bench::streets::all_streets;
use evmatch_bench::DEFAULT_SEED;
use serde_json::Value;

const N: usize = 2_000;

/// FNV-1a, 64 bits: a fixed, platform-independent digest.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn same_seed_same_bytes() {
    let a = generate_to_vec(DEFAULT_SEED, N);
    let b = generate_to_vec(DEFAULT_SEED, N);
    assert_eq!(a, b);
    let mut streamed = Vec::new();
    generate(DEFAULT_SEED, N, &mut streamed).unwrap();
    assert_eq!(a, streamed);
}

#[test]
fn different_seed_different_bytes() {
    assert_ne!(generate_to_vec(1, 200), generate_to_vec(2, 200));
}

/// A shorter run is a prefix of a longer one, so `--events N` takes the first N of the stream.
#[test]
fn shorter_runs_are_prefixes() {
    let long = generate_to_vec(7, N);
    let short = generate_to_vec(7, N / 3);
    assert!(long.starts_with(&short));
}

/// Pins the exact bytes. If the generator changes on purpose, bump `GENERATOR_VERSION` (the
/// cached data file name carries it) and update the digest here.
#[test]
fn golden_digest() {
    let bytes = generate_to_vec(DEFAULT_SEED, N);
    assert_eq!(GENERATOR_VERSION, 1);
    assert_eq!(
        (bytes.len(), fnv1a(&bytes)),
        (GOLDEN_LEN, GOLDEN_FNV),
        "generator output changed: bump GENERATOR_VERSION and update the golden digest"
    );
}
const GOLDEN_LEN: usize = 1_706_471;
const GOLDEN_FNV: u64 = 677_599_631_326_014_643;

#[test]
fn rng_is_splitmix64() {
    // Reference values of splitmix64 seeded with 0 (Vigna's reference implementation).
    let mut r = Rng::new(0);
    assert_eq!(r.next_u64(), 0xe220_a839_7b1d_cdaf);
    assert_eq!(r.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    for n in [1, 2, 3, 10, 1000] {
        assert!((0..100).all(|_| r.below(n) < n));
    }
}

#[test]
fn events_are_citylots2_shaped() {
    let bytes = generate_to_vec(DEFAULT_SEED, N);
    let text = std::str::from_utf8(&bytes).expect("UTF-8");
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), N);
    let avg = bytes.len() / N;
    assert!((600..1_100).contains(&avg), "average event size {avg}");

    let mut polygons = 0;
    let mut multi = 0;
    let mut streets = std::collections::HashSet::new();
    for line in &lines {
        let v: Value = serde_json::from_str(line).expect("valid JSON");
        assert_eq!(v["type"], "Feature");
        let p = v["properties"].as_object().expect("properties");
        for key in ["MAPBLKLOT", "BLKLOT", "BLOCK_NUM", "LOT_NUM"] {
            assert!(p[key].is_string(), "{key} in {line}");
        }
        if let Some(s) = p.get("STREET").and_then(Value::as_str) {
            streets.insert(s.to_owned());
        }
        if let Some(from) = p.get("FROM_ST").and_then(Value::as_str) {
            assert!(from.bytes().all(|b| b.is_ascii_digit()), "FROM_ST {from}");
        }
        let g = &v["geometry"];
        if g.is_null() {
            continue;
        }
        match g["type"].as_str() {
            Some("Polygon") => polygons += 1,
            Some("MultiPolygon") => multi += 1,
            other => panic!("geometry type {other:?}"),
        }
        // Every coordinate is an {x, y, z} object inside the expected box.
        let mut points = Vec::new();
        collect_points(&g["coordinates"], &mut points);
        assert!(points.len() >= 4, "{line}");
        for pt in &points {
            let x = pt["x"].as_f64().unwrap();
            let y = pt["y"].as_f64().unwrap();
            assert!((-122.51..=-122.34).contains(&x), "x {x}");
            assert!((37.69..=37.84).contains(&y), "y {y}");
            assert!(pt["z"].is_number());
        }
        if let Some(first) = g.get("firstCoordinates") {
            assert_eq!(first, points[0]);
        }
    }
    assert!(polygons > N * 9 / 10);
    assert!(multi > 0, "no multipolygon in the first {N} events");
    assert!(streets.len() > 30, "only {} streets", streets.len());
}

fn collect_points<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect_points(i, out)),
        Value::Object(_) => out.push(v),
        _ => panic!("unexpected coordinate value {v}"),
    }
}

/// Rings are closed and hold 4 to 30 points; coordinates keep up to 15 decimals.
#[test]
fn rings_and_precision() {
    let mut g = Generator::new(3);
    let mut buf = Vec::new();
    let mut long_decimals = 0;
    for _ in 0..500 {
        buf.clear();
        g.next_event(&mut buf);
        let v: Value = serde_json::from_slice(&buf).unwrap();
        if v["geometry"]["type"] == "Polygon" {
            for ring in v["geometry"]["coordinates"].as_array().unwrap() {
                let ring = ring.as_array().unwrap();
                assert!((4..=30).contains(&ring.len()), "ring of {}", ring.len());
                assert_eq!(ring.first(), ring.last());
            }
        }
        let text = String::from_utf8_lossy(&buf);
        let x = text.split("\"x\":").nth(1).unwrap();
        let decimals = x.split(['.', ',']).nth(1).unwrap().len();
        assert!(decimals <= 15);
        if decimals >= 14 {
            long_decimals += 1;
        }
    }
    assert!(long_decimals > 400, "full precision is the norm");
}

#[test]
fn street_names_are_unique_and_plain() {
    let streets = all_streets();
    assert!(streets.len() >= 300, "{} streets", streets.len());
    let mut seen = std::collections::HashSet::new();
    // A name may come with two types (2ND AVE and 2ND ST), but each pair once.
    for (name, ty) in &streets {
        assert!(
            seen.insert((name.clone(), *ty)),
            "duplicate street {name} {ty:?}"
        );
        assert!(!name.contains(['"', '\\']));
        assert_eq!(name.trim(), name);
    }
}
