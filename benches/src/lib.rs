//! Benchmarks for evmatch on the citylots2 workload.
//!
//! - [`gen`]: a deterministic, seeded generator of citylots2-shaped events;
//! - [`rules`]: the rule sets in `benches/rules/*.json` and their loader;
//! - [`data`]: the cached events file in `benches/data/` and in-memory event lists;
//! - [`citylots`]: the throughput runner (`evmatch-bench citylots`);
//! - [`scaling`]: rule-count scaling runs (`evmatch-bench scaling`);
//! - [`fanout`]: the fan-out workloads (mixed, per-user, per-channel), their export and the
//!   rule-change measurement; [`busevents`]: the EventBridge-shaped events and rules of the
//!   per-user and per-channel workloads;
//! - [`report`]: timing statistics, progress lines and number formatting;
//! - [`alloc`]: a counting global allocator for bytes-per-rule figures.

pub mod alloc;
pub mod busevents;
pub mod citylots;
pub mod data;
pub mod fanout;
pub mod gen;
pub mod report;
pub mod rules;
pub mod scaling;
pub mod streets;

pub use gen::{generate, generate_to_vec, Generator, Rng, DEFAULT_EVENTS, DEFAULT_SEED};
