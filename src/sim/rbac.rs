//! Azure RBAC: the built-in roles Owner, Contributor, Reader and User Access Administrator (their
//! real GUIDs and permissions; the data-plane and delegation roles scenarios ask for are in
//! [`super::rbac_roles`]), role assignments at subscription and resource-group scope, and the
//! check every ARM call passes ([`World::authorize`]). The HTTP endpoints are in
//! [`super::rbac_api`].
//!
//! A call is allowed when the caller holds, at the scope or above, a role whose `actions` match the
//! operation (`{Namespace/type}/{read|write|delete}`, `*` a wildcard, case-insensitive) and whose
//! `notActions` do not — so reads need any role, writes and deletes Owner or Contributor, role
//! assignment writes Owner or User Access Administrator, as in Azure. A new assignment takes effect
//! [`SimConfig::rbac_propagation`](super::SimConfig) (scaled by the speed) after it was made, so a
//! client must poll, as in Azure; it is listed at once. The orchestrator's principal holds Owner on
//! every subscription from the start.

use std::time::Duration;

use chrono::{DateTime, Utc};

pub use super::rbac_roles::DATA_AND_DELEGATION_ROLES;
use super::state::{random_token, Failure, Principal, World};
use crate::config::Secret;

/// A built-in role definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltInRole {
    pub guid: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub actions: &'static [&'static str],
    pub not_actions: &'static [&'static str],
    /// Data-plane operations (blobs, secrets…): shown in the definition; ARM calls never need them.
    pub data_actions: &'static [&'static str],
}

pub const OWNER: BuiltInRole = BuiltInRole {
    guid: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    name: "Owner",
    description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
    actions: &["*"],
    not_actions: &[],
    data_actions: &[],
};

pub const CONTRIBUTOR: BuiltInRole = BuiltInRole {
    guid: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    name: "Contributor",
    description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
    actions: &["*"],
    not_actions: &[
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
        "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write",
        "Microsoft.Purview/consents/delete",
        "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
        "Microsoft.Subscription/cancel/action",
        "Microsoft.Subscription/enable/action",
    ],
    data_actions: &[],
};

pub const READER: BuiltInRole = BuiltInRole {
    guid: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    name: "Reader",
    description: "View all resources, but does not allow you to make any changes.",
    actions: &["*/read"],
    not_actions: &[],
    data_actions: &[],
};

pub const USER_ACCESS_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    guid: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    name: "User Access Administrator",
    description: "Lets you manage user access to Azure resources.",
    actions: &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
    not_actions: &[],
    data_actions: &[],
};

/// Every role the simulated tenant defines.
pub const BUILT_IN_ROLES: &[BuiltInRole] = &[
    OWNER,
    CONTRIBUTOR,
    READER,
    USER_ACCESS_ADMINISTRATOR,
    DATA_AND_DELEGATION_ROLES[0],
    DATA_AND_DELEGATION_ROLES[1],
    DATA_AND_DELEGATION_ROLES[2],
    DATA_AND_DELEGATION_ROLES[3],
    DATA_AND_DELEGATION_ROLES[4],
    DATA_AND_DELEGATION_ROLES[5],
    DATA_AND_DELEGATION_ROLES[6],
    DATA_AND_DELEGATION_ROLES[7],
];

/// The built-in role with this GUID (any case).
pub fn role_by_guid(guid: &str) -> Option<&'static BuiltInRole> {
    BUILT_IN_ROLES
        .iter()
        .find(|r| r.guid.eq_ignore_ascii_case(guid))
}

impl BuiltInRole {
    /// Whether the role permits `operation` (e.g. `Microsoft.Resources/subscriptions/resourceGroups/write`).
    pub fn allows(&self, operation: &str) -> bool {
        self.actions.iter().any(|a| glob(a, operation))
            && !self.not_actions.iter().any(|a| glob(a, operation))
    }
}

/// `*` matches any run of characters; the rest compares case-insensitively.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// What a call does to what it addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Write,
    Delete,
    /// Create a role assignment (`Microsoft.Authorization/roleAssignments/write`), whatever the path.
    AssignRoles,
}

/// ARM's name for `action` on the resource (or collection) at `path`:
/// `/subscriptions/s/resourceGroups/g` → `Microsoft.Resources/subscriptions/resourceGroups/write`,
/// `…/providers/Microsoft.Network/virtualNetworks/v/subnets/s` →
/// `Microsoft.Network/virtualNetworks/subnets/read`.
pub fn operation_name(path: &str, action: Action) -> String {
    let verb = match action {
        Action::Read => "read",
        Action::Write => "write",
        Action::Delete => "delete",
        Action::AssignRoles => return "Microsoft.Authorization/roleAssignments/write".into(),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let providers = segments
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"));
    let resource_type = match providers {
        Some(p) if segments.len() > p + 2 => {
            let mut t = segments[p + 1].to_string();
            for ty in segments[p + 2..].iter().step_by(2) {
                t.push('/');
                t.push_str(ty);
            }
            t
        }
        Some(_) => "Microsoft.Resources/subscriptions/providers".into(),
        None => match segments.get(2) {
            None => "Microsoft.Resources/subscriptions".into(),
            Some(kind) if kind.eq_ignore_ascii_case("resourcegroups") => {
                "Microsoft.Resources/subscriptions/resourceGroups".into()
            }
            Some(kind) => format!("Microsoft.Resources/subscriptions/{kind}"),
        },
    };
    format!("{resource_type}/{verb}")
}

/// A role assignment. `scope` is canonical (`/subscriptions/{id}[/resourceGroups/{name}]`).
#[derive(Debug, Clone, PartialEq)]
pub struct RoleAssignment {
    pub name: String,
    pub scope: String,
    pub role: &'static BuiltInRole,
    /// Object id of the principal, as given.
    pub principal_id: String,
    pub principal_type: String,
    pub created_at: DateTime<Utc>,
    /// Object id of who made it.
    pub created_by: String,
    /// When it starts to count for [`World::authorize`].
    pub effective_at: DateTime<Utc>,
}

impl RoleAssignment {
    pub fn id(&self) -> String {
        format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            self.scope, self.name
        )
    }

    /// Whether the assignment applies at `path` (its scope or below).
    pub fn covers(&self, path: &str) -> bool {
        within(path, &self.scope)
    }
}

