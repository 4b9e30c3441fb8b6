//! The Service Bus side against the in-repo AMQP broker: publishing, live tail, settlement,
//! reconnection, identity tokens, and settings errors. Each test binds its own 127.0.0.N:5672.

use crate::amqp_broker;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use amqp_broker::{Broker, TEST_KEY};
use haymaker::azure::{AccessTokens, StaticTokens};
use haymaker::config::{Secret, Settings};
use haymaker::events::bus::{
    BusConfig, BusError, Disposition, EventPublisher, LiveTail, OutgoingEvent, TailedMessage,
};
use serde_json::json;

const TOPIC: &str = "agent-logs";
const WAIT: Duration = Duration::from_secs(30);

fn settings(values: &[(&str, &str)]) -> Settings {
    let map: HashMap<String, String> = values
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(&|name| map.get(name).cloned()).expect("settings load")
}

fn config_for(broker: &Broker) -> BusConfig {
    let cs = broker.connection_string();
    BusConfig::from_settings(&settings(&[("ServiceBusConnection", &cs)])).expect("bus config")
}

fn event(i: usize) -> OutgoingEvent {
    OutgoingEvent {
        message_id: format!("evt-{i:03}"),
        body: json!({"run_id": "r1", "seq": i, "event_type": "resource.created"}),
        properties: BTreeMap::from([("run_id".to_string(), "r1".to_string())]),
    }
}

/// Receives until `n` messages were handled (bounded by [`WAIT`]).
async fn take(
    tail: &LiveTail,
    n: usize,
    mut decide: impl FnMut(&TailedMessage) -> Disposition,
) -> Vec<TailedMessage> {
    let mut seen = Vec::new();
    let collecting = async {
        while seen.len() < n {
            tail.receive_once(1, Duration::from_secs(2), |m| {
                seen.push(m.clone());
                decide(m)
            })
            .await
            .expect("receive");
        }
    };
    tokio::time::timeout(WAIT, collecting)
        .await
        .expect("messages arrive in time");
    seen
}

#[tokio::test]
async fn published_events_arrive_intact_and_the_tail_completes_them_in_order() {
    let broker = Broker::start(11, TOPIC, &["orchestrator", "cli-tail"]).await;
    let publisher = EventPublisher::new(config_for(&broker));
    for i in 0..4 {
        let e = event(i);
        let props: Vec<(&str, &str)> = e
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        publisher
            .publish(&e.message_id, &e.body, &props)
            .await
            .expect("publish");
    }
    let batch: Vec<OutgoingEvent> = (4..10).map(event).collect();
    publisher
        .publish_batch(&batch)
        .await
        .expect("publish batch");

    for sub in ["orchestrator", "cli-tail"] {
        broker
            .wait_until(sub, "10 messages", WAIT, |q| q.ready.len() == 10)
            .await;
        broker.with_queue(sub, |q| {
            for (i, stored) in q.ready.iter().enumerate() {
                assert_eq!(
                    stored.message_id().as_deref(),
                    Some(event(i).message_id.as_str())
                );
                assert_eq!(stored.content_type().as_deref(), Some("application/json"));
                let body: serde_json::Value = serde_json::from_slice(&stored.body_bytes()).unwrap();
                assert_eq!(body, event(i).body);
            }
        });
    }

    let tail = LiveTail::new(config_for(&broker));
    let seen = take(&tail, 10, |_| Disposition::Complete).await;
    for (i, m) in seen.iter().enumerate() {
        assert_eq!(m.message_id.as_deref(), Some(event(i).message_id.as_str()));
        assert_eq!(m.content_type.as_deref(), Some("application/json"));
        assert_eq!(m.json(), Some(event(i).body));
        assert_eq!(m.properties.get("run_id").map(String::as_str), Some("r1"));
        assert_eq!(m.delivery_count, 1);
    }
    broker
        .wait_until("cli-tail", "10 completed", WAIT, |q| {
            q.completed.len() == 10
        })
        .await;
    broker.with_queue("cli-tail", |q| assert!(q.ready.is_empty()));
    broker.with_queue("orchestrator", |q| assert_eq!(q.ready.len(), 10));
    publisher.close().await;
    tail.close().await;
}

