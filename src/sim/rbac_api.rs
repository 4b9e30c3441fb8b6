//! `Microsoft.Authorization` over HTTP, at subscription and resource-group scope (and role
//! definitions at tenant level, `/providers/Microsoft.Authorization/roleDefinitions`):
//!
//! - `GET {scope}/…/roleDefinitions[?$filter=roleName eq '…']`, `GET {scope}/…/roleDefinitions/{guid}`;
//! - `PUT|GET|DELETE {scope}/…/roleAssignments/{name}` (a GUID); PUT answers 201, or 200 for the
//!   same assignment again; `400 PrincipalNotFound` for a principal the tenant does not have,
//!   `409 RoleAssignmentExists` for the same (scope, principal, role) under another name; DELETE
//!   answers 200 with the assignment, 204 when there was none;
//! - `GET {scope}/…/roleAssignments[?$filter=atScope() | principalId eq '…' | assignedTo('…')]`:
//!   assignments at, above and below the scope (`atScope()`: at and above).
//!
//! Response shapes follow Microsoft's examples (`roleDefinitionId` in the tenant form
//! `/providers/Microsoft.Authorization/roleDefinitions/{guid}`, as they show it). Who may call is
//! decided before this module, by [`World::authorize`].

use axum::http::Method;
use serde_json::{json, Value};

use super::arm::{body_object, method_not_allowed, ArmResult};
use super::rbac::{role_by_guid, within, BuiltInRole, RoleAssignment, BUILT_IN_ROLES};
use super::state::World;
use super::{empty_response, json_response, Failure, Req, Sim};

/// A role definition as ARM shows it; `subscription` `None`: the tenant-level id.
pub fn render_definition(role: &BuiltInRole, subscription: Option<&str>) -> Value {
    let prefix = subscription.map_or(String::new(), |s| format!("/subscriptions/{s}"));
    json!({
        "properties": {
            "roleName": role.name,
            "type": "BuiltInRole",
            "description": role.description,
            "assignableScopes": ["/"],
            "permissions": [{
                "actions": role.actions,
                "notActions": role.not_actions,
                "dataActions": role.data_actions,
                "notDataActions": [],
            }],
        },
        "id": format!("{prefix}/providers/Microsoft.Authorization/roleDefinitions/{}", role.guid),
        "type": "Microsoft.Authorization/roleDefinitions",
        "name": role.guid,
    })
}

/// A role assignment as ARM shows it.
pub fn render_assignment(a: &RoleAssignment) -> Value {
    let at = a
        .created_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    json!({
        "properties": {
            "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{}", a.role.guid),
            "principalId": a.principal_id,
            "principalType": a.principal_type,
            "scope": a.scope,
            "condition": null,
            "conditionVersion": null,
            "createdOn": at,
            "updatedOn": at,
            "createdBy": a.created_by,
            "updatedBy": a.created_by,
            "delegatedManagedIdentityResourceId": null,
            "description": null,
        },
        "id": a.id(),
        "type": "Microsoft.Authorization/roleAssignments",
        "name": a.name,
    })
}

fn bad_filter(filter: &str, accepted: &str) -> Failure {
    Failure::new(
        400,
        "InvalidFilter",
        format!("The filter '{filter}' is not supported; use {accepted}."),
    )
}

/// The value of `name eq 'value'` / `name('value')`, OData quotes undone.
fn quoted(clause: &str, prefix: &str, suffix: &str) -> Option<String> {
    let c = clause.trim();
    if c.len() < prefix.len() || !c[..prefix.len()].eq_ignore_ascii_case(prefix) {
        return None;
    }
    let inner = c[prefix.len()..]
        .trim_start()
        .strip_suffix(suffix)?
        .trim_end();
    let inner = inner.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.replace("''", "'"))
}

/// Which assignments a list returns.
#[derive(Debug, Default, PartialEq)]
struct AssignmentFilter {
    at_scope: bool,
    principal: Option<String>,
}

fn parse_assignment_filter(filter: &str) -> Result<AssignmentFilter, Failure> {
    let accepted = "atScope(), principalId eq '{id}', assignedTo('{id}') or atScope() and principalId eq '{id}'";
    let mut out = AssignmentFilter::default();
    let lower = filter.to_ascii_lowercase();
    let mut rest = filter;
    let mut offset = 0;
    let mut clauses = Vec::new();
    while let Some(at) = lower[offset..].find(" and ") {
        clauses.push(&rest[..at]);
        rest = &rest[at + 5..];
        offset += at + 5;
    }
    clauses.push(rest);
    for clause in clauses {
        let c = clause.trim();
        if c.eq_ignore_ascii_case("atScope()") {
            out.at_scope = true;
        } else if let Some(id) =
            quoted(c, "principalId eq", "").or_else(|| quoted(c, "assignedTo(", ")"))
        {
            out.principal = Some(id);
        } else {
            return Err(bad_filter(filter, accepted));
        }
    }
    Ok(out)
}