/// `path` is `scope` or below it (case-insensitive, slashes normalised).
pub fn within(path: &str, scope: &str) -> bool {
    let norm = |s: &str| {
        s.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
    };
    let (p, s) = (norm(path), norm(scope));
    p.len() >= s.len() && p[..s.len()] == s[..]
}

/// A deterministic GUID-shaped name for the seeded assignments.
fn seeded_name(scope: &str, principal: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("haymaker-sim/owner/{scope}/{principal}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

impl World {
    /// Owner on every subscription for `principal` (the orchestrator), in effect at once.
    pub(super) fn seed_owner(&mut self, principal: &str) {
        let scopes: Vec<String> = self
            .subscriptions
            .keys()
            .map(|s| format!("/subscriptions/{s}"))
            .collect();
        for scope in scopes {
            let a = RoleAssignment {
                name: seeded_name(&scope, principal),
                scope,
                role: &OWNER,
                principal_id: principal.to_string(),
                principal_type: "ServicePrincipal".into(),
                created_at: self.now,
                created_by: principal.to_string(),
                effective_at: DateTime::<Utc>::MIN_UTC,
            };
            self.role_assignments.insert(a.id().to_ascii_lowercase(), a);
        }
    }

    /// A new service principal with a client secret (tests; the simulated Graph adds its own).
    pub fn add_principal(&mut self, display_name: &str) -> Principal {
        let principal = Principal {
            client_id: uuid::Uuid::new_v4().to_string(),
            secret: Secret::new(format!("sim~{}", &random_token()[..36])),
            object_id: uuid::Uuid::new_v4().to_string(),
            display_name: display_name.to_string(),
        };
        self.principals
            .insert(principal.client_id.to_ascii_lowercase(), principal.clone());
        principal
    }

    /// The principal with this client id.
    pub fn principal_by_client(&self, client_id: &str) -> Option<&Principal> {
        self.principals.get(&client_id.to_ascii_lowercase())
    }

    /// The principal with this object id.
    pub fn principal_by_object(&self, object_id: &str) -> Option<&Principal> {
        self.principals
            .values()
            .find(|p| p.object_id.eq_ignore_ascii_case(object_id))
    }

    /// Assignments of `principal` in effect now.
    fn effective(&self, principal: &str) -> impl Iterator<Item = &RoleAssignment> {
        let now = self.now;
        let principal = principal.to_string();
        self.role_assignments.values().filter(move |a| {
            a.principal_id.eq_ignore_ascii_case(&principal) && a.effective_at <= now
        })
    }

    /// Whether `principal` (object id) may do `action` on `path` now.
    pub fn can(&self, principal: &str, path: &str, action: Action) -> bool {
        let operation = operation_name(path, action);
        self.effective(principal)
            .any(|a| a.covers(path) && a.role.allows(&operation))
    }

    /// Whether `principal` holds any role in effect in the subscription (at it or below): what
    /// seeing the subscription, its locations and providers takes.
    pub fn sees_subscription(&self, principal: &str, subscription: &str) -> bool {
        let scope = format!("/subscriptions/{subscription}");
        self.effective(principal).any(|a| within(&a.scope, &scope))
    }

    /// [`World::can`], or ARM's `403 AuthorizationFailed`.
    pub fn authorize(&self, principal: &str, path: &str, action: Action) -> Result<(), Failure> {
        if self.can(principal, path, action) {
            return Ok(());
        }
        let client = self
            .principal_by_object(principal)
            .map_or(principal, |p| p.client_id.as_str());
        Err(Failure::new(
            403,
            "AuthorizationFailed",
            format!(
                "The client '{client}' with object id '{principal}' does not have authorization to perform action '{}' over scope '{path}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
                operation_name(path, action)
            ),
        ))
    }

    /// When an assignment made now takes effect.
    pub(super) fn propagated_at(&self) -> DateTime<Utc> {
        self.done_at(self.config.rbac_propagation)
    }

    /// The propagation delay at the world's speed.
    pub fn propagation_delay(&self) -> Duration {
        self.config.scaled(self.config.rbac_propagation)
    }
}

#[cfg(test)]
#[path = "rbac_tests.rs"]
mod tests;
