//! Azure Monitor's Logs Ingestion API, as a data collection endpoint at the simulator's address:
//! `POST /dataCollectionRules/{dcrImmutableId}/streams/{stream}?api-version=2023-01-01` with a JSON
//! array of records and a token for `https://monitor.azure.com`. One rule is known
//! ([`super::env::logs_dcr_id`]) with one stream ([`STREAM`]); records are kept in the world
//! ([`World::ingested_logs`]) for in-process checks. Answers 204, or 401 (token), 400 (api-version,
//! body), 404 (rule or stream), 413 (over 1 MB).

use axum::http::Method;
use axum::response::Response;
use chrono::Utc;
use serde_json::Value;

use super::state::{Audience, BearerError, Failure, World};
use super::{arm_error, empty_response, Req, Sim};

/// The API version the endpoint serves.
pub const API_VERSION: &str = "2023-01-01";

/// The one stream the simulated rule declares.
pub const STREAM: &str = "Custom-HaymakerEvents_CL";

/// Most bytes one call may carry.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the endpoint accepted: `(stream, record)` in arrival order.
#[derive(Debug, Default)]
pub struct Ingested {
    pub records: Vec<(String, Value)>,
}

impl World {
    /// The records accepted into `stream`, in arrival order.
    pub fn ingested_logs(&self, stream: &str) -> Vec<Value> {
        self.logs
            .records
            .iter()
            .filter(|(s, _)| s == stream)
            .map(|(_, r)| r.clone())
            .collect()
    }
}

fn fail(status: u16, code: &str, message: impl Into<String>) -> Response {
    arm_error(&Failure::new(status, code, message.into()))
}

/// The refusal of a missing or wrong token; `None` when it is a Monitor token.
fn refuse_token(sim: &Sim, req: &Req) -> Option<Response> {
    let token = req
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, t)| scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty())
        .map(|(_, t)| t.trim().to_string());
    let Some(token) = token else {
        return Some(fail(
            401,
            "InvalidToken",
            "The request is missing a Bearer token.",
        ));
    };
    match sim.world().bearer(&token, Audience::Monitor, Utc::now()) {
        Ok(_) => None,
        Err(BearerError::Unknown) => Some(fail(401, "InvalidToken", "The token is invalid.")),
        Err(BearerError::Expired(_)) => Some(fail(401, "InvalidToken", "The token has expired.")),
        Err(BearerError::WrongAudience(found)) => Some(fail(
            401,
            "InvalidToken",
            format!("The token's audience '{found}' is not https://monitor.azure.com."),
        )),
    }
}

/// Serves `/dataCollectionRules/{dcr}/streams/{stream}`.
pub fn handle(sim: &Sim, req: &Req) -> Response {
    if req.method != Method::POST {
        return fail(
            405,
            "MethodNotAllowed",
            format!("{} is not supported; use POST.", req.method),
        );
    }
    if let Some(refused) = refuse_token(sim, req) {
        return refused;
    }
    match req.query.iter().find(|(k, _)| k == "api-version") {
        Some((_, v)) if v == API_VERSION => {}
        Some((_, v)) => {
            return fail(
                400,
                "InvalidApiVersion",
                format!("The api-version '{v}' is not supported; use {API_VERSION}."),
            )
        }
        None => {
            return fail(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter is required.",
            )
        }
    }
    let (dcr, stream) = (&req.segments[1], &req.segments[3]);
    if !dcr.eq_ignore_ascii_case(&super::env::logs_dcr_id(sim.port)) {
        return fail(
            404,
            "NotFound",
            format!("Data collection rule with immutable Id '{dcr}' not found."),
        );
    }
    if stream != STREAM {
        return fail(
            404,
            "NotFound",
            format!("Stream '{stream}' is not declared in data collection rule '{dcr}'."),
        );
    }
    if req.body.len() > MAX_BODY_BYTES {
        return fail(
            413,
            "ContentLengthLimitExceeded",
            format!(
                "The request body is {} bytes; at most {MAX_BODY_BYTES} per call.",
                req.body.len()
            ),
        );
    }
    let records = match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Array(records)) if records.iter().all(Value::is_object) => records,
        _ => {
            return fail(
                400,
                "InvalidContent",
                "The body must be a JSON array of objects.",
            )
        }
    };
    let mut world = sim.world();
    for record in records {
        world.logs.records.push((stream.clone(), record));
    }
    empty_response(204)
}
