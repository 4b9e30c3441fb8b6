//! Cleanup against the simulator, its resumption, its CLI, and whole sandbox runs (the agent mode
//! among their settings).
//!
//! One test binary per area keeps the build small: each binary links the whole crate.

#[path = "../cleanup_support/mod.rs"]
mod cleanup_support;

mod agent_mode;
mod cli_cleanup;
mod concurrent_ticks;
mod crash_loop;
mod faults;
mod resume;
mod sandbox;
mod secret_hygiene;
mod sim;
