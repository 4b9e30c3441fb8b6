//! Every envelope in ../shared/vectors/functions-host replayed through the router in-process, plus the
//! malformed and unknown cases.

use crate::common;

use axum::http::StatusCode;
use common::*;
use serde_json::{json, Value};

fn method_name(envelope: &str) -> String {
    let v: Value = serde_json::from_str(envelope).unwrap();
    v["Metadata"]["sys"]["MethodName"]
        .as_str()
        .unwrap()
        .to_string()
}

fn fill_placeholders(text: &str) -> String {
    text.replace("RUN_ID", "0b6f6d2e-9a34-4f5e-8d1c-2a3b4c5d6e7f")
        .replace("RUN_SCENARIO", "compute-01-linux-vm-nginx")
        .replace("MESSAGE_ID", "9f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b")
}

#[tokio::test]
async fn every_host_vector_is_answered_in_the_hosts_shape() {
    let app = test_app();
    let router = app.router.clone();
    for (file, text) in host_vectors() {
        let text = fill_placeholders(&text);
        let function = method_name(&text);
        let answer = post_envelope(&router, &function, &text).await;
        assert_eq!(answer.status, StatusCode::OK, "{file}: {}", answer.text);
        let body = &answer.body;
        assert!(body["Outputs"].is_object(), "{file}: {body}");
        assert!(body["Logs"].is_array(), "{file}: {body}");
        assert!(body.get("ReturnValue").is_some(), "{file}: {body}");
        for (name, value) in body["Outputs"].as_object().unwrap() {
            assert!(
                value.is_object() || value.is_array(),
                "{file}: output {name} is {value}"
            );
        }
        assert_eq!(
            answer.headers["x-trace-id"], "5d3c2b1a-0000-4000-8000-000000000001",
            "{file}"
        );
    }
}

#[tokio::test]
async fn timer_vectors_decode_schedule_status_or_its_absence() {
    let app = test_app();
    let router = app.router.clone();
    for (file, text) in host_vectors() {
        if !file.starts_with("timer") {
            continue;
        }
        let function = method_name(&text);
        let answer = post_envelope(&router, &function, &text).await;
        assert_eq!(answer.status, StatusCode::OK, "{file}");
        // ScheduledRun starts a run; Tick then finds it active (or, if it came first, nothing).
        let expected: &[&str] = if function == "ScheduledRun" {
            &["started"]
        } else {
            &["idle", "compacted"]
        };
        let outcome = answer.body["ReturnValue"]["outcome"]
            .as_str()
            .unwrap_or_default();
        assert!(expected.contains(&outcome), "{file}: {outcome}");
    }
}

#[tokio::test]
async fn service_bus_event_is_accepted_with_its_message_id() {
    let app = test_app();
    let router = app.router.clone();
    let (_, text) = host_vectors()
        .into_iter()
        .find(|(f, _)| f == "servicebus-resource-created.json")
        .unwrap();
    let answer = post_envelope(&router, "AgentEvents", &fill_placeholders(&text)).await;
    assert_eq!(
        answer.body["ReturnValue"]["message_id"],
        "9f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
    );
    assert_eq!(answer.body["ReturnValue"]["event_type"], "resource_created");
}

#[tokio::test]
async fn invalid_json_message_is_completed_not_retried() {
    let app = test_app();
    let router = app.router.clone();
    let (_, text) = host_vectors()
        .into_iter()
        .find(|(f, _)| f == "servicebus-invalid-json.json")
        .unwrap();
    let answer = post_envelope(&router, "AgentEvents", &text).await;
    // 2xx so Service Bus completes it; the reason is logged and returned.
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["ReturnValue"]["outcome"], "rejected");
    let reason = answer.body["ReturnValue"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("d41d8cd9-8f00-4b20-9e98-00998ecf8427"),
        "{reason}"
    );
    assert!(answer.body["Logs"][0]
        .as_str()
        .unwrap()
        .starts_with("rejected:"));
}

