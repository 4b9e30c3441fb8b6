//! What `/metrics` needs of each run, kept by the serving process: a run's summary and the number of
//! resources its cleanup deleted, with the change tokens ([`StateStore::version`]) of the documents
//! they were read from (run document, report, cleanup report, ledger). A request checks the tokens
//! of the runs started within the period and re-reads only a run whose documents changed; a run
//! known to have started before the period costs nothing (a run's start never changes). The event
//! archive is never read for metrics.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::model::{RunCleanupStatus, RunSummary};
use super::read::Monitor;
use super::ApiError;
use crate::run::keys;
use crate::store::StateStore;

/// Runs whose facts are kept.
const MAX_RUNS: usize = 10_000;

/// A run's summary and deleted count as of `tokens`.
#[derive(Debug, Clone)]
pub struct RunFacts {
    pub summary: RunSummary,
    pub deleted: u64,
    tokens: [Option<String>; 4],
}

#[derive(Debug, Default)]
pub struct FactsCache {
    runs: Mutex<HashMap<Uuid, RunFacts>>,
}

async fn tokens(store: &StateStore, run_id: Uuid) -> Result<[Option<String>; 4], ApiError> {
    let (state, report, cleanup, ledger) = (
        keys::run_state(run_id),
        keys::report(run_id),
        keys::cleanup_report(run_id),
        keys::resources(run_id),
    );
    let (a, b, c, d) = futures::try_join!(
        store.version(&state),
        store.version(&report),
        store.version(&cleanup),
        store.version(&ledger),
    )?;
    Ok([a, b, c, d])
}

impl Monitor {
    /// The facts of a run started at or after `since`, `None` when it started before or is gone.
    pub async fn run_facts(
        &self,
        run_id: Uuid,
        since: DateTime<Utc>,
    ) -> Result<Option<RunFacts>, ApiError> {
        let known = self
            .cache
            .facts
            .runs
            .lock()
            .expect("facts lock")
            .get(&run_id)
            .cloned();
        if known.as_ref().is_some_and(|k| k.summary.started_at < since) {
            return Ok(None);
        }
        // The tokens before the documents: a write in between makes the next request re-read.
        let tokens = tokens(&self.store, run_id).await?;
        if tokens[0].is_none() {
            return Ok(None);
        }
        if let Some(k) = known.filter(|k| k.tokens == tokens) {
            return Ok(Some(k));
        }
        let summary = match self.summary(run_id).await {
            Err(e) if e.code == "RUN_NOT_FOUND" => return Ok(None),
            other => other?,
        };
        let mut deleted = 0;
        if summary.cleanup_status != RunCleanupStatus::Pending {
            if let Some((c, _)) = self
                .store
                .read_json::<crate::cleanup::CleanupReport>(&keys::cleanup_report(run_id))
                .await?
            {
                deleted = c.verification.actually_deleted;
            }
        }
        let facts = RunFacts {
            summary,
            deleted,
            tokens,
        };
        let mut runs = self.cache.facts.runs.lock().expect("facts lock");
        if runs.len() >= MAX_RUNS {
            runs.clear();
        }
        runs.insert(run_id, facts.clone());
        Ok((facts.summary.started_at >= since).then_some(facts))
    }
}
