//! The Azure control plane: one pipeline every call goes through (token → retry → rate limits →
//! circuit breaker → transport), long-running operations and paging on top of it, and typed errors.
//! The operations per service (ARM, Graph, Resource Graph, Key Vault, Container Apps) build on this.

pub mod arm;
pub mod authorization;
mod breaker;
pub mod container_apps;
mod error;
pub mod graph;
pub mod identity;
pub mod keyvault;
pub mod lro;
mod pipeline;
mod request;
pub mod resource_graph;
pub mod resources;
pub mod retry;
pub mod sdk;
mod throttle;
pub mod transport;

pub use breaker::{BreakerOptions, BreakerState};
pub use error::AzureError;
pub use pipeline::{
    AccessTokens, ApiRequest, ApiResponse, OpKind, Pipeline, PipelineOptions, Service, StaticTokens,
};
pub use retry::{retry_after, RetryOptions};
pub use throttle::{BucketKey, BucketLimits};
pub use transport::{HttpTransport, Transport, TransportError};