#[tokio::test]
async fn enveloped_http_requests_reach_the_api() {
    let app = test_app();
    let router = app.router.clone();
    let (_, text) = host_vectors()
        .into_iter()
        .find(|(f, _)| f == "http-not-forwarded.json")
        .unwrap();
    let health = text.replace("/api/v1/status", "/api/v1/health");
    let answer = post_envelope(&router, "Api", &health).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let res = &answer.body["Outputs"]["res"];
    assert_eq!(res["statusCode"], 200, "{res}");
    let inner: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
    assert_eq!(inner["status"], "healthy");

    // An error inside is filed under the invocation's own trace id.
    let missing = text.replace("/api/v1/status", "/api/v1/nothing");
    let answer = post_envelope(&router, "Api", &missing).await;
    let res = &answer.body["Outputs"]["res"];
    assert_eq!(res["statusCode"], 404, "{res}");
    let inner: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        inner["error"]["trace_id"],
        "5d3c2b1a-0000-4000-8000-000000000001"
    );
}

#[tokio::test]
async fn unknown_function_is_a_json_404_and_the_router_keeps_serving() {
    let app = test_app();
    let router = app.router.clone();
    let answer = post_envelope(&router, "NoSuchFunction", "{\"Data\":{}}").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.body["error"]["code"], "UNKNOWN_FUNCTION");
    assert!(answer.body["error"]["details"]["known"]
        .as_array()
        .unwrap()
        .contains(&json!("Tick")));
    assert_eq!(
        answer.body["error"]["trace_id"],
        "5d3c2b1a-0000-4000-8000-000000000001"
    );
    let after = get(&router, "/api/v1/health").await;
    assert_eq!(after.status, StatusCode::OK);
}

#[tokio::test]
async fn malformed_envelopes_are_400s_that_say_what_is_wrong() {
    let app = test_app();
    let router = app.router.clone();
    let cases = [
        ("Tick", "not json", "not JSON"),
        ("Tick", "[]", "is not a JSON object"),
        ("Tick", "{\"Metadata\":{}}", "has no \\\"Data\\\" object"),
        (
            "Tick",
            "{\"Data\":{\"other\":{}}}",
            "binding `timer` is missing from Data (present: other)",
        ),
        (
            "Tick",
            "{\"Data\":{\"timer\":{\"ScheduleStatus\":{\"Next\":\"soon\"}}}}",
            "ScheduleStatus.Next",
        ),
        (
            "AgentEvents",
            "{\"Data\":{\"msg\":\"{}\"},\"Metadata\":{}}",
            "MessageId",
        ),
        (
            "Work",
            "{\"Data\":{\"msg\":\"{}\"},\"Metadata\":{\"DequeueCount\":\"lots\"}}",
            "DequeueCount",
        ),
    ];
    for (function, body, needle) in cases {
        let answer = post_envelope(&router, function, body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.text
        );
        assert_eq!(answer.body["error"]["code"], "MALFORMED_ENVELOPE", "{body}");
        assert!(
            answer.text.contains(needle),
            "{body}: expected `{needle}` in {}",
            answer.text
        );
    }
    assert_eq!(get(&router, "/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn work_message_that_is_not_a_work_unit_is_completed_with_the_reason() {
    let app = test_app();
    let router = app.router.clone();
    let (_, text) = host_vectors()
        .into_iter()
        .find(|(f, _)| f == "queue.json")
        .unwrap();
    let bad = text.replace("\\\"kind\\\":\\\"example\\\",", "");
    let answer = post_envelope(&router, "Work", &bad).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(
        answer.body["ReturnValue"]["outcome"], "rejected",
        "{}",
        answer.text
    );
    assert!(
        answer.text.contains("b3c1e0a2-5d6f-4c1a-9f7e-2a4b6c8d0e1f"),
        "{}",
        answer.text
    );
}

#[tokio::test]
async fn function_names_are_case_insensitive_and_unknown_paths_are_json() {
    let app = test_app();
    let router = app.router.clone();
    let (_, text) = host_vectors()
        .into_iter()
        .find(|(f, _)| f == "timer.json")
        .unwrap();
    assert_eq!(
        post_envelope(&router, "scheduledrun", &text).await.status,
        StatusCode::OK
    );
    let answer = get(&router, "/nothing/here").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.body["error"]["code"], "NOT_FOUND");
}
