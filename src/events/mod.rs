//! Agent events: the schema agents publish on the `agent-logs` topic, the Service Bus topic they
//! travel on (`bus`: publishing and the live tail), idempotent ingestion into the state store (one
//! create-only archive blob per delivery), and the per-run resource ledger compacted from the archive.

pub mod bus;
pub mod ingest;
pub mod ledger;
pub mod reader;
pub mod schema;

pub use ingest::{compact, ingest_delivery, IngestOutcome};
pub use ledger::{Ledger, ResourceRecord, ResourceStatus};
pub use schema::{parse_event, AgentEvent, EventError, LogEvent, ResourceEvent, Severity};
