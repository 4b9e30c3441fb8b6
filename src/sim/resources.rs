//! ARM generic resources of any `Namespace/type`, child types included
//! (`…/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default`), at resource-group or
//! subscription scope: PUT, PATCH, GET, HEAD, DELETE by id, and GET of a collection.
//!
//! The api-version must be one the provider lists for the type ([`catalog::check_api_version`]).
//! What ARM does regardless of the provider is simulated: the group must exist (and not be being
//! deleted, for writes), a child needs its parent, `location` is normalised, tags are kept, deleting
//! a resource deletes its children, deleting what is absent answers 204. Provider-specific status
//! codes are in [`create_status`]; the network provider's child collections carried inside their
//! parent are in [`super::inline`]. Extension resources (a second `providers` segment) are left to
//! the RBAC slice.

use axum::http::Method;
use serde_json::{json, Map, Value};

use super::arm::{body_object, method_not_allowed, tags_of, ArmResult};
use super::state::{normalize_location, Resource, World};
use super::{catalog, empty_response, json_response, Failure, Req, Sim};

/// A resource (or collection) address below a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub subscription: String,
    pub group: Option<String>,
    pub namespace: String,
    pub types: Vec<String>,
    /// One per type for a resource; one fewer for a collection.
    pub names: Vec<String>,
}

impl Address {
    /// `rest`: the segments after `providers`.
    pub fn parse(
        subscription: &str,
        group: Option<&str>,
        rest: &[String],
    ) -> Result<Self, Failure> {
        if rest.len() < 2 {
            return Err(Failure::new(
                404,
                "NotFound",
                "The simulator does not serve resource providers' own endpoints yet.",
            ));
        }
        if rest[1..]
            .iter()
            .any(|s| s.eq_ignore_ascii_case("providers"))
        {
            return Err(Failure::new(
                400,
                "UnsupportedBySimulator",
                "Extension resources (a second 'providers' segment) are not simulated yet.",
            ));
        }
        let (mut types, mut names) = (Vec::new(), Vec::new());
        for (i, segment) in rest[1..].iter().enumerate() {
            if i % 2 == 0 {
                types.push(segment.clone());
            } else {
                names.push(segment.clone());
            }
        }
        Ok(Self {
            subscription: subscription.to_string(),
            group: group.map(str::to_string),
            namespace: rest[0].clone(),
            types,
            names,
        })
    }

    pub fn is_collection(&self) -> bool {
        self.names.len() < self.types.len()
    }

    /// `Namespace/type[/childType…]`.
    pub fn resource_type(&self) -> String {
        format!("{}/{}", self.namespace, self.types.join("/"))
    }

    /// `Namespace/type/name[/childType/childName…]`, as ARM's messages name a resource.
    pub fn display(&self) -> String {
        let mut out = self.namespace.clone();
        for (i, t) in self.types.iter().enumerate() {
            out.push('/');
            out.push_str(t);
            if let Some(n) = self.names.get(i) {
                out.push('/');
                out.push_str(n);
            }
        }
        out
    }

    /// The id under `scope` (`/subscriptions/…[/resourceGroups/…]`).
    pub fn id(&self, scope: &str) -> String {
        format!("{scope}/providers/{}", self.display())
    }

    /// The parent resource's address, for a child.
    pub fn parent(&self) -> Option<Address> {
        if self.types.len() < 2 || self.is_collection() {
            return None;
        }
        let mut parent = self.clone();
        parent.types.pop();
        parent.names.pop();
        Some(parent)
    }
}

/// The status of a PUT that creates. Most providers answer 201; some answer 200 and clients reject
/// 201 from them (the Azure CLI does for storage accounts).
pub fn create_status(resource_type: &str) -> u16 {
    match resource_type.to_ascii_lowercase().as_str() {
        "microsoft.storage/storageaccounts" => 200,
        _ => 201,
    }
}

fn not_found(addr: &Address, group: &str) -> Failure {
    Failure::new(
        404,
        "ResourceNotFound",
        format!(
            "The Resource '{}' under resource group '{group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            addr.display()
        ),
    )
}

