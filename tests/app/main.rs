//! The Functions app: host envelopes, layout, the served process, the scenario library and infra.
//!
//! One test binary per area keeps the build small: each binary links the whole crate.

#[path = "../common/mod.rs"]
mod common;
#[path = "../infra_support/mod.rs"]
mod infra_support;

mod cli_scenarios;
mod dockerfile;
mod handler_envelopes;
mod infra;
mod infra_agent_mode;
mod layout;
mod scenario_library;
mod serve_process;
