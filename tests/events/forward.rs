//! Log Analytics forwarding: accepted agent events go from the `AgentEvents` envelope through the
//! Logs Ingestion API into the simulator's data collection rule with named, non-secret fields only;
//! a partial configuration is refused naming what is missing; a failing endpoint never fails
//! ingestion. The simulator's endpoint itself: token audience, api-version, rule, stream, 413.

use crate::common;
use crate::sim_support;

use axum::http::StatusCode;
use common::{post_envelope, settings, test_app_with};
use haymaker::config::Settings;
use haymaker::events::forward::{LogForwarder, LogRecord};
use haymaker::run::{start_run, RunRequest, StartOutcome, StartTrigger};
use haymaker::sim::env::{logs_dcr_id, logs_ingestion_vars};
use haymaker::sim::logs_ingestion::STREAM;
use haymaker::sim::SimConfig;
use serde_json::{json, Value};
use sim_support::TestSim;
use uuid::Uuid;

const SUB: &str = "11111111-2222-3333-4444-555555555555";
const TAG_SECRET: &str = "tag-secret-value-7731";
const DETAIL_SECRET: &str = "detail-secret-value-5519";

fn envelope(message_id: &str, event: &Value) -> String {
    json!({
        "Data": {"msg": event.to_string()},
        "Metadata": {
            "MessageId": format!("\"{message_id}\""),
            "DeliveryCount": "1",
            "sys": {"MethodName": "AgentEvents", "UtcNow": "2026-11-23T18:05:00Z", "RandGuid": "x"}
        }
    })
    .to_string()
}

fn batch_envelope(messages: &[(&str, Value)]) -> String {
    json!({
        "Data": {"msg": messages.iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>()},
        "Metadata": {
            "MessageIdArray": messages.iter().map(|(id, _)| format!("\"{id}\"")).collect::<Vec<_>>(),
            "DeliveryCountArray": messages.iter().map(|_| "1").collect::<Vec<_>>(),
            "sys": {"MethodName": "AgentEvents", "UtcNow": "2026-11-23T18:05:00Z", "RandGuid": "x"}
        }
    })
    .to_string()
}

fn created(run_id: Uuid) -> Value {
    json!({
        "event_type": "resource_created",
        "resource_id": format!("/subscriptions/{SUB}/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/st1"),
        "resource_type": "Microsoft.Storage/storageAccounts",
        "resource_name": "st1",
        "scenario_name": "storage-01-blob",
        "run_id": run_id,
        "timestamp": "2026-11-23T10:00:00Z",
        "tags": {"haymaker-run-id": run_id.to_string(), "connection": TAG_SECRET}
    })
}

fn error_event(run_id: Uuid) -> Value {
    json!({
        "event_type": "error",
        "run_id": run_id,
        "scenario_name": "storage-01-blob",
        "timestamp": "2026-11-23T10:01:00Z",
        "severity": "error",
        "message": "upload failed: 403",
        "resource_id": format!("/subscriptions/{SUB}/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/st1"),
        "resource_type": "Microsoft.Storage/storageAccounts",
        "details": {"sas": DETAIL_SECRET}
    })
}

/// The simulator's printed settings, the state directory, and `logs` for the forwarding settings.
fn vars(sim: &TestSim, logs: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    let mut vars = sim.server.env_vars();
    vars.extend(logs);
    vars
}

