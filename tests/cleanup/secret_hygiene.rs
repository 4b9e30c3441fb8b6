//! Secret hygiene after a whole sandbox run: every secret that existed — the orchestrator's client
//! secret, every service principal password the simulated Graph created, every bearer token its
//! token endpoint issued, every Key Vault value (the agents' secrets), inline Container App
//! secrets, the API key — is searched for in every log line the process emitted (a capturing
//! subscriber, JSON lines as under the host, at debug level, plus what the played Functions host
//! logs of every invocation answer: its `Logs` lines and outputs), every blob of the state store,
//! every answer of the monitoring API for the run, during monitoring and after the end, and the
//! run's live log stream (Server-Sent Events) from Monitoring to the end. Zero hits.
//! The scan is shown to work: a planted secret, logged and written to a blob, is found.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use haymaker::handler::{app, AppState};
use haymaker::run::Phase;
use haymaker::sandbox::Sandbox;
use haymaker::scenarios::Size;
use haymaker::sim::issued::SecretKind;
use haymaker::store::{BlobKey, Container, StateStore};
use http_body_util::BodyExt;
use tokio::task::JoinHandle;
use tower::ServiceExt;

const API_KEY: &str = "hygiene-api-key-7f3c9a21d4e8";

/// Everything the process logs, as JSON lines, from the first use on (the global subscriber).
fn captured() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,functions_host=trace",
            ))
            .with_writer(move || Capture(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
        buffer
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_lines() -> Vec<String> {
    let bytes = captured().lock().unwrap().clone();
    String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::to_string)
        .collect()
}

/// One place a secret may not appear: where, and its text.
struct Haystack {
    place: String,
    text: String,
}

/// Every blob of every container.
async fn blobs(store: &StateStore) -> Vec<Haystack> {
    let mut out = vec![];
    for c in Container::ALL {
        for name in store.list_all(c, "").await.unwrap() {
            let key = BlobKey::new(c, name.clone()).unwrap();
            if let Some(stored) = store.read(&key).await.unwrap() {
                out.push(Haystack {
                    place: format!("blob {key}"),
                    text: String::from_utf8_lossy(&stored.bytes).into_owned(),
                });
            }
        }
    }
    out
}

/// The run's log stream as it arrives, read in the background until aborted (it never ends).
fn open_stream(router: &axum::Router, run: uuid::Uuid) -> (Arc<Mutex<String>>, JoinHandle<()>) {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    let request = Request::get(format!("/api/v1/runs/{run}/logs/stream"))
        .header("x-api-key", API_KEY)
        .body(Body::empty())
        .unwrap();
    let router = router.clone();
    let task = tokio::spawn(async move {
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200, "the log stream opens");
        let mut body = response.into_body();
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(data));
            }
        }
    });
    (text, task)
}

/// How many log entries the run has (`/logs`' `total_items`).
async fn log_count(router: &axum::Router, run: uuid::Uuid) -> usize {
    let path = format!("/api/v1/runs/{run}/logs?page_size=1");
    let request = Request::get(&path)
        .header("x-api-key", API_KEY)
        .body(Body::empty())
        .unwrap();
    let answer = answer(router, request, &path).await;
    let body = answer.text.split_once('\n').unwrap().1;
    let page: serde_json::Value = serde_json::from_str(body).unwrap();
    page["pagination"]["total_items"].as_u64().unwrap() as usize
}

/// Every monitoring API answer for the run (the SSE stream is read by [`open_stream`]).
async fn api_answers(
    router: &axum::Router,
    run: uuid::Uuid,
    scenarios: &[String],
) -> Vec<Haystack> {
    let mut paths = vec![
        "/".to_string(),
        "/api/v1/health".into(),
        "/api/v1/status".into(),
        "/api/v1/runs".into(),
        "/api/v1/runs?page_size=500".into(),
        "/api/v1/metrics".into(),
        "/api/v1/openapi.json".into(),
        format!("/api/v1/runs/{run}"),
        format!("/api/v1/runs/{run}/scenarios"),
        format!("/api/v1/runs/{run}/resources?page_size=500"),
        format!("/api/v1/runs/{run}/service-principals"),
        format!("/api/v1/runs/{run}/logs?page_size=500"),
        format!("/api/v1/runs/{run}/cleanup-report"),
    ];
    for s in scenarios {
        paths.push(format!("/api/v1/runs/{run}/scenarios/{s}"));
    }
    let mut out = vec![];
    for path in paths {
        let request = Request::get(&path)
            .header("x-api-key", API_KEY)
            .body(Body::empty())
            .unwrap();
        out.push(answer(router, request, &path).await);
    }
    let path = format!("/api/v1/runs/{run}/cleanup?dry_run=true");
    let request = Request::post(&path)
        .header("x-api-key", API_KEY)
        .body(Body::empty())
        .unwrap();
    out.push(answer(router, request, &path).await);
    out
}

async fn answer(router: &axum::Router, request: Request<Body>, path: &str) -> Haystack {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    assert!(
        !status.is_server_error() || path.contains("cleanup"),
        "{path}: {status}"
    );
    let headers = format!("{:?}", response.headers());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Haystack {
        place: format!("answer {path} ({status})"),
        text: format!("{headers}\n{}", String::from_utf8_lossy(&bytes)),
    }
}

