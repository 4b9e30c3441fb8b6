//! The monitoring API: contract, admin actions, OpenAPI, the served process and the monitoring CLI.
//!
//! One test binary per area keeps the build small: each binary links the whole crate.

#[path = "../api_support/mod.rs"]
mod api_support;
#[path = "../common/mod.rs"]
mod common;

mod admin;
mod bad_input;
mod cli_monitor;
mod contract;
mod dashboard;
mod log_index;
mod openapi;
mod served;
