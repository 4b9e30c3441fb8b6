//! `haymaker sim`: an in-memory Azure that speaks the real wire format, over HTTPS on 127.0.0.1.
//!
//! | module | what it is for |
//! |---|---|
//! | [`env`] | ids, the orchestrator's credentials and the endpoints, derived from the port; `--print-env` |
//! | [`tls`] | the CA kept on disk, the leaf certificate, the TLS accept loop (HTTP/1.1 and HTTP/2) |
//! | [`state`] | the world behind one `Mutex`: tenant, principals, tokens, subscriptions, groups, resources, operations, Resource Graph quota, Container Apps state |
//! | [`groups`] | subscriptions, resource groups and the operations that delete them (methods of the world) |
//! | [`auth`] | Entra's token endpoint and the bearer check |
//! | [`tokens`] | signed tokens (still valid after a restart with the same CA), issued and checked |
//! | [`discovery`] | OpenID configuration and ARM's cloud metadata (`/metadata/endpoints`) |
//! | [`arm`] | ARM: subscriptions, resource groups (LRO delete with cascade), operation results |
//! | [`resources`] | ARM generic resources of any `Namespace/type` by id |
//! | [`filter`] | ARM's `$filter` on tags |
//! | [`inline`] | child collections carried inside their parent (a network's subnets and peerings, a route table's routes, an NSG's rules) |
//! | [`conflicts`] | dependency conflicts on delete (subnet, NIC, disk, public IP in use) |
//! | [`resource_graph`] | Resource Graph queries: rows, `$skipToken` paging, the per-principal quota |
//! | [`kql`] | the KQL subset Resource Graph queries use: tokenizer, parser, evaluation |
//! | [`container_apps`] | Container Apps: environments (one seeded), apps as LROs, stop/start, accessors for the sandbox |
//! | [`catalog`] | a subscription's locations and resource providers (what the Azure CLI looks up); the api-version check |
//! | [`catalog_types`] | the resource types providers offer with real api-versions (every type the scenario library names) |
//! | [`gate`] | what every ARM call passes: rate limits, then RBAC ([`World::authorize`]) |
//! | [`rbac`] | built-in roles, role assignments, the authorisation decision, propagation delay |
//! | [`rbac_roles`] | the data-plane and delegation built-in roles (Storage Blob Data Contributor, Key Vault Secrets Officer…) |
//! | [`rbac_api`] | `Microsoft.Authorization` role definitions and role assignments over HTTP |
//! | [`throttle`] | ARM's token buckets per (subscription, principal, reads/writes/deletes), headers, 429 |
//! | [`tally`] | answers given and how many were 429 (benchmarks; logged at stop) |
//! | [`faults`] | `--faults`: seeded 500 / 429 / connection resets and latency on service calls |
//! | [`speed`] | `--speed`: scaled LRO durations, `Retry-After` and propagation; the LRO duration hook |
//! | [`graph`] | Microsoft Graph v1.0 under `/graph/`: applications, passwords, service principals, deleted items; feeds the token endpoint's principals |
//! | [`logs_ingestion`] | Azure Monitor's Logs Ingestion API (one data collection rule and stream), records kept for checks |
//! | [`keyvault`] | the one Key Vault under `/vaults/haymaker/`: secrets with versions and soft delete, the SDK's 401 challenge |
//!
//! Routing is by hand ([`route`]) rather than with axum's path patterns: ARM compares its keyword
//! segments case-insensitively and clients (the Azure CLI among them) send `resourcegroups` and
//! `resourceGroups`, and doubled slashes, all of which must land on the same handler.

pub mod arm;
pub mod auth;
pub mod catalog;
pub mod catalog_types;
pub mod conflicts;
pub mod container_apps;
pub mod discovery;
pub mod env;
pub mod faults;
pub mod filter;
pub mod gate;
pub mod graph;
pub mod groups;
pub mod inline;
pub mod issued;
pub mod keyvault;
pub mod kql;
pub mod logs_ingestion;
pub mod rbac;
pub mod rbac_api;
pub mod rbac_roles;
pub mod resource_graph;
pub mod resources;
pub mod speed;
pub mod state;
pub mod tally;
pub mod throttle;
pub mod tls;
pub mod tokens;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{json, Value};
use tokio::net::TcpListener;

