use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::*;
use crate::run::state::ScenarioRecord;
use crate::run::StartTrigger;

fn t0() -> DateTime<Utc> {
    "2026-11-26T00:00:00Z".parse().unwrap()
}

/// Builders for run documents in any phase.
struct Fixture(RunState);

impl Fixture {
    fn new() -> Self {
        Fixture(RunState::new(
            Uuid::nil(),
            StartTrigger::Api,
            "small".into(),
            8.0,
            t0(),
            t0() + Duration::hours(8),
        ))
    }
    fn in_phase(mut self, phase: Phase) -> Self {
        self.0.phase = phase;
        self
    }
    fn with_scenarios(mut self, statuses: &[ScenarioStatus]) -> Self {
        for (i, status) in statuses.iter().enumerate() {
            let mut record = ScenarioRecord::pending(
                &format!("s{i}"),
                "compute",
                "sub",
                format!("rg{i}"),
                format!("secret{i}"),
                format!("app{i}"),
            );
            record.status = *status;
            self.0.scenarios.push(record);
        }
        self
    }
    fn with_subscriptions(mut self, subs: &[&str]) -> Self {
        self.0.subscriptions = subs.iter().map(|s| s.to_string()).collect();
        self
    }
}

use ScenarioStatus::*;

#[test]
fn short_phases_run_inline() {
    let p = Policy::default();
    for (phase, inline) in [
        (Phase::Validation, Inline::Validate),
        (Phase::Selection, Inline::Select),
        (Phase::Reporting, Inline::Report),
    ] {
        let plan = plan_tick(&Fixture::new().in_phase(phase).0, t0(), &p);
        assert_eq!(plan.inline, Some(inline));
        assert!(!plan.writes());
    }
    for phase in [Phase::Completed, Phase::Failed, Phase::Cancelled] {
        assert_eq!(
            plan_tick(&Fixture::new().in_phase(phase).0, t0(), &p),
            TickPlan::default()
        );
    }
}

#[test]
fn provisioning_dispatches_each_pending_scenario_once_per_lease() {
    let p = Policy::default();
    let mut state = Fixture::new()
        .in_phase(Phase::Provisioning)
        .with_scenarios(&[Pending, Running, Pending, Failed])
        .0;
    let plan = plan_tick(&state, t0(), &p);
    let keys: Vec<String> = plan.dispatch.iter().map(|u| u.lease_key()).collect();
    assert_eq!(keys, ["provision:s0", "provision:s2"]);
    apply_plan(&mut state, &plan, t0());

    // Within the lease nothing is dispatched again; after it, both are.
    assert!(plan_tick(&state, t0() + Duration::minutes(9), &p)
        .dispatch
        .is_empty());
    assert_eq!(
        plan_tick(&state, t0() + p.lease, &p).dispatch.len(),
        2,
        "an expired lease re-dispatches"
    );

    // When none is pending, monitoring starts.
    state.scenarios[0].status = Running;
    state.scenarios[2].status = Failed;
    let plan = plan_tick(&state, t0() + Duration::minutes(1), &p);
    assert_eq!(plan.advance, Some(Phase::Monitoring));
    apply_plan(&mut state, &plan, t0() + Duration::minutes(1));
    assert_eq!(state.phase, Phase::Monitoring);
    assert!(state.leases.is_empty());
}

#[test]
fn the_end_time_moves_any_phase_of_the_agents_to_cleanup() {
    let p = Policy::default();
    let end = t0() + Duration::hours(8);
    for phase in [Phase::Provisioning, Phase::Monitoring] {
        let mut state = Fixture::new()
            .in_phase(phase)
            .with_scenarios(&[Pending, Running, Failed])
            .0;
        let plan = plan_tick(&state, end, &p);
        assert_eq!(plan.advance, Some(Phase::Cleanup));
        apply_plan(&mut state, &plan, end);
        let statuses: Vec<ScenarioStatus> = state.scenarios.iter().map(|s| s.status).collect();
        assert_eq!(statuses, [Failed, Completed, Failed]);
        assert!(state.scenarios[0].error.is_some());
        assert_eq!(state.scenarios[1].ended_at, Some(end));
    }
}

#[test]
fn monitoring_checks_due_agents_in_batches() {
    let p = Policy {
        check_batch: 2,
        ..Policy::default()
    };
    let mut state = Fixture::new()
        .in_phase(Phase::Monitoring)
        .with_scenarios(&[Running, Running, Running, Failed, Running])
        .0;
    state.scenarios[4].checked_at = Some(t0());
    let plan = plan_tick(&state, t0() + Duration::minutes(1), &p);
    let batches: Vec<Vec<String>> = plan
        .dispatch
        .iter()
        .map(|u| match u {
            WorkUnit::CheckAgents { scenarios, .. } => scenarios.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(batches, vec![vec!["s0", "s1"], vec!["s2"]]);
    apply_plan(&mut state, &plan, t0() + Duration::minutes(1));
    assert!(plan_tick(&state, t0() + Duration::minutes(2), &p)
        .dispatch
        .is_empty());
}

#[test]
fn cleanup_sweeps_every_subscription_then_identities_then_reports() {
    let p = Policy::default();
    let mut state = Fixture::new()
        .in_phase(Phase::Cleanup)
        .with_subscriptions(&["a", "b"])
        .0;
    let plan = plan_tick(&state, t0(), &p);
    assert_eq!(
        plan.dispatch.iter().map(|u| u.kind()).collect::<Vec<_>>(),
        ["cleanup_subscription", "cleanup_subscription"]
    );
    state.cleanup.subscriptions_done.push("a".into());
    // `b` failing keeps it pending; identities wait for every subscription.
    state
        .cleanup
        .subscription_errors
        .insert("b".into(), "boom".into());
    let plan = plan_tick(&state, t0(), &p);
    assert_eq!(plan.dispatch.len(), 1);
    assert_eq!(plan.dispatch[0].lease_key(), "cleanup:b");
    state.cleanup.subscriptions_done.push("b".into());
    let plan = plan_tick(&state, t0(), &p);
    assert_eq!(plan.dispatch[0].kind(), "cleanup_identities");
    state.cleanup.identities_done = true;
    let plan = plan_tick(&state, t0(), &p);
    assert_eq!(plan.advance, Some(Phase::Reporting));
}
