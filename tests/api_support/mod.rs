//! Seeded monitoring state for the API tests, the dashboard and schemathesis runs and the benchmark:
//! every document is written through the store by the code that owns it (run documents, the real
//! ingestion path and ledger compaction, the orchestrator's report, the cleanup engine's report).
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use haymaker::cleanup::report::{ResourceDeletion, ResourceDeletionStatus};
use haymaker::cleanup::{CleanupReport, CleanupStatus, CleanupVerification};
use haymaker::events::{self, parse_event, Ledger, ResourceStatus};
use haymaker::run::{
    keys, CurrentStatus, OrchestratorState, Phase, PrincipalRecord, ProvisionStep, RunState,
    ScenarioRecord, ScenarioStatus, StartTrigger,
};
use haymaker::store::StateStore;
use serde_json::{json, Value};
use uuid::Uuid;

pub const SUBSCRIPTION: &str = "11111111-2222-3333-4444-555555555555";
pub const TYPES: [&str; 3] = [
    "Microsoft.Storage/storageAccounts",
    "Microsoft.Network/virtualNetworks",
    "Microsoft.KeyVault/vaults",
];

pub fn scenario(
    name: &str,
    area: &str,
    status: ScenarioStatus,
    at: DateTime<Utc>,
) -> ScenarioRecord {
    ScenarioRecord {
        name: name.into(),
        area: area.into(),
        subscription: SUBSCRIPTION.into(),
        resource_group: format!("haymaker-{name}-rg"),
        status,
        step: if status == ScenarioStatus::Pending {
            ProvisionStep::Secret
        } else {
            ProvisionStep::ContainerApp
        },
        principal: Some(PrincipalRecord {
            display_name: format!("haymaker-{name}-sp"),
            application_object_id: Uuid::new_v4().to_string(),
            app_id: Uuid::new_v4().to_string(),
            principal_object_id: Some(Uuid::new_v4().to_string()),
        }),
        secret_name: format!("{name}-secret"),
        role_assignment_ids: vec![],
        roles: vec!["Contributor".into()],
        container_app_name: format!("agent-{name}"),
        container_app_id: Some(format!(
            "/subscriptions/{SUBSCRIPTION}/resourceGroups/haymaker-{name}-rg/providers/Microsoft.App/containerApps/agent-{name}"
        )),
        started_at: (status != ScenarioStatus::Pending).then_some(at),
        ended_at: None,
        error: None,
        attempts: 0,
        agent_state: None,
        checked_at: None,
    }
}

pub fn resource_event(
    run_id: Uuid,
    scenario: &str,
    kind: &str,
    i: usize,
    at: DateTime<Utc>,
) -> Value {
    let ty = TYPES[i % TYPES.len()];
    let name = format!("res{i:06}");
    json!({
        "event_type": kind,
        "run_id": run_id,
        "scenario_name": scenario,
        "resource_id": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/haymaker-{scenario}-rg/providers/{ty}/{name}"),
        "resource_type": ty,
        "resource_name": name,
        "timestamp": at,
        "tags": {"haymaker-run-id": run_id, "haymaker-managed": "true", "haymaker-scenario": scenario},
    })
}

pub fn log_event(
    run_id: Uuid,
    scenario: &str,
    kind: &str,
    message: &str,
    at: DateTime<Utc>,
) -> Value {
    json!({
        "event_type": kind,
        "run_id": run_id,
        "scenario_name": scenario,
        "timestamp": at,
        "message": message,
        "agent_id": format!("agent-{scenario}"),
    })
}

/// Archives `event` through the real ingestion path.
pub async fn deliver(store: &StateStore, message_id: &str, event: Value, now: DateTime<Utc>) {
    let parsed = parse_event(&event).expect("seed events are valid");
    events::ingest_delivery(store, message_id, &parsed, &event, now)
        .await
        .expect("ingest");
}

/// What [`seed`] made.
pub struct Seeded {
    pub active: Uuid,
    pub finished: Uuid,
    /// Resources of the active run: per scenario.
    pub active_resources: BTreeMap<String, usize>,
    pub finished_resources: usize,
}

