//! The API as a process: `haymaker serve` over seeded and over sandbox-produced state, driven by
//! schemathesis against the contract (zero 5xx, zero schema violations), and the live log stream over
//! real HTTP. (The dashboard in a browser: [`crate::dashboard`].) schemathesis is installed by
//! tests/run.sh; without it these tests fail with how to install it, unless HAYMAKER_SKIP_BROWSER=1,
//! which skips them loudly.

use crate::api_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Served {
    child: Child,
    addr: String,
    seeded: api_support::Seeded,
    store: haymaker::store::StateStore,
    _dir: tempfile::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve_seeded(env: &[(&str, &str)]) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let store = haymaker::store::StateStore::open(&haymaker::store::StoreLocation::Local(
        dir.path().to_path_buf(),
    ))
    .unwrap();
    let seeded = api_support::seed(&store).await;
    let (child, addr) = spawn_serve(dir.path(), env);
    Served {
        child,
        addr,
        seeded,
        store,
        _dir: dir,
    }
}

/// `haymaker serve` on a free port over the local state in `state`: the process and its address.
pub(crate) fn spawn_serve(state: &Path, env: &[(&str, &str)]) -> (Child, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_haymaker"));
    cmd.args(["serve", "--port", "0"])
        .env("HAYMAKER_STATE", format!("file://{}", state.display()))
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .env_remove("HAYMAKER_API_KEY")
        .env("HAYMAKER_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("haymaker starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    (child, addr)
}

/// A small sandbox run (the clock ×3000) whose state goes to `dir/state`, its simulator's CA to
/// `dir/sim`.
pub(crate) fn sandbox_options(dir: &Path, seed: u64) -> haymaker::sandbox::SandboxOptions {
    haymaker::sandbox::SandboxOptions {
        seed,
        speed: Some(3000.0),
        storage_env: std::collections::HashMap::from([(
            "HAYMAKER_STATE".to_string(),
            format!("file://{}", dir.join("state").display()),
        )]),
        sim_dir: dir.join("sim"),
        progress: false,
        timeout: std::time::Duration::from_secs(400),
        ..Default::default()
    }
}

/// `tool` on PATH, or `None` after a loud SKIPPED line when HAYMAKER_SKIP_BROWSER=1.
pub(crate) fn tool_or_skip(tool: &str, install: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(tool))
            .find(|p| p.is_file())
    });
    if found.is_none() && std::env::var("HAYMAKER_SKIP_BROWSER").is_ok_and(|v| v.trim() == "1") {
        eprintln!("\n*** SKIPPED: {tool} not found and HAYMAKER_SKIP_BROWSER=1 ***\n");
        return None;
    }
    Some(found.unwrap_or_else(|| {
        panic!("{tool} is needed for this test: {install} (tests/run.sh does it), or set HAYMAKER_SKIP_BROWSER=1")
    }))
}

