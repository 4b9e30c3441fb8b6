//! The per-run resource ledger: the latest status of every resource agents reported, built from
//! events in ANY order with any duplicates — applying is idempotent per message id and commutative
//! (each field is decided by a total order over the events, not by arrival order), so redelivered and
//! shuffled events give exactly the same ledger.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::schema::ResourceEvent;

/// A resource's status as the API shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    Created,
    /// Seen by cleanup's own inventory (Resource Graph) without an agent event.
    Exists,
    DeletionFailed,
    Deleted,
}

/// What the ledger knows about one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    pub resource_id: String,
    pub resource_type: String,
    pub resource_name: String,
    pub scenario_name: String,
    pub status: ResourceStatus,
    pub created_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub deletion_attempts: u32,
    pub deletion_error: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// (timestamp, status, message id) of the event that decided `status`.
    status_key: (DateTime<Utc>, ResourceStatus, String),
    /// (timestamp, message id) of the event whose tags are shown.
    tags_key: Option<(DateTime<Utc>, String)>,
    /// Deletion events seen (failed and succeeded).
    deletion_events: u32,
    max_reported_attempts: u32,
}

/// `execution-reports/{run_id}/resources.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub run_id: Uuid,
    /// Keyed by the lower-cased resource id (ARM ids are case-insensitive).
    pub resources: BTreeMap<String, ResourceRecord>,
    /// Message ids already applied (archive blob names).
    pub applied: BTreeSet<String>,
    /// Batch documents already folded in (`{run_id}/batches/{name}.json`).
    #[serde(default)]
    pub batches: BTreeSet<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Ledger {
    pub fn new(run_id: Uuid) -> Self {
        Self {
            run_id,
            resources: BTreeMap::new(),
            applied: BTreeSet::new(),
            batches: BTreeSet::new(),
            updated_at: None,
        }
    }

    /// Marks a message applied without a resource change (log events). False if seen before.
    pub fn mark(&mut self, message_id: &str) -> bool {
        self.applied.insert(message_id.to_string())
    }

    /// Applies one resource event; `status` says which kind it is. False if the message was applied
    /// before (nothing changes).
    pub fn apply(&mut self, message_id: &str, status: ResourceStatus, e: &ResourceEvent) -> bool {
        if !self.mark(message_id) {
            return false;
        }
        let key = (e.timestamp, status, message_id.to_string());
        let record = self
            .resources
            .entry(e.resource_id.to_ascii_lowercase())
            .or_insert_with(|| ResourceRecord {
                resource_id: e.resource_id.clone(),
                resource_type: e.resource_type.clone(),
                resource_name: e.resource_name.clone(),
                scenario_name: e.scenario_name.clone(),
                status,
                created_at: None,
                deleted_at: None,
                deletion_attempts: 0,
                deletion_error: None,
                tags: BTreeMap::new(),
                status_key: key.clone(),
                tags_key: None,
                deletion_events: 0,
                max_reported_attempts: 0,
            });
        if key >= record.status_key {
            record.status = status;
            record.deletion_error = e
                .deletion_error
                .clone()
                .filter(|_| status == ResourceStatus::DeletionFailed);
            record.resource_type = e.resource_type.clone();
            record.resource_name = e.resource_name.clone();
            record.scenario_name = e.scenario_name.clone();
            record.resource_id = e.resource_id.clone();
            record.status_key = key;
        }
        match status {
            ResourceStatus::Created | ResourceStatus::Exists => {
                record.created_at = Some(
                    record
                        .created_at
                        .map_or(e.timestamp, |c| c.min(e.timestamp)),
                );
            }
            ResourceStatus::Deleted => {
                record.deleted_at = Some(
                    record
                        .deleted_at
                        .map_or(e.timestamp, |d| d.min(e.timestamp)),
                );
                record.deletion_events += 1;
            }
            ResourceStatus::DeletionFailed => record.deletion_events += 1,
        }
        record.max_reported_attempts = record
            .max_reported_attempts
            .max(e.deletion_attempts.unwrap_or(0));
        record.deletion_attempts = record.max_reported_attempts.max(record.deletion_events);
        if !e.tags.is_empty() {
            let tags_key = (e.timestamp, message_id.to_string());
            if record.tags_key.as_ref().is_none_or(|k| tags_key > *k) {
                record.tags = e.tags.clone();
                record.tags_key = Some(tags_key);
            }
        }
        true
    }

    /// Counts per status (reports, `/status`).
    pub fn count(&self, status: ResourceStatus) -> usize {
        self.resources
            .values()
            .filter(|r| r.status == status)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, ts: &str, attempts: Option<u32>) -> ResourceEvent {
        ResourceEvent {
            schema_version: None,
            run_id: Uuid::nil(),
            scenario_name: "s".into(),
            resource_id: format!("/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{id}", Uuid::nil()),
            resource_type: "Microsoft.Storage/storageAccounts".into(),
            resource_name: id.into(),
            timestamp: ts.parse().unwrap(),
            tags: BTreeMap::from([("t".to_string(), ts.to_string())]),
            deletion_error: attempts.map(|_| "in use".to_string()),
            deletion_attempts: attempts,
        }
    }

    #[test]
    fn order_and_duplicates_do_not_matter() {
        let evs = vec![
            (
                "m1",
                ResourceStatus::Created,
                event("a", "2026-11-23T10:00:00Z", None),
            ),
            (
                "m2",
                ResourceStatus::DeletionFailed,
                event("a", "2026-11-23T11:00:00Z", Some(2)),
            ),
            (
                "m3",
                ResourceStatus::Deleted,
                event("a", "2026-11-23T12:00:00Z", None),
            ),
            (
                "m4",
                ResourceStatus::Created,
                event("b", "2026-11-23T10:30:00Z", None),
            ),
        ];
        let mut forward = Ledger::new(Uuid::nil());
        for (m, s, e) in &evs {
            forward.apply(m, *s, e);
        }
        let mut backward = Ledger::new(Uuid::nil());
        for (m, s, e) in evs.iter().rev().chain(evs.iter()) {
            backward.apply(m, *s, e);
        }
        assert_eq!(forward, backward);
        let a = forward
            .resources
            .values()
            .find(|r| r.resource_name == "a")
            .unwrap();
        assert_eq!(a.status, ResourceStatus::Deleted);
        assert_eq!(a.deletion_attempts, 2);
        assert_eq!(a.deletion_error, None);
        assert_eq!(a.created_at, Some("2026-11-23T10:00:00Z".parse().unwrap()));
        assert_eq!(a.tags["t"], "2026-11-23T12:00:00Z");
        assert_eq!(forward.count(ResourceStatus::Created), 1);
        assert_eq!(forward.applied.len(), 4);
    }

    #[test]
    fn a_redelivered_message_changes_nothing() {
        let mut l = Ledger::new(Uuid::nil());
        assert!(l.apply(
            "m1",
            ResourceStatus::DeletionFailed,
            &event("a", "2026-11-23T10:00:00Z", Some(1))
        ));
        let before = l.clone();
        assert!(!l.apply(
            "m1",
            ResourceStatus::DeletionFailed,
            &event("a", "2026-11-23T10:00:00Z", Some(1))
        ));
        assert_eq!(l, before);
    }
}
