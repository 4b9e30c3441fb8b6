//! `GET /runs/{run_id}/logs` (paged, filtered, searched) and `GET /runs/{run_id}/logs/stream`
//! (Server-Sent Events: the history since `since`, then new events as they are archived, with
//! keep-alive comments). Both are answered from the run's in-memory log index
//! ([`super::log_index`]): a page or the stream's history costs O(page) plus reading what was
//! archived since the previous request (found through the archive's journal,
//! [`crate::events::journal`]); the first request of a process for a run reads the whole archive once.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::json;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::log_index::LogIndex;
use super::model::*;
use super::params::{self, Paging, Params};
use super::read::Monitor;
use super::ApiError;
use crate::events::archive::event_time;
use crate::events::ArchivedEvent;
use crate::events::{parse_event, AgentEvent, Severity};
use crate::handler::AppState;
use crate::store::StateStore;

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

/// One page of a run's logs: serialises as the contract's `LogsListResponse`, copying each entry's
/// JSON encoded when it was indexed.
pub struct LogsPage {
    run_id: Uuid,
    logs: Vec<Box<RawValue>>,
    pagination: Pagination,
}

impl LogsPage {
    /// The page as the contract's owned type.
    pub fn into_response(self) -> Result<LogsListResponse, serde_json::Error> {
        Ok(LogsListResponse {
            run_id: self.run_id,
            logs: self
                .logs
                .iter()
                .map(|j| serde_json::from_str(j.get()))
                .collect::<Result<_, _>>()?,
            pagination: self.pagination,
        })
    }
}

impl Serialize for LogsPage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut page = serializer.serialize_struct("LogsListResponse", 3)?;
        page.serialize_field("run_id", &self.run_id)?;
        page.serialize_field("logs", &self.logs)?;
        page.serialize_field("pagination", &self.pagination)?;
        page.end()
    }
}

impl Monitor {
    /// One page of the run's log entries that pass `filter`, in time order: the change of the run
    /// document's token plus O(page) once the run is indexed, and O(new) for what was archived since
    /// (see [`super::log_index`]).
    pub async fn logs_page(
        &self,
        run_id: Uuid,
        filter: &LogFilter,
        paging: Paging,
    ) -> Result<LogsPage, ApiError> {
        if self
            .store
            .version(&crate::run::keys::run_state(run_id))
            .await?
            .is_none()
        {
            return Err(params::run_not_found(run_id));
        }
        let index = self.cache.logs.run(run_id);
        let mut index = index.lock().await;
        index.refresh(&self.store, run_id).await?;
        let selected = index.select(filter);
        let (range, pagination) = paging.window(selected.len())?;
        let positions = selected[range].to_vec();
        Ok(LogsPage {
            run_id,
            logs: positions
                .into_iter()
                .map(|p| index.entry(p).json.clone())
                .collect(),
            pagination,
        })
    }
}

pub async fn list_logs(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<LogsPage>, ApiError> {
    let run_id = params::run_id(&raw)?;
    let q = Params::parse(query.as_deref());
    let (filter, paging) = (LogFilter::from_params(&q)?, q.paging()?);
    Ok(Json(
        state.monitor().logs_page(run_id, &filter, paging).await?,
    ))
}

/// The stream's state between polls.
struct Tail {
    store: StateStore,
    run_id: Uuid,
    index: Arc<tokio::sync::Mutex<LogIndex>>,
    filter: LogFilter,
    /// Entries (in the index's arrival order) already looked at; `None` before the history.
    cursor: Option<usize>,
    pending: VecDeque<Event>,
}

impl Tail {
    /// Brings the index up to date and queues what was not sent yet: first the history after
    /// `since` (the filter's start, exclusive), then what was indexed since the last poll.
    async fn poll(&mut self) {
        let mut index = self.index.lock().await;
        if let Err(e) = index.refresh(&self.store, self.run_id).await {
            tracing::warn!(run_id = %self.run_id, error = %e, "log stream: archive read failed; retrying");
            self.pending
                .push_back(Event::default().comment("archive unavailable; retrying"));
            return;
        }
        let since = self.filter.start_time;
        let positions: Vec<u32> = match self.cursor {
            None => index.select(&self.filter).to_vec(),
            Some(cursor) => {
                let mut fresh: Vec<u32> = (cursor as u32..index.len() as u32).collect();
                index.retain_matching(&mut fresh, &self.filter);
                index.sort(&mut fresh);
                fresh
            }
        };
        self.cursor = Some(index.len());
        for p in positions {
            let e = index.entry(p);
            if since.is_some_and(|t| e.time <= t) {
                continue;
            }
            self.pending.push_back(
                Event::default()
                    .event("log")
                    .id(e.message_id.clone())
                    .data(e.json.get()),
            );
        }
    }
}

fn tail_stream(tail: Tail) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold((tail, true), |(mut tail, first)| async move {
        let mut first = first;
        loop {
            if let Some(event) = tail.pending.pop_front() {
                return Some((Ok(event), (tail, first)));
            }
            if !first {
                tokio::time::sleep(STREAM_POLL).await;
            }
            first = false;
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
    let filter = LogFilter {
        start_time: q.time("since")?,
        ..filter
    };
    let monitor = state.monitor();
    monitor.state(run_id).await?;
    let tail = Tail {
        index: monitor.cache.logs.run(run_id),
        store: monitor.store,
        run_id,
        filter,
        cursor: None,
        pending: VecDeque::new(),
    };
    Ok(Sse::new(tail_stream(tail))
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(15))
                .text("keep-alive"),
        )
        .into_response())
}
