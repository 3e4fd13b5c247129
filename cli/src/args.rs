//! Command-line parsing and help text. Hand-written: three subcommands and three options do not
//! need an argument-parsing crate. Errors follow Python's argparse (which the aws cli uses):
//! the usage line, then `<prog>: error: <message>`.

use std::fmt;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Print help (for a command, or the top level) on stdout.
    Help(Option<Command>),
    Version,
    TestEventPattern {
        pattern: String,
        event: String,
    },
    Filter {
        rules: String,
        events: Option<String>,
    },
    Validate {
        pattern: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    TestEventPattern,
    Filter,
    Validate,
}

/// A command line that cannot be understood.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError {
    /// The command whose usage line to show, `None` for the top level.
    pub command: Option<Command>,
    pub message: String,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (usage, prog) = match self.command {
            Some(c) => (c.usage(), format!("evmatch {}", c.name())),
            None => (TOP_USAGE, "evmatch".to_owned()),
        };
        write!(f, "{usage}\n{prog}: error: {}", self.message)
    }
}

const TOP_USAGE: &str = "usage: evmatch <test-event-pattern|filter|validate|help> [<args>...]";

impl Command {
    const ALL: [Command; 3] = [
        Command::TestEventPattern,
        Command::Filter,
        Command::Validate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Command::TestEventPattern => "test-event-pattern",
            Command::Filter => "filter",
            Command::Validate => "validate",
        }
    }

    fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }

    pub fn usage(self) -> &'static str {
        match self {
            Command::TestEventPattern => {
                "usage: evmatch test-event-pattern --event-pattern <JSON|file://PATH> --event <JSON|file://PATH>"
            }
            Command::Filter => "usage: evmatch filter --rules <FILE> [<EVENTS.jsonl>|-]",
            Command::Validate => "usage: evmatch validate <JSON|file://PATH|->",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Command::TestEventPattern => TEST_EVENT_PATTERN_HELP,
            Command::Filter => FILTER_HELP,
            Command::Validate => VALIDATE_HELP,
        }
    }

    fn error(self, message: impl Into<String>) -> UsageError {
        UsageError {
            command: Some(self),
            message: message.into(),
        }
    }

    /// Options that take a value, and how many positional arguments are allowed.
    fn grammar(self) -> (&'static [&'static str], usize) {
        match self {
            Command::TestEventPattern => (&["--event-pattern", "--event"], 0),
            Command::Filter => (&["--rules"], 1),
            Command::Validate => (&[], 1),
        }
    }
}

pub const TOP_HELP: &str = concat!(
    "evmatch ",
    env!("CARGO_PKG_VERSION"),
    ": match JSON events against AWS EventBridge event patterns

Usage: evmatch <command> [<args>...]

Commands:
  test-event-pattern  Test one event against one pattern, like `aws events test-event-pattern`
  filter              Stream JSON Lines events through a file of named rules
  validate            Check that an event pattern is valid
  help [<command>]    Print this help, or a command's (same as `evmatch <command> --help`)

Options:
  -h, --help     Print help
  -V, --version  Print version

A <JSON|file://PATH> argument is JSON text, or file:// and a path to read it from (as in the
aws cli).

Exit status:
  0    success (test-event-pattern: whether or not the event matches)
  2    usage error, invalid event pattern, invalid event, invalid rules file
  255  I/O error: an input cannot be read or the output cannot be written

Example:
  evmatch filter --rules examples/rules.json examples/events.jsonl
"
);

const TEST_EVENT_PATTERN_HELP: &str = r#"Test whether an event matches an event pattern, as `aws events test-event-pattern` does,
without calling AWS.

Usage: evmatch test-event-pattern --event-pattern <JSON|file://PATH> --event <JSON|file://PATH>

Options:
  --event-pattern <JSON|file://PATH>  The event pattern
  --event <JSON|file://PATH>          The event: a JSON object with AWS's envelope fields id,
                                      account, source, time, region and detail-type (resources
                                      may be absent)
  -h, --help                          Print help

Output on stdout, exit status 0:
  {"Result": true}   or   {"Result": false}

Errors on stderr, exit status 2 (the pattern is checked first, as AWS does):
  Event pattern is not valid. Reason: <reason>
  Parameter Event is not valid.
A file:// path that cannot be read: exit status 255.

