//! Child resources the network provider also carries inside its parent: a virtual network's
//! `properties.subnets` and `properties.virtualNetworkPeerings`, a route table's
//! `properties.routes`, a network security group's `properties.securityRules`.
//!
//! As the real provider does, a parent PUT whose body lists such a collection creates or replaces
//! each listed child (addressable by its own id afterwards) and removes the children of that
//! collection it does not list (refused, like a delete, while one is in use); a collection the body
//! leaves out is left as it is. Every answer for the parent (GET, list, PUT, PATCH) shows the
//! collections as they are now — children written by their own PUT included — with `id`, `name`,
//! `type` and `properties` each, and an empty array when there are none. The Azure CLI relies on
//! both: `az network vnet create --subnet-name` writes a subnet inline that `az network vnet subnet
//! update` then reads by id, and `az network vnet update` PUTs back what it read.

use serde_json::{json, Map, Value};

use super::resources::{compose, Address};
use super::state::{Failure, Resource, World};

/// (parent type in lower case, property, child type below the parent).
const INLINE: &[(&str, &str, &str)] = &[
    ("microsoft.network/virtualnetworks", "subnets", "subnets"),
    (
        "microsoft.network/virtualnetworks",
        "virtualNetworkPeerings",
        "virtualNetworkPeerings",
    ),
    ("microsoft.network/routetables", "routes", "routes"),
    (
        "microsoft.network/networksecuritygroups",
        "securityRules",
        "securityRules",
    ),
];

/// The inline collections of `resource_type`: (property, child type).
fn collections(resource_type: &str) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    INLINE
        .iter()
        .filter(move |(parent, _, _)| parent.eq_ignore_ascii_case(resource_type))
        .map(|(_, property, child)| (*property, *child))
}

/// The children a parent PUT lists, taken out of its body, ready to be written.
#[derive(Debug, Default)]
pub struct InlineChildren {
    /// Per collection given: the child type and the composed children (lower-case id, resource).
    given: Vec<(&'static str, Vec<(String, Resource)>)>,
}

/// `key`'s direct children of `child_type` (lower-case ids).
fn child_prefix(key: &str, child_type: &str) -> String {
    format!("{key}/{}/", child_type.to_ascii_lowercase())
}

impl World {
    /// Takes the inline collections out of the body of a PUT of `addr` (whose id is `id`) and
    /// composes each listed child; a child without a name is refused.
    pub(super) fn take_inline(
        &self,
        addr: &Address,
        id: &str,
        api_version: &str,
        body: &mut Map<String, Value>,
    ) -> Result<InlineChildren, Failure> {
        let mut out = InlineChildren::default();
        let Some(Value::Object(properties)) = body.get_mut("properties") else {
            return Ok(out);
        };
        for (property, child_type) in collections(&addr.resource_type()) {
            let Some(listed) = properties.remove(property) else {
                continue;
            };
            let items = match listed {
                Value::Array(items) => items,
                Value::Null => Vec::new(),
                _ => {
                    return Err(Failure::new(
                        400,
                        "InvalidRequestFormat",
                        format!(
                            "Cannot parse the request: 'properties.{property}' must be an array."
                        ),
                    ))
                }
            };
            let mut children = Vec::new();
            for item in items {
                let Value::Object(item) = item else {
                    return Err(Failure::new(
                        400,
                        "InvalidRequestFormat",
                        format!("Cannot parse the request: each of 'properties.{property}' must be an object."),
                    ));
                };
                let Some(name) = item.get("name").and_then(Value::as_str).map(str::to_string)
                else {
                    return Err(Failure::new(
                        400,
                        "InvalidRequestFormat",
                        format!("Cannot parse the request: an entry of 'properties.{property}' has no name."),
                    ));
                };
                let child_id = format!("{id}/{child_type}/{name}");
                let child_full_type = format!("{}/{child_type}", addr.resource_type());
                let body = compose(&child_id, &name, &child_full_type, item)?;
                children.push((
                    child_id.to_ascii_lowercase(),
                    Resource {
                        id: child_id,
                        resource_type: child_full_type,
                        api_version: api_version.to_string(),
                        body,
                    },
                ));
            }
            out.given.push((child_type, children));
        }
        Ok(out)
    }

    /// Why writing `children` under `key` cannot be done: a child it removes is in use.
    pub(super) fn inline_conflict(&self, key: &str, children: &InlineChildren) -> Option<Failure> {
        self.inline_removals(key, children)
            .into_iter()
            .find_map(|gone| self.delete_conflict(&gone))
    }

    /// The existing children of the collections given that the body no longer lists.
    fn inline_removals(&self, key: &str, children: &InlineChildren) -> Vec<String> {
        let mut gone = Vec::new();
        for (child_type, listed) in &children.given {
            let prefix = child_prefix(key, child_type);
            gone.extend(
                self.resources
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .filter(|(k, _)| !k[prefix.len()..].contains('/'))
                    .filter(|(k, _)| !listed.iter().any(|(l, _)| l == *k))
                    .map(|(k, _)| k.clone()),
            );
        }
        gone
    }

    /// Writes the children a parent PUT listed under the parent at `key` (already written) and
    /// removes those of the same collections it did not list, with their own children.
    pub(super) fn write_inline(&mut self, key: &str, children: InlineChildren) {
        for gone in self.inline_removals(key, &children) {
            let below = format!("{gone}/");
            self.resources
                .retain(|k, _| *k != gone && !k.starts_with(&below));
        }
        for (_, listed) in children.given {
            for (child_key, child) in listed {
                self.resources.insert(child_key, child);
            }
        }
    }

    /// The resource's body as the provider answers it: its inline collections filled with the
    /// children it has now.
    pub fn rendered(&self, resource: &Resource) -> Value {
        let mut body = resource.body.clone();
        let key = resource.id.to_ascii_lowercase();
        let mut found = collections(&resource.resource_type).peekable();
        if found.peek().is_none() {
            return body;
        }
        let Some(properties) = body
            .as_object_mut()
            .map(|b| b.entry("properties").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut)
        else {
            return body;
        };
        for (property, child_type) in found {
            let prefix = child_prefix(&key, child_type);
            let children: Vec<Value> = self
                .resources
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .filter(|(k, _)| !k[prefix.len()..].contains('/'))
                .map(|(_, r)| r.body.clone())
                .collect();
            properties.insert(property.to_string(), Value::Array(children));
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_network_parents_have_inline_collections() {
        let vnet: Vec<_> = collections("Microsoft.Network/virtualNetworks").collect();
        assert_eq!(
            vnet,
            [
                ("subnets", "subnets"),
                ("virtualNetworkPeerings", "virtualNetworkPeerings")
            ]
        );
        assert_eq!(collections("microsoft.network/routetables").count(), 1);
        assert_eq!(collections("Microsoft.Storage/storageAccounts").count(), 0);
        assert_eq!(
            collections("Microsoft.Network/virtualNetworks/subnets").count(),
            0
        );
    }
}
