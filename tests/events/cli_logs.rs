//! `haymaker logs --run ID [--follow] [--json]`: a run's archived events from a local state
//! directory, printed by the real binary in time order, once per message; `--follow` until the run
//! finishes; a clear error for an unknown run.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use haymaker::run::{keys, start_run, Phase, RunRequest, RunState, StartOutcome, StartTrigger};
use haymaker::store::{Decision, StateStore, StoreLocation};
use serde_json::{json, Value};
use uuid::Uuid;

fn haymaker(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_haymaker"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HAYMAKER_STATE", format!("file://{}", dir.display()))
        .env("HAYMAKER_LOG_FORMAT", "json");
    cmd
}

fn store(dir: &Path) -> StateStore {
    StateStore::open(&StoreLocation::Local(dir.to_path_buf())).unwrap()
}

async fn started_run(store: &StateStore) -> Uuid {
    let request = RunRequest {
        size: haymaker::scenarios::Size::Small,
        duration_hours: 8.0,
        trigger: StartTrigger::Cli,
    };
    match start_run(store, &request, chrono::Utc::now())
        .await
        .unwrap()
    {
        StartOutcome::Started { run_id, .. } => run_id,
        other => panic!("{other:?}"),
    }
}

/// `minute` minutes after the test began (after the run started), to the second.
fn at(minute: u32) -> String {
    use std::sync::OnceLock;
    static BASE: OnceLock<chrono::DateTime<chrono::Utc>> = OnceLock::new();
    let base = *BASE.get_or_init(|| chrono::Utc::now() + chrono::Duration::minutes(1));
    (base + chrono::Duration::minutes(minute.into()))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn created(run_id: Uuid, name: &str, minute: u32) -> Value {
    json!({
        "event_type": "resource_created",
        "resource_id": format!("/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{name}"),
        "resource_type": "Microsoft.Storage/storageAccounts",
        "resource_name": name,
        "scenario_name": "storage-01-blob",
        "run_id": run_id,
        "timestamp": at(minute),
    })
}

async fn deliver(store: &StateStore, events: &[(&str, Value)]) {
    crate::common::ingest_delivery(store, events).await;
}

#[tokio::test]
async fn logs_prints_the_archive_in_time_order_once_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let run_id = started_run(&store).await;
    deliver(&store, &[("m-3", created(run_id, "third", 30))]).await;
    deliver(
        &store,
        &[
            ("m-2", created(run_id, "second", 20)),
            ("m-1", created(run_id, "first", 10)),
        ],
    )
    .await;
    // m-3 again, inside another batch: shown once.
    deliver(
        &store,
        &[
            ("m-3", created(run_id, "third", 30)),
            ("m-4", created(run_id, "fourth", 40)),
        ],
    )
    .await;

    let out = haymaker(dir.path())
        .args(["logs", "--run", &run_id.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(lines[0].contains("run_started"), "{stdout}");
    assert!(lines[0].contains("run started (size small"), "{stdout}");
    for (line, (name, minute)) in
        lines[1..]
            .iter()
            .zip([("first", 10), ("second", 20), ("third", 30), ("fourth", 40)])
    {
        assert!(line.starts_with(&at(minute)), "{line}");
        assert!(line.contains("resource_created"), "{line}");
        assert!(line.contains("storage-01-blob"), "{line}");
        assert!(
            line.ends_with(&format!("/storageAccounts/{name}")),
            "{line}"
        );
    }

    let out = haymaker(dir.path())
        .args(["logs", "--run", &run_id.to_string(), "--json"])
        .output()
        .unwrap();
    let docs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
        .collect();
    let ids: Vec<&str> = docs
        .iter()
        .map(|d| d["message_id"].as_str().unwrap())
        .collect();
    let started = format!("run-{run_id}-started");
    assert_eq!(ids, [started.as_str(), "m-1", "m-2", "m-3", "m-4"]);
    assert_eq!(docs[1]["event"]["resource_name"], "first");
}

#[test]
fn an_unknown_run_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let stranger = Uuid::new_v4();
    let out = haymaker(dir.path())
        .args(["logs", "--run", &stranger.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("run {stranger} is unknown")),
        "{stderr}"
    );
    assert!(stderr.contains("state.json"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_shows_new_events_until_the_run_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let run_id = started_run(&store).await;
    deliver(&store, &[("m-1", created(run_id, "first", 10))]).await;
    let mut child = haymaker(dir.path())
        .args(["logs", "--run", &run_id.to_string(), "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = rx.recv().expect("run_started is printed");
    assert!(started.contains("run_started"), "{started}");
    let first = rx.recv().expect("the archived event is printed");
    assert!(first.contains("/first"), "{first}");

    // While it follows: a new event, then the run finishes.
    deliver(&store, &[("m-2", created(run_id, "second", 20))]).await;
    let second = rx.recv().expect("the new event is printed");
    assert!(second.contains("/second"), "{second}");
    store
        .update_json(&keys::run_state(run_id), |s: Option<&RunState>| {
            let mut s = s.cloned().expect("the run's state");
            s.phase = Phase::Completed;
            Decision::Write(s, ())
        })
        .await
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(
        status.success(),
        "stops by itself once the run has finished"
    );
    assert!(rx.recv().is_err(), "nothing more was printed");
}
