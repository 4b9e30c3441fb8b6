//! The optional Log Analytics forwarding settings: a data collection endpoint, a rule and its
//! stream — both the endpoint and the rule, or neither.

use super::catalog::{HAYMAKER_LOGS_DCE_ENDPOINT, HAYMAKER_LOGS_DCR_ID, HAYMAKER_LOGS_STREAM};
use super::Reader;

/// Where accepted agent events are forwarded through the Logs Ingestion API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsIngestionSettings {
    /// The data collection endpoint's logs ingestion URL (`https://….ingest.monitor.azure.com`).
    pub endpoint: url::Url,
    /// The rule's immutable id, `dcr-` and 32 hex digits.
    pub dcr_id: String,
    /// The rule's input stream, `Custom-…` (or `Microsoft-…`).
    pub stream: String,
}

/// Reads the three settings; `None` when forwarding is not configured. A partial configuration is
/// a problem naming what is missing.
pub(super) fn read(r: &mut Reader<'_>) -> Option<LogsIngestionSettings> {
    let explicit = |name: &str| {
        (r.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let endpoint_set = explicit(HAYMAKER_LOGS_DCE_ENDPOINT).is_some();
    let dcr_set = explicit(HAYMAKER_LOGS_DCR_ID).is_some();
    let stream_set = explicit(HAYMAKER_LOGS_STREAM).is_some();
    if !endpoint_set && !dcr_set {
        if stream_set {
            r.problem(
                HAYMAKER_LOGS_STREAM,
                format!("is set but forwarding is not configured; also set {HAYMAKER_LOGS_DCE_ENDPOINT} and {HAYMAKER_LOGS_DCR_ID}, or unset it"),
            );
        }
        return None;
    }
    if !endpoint_set {
        r.problem(
            HAYMAKER_LOGS_DCE_ENDPOINT,
            format!("missing while {HAYMAKER_LOGS_DCR_ID} is set; set the data collection endpoint's logs ingestion URL (https://…ingest.monitor.azure.com), or unset {HAYMAKER_LOGS_DCR_ID}"),
        );
    }
    if !dcr_set {
        r.problem(
            HAYMAKER_LOGS_DCR_ID,
            format!("missing while {HAYMAKER_LOGS_DCE_ENDPOINT} is set; set the data collection rule's immutable id (dcr-…), or unset {HAYMAKER_LOGS_DCE_ENDPOINT}"),
        );
    }
    let endpoint = r.url(HAYMAKER_LOGS_DCE_ENDPOINT);
    let dcr_id = r.raw(HAYMAKER_LOGS_DCR_ID).filter(|id| {
        let ok = id.len() == 36
            && id.starts_with("dcr-")
            && id[4..].chars().all(|c| c.is_ascii_hexdigit());
        ok
    });
    if dcr_set && dcr_id.is_none() {
        let raw = r.raw(HAYMAKER_LOGS_DCR_ID).unwrap_or_default();
        r.problem(
            HAYMAKER_LOGS_DCR_ID,
            format!("`{raw}` is not a rule's immutable id; use `dcr-` and 32 hex digits (the rule's `immutableId`, not its resource id)"),
        );
    }
    let stream = r.raw(HAYMAKER_LOGS_STREAM).unwrap_or_default();
    if !(stream.starts_with("Custom-") || stream.starts_with("Microsoft-")) {
        r.problem(
            HAYMAKER_LOGS_STREAM,
            format!("`{stream}` is not a stream name; use the rule's `Custom-…` stream, e.g. Custom-HaymakerEvents_CL"),
        );
        return None;
    }
    Some(LogsIngestionSettings {
        endpoint: endpoint?,
        dcr_id: dcr_id?,
        stream,
    })
}
