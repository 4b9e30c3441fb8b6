//! Reading a run's events back, in time order: the one door through which the monitoring API and the
//! CLI see the event archive, so a change of the archive's layout (docs/STATE.md) changes only this
//! function.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::ingest::{read_archive, ArchivedEvent};
use crate::store::{StateStore, StoreError};

/// Every archived event of a run, once per message id, in time order (the event's own `timestamp`,
/// else when it was received; ties by message id).
pub async fn run_events(
    store: &StateStore,
    run_id: Uuid,
) -> Result<Vec<ArchivedEvent>, StoreError> {
    let mut events: Vec<ArchivedEvent> = read_archive(store, run_id, |_| false)
        .await?
        .into_iter()
        .map(|(_, e)| e)
        .collect();
    events.sort_by(|a, b| (event_time(a), &a.message_id).cmp(&(event_time(b), &b.message_id)));
    events.dedup_by(|a, b| a.message_id == b.message_id);
    Ok(events)
}

/// When an archived event happened: its `timestamp`, else when it was received.
pub fn event_time(e: &ArchivedEvent) -> DateTime<Utc> {
    e.event
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or(e.received_at, |t| t.with_timezone(&Utc))
}
