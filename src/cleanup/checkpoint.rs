//! The cleanup checkpoint, `execution-reports/{run_id}/cleanup-checkpoint.json`: per subscription its
//! state and every delete that finished; the identity steps that finished. Written with
//! [`StateStore::update_json`] after each chunk of deletes, so a crash loses at most one chunk, and a
//! resumed cleanup neither repeats a finished subscription nor re-deletes what is recorded.
//! [`apply`] is the pure merge; [`Recorder`] writes it (or keeps it in memory without a store).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::plan::Skipped;
use crate::store::{BlobKey, Container, Decision, StateStore, StoreError};

/// Where the checkpoint of `run_id` lives.
pub fn checkpoint_key(run_id: Uuid) -> BlobKey {
    BlobKey::new(
        Container::Reports,
        format!("{run_id}/cleanup-checkpoint.json"),
    )
    .expect("a uuid makes a valid key")
}

/// Where one subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionState {
    InProgress,
    /// Everything planned was deleted (or found gone). Never set for a subscription that failed.
    Done,
    /// Discovery or a delete failed; retried on the next attempt.
    Failed,
}

/// How a delete ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeletionStatus {
    /// Planned and about to be deleted (written before the deletes, so a crash cannot lose it).
    Pending,
    Deleted,
    Failed,
}

/// One resource's delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRecord {
    pub id: String,
    pub resource_type: String,
    pub status: DeletionStatus,
    pub attempts: u32,
    #[serde(default)]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub error: Option<String>,
    /// Removed by the delete of this resource group rather than by its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<String>,
}

/// One subscription's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionCheckpoint {
    pub state: SubscriptionState,
    /// Attempts at this subscription so far.
    pub attempts: u32,
    /// By lower-case id.
    #[serde(default)]
    pub deletions: BTreeMap<String, DeletionRecord>,
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    #[serde(default)]
    pub last_error: Option<String>,
}

impl SubscriptionCheckpoint {
    /// Lower-case ids deleted so far.
    pub fn deleted(&self) -> BTreeSet<String> {
        self.with_status(DeletionStatus::Deleted)
    }

    /// Lower-case ids planned by an attempt that did not record how they ended.
    pub fn pending(&self) -> BTreeSet<String> {
        self.with_status(DeletionStatus::Pending)
    }

    fn with_status(&self, status: DeletionStatus) -> BTreeSet<String> {
        self.deletions
            .iter()
            .filter(|(_, d)| d.status == status)
            .map(|(k, _)| k.clone())
            .collect()
    }
}

/// The document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub run_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// By subscription id (lower case).
    #[serde(default)]
    pub subscriptions: BTreeMap<String, SubscriptionCheckpoint>,
    /// Identity steps finished (`role-assignment:{id}`, `service-principal:{id}`, …).
    #[serde(default)]
    pub identity_steps: BTreeSet<String>,
}

impl Checkpoint {
    pub fn new(run_id: Uuid, now: DateTime<Utc>) -> Self {
        Self {
            run_id,
            started_at: now,
            updated_at: now,
            subscriptions: BTreeMap::new(),
            identity_steps: BTreeSet::new(),
        }
    }

    pub fn subscription(&self, id: &str) -> Option<&SubscriptionCheckpoint> {
        self.subscriptions.get(&id.to_ascii_lowercase())
    }
}

/// A change to record.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    SubscriptionStarted {
        subscription: String,
    },
    Deletions {
        subscription: String,
        records: Vec<DeletionRecord>,
    },
    /// Planned, but a step-time re-read found them not to be the run's: no longer deletions (the
    /// skipped list, recorded when the subscription finishes, says why).
    Kept {
        subscription: String,
        ids: Vec<String>,
    },
    /// Done, but the verification found the run's resources there again (created after the
    /// discovery, by an agent or a provisioning step in flight): to be cleaned once more.
    Reopened {
        subscription: String,
    },
    SubscriptionFinished {
        subscription: String,
        state: SubscriptionState,
        skipped: Vec<Skipped>,
        error: Option<String>,
    },
    IdentitySteps {
        keys: Vec<String>,
    },
}

fn entry<'a>(cp: &'a mut Checkpoint, subscription: &str) -> &'a mut SubscriptionCheckpoint {
    cp.subscriptions
        .entry(subscription.to_ascii_lowercase())
        .or_insert_with(|| SubscriptionCheckpoint {
            state: SubscriptionState::InProgress,
            attempts: 0,
            deletions: BTreeMap::new(),
            skipped: Vec::new(),
            last_error: None,
        })
}