fn app_for(vars: &[(&'static str, String)]) -> common::TestApp {
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    test_app_with(&pairs)
}

async fn started_run(app: &common::TestApp) -> Uuid {
    let request = RunRequest {
        size: haymaker::scenarios::Size::Small,
        duration_hours: 8.0,
        trigger: StartTrigger::Api,
    };
    match start_run(&app.store, &request, chrono::Utc::now())
        .await
        .unwrap()
    {
        StartOutcome::Started { run_id, .. } => run_id,
        other => panic!("{other:?}"),
    }
}

fn ingested(sim: &TestSim) -> Vec<Value> {
    sim.server.sim.world().ingested_logs(STREAM)
}

#[tokio::test]
async fn accepted_events_arrive_in_the_workspace_with_named_fields_and_no_secrets() {
    let sim = TestSim::start(SimConfig::default()).await;
    let port = sim.server.identity().port;
    let app = app_for(&vars(&sim, logs_ingestion_vars(port)));
    let run_id = started_run(&app).await;

    let one = post_envelope(
        &app.router,
        "AgentEvents",
        &envelope("m-1", &created(run_id)),
    )
    .await;
    assert_eq!(
        one.body["ReturnValue"]["outcome"], "recorded",
        "{}",
        one.text
    );
    // A redelivery is not forwarded again; an unknown run's event is not forwarded at all.
    let again = post_envelope(
        &app.router,
        "AgentEvents",
        &envelope("m-1", &created(run_id)),
    )
    .await;
    assert_eq!(again.body["ReturnValue"]["outcome"], "duplicate");
    let batch = post_envelope(
        &app.router,
        "AgentEvents",
        &batch_envelope(&[
            ("m-2", error_event(run_id)),
            ("m-3", created(Uuid::new_v4())),
        ]),
    )
    .await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.text);

    let records = ingested(&sim);
    assert_eq!(records.len(), 2, "{records:#?}");
    let first = &records[0];
    assert_eq!(first["TimeGenerated"], "2026-11-23T10:00:00.000Z");
    assert_eq!(first["RunId"], run_id.to_string());
    assert_eq!(first["Scenario"], "storage-01-blob");
    assert_eq!(first["EventType"], "resource_created");
    assert_eq!(first["Severity"], "info");
    assert_eq!(first["ResourceType"], "Microsoft.Storage/storageAccounts");
    assert_eq!(first["ResourceName"], "st1");
    assert!(first["ResourceId"]
        .as_str()
        .unwrap()
        .ends_with("/storageAccounts/st1"));
    assert_eq!(first["MessageId"], "m-1");
    let second = &records[1];
    assert_eq!(second["EventType"], "error");
    assert_eq!(second["Severity"], "error");
    assert_eq!(second["Message"], "upload failed: 403");
    assert_eq!(second["MessageId"], "m-2");

    let text = serde_json::to_string(&records).unwrap();
    let client_secret = sim.server.identity().client_secret.expose().to_string();
    for secret in [TAG_SECRET, DETAIL_SECRET, client_secret.as_str()] {
        assert!(!text.contains(secret), "a secret was forwarded: {text}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn a_failing_endpoint_never_fails_ingestion() {
    let sim = TestSim::start(SimConfig::default()).await;
    let port = sim.server.identity().port;
    // A rule the endpoint does not know (404), then an endpoint where nothing listens.
    let unknown_rule = vars(
        &sim,
        vec![
            ("HAYMAKER_LOGS_DCE_ENDPOINT", sim.base()),
            ("HAYMAKER_LOGS_DCR_ID", format!("dcr-{}", "0".repeat(32))),
        ],
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let nobody = vars(
        &sim,
        vec![
            (
                "HAYMAKER_LOGS_DCE_ENDPOINT",
                format!("https://127.0.0.1:{closed_port}"),
            ),
            ("HAYMAKER_LOGS_DCR_ID", logs_dcr_id(port)),
        ],
    );
    for (n, vars) in [unknown_rule, nobody].iter().enumerate() {
        let app = app_for(vars);
        let run_id = started_run(&app).await;
        let id = format!("m-{n}");
        let answer =
            post_envelope(&app.router, "AgentEvents", &envelope(&id, &created(run_id))).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(answer.body["ReturnValue"]["outcome"], "recorded");
        let archived = app
            .store
            .list_all(
                haymaker::store::Container::Logs,
                &format!("{run_id}/events/"),
            )
            .await
            .unwrap();
        assert!(
            archived.contains(&format!("{run_id}/events/{id}.json")),
            "{archived:?}"
        );
    }
    assert!(ingested(&sim).is_empty());
    sim.stop().await;
}

fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(&move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
    .map_err(|e| e.to_string())
}

#[test]
fn a_partial_or_malformed_configuration_is_refused_naming_what_is_missing() {
    let dcr = format!("dcr-{}", "a1".repeat(16));
    let only_endpoint = load(&[(
        "HAYMAKER_LOGS_DCE_ENDPOINT",
        "https://dce.ingest.monitor.azure.com",
    )])
    .unwrap_err();
    assert!(
        only_endpoint.contains("HAYMAKER_LOGS_DCR_ID: missing"),
        "{only_endpoint}"
    );
    let only_rule = load(&[("HAYMAKER_LOGS_DCR_ID", &dcr)]).unwrap_err();
    assert!(
        only_rule.contains("HAYMAKER_LOGS_DCE_ENDPOINT: missing"),
        "{only_rule}"
    );
    let only_stream = load(&[("HAYMAKER_LOGS_STREAM", "Custom-X_CL")]).unwrap_err();
    assert!(
        only_stream.contains("HAYMAKER_LOGS_STREAM: is set but forwarding is not configured"),
        "{only_stream}"
    );
    let resource_id = load(&[
        (
            "HAYMAKER_LOGS_DCE_ENDPOINT",
            "https://dce.ingest.monitor.azure.com",
        ),
        (
            "HAYMAKER_LOGS_DCR_ID",
            "/subscriptions/x/resourceGroups/y/providers/Microsoft.Insights/dataCollectionRules/z",
        ),
    ])
    .unwrap_err();
    assert!(
        resource_id.contains("not a rule's immutable id"),
        "{resource_id}"
    );
    let bad_stream = load(&[
        (
            "HAYMAKER_LOGS_DCE_ENDPOINT",
            "https://dce.ingest.monitor.azure.com",
        ),
        ("HAYMAKER_LOGS_DCR_ID", &dcr),
        ("HAYMAKER_LOGS_STREAM", "HaymakerEvents_CL"),
    ])
    .unwrap_err();
    assert!(bad_stream.contains("HAYMAKER_LOGS_STREAM"), "{bad_stream}");

    let none = settings(&[]);
    assert!(none.logs_ingestion.is_none());
    let full = settings(&[
        (
            "HAYMAKER_LOGS_DCE_ENDPOINT",
            "https://dce.ingest.monitor.azure.com",
        ),
        ("HAYMAKER_LOGS_DCR_ID", &dcr),
    ]);
    let logs = full.logs_ingestion.unwrap();
    assert_eq!(
        (logs.dcr_id.as_str(), logs.stream.as_str()),
        (dcr.as_str(), "Custom-HaymakerEvents_CL")
    );
}

fn record(i: usize, size: usize) -> LogRecord {
    LogRecord {
        time_generated: "2026-11-23T10:00:00.000Z".into(),
        run_id: Uuid::nil().to_string(),
        scenario: "s".into(),
        event_type: "operation".into(),
        severity: "info".into(),
        message: format!("{i:04}-{}", "z".repeat(size)),
        resource_id: String::new(),
        resource_type: String::new(),
        resource_name: String::new(),
        message_id: format!("m-{i}"),
    }
}

#[tokio::test]
async fn large_volumes_are_sent_in_batches_under_a_megabyte_and_arrive_in_order() {
    let sim = TestSim::start(SimConfig::default()).await;
    let port = sim.server.identity().port;
    let settings = settings(
        &vars(&sim, logs_ingestion_vars(port))
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    );
    let forwarder = LogForwarder::from_settings(&settings).unwrap().unwrap();
    // About 2.5 MB: at least three calls, each within the endpoint's 1 MB.
    let records: Vec<LogRecord> = (0..250).map(|i| record(i, 10_000)).collect();
    assert_eq!(forwarder.send(&records).await.unwrap(), 250);
    let got = ingested(&sim);
    let ids: Vec<&str> = got
        .iter()
        .map(|r| r["MessageId"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (0..250).map(|i| format!("m-{i}")).collect();
    assert_eq!(ids, want);
    sim.stop().await;
}

#[tokio::test]
async fn the_endpoint_checks_audience_api_version_rule_stream_and_size() {
    let sim = TestSim::start(SimConfig::default()).await;
    let port = sim.server.identity().port;
    let monitor = sim.token("https://monitor.azure.com/.default").await;
    let arm = sim.arm_token().await;
    let dcr = logs_dcr_id(port);
    let url = |dcr: &str, stream: &str, version: &str| {
        format!(
            "{}/dataCollectionRules/{dcr}/streams/{stream}?api-version={version}",
            sim.base()
        )
    };
    let post = |url: String, token: String, body: Vec<u8>| {
        let http = sim.http();
        async move {
            let resp = http
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            (status, resp.text().await.unwrap())
        }
    };
    let small = br#"[{"Message":"hello"}]"#.to_vec();
    let ok = post(
        url(&dcr, STREAM, "2023-01-01"),
        monitor.clone(),
        small.clone(),
    )
    .await;
    assert_eq!(ok.0, 204, "{}", ok.1);
    let wrong_audience = post(url(&dcr, STREAM, "2023-01-01"), arm, small.clone()).await;
    assert_eq!(wrong_audience.0, 401, "{}", wrong_audience.1);
    let old_version = post(
        url(&dcr, STREAM, "2021-11-01-preview"),
        monitor.clone(),
        small.clone(),
    )
    .await;
    assert_eq!(old_version.0, 400, "{}", old_version.1);
    let unknown_rule = post(
        url(&format!("dcr-{}", "f".repeat(32)), STREAM, "2023-01-01"),
        monitor.clone(),
        small.clone(),
    )
    .await;
    assert_eq!(unknown_rule.0, 404, "{}", unknown_rule.1);
    let unknown_stream = post(
        url(&dcr, "Custom-Other_CL", "2023-01-01"),
        monitor.clone(),
        small.clone(),
    )
    .await;
    assert_eq!(unknown_stream.0, 404, "{}", unknown_stream.1);
    let big = serde_json::to_vec(&json!([{"Message": "x".repeat(1_100_000)}])).unwrap();
    let too_large = post(url(&dcr, STREAM, "2023-01-01"), monitor.clone(), big).await;
    assert_eq!(too_large.0, 413, "{}", too_large.1);
    let not_array = post(
        url(&dcr, STREAM, "2023-01-01"),
        monitor,
        br#"{"Message":"x"}"#.to_vec(),
    )
    .await;
    assert_eq!(not_array.0, 400, "{}", not_array.1);
    assert_eq!(ingested(&sim), vec![json!({"Message": "hello"})]);
    sim.stop().await;
}
