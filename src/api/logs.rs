//! `GET /runs/{run_id}/logs` (paged, filtered, searched) and `GET /runs/{run_id}/logs/stream`
//! (Server-Sent Events: the history since `since`, then new events as they are archived, with
//! keep-alive comments). Events are read through [`crate::events::reader`] only.
//!
//! Cost: the archive is one blob per delivery, so a page reads the run's whole archive (O(run), not
//! O(page)); an index of the archive would be needed for O(page).

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use futures::Stream;
use serde_json::json;
use uuid::Uuid;

use super::model::*;
use super::params::{self, Paging, Params};
use super::read::Monitor;
use super::ApiError;
use crate::events::archive::{event_time, run_events};
use crate::events::ArchivedEvent;
use crate::events::{parse_event, AgentEvent, Severity};
use crate::handler::AppState;

pub const EVENT_TYPES: &[&str] = &[
    "agent_started",
    "resource_created",
    "operation",
    "cleanup_complete",
    "error",
];
pub const SEVERITIES: &[&str] = &["info", "warning", "error"];

/// How often the stream looks for new events.
pub const STREAM_POLL: Duration = Duration::from_secs(2);

/// Filters of `/logs`.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub scenario_name: Option<String>,
    pub event_type: Option<LogEventType>,
    pub severity: Option<Severity>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub search: Option<String>,
}

impl LogFilter {
    pub fn from_params(q: &Params) -> Result<Self, ApiError> {
        Ok(Self {
            scenario_name: q.text("scenario_name").map(str::to_string),
            event_type: q.one_of("event_type", EVENT_TYPES)?,
            severity: q.one_of("severity", SEVERITIES)?,
            start_time: q.time("start_time")?,
            end_time: q.time("end_time")?,
            search: q.text("search").map(str::to_lowercase),
        })
    }

    fn matches(&self, e: &LogEntry) -> bool {
        self.scenario_name
            .as_ref()
            .is_none_or(|s| *s == e.scenario_name)
            && self.event_type.is_none_or(|t| t == e.event_type)
            && self.severity.is_none_or(|s| s == e.severity)
            && self.start_time.is_none_or(|t| e.timestamp >= t)
            && self.end_time.is_none_or(|t| e.timestamp <= t)
            && self
                .search
                .as_ref()
                .is_none_or(|s| e.message.to_lowercase().contains(s))
    }
}

/// An archived event as the contract's `LogEntry`. Resource deletions (which the contract's event
/// types do not name) are `operation` entries with the original type in `details.event_type`;
/// unknown types are left out.
pub fn log_entry(archived: &ArchivedEvent) -> Option<LogEntry> {
    let event = parse_event(&archived.event).ok()?;
    let timestamp = event_time(archived);
    if let Some(r) = event.resource() {
        let (event_type, severity, verb) = match &event {
            AgentEvent::ResourceCreated(_) => {
                (LogEventType::ResourceCreated, Severity::Info, "created")
            }
            AgentEvent::ResourceDeleted(_) => (LogEventType::Operation, Severity::Info, "deleted"),
            _ => (
                LogEventType::Operation,
                Severity::Warning,
                "failed to delete",
            ),
        };
        let mut message = format!("{verb} {} {}", r.resource_type, r.resource_name);
        if let Some(err) = &r.deletion_error {
            message.push_str(&format!(": {err}"));
        }
        return Some(LogEntry {
            timestamp,
            event_type,
            scenario_name: r.scenario_name.clone(),
            agent_id: None,
            message,
            resource_id: Some(r.resource_id.clone()),
            resource_type: Some(r.resource_type.clone()),
            severity,
            details: (event_type == LogEventType::Operation)
                .then(|| json!({"event_type": archived.event_type})),
        });
    }
    let l = event.log()?;
    let event_type = match &event {
        AgentEvent::AgentStarted(_) => LogEventType::AgentStarted,
        AgentEvent::Operation(_) => LogEventType::Operation,
        AgentEvent::CleanupComplete(_) => LogEventType::CleanupComplete,
        _ => LogEventType::Error,
    };
    let default_severity = if event_type == LogEventType::Error {
        Severity::Error
    } else {
        Severity::Info
    };
    Some(LogEntry {
        timestamp,
        event_type,
        scenario_name: l.scenario_name.clone(),
        agent_id: l.agent_id.clone(),
        message: l.message.clone(),
        resource_id: l.resource_id.clone(),
        resource_type: l.resource_type.clone(),
        severity: l.severity.unwrap_or(default_severity),
        details: l.details.clone().filter(|d| d.is_object()),
    })
}

