//! The server under test as a child process (so its CPU and memory are its own), and what
//! `/proc` says about a process.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// `/proc/PID/stat` counts CPU time in clock ticks of `USER_HZ`, which Linux fixes at 100 for
/// every user-space interface.
const TICKS_PER_SECOND: f64 = 100.0;
/// How long the child may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `evmatch-bus` started by the bench; killed when dropped (also on errors).
pub struct ServerChild {
    child: Child,
    pub addr: SocketAddr,
    pub api_key: String,
}

impl ServerChild {
    /// Starts this executable as a server on a free loopback port with `args` added, and waits
    /// for its address and API key.
    pub fn spawn(publish_key: &str, args: &[String]) -> Result<ServerChild, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current executable: {e}"))?;
        let mut command = Command::new(exe);
        // The bench decides every option; none comes from the environment.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("EVMATCH_BUS_") {
                command.env_remove(name);
            }
        }
        command
            .args(["--listen", "127.0.0.1:0", "--publish-key", publish_key])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .map_err(|e| format!("starting the server: {e}"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let mut server = ServerChild {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: String::new(),
        };
        // A thread reads (and keeps draining) the child's stdout, so it never blocks on a full pipe.
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let deadline = std::time::Instant::now() + START_TIMEOUT;
        while server.api_key.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = received
                .recv_timeout(left)
                .map_err(|_| "the server printed no address and API key in time".to_owned())?;
            if let Some(url) = line.strip_prefix("evmatch-bus listening on http://") {
                server.addr = url
                    .trim()
                    .parse()
                    .map_err(|e| format!("server address {url:?}: {e}"))?;
            } else if let Some(key) = line.trim_start().strip_prefix("api key") {
                server.api_key = key.trim().to_owned();
            }
        }
        if server.addr.port() == 0 {
            return Err("the server printed its API key before its address".into());
        }
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds a process has used so far.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuTime {
    pub user: f64,
    pub system: f64,
}

impl CpuTime {
    /// Of process `pid` (`None`: this process), from `/proc/PID/stat` (every thread).
    pub fn of(pid: Option<u32>) -> Option<CpuTime> {
        let path = match pid {
            Some(pid) => format!("/proc/{pid}/stat"),
            None => "/proc/self/stat".to_owned(),
        };
        let text = std::fs::read_to_string(path).ok()?;
        // Fields after the command name (which may hold spaces): state is field 3, utime 14,
        // stime 15.
        let mut fields = text[text.rfind(')')? + 1..].split_whitespace().skip(11);
        let mut ticks = || fields.next()?.parse::<f64>().ok();
        Some(CpuTime {
            user: ticks()? / TICKS_PER_SECOND,
            system: ticks()? / TICKS_PER_SECOND,
        })
    }

    pub fn total(self) -> f64 {
        self.user + self.system
    }

    /// CPU used between `earlier` and `self`.
    pub fn since(self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user - earlier.user,
            system: self.system - earlier.system,
        }
    }
}

/// CPU seconds the whole machine has been busy (every core, every process), from `/proc/stat`:
/// what neither the server nor the bench used was someone else's.
pub fn machine_busy() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<f64> = text
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|field| field.parse().unwrap_or(0.0))
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait.
    let busy = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| fields.get(i))
        .sum::<f64>();
    Some(busy / TICKS_PER_SECOND)
}

/// Resident memory of process `pid` in bytes (`VmRSS` in `/proc/PID/status`).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = text
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(30) {
            std::hint::black_box(0u64);
        }
        let cpu = CpuTime::of(None).unwrap();
        assert!(cpu.total() > 0.0 && cpu.user >= 0.0 && cpu.system >= 0.0);
        assert!(rss_bytes(std::process::id()).unwrap() > 100_000);
        assert!(machine_busy().unwrap() >= cpu.total());
    }
}
