//! Azure Resource Manager: tenants, subscriptions, resource groups, and the operation results a group
//! deletion is polled at. Generic resources are in [`super::resources`], locations and providers in
//! [`super::catalog`].
//!
//! Every call needs an ARM token issued here, a token from the caller's rate-limit bucket, an
//! `api-version` and a role that permits it (checked in that order, as ARM does; the first two and
//! the last in [`super::gate`]). Role definitions and assignments are in [`super::rbac_api`].
//! Other `Microsoft.Authorization` types (policy assignments, locks) are generic resources.
//! Group deletion is a long-running operation: `202` with `Location` and `Retry-After` (scaled by
//! the speed); the location answers `202` for [`SimConfig::lro_polls`](super::SimConfig) polls and
//! until [`SimConfig::group_delete_duration`](super::SimConfig) has passed, then removes the group
//! and everything in it (role assignments at it included) and answers `200`.

use axum::http::{HeaderValue, Method};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::rbac::Action;
use super::speed::set_retry_after;
use super::state::{OperationStatus, ResourceGroup, Subscription};
use super::{
    catalog, container_apps, empty_response, filter, gate, json_response, rbac_api, resources,
    Failure, Req, Sim,
};

/// The answer, or a failure in ARM's shape.
pub type ArmResult = Result<Response, Failure>;

pub fn method_not_allowed(req: &Req) -> Failure {
    Failure::new(
        405,
        "MethodNotAllowed",
        format!(
            "The requested resource does not support http method '{}'.",
            req.method
        ),
    )
}

fn no_route(req: &Req) -> Failure {
    Failure::new(
        404,
        "NotFound",
        format!(
            "The simulator serves no ARM operation at {} {}.",
            req.method,
            req.path()
        ),
    )
}

/// Serves one ARM request: authenticated, metered and authorised by [`gate::guarded`].
pub fn handle(sim: &Sim, req: &Req) -> Response {
    gate::guarded(sim, req, |caller| route(sim, req, caller))
}

