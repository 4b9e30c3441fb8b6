use super::*;
use serde_json::json;

const SUB: &str = "11111111-2222-3333-4444-555555555555";

fn created() -> Value {
    json!({
        "event_type": "resource_created",
        "resource_id": format!("/subscriptions/{SUB}/resourceGroups/rg-1/providers/Microsoft.Storage/storageAccounts/st1"),
        "resource_type": "Microsoft.Storage/storageAccounts",
        "resource_name": "st1",
        "scenario_name": "compute-01-linux-vm-nginx",
        "run_id": "0b6f6d2e-9a34-4f5e-8d1c-2a3b4c5d6e7f",
        "timestamp": "2026-11-23T18:05:00Z",
        "tags": {"env": "test"}
    })
}

#[test]
fn resource_events_parse() {
    let e = parse_event(&created()).unwrap();
    assert_eq!(e.event_type(), "resource_created");
    let r = e.resource().unwrap();
    assert_eq!(r.resource_name, "st1");
    assert_eq!(r.tags["env"], "test");
    assert_eq!(
        e.run_id().unwrap().to_string(),
        "0b6f6d2e-9a34-4f5e-8d1c-2a3b4c5d6e7f"
    );

    let mut failed = created();
    failed["event_type"] = json!("resource_deletion_failed");
    failed["deletion_error"] = json!("NicInUse");
    failed["deletion_attempts"] = json!(3);
    let e = parse_event(&failed).unwrap();
    assert_eq!(e.resource().unwrap().deletion_attempts, Some(3));
}

#[test]
fn log_events_parse_with_severity() {
    let e = parse_event(&json!({
        "event_type": "error", "run_id": "0b6f6d2e-9a34-4f5e-8d1c-2a3b4c5d6e7f",
        "scenario_name": "s", "timestamp": "2026-11-23T18:05:00.1234567+00:00",
        "severity": "error", "message": "step 3 failed"
    }))
    .unwrap();
    assert_eq!(e.log().unwrap().severity, Some(Severity::Error));
    assert_eq!(e.log().unwrap().message, "step 3 failed");
}

#[test]
fn missing_fields_and_bad_ids_are_named() {
    let mut v = created();
    v.as_object_mut().unwrap().remove("resource_name");
    let err = parse_event(&v).unwrap_err().to_string();
    assert!(
        err.contains("`resource_created` event") && err.contains("resource_name"),
        "{err}"
    );

    let mut v = created();
    v["run_id"] = json!("not-a-uuid");
    assert!(
        parse_event(&v).unwrap_err().to_string().contains("run_id")
            || parse_event(&v).unwrap_err().to_string().contains("UUID")
    );

    for bad in ["/subscriptions/nope/resourceGroups/rg", "storageAccounts/st1", "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts"] {
        let mut v = created();
        v["resource_id"] = json!(bad);
        let err = parse_event(&v).unwrap_err().to_string();
        assert!(err.contains("is not an ARM id"), "{bad}: {err}");
    }
    let mut v = created();
    v["colour"] = json!("red");
    assert!(parse_event(&v)
        .unwrap_err()
        .to_string()
        .contains("unknown field `colour`"));
    assert_eq!(
        parse_event(&json!([1])).unwrap_err(),
        EventError::NotAnObject
    );
    assert_eq!(
        parse_event(&json!({"a": 1})).unwrap_err(),
        EventError::MissingType
    );
    let mut v = created();
    v["schema_version"] = json!(9);
    assert!(parse_event(&v).unwrap_err().to_string().contains("newer"));
}

#[test]
fn unknown_types_are_skipped_not_errors() {
    let e = parse_event(&json!({"event_type": "quota_warning", "anything": 1})).unwrap();
    assert_eq!(e, AgentEvent::Unknown("quota_warning".into()));
    assert_eq!(e.run_id(), None);
}

#[test]
fn child_resource_ids_are_accepted() {
    let id = format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s");
    assert!(check_resource_id(&id).is_ok());
    assert!(check_resource_id(&format!("/subscriptions/{SUB}/resourceGroups/rg")).is_ok());
}