/// The checkpoint after `update`. A recorded `Deleted` is never overwritten (a retry that finds it
/// gone is not a failure), `Pending` never overwrites an outcome; attempts add up.
pub fn apply(
    current: Option<&Checkpoint>,
    run_id: Uuid,
    now: DateTime<Utc>,
    update: &Update,
) -> Checkpoint {
    let mut cp = current
        .cloned()
        .unwrap_or_else(|| Checkpoint::new(run_id, now));
    cp.updated_at = now;
    match update {
        Update::SubscriptionStarted { subscription } => {
            let s = entry(&mut cp, subscription);
            s.attempts += 1;
            s.state = SubscriptionState::InProgress;
        }
        Update::Deletions {
            subscription,
            records,
        } => {
            let s = entry(&mut cp, subscription);
            for r in records {
                let key = r.id.to_ascii_lowercase();
                match s.deletions.get_mut(&key) {
                    Some(old) if old.status == DeletionStatus::Deleted => {}
                    Some(_) if r.status == DeletionStatus::Pending => {}
                    Some(old) => {
                        let attempts = old.attempts + r.attempts;
                        *old = r.clone();
                        old.attempts = attempts;
                    }
                    None => {
                        s.deletions.insert(key, r.clone());
                    }
                }
            }
        }
        Update::Kept { subscription, ids } => {
            let s = entry(&mut cp, subscription);
            for id in ids {
                let key = id.to_ascii_lowercase();
                if s.deletions
                    .get(&key)
                    .is_some_and(|d| d.status != DeletionStatus::Deleted)
                {
                    s.deletions.remove(&key);
                }
            }
        }
        Update::Reopened { subscription } => {
            entry(&mut cp, subscription).state = SubscriptionState::InProgress;
        }
        Update::SubscriptionFinished {
            subscription,
            state,
            skipped,
            error,
        } => {
            let s = entry(&mut cp, subscription);
            s.state = *state;
            s.skipped = skipped.clone();
            s.last_error = error.clone();
        }
        Update::IdentitySteps { keys } => cp.identity_steps.extend(keys.iter().cloned()),
    }
    cp
}

/// Records updates: in the store when there is one (with the precondition, so concurrent
/// subscription tasks and a second cleanup process merge rather than overwrite), and in memory.
pub struct Recorder {
    store: Option<StateStore>,
    run_id: Uuid,
    key: BlobKey,
    current: tokio::sync::Mutex<Checkpoint>,
}

impl Recorder {
    /// Loads the checkpoint of `run_id` (a new one when there is none or no store).
    pub async fn open(store: Option<StateStore>, run_id: Uuid) -> Result<Self, StoreError> {
        let key = checkpoint_key(run_id);
        let now = Utc::now();
        let current = match &store {
            Some(s) => s
                .read_json::<Checkpoint>(&key)
                .await?
                .map(|(c, _)| c)
                .unwrap_or_else(|| Checkpoint::new(run_id, now)),
            None => Checkpoint::new(run_id, now),
        };
        Ok(Self {
            store,
            run_id,
            key,
            current: tokio::sync::Mutex::new(current),
        })
    }

    /// The checkpoint as last recorded.
    pub async fn snapshot(&self) -> Checkpoint {
        self.current.lock().await.clone()
    }

    pub async fn record(&self, update: Update) -> Result<(), StoreError> {
        let run_id = self.run_id;
        let merged = match &self.store {
            Some(store) => store
                .update_json::<Checkpoint, (), _>(&self.key, |cur| {
                    Decision::Write(apply(cur, run_id, Utc::now(), &update), ())
                })
                .await?
                .current
                .expect("written"),
            None => {
                let cur = self.current.lock().await.clone();
                apply(Some(&cur), run_id, Utc::now(), &update)
            }
        };
        *self.current.lock().await = merged;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, status: DeletionStatus) -> DeletionRecord {
        DeletionRecord {
            id: id.into(),
            resource_type: "T/t".into(),
            status,
            attempts: 1,
            deleted_at: None,
            error: None,
            covered_by: None,
        }
    }

    #[test]
    fn a_recorded_delete_survives_later_failures_and_attempts_add_up() {
        let run = Uuid::new_v4();
        let now = Utc::now();
        let sub = "S1".to_string();
        let mut cp = apply(
            None,
            run,
            now,
            &Update::SubscriptionStarted {
                subscription: sub.clone(),
            },
        );
        cp = apply(
            Some(&cp),
            run,
            now,
            &Update::Deletions {
                subscription: sub.clone(),
                records: vec![
                    record("/A", DeletionStatus::Deleted),
                    record("/B", DeletionStatus::Failed),
                ],
            },
        );
        cp = apply(
            Some(&cp),
            run,
            now,
            &Update::Deletions {
                subscription: sub.clone(),
                records: vec![
                    record("/a", DeletionStatus::Failed),
                    record("/B", DeletionStatus::Failed),
                ],
            },
        );
        let s = cp.subscription("s1").unwrap();
        assert_eq!(s.deletions["/a"].status, DeletionStatus::Deleted);
        assert_eq!(s.deletions["/b"].attempts, 2);
        assert_eq!(s.deleted(), BTreeSet::from(["/a".to_string()]));
        assert_eq!(s.attempts, 1);
        cp = apply(
            Some(&cp),
            run,
            now,
            &Update::SubscriptionFinished {
                subscription: sub,
                state: SubscriptionState::Failed,
                skipped: vec![],
                error: Some("boom".into()),
            },
        );
        assert_eq!(
            cp.subscription("s1").unwrap().state,
            SubscriptionState::Failed
        );
        let text = serde_json::to_string(&cp).unwrap();
        assert_eq!(serde_json::from_str::<Checkpoint>(&text).unwrap(), cp);
    }
}
