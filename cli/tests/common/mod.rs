//! Running the built `evmatch` binary, for the integration tests.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_evmatch");

/// How a run of the binary ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    #[allow(dead_code)] // corpus.rs does not build expected outputs whole
    pub fn new(code: i32, stdout: &str, stderr: &str) -> Out {
        Out {
            code,
            stdout: stdout.to_owned(),
            stderr: stderr.to_owned(),
        }
    }
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit {}, stdout {:?}, stderr {:?}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run `evmatch args...` with `stdin` (or none), in `dir` (or the current directory).
pub fn run(args: &[&str], stdin: Option<&[u8]>, dir: Option<&Path>) -> Out {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command.spawn().expect("the evmatch binary runs");
    if let Some(input) = stdin {
        // The binary may exit without reading all of it (a bad rules file): a closed pipe is
        // its answer, not an error here.
        let _ = child.stdin.take().unwrap().write_all(input);
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `evmatch test-event-pattern --event-pattern <pattern> --event <event>`.
pub fn test_event_pattern(pattern: &str, event: &str) -> Out {
    let args = [
        "test-event-pattern",
        "--event-pattern",
        pattern,
        "--event",
        event,
    ];
    run(&args, None, None)
}
