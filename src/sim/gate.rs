//! What every authenticated ARM call passes before its handler: ARM's rate limits
//! ([`super::throttle`]; the `x-ms-ratelimit-remaining-*` headers go on every answer) and RBAC
//! ([`World::authorize`](super::World::authorize)), in that order, as in Azure.
//!
//! The operation is derived from the path and method ([`super::rbac::operation_name`]), so a
//! service added to [`super::arm`] is authorised without doing anything. Some reads are decided
//! here differently: the subscription itself, its locations, providers and operation results need
//! any role in the subscription; lists of subscriptions and resource groups are filtered by their
//! handlers instead; built-in role definitions at tenant level are open to every caller.

use std::time::Instant;

use axum::response::Response;

use super::auth;
use super::rbac::Action;
use super::state::IssuedToken;
use super::throttle::RequestClass;
use super::{arm_error, Failure, Req, Sim};

/// The object id of the principal a token was issued to.
pub fn caller_of(sim: &Sim, token: &IssuedToken) -> String {
    sim.world()
        .principal_by_client(&token.client_id)
        .map(|p| p.object_id.clone())
        .unwrap_or_else(|| token.client_id.clone())
}

/// The subscription a path is in (`/subscriptions/{id}/…`), if any.
fn subscription_of(req: &Req) -> Option<&str> {
    match req.lower.first().map(String::as_str) {
        Some("subscriptions") => req.segments.get(1).map(String::as_str),
        _ => None,
    }
}

/// Takes a token from the caller's bucket: the 429 when there is none, else `serve`'s answer; both
/// carry the remaining-requests headers.
pub fn metered(sim: &Sim, req: &Req, caller: &str, serve: impl FnOnce() -> Response) -> Response {
    let class = RequestClass::of(&req.method);
    let (quota, speed) = {
        let mut world = sim.world();
        let (limits, speed) = (world.config.throttle, world.config.speed);
        let quota = world.throttle.take(
            &limits,
            speed,
            subscription_of(req),
            caller,
            class,
            Instant::now(),
        );
        (quota, speed)
    };
    if let Some(refusal) = quota.refusal(caller, &sim.identity.tenant_id, speed) {
        tracing::info!(principal = %caller, class = class.word(), "sim: throttled");
        return refusal;
    }
    let mut response = serve();
    quota.stamp(response.headers_mut());
    response
}

/// Whether `caller` may make this call; ARM's 403 (or, for a subscription it cannot see, 404)
/// when not. Calls in a subscription that does not exist pass, for their handler's 404.
pub fn check(sim: &Sim, req: &Req, caller: &str) -> Result<(), Failure> {
    let lower: Vec<&str> = req.lower.iter().map(String::as_str).collect();
    let world = sim.world();
    let action = match RequestClass::of(&req.method) {
        RequestClass::Read => Action::Read,
        RequestClass::Write => Action::Write,
        RequestClass::Delete => Action::Delete,
    };
    let path = req.path();
    let Some(sub) = subscription_of(req) else {
        // `/subscriptions` and `/tenants` (filtered by their handlers), tenant-level role definitions.
        return Ok(());
    };
    if world.subscription(sub).is_err() {
        return Ok(());
    }
    let sees = world.sees_subscription(caller, sub);
    match lower.as_slice() {
        ["subscriptions", _] if !sees => Err(Failure::subscription_not_found(sub)),
        ["subscriptions", _]
        | ["subscriptions", _, "locations"]
        | ["subscriptions", _, "providers", _]
        | ["subscriptions", _, "operationresults", _]
        | ["subscriptions", _, "resourcegroups"]
            if sees && action == Action::Read =>
        {
            Ok(())
        }
        _ => world.authorize(caller, &path, action),
    }
}

/// Authenticates, meters and authorises an ARM call, then serves it with `serve(caller)`.
pub fn guarded(
    sim: &Sim,
    req: &Req,
    serve: impl FnOnce(&str) -> Result<Response, Failure>,
) -> Response {
    let token = match auth::require_arm(sim, req) {
        Ok(t) => t,
        Err(refusal) => return *refusal,
    };
    let caller = caller_of(sim, &token);
    metered(sim, req, &caller, || {
        serve(&caller).unwrap_or_else(|failure| arm_error(&failure))
    })
}
