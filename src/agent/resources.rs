//! Which resources a command created or deleted: ids read from `az`'s JSON output (`id` at the top,
//! or in the one wrapping object some commands print, e.g. `{"NewNSG": {...}}`), and for a delete,
//! the resource it names among those this agent created (`--ids`, else `--name` and its parent).

use serde_json::Value;

use crate::events::schema::check_resource_id;

use super::steps::AgentCommand;

/// A resource by its ARM id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRef {
    pub id: String,
    /// `Namespace/type[/childType]`.
    pub resource_type: String,
    pub name: String,
}

impl ResourceRef {
    /// From an ARM id of a resource inside a resource group; `None` for anything else.
    pub fn from_id(id: &str) -> Option<Self> {
        check_resource_id(id).ok()?;
        let parts: Vec<&str> = id.trim_end_matches('/').split('/').collect();
        if parts.len() < 9 {
            return None; // a resource group itself
        }
        let rest = &parts[5..]; // providers, Namespace, type, name, [childType, childName]…
        let mut ty = vec![rest[1].to_string()];
        ty.extend(rest[2..].iter().step_by(2).map(|s| s.to_string()));
        Some(Self {
            id: id.to_string(),
            resource_type: ty.join("/"),
            name: rest.last()?.to_string(),
        })
    }

    /// The name of the parent resource, for child resources.
    fn parent_name(&self) -> Option<&str> {
        let parts: Vec<&str> = self.id.split('/').collect();
        (parts.len() >= 11).then(|| parts[parts.len() - 3])
    }
}

/// The resources in a command's JSON output.
pub fn ids_in_output(stdout: &str) -> Vec<ResourceRef> {
    let Ok(value) = serde_json::from_str::<Value>(stdout.trim()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut take = |v: &Value| {
        if let Some(r) = v
            .get("id")
            .and_then(Value::as_str)
            .and_then(ResourceRef::from_id)
        {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    };
    match &value {
        Value::Object(map) if map.contains_key("id") => take(&value),
        Value::Object(map) => map.values().for_each(&mut take),
        Value::Array(items) => items.iter().for_each(&mut take),
        _ => {}
    }
    out
}

/// What this agent created and has not deleted, in creation order.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    live: Vec<ResourceRef>,
}

impl Inventory {
    pub fn created(&mut self, r: ResourceRef) {
        if !self.live.iter().any(|l| l.id.eq_ignore_ascii_case(&r.id)) {
            self.live.push(r);
        }
    }

    /// Forgets `id` and what this agent created below it (ARM deletes a parent's children with
    /// it: a network's subnets and peerings, a route table's routes); returns those children, in
    /// creation order.
    pub fn remove(&mut self, id: &str) -> Vec<ResourceRef> {
        let below = format!("{}/", id.trim_end_matches('/').to_ascii_lowercase());
        let is_child = |l: &ResourceRef| l.id.to_ascii_lowercase().starts_with(&below);
        let children = self.live.iter().filter(|l| is_child(l)).cloned().collect();
        self.live
            .retain(|l| !l.id.eq_ignore_ascii_case(id) && !is_child(l));
        children
    }

    pub fn live(&self) -> &[ResourceRef] {
        &self.live
    }

    /// The resources a delete command names: `--ids`, else the newest live resource with the
    /// `--name` (and, for a child, whose parent has the name the command's `--<parent>-name` gives).
    pub fn targets(&self, cmd: &AgentCommand) -> Vec<ResourceRef> {
        if let Some(at) = cmd.argv.iter().position(|a| a == "--ids") {
            return cmd.argv[at + 1..]
                .iter()
                .take_while(|a| !a.starts_with("--"))
                .filter_map(|id| {
                    self.live
                        .iter()
                        .find(|l| l.id.eq_ignore_ascii_case(id))
                        .cloned()
                        .or_else(|| ResourceRef::from_id(id))
                })
                .collect();
        }
        let Some(name) = cmd.value_of(&["--name", "-n"]) else {
            return Vec::new();
        };
        let parent = cmd
            .argv
            .iter()
            .position(|a| {
                a.starts_with("--")
                    && a.ends_with("-name")
                    && a != "--name"
                    && a != "--resource-group-name"
            })
            .and_then(|at| cmd.argv.get(at + 1));
        self.live
            .iter()
            .rev()
            .find(|l| {
                l.name.eq_ignore_ascii_case(name)
                    && match (parent, l.parent_name()) {
                        (Some(p), Some(lp)) => p.eq_ignore_ascii_case(lp),
                        (Some(_), None) => false,
                        (None, _) => true,
                    }
            })
            .cloned()
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
#[path = "resources_tests.rs"]
mod tests;
