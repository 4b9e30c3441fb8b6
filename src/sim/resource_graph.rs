//! Azure Resource Graph: `POST /providers/Microsoft.ResourceGraph/resources?api-version=…` with an
//! ARM token, over the world's resources (`Resources`) and its subscriptions and resource groups
//! (`ResourceContainers`). The query language is the subset in [`super::kql`].
//!
//! As the service does: rows have lower-case `type`, `resourceGroup` and `subscriptionId`; the
//! request's `subscriptions` scope the rows (none: every subscription); `options.$top` (default 100,
//! at most 1,000), `$skip` and `$skipToken` page; a page that is not the last carries `$skipToken`
//! only when the rows have an `id` column, otherwise `resultTruncated` is `"true"`; only the
//! `objectArray` result format is served. Each principal may send 15 queries per 5 s window;
//! every answer carries `x-ms-user-quota-remaining` and `x-ms-user-quota-resets-after` (`hh:mm:ss`,
//! rounded up), and a query over the quota is answered 429 `RateLimiting` with `Retry-After`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, Method};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::kql::eval::{self as kql_eval, Row};
use super::kql::{self, Op};
use super::state::World;

#[path = "resource_graph_rows.rs"]
mod rows;
use super::{arm_error, auth, json_response, Failure, Req, Sim};

/// Rows per page when the request gives no `$top`.
pub const DEFAULT_TOP: usize = 100;
/// The largest page.
pub const MAX_TOP: usize = 1000;

/// Resource Graph's per-principal quota: `limit` queries per `window`.
#[derive(Debug, Clone)]
pub struct Quota {
    pub limit: u32,
    pub window: Duration,
    /// By principal (client id): when its window started and queries used in it.
    used: HashMap<String, (Instant, u32)>,
}

impl Default for Quota {
    fn default() -> Self {
        Self {
            limit: 15,
            window: Duration::from_secs(5),
            used: HashMap::new(),
        }
    }
}

/// What the quota said about one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaState {
    pub allowed: bool,
    pub remaining: u32,
    pub resets_after: Duration,
}

impl Quota {
    /// Counts one query of `principal` at `now`.
    pub fn take(&mut self, principal: &str, now: Instant) -> QuotaState {
        let entry = self
            .used
            .entry(principal.to_ascii_lowercase())
            .or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        let resets_after = self.window.saturating_sub(now.duration_since(entry.0));
        if entry.1 >= self.limit {
            return QuotaState {
                allowed: false,
                remaining: 0,
                resets_after,
            };
        }
        entry.1 += 1;
        QuotaState {
            allowed: true,
            remaining: self.limit - entry.1,
            resets_after,
        }
    }
}

