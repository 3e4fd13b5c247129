//! The `evmatch` binary, driven as a user would: every subcommand, exit status and message.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{run, test_event_pattern as tep, Out, BIN};

/// An EC2 state-change event as AWS documents it (all envelope fields present).
const EVENT: &str = r#"{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"111122223333","time":"2017-12-22T18:43:48Z","region":"us-west-1","resources":["arn:aws:ec2:us-west-1:111122223333:instance/i-1234567890abcdef0"],"detail":{"instance-id":"i-1234567890abcdef0","state":"terminated"}}"#;
const TERMINATED: &str = r#"{"source": ["aws.ec2"], "detail": {"state": ["terminated"]}}"#;
const RUNNING: &str = r#"{"source": ["aws.ec2"], "detail": {"state": ["running"]}}"#;
const BAD_PATTERN: &str = r#"{"source": "aws.ec2"}"#;
const BAD_PATTERN_MESSAGE: &str =
    "Event pattern is not valid. Reason: \"source\" must be an object or an array\n";
const BAD_EVENT_MESSAGE: &str = "Parameter Event is not valid.\n";
const TEP_USAGE: &str = "usage: evmatch test-event-pattern --event-pattern <JSON|file://PATH> --event <JSON|file://PATH>\n";

fn evmatch(args: &[&str]) -> Out {
    run(args, None, None)
}

fn evmatch_stdin(args: &[&str], stdin: &str) -> Out {
    run(args, Some(stdin.as_bytes()), None)
}

/// A fresh directory for one test's files.
fn tmp_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// EVENT without one top-level field.
fn event_without(field: &str) -> String {
    let mut event: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(EVENT).unwrap();
    assert!(event.remove(field).is_some(), "{field}");
    serde_json::to_string(&event).unwrap()
}

// ---- test-event-pattern ----

#[test]
fn test_event_pattern_prints_the_result() {
    assert_eq!(
        tep(TERMINATED, EVENT),
        Out::new(0, "{\"Result\": true}\n", "")
    );
    assert_eq!(
        tep(RUNNING, EVENT),
        Out::new(0, "{\"Result\": false}\n", "")
    );
    // Options in either order, `--name=value` too.
    let pattern = format!("--event-pattern={TERMINATED}");
    let out = evmatch(&["test-event-pattern", "--event", EVENT, &pattern]);
    assert_eq!(out, Out::new(0, "{\"Result\": true}\n", ""));
}

