//! `haymaker logs --run ID --live`: a run's events from the topic as they arrive, one line each.
//!
//! The live view reads its own subscription (`HAYMAKER_EVENTS_TAIL_SUBSCRIPTION`, default `cli-tail`)
//! and completes what it reads, so it takes nothing from the orchestrator's subscription. Messages of
//! other runs are completed without being shown. The archived view (`--live` left out) is
//! [`super::logs_archive`].

use std::process::ExitCode;

use serde_json::Value;

use crate::events::bus::{BusConfig, BusError, Disposition, LiveTail, TailedMessage};

/// The first of `keys` that `body` has as a string (or a number), else the application property.
fn field(m: &TailedMessage, body: &Value, keys: &[&str]) -> Option<String> {
    for key in keys {
        match body.get(key) {
            Some(Value::String(s)) if !s.is_empty() => return Some(s.clone()),
            Some(Value::Number(n)) => return Some(n.to_string()),
            Some(Value::Object(o)) => {
                if let Some(Value::String(s)) = o.get("id").or_else(|| o.get("name")) {
                    return Some(s.clone());
                }
            }
            _ => {}
        }
    }
    keys.iter().find_map(|k| m.properties.get(*k).cloned())
}

/// The line shown for a message of run `run_id`; `None` for a message of another run (or of none).
pub fn event_line(m: &TailedMessage, run_id: &str) -> Option<String> {
    let body = m.json().unwrap_or(Value::Null);
    let run = field(m, &body, &["run_id", "runId"])?;
    if run != run_id {
        return None;
    }
    let time = field(m, &body, &["timestamp", "time", "ts"])
        .or_else(|| {
            m.enqueued_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
        .unwrap_or_else(|| "-".into());
    let event_type = field(m, &body, &["event_type", "type", "kind"]).unwrap_or_else(|| "-".into());
    let scenario = field(m, &body, &["scenario", "scenario_id"]).unwrap_or_else(|| "-".into());
    let detail = match (
        field(m, &body, &["message", "detail"]),
        field(m, &body, &["resource_id", "resource"]),
    ) {
        (Some(msg), Some(res)) => format!("{msg} ({res})"),
        (Some(msg), None) => msg,
        (None, Some(res)) => res,
        (None, None) => String::new(),
    };
    let line = format!("{time}  {event_type:<22} {scenario:<28} {detail}");
    Some(line.trim_end().to_string())
}

/// Runs `haymaker logs --live`.
pub fn run(run_id: String, count: Option<u64>) -> ExitCode {
    let settings = match super::load_settings() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let config = match BusConfig::from_settings(&settings) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match super::runtime(super::Threads::One) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let tail = LiveTail::new(config);
    eprintln!(
        "following {} on {} for run {run_id} (Ctrl-C to stop)",
        tail.entity(),
        tail.namespace()
    );
    let mut shown = 0u64;
    let outcome: Result<u64, BusError> = runtime.block_on(async {
        let result = tail
            .run(
                |m| {
                    if let Some(line) = event_line(m, &run_id) {
                        println!("{line}");
                        shown += 1;
                        if count.is_some_and(|c| shown >= c) {
                            return None;
                        }
                    }
                    Some(Disposition::Complete)
                },
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            )
            .await;
        tail.close().await;
        result
    });
    match outcome {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn msg(body: Value, props: &[(&str, &str)]) -> TailedMessage {
        TailedMessage {
            message_id: Some("m1".into()),
            content_type: Some("application/json".into()),
            body: serde_json::to_vec(&body).unwrap(),
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            delivery_count: 1,
            sequence_number: 1,
            enqueued_at: None,
        }
    }

    #[test]
    fn a_line_shows_time_type_scenario_and_detail() {
        let m = msg(
            serde_json::json!({"run_id": "r1", "timestamp": "2025-01-02T03:04:05Z",
                "event_type": "resource.created", "scenario": "storage-basics",
                "resource_id": "/subscriptions/s/resourceGroups/g"}),
            &[],
        );
        let line = event_line(&m, "r1").unwrap();
        assert!(
            line.starts_with("2025-01-02T03:04:05Z  resource.created"),
            "{line}"
        );
        assert!(
            line.contains("storage-basics") && line.ends_with("/resourceGroups/g"),
            "{line}"
        );
        assert_eq!(event_line(&m, "other"), None);
    }

    #[test]
    fn properties_stand_in_for_missing_body_fields() {
        let m = msg(
            serde_json::json!({"message": "hello"}),
            &[("run_id", "r2"), ("event_type", "log")],
        );
        let line = event_line(&m, "r2").unwrap();
        assert!(line.contains("log") && line.ends_with("hello"), "{line}");
        assert_eq!(event_line(&msg(Value::Null, &[]), "r2"), None);
    }
}