impl World {
    /// The canonical scope id of `addr`; writes need a group that is not being deleted.
    fn scope_of(&self, addr: &Address, write: bool) -> Result<String, Failure> {
        let sub = self.subscription(&addr.subscription)?.id.clone();
        match &addr.group {
            None => Ok(format!("/subscriptions/{sub}")),
            Some(g) if write => Ok(self.live_group(&sub, g)?.id()),
            Some(g) => Ok(self.group(&sub, g)?.id()),
        }
    }

    fn group_label(addr: &Address) -> &str {
        addr.group.as_deref().unwrap_or("")
    }

    pub fn get_resource(&self, addr: &Address) -> Result<&Resource, Failure> {
        let scope = self.scope_of(addr, false)?;
        self.resources
            .get(&addr.id(&scope).to_ascii_lowercase())
            .ok_or_else(|| not_found(addr, Self::group_label(addr)))
    }

    /// Creates or replaces a resource; `true` when it was created.
    pub fn put_resource(
        &mut self,
        addr: &Address,
        api_version: &str,
        mut body: Map<String, Value>,
    ) -> Result<(bool, Value), Failure> {
        let scope = self.scope_of(addr, true)?;
        if let Some(parent) = addr.parent() {
            let parent_key = parent.id(&scope).to_ascii_lowercase();
            if !self.resources.contains_key(&parent_key) {
                return Err(Failure::new(
                    404,
                    "ParentResourceNotFound",
                    format!(
                        "Failed to perform 'write' on resource(s) of type '{}', because the parent resource '{}' could not be found.",
                        addr.resource_type(),
                        parent.id(&scope)
                    ),
                ));
            }
        }
        let key = addr.id(&scope).to_ascii_lowercase();
        let existing = self.resources.get(&key);
        let created = existing.is_none();
        let id = existing.map_or_else(|| addr.id(&scope), |r| r.id.clone());
        let resource_type =
            existing.map_or_else(|| addr.resource_type(), |r| r.resource_type.clone());
        let name = addr.names.last().cloned().unwrap_or_default();
        let children = self.take_inline(addr, &id, api_version, &mut body)?;
        if let Some(conflict) = self.inline_conflict(&key, &children) {
            return Err(conflict);
        }
        let representation = compose(&id, &name, &resource_type, body)?;
        let resource = Resource {
            id,
            resource_type,
            api_version: api_version.to_string(),
            body: representation,
        };
        self.resources.insert(key.clone(), resource);
        self.write_inline(&key, children);
        Ok((created, self.rendered(&self.resources[&key])))
    }

    /// Updates tags (replaced when given) and properties (merged key by key).
    pub fn patch_resource(
        &mut self,
        addr: &Address,
        api_version: &str,
        patch: Map<String, Value>,
    ) -> Result<Value, Failure> {
        let scope = self.scope_of(addr, true)?;
        let key = addr.id(&scope).to_ascii_lowercase();
        let label = Self::group_label(addr).to_string();
        let resource = self
            .resources
            .get_mut(&key)
            .ok_or_else(|| not_found(addr, &label))?;
        let tags = tags_of(&patch)?;
        let body = resource
            .body
            .as_object_mut()
            .expect("stored bodies are objects");
        if let Some(tags) = tags {
            body.insert("tags".into(), Value::Object(tags));
        }
        if let Some(Value::Object(props)) = patch.get("properties") {
            let target = body
                .entry("properties")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("composed properties are objects");
            for (k, v) in props {
                target.insert(k.clone(), v.clone());
            }
        }
        resource.api_version = api_version.to_string();
        Ok(self.rendered(&self.resources[&key]))
    }

