//! Shared test helpers: the router in-process, envelope posting, and the shared vectors.
#![allow(dead_code)]

pub mod azurite;
pub mod store_suite;

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use haymaker::config::Settings;
use haymaker::handler::{app, AppState};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the project (laid out the same way in CI).
pub fn shared_dir() -> PathBuf {
    let dir = project_root().join("../shared");
    assert!(
        dir.is_dir(),
        "{} is missing: the shared vectors must sit beside the project",
        dir.display()
    );
    dir
}

pub fn host_vectors() -> Vec<(String, String)> {
    let dir = shared_dir().join("vectors/functions-host");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 6,
        "expected the host vectors, found {}",
        out.len()
    );
    out
}

pub fn settings(pairs: &[(&str, &str)]) -> Settings {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(&move |name| map.get(name).cloned()).expect("test settings are valid")
}

/// The router over a fresh local state directory (removed when the value drops).
pub struct TestApp {
    pub router: axum::Router,
    pub store: haymaker::store::StateStore,
    pub dir: tempfile::TempDir,
}

pub fn test_app() -> TestApp {
    test_app_with(&[])
}

pub fn test_app_with(pairs: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store = haymaker::store::StateStore::open(&haymaker::store::StoreLocation::Local(
        dir.path().to_path_buf(),
    ))
    .unwrap();
    let router = app(AppState::with_store(settings(pairs), store.clone()));
    TestApp { router, store, dir }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
}

pub async fn send(router: &axum::Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

pub async fn post_envelope(router: &axum::Router, function: &str, body: &str) -> Answer {
    let request = Request::post(format!("/{function}"))
        .header("content-type", "application/json")
        .header(
            "x-azure-functions-invocationid",
            "5d3c2b1a-0000-4000-8000-000000000001",
        )
        .body(Body::from(body.to_string()))
        .unwrap();
    send(router, request).await
}

pub async fn get(router: &axum::Router, path: &str) -> Answer {
    send(router, Request::get(path).body(Body::empty()).unwrap()).await
}

/// `GET path` answered 200 with JSON; its body.
pub async fn ok(app: &TestApp, path: &str) -> serde_json::Value {
    let a = get(&app.router, path).await;
    assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text);
    assert_eq!(a.headers["content-type"], "application/json", "{path}");
    a.body
}

/// An answer in the API's error shape: status, code, a message, the trace id also in `X-Trace-Id`.
pub fn assert_error(a: &Answer, status: StatusCode, code: &str) {
    assert_eq!(a.status, status, "{}", a.text);
    assert_eq!(a.body["error"]["code"], code, "{}", a.text);
    assert!(!a.body["error"]["message"].as_str().unwrap().is_empty());
    let trace = a.body["error"]["trace_id"].as_str().unwrap();
    assert_eq!(a.headers["x-trace-id"], trace);
    assert_eq!(a.headers["content-type"], "application/json");
}

/// Archives `events` (message id, event JSON) as one delivery through the real ingestion — a batch
/// when there is more than one — and gives each message's outcome.
pub async fn ingest_delivery(
    store: &haymaker::store::StateStore,
    events: &[(&str, Value)],
) -> Vec<haymaker::events::IngestOutcome> {
    use haymaker::events::{ingest, parse_event, Delivery, RunGate};
    let parsed: Vec<_> = events
        .iter()
        .map(|(_, e)| parse_event(e).unwrap())
        .collect();
    let deliveries: Vec<Delivery<'_>> = events
        .iter()
        .zip(&parsed)
        .map(|((id, raw), event)| Delivery {
            message_id: id,
            event,
            raw,
        })
        .collect();
    ingest(store, &RunGate::default(), &deliveries, chrono::Utc::now())
        .await
        .unwrap()
}