impl World {
    /// The canonical scope: the subscription, or a group that exists (and is not being deleted,
    /// for `write`).
    fn rbac_scope(&self, sub: &str, group: Option<&str>, write: bool) -> Result<String, Failure> {
        let sub = self.subscription(sub)?.id.clone();
        match group {
            None => Ok(format!("/subscriptions/{sub}")),
            Some(g) if write => Ok(self.live_group(&sub, g)?.id()),
            Some(g) => Ok(self.group(&sub, g)?.id()),
        }
    }

    /// Creates the assignment `name` at `scope`; `true` when it was created (`false`: it was there).
    pub fn put_role_assignment(
        &mut self,
        scope: &str,
        name: &str,
        body: &serde_json::Map<String, Value>,
        caller: &str,
    ) -> Result<(bool, RoleAssignment), Failure> {
        if uuid::Uuid::parse_str(name).is_err() {
            return Err(Failure::new(400, "InvalidRoleAssignmentId", format!("The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")));
        }
        let props = body.get("properties").and_then(Value::as_object);
        let text = |k: &str| props.and_then(|p| p.get(k)).and_then(Value::as_str);
        let Some(principal_id) = text("principalId").filter(|p| !p.trim().is_empty()) else {
            return Err(Failure::new(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment: properties.principalId is missing."));
        };
        let role_id = text("roleDefinitionId").unwrap_or("");
        let guid = role_id.rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
        let role = role_by_guid(guid)
            .filter(|_| role_id.to_ascii_lowercase().contains("/providers/microsoft.authorization/roledefinitions/"))
            .ok_or_else(|| Failure::new(400, "RoleDefinitionDoesNotExist", format!("The specified role definition with ID '{guid}' does not exist. properties.roleDefinitionId must be '/subscriptions/{{id}}/providers/Microsoft.Authorization/roleDefinitions/{{guid}}' of one of: {}.", BUILT_IN_ROLES.iter().map(|r| format!("{} ({})", r.name, r.guid)).collect::<Vec<_>>().join(", "))))?;
        if self.principal_by_object(principal_id).is_none() {
            return Err(Failure::new(400, "PrincipalNotFound", format!("Principal {} does not exist in the directory {}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype", principal_id.replace('-', ""), self.tenant_id)));
        }
        let id = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}");
        let key = id.to_ascii_lowercase();
        if let Some(existing) = self.role_assignments.get(&key) {
            if existing.principal_id.eq_ignore_ascii_case(principal_id) && existing.role == role {
                return Ok((false, existing.clone()));
            }
            return Err(Failure::new(
                409,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            ));
        }
        let twin = self.role_assignments.values().find(|a| {
            a.scope.eq_ignore_ascii_case(scope)
                && a.principal_id.eq_ignore_ascii_case(principal_id)
                && a.role == role
        });
        if let Some(twin) = twin {
            return Err(Failure::new(409, "RoleAssignmentExists", format!("The role assignment already exists. The ID of the existing role assignment is {}.", twin.name.replace('-', ""))));
        }
        let assignment = RoleAssignment {
            name: name.to_ascii_lowercase(),
            scope: scope.to_string(),
            role,
            principal_id: principal_id.to_string(),
            principal_type: text("principalType")
                .unwrap_or("ServicePrincipal")
                .to_string(),
            created_at: self.now,
            created_by: caller.to_string(),
            effective_at: self.propagated_at(),
        };
        self.role_assignments.insert(key, assignment.clone());
        Ok((true, assignment))
    }

    /// Assignments visible from `scope`: at, above and below it (`at_scope`: at and above only).
    pub fn list_role_assignments(
        &self,
        scope: &str,
        at_scope: bool,
        principal: Option<&str>,
    ) -> Vec<&RoleAssignment> {
        self.role_assignments
            .values()
            .filter(|a| within(scope, &a.scope) || (!at_scope && within(&a.scope, scope)))
            .filter(|a| principal.is_none_or(|p| a.principal_id.eq_ignore_ascii_case(p)))
            .collect()
    }
}

/// Whether this module serves `…/providers/Microsoft.Authorization/{kind}` (lower-case); the
/// provider's other types are generic resources.
pub fn serves(kind: &str) -> bool {
    matches!(kind, "roledefinitions" | "roleassignments")
}

/// Serves `…/providers/Microsoft.Authorization/{rest}` at the subscription `sub` (`None`: tenant
/// level) and group `group`; `caller` is the object id of who asks.
pub fn handle(
    sim: &Sim,
    req: &Req,
    sub: Option<&str>,
    group: Option<&str>,
    rest: &[String],
    caller: &str,
) -> ArmResult {
    let lower: Vec<String> = rest.iter().map(|s| s.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match (lower.as_slice(), sub) {
        (["roledefinitions"], _) | (["roledefinitions", _], _) => definitions(sim, req, sub, group, rest),
        (["roleassignments"], Some(sub)) => {
            if req.method != Method::GET {
                return Err(method_not_allowed(req));
            }
            let filter = match req.query("$filter") {
                Some(f) => parse_assignment_filter(f)?,
                None => AssignmentFilter::default(),
            };
            let world = sim.world();
            let scope = world.rbac_scope(sub, group, false)?;
            let value: Vec<Value> = world
                .list_role_assignments(&scope, filter.at_scope, filter.principal.as_deref())
                .into_iter()
                .map(render_assignment)
                .collect();
            Ok(json_response(200, &json!({"value": value})))
        }
        (["roleassignments", _], Some(sub)) => {
            let name = &rest[1];
            let mut world = sim.world();
            match req.method {
                Method::PUT => {
                    let body = body_object(req)?;
                    let scope = world.rbac_scope(sub, group, true)?;
                    let (created, a) = world.put_role_assignment(&scope, name, &body, caller)?;
                    Ok(json_response(if created { 201 } else { 200 }, &render_assignment(&a)))
                }
                Method::GET | Method::DELETE => {
                    let scope = world.rbac_scope(sub, group, false)?;
                    let key = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}").to_ascii_lowercase();
                    if req.method == Method::GET {
                        let a = world.role_assignments.get(&key).ok_or_else(|| {
                            Failure::new(404, "RoleAssignmentNotFound", format!("The role assignment '{name}' is not found."))
                        })?;
                        return Ok(json_response(200, &render_assignment(a)));
                    }
                    Ok(match world.role_assignments.remove(&key) {
                        Some(a) => json_response(200, &render_assignment(&a)),
                        None => empty_response(204),
                    })
                }
                _ => Err(method_not_allowed(req)),
            }
        }
        _ => Err(Failure::new(404, "NotFound", format!("The simulator serves no Microsoft.Authorization operation at {} {} (role definitions and role assignments only).", req.method, req.path()))),
    }
}

fn definitions(
    sim: &Sim,
    req: &Req,
    sub: Option<&str>,
    group: Option<&str>,
    rest: &[String],
) -> ArmResult {
    if req.method != Method::GET {
        return Err(method_not_allowed(req));
    }
    let sub = match sub {
        Some(s) => {
            let world = sim.world();
            world.rbac_scope(s, group, false)?;
            Some(world.subscription(s)?.id.clone())
        }
        None => None,
    };
    if let Some(guid) = rest.get(1) {
        let role = role_by_guid(guid).ok_or_else(|| {
            Failure::new(
                404,
                "RoleDefinitionDoesNotExist",
                format!("The specified role definition with ID '{guid}' does not exist."),
            )
        })?;
        return Ok(json_response(200, &render_definition(role, sub.as_deref())));
    }
    let name = match req.query("$filter") {
        None => None,
        Some(f) => match quoted(f, "roleName eq", "") {
            Some(name) => Some(name),
            None if f.trim().eq_ignore_ascii_case("type eq 'BuiltInRole'") => None,
            None => {
                return Err(bad_filter(
                    f,
                    "roleName eq '{name}' or type eq 'BuiltInRole'",
                ))
            }
        },
    };
    let value: Vec<Value> = BUILT_IN_ROLES
        .iter()
        .filter(|r| {
            name.as_deref()
                .is_none_or(|n| r.name.eq_ignore_ascii_case(n))
        })
        .map(|r| render_definition(r, sub.as_deref()))
        .collect();
    Ok(json_response(200, &json!({"value": value})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_filters() {
        let f = |s: &str| parse_assignment_filter(s);
        assert_eq!(
            f("atScope()").unwrap(),
            AssignmentFilter {
                at_scope: true,
                principal: None
            }
        );
        assert_eq!(
            f("principalId eq 'ab-1'").unwrap().principal.as_deref(),
            Some("ab-1")
        );
        assert_eq!(
            f("atScope() AND principalId eq 'x'").unwrap(),
            AssignmentFilter {
                at_scope: true,
                principal: Some("x".into())
            }
        );
        assert_eq!(
            f("assignedTo('o''k')").unwrap().principal.as_deref(),
            Some("o'k")
        );
        let e = f("roleName eq 'x'").unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "InvalidFilter"));
        assert!(e.message.contains("atScope()"), "{}", e.message);
    }
}
