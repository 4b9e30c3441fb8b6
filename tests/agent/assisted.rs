//! Assisted mode against a local fake of the Messages API (axum): the request carries the key and
//! version headers and no secret; a suggestion that passes the guard runs, one that does not is
//! refused and recorded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::amqp_broker::Broker;
use crate::harness::*;

const KEY: &str = "sk-ant-test-key-never-logged";

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(HeaderMap, Value)>>>);

/// The fake model: a corrected command for the public IP, a forbidden one for the disk.
async fn messages(
    State(seen): State<Seen>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Json<Value> {
    let prompt = body["messages"][0]["content"]
        .as_str()
        .unwrap_or("")
        .to_string();
    seen.0.lock().unwrap().push((headers, body));
    let text = if prompt.contains("public-ip delete") {
        format!(
            "Delete it by id instead:\n```bash\naz resource delete --ids /subscriptions/{SUB}/resourceGroups/$HAYMAKER_RESOURCE_GROUP/providers/Microsoft.Network/publicIPAddresses/pip-web-$HAYMAKER_SUFFIX\n```"
        )
    } else {
        "```bash\naz group delete --name \"$HAYMAKER_RESOURCE_GROUP\" --yes\n```".to_string()
    };
    Json(json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn", "usage": {"input_tokens": 10, "output_tokens": 20},
    }))
}

#[tokio::test]
async fn assisted_mode_runs_a_suggestion_the_guard_passes_and_refuses_one_it_does_not() {
    let seen = Seen::default();
    let app = Router::new()
        .route("/v1/messages", post(messages))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let model_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let broker = Broker::start(33, TOPIC, &["orchestrator"]).await;
    let fake = FakeAz::new();
    let child = agent_command(
        &fake,
        &broker,
        Duration::from_secs(3),
        &[
            (
                "FAKE_AZ_ALWAYS_FAIL",
                "network public-ip delete,disk delete",
            ),
            ("HAYMAKER_AGENT_RETRIES", "0"),
            ("HAYMAKER_AGENT_MODE", "assisted"),
            ("HAYMAKER_SECRET_ANTHROPIC_API_KEY", KEY),
            ("HAYMAKER_AGENT_MODEL_URL", &model_url),
            ("HAYMAKER_AGENT_MODEL", "claude-test"),
        ],
    )
    .spawn()
    .expect("agent starts");
    let (code, output) = finish(child).await;
    assert_eq!(code, Some(0), "{output}");
    assert!(
        !output.contains(KEY) && !output.contains(SECRET),
        "{output}"
    );

    // Two calls: one per failed command, with the key and version headers, and no secret.
    let requests = seen.0.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for (headers, body) in &requests {
        assert_eq!(headers["x-api-key"], KEY);
        assert_eq!(headers["anthropic-version"], "2023-06-01");
        assert_eq!(body["model"], "claude-test");
        assert!(body["max_tokens"].as_u64().is_some());
        let text = body.to_string();
        assert!(!text.contains(SECRET) && !text.contains(PASSWORD) && !text.contains(KEY));
        let prompt = body["messages"][0]["content"].as_str().unwrap();
        assert!(
            prompt.contains("$HAYMAKER_SUFFIX"),
            "the command as written: {prompt}"
        );
        assert!(
            prompt.contains("OperationNotAllowed"),
            "the error: {prompt}"
        );
    }

    // The accepted suggestion ran; the refused one never reached az.
    let paths: Vec<String> = fake.started().iter().map(|a| path_of(a)).collect();
    assert!(paths.contains(&"resource delete".to_string()), "{paths:?}");
    assert!(!paths.contains(&"group delete".to_string()), "{paths:?}");
    let pip = format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/publicIPAddresses/pip-web-abc123");
    let by_id = fake
        .started()
        .into_iter()
        .find(|a| path_of(a) == "resource delete")
        .unwrap();
    assert_eq!(by_id, ["resource", "delete", "--ids", pip.as_str()]);

    wait_for_cleanup_complete(&broker).await;
    let events = events(&broker);
    let deleted: Vec<&Value> = events
        .iter()
        .map(|(_, e)| e)
        .filter(|e| e["event_type"] == "resource_deleted")
        .collect();
    assert!(
        deleted.iter().any(|e| e["resource_id"] == pip.as_str()),
        "{deleted:?}"
    );
    let decisions: Vec<&Value> = events
        .iter()
        .map(|(_, e)| e)
        .filter(|e| e["details"]["assisted"].is_string())
        .collect();
    assert_eq!(decisions.len(), 2, "{decisions:?}");
    // Phase 3 deletes the disk before the public IP.
    assert_eq!(decisions[0]["details"]["assisted"], "refused");
    assert!(
        decisions[0]["message"]
            .as_str()
            .unwrap()
            .contains("az group"),
        "{}",
        decisions[0]
    );
    assert_eq!(decisions[1]["details"]["assisted"], "accepted");
    let done = events
        .iter()
        .map(|(_, e)| e)
        .find(|e| e["event_type"] == "cleanup_complete")
        .unwrap();
    assert_eq!(done["details"]["assisted_runs"], 1);
}