Example:
  evmatch test-event-pattern --event-pattern '{"source": ["aws.ec2"]}' --event file://event.json
"#;

const FILTER_HELP: &str = r#"Match a stream of events, one JSON object per line (JSON Lines), against named rules.

Usage: evmatch filter --rules <FILE> [<EVENTS.jsonl>|-]

Arguments:
  <EVENTS.jsonl>|-  The events; standard input when absent or `-`

Options:
  --rules <FILE>    A JSON object mapping rule names to event patterns:
                    {"name": {...pattern...}, ...}
  -h, --help        Print help

Output on stdout, for each event that matches at least one rule (N: 1-based line number; the
rules in the order of the rules file):
  {"line": N, "rules": ["name", ...]}
A line that is not a JSON object is reported on stderr as `<EVENTS>:N: skipped: <why>` and
skipped; blank lines are skipped silently. At the end, a summary on stderr: events read, events
matched, bad lines, and how many events each rule matched.

Exit status:
  0    the input was read to its end (bad lines included)
  2    usage error; the rules file is not a JSON object of uniquely named rules; a rule is not
       valid: rule "<name>": Event pattern is not valid. Reason: <reason>
  255  a file cannot be read, or the output cannot be written

Example:
  evmatch filter --rules examples/rules.json examples/events.jsonl
"#;

const VALIDATE_HELP: &str = r#"Check that an event pattern is valid.

Usage: evmatch validate <JSON|file://PATH|->

Arguments:
  <JSON|file://PATH|->  The pattern: JSON text, file:// and a path, or `-` for standard input

Output:
  OK on stdout, exit status 0; or on stderr, exit status 2:
  Event pattern is not valid. Reason: <reason>
A file that cannot be read: exit status 255.
"#;

/// Parse the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Action, UsageError> {
    let top = |message: String| UsageError {
        command: None,
        message,
    };
    let Some(first) = args.first() else {
        return Err(top("a command is required".to_owned()));
    };
    match first.as_str() {
        "-h" | "--help" => Ok(Action::Help(None)),
        "-V" | "--version" => Ok(Action::Version),
        "help" => match args.get(1) {
            None => Ok(Action::Help(None)),
            Some(name) => Command::from_name(name)
                .map(|c| Action::Help(Some(c)))
                .ok_or_else(|| top(invalid_choice(name))),
        },
        arg if arg.starts_with('-') => Err(top(format!("unrecognized arguments: {arg}"))),
        name => match Command::from_name(name) {
            Some(command) => parse_command(command, &args[1..]),
            None => Err(top(invalid_choice(name))),
        },
    }
}

fn invalid_choice(name: &str) -> String {
    format!(
        "argument command: invalid choice: '{name}' (choose from 'test-event-pattern', 'filter', 'validate', 'help')"
    )
}

