//! What the simulator still holds of a run, read straight from its world: resource groups and
//! resources whose tags make them the run's (as cleanup's scope guard reads tags; container apps
//! included), role assignments of the run's
//! principals, applications and service principals named for the run (live or in deleted items),
//! and the run's Key Vault secrets (live or soft-deleted). The sandbox's verdict needs all empty.

use serde::Serialize;
use uuid::Uuid;

use crate::run::names;
use crate::sim::Sim;

/// Everything of the run still present, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Leftovers {
    pub resource_groups: Vec<String>,
    pub resources: Vec<String>,
    pub role_assignments: Vec<String>,
    pub applications: Vec<String>,
    pub service_principals: Vec<String>,
    pub deleted_directory_items: Vec<String>,
    pub secrets: Vec<String>,
    pub deleted_secrets: Vec<String>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    pub fn total(&self) -> usize {
        self.resource_groups.len()
            + self.resources.len()
            + self.role_assignments.len()
            + self.applications.len()
            + self.service_principals.len()
            + self.deleted_directory_items.len()
            + self.secrets.len()
            + self.deleted_secrets.len()
    }

    /// One line per kind that is not empty.
    pub fn lines(&self) -> Vec<String> {
        let kinds: [(&str, &Vec<String>); 8] = [
            ("resource groups", &self.resource_groups),
            ("resources", &self.resources),
            ("role assignments", &self.role_assignments),
            ("applications", &self.applications),
            ("service principals", &self.service_principals),
            ("deleted directory items", &self.deleted_directory_items),
            ("secrets", &self.secrets),
            ("soft-deleted secrets", &self.deleted_secrets),
        ];
        kinds
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{} {k}: {}", v.len(), v.join(", ")))
            .collect()
    }
}

/// Whether the tags make a resource the run's, as cleanup's scope guard reads them.
fn tagged(tags: &serde_json::Map<String, serde_json::Value>, run_id: Uuid) -> bool {
    let tags: std::collections::BTreeMap<String, String> = tags
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    crate::cleanup::verdict(run_id, Some(&tags)).is_ours()
}

/// Reads the world. `known_principals`: the object ids of the run's service principals from the run
/// document (their role assignments count even after the principal itself is gone).
pub fn of_run(sim: &Sim, run_id: Uuid, known_principals: &[String]) -> Leftovers {
    let world = sim.world();
    let prefix = names::principal_prefix(run_id);
    let secret_prefix = format!("haymaker-{}", run_id.simple());
    let mut left = Leftovers::default();
    for g in world.groups.values() {
        if tagged(&g.tags, run_id) {
            left.resource_groups.push(g.id());
        }
    }
    for r in world.resources.values() {
        let tags = r.body["tags"].as_object().cloned().unwrap_or_default();
        if tagged(&tags, run_id) {
            left.resources.push(r.id.clone());
        }
    }
    let mut principals: Vec<String> = world
        .service_principals()
        .iter()
        .filter(|p| p.display_name.starts_with(&prefix))
        .map(|p| p.id.clone())
        .collect();
    principals.extend(known_principals.iter().cloned());
    for a in world.applications() {
        if a.display_name.starts_with(&prefix) {
            left.applications.push(a.display_name.clone());
        }
    }
    for p in world.service_principals() {
        if p.display_name.starts_with(&prefix) {
            left.service_principals.push(p.display_name.clone());
        }
    }
    for d in world.deleted_directory_items() {
        if d.display_name().starts_with(&prefix) {
            left.deleted_directory_items
                .push(d.display_name().to_string());
        }
    }
    for a in world.role_assignments.values() {
        if principals
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&a.principal_id))
        {
            left.role_assignments.push(a.id());
        }
    }
    for s in world.secrets() {
        if s.name.starts_with(&secret_prefix) {
            left.secrets.push(s.name.clone());
        }
    }
    for s in world.deleted_secrets() {
        if s.name.starts_with(&secret_prefix) {
            left.deleted_secrets.push(s.name.clone());
        }
    }
    left
}