#[tokio::test]
async fn an_abandoned_message_comes_back_with_one_more_delivery() {
    let broker = Broker::start(12, TOPIC, &["cli-tail"]).await;
    let publisher = EventPublisher::new(config_for(&broker));
    publisher
        .publish("only-one", &json!({"run_id": "r1"}), &[])
        .await
        .expect("publish");
    let tail = LiveTail::new(config_for(&broker));
    let first = take(&tail, 1, |_| Disposition::Abandon).await;
    assert_eq!(first[0].delivery_count, 1);
    broker
        .wait_until("cli-tail", "the abandoned message back", WAIT, |q| {
            q.redeliveries == 1 && q.completed.is_empty()
        })
        .await;
    let second = take(&tail, 1, |_| Disposition::Complete).await;
    assert_eq!(second[0].message_id.as_deref(), Some("only-one"));
    assert_eq!(second[0].delivery_count, 2);
    broker
        .wait_until("cli-tail", "completion", WAIT, |q| q.completed.len() == 1)
        .await;
    tail.close().await;
}

#[tokio::test]
async fn the_publisher_reconnects_after_the_connection_drops() {
    let broker = Broker::start(13, TOPIC, &["cli-tail"]).await;
    let publisher = EventPublisher::new(config_for(&broker));
    publisher
        .publish("before", &json!({}), &[])
        .await
        .expect("first publish");
    broker.drop_connections();
    broker
        .wait_until("cli-tail", "the first message", WAIT, |q| {
            q.ready.len() == 1
        })
        .await;
    publisher
        .publish("after", &json!({}), &[])
        .await
        .expect("publish after the drop");
    broker
        .wait_until("cli-tail", "both messages", WAIT, |q| q.ready.len() == 2)
        .await;
    assert!(broker.connections_accepted() >= 2);
    let ids: Vec<String> = broker.with_queue("cli-tail", |q| {
        q.ready.iter().filter_map(|s| s.message_id()).collect()
    });
    assert_eq!(ids, ["before", "after"]);
}

#[tokio::test]
async fn identity_access_puts_the_entra_token() {
    let broker = Broker::start(14, TOPIC, &["cli-tail"]).await;
    let token = "eyJhbGciOiJub25lIn0.eyJleHAiOjQxMDI0NDQ4MDB9.sig";
    let tokens: Arc<dyn AccessTokens> = Arc::new(StaticTokens {
        principal: "test-principal".into(),
        token: Secret::new(token),
    });
    let s = settings(&[(
        "ServiceBusConnection__fullyQualifiedNamespace",
        "127.0.0.14",
    )]);
    let config = BusConfig::new(&s.service_bus, Some(tokens))
        .expect("identity config")
        .with_plain_amqp(true);
    let publisher = EventPublisher::new(config);
    publisher
        .publish("by-identity", &json!({}), &[])
        .await
        .expect("publish");
    broker
        .wait_until("cli-tail", "the message", WAIT, |q| q.ready.len() == 1)
        .await;
    let put = broker.tokens();
    assert!(!put.is_empty());
    assert!(
        put.iter()
            .all(|t| t.token_type == "jwt" && t.token == token),
        "{put:?}"
    );
    assert!(
        put.iter().any(|t| t.audience.ends_with("/agent-logs")),
        "{put:?}"
    );
}

#[test]
fn a_wrong_or_missing_setting_is_named() {
    let missing = BusConfig::from_settings(&settings(&[])).unwrap_err();
    assert!(matches!(missing, BusError::Settings(_)));
    assert!(
        missing
            .to_string()
            .contains("ServiceBusConnection__fullyQualifiedNamespace"),
        "{missing}"
    );

    let cs = format!("Endpoint=sb://x.servicebus.windows.net/;SharedAccessKey={TEST_KEY}");
    let wrong = BusConfig::from_settings(&settings(&[("ServiceBusConnection", &cs)])).unwrap_err();
    let text = format!("{wrong} {wrong:?}");
    assert!(text.contains("ServiceBusConnection:"), "{text}");
    assert!(text.contains("SharedAccessKeyName"), "{text}");
    assert!(!text.contains(TEST_KEY), "{text}");

    let bad_ns = settings(&[(
        "ServiceBusConnection__fullyQualifiedNamespace",
        "sb://bad host",
    )]);
    let e = BusConfig::new(&bad_ns.service_bus, None).unwrap_err();
    assert!(
        e.to_string()
            .contains("ServiceBusConnection__fullyQualifiedNamespace"),
        "{e}"
    );

    let bad_sub = settings(&[
        (
            "ServiceBusConnection",
            "Endpoint=sb://x/;SharedAccessSignature=sr=a&sig=b",
        ),
        ("HAYMAKER_EVENTS_TAIL_SUBSCRIPTION", "a/b"),
    ]);
    let e = BusConfig::from_settings(&bad_sub).unwrap_err();
    assert!(
        e.to_string().contains("HAYMAKER_EVENTS_TAIL_SUBSCRIPTION"),
        "{e}"
    );
}