fn parse_command(command: Command, args: &[String]) -> Result<Action, UsageError> {
    // Help wins over every other problem, as in argparse.
    if args
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-h" || a == "--help")
    {
        return Ok(Action::Help(Some(command)));
    }
    let (valued, max_positionals) = command.grammar();
    let mut values: Vec<Option<String>> = vec![None; valued.len()];
    let mut positionals = Vec::new();
    let mut args = args.iter();
    let mut options_ended = false;
    while let Some(arg) = args.next() {
        if options_ended || arg == "-" || !arg.starts_with('-') {
            positionals.push(arg.clone());
            continue;
        }
        if arg == "--" {
            options_ended = true;
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (arg.as_str(), None),
        };
        let Some(slot) = valued.iter().position(|v| *v == name) else {
            return Err(command.error(format!("unrecognized arguments: {arg}")));
        };
        let value = match inline {
            Some(value) => value.to_owned(),
            None => args
                .next()
                .cloned()
                .ok_or_else(|| command.error(format!("argument {name}: expected one argument")))?,
        };
        if values[slot].replace(value).is_some() {
            return Err(command.error(format!("argument {name}: given more than once")));
        }
    }
    if positionals.len() > max_positionals {
        let extra = positionals[max_positionals..].join(" ");
        return Err(command.error(format!("unrecognized arguments: {extra}")));
    }
    let missing: Vec<&str> = valued
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        let missing = missing.join(", ");
        return Err(command.error(format!("the following arguments are required: {missing}")));
    }
    // Every option is present now; they come in `grammar` order.
    let mut values = values.into_iter().flatten();
    let mut value = || values.next().unwrap_or_default();
    let positional = positionals.pop();
    Ok(match command {
        Command::TestEventPattern => Action::TestEventPattern {
            pattern: value(),
            event: value(),
        },
        Command::Filter => Action::Filter {
            rules: value(),
            events: positional,
        },
        Command::Validate => Action::Validate {
            pattern: positional.ok_or_else(|| {
                command.error("the following arguments are required: <JSON|file://PATH|->")
            })?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(args: &[&str]) -> Result<Action, UsageError> {
        parse(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn test_event_pattern_options_in_any_order_and_with_equals() {
        let expected = Action::TestEventPattern {
            pattern: "{}".into(),
            event: "[1]".into(),
        };
        let a = parse_str(&[
            "test-event-pattern",
            "--event",
            "[1]",
            "--event-pattern",
            "{}",
        ]);
        assert_eq!(a, Ok(expected));
        let b = parse_str(&["test-event-pattern", "--event-pattern={}", "--event=[1]"]);
        assert_eq!(
            b,
            Ok(Action::TestEventPattern {
                pattern: "{}".into(),
                event: "[1]".into()
            })
        );
    }

    #[test]
    fn option_values_may_start_with_a_dash() {
        let a = parse_str(&[
            "test-event-pattern",
            "--event-pattern",
            "-1",
            "--event",
            "--",
        ]);
        assert_eq!(
            a,
            Ok(Action::TestEventPattern {
                pattern: "-1".into(),
                event: "--".into()
            })
        );
    }

    #[test]
    fn missing_and_repeated_options() {
        let e = parse_str(&["test-event-pattern", "--event", "{}"]).unwrap_err();
        assert_eq!(
            e.message,
            "the following arguments are required: --event-pattern"
        );
        let e = parse_str(&["test-event-pattern"]).unwrap_err();
        assert_eq!(
            e.message,
            "the following arguments are required: --event-pattern, --event"
        );
        let e = parse_str(&["filter", "--rules", "a", "--rules", "b"]).unwrap_err();
        assert_eq!(e.message, "argument --rules: given more than once");
        let e = parse_str(&["filter", "--rules"]).unwrap_err();
        assert_eq!(e.message, "argument --rules: expected one argument");
    }

    #[test]
    fn positionals() {
        assert_eq!(
            parse_str(&["filter", "--rules", "r.json"]),
            Ok(Action::Filter {
                rules: "r.json".into(),
                events: None
            })
        );
        assert_eq!(
            parse_str(&["filter", "-", "--rules", "r.json"]),
            Ok(Action::Filter {
                rules: "r.json".into(),
                events: Some("-".into())
            })
        );
        assert_eq!(
            parse_str(&["validate", "--", "-1"]),
            Ok(Action::Validate {
                pattern: "-1".into()
            })
        );
        let e = parse_str(&["validate", "{}", "{}"]).unwrap_err();
        assert_eq!(e.message, "unrecognized arguments: {}");
        let e = parse_str(&["validate", "-x"]).unwrap_err();
        assert_eq!(e.message, "unrecognized arguments: -x");
        let e = parse_str(&["validate"]).unwrap_err();
        assert_eq!(
            e.message,
            "the following arguments are required: <JSON|file://PATH|->"
        );
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse_str(&["--help"]), Ok(Action::Help(None)));
        assert_eq!(parse_str(&["help"]), Ok(Action::Help(None)));
        assert_eq!(
            parse_str(&["help", "filter"]),
            Ok(Action::Help(Some(Command::Filter)))
        );
        assert_eq!(parse_str(&["-V"]), Ok(Action::Version));
        assert_eq!(
            parse_str(&["validate", "--bogus", "-h"]),
            Ok(Action::Help(Some(Command::Validate)))
        );
        assert_eq!(
            parse_str(&["validate", "--", "--help"]),
            Ok(Action::Validate {
                pattern: "--help".into()
            })
        );
    }

    #[test]
    fn unknown_command() {
        let e = parse_str(&["frobnicate"]).unwrap_err();
        assert_eq!(e.command, None);
        assert!(
            e.message.contains("invalid choice: 'frobnicate'"),
            "{}",
            e.message
        );
        assert!(parse_str(&[]).is_err());
    }
}
