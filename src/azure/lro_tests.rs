use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::azure::pipeline::{PipelineOptions, Service, StaticTokens};
use crate::azure::transport::scripted::ScriptedTransport;
use crate::config::Secret;

fn pipeline(script: &Arc<ScriptedTransport>) -> Pipeline {
    let tokens = Arc::new(StaticTokens {
        principal: "p".into(),
        token: Secret::new("t"),
    });
    Pipeline::new(script.clone(), tokens, PipelineOptions::default())
}

fn url(path: &str) -> url::Url {
    url::Url::parse(&format!("https://management.azure.com{path}")).unwrap()
}

const APP: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/a?api-version=2026-01-01";

#[tokio::test(start_paused = true)]
async fn async_operation_polls_until_succeeded_then_reads_the_resource() {
    let script = Arc::new(ScriptedTransport::new());
    let op = "https://management.azure.com/subscriptions/s/providers/Microsoft.App/locations/eastus/containerappOperationStatuses/op1?api-version=2026-01-01";
    script
        .answer(
            201,
            &[("azure-asyncoperation", op), ("retry-after", "3")],
            r#"{"properties":{"provisioningState":"InProgress"}}"#,
        )
        .answer(200, &[("retry-after", "2")], r#"{"status":"InProgress"}"#)
        .answer(200, &[], r#"{"status":"Succeeded"}"#)
        .answer(
            200,
            &[],
            r#"{"properties":{"provisioningState":"Succeeded"}}"#,
        );
    let p = pipeline(&script);
    let start = Instant::now();
    let put = ApiRequest::put(Service::Arm, url(APP), serde_json::json!({}));
    let done = send_and_wait(&p, &put, &LroOptions::default())
        .await
        .unwrap();
    assert_eq!(
        done.json::<Value>().unwrap()["properties"]["provisioningState"],
        "Succeeded"
    );
    assert_eq!(
        Instant::now() - start,
        Duration::from_secs(5),
        "3 s then 2 s, as Retry-After said"
    );
    let paths: Vec<_> = script
        .requests()
        .iter()
        .map(|r| (r.method.to_string(), r.url.path().to_string()))
        .collect();
    assert_eq!(paths[1].1, "/subscriptions/s/providers/Microsoft.App/locations/eastus/containerappOperationStatuses/op1");
    assert_eq!(
        paths[3],
        (
            "GET".to_string(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/a"
                .to_string()
        )
    );
}

#[tokio::test(start_paused = true)]
async fn async_operation_failure_is_typed() {
    let script = Arc::new(ScriptedTransport::new());
    script
        .answer(202, &[("azure-asyncoperation", "https://management.azure.com/op?api-version=1")], "")
        .answer(200, &[], r#"{"status":"Failed","error":{"code":"ContainerAppOperationError","message":"image not found"}}"#);
    let del = ApiRequest::delete(Service::Arm, url(APP));
    let err = send_and_wait(&pipeline(&script), &del, &LroOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ContainerAppOperationError"));
    assert!(err.to_string().contains("image not found"));
}

#[tokio::test(start_paused = true)]
async fn location_polls_while_202() {
    let script = Arc::new(ScriptedTransport::new());
    let loc =
        "https://management.azure.com/subscriptions/s/operationresults/xyz?api-version=2025-04-01";
    script
        .answer(202, &[("location", loc), ("retry-after", "15")], "")
        .answer(202, &[("location", loc), ("retry-after", "15")], "")
        .answer(200, &[], "");
    let del = ApiRequest::delete(
        Service::Arm,
        url("/subscriptions/s/resourcegroups/rg?api-version=2025-04-01"),
    );
    let start = Instant::now();
    let done = send_and_wait(&pipeline(&script), &del, &LroOptions::default())
        .await
        .unwrap();
    assert_eq!(done.status, 200);
    assert_eq!(Instant::now() - start, Duration::from_secs(30));
    assert_eq!(script.requests().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_plain_answer_is_final() {
    let script = Arc::new(ScriptedTransport::new());
    script.answer(200, &[], r#"{"id":"x"}"#);
    let get = ApiRequest::get(Service::Arm, url(APP));
    let done = send_and_wait(&pipeline(&script), &get, &LroOptions::default())
        .await
        .unwrap();
    assert_eq!(done.json::<Value>().unwrap()["id"], "x");
}

#[tokio::test(start_paused = true)]
async fn pages_follow_next_links() {
    let script = Arc::new(ScriptedTransport::new());
    script
        .answer(200, &[], r#"{"value":[1,2],"nextLink":"https://management.azure.com/next?page=2"}"#)
        .answer(200, &[], r#"{"value":[3],"@odata.nextLink":"https://graph.microsoft.com/v1.0/x?$skiptoken=abc"}"#)
        .answer(200, &[], r#"{"value":[4]}"#);
    let items = get_all_pages(
        &pipeline(&script),
        &ApiRequest::get(Service::Arm, url("/list")),
    )
    .await
    .unwrap();
    assert_eq!(
        items,
        vec![
            Value::from(1),
            Value::from(2),
            Value::from(3),
            Value::from(4)
        ]
    );
    assert_eq!(script.requests()[2].url.query(), Some("$skiptoken=abc"));
}
