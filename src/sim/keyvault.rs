//! Key Vault secrets of the one vault, served under `/vaults/haymaker/` (the state and its phases
//! are in [`vault`]).
//!
//! | operation | answer |
//! |---|---|
//! | `PUT /secrets/{name}` | 200, a new version; 409 while the name is being deleted or recovered, or is soft-deleted (`ObjectIsDeletedButRecoverable`) |
//! | `GET /secrets/{name}[/{version}]` | 200 with the value |
//! | `GET /secrets[?maxresults]`, `GET /secrets/{name}/versions` | 200, paged with `nextLink` (no values) |
//! | `DELETE /secrets/{name}` | 200, the deleted secret (`recoveryId`, `deletedDate`, `scheduledPurgeDate`) |
//! | `GET /deletedsecrets[/{name}]` | 200 (404 until the deletion has finished) |
//! | `DELETE /deletedsecrets/{name}` | 204 (purge) |
//! | `POST /deletedsecrets/{name}/recover` | 200; the name answers 409 until the recovery has finished |
//!
//! Authentication as Key Vault does it: a request without a bearer token (the Azure SDK's first,
//! sent on purpose to learn the authority and resource) gets 401 with
//! `WWW-Authenticate: Bearer authorization="{authority}/{tenant}", resource="https://vault.azure.net"`;
//! a token for another audience gets the same challenge. `api-version` is required. Errors have Key
//! Vault's shape `{"error":{"code","message","innererror"?}}`. Values appear only in the answers of
//! set and get; never in logs.

mod list;
pub mod vault;

use std::collections::BTreeMap;

use axum::http::{HeaderValue, Method};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::env::KEY_VAULT_PATH;
use super::state::{Audience, BearerError};
use super::{empty_response, json_response, Req, Sim};
use crate::config::Secret;
use list::{list, Listing};
use vault::{NewVersion, SecretVersion, StoredSecret, VaultError};

/// The api-versions of the secrets data plane the simulator accepts.
pub const API_VERSIONS: [&str; 8] = [
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
    "7.6",
    "2025-07-01",
];

/// Key Vault's own audience, named in the challenge.
const RESOURCE: &str = "https://vault.azure.net";

/// `maxresults` when none is given, and the largest accepted.
pub(super) const MAX_RESULTS: usize = 25;

fn error_response(e: &VaultError) -> Response {
    let mut error = json!({"code": e.code, "message": e.message});
    if let Some(inner) = &e.inner {
        error["innererror"] = json!({"code": inner});
    }
    json_response(e.status, &json!({ "error": error }))
}

pub(super) fn bad(message: impl Into<String>) -> VaultError {
    VaultError::new(400, "BadParameter", message)
}

/// The bearer check; the refusal carries the challenge.
fn require_vault(sim: &Sim, req: &Req) -> Result<(), Box<Response>> {
    let refuse = |message: &str, invalid: bool| {
        let mut response = error_response(&VaultError::new(401, "Unauthorized", message));
        let mut challenge = format!(
            "Bearer authorization=\"{}/{}\", resource=\"{RESOURCE}\"",
            req.base, sim.identity.tenant_id
        );
        if invalid {
            challenge.push_str(", error=\"invalid_token\"");
        }
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert("www-authenticate", v);
        }
        Box::new(response)
    };
    let Some(header) = req.header("authorization") else {
        return Err(refuse(
            "AKV10000: Request is missing a Bearer or PoP token.",
            false,
        ));
    };
    let token = match header.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => {
            t.trim()
        }
        _ => {
            return Err(refuse(
                "AKV10001: The Authorization header is not a Bearer token.",
                true,
            ))
        }
    };
    match sim.world().bearer(token, Audience::KeyVault, Utc::now()) {
        Ok(_) => Ok(()),
        Err(BearerError::Unknown) => Err(refuse("AKV10032: Invalid issuer or signature.", true)),
        Err(BearerError::Expired(_)) => Err(refuse("AKV10022: Token is expired.", true)),
        Err(BearerError::WrongAudience(found)) => Err(refuse(
            &format!("AKV10022: Invalid audience. Expected {RESOURCE}, found: {found}."),
            true,
        )),
    }
}

