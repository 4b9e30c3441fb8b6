//! Azure Container Apps (`Microsoft.App`): managed environments (GET, PUT; DELETE and the rest as
//! generic resources) and container apps — PUT as a long-running operation (`201`/`200` with
//! `Azure-AsyncOperation`, `provisioningState` `InProgress` until the operation has been polled
//! [`SimConfig::lro_polls`](super::SimConfig) times, then `Succeeded` with `runningStatus`
//! `Running`), GET, DELETE (`202` with `Azure-AsyncOperation`, then 404), list by resource group,
//! and the `stop` / `start` actions. The decisions are in `container_apps_world`.
//!
//! What Azure validates and haymaker relies on is validated: the environment exists (404
//! `ManagedEnvironmentNotFound`), the workload profile is one of the environment's (400
//! `WorkloadProfileNotFound`), the containers' total CPU and memory fit the profile (400
//! `ContainerAppInvalidResourceTotal`, by the table in [`crate::azure::container_apps`]), and
//! every `secretRef` names a secret of the app (400 `ContainerAppSecretRefNotFound`). Inline secret
//! values are never returned by GET; in-process callers get them from [`World::container_apps`].
//!
//! A default environment is seeded at start: [`default_environment_id`], with a Consumption profile
//! and the dedicated memory-optimised profile [`AGENT_WORKLOAD_PROFILE`] (E16: 16 vCPU / 128 GiB,
//! so haymaker's default agent of 2 vCPU / 64 GiB fits).

use std::collections::{BTreeMap, HashMap};

use axum::http::{HeaderValue, Method};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::arm::{body_object, method_not_allowed, ArmResult};
use super::env::SimIdentity;
use super::speed::set_retry_after;
use super::state::{OperationStatus, World};
use super::{catalog, empty_response, json_response, resources, Req, Sim};
use crate::azure::container_apps::ContainerApp;
use crate::config::Secret;

#[path = "container_apps_env.rs"]
mod environments;
#[path = "container_apps_ops.rs"]
mod ops;
#[path = "container_apps_world.rs"]
mod world;

/// The resource group of the seeded environment (in the first subscription).
pub const DEFAULT_ENVIRONMENT_GROUP: &str = "haymaker-infra";
/// The seeded environment's name.
pub const DEFAULT_ENVIRONMENT_NAME: &str = "haymaker-env";
/// The seeded environment's region.
pub const DEFAULT_ENVIRONMENT_LOCATION: &str = "eastus";
/// The seeded environment's dedicated profile (haymaker's default `HAYMAKER_AGENT_WORKLOAD_PROFILE`).
pub const AGENT_WORKLOAD_PROFILE: &str = "haymaker-agents";
/// Its type.
pub const AGENT_WORKLOAD_PROFILE_TYPE: &str = "E16";

/// The seeded environment's resource id for a simulator with `identity`.
pub fn default_environment_id(identity: &SimIdentity) -> String {
    let sub = identity
        .subscriptions
        .first()
        .map(|s| s.id.as_str())
        .unwrap_or_default();
    format!("/subscriptions/{sub}/resourceGroups/{DEFAULT_ENVIRONMENT_GROUP}/providers/Microsoft.App/managedEnvironments/{DEFAULT_ENVIRONMENT_NAME}")
}

/// What an app operation does when it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppOperationKind {
    CreateOrUpdate,
    Delete,
    Stop,
    Start,
}

/// A Container Apps long-running operation, polled at its `Azure-AsyncOperation` URL.
#[derive(Debug, Clone)]
pub struct AppOperation {
    pub id: String,
    /// Lower-case subscription id.
    pub subscription: String,
    /// Lower-case id of the app.
    pub app: String,
    /// The app's name as addressed.
    pub name: String,
    pub kind: AppOperationKind,
    pub polls_left: u32,
    pub status: OperationStatus,
    pub started: DateTime<Utc>,
    pub ended: Option<DateTime<Utc>>,
}

/// Container Apps' part of the world.
#[derive(Debug, Default)]
pub struct AppsState {
    pub(super) operations: HashMap<String, AppOperation>,
    /// Inline secret values by lower-case app id.
    pub(super) secret_values: HashMap<String, BTreeMap<String, Secret>>,
}

/// A container app as in-process callers (the sandbox) see it: where it is, and its definition as
/// haymaker's client models it, inline secret values included.
#[derive(Debug, Clone)]
pub struct SimContainerApp {
    pub id: String,
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
    pub app: ContainerApp,
}

fn set_header(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}

/// Adds `Azure-AsyncOperation` (and `Retry-After`) for `op` of app `name`.
fn with_operation(
    sim: &Sim,
    req: &Req,
    mut response: Response,
    sub: &str,
    name: &str,
    op: &str,
    api: &str,
) -> Response {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("api-version", api)
        .finish();
    let url = format!(
        "{}/subscriptions/{}/providers/Microsoft.App/containerApps/{name}/operationResults/{op}?{query}",
        req.base,
        sub.to_ascii_lowercase()
    );
    set_header(&mut response, "azure-asyncoperation", &url);
    with_retry_after(sim, response)
}

