//! The Azure simulator (`haymaker sim`), driven through haymaker's own clients.
//!
//! One test binary per area keeps the build small: each binary links the whole crate.

#[path = "../common/mod.rs"]
mod common;
#[path = "../sim_support/mod.rs"]
mod sim_support;

mod arm;
mod catalog;
mod conflicts;
mod conformance;
mod container_apps;
mod graph;
mod inline;
mod keyvault;
mod limits;
mod rbac;
mod rbac_vectors;
mod resource_graph;
