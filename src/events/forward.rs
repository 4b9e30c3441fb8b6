//! Optional forwarding of accepted agent events to Log Analytics through the Logs Ingestion API
//! (`POST {dce}/dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01`, a JSON array of
//! records, bearer token for `https://monitor.azure.com`), when `HAYMAKER_LOGS_DCE_ENDPOINT` and
//! `HAYMAKER_LOGS_DCR_ID` are set.
//!
//! Best effort: the archive is the record, so a forwarding failure is logged and never fails an
//! invocation. Records carry only named, non-secret fields (time, run, scenario, type, severity,
//! message, resource id/type/name, message id) — never an event's `tags` or `details`. Calls go
//! through the shared pipeline (retries, `Retry-After` on 429); batches stay under the API's 1 MB
//! per call, and a batch the endpoint still finds too large (413) is split in two and sent again.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::ingest::{Delivery, IngestOutcome};
use super::schema::{AgentEvent, Severity};
use crate::azure::identity::AzureConnection;
use crate::azure::{ApiRequest, AzureError, Pipeline, RetryOptions, Service};
use crate::config::{LogsIngestionSettings, Settings};

/// The Logs Ingestion API version.
pub const API_VERSION: &str = "2023-01-01";

/// Most bytes one call carries (the API refuses more than 1 MB with 413).
pub const MAX_BATCH_BYTES: usize = 1_000_000;

/// Longest message forwarded, in characters (longer ones are cut, marked with `…`).
pub const MAX_MESSAGE_CHARS: usize = 16_384;

/// Forwarding runs inside the `AgentEvents` invocation: a few quick retries (429 and 503 included,
/// with their `Retry-After`), then it gives up rather than hold the delivery.
pub const FORWARD_RETRY: RetryOptions = RetryOptions {
    max_retries: 2,
    initial_delay: std::time::Duration::from_millis(500),
    max_delay: std::time::Duration::from_secs(5),
};

/// One row of the stream (column names as a custom table has them).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogRecord {
    pub time_generated: String,
    pub run_id: String,
    pub scenario: String,
    pub event_type: String,
    pub severity: String,
    pub message: String,
    pub resource_id: String,
    pub resource_type: String,
    pub resource_name: String,
    pub message_id: String,
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

fn cut(message: &str) -> String {
    if message.chars().count() <= MAX_MESSAGE_CHARS {
        return message.to_string();
    }
    let mut out: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    out.push('…');
    out
}

impl LogRecord {
    /// The record of one accepted event; `None` for an event type this build does not know.
    pub fn of(message_id: &str, event: &AgentEvent, received_at: DateTime<Utc>) -> Option<Self> {
        let run_id = event.run_id()?.to_string();
        let time = event
            .timestamp()
            .unwrap_or(received_at)
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut record = LogRecord {
            time_generated: time,
            run_id,
            scenario: String::new(),
            event_type: event.event_type().to_string(),
            severity: "info".into(),
            message: String::new(),
            resource_id: String::new(),
            resource_type: String::new(),
            resource_name: String::new(),
            message_id: message_id.to_string(),
        };
        if let Some(r) = event.resource() {
            record.scenario = r.scenario_name.clone();
            record.resource_id = r.resource_id.clone();
            record.resource_type = r.resource_type.clone();
            record.resource_name = r.resource_name.clone();
            record.message = match event {
                AgentEvent::ResourceCreated(_) => format!("created {}", r.resource_name),
                AgentEvent::ResourceDeleted(_) => format!("deleted {}", r.resource_name),
                _ => {
                    record.severity = "error".into();
                    format!(
                        "deleting {} failed (attempt {}): {}",
                        r.resource_name,
                        r.deletion_attempts.unwrap_or(1),
                        cut(r.deletion_error.as_deref().unwrap_or("no reason given"))
                    )
                }
            };
        } else if let Some(l) = event.log() {
            record.scenario = l.scenario_name.clone();
            record.severity = severity_name(l.severity.unwrap_or_default()).into();
            record.message = cut(&l.message);
            record.resource_id = l.resource_id.clone().unwrap_or_default();
            record.resource_type = l.resource_type.clone().unwrap_or_default();
        } else if let Some(l) = event.lifecycle() {
            record.scenario = l.scenario_name.clone().unwrap_or_default();
            record.message = cut(l.message.as_deref().or(l.reason.as_deref()).unwrap_or(""));
            if matches!(event, AgentEvent::ScenarioFailed(_)) {
                record.severity = "error".into();
            }
        }
        Some(record)
    }
}