/// Serves one request under `/vaults/`.
pub fn handle(sim: &Sim, req: &Req) -> Response {
    let vault_segments = KEY_VAULT_PATH.split('/').count();
    let ours = req
        .lower
        .iter()
        .take(vault_segments)
        .map(String::as_str)
        .eq(KEY_VAULT_PATH.split('/'));
    if !ours {
        return error_response(&VaultError::new(
            404,
            "VaultNotFound",
            format!(
                "The simulator has one vault, at /{KEY_VAULT_PATH}/; {} is not in it.",
                req.path()
            ),
        ));
    }
    if let Err(refusal) = require_vault(sim, req) {
        return *refusal;
    }
    match req.query("api-version") {
        Some(v) if API_VERSIONS.contains(&v) => {}
        Some(v) => {
            return error_response(&bad(format!(
                "The specified version ({v}) is not recognized; the simulator serves {}.",
                API_VERSIONS.join(", ")
            )))
        }
        None => {
            return error_response(&bad(
                "The request URI contains an invalid or missing 'api-version' parameter.",
            ))
        }
    }
    let base = format!("{}/{KEY_VAULT_PATH}", req.base);
    let lower: Vec<&str> = req.lower[vault_segments..]
        .iter()
        .map(String::as_str)
        .collect();
    let s = &req.segments[vault_segments..];
    let now = Utc::now();
    let result = match (&req.method, lower.as_slice()) {
        (&Method::GET, ["secrets"]) => list(sim, req, &base, Listing::Secrets),
        (&Method::GET, ["deletedsecrets"]) => list(sim, req, &base, Listing::Deleted),
        (&Method::GET, ["secrets", _, "versions"]) => {
            check_name(&s[1]).and_then(|_| list(sim, req, &base, Listing::Versions(&s[1])))
        }
        (&Method::PUT, ["secrets", _]) => {
            check_name(&s[1]).and_then(|_| set(sim, req, &base, &s[1]))
        }
        (&Method::GET, ["secrets", _]) | (&Method::GET, ["secrets", _, _]) => check_name(&s[1])
            .and_then(|_| {
                let world = sim.world();
                let (stored, v) = world.get_secret(&s[1], s.get(2).map(String::as_str), now)?;
                Ok(json_response(200, &bundle(&base, stored, v, true)))
            }),
        (&Method::DELETE, ["secrets", _]) => check_name(&s[1]).and_then(|_| {
            let mut world = sim.world();
            let stored = world.delete_secret(&s[1], now)?;
            Ok(json_response(200, &deleted_bundle(&base, stored)))
        }),
        (&Method::GET, ["deletedsecrets", _]) => check_name(&s[1]).and_then(|_| {
            let world = sim.world();
            let stored = world.get_deleted_secret(&s[1], now)?;
            Ok(json_response(200, &deleted_bundle(&base, stored)))
        }),
        (&Method::DELETE, ["deletedsecrets", _]) => check_name(&s[1]).and_then(|_| {
            sim.world().purge_deleted_secret(&s[1], now)?;
            Ok(empty_response(204))
        }),
        (&Method::POST, ["deletedsecrets", _, "recover"]) => check_name(&s[1]).and_then(|_| {
            let mut world = sim.world();
            let stored = world.recover_deleted_secret(&s[1], now)?;
            Ok(json_response(
                200,
                &bundle(&base, stored, stored.latest(), false),
            ))
        }),
        _ => Err(VaultError::new(
            400,
            "BadParameter",
            format!(
                "The simulator's Key Vault serves no {} {} (secrets and deletedsecrets only).",
                req.method,
                req.path()
            ),
        )),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

/// Names are 1–127 letters, digits and dashes.
fn check_name(name: &str) -> Result<(), VaultError> {
    let valid = !name.is_empty()
        && name.len() <= 127
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(bad(format!(
            "The request URI contains an invalid name: {name} (1-127 letters, digits and dashes)."
        )))
    }
}

fn attributes(v: &SecretVersion) -> Value {
    let mut a = json!({
        "enabled": v.enabled,
        "created": v.created.timestamp(),
        "updated": v.updated.timestamp(),
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": vault::RETENTION_DAYS,
    });
    if let Some(nbf) = v.not_before {
        a["nbf"] = json!(nbf);
    }
    if let Some(exp) = v.expires {
        a["exp"] = json!(exp);
    }
    a
}

/// The properties a secret item and bundle share; `id` as given.
pub(super) fn properties(id: String, v: &SecretVersion) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("attributes".into(), attributes(v));
    if let Some(ct) = &v.content_type {
        m.insert("contentType".into(), json!(ct));
    }
    if !v.tags.is_empty() {
        m.insert("tags".into(), json!(v.tags));
    }
    m
}

/// A secret bundle, with its value when `with_value`.
fn bundle(base: &str, s: &StoredSecret, v: &SecretVersion, with_value: bool) -> Value {
    let mut m = properties(format!("{base}/secrets/{}/{}", s.name, v.version), v);
    if with_value {
        m.insert("value".into(), json!(v.value.expose()));
    }
    Value::Object(m)
}

pub(super) fn deleted_fields(m: &mut Map<String, Value>, base: &str, s: &StoredSecret) {
    let unix = |t: Option<DateTime<Utc>>| t.map(|t| json!(t.timestamp())).unwrap_or(Value::Null);
    m.insert(
        "recoveryId".into(),
        json!(format!("{base}/deletedsecrets/{}", s.name)),
    );
    m.insert("deletedDate".into(), unix(s.deleted));
    m.insert("scheduledPurgeDate".into(), unix(s.scheduled_purge()));
}

/// A deleted secret bundle (no value).
fn deleted_bundle(base: &str, s: &StoredSecret) -> Value {
    let v = s.latest();
    let mut m = properties(format!("{base}/secrets/{}/{}", s.name, v.version), v);
    deleted_fields(&mut m, base, s);
    Value::Object(m)
}

fn set(sim: &Sim, req: &Req, base: &str, name: &str) -> Result<Response, VaultError> {
    let body: Map<String, Value> = match serde_json::from_slice(&req.body) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(bad(
                "The request body must be a JSON object with a 'value'.",
            ))
        }
    };
    let value = body
        .get("value")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("Property 'value' (a string) is required to set a secret."))?;
    let content_type = match body.get("contentType") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(bad("Property 'contentType' must be a string.")),
    };
    let tags: BTreeMap<String, String> = match body.get("tags") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(t) => serde_json::from_value(t.clone())
            .map_err(|_| bad("Property 'tags' must map names to strings."))?,
    };
    if tags.len() > 15 {
        return Err(bad("A secret has at most 15 tags."));
    }
    let attrs = body.get("attributes").cloned().unwrap_or(Value::Null);
    let int = |k: &str| attrs.get(k).and_then(Value::as_i64);
    let new = NewVersion {
        value: Secret::new(value),
        content_type,
        tags,
        enabled: attrs
            .get("enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        not_before: int("nbf"),
        expires: int("exp"),
    };
    let mut world = sim.world();
    let (stored, version) = world.set_secret(name, new, Utc::now())?;
    Ok(json_response(200, &bundle(base, stored, version, true)))
}
