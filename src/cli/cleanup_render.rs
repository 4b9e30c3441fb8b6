//! How `haymaker cleanup` and `haymaker discover` show progress and results: `[N/total]
//! subscription` lines on stderr, a progress bar of deletes when stderr is a terminal, the plan in
//! order, and a failure summary.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use crate::cleanup::identities::IdentityStep;
use crate::cleanup::ports::{Progress, ProgressEvent, StepResult};
use crate::cleanup::report::ResourceDeletionStatus;
use crate::cleanup::CleanupOutcome;

#[derive(Default)]
struct State {
    index: HashMap<String, (usize, usize)>,
    planned: usize,
    done: usize,
    failed: usize,
    bar_shown: bool,
}

/// Progress on stderr.
pub struct CliProgress {
    terminal: bool,
    state: Mutex<State>,
}

impl CliProgress {
    pub fn new() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            state: Mutex::new(State::default()),
        }
    }

    fn line(&self, state: &mut State, text: &str) {
        let mut err = std::io::stderr().lock();
        if state.bar_shown {
            let _ = write!(err, "\r\x1b[2K");
            state.bar_shown = false;
        }
        let _ = writeln!(err, "{text}");
        if self.terminal && state.planned > 0 && state.done < state.planned {
            Self::bar(&mut err, state);
        }
    }

    fn bar(err: &mut impl Write, state: &mut State) {
        const WIDTH: usize = 30;
        let filled = (state.done * WIDTH).checked_div(state.planned).unwrap_or(0);
        let failed = if state.failed > 0 {
            format!(", {} failed", state.failed)
        } else {
            String::new()
        };
        let _ = write!(
            err,
            "\r\x1b[2K[{}{}] {}/{} deletes{failed}",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            state.done,
            state.planned
        );
        let _ = err.flush();
        state.bar_shown = true;
    }

    fn tag(state: &State, subscription: &str) -> String {
        match state.index.get(subscription) {
            Some((i, n)) => format!("[{i}/{n}] {subscription}"),
            None => subscription.to_string(),
        }
    }

    /// Ends the bar line, if one is shown.
    pub fn finish(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.bar_shown {
            eprintln!();
            state.bar_shown = false;
        }
    }
}

impl Progress for CliProgress {
    fn report(&self, event: &ProgressEvent<'_>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let state = &mut *state;
        match event {
            ProgressEvent::SubscriptionStarted {
                index,
                total,
                subscription,
            } => {
                state
                    .index
                    .insert(subscription.to_string(), (*index, *total));
                let text = format!("[{index}/{total}] {subscription}: searching");
                self.line(state, &text);
            }
            ProgressEvent::SubscriptionAlreadyDone { subscription } => {
                let text = format!(
                    "{}: done by an earlier attempt; not touched",
                    Self::tag(state, subscription)
                );
                self.line(state, &text);
            }
            ProgressEvent::Planned {
                subscription,
                steps,
                waves,
                skipped,
            } => {
                state.planned += steps;
                let text = format!(
                    "{}: {steps} delete(s) in {waves} wave(s), {skipped} skipped",
                    Self::tag(state, subscription)
                );
                self.line(state, &text);
            }
            ProgressEvent::Step { result, .. } => {
                state.done += 1;
                if *result == StepResult::Failed {
                    state.failed += 1;
                }
                if self.terminal {
                    Self::bar(&mut std::io::stderr().lock(), state);
                }
            }
            ProgressEvent::SubscriptionFinished {
                subscription,
                ok,
                message,
            } => {
                let tag = Self::tag(state, subscription);
                let text = match (ok, message) {
                    (true, _) => format!("{tag}: done"),
                    (false, Some(m)) => format!("{tag}: FAILED: {m}"),
                    (false, None) => format!("{tag}: FAILED"),
                };
                self.line(state, &text);
            }
            ProgressEvent::Identities { done, total } if done == total => {
                let text = format!("identities: {total} step(s)");
                self.line(state, &text);
            }
            ProgressEvent::Identities { .. } => {}
            ProgressEvent::Verifying => {
                self.line(state, "verifying: searching every subscription again")
            }
        }
    }
}

/// The plan, in order, as a dry run prints it (stdout).
pub fn print_plan(outcome: &CleanupOutcome) {
    println!(
        "dry run: nothing was deleted. Run {} would be cleaned up in this order:",
        outcome.run_id
    );
    for plan in &outcome.plans {
        println!("subscription {}:", plan.subscription);
        if plan.waves.is_empty() {
            println!("  nothing of the run to delete");
        }
        for (i, wave) in plan.waves.iter().enumerate() {
            println!("  wave {} ({} at once):", i + 1, wave.len());
            for step in wave {
                if step.is_group() {
                    println!(
                        "    delete resource group {} (one operation; removes {} resource(s) of the run inside)",
                        step.id,
                        step.covers.len()
                    );
                } else {
                    println!("    delete {}  [{}]", step.id, step.resource_type);
                }
            }
        }
        for s in &plan.skipped {
            println!("  skip {}: {}", s.id, s.reason);
        }
        for g in &plan.gone {
            println!("  already gone: {g}");
        }
    }
    println!("identities:");
    if outcome.identities.steps.is_empty() {
        println!("  none found");
    }
    for IdentityStep { kind, target, .. } in &outcome.identities.steps {
        println!("  delete {kind:?} {target}");
    }
}

/// What went wrong, or the all-clear (stderr for problems, stdout for the verdict).
pub fn print_summary(outcome: &CleanupOutcome) {
    let r = &outcome.report;
    if !outcome.dry_run {
        println!(
            "cleanup of run {}: {:?} — {} of {} resource(s) confirmed deleted, {} failure(s); {} identity step(s)",
            outcome.run_id,
            r.status,
            r.verification.actually_deleted,
            r.verification.expected_deleted,
            r.verification.deletion_failures,
            outcome.identities.steps.len(),
        );
    }
    let mut problems: Vec<String> = Vec::new();
    for s in outcome.subscriptions.iter().filter(|s| s.error.is_some()) {
        problems.push(format!(
            "subscription {}: {}",
            s.subscription,
            s.error.as_deref().unwrap_or("")
        ));
    }
    for d in r
        .deletions
        .iter()
        .filter(|d| d.status == ResourceDeletionStatus::Failed)
    {
        problems.push(format!(
            "not deleted: {}: {}",
            d.resource_id,
            d.error.as_deref().unwrap_or("")
        ));
    }
    problems.extend(
        outcome
            .leftovers
            .iter()
            .map(|l| format!("still there: {l}")),
    );
    problems.extend(
        outcome
            .unverified
            .iter()
            .map(|u| format!("not verified: {u}")),
    );
    problems.extend(outcome.identities.discovery_errors.iter().cloned());
    for s in &outcome.identities.steps {
        if let Some(e) = &s.error {
            problems.push(format!("{:?} {}: {e}", s.kind, s.target));
        }
    }
    for c in outcome.identities.checks.iter().filter(|c| !c.gone) {
        let why = c.error.as_deref().unwrap_or("still exists");
        problems.push(format!(
            "{:?} {} not verified gone: {why}",
            c.kind, c.target
        ));
    }
    if !problems.is_empty() {
        eprintln!("{} problem(s):", problems.len());
        for p in problems {
            eprintln!("  - {p}");
        }
        eprintln!("Run the same command again to retry: finished work is not repeated.");
    }
}
