//! The agent's day: sign in as the scenario's principal, Phase 1, Phase 2's operations at a seeded,
//! randomised cadence until the run's end, Phase 3, `cleanup_complete`. A stop request (SIGTERM)
//! lets the current command finish, skips what is left of Phases 1 and 2, and still runs Phase 3.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::sync::watch;

use crate::events::Severity;
use crate::scenarios::{PhaseKind, SplitMix64};

use super::assist::ModelClient;
use super::exec::{AzRunner, CommandResult};
use super::inputs::AgentInputs;
use super::report::{LogEventKind as Log, Reporter, ResourceEventKind as Res};
use super::resources::{ids_in_output, Inventory};
use super::steps::{AgentCommand, AgentStep, Effect, Plan};

/// Phase 2's pause between two operations at time scale 1: uniform in this range (seconds).
pub const CADENCE_SECS: (u64, u64) = (180, 900);
/// The first retry's backoff at time scale 1.
pub const BACKOFF: Duration = Duration::from_secs(5);

/// What the run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub commands_ok: u32,
    pub commands_failed: u32,
    pub created: u32,
    pub deleted: u32,
    pub deletion_failures: u32,
    pub operation_rounds: u32,
    pub stopped_early: bool,
    pub assisted_runs: u32,
}

/// How the run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Phase 3 ran and `cleanup_complete` was published.
    Completed(Summary),
    /// The run's end had passed before the agent started: nothing was done.
    AlreadyOver,
    /// `az login` failed; nothing was done.
    LoginFailed(String),
}

pub struct Agent {
    pub(super) inputs: AgentInputs,
    plan: Plan,
    pub(super) az: AzRunner,
    pub(super) reporter: Reporter,
    inventory: Inventory,
    stop: watch::Receiver<bool>,
    rng: SplitMix64,
    pub(super) model: Option<ModelClient>,
    pub(super) summary: Summary,
}

