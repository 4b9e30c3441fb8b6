//! The vault's paged listings (`GET /secrets`, `/deletedsecrets`, `/secrets/{name}/versions`):
//! names (or versions) in order, `maxresults` (1-25) per page, and a `nextLink` whose `$skiptoken`
//! is the last one listed. Items carry no values.

use axum::response::Response;
use chrono::Utc;
use serde_json::{json, Value};

use super::vault::{SecretPhase, VaultError};
use super::{bad, deleted_fields, properties, MAX_RESULTS};
use crate::sim::{json_response, Req, Sim};

pub(super) enum Listing<'a> {
    Secrets,
    Deleted,
    Versions(&'a str),
}

/// One page of a listing: items after `$skiptoken`, `maxresults` of them, and `nextLink`.
pub(super) fn list(
    sim: &Sim,
    req: &Req,
    base: &str,
    listing: Listing<'_>,
) -> Result<Response, VaultError> {
    let max = match req.query("maxresults") {
        None => MAX_RESULTS,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|m| (1..=MAX_RESULTS).contains(m))
            .ok_or_else(|| {
                bad(format!(
                    "maxresults must be between 1 and {MAX_RESULTS}; got {m}."
                ))
            })?,
    };
    let now = Utc::now();
    let world = sim.world();
    let items: Vec<(String, Value)> = match listing {
        Listing::Versions(name) => {
            let (s, _) = world
                .vault_secret(name, now)
                .filter(|(_, p)| *p == SecretPhase::Live)
                .ok_or_else(|| VaultError::not_found(name))?;
            s.versions
                .iter()
                .map(|v| {
                    let id = format!("{base}/secrets/{}/{}", s.name, v.version);
                    (v.version.clone(), Value::Object(properties(id, v)))
                })
                .collect()
        }
        Listing::Secrets | Listing::Deleted => {
            let want = if matches!(listing, Listing::Secrets) {
                SecretPhase::Live
            } else {
                SecretPhase::SoftDeleted
            };
            world
                .vault
                .secrets
                .iter()
                .filter_map(|(key, s)| {
                    let (_, phase) = world.vault_secret(key, now)?;
                    (phase == want).then(|| {
                        let mut m = properties(format!("{base}/secrets/{}", s.name), s.latest());
                        if want == SecretPhase::SoftDeleted {
                            deleted_fields(&mut m, base, s);
                        }
                        (key.clone(), Value::Object(m))
                    })
                })
                .collect()
        }
    };
    let after = req.query("$skiptoken");
    let mut rest = items
        .into_iter()
        .filter(|(k, _)| after.is_none_or(|a| k.as_str() > a))
        .peekable();
    let page: Vec<(String, Value)> = rest.by_ref().take(max).collect();
    let next = match (rest.peek(), page.last()) {
        (Some(_), Some((last, _))) => {
            let mut url = url::Url::parse(&format!("{}{}", req.base, req.path()))
                .expect("the simulator's own address is a URL");
            url.query_pairs_mut()
                .append_pair("api-version", req.query("api-version").unwrap_or_default())
                .append_pair("maxresults", &max.to_string())
                .append_pair("$skiptoken", last);
            json!(url.to_string())
        }
        _ => Value::Null,
    };
    let value: Vec<Value> = page.into_iter().map(|(_, v)| v).collect();
    Ok(json_response(
        200,
        &json!({"value": value, "nextLink": next}),
    ))
}