/// Two runs: one finished (verified cleanup, report), one active in monitoring (three scenarios,
/// events, a compacted ledger), and the status document naming the active one.
pub async fn seed(store: &StateStore) -> Seeded {
    let now = Utc::now();
    // The finished run, a day ago.
    let finished = Uuid::new_v4();
    let f_start = now - Duration::hours(26);
    let mut f = RunState::new(
        finished,
        StartTrigger::Schedule,
        "small".into(),
        8.0,
        f_start,
        f_start + Duration::hours(8),
    );
    f.phase = Phase::Monitoring;
    f.subscriptions = vec![SUBSCRIPTION.into()];
    f.scenarios = vec![scenario(
        "web-app-01",
        "Web",
        ScenarioStatus::Running,
        f_start,
    )];
    store
        .create_json(&keys::run_state(finished), &f)
        .await
        .unwrap();
    for i in 0..4 {
        deliver(
            store,
            &format!("f-{i}"),
            resource_event(
                finished,
                "web-app-01",
                "resource_created",
                i,
                f_start + Duration::minutes(i as i64),
            ),
            now,
        )
        .await;
    }
    let ledger = events::compact(store, finished, now).await.unwrap();
    let cleanup = CleanupReport {
        run_id: finished,
        status: CleanupStatus::Verified,
        verification: CleanupVerification {
            expected_deleted: 4,
            actually_deleted: 4,
            forced_deletions: 4,
            deletion_failures: 0,
        },
        deletions: ledger
            .resources
            .values()
            .map(|r| ResourceDeletion {
                resource_id: r.resource_id.clone(),
                resource_type: Some(r.resource_type.clone()),
                status: ResourceDeletionStatus::Deleted,
                attempts: 1,
                deleted_at: Some(f_start + Duration::hours(8)),
                error: None,
            })
            .collect(),
        service_principals_deleted: vec!["haymaker-web-app-01-sp".into()],
        forced_cleanup_required: true,
        forced_cleanup_executed_at: Some(f_start + Duration::hours(8)),
        azure_retries: Some(3),
    };
    store
        .create_json(&keys::cleanup_report(finished), &cleanup)
        .await
        .unwrap();
    f.scenarios[0].status = ScenarioStatus::CleanupComplete;
    f.scenarios[0].ended_at = Some(f_start + Duration::hours(8));
    f.ended_at = Some(f_start + Duration::hours(8) + Duration::minutes(20));
    let cleanup_value = serde_json::to_value(&cleanup).unwrap();
    let details = haymaker::orchestrator::report::run_details(
        &f,
        &ledger,
        Some(&cleanup_value),
        Phase::Completed,
    );
    store
        .create_json(&keys::report(finished), &details)
        .await
        .unwrap();
    store
        .update_json(&keys::run_state(finished), |cur: Option<&RunState>| {
            let mut next = cur.cloned().unwrap();
            next.scenarios = f.scenarios.clone();
            next.enter(Phase::Completed, f.ended_at.unwrap());
            haymaker::store::Decision::Write(next, ())
        })
        .await
        .unwrap();

    // The active run, started two hours ago.
    let active = Uuid::new_v4();
    let a_start = now - Duration::hours(2);
    let mut a = RunState::new(
        active,
        StartTrigger::Api,
        "small".into(),
        8.0,
        a_start,
        a_start + Duration::hours(8),
    );
    a.subscriptions = vec![SUBSCRIPTION.into()];
    a.scenarios = vec![
        scenario("ai-ml-01-vision", "AI/ML", ScenarioStatus::Running, a_start),
        scenario(
            "networking-02-vnet",
            "Networking",
            ScenarioStatus::Running,
            a_start,
        ),
        scenario(
            "security-03-vault",
            "Security",
            ScenarioStatus::Pending,
            a_start,
        ),
    ];
    a.enter(Phase::Monitoring, a_start + Duration::minutes(30));
    a.record_error(
        a_start + Duration::minutes(20),
        "PROVISION_RETRY",
        "role assignment not effective yet",
        Some("security-03-vault"),
    );
    store
        .create_json(&keys::run_state(active), &a)
        .await
        .unwrap();
    let mut per_scenario = BTreeMap::new();
    let mut n = 0usize;
    for (s, count) in [("ai-ml-01-vision", 7usize), ("networking-02-vnet", 5)] {
        deliver(
            store,
            &format!("{s}-start"),
            log_event(
                active,
                s,
                "agent_started",
                &format!("agent for {s} started"),
                a_start + Duration::minutes(31),
            ),
            now,
        )
        .await;
        for _ in 0..count {
            deliver(
                store,
                &format!("a-{n}"),
                resource_event(
                    active,
                    s,
                    "resource_created",
                    n,
                    a_start + Duration::minutes(32 + n as i64),
                ),
                now,
            )
            .await;
            n += 1;
        }
        per_scenario.insert(s.to_string(), count);
    }
    deliver(
        store,
        "op-1",
        log_event(
            active,
            "ai-ml-01-vision",
            "operation",
            "listed storage account keys",
            a_start + Duration::minutes(60),
        ),
        now,
    )
    .await;
    deliver(
        store,
        "err-1",
        log_event(
            active,
            "networking-02-vnet",
            "error",
            "peering refused: address space overlaps",
            a_start + Duration::minutes(61),
        ),
        now,
    )
    .await;
    deliver(
        store,
        "del-1",
        resource_event(
            active,
            "ai-ml-01-vision",
            "resource_deleted",
            0,
            a_start + Duration::minutes(62),
        ),
        now,
    )
    .await;
    let ledger: Ledger = events::compact(store, active, now).await.unwrap();
    assert_eq!(ledger.count(ResourceStatus::Deleted), 1);
    let mut status = CurrentStatus::idle(now);
    status.status = OrchestratorState::Running;
    status.current_run_id = Some(active);
    status.last_run_id = Some(active);
    status.started_at = Some(a.started_at);
    status.scheduled_end_at = Some(a.scheduled_end_at);
    status.phase = Some(Phase::Monitoring);
    status.scenarios_count = Some(3);
    status.scenarios_running = Some(2);
    status.scenarios_completed = Some(0);
    status.scenarios_failed = Some(0);
    store
        .create_json(&keys::current_status(), &status)
        .await
        .unwrap();
    Seeded {
        active,
        finished,
        active_resources: per_scenario,
        finished_resources: 4,
    }
}
pub mod schema;
