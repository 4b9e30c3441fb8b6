use super::*;
use crate::events::parse_event;
use serde_json::json;

const RUN: &str = "7d3c1a52-3f6e-4c1b-9a57-0f3c8f4e2d11";

fn event(v: serde_json::Value) -> AgentEvent {
    parse_event(&v).unwrap()
}

#[test]
fn a_resource_event_becomes_a_record_without_its_tags() {
    let e = event(json!({
        "event_type": "resource_deletion_failed",
        "resource_id": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1",
        "resource_type": "Microsoft.Network/virtualNetworks",
        "resource_name": "vnet1",
        "scenario_name": "net-01",
        "run_id": RUN,
        "timestamp": "2026-11-23T10:00:00Z",
        "tags": {"password": "hunter2-secret"},
        "deletion_error": "InUseSubnetCannotBeDeleted",
        "deletion_attempts": 2
    }));
    let r = LogRecord::of("m-1", &e, Utc::now()).unwrap();
    assert_eq!(r.time_generated, "2026-11-23T10:00:00.000Z");
    assert_eq!(r.run_id, RUN);
    assert_eq!(r.scenario, "net-01");
    assert_eq!(r.severity, "error");
    assert_eq!(r.resource_type, "Microsoft.Network/virtualNetworks");
    assert!(r.message.contains("InUseSubnetCannotBeDeleted") && r.message.contains("attempt 2"));
    assert!(!serde_json::to_string(&r).unwrap().contains("hunter2"));
}

#[test]
fn a_log_event_keeps_its_severity_and_a_long_message_is_cut() {
    let e = event(json!({
        "event_type": "error", "run_id": RUN, "scenario_name": "s",
        "timestamp": "2026-11-23T10:00:00Z", "severity": "warning",
        "message": "x".repeat(MAX_MESSAGE_CHARS + 10),
        "details": {"client_secret": "do-not-forward"}
    }));
    let r = LogRecord::of("m-2", &e, Utc::now()).unwrap();
    assert_eq!(r.severity, "warning");
    assert_eq!(r.message.chars().count(), MAX_MESSAGE_CHARS + 1);
    assert!(!serde_json::to_string(&r)
        .unwrap()
        .contains("do-not-forward"));
}

#[test]
fn batches_stay_under_the_limit_and_keep_every_record_in_order() {
    let records: Vec<LogRecord> = (0..50)
        .map(|i| LogRecord {
            time_generated: "2026-11-23T10:00:00.000Z".into(),
            run_id: RUN.into(),
            scenario: "s".into(),
            event_type: "operation".into(),
            severity: "info".into(),
            message: format!("{i}-{}", "y".repeat(200)),
            resource_id: String::new(),
            resource_type: String::new(),
            resource_name: String::new(),
            message_id: format!("m-{i}"),
        })
        .collect();
    let limit = 2_000;
    let out = batches(&records, limit);
    assert!(out.len() > 1);
    for b in &out {
        assert!(serde_json::to_vec(b).unwrap().len() <= limit);
    }
    let flat: Vec<&LogRecord> = out.iter().flatten().collect();
    assert_eq!(flat.len(), records.len());
    assert!(flat.iter().zip(&records).all(|(a, b)| *a == b));
}

#[test]
fn the_upload_url_follows_the_api() {
    let s = LogsIngestionSettings {
        endpoint: url::Url::parse("https://dce-1.eastus-1.ingest.monitor.azure.com/").unwrap(),
        dcr_id: "dcr-00000000000000000000000000000000".into(),
        stream: "Custom-HaymakerEvents_CL".into(),
    };
    assert_eq!(
        LogForwarder::upload_url(&s).as_str(),
        "https://dce-1.eastus-1.ingest.monitor.azure.com/dataCollectionRules/dcr-00000000000000000000000000000000/streams/Custom-HaymakerEvents_CL?api-version=2023-01-01"
    );
}
