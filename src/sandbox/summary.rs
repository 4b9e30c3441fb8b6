//! The sandbox's summary: scenarios, principals, resources created / deleted by agents /
//! force-deleted, the cleanup verdict and leftovers; and the exit verdict (cleanup verified and
//! nothing of the run left in the simulator).

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::agents::AgentCounts;
use super::host::{HostStats, HostStats as H};
use super::leftovers::Leftovers;
use crate::run::{Phase, RunState, ScenarioStatus};

/// The Functions host's counters at the end.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct HostCounts {
    pub invocations: u64,
    pub retries: u64,
    pub duplicates: u64,
    pub poisoned: u64,
    pub events_delivered: u64,
    /// Invocations a handler process did not answer (down, or killed holding them).
    pub unreachable: u64,
    /// Of those, the ones it had received when it died.
    pub cut_off: u64,
    /// Queue messages delivered again after a handler restart.
    pub redelivered: u64,
}

/// Faults the simulator injected, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FaultCounts {
    pub internal_errors: u64,
    pub throttles: u64,
    pub resets: u64,
    pub delayed: u64,
}

impl From<crate::sim::faults::FaultTally> for FaultCounts {
    fn from(t: crate::sim::faults::FaultTally) -> Self {
        Self {
            internal_errors: t.internal_errors,
            throttles: t.throttles,
            resets: t.resets,
            delayed: t.delayed,
        }
    }
}

/// The outcome of a sandbox run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub run_id: Uuid,
    pub phase: Option<Phase>,
    pub scenarios: usize,
    pub scenarios_failed: usize,
    pub principals: usize,
    pub agents: AgentCounts,
    pub host: HostCounts,
    /// Resources the orchestrator deleted itself (`CleanupVerification.forced_deletions`).
    pub force_deleted: u64,
    pub cleanup_status: Option<String>,
    pub leftovers: Leftovers,
    /// Azure calls the handler's pipeline retried over the run (the run document's count).
    pub azure_retries: u64,
    /// The same count as the cleanup report gave it when cleanup ended.
    pub cleanup_report_retries: Option<u64>,
    /// What the simulator injected (`--faults`), when it injected anything.
    pub faults: Option<FaultCounts>,
    pub seconds: f64,
    /// The run report (`RunDetails`).
    pub report: Option<Value>,
    #[serde(skip)]
    pub cleanup_report: Option<Value>,
}

fn count(c: &AtomicU64) -> u64 {
    H::get(c)
}

impl Summary {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        run_id: Uuid,
        state: Option<RunState>,
        report: Option<Value>,
        cleanup: Option<Value>,
        leftovers: Leftovers,
        agents: AgentCounts,
        host: &HostStats,
        elapsed: Duration,
    ) -> Self {
        let scenarios = state.as_ref().map_or(0, |s| s.scenarios.len());
        let scenarios_failed = state
            .as_ref()
            .map_or(0, |s| s.count(ScenarioStatus::Failed) as usize);
        let principals = state.as_ref().map_or(0, |s| {
            s.scenarios.iter().filter(|x| x.principal.is_some()).count()
        });
        let azure_retries = state.as_ref().map_or(0, |s| s.azure_retries);
        let cleanup_report_retries = cleanup.as_ref().and_then(|c| c["azure_retries"].as_u64());
        Self {
            azure_retries,
            cleanup_report_retries,
            faults: None,
            run_id,
            phase: state.as_ref().map(|s| s.phase),
            scenarios,
            scenarios_failed,
            principals,
            agents,
            host: HostCounts {
                invocations: count(&host.invocations),
                retries: count(&host.retries),
                duplicates: count(&host.duplicates),
                poisoned: count(&host.poisoned),
                events_delivered: count(&host.events_delivered),
                unreachable: count(&host.unreachable),
                cut_off: count(&host.cut_off),
                redelivered: count(&host.redelivered),
            },
            force_deleted: cleanup
                .as_ref()
                .and_then(|c| c["verification"]["forced_deletions"].as_u64())
                .unwrap_or(0),
            cleanup_status: cleanup
                .as_ref()
                .and_then(|c| c["status"].as_str().map(str::to_string)),
            leftovers,
            seconds: elapsed.as_secs_f64(),
            report,
            cleanup_report: cleanup,
        }
    }

    /// Exit 0 only when the run completed, cleanup is verified and nothing of it is left.
    pub fn passed(&self) -> bool {
        self.phase == Some(Phase::Completed)
            && self.cleanup_status.as_deref() == Some("verified")
            && self.leftovers.is_empty()
    }

    /// The human summary.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let verdict = if self.passed() { "PASSED" } else { "FAILED" };
        out.push_str(&format!("sandbox run {} — {verdict}\n", self.run_id));
        out.push_str(&format!(
            "  phase            {}\n",
            self.phase
                .map_or("never started".into(), |p| format!("{p:?}").to_lowercase())
        ));
        out.push_str(&format!(
            "  scenarios        {} ({} failed)\n  principals       {}\n  agents           {}\n",
            self.scenarios, self.scenarios_failed, self.principals, self.agents.agents
        ));
        out.push_str(&format!(
            "  resources        {} created by agents ({} failed), {} deleted by agents, {} deleted by cleanup\n",
            self.agents.created, self.agents.create_failures, self.agents.deleted_by_agents, self.force_deleted
        ));
        out.push_str(&format!(
            "  host             {} invocations, {} retries, {} duplicate deliveries, {} poisoned, {} events\n",
            self.host.invocations, self.host.retries, self.host.duplicates, self.host.poisoned, self.host.events_delivered
        ));
        out.push_str(&format!(
            "  azure            {} calls retried (throttled, 5xx, broken connections)\n",
            self.azure_retries
        ));
        if let Some(f) = self.faults {
            out.push_str(&format!(
                "  faults injected  {} × 500, {} × 429, {} resets, {} delayed\n",
                f.internal_errors, f.throttles, f.resets, f.delayed
            ));
        }
        if self.host.unreachable > 0 || self.host.redelivered > 0 {
            out.push_str(&format!(
                "  handler down     {} invocations unanswered ({} cut off mid-way), {} messages redelivered after restarts\n",
                self.host.unreachable, self.host.cut_off, self.host.redelivered
            ));
        }
        out.push_str(&format!(
            "  cleanup          {}\n",
            self.cleanup_status.as_deref().unwrap_or("no report")
        ));
        if self.leftovers.is_empty() {
            out.push_str("  leftovers        none\n");
        } else {
            out.push_str(&format!("  leftovers        {}\n", self.leftovers.total()));
            for line in self.leftovers.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
        if let Some(errors) = self.report.as_ref().and_then(|r| r["errors"].as_array()) {
            for e in errors.iter().take(10) {
                out.push_str(&format!(
                    "  error            {}: {}\n",
                    e["error_code"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or("")
                ));
            }
        }
        out.push_str(&format!("  took             {:.1} s\n", self.seconds));
        out
    }
}

/// A short note on a phase for the progress lines.
pub fn phase_note(state: &RunState) -> String {
    match state.phase {
        Phase::Provisioning => format!(" — {} scenarios", state.scenarios.len()),
        Phase::Monitoring => format!(
            " — {} agents running, {} failed",
            state.count(ScenarioStatus::Running),
            state.count(ScenarioStatus::Failed)
        ),
        Phase::Cleanup => format!(" — {} subscription(s)", state.subscriptions.len()),
        Phase::Failed => {
            let last = state
                .errors
                .last()
                .map(|e| e.message.clone())
                .unwrap_or_default();
            format!(" — {last}")
        }
        _ => String::new(),
    }
}
