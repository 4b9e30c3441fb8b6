//! Whole-process tests: `haymaker serve` started as the Functions host would start it.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Server {
    child: Child,
    addr: String,
    _state: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_haymaker"));
    cmd.env(
        "HAYMAKER_STATE",
        format!("file://{}", state.path().display()),
    );
    cmd.arg("serve")
        .args(args)
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .env("HAYMAKER_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("haymaker starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    Server {
        child,
        addr,
        _state: state,
    }
}

async fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn serves_readiness_api_and_envelopes_then_stops_on_sigterm() {
    let mut server = start(&["--port", "0"], &[]);
    let (status, _) = http(&server.addr, "GET", "/", "").await;
    assert_eq!(status, 200);
    let (status, body) = http(&server.addr, "GET", "/api/v1/health", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"healthy\""), "{body}");

    let (_, timer) = common::host_vectors()
        .into_iter()
        .find(|(f, _)| f == "timer.json")
        .unwrap();
    let (status, body) = http(&server.addr, "POST", "/ScheduledRun", &timer).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"Outputs\""), "{body}");

    // Bad input does not stop it.
    let (status, _) = http(&server.addr, "POST", "/Tick", "garbage").await;
    assert_eq!(status, 400);
    let (status, _) = http(&server.addr, "POST", "/Nope", "{}").await;
    assert_eq!(status, 404);
    let (status, _) = http(&server.addr, "GET", "/", "").await;
    assert_eq!(status, 200);

    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
            break;
        }
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn port_comes_from_the_host_setting_when_no_flag_is_given() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let server = start(&[], &[("FUNCTIONS_CUSTOMHANDLER_PORT", &port.to_string())]);
    assert_eq!(server.addr, format!("127.0.0.1:{port}"));
    let (status, _) = http(&server.addr, "GET", "/api/v1/health", "").await;
    assert_eq!(status, 200);
}

#[test]
fn invalid_settings_are_listed_together_and_stop_start_up() {
    let out = Command::new(env!("CARGO_BIN_EXE_haymaker"))
        .args(["serve", "--port", "0"])
        .env("SIMULATION_SIZE", "enormous")
        .env("HAYMAKER_TARGET_SUBSCRIPTIONS", "not-a-guid")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 setting problem(s)"), "{err}");
    assert!(err.contains("SIMULATION_SIZE"), "{err}");
    assert!(err.contains("HAYMAKER_TARGET_SUBSCRIPTIONS"), "{err}");
}

#[tokio::test]
async fn json_logs_carry_the_invocation_id() {
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_haymaker"))
        .args(["serve", "--port", "0"])
        .env(
            "HAYMAKER_STATE",
            format!("file://{}", state.path().display()),
        )
        .env("HAYMAKER_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap()
        .to_string();
    let (_, timer) = common::host_vectors()
        .into_iter()
        .find(|(f, _)| f == "timer.json")
        .unwrap();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "POST /ScheduledRun HTTP/1.1\r\nHost: {addr}\r\nX-Azure-Functions-InvocationId: 11112222-3333-4444-5555-666677778888\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{timer}",
        timer.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    let started = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "run started")
        .unwrap_or_else(|| panic!("no `run started` line in:\n{logs}"));
    assert_eq!(
        started["span"]["invocation_id"], "11112222-3333-4444-5555-666677778888",
        "{started}"
    );
    assert!(
        started["span"]["run_id"].as_str().is_some()
            || started["fields"]["run_id"].as_str().is_some(),
        "{started}"
    );
}
