//! The pure half of `Tick`: given the run document and the time, what happens next. Steps that are
//! sequential and short (validation, selection, reporting) run inline in the tick; fan-out work goes
//! to the queue, one outstanding dispatch per lease key, re-dispatched only when its lease expired
//! (a lost or crashed unit is retried; a slow one is not doubled on every tick).

use chrono::{DateTime, Duration, Utc};

use super::state::{RunState, ScenarioStatus};
use super::work::WorkUnit;
use super::Phase;

/// Timing knobs of the phase machine. The sandbox, whose clock runs fast, scales them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// How long a dispatched unit is given before it is dispatched again.
    pub lease: Duration,
    /// How often each running agent is checked.
    pub check_every: Duration,
    /// Scenarios per `CheckAgents` unit.
    pub check_batch: usize,
    /// Provisioning attempts before a scenario is marked failed.
    pub max_provision_attempts: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            lease: Duration::minutes(10),
            check_every: Duration::minutes(5),
            check_batch: 10,
            max_provision_attempts: 4,
        }
    }
}

/// A step the tick carries out itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inline {
    Validate,
    Select,
    Report,
}

/// What a tick does.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TickPlan {
    pub inline: Option<Inline>,
    /// Move to this phase (written together with the leases below).
    pub advance: Option<Phase>,
    /// Units to enqueue; their leases are written before they are handed out.
    pub dispatch: Vec<WorkUnit>,
}

impl TickPlan {
    /// Whether the plan changes the run document.
    pub fn writes(&self) -> bool {
        self.advance.is_some() || !self.dispatch.is_empty()
    }
}

fn lease_free(state: &RunState, unit: &WorkUnit, now: DateTime<Utc>, policy: &Policy) -> bool {
    match state.leases.get(&unit.lease_key()) {
        Some(at) => now - *at >= policy.lease,
        None => true,
    }
}

/// Decides the tick.
pub fn plan_tick(state: &RunState, now: DateTime<Utc>, policy: &Policy) -> TickPlan {
    let run_id = state.run_id;
    let mut plan = TickPlan::default();
    match state.phase {
        Phase::Validation => plan.inline = Some(Inline::Validate),
        Phase::Selection => plan.inline = Some(Inline::Select),
        Phase::Provisioning => {
            if now >= state.scheduled_end_at
                || state
                    .scenarios
                    .iter()
                    .all(|s| s.status != ScenarioStatus::Pending)
            {
                plan.advance = Some(if now >= state.scheduled_end_at {
                    Phase::Cleanup
                } else {
                    Phase::Monitoring
                });
            } else {
                plan.dispatch = state
                    .scenarios
                    .iter()
                    .filter(|s| s.status == ScenarioStatus::Pending)
                    .map(|s| WorkUnit::Provision {
                        run_id,
                        scenario: s.name.clone(),
                    })
                    .filter(|u| lease_free(state, u, now, policy))
                    .collect();
            }
        }
        Phase::Monitoring => {
            if now >= state.scheduled_end_at {
                plan.advance = Some(Phase::Cleanup);
            } else {
                let due: Vec<String> = state
                    .scenarios
                    .iter()
                    .filter(|s| s.status == ScenarioStatus::Running)
                    .filter(|s| s.checked_at.is_none_or(|t| now - t >= policy.check_every))
                    .map(|s| s.name.clone())
                    .collect();
                plan.dispatch = due
                    .chunks(policy.check_batch.max(1))
                    .map(|batch| WorkUnit::CheckAgents {
                        run_id,
                        scenarios: batch.to_vec(),
                    })
                    .filter(|u| lease_free(state, u, now, policy))
                    .collect();
            }
        }
        Phase::Cleanup => {
            let pending: Vec<&String> = state
                .subscriptions
                .iter()
                .filter(|s| !state.cleanup.subscriptions_done.contains(s))
                .collect();
            if !pending.is_empty() {
                plan.dispatch = pending
                    .into_iter()
                    .map(|s| WorkUnit::CleanupSubscription {
                        run_id,
                        subscription: s.clone(),
                    })
                    .filter(|u| lease_free(state, u, now, policy))
                    .collect();
            } else if !state.cleanup.identities_done {
                let unit = WorkUnit::CleanupIdentities { run_id };
                if lease_free(state, &unit, now, policy) {
                    plan.dispatch.push(unit);
                }
            } else {
                plan.advance = Some(Phase::Reporting);
            }
        }
        Phase::Reporting => plan.inline = Some(Inline::Report),
        Phase::Completed | Phase::Failed | Phase::Cancelled => {}
    }
    plan
}

/// Applies the plan's writes to the document: the phase move (with what it implies for scenarios)
/// and the leases of the dispatched units.
pub fn apply_plan(state: &mut RunState, plan: &TickPlan, now: DateTime<Utc>) {
    for unit in &plan.dispatch {
        state.leases.insert(unit.lease_key(), now);
    }
    if let Some(next) = plan.advance {
        if next == Phase::Cleanup {
            for s in &mut state.scenarios {
                match s.status {
                    ScenarioStatus::Running => {
                        s.status = ScenarioStatus::Completed;
                        s.ended_at.get_or_insert(now);
                    }
                    ScenarioStatus::Pending => {
                        s.status = ScenarioStatus::Failed;
                        s.ended_at.get_or_insert(now);
                        s.error.get_or_insert_with(|| {
                            "the run ended before this scenario was provisioned".into()
                        });
                    }
                    _ => {}
                }
            }
        }
        state.enter(next, now);
    }
    state.updated_at = now;
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
