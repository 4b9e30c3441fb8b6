//! Agent events: ingestion, archive, lifecycle events, Service Bus, Log Analytics and `haymaker logs`.
//!
//! One test binary per area keeps the build small: each binary links the whole crate.

#[path = "../amqp_broker/mod.rs"]
mod amqp_broker;
#[path = "../common/mod.rs"]
mod common;
#[path = "../sim_support/mod.rs"]
mod sim_support;

mod cli_logs;
mod forward;
mod ingest;
mod journal;
mod lifecycle;
mod service_bus;