/// Secrets found: (kind, where).
fn scan(secrets: &[(String, String)], haystacks: &[Haystack]) -> Vec<(String, String)> {
    let mut hits = vec![];
    for (kind, secret) in secrets {
        for h in haystacks
            .iter()
            .filter(|h| h.text.contains(secret.as_str()))
        {
            hits.push((kind.clone(), h.place.clone()));
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_of_a_run_reaches_logs_blobs_or_api_answers() {
    captured();
    let dir = tempfile::tempdir().unwrap();
    let mut sandbox = Sandbox::start(crate::sandbox::options(&dir, Size::Small, 5))
        .await
        .unwrap();
    let run = sandbox.run_id();
    let mut settings = sandbox.settings().clone();
    settings.api_key = Some(haymaker::config::Secret::new(API_KEY));
    let router = app(AppState::with_store(settings, sandbox.store().clone()));

    // The API during monitoring (agents at work), then the run to its end.
    let mut answers = vec![];
    let scenarios: Vec<String> = loop {
        let state = sandbox.step().await.unwrap().unwrap();
        if state.phase == Phase::Monitoring {
            break state.scenarios.iter().map(|s| s.name.clone()).collect();
        }
        assert!(!state.phase.is_terminal(), "{:?}", state.errors);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    answers.extend(api_answers(&router, run, &scenarios).await);
    let at_open = log_count(&router, run).await;
    let (stream, reader) = open_stream(&router, run);
    let end = sandbox.run_to_end().await.unwrap().unwrap();
    assert_eq!(end.phase, Phase::Completed, "{:?}", end.errors);
    answers.extend(api_answers(&router, run, &scenarios).await);
    // The stream sent the history and everything archived while it was open: every entry.
    let at_end = log_count(&router, run).await;
    assert!(
        at_end > at_open,
        "events arrived while streaming: {at_open} → {at_end}"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let streamed = loop {
        let sent = stream.lock().unwrap().matches("event: log").count();
        if sent >= at_end {
            break sent;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream sent {sent} of {at_end} entries"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    reader.abort();
    answers.push(Haystack {
        place: format!("log stream ({streamed} entries)"),
        text: stream.lock().unwrap().clone(),
    });

    let issued = sandbox.sim().world().issued_secrets();
    let mut secrets: Vec<(String, String)> = issued
        .iter()
        .map(|(k, s)| (format!("{k:?}"), s.expose().to_string()))
        .collect();
    secrets.push(("ApiKey".into(), API_KEY.into()));
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (k, _) in &secrets {
        *kinds.entry(k.clone()).or_default() += 1;
    }
    for kind in [
        SecretKind::ClientSecret,
        SecretKind::Password,
        SecretKind::AccessToken,
        SecretKind::VaultValue,
    ] {
        assert!(
            kinds.get(&format!("{kind:?}")).is_some_and(|n| *n > 0),
            "no {kind:?} was recorded: {kinds:?}"
        );
    }
    assert!(
        kinds["Password"] >= Size::Small.count(),
        "a password per scenario: {kinds:?}"
    );

    let store = sandbox.store().clone();
    let summary = sandbox.finish().await.unwrap();
    assert!(summary.passed(), "{}", summary.render());

    let blob_texts = blobs(&store).await;
    let lines: Vec<Haystack> = log_lines()
        .into_iter()
        .enumerate()
        .map(|(i, text)| Haystack {
            place: format!("log line {i}"),
            text,
        })
        .collect();
    assert!(
        lines.len() > 100,
        "the run's logs were captured: {}",
        lines.len()
    );
    let host_lines = lines
        .iter()
        .filter(|l| l.text.contains("\"functions_host\"") && l.text.contains("invocation answered"))
        .count();
    assert!(
        host_lines > 10,
        "the host logged the invocation answers: {host_lines}"
    );
    assert!(
        blob_texts.len() > 10,
        "the run's blobs: {}",
        blob_texts.len()
    );
    let mut all = lines;
    all.extend(blob_texts);
    all.extend(answers);
    let hits = scan(&secrets, &all);
    assert!(hits.is_empty(), "secrets found: {hits:?}");
    eprintln!(
        "secret hygiene: {} secrets {kinds:?}; {} log lines, {} haystacks in all; 0 hits",
        secrets.len(),
        log_lines().len(),
        all.len()
    );

    // The scan can fail: a password logged and a token written to a blob are found.
    let (_, password) = secrets.iter().find(|(k, _)| k == "Password").unwrap();
    let (_, token) = secrets.iter().find(|(k, _)| k == "AccessToken").unwrap();
    // A password is also a vault value: one entry per distinct secret, kinds joined.
    let mut by_value: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in &secrets {
        by_value.entry(v.clone()).or_default().push(k.clone());
    }
    let distinct: Vec<(String, String)> = by_value
        .into_iter()
        .map(|(v, k)| (k.join("+"), v))
        .collect();
    tracing::warn!(leaked = %password, "a planted leak");
    let planted = BlobKey::new(Container::Reports, "planted/leak.json").unwrap();
    store
        .create(&planted, format!("{{\"token\":\"{token}\"}}").into_bytes())
        .await
        .unwrap();
    let mut again: Vec<Haystack> = log_lines()
        .into_iter()
        .map(|text| Haystack {
            place: "log".into(),
            text,
        })
        .collect();
    again.extend(blobs(&store).await);
    let mut found = scan(&distinct, &again);
    found.sort();
    assert_eq!(
        found,
        vec![
            ("AccessToken".to_string(), format!("blob {planted}")),
            ("Password+VaultValue".to_string(), "log".to_string()),
        ],
        "the planted secrets, and only they"
    );
}
