//! haymaker's Azure clients, pinned by Microsoft's REST examples in ../shared/vectors/azure.
//!
//! One test binary per area keeps the build small: each binary links the whole crate.

#[path = "../azure_support/mod.rs"]
mod azure_support;

mod authorization;
mod container_apps;
mod container_apps_env;
mod graph;
mod identity;
mod keyvault;
mod resource_graph;
mod resources;
mod resources_by_id;
