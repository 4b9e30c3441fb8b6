//! What a simulated agent creates: one resource of each type its scenario's metadata lists, in its
//! resource group, tagged, with the references real resources have between them — a NIC in the
//! subnet and holding the public IP, a VM on the NIC and the disk, a private endpoint in the subnet —
//! so that deleting in the wrong order meets the simulator's 409s. Pure.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// One resource to create.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub id: String,
    /// `Namespace/type[/child]`.
    pub resource_type: String,
    pub name: String,
    pub body: Value,
    /// Ids of resources this one references (they must exist first and be deleted after it).
    pub references: Vec<String>,
}

/// Where and how the agent names things.
pub struct PlanInputs<'a> {
    pub subscription: &'a str,
    pub resource_group: &'a str,
    pub location: &'a str,
    pub suffix: &'a str,
    pub tags: &'a BTreeMap<String, String>,
}

const VNET: &str = "microsoft.network/virtualnetworks";
const SUBNET: &str = "microsoft.network/virtualnetworks/subnets";
const PIP: &str = "microsoft.network/publicipaddresses";
const NIC: &str = "microsoft.network/networkinterfaces";
const DISK: &str = "microsoft.compute/disks";
const VM: &str = "microsoft.compute/virtualmachines";
const PE: &str = "microsoft.network/privateendpoints";

/// Creation order: parents and referenced resources first.
fn rank(t: &str) -> u8 {
    match t {
        VNET => 0,
        SUBNET => 1,
        PIP | DISK => 2,
        NIC | PE => 3,
        VM => 4,
        _ if t.matches('/').count() >= 2 => 6,
        _ => 5,
    }
}

/// A short, valid-everywhere name: lower-case letters and digits, at most 24 characters.
fn name_for(resource_type: &str, suffix: &str, index: usize) -> String {
    let last = resource_type.rsplit('/').next().unwrap_or("res");
    let abbr: String = last
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    format!("{abbr}{suffix}{index}")
}

/// Types a generic body cannot create: role assignments need a role, a principal and a GUID name;
/// a container app needs an environment. The simulated agent leaves them out.
fn needs_more_than_a_generic_body(lower: &str) -> bool {
    lower.starts_with("microsoft.authorization/") || lower == "microsoft.app/containerapps"
}

/// The resources for `types`, in creation order.
pub fn plan(types: &[String], inputs: &PlanInputs<'_>) -> Vec<Planned> {
    let mut sorted: Vec<(usize, String)> = types
        .iter()
        .map(|t| t.to_ascii_lowercase())
        .enumerate()
        .collect();
    sorted.sort_by_key(|(i, t)| (rank(t), *i));
    sorted.dedup_by(|a, b| a.1 == b.1);
    sorted.retain(|(_, t)| !needs_more_than_a_generic_body(t));

    let group_id = format!(
        "/subscriptions/{}/resourceGroups/{}",
        inputs.subscription, inputs.resource_group
    );
    let mut made: BTreeMap<String, String> = BTreeMap::new(); // lower-case type → id
    let mut out = Vec::new();
    for (index, lower) in sorted {
        let original = types
            .iter()
            .find(|t| t.eq_ignore_ascii_case(&lower))
            .cloned()
            .unwrap_or_else(|| lower.clone());
        let mut parts = original.split('/');
        let namespace = parts.next().unwrap_or_default();
        let type_segments: Vec<&str> = parts.collect();
        if type_segments.is_empty() {
            continue;
        }
        let name = name_for(&original, inputs.suffix, index);
        let mut references = Vec::new();
        let id = if type_segments.len() == 1 {
            format!(
                "{group_id}/providers/{namespace}/{}/{name}",
                type_segments[0]
            )
        } else {
            // A child: under the resource of its parent type, if the agent makes one.
            let parent_type = lower.rsplit_once('/').map(|(p, _)| p).unwrap_or_default();
            let Some(parent) = made.get(parent_type) else {
                continue;
            };
            format!("{parent}/{}/{name}", type_segments[type_segments.len() - 1])
        };
        let mut properties = json!({});
        let subnet = made.get(SUBNET).cloned();
        match lower.as_str() {
            VNET => properties = json!({"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]}}),
            SUBNET => properties = json!({"addressPrefix": "10.20.1.0/24"}),
            NIC => {
                let mut ip = json!({"privateIPAllocationMethod": "Dynamic"});
                if let Some(s) = &subnet {
                    ip["subnet"] = json!({"id": s});
                    references.push(s.clone());
                }
                if let Some(p) = made.get(PIP) {
                    ip["publicIPAddress"] = json!({"id": p});
                    references.push(p.clone());
                }
                properties = json!({"ipConfigurations": [{"name": "ipconfig1", "properties": ip}]});
            }
            PE => {
                if let Some(s) = &subnet {
                    properties = json!({"subnet": {"id": s}});
                    references.push(s.clone());
                }
            }
            VM => {
                let mut p = json!({"hardwareProfile": {"vmSize": "Standard_B1s"}});
                if let Some(n) = made.get(NIC) {
                    p["networkProfile"] = json!({"networkInterfaces": [{"id": n}]});
                    references.push(n.clone());
                }
                if let Some(d) = made.get(DISK) {
                    p["storageProfile"] = json!({"osDisk": {"managedDisk": {"id": d}}});
                    references.push(d.clone());
                }
                properties = p;
            }
            _ => {}
        }
        if type_segments.len() > 1 {
            // Children reference their parent implicitly; deleting the parent removes them.
            references.push(id.rsplitn(3, '/').nth(2).unwrap_or_default().to_string());
        }
        let body = if type_segments.len() > 1 {
            json!({"properties": properties})
        } else {
            json!({"location": inputs.location, "tags": inputs.tags, "properties": properties})
        };
        made.insert(lower.clone(), id.clone());
        out.push(Planned {
            id,
            resource_type: original,
            name,
            body,
            references,
        });
    }
    out
}

/// Resources nothing else in the plan references: the ones an agent may delete itself.
pub fn independent(plan: &[Planned]) -> Vec<&Planned> {
    plan.iter()
        .filter(|p| p.references.is_empty())
        .filter(|p| {
            !plan
                .iter()
                .any(|q| q.references.iter().any(|r| r.eq_ignore_ascii_case(&p.id)))
        })
        .collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