/// The records of the deliveries that were newly archived (duplicates were forwarded the first time).
pub fn records_of(
    deliveries: &[Delivery<'_>],
    outcomes: &[IngestOutcome],
    received_at: DateTime<Utc>,
) -> Vec<LogRecord> {
    deliveries
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| matches!(o, IngestOutcome::Recorded { .. }))
        .filter_map(|(d, _)| LogRecord::of(d.message_id, d.event, received_at))
        .collect()
}

/// Splits records into batches whose JSON array stays within `max_bytes`.
pub fn batches(records: &[LogRecord], max_bytes: usize) -> Vec<Vec<LogRecord>> {
    let mut out: Vec<Vec<LogRecord>> = Vec::new();
    let mut current: Vec<LogRecord> = Vec::new();
    let mut size = 2; // `[` and `]`
    for record in records {
        let len = serde_json::to_vec(record).map(|v| v.len()).unwrap_or(0) + 1; // and a comma
        if !current.is_empty() && size + len > max_bytes {
            out.push(std::mem::take(&mut current));
            size = 2;
        }
        size += len;
        current.push(record.clone());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Why forwarding failed.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("the Logs Ingestion API refused or failed: {0}")]
    Azure(#[from] AzureError),
    #[error("cannot encode the records: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Sends records to one data collection rule's stream.
#[derive(Clone)]
pub struct LogForwarder {
    pipeline: Pipeline,
    url: url::Url,
    max_batch_bytes: usize,
}

impl std::fmt::Debug for LogForwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogForwarder")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl LogForwarder {
    /// The upload URL for `settings` (the endpoint may carry a path; it is kept).
    pub fn upload_url(settings: &LogsIngestionSettings) -> url::Url {
        let mut url = settings.endpoint.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!(
            "{base}/dataCollectionRules/{}/streams/{}",
            settings.dcr_id, settings.stream
        ));
        url.set_query(Some(&format!("api-version={API_VERSION}")));
        url
    }

    pub fn new(pipeline: Pipeline, settings: &LogsIngestionSettings) -> Self {
        Self {
            pipeline,
            url: Self::upload_url(settings),
            max_batch_bytes: MAX_BATCH_BYTES,
        }
    }

    /// Smaller batches (tests).
    pub fn with_max_batch_bytes(mut self, max: usize) -> Self {
        self.max_batch_bytes = max.max(64);
        self
    }

    /// The forwarder the settings configure, on the orchestrator's identity; `None` when forwarding
    /// is not configured.
    pub fn from_settings(settings: &Settings) -> Result<Option<Arc<Self>>, String> {
        let Some(logs) = &settings.logs_ingestion else {
            return Ok(None);
        };
        let mut connection = AzureConnection::from_settings(settings)?;
        connection.options.retry = FORWARD_RETRY;
        let pipeline = connection.pipeline();
        Ok(Some(Arc::new(Self::new(pipeline, logs))))
    }

    /// Sends `records` in batches under the size limit; how many were accepted.
    pub async fn send(&self, records: &[LogRecord]) -> Result<usize, ForwardError> {
        let mut pending = batches(records, self.max_batch_bytes);
        pending.reverse();
        let mut sent = 0;
        while let Some(batch) = pending.pop() {
            let body = serde_json::to_value(&batch)?;
            let request = ApiRequest::post(Service::LogsIngestion, self.url.clone(), body);
            match self.pipeline.send(&request).await {
                Ok(_) => sent += batch.len(),
                Err(e) if e.status() == Some(413) && batch.len() > 1 => {
                    let (a, b) = batch.split_at(batch.len() / 2);
                    pending.push(b.to_vec());
                    pending.push(a.to_vec());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(sent)
    }

    /// Forwards what one invocation archived; a failure is logged, never returned.
    pub async fn forward_accepted(
        &self,
        deliveries: &[Delivery<'_>],
        outcomes: &[IngestOutcome],
        received_at: DateTime<Utc>,
    ) {
        let records = records_of(deliveries, outcomes, received_at);
        if records.is_empty() {
            return;
        }
        match self.send(&records).await {
            Ok(sent) => tracing::debug!(sent, "agent events forwarded to Log Analytics"),
            Err(e) => tracing::warn!(
                records = records.len(),
                error = %e,
                "forwarding agent events to Log Analytics failed; they are archived"
            ),
        }
    }
}

#[cfg(test)]
#[path = "forward_tests.rs"]
mod tests;