impl Monitor {
    /// The run's log entries that pass `filter`, in time order.
    pub async fn logs(&self, run_id: Uuid, filter: &LogFilter) -> Result<Vec<LogEntry>, ApiError> {
        if self
            .store
            .version(&crate::run::keys::run_state(run_id))
            .await?
            .is_none()
        {
            return Err(params::run_not_found(run_id));
        }
        Ok(run_events(&self.store, run_id)
            .await?
            .iter()
            .filter_map(log_entry)
            .filter(|e| filter.matches(e))
            .collect())
    }

    pub async fn logs_page(
        &self,
        run_id: Uuid,
        filter: &LogFilter,
        paging: Paging,
    ) -> Result<LogsListResponse, ApiError> {
        let logs = self.logs(run_id, filter).await?;
        let (range, pagination) = paging.window(logs.len())?;
        Ok(LogsListResponse {
            run_id,
            logs: logs[range].to_vec(),
            pagination,
        })
    }
}

pub async fn list_logs(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<LogsListResponse>, ApiError> {
    let run_id = params::run_id(&raw)?;
    let q = Params::parse(query.as_deref());
    let (filter, paging) = (LogFilter::from_params(&q)?, q.paging()?);
    Ok(Json(
        state.monitor().logs_page(run_id, &filter, paging).await?,
    ))
}

/// The stream's state between polls.
struct Tail {
    monitor: Monitor,
    run_id: Uuid,
    filter: LogFilter,
    since: Option<DateTime<Utc>>,
    sent: HashSet<String>,
    pending: std::collections::VecDeque<Event>,
    first: bool,
}

impl Tail {
    /// Reads the archive and queues what was not sent yet.
    async fn poll(&mut self) {
        match run_events(&self.monitor.store, self.run_id).await {
            Ok(events) => {
                for archived in events {
                    if self.sent.contains(&archived.message_id) {
                        continue;
                    }
                    let Some(entry) = log_entry(&archived) else {
                        self.sent.insert(archived.message_id);
                        continue;
                    };
                    if self.since.is_some_and(|t| entry.timestamp <= t)
                        || !self.filter.matches(&entry)
                    {
                        self.sent.insert(archived.message_id);
                        continue;
                    }
                    let data = serde_json::to_string(&entry).unwrap_or_default();
                    self.pending.push_back(
                        Event::default()
                            .event("log")
                            .id(archived.message_id.clone())
                            .data(data),
                    );
                    self.sent.insert(archived.message_id);
                }
            }
            Err(e) => {
                tracing::warn!(run_id = %self.run_id, error = %e, "log stream: archive read failed; retrying");
                self.pending
                    .push_back(Event::default().comment("archive unavailable; retrying"));
            }
        }
    }
}

fn tail_stream(tail: Tail) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(tail, |mut tail| async move {
        loop {
            if let Some(event) = tail.pending.pop_front() {
                return Some((Ok(event), tail));
            }
            if !tail.first {
                tokio::time::sleep(STREAM_POLL).await;
            }
            tail.first = false;
            tail.poll().await;
        }
    })
}

pub async fn stream_logs(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let run_id = params::run_id(&raw)?;
    let q = Params::parse(query.as_deref());
    let filter = LogFilter {
        scenario_name: q.text("scenario_name").map(str::to_string),
        ..LogFilter::default()
    };
    let since = q.time("since")?;
    let monitor = state.monitor();
    monitor.state(run_id).await?;
    let tail = Tail {
        monitor,
        run_id,
        filter,
        since,
        sent: HashSet::new(),
        pending: Default::default(),
        first: true,
    };
    Ok(Sse::new(tail_stream(tail))
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(15))
                .text("keep-alive"),
        )
        .into_response())
}
