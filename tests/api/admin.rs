//! Admin endpoints, the API key and storage trouble, in process over seeded state: cancel and
//! cleanup move a run under its precondition, a dry run says which settings it needs, the key guards
//! everything but `/health` and the page, and a store that does not answer is a retryable
//! `STORAGE_ERROR` without internals.

use crate::api_support;
use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;

async fn post(app: &TestApp, path: &str) -> Answer {
    send(
        &app.router,
        Request::post(path).body(Body::empty()).unwrap(),
    )
    .await
}

#[tokio::test]
async fn cancel_moves_an_active_run_to_cleanup_once() {
    let app = test_app();
    let seeded = api_support::seed(&app.store).await;
    let (a, f) = (seeded.active, seeded.finished);
    let moved = post(&app, &format!("/api/v1/runs/{a}/cancel")).await;
    assert_eq!(moved.status, StatusCode::ACCEPTED, "{}", moved.text);
    assert_eq!(moved.body["previous_phase"], "monitoring");
    let run: haymaker::run::RunState = app
        .store
        .read_json(&haymaker::run::keys::run_state(a))
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(run.phase, haymaker::run::Phase::Cleanup);
    let statuses: Vec<_> = run.scenarios.iter().map(|s| s.status).collect();
    use haymaker::run::ScenarioStatus::*;
    assert_eq!(statuses, vec![Completed, Completed, Failed]);
    assert!(run.errors.iter().any(|e| e.error_code == "RUN_CANCELLED"));
    let again = post(&app, &format!("/api/v1/runs/{a}/cancel")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["phase"], "cleanup");
    let after: haymaker::run::RunState = app
        .store
        .read_json(&haymaker::run::keys::run_state(a))
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(
        after.errors.len(),
        run.errors.len(),
        "a second cancel changes nothing"
    );
    assert_error(
        &post(&app, &format!("/api/v1/runs/{f}/cancel")).await,
        StatusCode::CONFLICT,
        "RUN_NOT_ACTIVE",
    );
    assert_error(
        &post(&app, &format!("/api/v1/runs/{f}/cleanup?dry_run=false")).await,
        StatusCode::CONFLICT,
        "RUN_NOT_ACTIVE",
    );
    assert_error(
        &post(&app, "/api/v1/runs/x/cancel").await,
        StatusCode::BAD_REQUEST,
        "INVALID_RUN_ID",
    );
    assert_error(
        &post(
            &app,
            &format!("/api/v1/runs/{}/cancel", uuid::Uuid::new_v4()),
        )
        .await,
        StatusCode::NOT_FOUND,
        "RUN_NOT_FOUND",
    );
    let details = ok(&app, &format!("/api/v1/runs/{a}")).await;
    assert_eq!(details["phase"], "cleanup");
    assert_eq!(details["scenarios"][0]["cleanup_status"], "in_progress");
}

#[tokio::test]
async fn cleanup_through_the_api_starts_cleanup_or_says_which_settings_a_dry_run_needs() {
    let app = test_app();
    let seeded = api_support::seed(&app.store).await;
    let a = seeded.active;
    let dry = post(&app, &format!("/api/v1/runs/{a}/cleanup?dry_run=true")).await;
    assert_error(
        &dry,
        StatusCode::SERVICE_UNAVAILABLE,
        "AZURE_NOT_CONFIGURED",
    );
    assert!(dry.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("AZURE_TENANT_ID"));
    assert_error(
        &post(&app, &format!("/api/v1/runs/{a}/cleanup?dry_run=maybe")).await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER",
    );
    let run: haymaker::run::RunState = app
        .store
        .read_json(&haymaker::run::keys::run_state(a))
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(
        run.phase,
        haymaker::run::Phase::Monitoring,
        "a dry run changes nothing"
    );
    let real = post(&app, &format!("/api/v1/runs/{a}/cleanup?dry_run=false")).await;
    assert_eq!(real.status, StatusCode::ACCEPTED, "{}", real.text);
    assert_eq!(real.body["phase"], "cleanup");
}

#[tokio::test]
async fn the_api_key_guards_everything_but_health_and_the_page() {
    let app = test_app_with(&[("HAYMAKER_API_KEY", "k3y-for-tests")]);
    let seeded = api_support::seed(&app.store).await;
    let with = |path: &str, key: Option<&str>| {
        let mut r = Request::get(path);
        if let Some(k) = key {
            r = r.header("x-api-key", k);
        }
        r.body(Body::empty()).unwrap()
    };
    for path in [
        "/api/v1/status",
        "/api/v1/runs",
        &format!("/api/v1/runs/{}", seeded.active),
        "/api/v1/openapi.json",
        "/api/v1/metrics",
    ] {
        assert_error(
            &send(&app.router, with(path, None)).await,
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
        );
        assert_error(
            &send(&app.router, with(path, Some("k3y-for-test"))).await,
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
        );
        assert_eq!(
            send(&app.router, with(path, Some("k3y-for-tests")))
                .await
                .status,
            StatusCode::OK,
            "{path}"
        );
    }
    let post_unauth = send(
        &app.router,
        Request::post("/api/v1/runs").body(Body::empty()).unwrap(),
    )
    .await;
    assert_error(&post_unauth, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(
        send(&app.router, with("/api/v1/health", None)).await.status,
        StatusCode::OK
    );
    let page = send(&app.router, with("/", None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("X-API-Key"), "the page asks for the key");
    assert!(!page.text.contains("k3y-for-tests"));
}

#[tokio::test]
async fn storage_trouble_is_a_retryable_storage_error_without_internals() {
    let conn = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1";
    let location = haymaker::store::StoreLocation::parse(conn, "HAYMAKER_STATE").unwrap();
    let store = haymaker::store::StateStore::open(&location).unwrap();
    let router = haymaker::handler::app(haymaker::handler::AppState::with_store(
        settings(&[]),
        store,
    ));
    let a = get(&router, &format!("/api/v1/runs/{}", uuid::Uuid::new_v4())).await;
    assert_error(&a, StatusCode::SERVICE_UNAVAILABLE, "STORAGE_ERROR");
    assert_eq!(a.body["error"]["details"]["retryable"], true);
    assert!(!a.text.contains("127.0.0.1"), "{}", a.text);
    let h = get(&router, "/api/v1/health").await;
    assert_error(&h, StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE");
    assert_eq!(h.body["error"]["details"]["checks"]["storage"], "fail");
}
