//! Fuzz target: an agent's Service Bus message body, taken as the `AgentEvents` function takes it
//! (the body as bytes and as text → JSON → `parse_event`), then what is done with a parsed event:
//! the Log Analytics record and, for a resource event, the run's ledger.
#![no_main]

use chrono::{TimeZone, Utc};
use haymaker::events::{parse_event, AgentEvent, Ledger, LogRecord, ResourceStatus};
use haymaker::handler::envelope::MessageBody;
use libfuzzer_sys::fuzz_target;

fn exercise(body: &MessageBody) {
    let Ok(raw) = body.parse::<serde_json::Value>() else {
        return;
    };
    let Ok(event) = parse_event(&raw) else {
        return;
    };
    let _ = (event.event_type(), event.run_id(), event.timestamp());
    let _ = (event.log(), event.lifecycle());
    let received = Utc.with_ymd_and_hms(2026, 11, 23, 18, 5, 0).unwrap();
    let _ = LogRecord::of("fuzz-message", &event, received);
    let status = match &event {
        AgentEvent::ResourceCreated(_) => ResourceStatus::Created,
        AgentEvent::ResourceDeleted(_) => ResourceStatus::Deleted,
        AgentEvent::ResourceDeletionFailed(_) => ResourceStatus::DeletionFailed,
        _ => return,
    };
    if let Some(r) = event.resource() {
        let mut ledger = Ledger::new(r.run_id);
        ledger.apply("fuzz-message", status, r);
        ledger.apply("fuzz-message-2", status, r);
        let _ = ledger.count(status);
    }
}

fuzz_target!(|data: &[u8]| {
    exercise(&MessageBody::Bytes(data.to_vec()));
    if let Ok(text) = std::str::from_utf8(data) {
        exercise(&MessageBody::Text(text.to_string()));
    }
});
