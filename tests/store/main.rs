//! The state store on both backends (local directory, Azurite) and the one-active-run rule.
//!
//! One test binary per area keeps the build small: each binary links the whole crate.

#[path = "../common/mod.rs"]
mod common;

mod blob;
mod blob_identity;
mod local;
mod run_start;
mod start_trials;