pub use env::{SimIdentity, DEFAULT_PORT};
pub use state::{Failure, SimConfig, World};

/// Requests larger than this are refused (ARM's own limit is 4 MiB).
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Starting or running the simulator failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("certificate: {0}")]
    Certificate(String),
    #[error("TLS: {0}")]
    Tls(String),
}

/// The simulator's shared state: who it is and the world.
pub struct Sim {
    pub identity: SimIdentity,
    pub port: u16,
    world: Mutex<World>,
    /// `--faults`: decides which requests fail.
    pub faults: faults::Injector,
    /// Answers given and how many were 429.
    pub tally: tally::AnswerTally,
}

impl Sim {
    /// `token_key`: signs tokens ([`tls::Ca::token_key`] keeps it stable across restarts).
    pub fn new(identity: SimIdentity, config: SimConfig, token_key: [u8; 32]) -> Self {
        let faults = faults::Injector::new(config.faults.clone());
        let mut world = World::new(&identity, config, token_key);
        world.seed_default_environment(&identity);
        Self {
            port: identity.port,
            identity,
            world: Mutex::new(world),
            faults,
            tally: tally::AnswerTally::default(),
        }
    }

    /// The world, settled to now. A panic while it was held poisons nothing that matters here:
    /// every change is made in one step, so the state is used as it is.
    pub fn world(&self) -> MutexGuard<'_, World> {
        let mut world = self.world.lock().unwrap_or_else(|p| p.into_inner());
        world.settle(chrono::Utc::now());
        world
    }
}

/// One request, read whole, with its path split into non-empty, percent-decoded segments.
pub struct Req {
    pub method: Method,
    pub segments: Vec<String>,
    /// The segments in lower case, for matching keywords.
    pub lower: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `https://host:port` as the client addressed the simulator (`127.0.0.1` or `localhost`).
    pub base: String,
}

impl Req {
    /// A query parameter; names compare case-insensitively.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The request's path as received, normalised (single slashes).
    pub fn path(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The base URL the client used, when it names this simulator; else `https://127.0.0.1:PORT`.
fn base_of(headers: &HeaderMap, uri: &axum::http::Uri, port: u16) -> String {
    let authority = uri.authority().map(|a| a.as_str().to_string()).or_else(|| {
        headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let ours = authority.filter(|a| {
        let a = a.to_ascii_lowercase();
        [
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ]
        .contains(&a)
    });
    match ours {
        Some(a) => format!("https://{}", a.to_ascii_lowercase()),
        None => env::base_url(port),
    }
}

/// A JSON answer.
pub fn json_response(status: u16, body: &Value) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body.to_string(),
    )
        .into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// An empty answer.
pub fn empty_response(status: u16) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
}

/// ARM's error shape: `{"error":{"code","message"}}`.
pub fn arm_error(failure: &Failure) -> Response {
    json_response(
        failure.status,
        &json!({"error": {"code": failure.code, "message": failure.message}}),
    )
}

/// Routes one request to its service.
pub fn route(sim: &Sim, req: &Req) -> Response {
    let lower: Vec<&str> = req.lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        [_, "oauth2", "v2.0", "token"] => auth::token(sim, req),
        [_, "v2.0", ".well-known", "openid-configuration"] => {
            discovery::openid_configuration(sim, req)
        }
        [_, "discovery", "v2.0", "keys"] => json_response(200, &json!({"keys": []})),
        ["metadata", "endpoints"] => discovery::metadata_endpoints(sim, req),
        ["providers", "microsoft.resourcegraph", "resources"] => resource_graph::handle(sim, req),
        ["subscriptions", ..] | ["tenants"] => arm::handle(sim, req),
        ["providers", "microsoft.authorization", ..] => arm::handle(sim, req),
        [env::GRAPH_PATH, ..] => graph::handle(sim, req),
        ["vaults", ..] => keyvault::handle(sim, req),
        ["datacollectionrules", _, "streams", _] => logs_ingestion::handle(sim, req),
        _ => arm_error(&Failure::new(
            404,
            "NotFound",
            format!(
                "The simulator has no {} {} (it serves tokens, ARM, Graph under /graph/ and Key Vault under /vaults/haymaker/).",
                req.method,
                req.path()
            ),
        )),
    }
}

async fn dispatch(State(sim): State<Arc<Sim>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return arm_error(&Failure::new(
                413,
                "RequestEntityTooLarge",
                "The request content is larger than the simulator accepts.",
            ))
        }
    };
    let segments: Vec<String> = parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let query = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let req = Req {
        method: parts.method,
        lower: segments.iter().map(|s| s.to_ascii_lowercase()).collect(),
        segments,
        query,
        base: base_of(&parts.headers, &parts.uri, sim.port),
        headers: parts.headers,
        body,
    };
    let response = match faults::apply(&sim, &req).await {
        Some(failure) => failure,
        None => route(&sim, &req),
    };
    sim.tally.record(response.status().as_u16());
    response
}

