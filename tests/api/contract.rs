//! The monitoring API against its contract (`../shared/contracts/monitoring-api.openapi.yaml`), in
//! process over seeded state: every path answers in the contract's schema with the seeded facts,
//! parameters are validated with the contract's error codes, and paging and filters work (admin
//! endpoints and the API key: api_admin.rs).

use crate::api_support;
use crate::common;

use api_support::schema::{assert_matches, contract};
use axum::http::StatusCode;
use common::*;

#[tokio::test]
async fn every_contract_path_answers_in_the_contract_schema_with_the_seeded_facts() {
    let doc = contract();
    let app = test_app();
    let seeded = api_support::seed(&app.store).await;
    let (a, f) = (seeded.active, seeded.finished);

    let status = get(&app.router, "/api/v1/status").await;
    assert_eq!(status.headers["cache-control"], "max-age=10");
    assert_matches(&doc, "OrchestratorStatus", &status.body);
    assert_eq!(status.body["current_run_id"], a.to_string());

    let health = ok(&app, "/api/v1/health").await;
    assert_matches(&doc, "HealthCheck", &health);
    assert_eq!(health["checks"]["storage"], "pass");

    let runs = ok(&app, "/api/v1/runs").await;
    assert_matches(&doc, "RunsListResponse", &runs);
    let ids: Vec<&str> = runs["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![a.to_string(), f.to_string()], "newest first");
    assert_eq!(runs["runs"][1]["cleanup_status"], "verified");
    assert_eq!(runs["runs"][1]["status"], "completed");
    assert_eq!(runs["runs"][0]["resources_created"], 12);
    let done = ok(&app, "/api/v1/runs?status=completed&page_size=1").await;
    assert_eq!(done["runs"].as_array().unwrap().len(), 1);
    assert_eq!(done["pagination"]["total_items"], 1);
    let since = (chrono::Utc::now() - chrono::Duration::hours(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let recent = ok(&app, &format!("/api/v1/runs?start_date={since}")).await;
    assert_eq!(recent["runs"][0]["run_id"], a.to_string());
    assert_eq!(recent["pagination"]["total_items"], 1);

    let active = get(&app.router, &format!("/api/v1/runs/{a}")).await;
    assert_eq!(active.headers["cache-control"], "max-age=30");
    assert_matches(&doc, "RunDetails", &active.body);
    assert_eq!(active.body["status"], "in_progress");
    assert_eq!(active.body["phase"], "monitoring");
    assert_eq!(active.body["total_resources"], 12);
    assert_eq!(active.body["scenarios"][0]["resources_created"], 7);
    assert_eq!(active.body["errors"][0]["error_code"], "PROVISION_RETRY");
    let finished = ok(&app, &format!("/api/v1/runs/{f}")).await;
    assert_matches(&doc, "RunDetails", &finished);
    assert_eq!(finished["status"], "completed");
    assert_eq!(finished["cleanup_verification"]["actually_deleted"], 4);

    let scenarios = ok(&app, &format!("/api/v1/runs/{a}/scenarios")).await;
    assert_matches(&doc, "ScenariosListResponse", &scenarios);
    assert_eq!(scenarios["scenarios"].as_array().unwrap().len(), 3);
    let pending = ok(&app, &format!("/api/v1/runs/{a}/scenarios?status=pending")).await;
    assert_eq!(
        pending["scenarios"][0]["scenario_name"],
        "security-03-vault"
    );
    assert_eq!(pending["scenarios"].as_array().unwrap().len(), 1);
    let one = ok(
        &app,
        &format!("/api/v1/runs/{a}/scenarios/networking-02-vnet"),
    )
    .await;
    assert_matches(&doc, "ScenarioDetails", &one);
    assert_eq!(one["resources"].as_array().unwrap().len(), 5);
    assert_eq!(one["phase"], "operations");
    let missing = get(&app.router, &format!("/api/v1/runs/{a}/scenarios/nope")).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "SCENARIO_NOT_FOUND");

    let resources = ok(&app, &format!("/api/v1/runs/{a}/resources")).await;
    assert_matches(&doc, "ResourcesListResponse", &resources);
    assert_eq!(resources["pagination"]["total_items"], 12);
    let sps = ok(&app, &format!("/api/v1/runs/{a}/service-principals")).await;
    assert_matches(&doc, "ServicePrincipalsListResponse", &sps);
    assert_eq!(sps["service_principals"].as_array().unwrap().len(), 3);
    assert_eq!(
        sps["service_principals"][0]["roles_assigned"][0],
        "Contributor"
    );

    let logs = ok(&app, &format!("/api/v1/runs/{a}/logs")).await;
    assert_matches(&doc, "LogsListResponse", &logs);
    assert_eq!(logs["pagination"]["total_items"], 17);
    let times: Vec<&str> = logs["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["timestamp"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "time order");

    let report = ok(&app, &format!("/api/v1/runs/{f}/cleanup-report")).await;
    assert_matches(&doc, "CleanupReport", &report);
    assert_eq!(report["status"], "verified");
    let none = get(&app.router, &format!("/api/v1/runs/{a}/cleanup-report")).await;
    assert_error(&none, StatusCode::NOT_FOUND, "CLEANUP_REPORT_NOT_FOUND");

    for period in ["hour", "day", "week", "month"] {
        let m = ok(&app, &format!("/api/v1/metrics?period={period}")).await;
        assert_matches(&doc, "Metrics", &m);
        assert_eq!(m["period"], period);
    }
    let week = ok(&app, "/api/v1/metrics?period=week").await;
    assert_eq!(week["total_runs"], 2);
    assert_eq!(week["successful_runs"], 1);
    assert_eq!(week["total_resources_created"], 16);
    assert_eq!(week["total_resources_deleted"], 4);
    assert_eq!(week["cleanup_success_rate"], 1.0);
    let hour = ok(&app, "/api/v1/metrics?period=hour").await;
    assert_eq!(hour["total_runs"], 0);
}

#[tokio::test]
async fn bad_parameters_get_the_contract_error_codes() {
    let app = test_app();
    let seeded = api_support::seed(&app.store).await;
    let a = seeded.active;
    let unknown = uuid::Uuid::new_v4();
    for sub in [
        "",
        "/scenarios",
        "/scenarios/x",
        "/resources",
        "/service-principals",
        "/logs",
        "/logs/stream",
        "/cleanup-report",
    ] {
        assert_error(
            &get(&app.router, &format!("/api/v1/runs/not-a-uuid{sub}")).await,
            StatusCode::BAD_REQUEST,
            "INVALID_RUN_ID",
        );
        let nf = get(&app.router, &format!("/api/v1/runs/{unknown}{sub}")).await;
        assert_error(&nf, StatusCode::NOT_FOUND, "RUN_NOT_FOUND");
        assert_eq!(nf.body["error"]["details"]["run_id"], unknown.to_string());
    }
    for query in [
        "page=0",
        "page=-1",
        "page=x",
        "page_size=0",
        "page_size=501",
        "page_size=ten",
        "status=running",
        "start_date=yesterday",
    ] {
        let bad = get(&app.router, &format!("/api/v1/runs?{query}")).await;
        assert_error(&bad, StatusCode::BAD_REQUEST, "INVALID_PARAMETER");
        let name = query.split('=').next().unwrap();
        assert_eq!(bad.body["error"]["details"]["parameter"], name, "{query}");
    }
    assert_eq!(
        get(&app.router, "/api/v1/runs?page_size=500").await.status,
        StatusCode::OK
    );
    let past = get(
        &app.router,
        &format!("/api/v1/runs/{a}/resources?page=3&page_size=10"),
    )
    .await;
    assert_error(&past, StatusCode::BAD_REQUEST, "PAGE_OUT_OF_RANGE");
    assert_eq!(
        get(
            &app.router,
            &format!("/api/v1/runs/{a}/resources?page=2&page_size=10")
        )
        .await
        .status,
        StatusCode::OK
    );
    for (path, name) in [
        (format!("/api/v1/runs/{a}/resources?status=gone"), "status"),
        (format!("/api/v1/runs/{a}/logs?severity=fatal"), "severity"),
        (
            format!("/api/v1/runs/{a}/logs?event_type=resource_deleted"),
            "event_type",
        ),
        (format!("/api/v1/runs/{a}/logs?end_time=soon"), "end_time"),
        (format!("/api/v1/runs/{a}/scenarios?status=done"), "status"),
        (format!("/api/v1/runs/{a}/logs/stream?since=then"), "since"),
        ("/api/v1/metrics?period=year".to_string(), "period"),
    ] {
        let bad = get(&app.router, &path).await;
        assert_error(&bad, StatusCode::BAD_REQUEST, "INVALID_PARAMETER");
        assert_eq!(bad.body["error"]["details"]["parameter"], name, "{path}");
    }
}

#[tokio::test]
async fn resources_and_logs_page_and_filter() {
    let app = test_app();
    let seeded = api_support::seed(&app.store).await;
    let a = seeded.active;
    let mut seen = std::collections::BTreeSet::new();
    for page in 1..=3 {
        let p = ok(
            &app,
            &format!("/api/v1/runs/{a}/resources?page={page}&page_size=5"),
        )
        .await;
        assert_eq!(p["pagination"]["total_pages"], 3);
        assert_eq!(p["pagination"]["has_next"], page < 3);
        assert_eq!(p["pagination"]["has_previous"], page > 1);
        for r in p["resources"].as_array().unwrap() {
            assert!(
                seen.insert(r["resource_id"].as_str().unwrap().to_string()),
                "a resource on two pages"
            );
        }
    }
    assert_eq!(seen.len(), 12);
    let vision = ok(
        &app,
        &format!("/api/v1/runs/{a}/resources?scenario_name=ai-ml-01-vision&page_size=500"),
    )
    .await;
    assert_eq!(vision["pagination"]["total_items"], 7);
    let deleted = ok(&app, &format!("/api/v1/runs/{a}/resources?status=deleted")).await;
    assert_eq!(deleted["pagination"]["total_items"], 1);
    assert_eq!(deleted["resources"][0]["resource_name"], "res000000");
    let storage = ok(&app, &format!("/api/v1/runs/{a}/resources?scenario_name=ai-ml-01-vision&resource_type=microsoft.storage/storageaccounts&status=created")).await;
    // res000000 (deleted), res000003, res000006 are storage accounts of the vision scenario.
    assert_eq!(storage["pagination"]["total_items"], 2);
    let none = ok(
        &app,
        &format!("/api/v1/runs/{a}/resources?scenario_name=unknown"),
    )
    .await;
    assert_eq!(none["pagination"]["total_items"], 0);
    assert_eq!(none["pagination"]["total_pages"], 0);

    let errors = ok(&app, &format!("/api/v1/runs/{a}/logs?severity=error")).await;
    assert_eq!(errors["pagination"]["total_items"], 1);
    assert_eq!(errors["logs"][0]["event_type"], "error");
    let search = ok(
        &app,
        &format!("/api/v1/runs/{a}/logs?search=STORAGE%20ACCOUNT%20KEYS"),
    )
    .await;
    assert_eq!(search["pagination"]["total_items"], 1);
    assert_eq!(search["logs"][0]["message"], "listed storage account keys");
    let started = ok(
        &app,
        &format!("/api/v1/runs/{a}/logs?event_type=agent_started&scenario_name=networking-02-vnet"),
    )
    .await;
    assert_eq!(started["pagination"]["total_items"], 1);
    let deletion = ok(
        &app,
        &format!("/api/v1/runs/{a}/logs?event_type=operation&search=deleted"),
    )
    .await;
    assert_eq!(
        deletion["logs"][0]["details"]["event_type"],
        "resource_deleted"
    );
}
