//! `evmatch`: test events against AWS EventBridge event patterns from the command line.
//!
//! - `evmatch test-event-pattern --event-pattern <JSON> --event <JSON>`: `aws events
//!   test-event-pattern`, offline.
//! - `evmatch filter --rules <FILE> [EVENTS]`: JSON Lines events through named rules.
//! - `evmatch validate <JSON>`: is a pattern valid.
//!
//! Exit status: 0 success, 2 usage error or invalid input, 255 I/O error.

mod args;
mod filter;

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::process::ExitCode;

use args::Action;

/// Usage errors and invalid patterns, events or rules files.
const EXIT_INVALID: u8 = 2;
/// An input cannot be read or the output cannot be written.
const EXIT_IO: u8 = 255;

/// AWS's envelope: `TestEventPattern` refuses an event without any of these (`resources` may
/// be absent, although AWS's documentation lists it too).
const ENVELOPE_FIELDS: [&str; 6] = ["id", "account", "source", "time", "region", "detail-type"];

/// Why a command stops early. `main` prints it and picks the exit status.
#[derive(Debug)]
pub enum Failure {
    Usage(args::UsageError),
    /// Exit status 2; the message is printed as is.
    Invalid(String),
    /// Exit status 255.
    Io(String),
    /// Whoever reads our output has gone (`evmatch filter ... | head`): stop quietly, status 0.
    BrokenPipe,
}

impl Failure {
    /// An output error: a closed pipe is not a failure of ours.
    pub fn output(err: io::Error) -> Failure {
        if err.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Io(format!("evmatch: cannot write output: {err}"))
        }
    }

    fn report(self) -> u8 {
        let (message, code) = match self {
            Failure::Usage(err) => (err.to_string(), EXIT_INVALID),
            Failure::Invalid(message) => (message, EXIT_INVALID),
            Failure::Io(message) => (message, EXIT_IO),
            Failure::BrokenPipe => return 0,
        };
        // If stderr is gone too, there is no one left to tell.
        let _ = writeln!(io::stderr().lock(), "{message}");
        code
    }
}

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    let result = match args {
        Ok(args) => args::parse(&args).map_err(Failure::Usage).and_then(run),
        Err(arg) => Err(Failure::Usage(args::UsageError {
            command: None,
            message: format!("argument is not valid UTF-8: {}", arg.to_string_lossy()),
        })),
    };
    ExitCode::from(match result {
        Ok(()) => 0,
        Err(failure) => failure.report(),
    })
}

fn run(action: Action) -> Result<(), Failure> {
    match action {
        Action::Help(None) => print(args::TOP_HELP),
        Action::Help(Some(command)) => print(command.help()),
        Action::Version => print(&format!("evmatch {}\n", args::VERSION)),
        Action::TestEventPattern { pattern, event } => test_event_pattern(pattern, event),
        Action::Filter { rules, events } => filter::run(&rules, events.as_deref()),
        Action::Validate { pattern } => {
            let text = if pattern == "-" {
                let mut text = Vec::new();
                io::stdin().lock().read_to_end(&mut text).map_err(|e| {
                    Failure::Io(format!("evmatch validate: cannot read standard input: {e}"))
                })?;
                text
            } else {
                load_param("pattern", pattern)?
            };
            parse_pattern(&text)?;
            print("OK\n")
        }
    }
}

fn print(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Failure::output)
}

/// `aws events test-event-pattern`: the pattern is checked first, then the event's envelope,
/// then the event is matched (its original bytes, through the engine).
fn test_event_pattern(pattern: String, event: String) -> Result<(), Failure> {
    let pattern = load_param("--event-pattern", pattern)?;
    let event = load_param("--event", event)?;
    let pattern = parse_pattern(&pattern)?;
    let invalid_event = || Failure::Invalid("Parameter Event is not valid.".to_owned());
    if !has_envelope(&event) {
        return Err(invalid_event());
    }
    let result = pattern.matches(&event).map_err(|_| invalid_event())?;
    print(&format!("{{\"Result\": {result}}}\n"))
}

/// A parameter's text: the argument itself, or with `file://`, the named file's contents.
fn load_param(name: &str, arg: String) -> Result<Vec<u8>, Failure> {
    match arg.strip_prefix("file://") {
        Some(path) => std::fs::read(path).map_err(|e| {
            Failure::Io(format!(
                "Error parsing parameter '{name}': Unable to load paramfile {arg}: {e}"
            ))
        }),
        None => Ok(arg.into_bytes()),
    }
}

pub fn pattern_error(reason: impl std::fmt::Display) -> String {
    format!("Event pattern is not valid. Reason: {reason}")
}

fn parse_pattern(text: &[u8]) -> Result<evmatch::Pattern, Failure> {
    let text = std::str::from_utf8(text).map_err(|e| {
        Failure::Invalid(pattern_error(format_args!(
            "invalid UTF-8 at byte {}",
            e.valid_up_to()
        )))
    })?;
    evmatch::Pattern::parse(text).map_err(|e| Failure::Invalid(pattern_error(e)))
}

/// Whether `event` is a JSON object holding every envelope field. Values are skipped without
/// being built (and without serde_json's recursion limit).
fn has_envelope(event: &[u8]) -> bool {
    serde_json::from_slice::<HashMap<String, serde::de::IgnoredAny>>(event)
        .is_ok_and(|fields| ENVELOPE_FIELDS.iter().all(|f| fields.contains_key(*f)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use args::Command;

    #[test]
    fn envelope() {
        let full =
            br#"{"id":"1","account":"1","source":"s","time":"t","region":"r","detail-type":"d"}"#;
        assert!(has_envelope(full));
        // Escapes in keys are decoded; values are not looked at.
        assert!(has_envelope(
            br#"{"i\u0064":null,"account":1,"source":[],"time":{},"region":"r","detail-type":"d"}"#
        ));
        assert!(!has_envelope(
            br#"{"id":"1","account":"1","source":"s","time":"t","region":"r"}"#
        ));
        assert!(!has_envelope(b"[]"));
        assert!(!has_envelope(b"{"));
        // Deeper than serde_json's recursion limit of 128 is fine.
        let deep = format!(
            r#"{{"id":"1","account":"1","source":"s","time":"t","region":"r","detail-type":"d","x":{}1{}}}"#,
            "[".repeat(500),
            "]".repeat(500)
        );
        assert!(has_envelope(deep.as_bytes()));
    }

    #[test]
    fn command_names_round_trip() {
        for c in [
            Command::TestEventPattern,
            Command::Filter,
            Command::Validate,
        ] {
            assert!(c.usage().contains(c.name()));
            assert!(c.help().contains(c.usage().trim_start_matches("usage: ")));
        }
    }
}