#[tokio::test]
async fn no_key_in_any_error_or_debug_output() {
    // Nothing listens on 127.0.0.15: connecting fails.
    let cs = format!("Endpoint=sb://127.0.0.15/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={TEST_KEY};UseDevelopmentEmulator=true");
    let config = BusConfig::from_settings(&settings(&[("ServiceBusConnection", &cs)])).unwrap();
    let publisher = EventPublisher::new(config.clone());
    let err = publisher.publish("x", &json!({}), &[]).await.unwrap_err();
    assert!(matches!(err, BusError::Connect { .. }), "{err}");
    let tail = LiveTail::new(config.clone());
    let tail_err = tail
        .receive_once(1, Duration::from_secs(1), |_| Disposition::Complete)
        .await
        .unwrap_err();
    let invalid = publisher.publish("", &json!({}), &[]).await.unwrap_err();
    for text in [
        format!("{err} {err:?}"),
        format!("{tail_err} {tail_err:?}"),
        format!("{invalid} {invalid:?}"),
        format!("{config:?} {publisher:?} {tail:?}"),
    ] {
        assert!(!text.contains(TEST_KEY), "{text}");
        assert!(!text.contains("SharedAccessKey="), "{text}");
    }
}

#[tokio::test]
async fn haymaker_logs_live_prints_the_runs_events() {
    let broker = Broker::start(16, TOPIC, &["orchestrator", "cli-tail"]).await;
    let publisher = EventPublisher::new(config_for(&broker));
    let events = [
        json!({"run_id": "r1", "timestamp": "2025-01-01T00:00:01Z", "event_type": "scenario.started", "scenario": "storage-basics", "message": "starting"}),
        json!({"run_id": "r2", "timestamp": "2025-01-01T00:00:02Z", "event_type": "scenario.started", "scenario": "other", "message": "not this run"}),
        json!({"run_id": "r1", "timestamp": "2025-01-01T00:00:03Z", "event_type": "resource.created", "scenario": "storage-basics", "resource_id": "/subscriptions/s/resourceGroups/g"}),
    ];
    for (i, body) in events.iter().enumerate() {
        publisher
            .publish(&format!("cli-{i}"), body, &[])
            .await
            .expect("publish");
    }
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_haymaker"))
        .args(["logs", "--run", "r1", "--live", "--count", "2"])
        .env_clear()
        .env("ServiceBusConnection", broker.connection_string())
        .env("HAYMAKER_LOG_FORMAT", "json")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), child)
        .await
        .expect("haymaker logs stops after two events")
        .expect("haymaker runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("2025-01-01T00:00:01Z  scenario.started"),
        "{stdout}"
    );
    assert!(
        lines[0].contains("storage-basics") && lines[0].ends_with("starting"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("2025-01-01T00:00:03Z  resource.created"),
        "{stdout}"
    );
    assert!(
        lines[1].ends_with("/subscriptions/s/resourceGroups/g"),
        "{stdout}"
    );
    assert!(!stderr.contains(TEST_KEY), "{stderr}");
    broker.with_queue("orchestrator", |q| assert_eq!(q.ready.len(), 3));
}

#[test]
fn haymaker_logs_without_live_reads_the_archive_and_names_a_bad_run_id() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_haymaker"))
        .args(["logs", "--run", "r1"])
        .env("HAYMAKER_STATE", format!("file://{}", dir.path().display()))
        .output()
        .expect("haymaker runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--run `r1` is not a run id"), "{stderr}");
}
