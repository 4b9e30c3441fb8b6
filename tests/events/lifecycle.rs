//! The orchestrator's lifecycle events: archived under the run (what `haymaker logs` shows),
//! versioned in the event schema, published to the topic of the in-repo AMQP broker when Service Bus
//! is configured, and a publish failure never fails the step. Each test binds its own 127.0.0.N:5672.

use crate::amqp_broker;

use std::collections::HashMap;
use std::time::Duration;

use amqp_broker::Broker;
use chrono::{Duration as Span, Utc};
use haymaker::config::Settings;
use haymaker::events::{parse_event, run_events, AgentEvent, LifecycleRecorder};
use haymaker::run::{start_run_with, Phase, RunRequest, StartOutcome, StartTrigger};
use haymaker::store::{StateStore, StoreLocation};
use serde_json::Value;
use uuid::Uuid;

fn settings(values: &[(&str, &str)]) -> Settings {
    let map: HashMap<String, String> = values
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(&|name| map.get(name).cloned()).expect("settings load")
}

async fn start(store: &StateStore, recorder: &LifecycleRecorder) -> Uuid {
    let request = RunRequest {
        size: haymaker::scenarios::Size::Small,
        duration_hours: 8.0,
        trigger: StartTrigger::Api,
    };
    match start_run_with(store, &request, Utc::now(), recorder)
        .await
        .unwrap()
    {
        StartOutcome::Started { run_id, .. } => run_id,
        other => panic!("{other:?}"),
    }
}

/// The run's steps after `run_started`, a second apart.
async fn steps(recorder: &LifecycleRecorder, run_id: Uuid) -> Vec<String> {
    let t = Utc::now();
    vec![
        recorder
            .phase_changed(
                run_id,
                Phase::Validation,
                Phase::Selection,
                t + Span::seconds(1),
            )
            .await
            .unwrap(),
        recorder
            .scenario_provisioned(run_id, "storage-01-blob", t + Span::seconds(2))
            .await
            .unwrap(),
        recorder
            .scenario_failed(
                run_id,
                "network-02-vnet",
                "quota exceeded",
                t + Span::seconds(3),
            )
            .await
            .unwrap(),
        recorder
            .cleanup_complete(run_id, "41 deleted, 0 failed", t + Span::seconds(4))
            .await
            .unwrap(),
    ]
}

const TYPES: [&str; 5] = [
    "run_started",
    "phase_changed",
    "scenario_provisioned",
    "scenario_failed",
    "cleanup_complete",
];

#[tokio::test]
async fn lifecycle_events_are_archived_in_the_schema_and_published() {
    let broker = Broker::start(21, "agent-logs", &["orchestrator"]).await;
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(&StoreLocation::Local(dir.path().to_path_buf())).unwrap();
    let cs = broker.connection_string();
    let recorder = LifecycleRecorder::from_settings(
        &settings(&[("ServiceBusConnection", &cs)]),
        store.clone(),
    );
    let run_id = start(&store, &recorder).await;
    let ids = steps(&recorder, run_id).await;
    // The same step again (a retried invocation): no second archive entry.
    recorder
        .phase_changed(run_id, Phase::Validation, Phase::Selection, Utc::now())
        .await
        .unwrap();

    let archived = run_events(&store, run_id).await.unwrap();
    let types: Vec<&str> = archived.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, TYPES);
    for e in &archived {
        assert_eq!(e.event["schema_version"], 1);
        let parsed = parse_event(&e.event).expect("the schema parses its own lifecycle events");
        assert_eq!(parsed.run_id(), Some(run_id));
    }
    match parse_event(&archived[1].event).unwrap() {
        AgentEvent::PhaseChanged(l) => {
            assert_eq!(
                (l.from, l.to),
                (Some(Phase::Validation), Some(Phase::Selection))
            )
        }
        other => panic!("{other:?}"),
    }
    match parse_event(&archived[3].event).unwrap() {
        AgentEvent::ScenarioFailed(l) => {
            assert_eq!(l.scenario_name.as_deref(), Some("network-02-vnet"));
            assert_eq!(l.reason.as_deref(), Some("quota exceeded"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_event(&archived[4].event).unwrap(),
        AgentEvent::CleanupComplete(_)
    ));
    assert_eq!(archived[0].message_id, format!("run-{run_id}-started"));
    assert_eq!(
        &archived[1..]
            .iter()
            .map(|e| e.message_id.clone())
            .collect::<Vec<_>>(),
        &ids
    );

    // On the topic: every step, with its message id, body and properties (6: one step twice).
    broker
        .wait_until(
            "orchestrator",
            "six messages",
            Duration::from_secs(30),
            |q| q.ready.len() == 6,
        )
        .await;
    let published: Vec<(String, Value)> = broker.with_queue("orchestrator", |q| {
        q.ready
            .iter()
            .map(|m| {
                (
                    m.message_id().unwrap(),
                    serde_json::from_slice(&m.body_bytes()).unwrap(),
                )
            })
            .collect()
    });
    for e in &archived {
        let (_, body) = published
            .iter()
            .find(|(id, _)| *id == e.message_id)
            .unwrap_or_else(|| panic!("{} was not published", e.message_id));
        assert_eq!(body, &e.event);
    }
}

#[tokio::test]
async fn a_publish_failure_is_logged_and_the_step_still_recorded() {
    // Nothing listens on 127.0.0.22:5672.
    let cs = "Endpoint=sb://127.0.0.22/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=a2V5;UseDevelopmentEmulator=true";
    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(&StoreLocation::Local(dir.path().to_path_buf())).unwrap();
    let recorder =
        LifecycleRecorder::from_settings(&settings(&[("ServiceBusConnection", cs)]), store.clone());
    let run_id = start(&store, &recorder).await;
    steps(&recorder, run_id).await;
    let archived = run_events(&store, run_id).await.unwrap();
    let types: Vec<&str> = archived.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, TYPES);
}
