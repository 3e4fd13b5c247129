//! evmatch: match JSON events against AWS EventBridge event patterns.
//!
//! (Crate docs are completed with the public API.)

mod casefold;
mod error;
mod json;
pub mod limits;
mod pattern;
mod reference;
mod matcher;

pub use error::{EventError, PatternError};
pub use matcher::Matcher;
pub use pattern::Pattern;
