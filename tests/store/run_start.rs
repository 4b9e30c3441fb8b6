//! Starting runs: exactly one active run, through the API, the timer and the CLI, also under
//! concurrency and across processes (local store; the Azurite suite repeats the race on Blob Storage).

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;

async fn post_runs(router: &axum::Router, body: &str) -> Answer {
    send(
        router,
        Request::post("/api/v1/runs")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn post_runs_starts_one_and_status_shows_it_at_once() {
    let app = test_app();
    let idle = get(&app.router, "/api/v1/status").await;
    assert_eq!(idle.status, StatusCode::OK);
    assert_eq!(idle.body["status"], "idle");
    assert!(idle.body["current_run_id"].is_null());
    assert!(idle.body["next_scheduled_run"].as_str().is_some());
    assert_eq!(idle.headers["cache-control"], "max-age=10");

    let started = post_runs(&app.router, r#"{"size":"medium","duration_hours":2}"#).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
    let run_id = started.body["run_id"].as_str().unwrap().to_string();
    assert_eq!(
        started.headers["location"],
        format!("/api/v1/runs/{run_id}")
    );

    let status = get(&app.router, "/api/v1/status").await;
    assert_eq!(status.body["status"], "running");
    assert_eq!(status.body["current_run_id"], run_id.as_str());
    assert_eq!(status.body["phase"], "validation");
    assert_eq!(status.body["scenarios_count"], 15);

    let again = post_runs(&app.router, "").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error"]["code"], "RUN_ALREADY_ACTIVE");
    assert_eq!(again.body["error"]["details"]["run_id"], run_id.as_str());
    assert!(again.headers.contains_key("x-trace-id"));
}

#[tokio::test]
async fn bad_start_requests_say_what_is_wrong_and_start_nothing() {
    let app = test_app();
    for (body, code, needle) in [
        (r#"{"size":"huge"}"#, "INVALID_PARAMETER", "size `huge`"),
        (
            r#"{"duration_hours":0}"#,
            "INVALID_PARAMETER",
            "duration_hours 0",
        ),
        (
            r#"{"duration_hours":100}"#,
            "INVALID_PARAMETER",
            "out of range",
        ),
        (
            r#"{"colour":"red"}"#,
            "INVALID_BODY",
            "unknown field `colour`",
        ),
        ("not json", "INVALID_BODY", "must be JSON"),
    ] {
        let answer = post_runs(&app.router, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.body["error"]["code"], code, "{body}");
        assert!(answer.text.contains(needle), "{body}: {}", answer.text);
    }
    assert_eq!(
        get(&app.router, "/api/v1/status").await.body["status"],
        "idle"
    );
}

#[tokio::test]
async fn scheduled_run_starts_with_the_configured_size_then_skips_while_active() {
    let app = test_app_with(&[("SIMULATION_SIZE", "large")]);
    let (_, timer) = host_vectors()
        .into_iter()
        .find(|(f, _)| f == "timer.json")
        .unwrap();
    let first = post_envelope(&app.router, "ScheduledRun", &timer).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["ReturnValue"]["outcome"], "started");
    let run_id = first.body["ReturnValue"]["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    let status = get(&app.router, "/api/v1/status").await;
    assert_eq!(status.body["current_run_id"], run_id.as_str());
    assert_eq!(status.body["scenarios_count"], 30);

    let second = post_envelope(&app.router, "ScheduledRun", &timer).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body["ReturnValue"]["outcome"], "skipped");
    assert_eq!(second.body["ReturnValue"]["active_run_id"], run_id.as_str());
    assert!(second.body["Logs"][0]
        .as_str()
        .unwrap()
        .contains("is active"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_starts_make_exactly_one_run() {
    let app = test_app();
    common::store_suite::concurrent_run_starts(&app.store, 50).await;
}

#[test]
fn concurrent_cli_starts_across_processes_make_exactly_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let state = format!("file://{}", dir.path().display());
    let children: Vec<_> = (0..12)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_haymaker"))
                .args(["start", "--size", "small"])
                .env("HAYMAKER_STATE", &state)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let winners: Vec<_> = outputs.iter().filter(|o| o.status.success()).collect();
    assert_eq!(winners.len(), 1, "exactly one process starts a run");
    let winner = String::from_utf8_lossy(&winners[0].stdout).to_string();
    let run_id = winner.split_whitespace().nth(2).unwrap().to_string();
    for o in outputs.iter().filter(|o| !o.status.success()) {
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("run {run_id} is already active")),
            "{err}"
        );
    }
}
