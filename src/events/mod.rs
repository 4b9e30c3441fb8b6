//! Agent events: the schema agents publish on the `agent-logs` topic, the Service Bus topic they
//! travel on (`bus`: publishing and the live tail), idempotent ingestion into the state store (one
//! create-only archive blob per delivery), and the per-run resource ledger compacted from the archive.

pub mod archive;
pub mod bus;
pub mod forward;
pub mod ingest;
pub mod journal;
pub mod ledger;
pub mod lifecycle;
pub mod schema;

pub use archive::{compact, run_events, ArchivedEvent};
pub use forward::{LogForwarder, LogRecord};
pub use ingest::{ingest, ingest_delivery, Delivery, IngestOutcome, RunGate};
pub use ledger::{Ledger, ResourceRecord, ResourceStatus};
pub use lifecycle::{Lifecycle, LifecycleRecorder};
pub use schema::{
    parse_event, AgentEvent, EventError, LifecycleEvent, LogEvent, ResourceEvent, Severity,
};
