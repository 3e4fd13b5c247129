//! `evmatch-bus bench` end to end at a tiny size, through the binary: it starts its own server
//! child, connects, publishes, and its check must find every delivery and nothing else.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The whole run, server start and shutdown included, must finish within this.
const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn a_tiny_bench_delivers_everything_exactly_once() {
    let json = std::env::temp_dir().join(format!("evmatch-bus-bench-{}.json", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_evmatch-bus"))
        .args([
            "bench",
            "--connections",
            "20",
            "--rules",
            "3",
            "--groups",
            "4",
        ])
        .args(["--rate", "200,0", "--duration", "1", "--batch", "10"])
        .arg("--json")
        .arg(&json)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start evmatch-bus bench");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the bench") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the bench did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut table = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut table).unwrap();
    println!("{table}");
    assert!(status.success(), "the bench failed: {status}\n{table}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the --json file")).unwrap();
    let _ = std::fs::remove_file(&json);
    assert_eq!(report["setup"]["connections"], 20);
    let phases = report["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2, "one phase per rate");
    for phase in phases {
        let verdict = &phase["verdict"];
        for field in [
            "missing",
            "duplicate",
            "unexpected",
            "wrong_rules",
            "corrupt",
        ] {
            assert_eq!(verdict[field], 0, "{field}: {phase}");
        }
        assert!(phase["events"].as_u64().unwrap() > 0, "{phase}");
        assert!(verdict["expected"].as_u64().unwrap() > 0, "{phase}");
        assert_eq!(verdict["expected"], verdict["received"], "{phase}");
        assert_eq!(phase["lost_connections"], 0);
        assert_eq!(phase["drained"], true);
        // The server was measured: it is a child process of the bench.
        assert!(phase["server_cpu_percent"].as_f64().is_some(), "{phase}");
    }
    assert!(report["setup"]["rss_per_connection"].as_f64().is_some());
}
