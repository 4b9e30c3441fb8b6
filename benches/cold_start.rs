//! Cold start and footprint benchmark (not a test): starts `haymaker serve` as the Functions host
//! does (a fresh process, an empty local state store, a minimal environment) N times and measures
//! process start → first successful answer on `/`, the resident memory once it idles, its thread
//! count, and the binary's size.
//!
//! `cargo bench --locked --bench cold_start -- [STARTS]` (default 50) builds the release binary
//! (`cargo build --release`: the profile the package ships) and measures it. Under `cargo test`
//! (no `--bench`) it only starts the debug binary twice and checks each answers: a smoke, nothing
//! timed is asserted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What one start measured.
struct Start {
    to_first_answer: Duration,
    rss_kib: u64,
    threads: u64,
}

/// A started server, stopped (SIGKILL) and reaped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One field of `/proc/<pid>/status` (`VmRSS:   5120 kB` → 5120).
fn proc_status(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// `GET /` over a fresh connection; the status code.
fn get_root(addr: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let head = String::from_utf8_lossy(&raw[..raw.len().min(12)]).to_string();
    head.get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {head:?}")))
}

/// Starts the binary, waits for the first 200 on `/`, lets it idle, reads its footprint.
fn start_once(binary: &Path, state: &Path, idle: Duration) -> Start {
    let mut cmd = Command::new(binary);
    cmd.env_clear()
        .env("HAYMAKER_STATE", format!("file://{}", state.display()))
        .env("HAYMAKER_LOG_FORMAT", "json")
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let begun = Instant::now();
    let mut server = Server(cmd.spawn().expect("haymaker starts"));
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("reads the first line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    // Bound before it printed the address, so the first connection is accepted; retry only errors.
    let status = loop {
        match get_root(&addr) {
            Ok(status) => break status,
            Err(e) if begun.elapsed() < Duration::from_secs(10) => {
                eprintln!("retrying GET /: {e}");
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!("no answer on / within 10 s: {e}"),
        }
    };
    let to_first_answer = begun.elapsed();
    assert_eq!(status, 200, "GET / answers 200");
    std::thread::sleep(idle);
    let pid = server.0.id();
    Start {
        to_first_answer,
        rss_kib: proc_status(pid, "VmRSS").expect("VmRSS in /proc/<pid>/status"),
        threads: proc_status(pid, "Threads").expect("Threads in /proc/<pid>/status"),
    }
}

/// The release binary, built now (a no-op when it is up to date). `target/<profile>/` is found from
/// the binary cargo built for this bench.
fn release_binary() -> PathBuf {
    let built = PathBuf::from(env!("CARGO_BIN_EXE_haymaker"));
    let target = built
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let began = Instant::now();
    let status = Command::new(cargo)
        .args(["build", "--release", "--locked", "--bin", "haymaker"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("CARGO_TARGET_DIR", target)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --release failed");
    println!(
        "release build: {:.1} s (0 when up to date)",
        began.elapsed().as_secs_f64()
    );
    target.join("release").join("haymaker")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() {
    // `cargo bench` passes `--bench`; under `cargo test` only a small smoke runs.
    let measuring = std::env::args().any(|a| a == "--bench");
    let starts: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if measuring { 50 } else { 2 });
    let binary = if measuring {
        release_binary()
    } else {
        PathBuf::from(env!("CARGO_BIN_EXE_haymaker"))
    };
    let size = std::fs::metadata(&binary).expect("binary exists").len();
    let state = tempfile::tempdir().expect("temp dir");
    let idle = Duration::from_millis(if measuring { 300 } else { 50 });
    // One unmeasured start warms the page cache, as a host restart on a warm instance would be.
    start_once(&binary, state.path(), idle);
    let runs: Vec<Start> = (0..starts)
        .map(|_| start_once(&binary, state.path(), idle))
        .collect();

    let mut ms: Vec<f64> = runs
        .iter()
        .map(|r| r.to_first_answer.as_secs_f64() * 1e3)
        .collect();
    ms.sort_by(f64::total_cmp);
    let mut rss: Vec<f64> = runs.iter().map(|r| r.rss_kib as f64 / 1024.0).collect();
    rss.sort_by(f64::total_cmp);
    let threads = runs.iter().map(|r| r.threads).max().unwrap_or(0);
    println!(
        "cold start of {} ({} starts{})",
        binary.display(),
        starts,
        if measuring { "" } else { ", smoke" }
    );
    println!(
        "start → first 200 on /: median {:.2} ms, p90 {:.2} ms, min {:.2} ms, max {:.2} ms (goal ≤ 10 ms median)",
        percentile(&ms, 50.0),
        percentile(&ms, 90.0),
        ms[0],
        ms[ms.len() - 1]
    );
    println!(
        "idle RSS after {} ms: median {:.1} MiB, max {:.1} MiB (goal ≤ 12 MB); threads {threads}",
        idle.as_millis(),
        percentile(&rss, 50.0),
        rss[rss.len() - 1]
    );
    println!(
        "binary size: {:.1} MiB ({size} bytes)",
        size as f64 / (1024.0 * 1024.0)
    );
}
