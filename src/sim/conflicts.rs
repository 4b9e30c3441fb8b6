//! Dependency conflicts on deleting a resource: what the network and compute providers refuse while
//! another resource still uses the one being deleted. References are found by scanning the other
//! resources' bodies for the id (compared ignoring case), as the providers keep them:
//!
//! | deleting | refused while | answer |
//! |---|---|---|
//! | a subnet, or a virtual network (any of its subnets) | any resource outside the network names the subnet (a NIC's ipConfiguration, a private endpoint, an environment's infrastructure subnet) | 400 `InUseSubnetCannotBeDeleted` |
//! | a network interface | a VM lists it in `networkProfile.networkInterfaces`, or its `properties.virtualMachine.id` names a VM that exists | 400 `NicInUse` |
//! | a managed disk | a VM names it (`storageProfile.osDisk` / `dataDisks` `managedDisk.id`), or its `managedBy` names a VM that exists | 409 `OperationNotAllowed` |
//! | a public IP address | any other resource names it (a NIC's ipConfiguration, a load balancer, a gateway) | 400 `PublicIPAddressCannotBeDeleted` |
//!
//! The statuses are the providers' own (the network provider answers 400, the compute provider
//! 409); callers should decide on the code. A resource deleted with its parent (a subnet of a
//! deleted network) is checked too; references from inside the deleted tree do not count.
//! Resource-group deletion cascades without these checks, as ARM's does.

use serde_json::Value;

use super::state::{Failure, Resource, World};

const SUBNETS: &str = "microsoft.network/virtualnetworks/subnets";
const VNETS: &str = "microsoft.network/virtualnetworks";
const NICS: &str = "microsoft.network/networkinterfaces";
const DISKS: &str = "microsoft.compute/disks";
const PUBLIC_IPS: &str = "microsoft.network/publicipaddresses";
const VMS: &str = "microsoft.compute/virtualmachines";

/// A reference found: the id named and the id of the object naming it (an ipConfiguration, or the
/// resource itself).
struct Reference {
    named: String,
    by: String,
}

/// Finds, in `value`, a string for which `want` holds; `owner` is the id of the innermost object
/// seen so far that has one.
fn find(value: &Value, owner: &str, want: &dyn Fn(&str) -> bool) -> Option<Reference> {
    match value {
        Value::String(s) if want(&s.to_ascii_lowercase()) => Some(Reference {
            named: s.clone(),
            by: owner.to_string(),
        }),
        Value::Array(items) => items.iter().find_map(|v| find(v, owner, want)),
        Value::Object(map) => {
            let own = map
                .get("id")
                .and_then(Value::as_str)
                .filter(|id| !want(&id.to_ascii_lowercase()))
                .unwrap_or(owner);
            map.values().find_map(|v| find(v, own, want))
        }
        _ => None,
    }
}

impl World {
    /// Resources outside the tree at `root` (a lower-case id), optionally of one type.
    fn others<'a>(
        &'a self,
        root: &'a str,
        of_type: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        let below = format!("{root}/");
        self.resources
            .iter()
            .filter(move |(k, _)| k.as_str() != root && !k.starts_with(&below))
            .map(|(_, r)| r)
            .filter(move |r| of_type.is_none_or(|t| r.resource_type.eq_ignore_ascii_case(t)))
    }

    /// The first reference to something `want` accepts from outside the tree at `root`.
    fn referenced(
        &self,
        root: &str,
        of_type: Option<&str>,
        want: &dyn Fn(&str) -> bool,
    ) -> Option<Reference> {
        self.others(root, of_type)
            .find_map(|r| find(&r.body, &r.id, want))
    }

    /// A VM that exists, named by `id`.
    fn live_vm(&self, id: Option<&str>) -> Option<String> {
        let r = self.resources.get(&id?.to_ascii_lowercase())?;
        r.resource_type
            .eq_ignore_ascii_case(VMS)
            .then(|| r.id.clone())
    }

    /// Why the resource at `key` (lower-case id) cannot be deleted now, if it cannot.
    pub fn delete_conflict(&self, key: &str) -> Option<Failure> {
        let below = format!("{key}/");
        let tree: Vec<&Resource> = self
            .resources
            .iter()
            .filter(|(k, _)| k.as_str() == key || k.starts_with(&below))
            .map(|(_, r)| r)
            .collect();
        tree.into_iter()
            .find_map(|target| self.conflict_of(key, target))
    }

    fn conflict_of(&self, root: &str, target: &Resource) -> Option<Failure> {
        let id = target.id.to_ascii_lowercase();
        let name = target.id.rsplit('/').next().unwrap_or_default();
        match target.resource_type.to_ascii_lowercase().as_str() {
            VNETS | SUBNETS => {
                let is_vnet = target.resource_type.eq_ignore_ascii_case(VNETS);
                let subnets = format!("{id}/subnets/");
                let found = self.referenced(root, None, &|s| {
                    if is_vnet {
                        s.starts_with(&subnets)
                    } else {
                        s == id
                    }
                })?;
                let subnet = found
                    .named
                    .split('/')
                    .skip_while(|s| !s.eq_ignore_ascii_case("subnets"))
                    .nth(1)
                    .unwrap_or(name)
                    .to_string();
                Some(Failure::new(
                    400,
                    "InUseSubnetCannotBeDeleted",
                    format!(
                        "Subnet {subnet} is in use by {} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
                        found.by
                    ),
                ))
            }
            NICS => {
                let vm = self
                    .referenced(root, Some(VMS), &|s| s == id)
                    .map(|r| r.by)
                    .or_else(|| {
                        let named = target.body["properties"]["virtualMachine"]["id"].as_str();
                        self.live_vm(named)
                    })?;
                Some(Failure::new(
                    400,
                    "NicInUse",
                    format!(
                        "Network Interface {} is used by existing resource {vm}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.",
                        target.id
                    ),
                ))
            }
            DISKS => {
                let vm = self
                    .referenced(root, Some(VMS), &|s| s == id)
                    .map(|r| r.by)
                    .or_else(|| self.live_vm(target.body["managedBy"].as_str()))?;
                Some(Failure::new(
                    409,
                    "OperationNotAllowed",
                    format!("Disk {name} is attached to VM {vm}."),
                ))
            }
            PUBLIC_IPS => {
                let found = self.referenced(root, None, &|s| s == id)?;
                Some(Failure::new(
                    400,
                    "PublicIPAddressCannotBeDeleted",
                    format!(
                        "Public IP address {} can not be deleted since it is still allocated to resource {}. In order to delete the public IP, disassociate/detach the Public IP address from the resource.  To learn how to do this, see aka.ms/deletepublicip.",
                        target.id, found.by
                    ),
                ))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_name_the_innermost_object_with_an_id() {
        let body = json!({
            "name": "nic",
            "properties": {"ipConfigurations": [
                {"id": "/n/ipConfigurations/a", "properties": {"subnet": {"id": "/V/subnets/S"}}}
            ]}
        });
        let found = find(&body, "/n", &|s| s == "/v/subnets/s").unwrap();
        assert_eq!(found.by, "/n/ipConfigurations/a");
        assert_eq!(found.named, "/V/subnets/S");
        let plain =
            json!({"properties": {"networkProfile": {"networkInterfaces": [{"id": "/nic"}]}}});
        assert_eq!(find(&plain, "/vm", &|s| s == "/nic").unwrap().by, "/vm");
        assert!(find(&plain, "/vm", &|s| s == "/other").is_none());
    }
}