impl Agent {
    pub fn new(
        inputs: AgentInputs,
        plan: Plan,
        az: AzRunner,
        reporter: Reporter,
        stop: watch::Receiver<bool>,
        model: Option<ModelClient>,
    ) -> Self {
        let rng = SplitMix64(inputs.seed);
        Self {
            inputs,
            plan,
            az,
            reporter,
            inventory: Inventory::default(),
            stop,
            rng,
            model,
            summary: Summary::default(),
        }
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.inputs.time_scale)
    }

    /// Sleeps `d`, or less when a stop is requested.
    async fn pause(&mut self, d: Duration) {
        if self.stopping() {
            return;
        }
        let mut stop = self.stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    }

    fn before_end(&self) -> bool {
        Utc::now() < self.inputs.run_end
    }

    pub async fn run(mut self) -> Outcome {
        let i = &self.inputs;
        let started = format!(
            "agent for {} started ({} mode; {} deployment, {} operation and {} cleanup steps; until {})",
            i.scenario,
            i.mode.as_str(),
            self.plan.deployment.len(),
            self.plan.operations.len(),
            self.plan.cleanup.len(),
            i.run_end.to_rfc3339(),
        );
        tracing::info!("{started}");
        self.reporter
            .log(
                Log::AgentStarted,
                Severity::Info,
                &started,
                Some(json!({"seed": i.seed})),
            )
            .await;
        if !self.before_end() {
            let msg = "the run's end time has passed; nothing to do";
            tracing::info!("{msg}");
            self.reporter
                .log(Log::Operation, Severity::Info, msg, None)
                .await;
            return Outcome::AlreadyOver;
        }
        if let Err(e) = self.login().await {
            self.reporter
                .log(
                    Log::Error,
                    Severity::Error,
                    &format!("az login failed: {e}"),
                    None,
                )
                .await;
            return Outcome::LoginFailed(e);
        }

        for step in self.plan.deployment.clone() {
            if self.stopping() {
                break;
            }
            self.run_step(&step).await;
        }
        self.operations().await;
        self.summary.stopped_early = self.stopping();
        for step in self.plan.cleanup.clone() {
            self.run_step(&step).await;
        }
        let s = &self.summary;
        let message =
            format!(
            "cleanup complete: {} created, {} deleted, {} deletions failed, {} commands failed{}",
            s.created,
            s.deleted,
            s.deletion_failures,
            s.commands_failed,
            if s.stopped_early { " (stopped early)" } else { "" }
        );
        let details = json!({
            "commands_ok": s.commands_ok, "commands_failed": s.commands_failed,
            "created": s.created, "deleted": s.deleted, "deletion_failures": s.deletion_failures,
            "operation_rounds": s.operation_rounds, "stopped_early": s.stopped_early,
            "assisted_runs": s.assisted_runs,
            "left_behind": self.inventory.live().iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        });
        tracing::info!("{message}");
        self.reporter
            .log(
                Log::CleanupComplete,
                Severity::Info,
                &message,
                Some(details),
            )
            .await;
        Outcome::Completed(self.summary.clone())
    }

    /// `az login --service-principal` with the secret (redacted from every log and event), then
    /// the scenario's subscription.
    async fn login(&mut self) -> Result<(), String> {
        let i = &self.inputs;
        let login: Vec<String> = [
            "az",
            "login",
            "--service-principal",
            "-u",
            &i.client_id,
            "-p",
            i.client_secret.expose(),
            "--tenant",
            &i.tenant_id,
            "--output",
            "none",
        ]
        .map(String::from)
        .to_vec();
        let set: Vec<String> = ["az", "account", "set", "--subscription", &i.subscription_id]
            .map(String::from)
            .to_vec();
        for argv in [login, set] {
            let stop = self.stop.clone();
            let result = self.az.run(&argv, &|| !*stop.borrow()).await;
            tracing::info!(command = %self.az.redactor.argv(&argv), attempts = result.attempts, ok = result.ok(), "sign-in");
            if !result.ok() {
                return Err(format!(
                    "`{}`: {}",
                    self.az.redactor.argv(&argv),
                    result.error_text()
                ));
            }
        }
        Ok(())
    }

    /// Phase 2: rounds of the operations in a seeded shuffled order, a seeded pause after each,
    /// until the run's end or a stop.
    async fn operations(&mut self) {
        let ops = self.plan.operations.clone();
        while self.before_end() && !self.stopping() {
            if ops.is_empty() {
                let left = (self.inputs.run_end - Utc::now())
                    .to_std()
                    .unwrap_or_default();
                self.pause(left).await;
                break;
            }
            let mut order: Vec<usize> = (0..ops.len()).collect();
            self.rng.shuffle(&mut order);
            for k in order {
                if !self.before_end() || self.stopping() {
                    break;
                }
                self.run_step(&ops[k]).await;
                let (lo, hi) = CADENCE_SECS;
                let secs = lo + self.rng.below(hi - lo + 1);
                let left = (self.inputs.run_end - Utc::now())
                    .to_std()
                    .unwrap_or_default();
                let pause = self.scaled(Duration::from_secs(secs)).min(left);
                tracing::debug!(?pause, "next operation");
                self.pause(pause).await;
            }
            self.summary.operation_rounds += 1;
        }
    }

    async fn run_step(&mut self, step: &AgentStep) {
        for cmd in &step.commands {
            self.run_command(step.phase, cmd).await;
        }
    }

    pub(super) async fn execute(&self, cmd: &AgentCommand) -> CommandResult {
        let stop = self.stop.clone();
        self.az.run(&cmd.argv, &|| !*stop.borrow()).await
    }

    async fn run_command(&mut self, phase: PhaseKind, cmd: &AgentCommand) {
        let shown = self.az.redactor.argv(&cmd.argv);
        let targets = match cmd.effect {
            Effect::Delete => self.inventory.targets(cmd),
            _ => Vec::new(),
        };
        let mut result = self.execute(cmd).await;
        let mut ran = cmd.clone();
        if !result.ok() && self.model.is_some() {
            if let Some((fixed, r)) = self.assist(cmd, &result).await {
                ran = fixed;
                result = r;
            }
        }
        let phase_name = phase_label(phase);
        tracing::info!(phase = phase_name, line = cmd.line, command = %shown, attempts = result.attempts, ok = result.ok(), "step command");
        let details = json!({
            "phase": phase_name, "line": cmd.line, "command": self.az.redactor.argv(&ran.argv),
            "attempts": result.attempts, "ok": result.ok(),
        });
        if result.ok() {
            self.summary.commands_ok += 1;
            self.reporter
                .log(
                    Log::Operation,
                    Severity::Info,
                    &format!("az {} succeeded", ran.path),
                    Some(details),
                )
                .await;
        } else {
            self.summary.commands_failed += 1;
            let message = format!(
                "az {} failed after {} attempt(s); skipped: {}",
                cmd.path,
                result.attempts,
                result.error_text()
            );
            tracing::warn!("{message}");
            self.reporter
                .log(Log::Error, Severity::Warning, &message, Some(details))
                .await;
        }
        match (ran.effect, result.ok()) {
            (Effect::Create, true) => {
                for r in ids_in_output(&result.stdout) {
                    self.summary.created += 1;
                    self.reporter.resource(Res::Created, &r, None).await;
                    self.inventory.created(r);
                }
            }
            (Effect::Delete, ok) => {
                for r in targets {
                    if ok {
                        let children = self.inventory.remove(&r.id);
                        for gone in std::iter::once(&r).chain(&children) {
                            self.summary.deleted += 1;
                            self.reporter
                                .resource(Res::Deleted, gone, Some((result.attempts, None)))
                                .await;
                        }
                    } else {
                        self.summary.deletion_failures += 1;
                        self.reporter
                            .resource(
                                Res::DeletionFailed,
                                &r,
                                Some((result.attempts, Some(result.error_text()))),
                            )
                            .await;
                    }
                }
            }
            _ => {}
        }
    }
}

fn phase_label(p: PhaseKind) -> &'static str {
    match p {
        PhaseKind::Deployment => "deployment",
        PhaseKind::Operations => "operations",
        PhaseKind::Cleanup => "cleanup",
    }
}
