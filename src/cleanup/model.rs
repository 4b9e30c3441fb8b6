//! What discovery finds and what a run's identities are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which resources discovery looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunFilter {
    /// Tagged `haymaker-run-id=<run>`.
    Run(uuid::Uuid),
    /// Tagged `haymaker-managed=true`, any run (for `haymaker discover` without `--run`).
    AllManaged,
}

/// One resource or resource group as discovery saw it (tags may be stale: the scope guard re-reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub id: String,
    /// `Namespace/type[/child…]` (`Microsoft.Resources/resourceGroups` for a group), any case.
    pub resource_type: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl Found {
    pub fn new(id: &str, resource_type: &str, tags: &[(&str, &str)]) -> Self {
        Self {
            id: id.to_string(),
            resource_type: resource_type.to_string(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The value of tag `key` (tag names compare case-insensitively in Azure).
    pub fn tag(&self, key: &str) -> Option<&str> {
        tag_of(&self.tags, key)
    }

    /// The resource group named in the id, lower-cased.
    pub fn group(&self) -> Option<String> {
        group_of(&self.id)
    }
}

/// The value of tag `key`, compared case-insensitively.
pub fn tag_of<'a>(tags: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// `/subscriptions/{s}/resourceGroups/{rg}/…` → `rg` (lower case).
pub fn group_of(id: &str) -> Option<String> {
    let segs: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        [s, _, g, name, ..]
            if s.eq_ignore_ascii_case("subscriptions")
                && g.eq_ignore_ascii_case("resourceGroups") =>
        {
            Some(name.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// Whether `id` is a resource group id (`/subscriptions/{s}/resourceGroups/{rg}`).
pub fn is_group_id(id: &str) -> bool {
    id.split('/').filter(|s| !s.is_empty()).count() == 4 && group_of(id).is_some()
}

/// What discovery found in one subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionInventory {
    pub subscription: String,
    /// Resources (not groups) carrying the run's tag.
    pub resources: Vec<Found>,
    /// Resource groups carrying the run's tag.
    pub groups: Vec<Found>,
    /// Every resource inside those groups, tagged or not: a group is deleted whole only when all of
    /// these are the run's.
    pub members: Vec<Found>,
}

impl SubscriptionInventory {
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.groups.is_empty()
    }

    /// Distinct ids discovery named (resources, groups, members).
    pub fn all_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .resources
            .iter()
            .chain(&self.groups)
            .chain(&self.members)
            .map(|f| f.id.clone())
            .collect();
        ids.sort_by_key(|i| i.to_ascii_lowercase());
        ids.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        ids
    }
}

/// One scenario's identity: an application and its service principal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPrincipal {
    /// The application's object id (`/applications/{id}`).
    pub app_object_id: Option<String>,
    /// The service principal's object id (`/servicePrincipals/{id}`; role assignments name it).
    pub sp_object_id: Option<String>,
    /// The client id.
    pub app_id: String,
    /// `haymaker-<run>-<scenario>`.
    pub display_name: String,
}

/// Everything of a run that lives outside resource groups. The run state supplies it; discovery by
/// the display-name prefix adds orphans when the state is lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIdentities {
    pub principals: Vec<RunPrincipal>,
    /// Key Vault secret names holding the principals' passwords.
    pub secret_names: Vec<String>,
    /// Full role assignment ids (`{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`).
    pub role_assignment_ids: Vec<String>,
}

impl RunIdentities {
    pub fn is_empty(&self) -> bool {
        self.principals.is_empty()
            && self.secret_names.is_empty()
            && self.role_assignment_ids.is_empty()
    }

    /// `self` plus what `other` adds (principals matched by app id, the rest by value).
    pub fn merge(&mut self, other: RunIdentities) {
        for p in other.principals {
            match self
                .principals
                .iter_mut()
                .find(|q| q.app_id.eq_ignore_ascii_case(&p.app_id))
            {
                Some(q) => {
                    q.app_object_id = q.app_object_id.take().or(p.app_object_id);
                    q.sp_object_id = q.sp_object_id.take().or(p.sp_object_id);
                }
                None => self.principals.push(p),
            }
        }
        for s in other.secret_names {
            if !self.secret_names.contains(&s) {
                self.secret_names.push(s);
            }
        }
        for r in other.role_assignment_ids {
            if !self
                .role_assignment_ids
                .iter()
                .any(|x| x.eq_ignore_ascii_case(&r))
            {
                self.role_assignment_ids.push(r);
            }
        }
    }
}