/// `Retry-After` (and, when the world runs faster, `retry-after-ms`) of the world's poll interval.
fn with_retry_after(sim: &Sim, mut response: Response) -> Response {
    let (interval, speed) = {
        let world = sim.world();
        (world.poll_interval(), world.config.speed)
    };
    set_retry_after(response.headers_mut(), interval, speed);
    response
}

/// Serves `…/resourceGroups/{rg}/providers/Microsoft.App/…`; `rest` starts at `Microsoft.App`.
/// What is not Container Apps' own is served as a generic resource.
pub fn handle(sim: &Sim, req: &Req, sub: &str, rg: &str, rest: &[String], api: &str) -> ArmResult {
    if req.method != Method::POST {
        // Actions (`stop`, `start`) are not types; everything else is checked as ARM does.
        let types: Vec<String> = rest[1..].iter().step_by(2).cloned().collect();
        catalog::check_api_version(&sim.world(), &rest[0], &types, api)?;
    }
    let lower: Vec<String> = rest.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match (lower.as_slice(), &req.method) {
        ([_, "managedenvironments", _], &Method::GET) => {
            let key = format!(
                "/subscriptions/{sub}/resourcegroups/{rg}/providers/microsoft.app/managedenvironments/{}",
                lower[2]
            )
            .to_ascii_lowercase();
            let found = {
                let world = sim.world();
                world.group(sub, rg)?;
                world.resources.get(&key).map(|r| r.body.clone())
            };
            match found {
                Some(body) => Ok(json_response(200, &body)),
                None => resources::handle(sim, req, sub, Some(rg), rest, api),
            }
        }
        ([_, "managedenvironments", _], &Method::PUT) => {
            let body = body_object(req)?;
            let (created, env) = sim.world().put_environment(sub, rg, &rest[2], body, api)?;
            Ok(json_response(if created { 201 } else { 200 }, &env))
        }
        ([_, "containerapps"], &Method::GET) => {
            let value = sim.world().list_container_apps_in(sub, rg)?;
            Ok(json_response(200, &json!({"value": value})))
        }
        ([_, "containerapps", _], method) => app(sim, req, sub, rg, &rest[2], api, method),
        ([_, "containerapps", _, action @ ("stop" | "start")], method) => {
            if method != Method::POST {
                return Err(method_not_allowed(req));
            }
            let kind = if *action == "stop" {
                AppOperationKind::Stop
            } else {
                AppOperationKind::Start
            };
            let op = sim.world().begin_app_action(sub, rg, &rest[2], kind)?;
            let response = empty_response(202);
            Ok(with_operation(sim, req, response, sub, &rest[2], &op, api))
        }
        _ => resources::handle(sim, req, sub, Some(rg), rest, api),
    }
}

fn app(
    sim: &Sim,
    req: &Req,
    sub: &str,
    rg: &str,
    name: &str,
    api: &str,
    method: &Method,
) -> ArmResult {
    match *method {
        Method::GET => Ok(json_response(
            200,
            &sim.world().get_container_app(sub, rg, name)?.body,
        )),
        Method::PUT => {
            let body = body_object(req)?;
            let (created, representation, op) =
                sim.world().put_container_app(sub, rg, name, body, api)?;
            let response = json_response(if created { 201 } else { 200 }, &representation);
            Ok(with_operation(sim, req, response, sub, name, &op, api))
        }
        Method::DELETE => {
            let started = sim.world().begin_delete_container_app(sub, rg, name)?;
            match started {
                None => Ok(empty_response(204)),
                Some(op) => Ok(with_operation(
                    sim,
                    req,
                    empty_response(202),
                    sub,
                    name,
                    &op,
                    api,
                )),
            }
        }
        _ => Err(method_not_allowed(req)),
    }
}

/// `GET /subscriptions/{sub}/providers/Microsoft.App/containerApps/{name}/operationResults/{op}`:
/// the operation's status (always 200 while the operation exists).
pub fn poll(sim: &Sim, req: &Req, sub: &str, name: &str, op: &str) -> ArmResult {
    if req.method != Method::GET {
        return Err(method_not_allowed(req));
    }
    let operation = sim.world().poll_app_operation(sub, name, op)?;
    let response = json_response(200, &operation_status(&operation));
    Ok(match operation.status {
        OperationStatus::InProgress => with_retry_after(sim, response),
        OperationStatus::Succeeded => response,
    })
}

/// The Azure-AsyncOperation body.
pub fn operation_status(op: &AppOperation) -> Value {
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut out = json!({
        "id": format!("/subscriptions/{}/providers/Microsoft.App/containerApps/{}/operationResults/{}", op.subscription, op.name, op.id),
        "name": op.id,
        "status": match op.status {
            OperationStatus::InProgress => "InProgress",
            OperationStatus::Succeeded => "Succeeded",
        },
        "startTime": time(op.started),
    });
    if let Some(end) = op.ended {
        out["endTime"] = json!(time(end));
        out["properties"] = json!({});
    }
    out
}

impl World {
    /// The seeded environment's id, if it is still there.
    pub fn default_environment(&self, identity: &SimIdentity) -> Option<String> {
        self.resources
            .get(&default_environment_id(identity).to_ascii_lowercase())
            .map(|r| r.id.clone())
    }
}