/// Stamps every answer with `x-ms-request-id` (and `x-ms-correlation-request-id`, the client's if it
/// sent one) and logs method, path and status — never the query, headers or body.
async fn stamp(request: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let correlation = request
        .headers()
        .get("x-ms-correlation-request-id")
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_str(&request_id).expect("a uuid is a header value"));
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("x-ms-request-id", v);
    }
    headers.insert("x-ms-correlation-request-id", correlation);
    tracing::info!(%method, %path, status = response.status().as_u16(), %request_id, "sim");
    response
}

/// The simulator's router.
pub fn router(sim: Arc<Sim>) -> axum::Router {
    axum::Router::new()
        .fallback(dispatch)
        .with_state(sim)
        .layer(axum::middleware::from_fn(stamp))
}

/// How to start the simulator.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// 0: any free port.
    pub port: u16,
    /// Where the CA is kept [default: `.haymaker/sim/<port>`].
    pub data_dir: Option<PathBuf>,
    pub config: SimConfig,
}

/// A running simulator. Dropping it without [`SimServer::stop`] leaves it serving until the runtime
/// ends.
pub struct SimServer {
    pub port: u16,
    /// Absolute path of the CA certificate clients must trust.
    pub ca_file: PathBuf,
    pub sim: Arc<Sim>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl SimServer {
    /// Binds 127.0.0.1:`port`, loads or creates the CA, and serves in a background task.
    pub async fn start(options: SimOptions) -> Result<Self, SimError> {
        let listener = TcpListener::bind(("127.0.0.1", options.port))
            .await
            .map_err(|source| SimError::Io {
                context: format!("cannot listen on 127.0.0.1:{}", options.port),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| SimError::Io {
                context: "cannot read the bound address".into(),
                source,
            })?
            .port();
        let dir = options
            .data_dir
            .unwrap_or_else(|| env::default_data_dir(port));
        let ca = tls::ensure_ca(&dir, port)?;
        let config = tls::server_config(&ca)?;
        let sim = Arc::new(Sim::new(
            SimIdentity::with_subscriptions(port, options.config.subscriptions),
            options.config,
            ca.token_key(),
        ));
        let app = router(sim.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(tls::serve(listener, app, config, async move {
            let _ = stopped.await;
        }));
        tracing::info!(port, ca = %ca.cert_file.display(), "simulator listening");
        Ok(Self {
            port,
            ca_file: ca.cert_file,
            sim,
            stop,
            task,
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        env::base_url(self.port)
    }

    pub fn identity(&self) -> &SimIdentity {
        &self.sim.identity
    }

    /// The settings that point haymaker here (what `--print-env` prints).
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        env::env_vars(&self.sim.identity, &self.ca_file)
    }

    /// Stops accepting, lets open requests finish, and returns when the server is down.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