fn route(sim: &Sim, req: &Req, caller: &str) -> ArmResult {
    let Some(api_version) = req.query("api-version").map(str::to_string) else {
        return Err(Failure::new(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    gate::check(sim, req, caller)?;
    let lower: Vec<&str> = req.lower.iter().map(String::as_str).collect();
    let s = &req.segments;
    match lower.as_slice() {
        ["tenants"] => only_get(req).map(|_| tenants(sim)),
        ["subscriptions"] => only_get(req).map(|_| list_subscriptions(sim, caller)),
        ["subscriptions", _] => only_get(req).and_then(|_| get_subscription(sim, &s[1])),
        ["subscriptions", _, "resourcegroups"] => {
            only_get(req).and_then(|_| list_groups(sim, req, caller))
        }
        ["subscriptions", _, "resourcegroups", _] => group(sim, req, &api_version),
        ["subscriptions", _, "operationresults", _] => {
            only_get(req).and_then(|_| poll(sim, req, &api_version))
        }
        ["subscriptions", _, "locations"] => {
            only_get(req).and_then(|_| catalog::locations(&sim.world(), &s[1]))
        }
        ["providers", "microsoft.authorization", _, ..] => {
            rbac_api::handle(sim, req, None, None, &s[2..], caller)
        }
        ["subscriptions", _, "providers", "microsoft.authorization", kind, ..]
            if rbac_api::serves(kind) =>
        {
            rbac_api::handle(sim, req, Some(&s[1]), None, &s[4..], caller)
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.authorization", kind, ..]
            if rbac_api::serves(kind) =>
        {
            rbac_api::handle(sim, req, Some(&s[1]), Some(&s[3]), &s[6..], caller)
        }
        ["subscriptions", _, "providers", _] => {
            only_get(req).and_then(|_| catalog::get_provider(&sim.world(), &s[1], &s[3]))
        }
        ["subscriptions", _, "providers", _, "resourcetypes"] => {
            only_get(req).and_then(|_| catalog::get_resource_types(&sim.world(), &s[1], &s[3]))
        }
        ["subscriptions", _, "resourcegroups", _, "providers", "microsoft.app", ..] => {
            container_apps::handle(sim, req, &s[1], &s[3], &s[5..], &api_version)
        }
        ["subscriptions", _, "providers", "microsoft.app", "containerapps", _, "operationresults", _] => {
            container_apps::poll(sim, req, &s[1], &s[5], &s[7])
        }
        ["subscriptions", _, "resourcegroups", _, "providers", ..] => {
            resources::handle(sim, req, &s[1], Some(&s[3]), &s[5..], &api_version)
        }
        ["subscriptions", _, "providers", ..] => {
            resources::handle(sim, req, &s[1], None, &s[3..], &api_version)
        }
        _ => Err(no_route(req)),
    }
}

fn only_get(req: &Req) -> Result<(), Failure> {
    if req.method == Method::GET {
        Ok(())
    } else {
        Err(method_not_allowed(req))
    }
}

fn tenants(sim: &Sim) -> Response {
    let t = &sim.identity.tenant_id;
    json_response(
        200,
        &json!({"value": [{
            "id": format!("/tenants/{t}"),
            "tenantId": t,
            "countryCode": "US",
            "displayName": "haymaker sim",
            "domains": ["haymakersim.onmicrosoft.com"],
            "tenantCategory": "Home",
            "defaultDomain": "haymakersim.onmicrosoft.com",
            "tenantType": "AAD",
        }]}),
    )
}

fn render_subscription(tenant: &str, s: &Subscription) -> Value {
    json!({
        "id": format!("/subscriptions/{}", s.id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": s.id,
        "tenantId": tenant,
        "displayName": s.display_name,
        "state": s.state,
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    })
}

/// The subscriptions `caller` holds a role in.
fn list_subscriptions(sim: &Sim, caller: &str) -> Response {
    let world = sim.world();
    let mut subscriptions: Vec<&Subscription> = world
        .subscriptions
        .values()
        .filter(|s| world.sees_subscription(caller, &s.id))
        .collect();
    subscriptions.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let value: Vec<Value> = subscriptions
        .into_iter()
        .map(|s| render_subscription(&world.tenant_id, s))
        .collect();
    let count = value.len();
    json_response(
        200,
        &json!({"value": value, "count": {"type": "Total", "value": count}}),
    )
}

fn get_subscription(sim: &Sim, id: &str) -> Result<Response, Failure> {
    let world = sim.world();
    let s = world.subscription(id)?;
    Ok(json_response(
        200,
        &render_subscription(&world.tenant_id, s),
    ))
}

/// A group as ARM shows it (ResourceGroups_Get).
pub fn render_group(g: &ResourceGroup) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(g.id()));
    out.insert("name".into(), json!(g.name));
    out.insert("type".into(), json!("Microsoft.Resources/resourceGroups"));
    out.insert("location".into(), json!(g.location));
    if let Some(m) = &g.managed_by {
        out.insert("managedBy".into(), json!(m));
    }
    if !g.tags.is_empty() {
        out.insert("tags".into(), Value::Object(g.tags.clone()));
    }
    out.insert(
        "properties".into(),
        json!({"provisioningState": g.state.as_str()}),
    );
    Value::Object(out)
}

/// The request body as a JSON object.
pub fn body_object(req: &Req) -> Result<Map<String, Value>, Failure> {
    let invalid = |detail: String| {
        Failure::new(
            400,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: {detail}"),
        )
    };
    if req.body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid("expected a JSON object.".into())),
        Err(e) => Err(invalid(e.to_string())),
    }
}

/// `tags` of a body: an object of strings.
pub fn tags_of(body: &Map<String, Value>) -> Result<Option<Map<String, Value>>, Failure> {
    match body.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(tags)) if tags.values().all(Value::is_string) => Ok(Some(tags.clone())),
        Some(_) => Err(Failure::new(
            400,
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: 'tags' must be an object of strings.",
        )),
    }
}

