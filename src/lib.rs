//! haymaker makes a test Azure tenant look lived-in: on a schedule it selects scenario documents, gives
//! each an ephemeral service principal and an agent container that carries the scenario out, ingests the
//! agents' events, serves a monitoring API, and finally deletes everything the run created — verifiably,
//! and nothing else. It runs as an Azure Functions custom handler; all state lives in Blob Storage.
//!
//! # Layout
//!
//! | module | what it is for |
//! |---|---|
//! | [`handler`] | the custom handler: one axum router for envelope invocations (`POST /{Function}`), the forwarded API and `/`; envelope decoding ([`handler::envelope`]), typed trigger payloads ([`handler::invocation`]), the trigger-edge error policy ([`handler::error`]) and the per-function handlers ([`handler::triggers`]) |
//! | [`agent`] | `haymaker agent`: the scenario agent in each Container App — the document's phases as `az` argument vectors, retries, seeded cadence, events on the topic, graceful SIGTERM, optional model-assisted repair behind a guard |
//! | [`api`] | the monitoring API under `/api/v1` (the contract, admin endpoints, OpenAPI document, API-key auth) and the dashboard page at `/` |
//! | [`events`] | agents' event schema, idempotent ingestion into the archive, the per-run resource ledger |
//! | [`run`] | the run's documents and the pure decisions over them: start, the run document, the tick plan, work units, names and tags |
//! | [`orchestrator`] | the I/O that carries the run's decisions out: tick, validation, provisioning, monitoring, cleanup units, reporting |
//! | [`clock`] | the orchestrator's clock (system, or scaled for the sandbox) |
//! | [`store`] | the state store: Blob Storage or a local directory, ETags, create-only, compare-and-swap |
//! | [`cleanup`] | the cleanup engine: discovery by tag, the scope guard, dependency-ordered deletes in waves, identities, verification, checkpoint, the `CleanupReport` |
//! | [`azure`] | the one control-plane pipeline (token, retry, rate limits, breaker), LROs, paging |
//! | [`events`] | agent events on Service Bus: [`events::bus`] publishes to the topic and live-tails a subscription |
//! | [`config`] | the typed settings loaded once from the app settings; [`config::catalog`] lists every setting |
//! | [`scenarios`] | scenario documents: parser and validator, the embedded library, selection |
//! | [`package`] | `haymaker package`: the zip a Function App is deployed from |
//! | [`sandbox`] | `haymaker sandbox`: a whole run end to end against the in-process simulator, the Functions host and the agents simulated |
//! | [`sim`] | `haymaker sim`: an in-memory Azure over HTTPS speaking the real wire format (Entra tokens, ARM subscriptions, resource groups, generic resources, LROs, RBAC, rate limits, dependency conflicts, Resource Graph, Container Apps, Graph, Key Vault, fault injection, speed factor) |
//! | [`telemetry`] | logging (JSON under the host, pretty in a terminal) and the invocation span |
//! | [`cli`] | the `haymaker` command line |
//!
//! Function definitions live in `functions/<Name>/function.json`, the host configuration in
//! `host.json`; both are embedded so `haymaker package` works from the binary alone.

pub mod agent;
pub mod api;
pub mod azure;
pub mod cleanup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod events;
pub mod handler;
pub mod orchestrator;
pub mod package;
pub mod run;
pub mod sandbox;
pub mod scenarios;
pub mod sim;
pub mod store;
pub mod telemetry;