#[test]
fn test_event_pattern_refuses_an_invalid_pattern_first() {
    assert_eq!(
        tep(BAD_PATTERN, EVENT),
        Out::new(2, "", BAD_PATTERN_MESSAGE)
    );
    // Both invalid: the pattern is reported, as AWS does.
    assert_eq!(
        tep(BAD_PATTERN, "not json"),
        Out::new(2, "", BAD_PATTERN_MESSAGE)
    );
    let out = tep("[1]", EVENT);
    assert_eq!(
        out,
        Out::new(
            2,
            "",
            "Event pattern is not valid. Reason: Filter is not an object\n"
        )
    );
    let out = tep(r#"{"a": "#, EVENT);
    assert_eq!((out.code, out.stdout.as_str()), (2, ""));
    assert!(
        out.stderr
            .starts_with("Event pattern is not valid. Reason: "),
        "{out:?}"
    );
}

#[test]
fn test_event_pattern_refuses_an_invalid_event() {
    for event in [
        "not json",
        "[]",
        "\"aws.ec2\"",
        "{}",
        &format!("{EVENT} x"),
        "",
    ] {
        assert_eq!(
            tep(TERMINATED, event),
            Out::new(2, "", BAD_EVENT_MESSAGE),
            "{event}"
        );
    }
    for field in ["id", "account", "source", "time", "region", "detail-type"] {
        let event = event_without(field);
        assert_eq!(
            tep(TERMINATED, &event),
            Out::new(2, "", BAD_EVENT_MESSAGE),
            "{field}"
        );
    }
    // Envelope complete, but deeper than the engine reads.
    let deep = format!(
        "{},\"x\":{}1{}}}",
        EVENT.strip_suffix('}').unwrap(),
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert_eq!(tep(TERMINATED, &deep), Out::new(2, "", BAD_EVENT_MESSAGE));
}

#[test]
fn test_event_pattern_does_not_need_resources() {
    let event = event_without("resources");
    assert_eq!(
        tep(TERMINATED, &event),
        Out::new(0, "{\"Result\": true}\n", "")
    );
    let event = event_without("detail");
    assert_eq!(
        tep(r#"{"source": ["aws.ec2"]}"#, &event),
        Out::new(0, "{\"Result\": true}\n", "")
    );
}

#[test]
fn test_event_pattern_reads_file_urls() {
    let dir = tmp_dir("tep_files");
    let pattern = format!("file://{}", write(&dir, "pattern.json", TERMINATED));
    let event = format!(
        "file://{}",
        write(&dir, "event.json", &format!("{EVENT}\n"))
    );
    assert_eq!(
        tep(&pattern, &event),
        Out::new(0, "{\"Result\": true}\n", "")
    );
    let bad = format!("file://{}", write(&dir, "bad.json", BAD_PATTERN));
    assert_eq!(tep(&bad, &event), Out::new(2, "", BAD_PATTERN_MESSAGE));

    let missing = format!("file://{}", dir.join("missing.json").display());
    for (args, name) in [
        ((&missing, &event), "--event-pattern"),
        ((&pattern, &missing), "--event"),
    ] {
        let out = tep(args.0, args.1);
        assert_eq!((out.code, out.stdout.as_str()), (255, ""));
        let expected = format!(
            "Error parsing parameter '{name}': Unable to load paramfile {missing}: No such file or directory"
        );
        assert!(out.stderr.starts_with(&expected), "{out:?}");
    }
}

#[test]
fn test_event_pattern_usage_errors() {
    let missing = |what: &str| {
        Out::new(
            2,
            "",
            &format!("{TEP_USAGE}evmatch test-event-pattern: error: the following arguments are required: {what}\n"),
        )
    };
    assert_eq!(
        evmatch(&["test-event-pattern"]),
        missing("--event-pattern, --event")
    );
    assert_eq!(
        evmatch(&["test-event-pattern", "--event", EVENT]),
        missing("--event-pattern")
    );
    let out = evmatch(&[
        "test-event-pattern",
        "--event-pattern",
        TERMINATED,
        "--bogus",
    ]);
    let expected =
        format!("{TEP_USAGE}evmatch test-event-pattern: error: unrecognized arguments: --bogus\n");
    assert_eq!(out, Out::new(2, "", &expected));
    let out = evmatch(&["test-event-pattern", "--event-pattern"]);
    let expected =
        format!("{TEP_USAGE}evmatch test-event-pattern: error: argument --event-pattern: expected one argument\n");
    assert_eq!(out, Out::new(2, "", &expected));
}

// ---- validate ----

#[test]
fn validate() {
    assert_eq!(evmatch(&["validate", TERMINATED]), Out::new(0, "OK\n", ""));
    assert_eq!(
        evmatch(&["validate", BAD_PATTERN]),
        Out::new(2, "", BAD_PATTERN_MESSAGE)
    );
    let out = evmatch(&["validate", "--", "-1"]);
    assert_eq!(
        out,
        Out::new(
            2,
            "",
            "Event pattern is not valid. Reason: Filter is not an object\n"
        )
    );
    assert_eq!(
        evmatch_stdin(&["validate", "-"], TERMINATED),
        Out::new(0, "OK\n", "")
    );
    assert_eq!(
        evmatch_stdin(&["validate", "-"], BAD_PATTERN),
        Out::new(2, "", BAD_PATTERN_MESSAGE)
    );

    let dir = tmp_dir("validate");
    let good = format!("file://{}", write(&dir, "good.json", TERMINATED));
    assert_eq!(evmatch(&["validate", &good]), Out::new(0, "OK\n", ""));
    let missing = format!("file://{}", dir.join("missing.json").display());
    let out = evmatch(&["validate", &missing]);
    assert_eq!(out.code, 255);
    let expected =
        format!("Error parsing parameter 'pattern': Unable to load paramfile {missing}: ");
    assert!(out.stderr.starts_with(&expected), "{out:?}");

    let usage = "usage: evmatch validate <JSON|file://PATH|->\n";
    let out = evmatch(&["validate"]);
    let expected = format!(
        "{usage}evmatch validate: error: the following arguments are required: <JSON|file://PATH|->\n"
    );
    assert_eq!(out, Out::new(2, "", &expected));
    let out = evmatch(&["validate", TERMINATED, TERMINATED]);
    let expected =
        format!("{usage}evmatch validate: error: unrecognized arguments: {TERMINATED}\n");
    assert_eq!(out, Out::new(2, "", &expected));
}

// ---- help, version, top-level usage ----

#[test]
fn help_and_version() {
    let top = evmatch(&["--help"]);
    assert_eq!((top.code, top.stderr.as_str()), (0, ""));
    assert!(top
        .stdout
        .starts_with(&format!("evmatch {}: ", env!("CARGO_PKG_VERSION"))));
    for needle in [
        "test-event-pattern",
        "filter",
        "validate",
        "Exit status:",
        "255",
    ] {
        assert!(top.stdout.contains(needle), "{needle}");
    }
    assert_eq!(evmatch(&["-h"]), top);
    assert_eq!(evmatch(&["help"]), top);

    for (command, usage) in [
        (
            "test-event-pattern",
            "Usage: evmatch test-event-pattern --event-pattern",
        ),
        ("filter", "Usage: evmatch filter --rules <FILE>"),
        ("validate", "Usage: evmatch validate <JSON|file://PATH|->"),
    ] {
        let help = evmatch(&[command, "--help"]);
        assert_eq!((help.code, help.stderr.as_str()), (0, ""), "{command}");
        assert!(help.stdout.contains(usage), "{command}: {}", help.stdout);
        assert_eq!(evmatch(&[command, "-h"]), help);
        assert_eq!(evmatch(&["help", command]), help);
        // Help wins over other mistakes on the line.
        assert_eq!(evmatch(&[command, "--bogus", "--help"]), help);
    }

    let version = format!("evmatch {}\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(evmatch(&["--version"]), Out::new(0, &version, ""));
    assert_eq!(evmatch(&["-V"]), Out::new(0, &version, ""));
}

#[test]
fn top_level_usage_errors() {
    let usage = "usage: evmatch <test-event-pattern|filter|validate|help> [<args>...]\n";
    let out = evmatch(&[]);
    assert_eq!(
        out,
        Out::new(
            2,
            "",
            &format!("{usage}evmatch: error: a command is required\n")
        )
    );
    let out = evmatch(&["frobnicate"]);
    let expected = format!(
        "{usage}evmatch: error: argument command: invalid choice: 'frobnicate' (choose from 'test-event-pattern', 'filter', 'validate', 'help')\n"
    );
    assert_eq!(out, Out::new(2, "", &expected));
    let out = evmatch(&["--frobnicate"]);
    let expected = format!("{usage}evmatch: error: unrecognized arguments: --frobnicate\n");
    assert_eq!(out, Out::new(2, "", &expected));
}

// ---- filter ----

/// Split filter's stderr into the bad-line reports and the summary.
fn split_stderr(stderr: &str) -> (Vec<&str>, String) {
    let (bad, summary): (Vec<&str>, Vec<&str>) =
        stderr.lines().partition(|l| l.contains(": skipped: "));
    (bad, summary.iter().map(|l| format!("{l}\n")).collect())
}

#[test]
fn filter_streams_events_and_skips_bad_lines() {
    let dir = tmp_dir("filter_stream");
    let rules = write(
        &dir,
        "rules.json",
        &format!(
            r#"{{"terminated": {TERMINATED}, "running": {RUNNING}, "any": {{"source": [{{"exists": true}}]}}}}"#
        ),
    );
    let running = EVENT.replace("terminated", "running");
    let input = format!(
        "{EVENT}\n\nnot json\n[1]\n{running}\r\n  \t \n{{\"source\": 5}}\n{{\"other\": 1}}\n{{\"source\": \"x\"}}"
    );
    let out = evmatch_stdin(&["filter", "--rules", &rules], &input);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "{\"line\": 1, \"rules\": [\"terminated\", \"any\"]}\n\
         {\"line\": 5, \"rules\": [\"running\", \"any\"]}\n\
         {\"line\": 7, \"rules\": [\"any\"]}\n\
         {\"line\": 9, \"rules\": [\"any\"]}\n"
    );
    let (bad, summary) = split_stderr(&out.stderr);
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].starts_with("<stdin>:3: skipped: "), "{bad:?}");
    assert!(bad[1].starts_with("<stdin>:4: skipped: "), "{bad:?}");
    assert_eq!(
        summary,
        "events read: 5\nevents matched: 4\nbad lines: 2\n\
         rule \"terminated\": 1\nrule \"running\": 1\nrule \"any\": 4\n"
    );

    // The same from a file, and from `-`.
    let events = write(&dir, "events.jsonl", &input);
    let from_file = evmatch(&["filter", "--rules", &rules, &events]);
    assert_eq!(from_file.stdout, out.stdout);
    assert_eq!(from_file.stderr, out.stderr.replace("<stdin>", &events));
    assert_eq!(
        evmatch_stdin(&["filter", &format!("--rules={rules}"), "-"], &input),
        out
    );
}

#[test]
fn filter_lists_rules_in_file_order_with_json_names() {
    let dir = tmp_dir("filter_order");
    let rules = write(
        &dir,
        "rules.json",
        r#"{"z": {"source": ["aws.ec2"]}, "say \"hi\"\n": {"region": ["us-west-1"]}, "a": {"id": [{"prefix": ""}]}, "none": {"source": ["aws.s3"]}}"#,
    );
    let out = evmatch_stdin(&["filter", "--rules", &rules], &format!("{EVENT}\n"));
    assert_eq!(
        out.stdout,
        "{\"line\": 1, \"rules\": [\"z\", \"say \\\"hi\\\"\\n\", \"a\"]}\n"
    );
    let (bad, summary) = split_stderr(&out.stderr);
    assert!(bad.is_empty());
    assert_eq!(
        summary,
        "events read: 1\nevents matched: 1\nbad lines: 0\nrule \"z\": 1\nrule \"say \\\"hi\\\"\\n\": 1\nrule \"a\": 1\nrule \"none\": 0\n"
    );
}

#[test]
fn filter_passes_each_pattern_text_untouched() {
    // Duplicate object keys are merged by the engine: both must hold. Through a JSON value model
    // only the last would be left, and EVENT would match.
    let dir = tmp_dir("filter_raw");
    let rules = write(
        &dir,
        "rules.json",
        r#"{"merged": {"detail": {"state": ["running"]}, "detail": {"instance-id": ["i-1234567890abcdef0"]}}, "number": {"n": [3.0e2]}}"#,
    );
    let input = format!("{EVENT}\n{{\"n\": 300}}\n");
    let out = evmatch_stdin(&["filter", "--rules", &rules], &input);
    assert_eq!(
        out.stdout, "{\"line\": 2, \"rules\": [\"number\"]}\n",
        "{out:?}"
    );
}

#[test]
fn filter_with_no_rules_reads_everything() {
    let dir = tmp_dir("filter_empty");
    let rules = write(&dir, "rules.json", "{}");
    let out = evmatch_stdin(
        &["filter", "--rules", &rules],
        &format!("{EVENT}\n{EVENT}\n"),
    );
    assert_eq!(
        out,
        Out::new(0, "", "events read: 2\nevents matched: 0\nbad lines: 0\n")
    );
}

#[test]
fn filter_refuses_a_bad_rules_file() {
    let dir = tmp_dir("filter_bad_rules");
    let rules = write(
        &dir,
        "rules.json",
        &format!(r#"{{"ok": {TERMINATED}, "bad": {BAD_PATTERN}}}"#),
    );
    let out = evmatch_stdin(&["filter", "--rules", &rules], EVENT);
    let expected = format!("rule \"bad\": {BAD_PATTERN_MESSAGE}");
    assert_eq!(out, Out::new(2, "", &expected));

    for (text, why) in [
        (
            "[]",
            "invalid type: sequence, expected a JSON object mapping rule names to event patterns",
        ),
        (
            r#"{"a": {"x": [1]}, "a": {"x": [2]}}"#,
            "duplicate rule name \"a\"",
        ),
        (r#"{"a": "#, "EOF while parsing"),
    ] {
        let rules = write(&dir, "rules.json", text);
        let out = evmatch_stdin(&["filter", "--rules", &rules], EVENT);
        assert_eq!((out.code, out.stdout.as_str()), (2, ""), "{text}");
        let prefix = format!("evmatch filter: rules file {rules} is not valid: {why}");
        assert!(out.stderr.starts_with(&prefix), "{text}: {out:?}");
    }

    let missing = dir.join("missing.json");
    let out = evmatch_stdin(&["filter", "--rules", missing.to_str().unwrap()], EVENT);
    assert_eq!((out.code, out.stdout.as_str()), (255, ""));
    let prefix = format!(
        "evmatch filter: cannot read rules file {}: ",
        missing.display()
    );
    assert!(out.stderr.starts_with(&prefix), "{out:?}");
}

#[test]
fn filter_reports_an_unreadable_events_file() {
    let dir = tmp_dir("filter_missing_events");
    let rules = write(&dir, "rules.json", "{}");
    let missing = dir.join("missing.jsonl");
    let out = evmatch(&["filter", "--rules", &rules, missing.to_str().unwrap()]);
    assert_eq!((out.code, out.stdout.as_str()), (255, ""));
    let prefix = format!("evmatch filter: cannot read {}: ", missing.display());
    assert!(out.stderr.starts_with(&prefix), "{out:?}");
}

#[test]
fn filter_usage_errors() {
    let usage = "usage: evmatch filter --rules <FILE> [<EVENTS.jsonl>|-]\n";
    let out = evmatch(&["filter"]);
    let expected =
        format!("{usage}evmatch filter: error: the following arguments are required: --rules\n");
    assert_eq!(out, Out::new(2, "", &expected));
    let out = evmatch(&["filter", "--rules", "r.json", "a.jsonl", "b.jsonl"]);
    let expected = format!("{usage}evmatch filter: error: unrecognized arguments: b.jsonl\n");
    assert_eq!(out, Out::new(2, "", &expected));
}

#[test]
fn filter_stops_quietly_when_the_reader_goes_away() {
    let dir = tmp_dir("filter_pipe");
    let rules = write(&dir, "rules.json", &format!(r#"{{"t": {TERMINATED}}}"#));
    let input = format!("{EVENT}\n").repeat(20_000);
    let mut child = Command::new(BIN)
        .args(["filter", "--rules", &rules])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    // Read one record, then hang up.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

// ---- the bundled examples ----

#[test]
fn examples_run_as_the_readme_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let args = [
        "filter",
        "--rules",
        "examples/rules.json",
        "examples/events.jsonl",
    ];
    let out = run(&args, None, Some(&root));
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Checked once against an independent implementation of these thirteen rules.
    let golden = include_str!("golden/examples-filter.jsonl");
    assert!(
        out.stdout == golden,
        "stdout differs from tests/golden/examples-filter.jsonl"
    );

    let (bad, summary) = split_stderr(&out.stderr);
    let bad_lines: Vec<&str> = bad
        .iter()
        .map(|l| l.split(": skipped: ").next().unwrap())
        .collect();
    assert_eq!(
        bad_lines,
        [
            "examples/events.jsonl:58",
            "examples/events.jsonl:212",
            "examples/events.jsonl:389"
        ]
    );
    assert_eq!(
        summary,
        "events read: 407\nevents matched: 144\nbad lines: 3\n\
         rule \"ec2-instance-stopped\": 13\n\
         rule \"s3-image-uploads\": 6\n\
         rule \"iam-changes\": 19\n\
         rule \"console-login-without-mfa\": 1\n\
         rule \"api-calls-from-office\": 19\n\
         rule \"large-full-price-orders\": 10\n\
         rule \"mid-size-orders-de-fr\": 9\n\
         rule \"unexpected-payment-failures\": 6\n\
         rule \"high-severity-findings\": 13\n\
         rule \"prod-ecs-tasks-stopped\": 8\n\
         rule \"chat-support-mentions\": 14\n\
         rule \"presence-outside-staging\": 20\n\
         rule \"server-published-alerts\": 15\n"
    );

    // Every example rule is valid on its own, and events with an envelope work with
    // test-event-pattern too.
    let rules: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(root.join("examples/rules.json")).unwrap())
            .unwrap();
    let first = golden.lines().next().unwrap();
    assert!(
        first.starts_with("{\"line\": 1, \"rules\": [\"api-calls-from-office\"]"),
        "{first}"
    );
    let events = std::fs::read_to_string(root.join("examples/events.jsonl")).unwrap();
    let event = events.lines().next().unwrap();
    for (name, pattern) in &rules {
        let pattern = pattern.to_string();
        assert_eq!(
            evmatch(&["validate", &pattern]),
            Out::new(0, "OK\n", ""),
            "{name}"
        );
        let hit = name == "api-calls-from-office";
        assert_eq!(
            tep(&pattern, event),
            Out::new(0, &format!("{{\"Result\": {hit}}}\n"), ""),
            "{name}"
        );
    }
}