fn group(sim: &Sim, req: &Req, api_version: &str) -> ArmResult {
    let (sub, name) = (&req.segments[1], &req.segments[3]);
    match req.method {
        Method::GET => Ok(json_response(
            200,
            &render_group(sim.world().group(sub, name)?),
        )),
        Method::HEAD => {
            let world = sim.world();
            world.subscription(sub)?;
            let exists = world.group(sub, name).is_ok();
            Ok(empty_response(if exists { 204 } else { 404 }))
        }
        Method::PUT => {
            let body = body_object(req)?;
            let Some(location) = body.get("location").and_then(Value::as_str) else {
                return Err(Failure::new(
                    400,
                    "LocationRequired",
                    "The location property is required for this definition.",
                ));
            };
            check_group_name(name)?;
            let tags = tags_of(&body)?.unwrap_or_default();
            let managed_by = body
                .get("managedBy")
                .and_then(Value::as_str)
                .map(str::to_string);
            let (created, group) = sim
                .world()
                .put_group(sub, name, location, tags, managed_by)?;
            Ok(json_response(
                if created { 201 } else { 200 },
                &render_group(&group),
            ))
        }
        Method::PATCH => {
            let body = body_object(req)?;
            let mut world = sim.world();
            let current = world.live_group(sub, name)?.clone();
            let tags = tags_of(&body)?.unwrap_or(current.tags);
            let managed_by = match body.get("managedBy") {
                Some(v) => v.as_str().map(str::to_string),
                None => current.managed_by,
            };
            let (_, group) =
                world.put_group(sub, &current.name, &current.location, tags, managed_by)?;
            Ok(json_response(200, &render_group(&group)))
        }
        Method::DELETE => {
            let op = sim.world().begin_delete_group(sub, name)?;
            Ok(accepted(sim, req, sub, &op, api_version))
        }
        _ => Err(method_not_allowed(req)),
    }
}

/// ARM's rule for group names: 1–90 of letters, digits, `_ - . ( )`, not ending in `.`.
fn check_group_name(name: &str) -> Result<(), Failure> {
    let ok = !name.is_empty()
        && name.chars().count() <= 90
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')'));
    if ok {
        Ok(())
    } else {
        Err(Failure::new(
            400,
            "InvalidResourceGroup",
            format!("The provided resource group name '{name}' has these invalid characters or length; use 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'."),
        ))
    }
}

/// `202 Accepted` pointing at the operation's result, with `Retry-After`.
pub fn accepted(sim: &Sim, req: &Req, subscription: &str, op: &str, api_version: &str) -> Response {
    let mut response = empty_response(202);
    let location = operation_url(req, subscription, op, api_version);
    let (interval, speed) = {
        let world = sim.world();
        (world.poll_interval(), world.config.speed)
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&location) {
        headers.insert("location", v);
    }
    set_retry_after(headers, interval, speed);
    response
}

fn operation_url(req: &Req, subscription: &str, op: &str, api_version: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("api-version", api_version)
        .finish();
    format!(
        "{}/subscriptions/{}/operationresults/{op}?{query}",
        req.base,
        subscription.to_ascii_lowercase()
    )
}

fn poll(sim: &Sim, req: &Req, api_version: &str) -> ArmResult {
    let (sub, op) = (&req.segments[1], &req.segments[3]);
    let status = sim.world().poll_operation(sub, op)?;
    match status {
        OperationStatus::Succeeded => Ok(empty_response(200)),
        OperationStatus::InProgress => Ok(accepted(sim, req, sub, op, api_version)),
    }
}

/// The groups `caller` may read.
fn list_groups(sim: &Sim, req: &Req, caller: &str) -> ArmResult {
    let filter = match req.query("$filter") {
        Some(f) => Some(filter::parse_tag_filter(f)?),
        None => None,
    };
    let world = sim.world();
    let tag = filter
        .as_ref()
        .map(|(name, value)| (name.as_str(), value.as_deref()));
    let value: Vec<Value> = world
        .list_groups(&req.segments[1], tag)?
        .into_iter()
        .filter(|g| world.can(caller, &g.id(), Action::Read))
        .map(render_group)
        .collect();
    Ok(json_response(200, &json!({"value": value})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names() {
        assert!(check_group_name("rg-1_(x).y").is_ok());
        assert!(check_group_name("rg.").is_err());
        assert!(check_group_name("a/b").is_err());
        assert!(check_group_name(&"a".repeat(91)).is_err());
    }
}
