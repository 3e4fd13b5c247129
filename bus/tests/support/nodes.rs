//! Real processes for the many-node tests: a nats-server with JetStream and `evmatch-bus` nodes,
//! each on a free loopback port, each killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (bound and released: good enough on a quiet machine).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `nats-server -js` on 127.0.0.1, storing in a temporary directory that outlives restarts.
pub struct Nats {
    pub port: u16,
    store: PathBuf,
    child: Option<Child>,
}

impl Nats {
    /// Starts nats-server (installed by `scripts/install-nats.sh`, which `scripts/test.sh` runs).
    pub fn start() -> Nats {
        assert!(
            Command::new("nats-server")
                .arg("--version")
                .output()
                .is_ok(),
            "nats-server is not installed: run scripts/install-nats.sh (Debian's nats-server)"
        );
        let store = std::env::temp_dir().join(format!("evmatch-bus-nats-{}", uuid::Uuid::new_v4()));
        let mut nats = Nats {
            port: free_port(),
            store,
            child: None,
        };
        nats.launch();
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn launch(&mut self) {
        let child = Command::new("nats-server")
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(10));
    }

    /// Stops the server abruptly.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port with the same store.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

fn wait_for_port(port: u16, limit: Duration) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < limit,
            "port {port} not open within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An `evmatch-bus` process.
pub struct Node {
    pub addr: SocketAddr,
    pub api_key: String,
    pub node_id: String,
    child: Child,
}

impl Node {
    /// Starts a node with `args` after the test defaults (a free port, publish key
    /// [`super::PUBLISH_KEY`]).
    pub fn start(node_id: &str, args: &[&str]) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_evmatch-bus"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--publish-key",
                super::PUBLISH_KEY,
            ])
            .args(["--node-id", node_id])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start evmatch-bus");
        let stdout = child.stdout.take().unwrap();
        let (lines, got) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Read to the end, whether or not anyone still listens, so the node never writes
            // into a closed pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut addr = None;
        let mut api_key = None;
        let deadline = Instant::now() + Duration::from_secs(20);
        while addr.is_none() || api_key.is_none() {
            let line = got
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the node prints its address and key within 20 s");
            if let Some(rest) = line.strip_prefix("evmatch-bus listening on http://") {
                addr = Some(rest.trim().parse().unwrap());
            }
            if let Some(rest) = line.trim().strip_prefix("api key") {
                api_key = Some(rest.trim().to_owned());
            }
        }
        Node {
            addr: addr.unwrap(),
            api_key: api_key.unwrap(),
            node_id: node_id.to_owned(),
            child,
        }
    }

    /// Sends a signal by name (`STOP`, `CONT`, `TERM`) with `kill(1)`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill(1)");
        assert!(status.success(), "kill -{name}");
    }

    /// SIGKILL: no goodbye to anyone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Where clients connect.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint {
            addr: self.addr,
            api_key: self.api_key.clone(),
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A node's WebSocket address and key, which outlive the node's process.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub api_key: String,
}

impl Endpoint {
    /// `ws://…/ws?header=…` with a fresh Id.
    pub fn ws_url(&self) -> String {
        use base64::Engine;
        let header = serde_json::json!({
            "Host": "127.0.0.1",
            "ApiKey": self.api_key,
            "Id": uuid::Uuid::new_v4().to_string(),
        });
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header.to_string());
        format!("ws://{}/ws?header={header}", self.addr)
    }
}