/// The contract with its `run_id` and `scenario_name` path parameters narrowed to `run_ids` (plus an
/// unknown run) and `scenarios`: schemathesis then asks about runs that exist, so the answers it
/// checks against the schemas are real ones, not only 404s.
fn contract_for(dir: &Path, run_ids: &[uuid::Uuid], scenarios: &[String]) -> PathBuf {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/contracts/monitoring-api.openapi.yaml"),
    )
    .unwrap();
    let quoted = |items: Vec<String>| {
        items
            .iter()
            .map(|i| format!("{i:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut ids: Vec<String> = run_ids.iter().map(|r| r.to_string()).collect();
    ids.push(uuid::Uuid::new_v4().to_string());
    let run_example = r#"example: "550e8400-e29b-41d4-a716-446655440000""#;
    // The path parameter's example (the same example also sits on a schema property).
    let scenario_schema =
        "description: Scenario identifier\n          schema:\n            type: string\n";
    let scenario_example =
        format!("{scenario_schema}            example: \"ai-ml-01-cognitive-services-vision\"");
    assert_eq!(
        text.matches(run_example).count(),
        1,
        "the contract's run id example moved"
    );
    assert_eq!(
        text.matches(&scenario_example).count(),
        1,
        "the contract's scenario example moved"
    );
    let text = text
        .replace(run_example, &format!("enum: [{}]", quoted(ids)))
        .replace(
            &scenario_example,
            &format!(
                "{scenario_schema}            enum: [{}]",
                quoted(scenarios.to_vec())
            ),
        );
    let path = dir.join("contract.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// schemathesis over `contract` against the API at `base`: zero 5xx, zero schema or content-type
/// violations.
async fn schemathesis(bin: PathBuf, contract: PathBuf, base: String) {
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .arg("run")
            .arg(&contract)
            .args(["--url", &base])
            .args([
                "--checks",
                "not_a_server_error,response_schema_conformance,content_type_conformance",
            ])
            .args(["--max-examples", "40", "--seed", "7"])
            // The stream never ends by itself: it is tested below over real HTTP instead.
            .args(["--exclude-path", "/runs/{run_id}/logs/stream"])
            .stdin(Stdio::null())
            .output()
            .expect("schemathesis runs")
    })
    .await
    .unwrap();
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{report}"
    );
    assert!(report.contains("passed"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_errors_and_no_schema_violations() {
    let Some(bin) = tool_or_skip("schemathesis", "python3 -m pip install schemathesis") else {
        return;
    };
    let served = serve_seeded(&[]).await;
    let seeded = &served.seeded;
    let scenarios: Vec<String> = seeded.active_resources.keys().cloned().collect();
    let scratch = tempfile::tempdir().unwrap();
    let contract = contract_for(
        scratch.path(),
        &[seeded.active, seeded.finished],
        &scenarios,
    );
    schemathesis(bin, contract, format!("http://{}/api/v1", served.addr)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_over_a_sandbox_run_finds_no_server_errors_and_no_schema_violations() {
    let Some(bin) = tool_or_skip("schemathesis", "python3 -m pip install schemathesis") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let summary = haymaker::sandbox::run(sandbox_options(dir.path(), 9))
        .await
        .expect("the sandbox runs");
    assert!(summary.passed(), "{}", summary.render());
    let report = summary.report.as_ref().expect("the run report");
    let scenarios: Vec<String> = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scenario_name"].as_str().unwrap().to_string())
        .collect();
    assert!(!scenarios.is_empty());
    let (child, addr) = spawn_serve(&state, &[]);
    let _served = Killed(child);
    let contract = contract_for(dir.path(), &[summary.run_id], &scenarios);
    schemathesis(bin, contract, format!("http://{addr}/api/v1")).await;
}

/// Kills the served process when the test ends.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_stream_sends_history_since_then_new_events_and_keep_alives() {
    let served = serve_seeded(&[]).await;
    let a = served.seeded.active;
    let mut stream = tokio::net::TcpStream::connect(&served.addr).await.unwrap();
    // History since the first resource events: the deletion, the operation and the error (3 of 17).
    let since = "since=".to_string()
        + &(chrono::Utc::now() - chrono::Duration::minutes(60) - chrono::Duration::seconds(30))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let request = format!(
        "GET /api/v1/runs/{a}/logs/stream?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        since.replace('+', "%2B")
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut seen = String::new();
    let mut buf = vec![0u8; 8192];
    while seen.matches("event: log").count() < 3 {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("content-type: text/event-stream"), "{seen}");
    assert!(seen.contains("listed storage account keys"), "{seen}");
    assert!(
        !seen.contains("agent_started"),
        "events before `since` are not resent: {seen}"
    );
    // A new event arrives through ingestion while the stream is open.
    let event = api_support::log_event(
        a,
        "ai-ml-01-vision",
        "operation",
        "rotated a key while streaming",
        chrono::Utc::now(),
    );
    api_support::deliver(&served.store, "live-1", event, chrono::Utc::now()).await;
    while !seen.contains("rotated a key while streaming") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "stream closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(seen.contains("id: live-1"), "{seen}");
}