/// `hh:mm:ss`, rounded up to the next second so a client that waits that long finds a new window.
pub fn format_hms(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

fn bad_request(message: String) -> Failure {
    Failure::new(400, "BadRequest", message)
}

fn quota_headers(response: &mut Response, state: &QuotaState) {
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&state.remaining.to_string()) {
        headers.insert("x-ms-user-quota-remaining", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format_hms(state.resets_after)) {
        headers.insert("x-ms-user-quota-resets-after", v);
    }
}

/// Serves one query.
pub fn handle(sim: &Sim, req: &Req) -> Response {
    let token = match auth::require_arm(sim, req) {
        Ok(t) => t,
        Err(refusal) => return *refusal,
    };
    if req.query("api-version").is_none() {
        return arm_error(&Failure::new(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    }
    if req.method != Method::POST {
        return arm_error(&super::arm::method_not_allowed(req));
    }
    let mut world = sim.world();
    let state = world
        .resource_graph_quota
        .take(&token.client_id, Instant::now());
    let mut response = if state.allowed {
        match answer(&world, req) {
            Ok(body) => json_response(200, &body),
            Err(failure) => arm_error(&failure),
        }
    } else {
        let mut r = json_response(
            429,
            &json!({"error": {
                "code": "RateLimiting",
                "message": format!(
                    "Too many requests. Please retry after {}. The quota is {} queries per {} seconds per user.",
                    format_hms(state.resets_after),
                    world.resource_graph_quota.limit,
                    world.resource_graph_quota.window.as_secs()
                ),
            }}),
        );
        let retry = state.resets_after.as_secs() + u64::from(state.resets_after.subsec_nanos() > 0);
        if let Ok(v) = HeaderValue::from_str(&retry.to_string()) {
            r.headers_mut().insert("retry-after", v);
        }
        r
    };
    quota_headers(&mut response, &state);
    response
}

/// Options of a request (`options` in the body).
struct Options {
    top: usize,
    skip: usize,
    skip_token: Option<String>,
}

fn options_of(body: &Map<String, Value>) -> Result<Options, Failure> {
    let options = match body.get("options") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(bad_request("'options' must be an object.".into())),
    };
    let number = |name: &str| -> Result<Option<usize>, Failure> {
        match options.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(|n| Some(n as usize)).ok_or_else(|| {
                bad_request(format!(
                    "options.{name} must be a non-negative integer, not {v}."
                ))
            }),
        }
    };
    let top = number("$top")?.unwrap_or(DEFAULT_TOP);
    if top == 0 || top > MAX_TOP {
        return Err(bad_request(format!(
            "options.$top must be between 1 and {MAX_TOP}, not {top}."
        )));
    }
    match options.get("resultFormat").and_then(Value::as_str) {
        None | Some("objectArray") => {}
        Some(other) => {
            return Err(Failure::new(
                400,
                "UnsupportedBySimulator",
                format!("options.resultFormat '{other}' is not simulated; use 'objectArray'."),
            ))
        }
    }
    Ok(Options {
        top,
        skip: number("$skip")?.unwrap_or(0),
        skip_token: options
            .get("$skipToken")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    })
}

/// A stable fingerprint of what a token pages over.
fn fingerprint(query: &str, subscriptions: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(query.as_bytes());
    for s in subscriptions {
        h.update(b"\n");
        h.update(s.as_bytes());
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn encode_token(offset: usize, print: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(json!({"o": offset, "q": print}).to_string())
}

fn decode_token(token: &str, print: &str) -> Result<usize, Failure> {
    use base64::Engine as _;
    let invalid = || {
        bad_request(
            "options.$skipToken is not a token this query returned; send the query and subscriptions unchanged with the token of its previous page.".into())
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if v["q"].as_str() != Some(print) {
        return Err(invalid());
    }
    v["o"].as_u64().map(|o| o as usize).ok_or_else(invalid)
}

fn answer(world: &World, req: &Req) -> Result<Value, Failure> {
    let body = super::arm::body_object(req)?;
    let Some(text) = body.get("query").and_then(Value::as_str) else {
        return Err(bad_request("The request has no 'query'.".into()));
    };
    let subscriptions: Vec<String> = match body.get("subscriptions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect(),
        Some(_) => {
            return Err(bad_request(
                "'subscriptions' must be an array of subscription ids.".into(),
            ))
        }
    };
    let options = options_of(&body)?;
    let query = kql::parse(text).map_err(|e| {
        Failure::new(
            400,
            "BadRequest",
            format!(
                "Query is invalid. {e}. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying."
            ),
        )
    })?;
    let rows: Vec<Row> = world
        .graph_rows(query.table)
        .into_iter()
        .filter(|r| {
            subscriptions.is_empty()
                || r.get("subscriptionId")
                    .and_then(Value::as_str)
                    .is_some_and(|s| subscriptions.iter().any(|x| x == s))
        })
        .collect();
    let has_id = query
        .ops
        .iter()
        .rev()
        .filter_map(|op| match op {
            Op::Project(items) => Some(items.iter().any(|(name, _)| name == "id")),
            _ => None,
        })
        .next()
        .unwrap_or(true);
    let rows = kql_eval::run(&query.ops, rows);
    let print = fingerprint(text, &subscriptions);
    let start = match &options.skip_token {
        Some(token) => decode_token(token, &print)?,
        None => options.skip,
    };
    let total = rows.len();
    let end = (start + options.top).min(total);
    let page: Vec<Value> = rows
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .map(Value::Object)
        .collect();
    let more = end < total;
    let mut out = Map::new();
    out.insert("totalRecords".into(), json!(total));
    out.insert("count".into(), json!(page.len()));
    out.insert("data".into(), Value::Array(page));
    out.insert("facets".into(), json!([]));
    out.insert(
        "resultTruncated".into(),
        json!(if more && !has_id { "true" } else { "false" }),
    );
    if more && has_id {
        out.insert("$skipToken".into(), json!(encode_token(end, &print)));
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_allows_fifteen_per_window_then_resets() {
        let mut q = Quota::default();
        let t0 = Instant::now();
        for i in 0..15 {
            let s = q.take("P", t0);
            assert!(s.allowed);
            assert_eq!(s.remaining, 14 - i);
        }
        let refused = q.take("p", t0 + Duration::from_millis(1500));
        assert!(!refused.allowed);
        assert_eq!(format_hms(refused.resets_after), "00:00:04");
        assert!(q.take("other", t0).allowed, "per principal");
        let next = q.take("p", t0 + Duration::from_secs(5));
        assert!(next.allowed);
        assert_eq!(next.remaining, 14);
        assert_eq!(format_hms(Duration::from_secs(3723)), "01:02:03");
    }

    #[test]
    fn tokens_are_bound_to_their_query() {
        let print = fingerprint("Resources", &[]);
        let token = encode_token(1000, &print);
        assert_eq!(decode_token(&token, &print).unwrap(), 1000);
        let other = fingerprint("Resources | limit 1", &[]);
        assert_eq!(decode_token(&token, &other).unwrap_err().status, 400);
        assert_eq!(decode_token("not base64!", &print).unwrap_err().status, 400);
    }
}