    /// Deletes a resource and its children; `false` when there was nothing to delete.
    pub fn delete_resource(&mut self, addr: &Address) -> Result<bool, Failure> {
        let scope = self.scope_of(addr, true)?;
        let key = addr.id(&scope).to_ascii_lowercase();
        if !self.resources.contains_key(&key) {
            return Ok(false);
        }
        if let Some(conflict) = self.delete_conflict(&key) {
            return Err(conflict);
        }
        self.resources.remove(&key);
        let children = format!("{key}/");
        self.resources.retain(|id, _| !id.starts_with(&children));
        Ok(true)
    }

    /// The direct members of a collection, in id order.
    pub fn list_resources(&self, addr: &Address) -> Result<Vec<&Resource>, Failure> {
        let scope = self.scope_of(addr, false)?;
        if !addr.names.is_empty() {
            // A child collection: its parent must exist.
            let mut parent = addr.clone();
            parent.types.pop();
            if !self
                .resources
                .contains_key(&parent.id(&scope).to_ascii_lowercase())
            {
                return Err(not_found(&parent, Self::group_label(addr)));
            }
        }
        let prefix = format!("{}/", addr.id(&scope)).to_ascii_lowercase();
        Ok(self
            .resources
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(_, r)| r)
            .collect())
    }
}

/// The stored representation: `id`, `name`, `type`, then the body's fields (`location` normalised),
/// `properties` last with `provisioningState: Succeeded`.
pub(super) fn compose(
    id: &str,
    name: &str,
    resource_type: &str,
    body: Map<String, Value>,
) -> Result<Value, Failure> {
    tags_of(&body)?;
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("name".into(), json!(name));
    out.insert("type".into(), json!(resource_type));
    let mut properties = Map::new();
    for (k, v) in body {
        match k.as_str() {
            "id" | "name" | "type" => {}
            "location" => {
                let location = v.as_str().map(normalize_location).unwrap_or_default();
                out.insert(k, json!(location));
            }
            "properties" => match v {
                Value::Object(p) => properties = p,
                Value::Null => {}
                _ => {
                    return Err(Failure::new(
                        400,
                        "InvalidRequestContent",
                        "The request content was invalid and could not be deserialized: 'properties' must be an object.",
                    ))
                }
            },
            _ => {
                out.insert(k, v);
            }
        }
    }
    properties.insert("provisioningState".into(), json!("Succeeded"));
    out.insert("properties".into(), Value::Object(properties));
    Ok(Value::Object(out))
}

/// Serves a generic resource request; `rest` is what follows `providers`.
pub fn handle(
    sim: &Sim,
    req: &Req,
    subscription: &str,
    group: Option<&str>,
    rest: &[String],
    api_version: &str,
) -> ArmResult {
    let addr = Address::parse(subscription, group, rest)?;
    catalog::check_api_version(&sim.world(), &addr.namespace, &addr.types, api_version)?;
    if addr.is_collection() {
        if req.method != Method::GET {
            return Err(method_not_allowed(req));
        }
        let world = sim.world();
        let value: Vec<Value> = world
            .list_resources(&addr)?
            .into_iter()
            .map(|r| world.rendered(r))
            .collect();
        return Ok(json_response(200, &json!({"value": value})));
    }
    match req.method {
        Method::GET => {
            let world = sim.world();
            Ok(json_response(
                200,
                &world.rendered(world.get_resource(&addr)?),
            ))
        }
        Method::HEAD => {
            let found = sim.world().get_resource(&addr).is_ok();
            Ok(empty_response(if found { 204 } else { 404 }))
        }
        Method::PUT => {
            let body = body_object(req)?;
            let (created, representation) = sim.world().put_resource(&addr, api_version, body)?;
            let status = if created {
                create_status(&addr.resource_type())
            } else {
                200
            };
            Ok(json_response(status, &representation))
        }
        Method::PATCH => {
            let patch = body_object(req)?;
            let representation = sim.world().patch_resource(&addr, api_version, patch)?;
            Ok(json_response(200, &representation))
        }
        Method::DELETE => {
            let deleted = sim.world().delete_resource(&addr)?;
            Ok(empty_response(if deleted { 200 } else { 204 }))
        }
        _ => Err(method_not_allowed(req)),
    }
}
