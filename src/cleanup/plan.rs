//! Planning, pure: from what discovery found and what the scope guard observed, the deletes of one
//! subscription in waves. Every step of a wave may run at once; a wave starts when the one before it
//! has finished.
//!
//! Order:
//! - children before parents: an id below another (`a/b/c` below `a/b`, extension resources
//!   included) is deleted first, always;
//! - then by type ([`type_rank`]): what uses the network before the network — VMs, scale sets,
//!   container apps and groups, web apps first; then NICs, private endpoints, disks and everything
//!   not named; subnets; virtual networks; NSGs, route tables, NAT gateways; public IPs last (after
//!   the NIC, load balancer or gateway that holds them);
//! - a resource group of the run whose every member is the run's is deleted as one long-running
//!   operation in the final wave, and its members get no delete of their own. A run group that
//!   also holds something else is never deleted; its run members are deleted one by one.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::guard::GuardVerdict;
use super::model::{is_group_id, Found, SubscriptionInventory};

/// One delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub resource_type: String,
    /// For a whole-group delete: the members it removes with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<Found>,
}

impl Step {
    pub fn is_group(&self) -> bool {
        is_group_id(&self.id)
    }
}

/// Something found that will not be deleted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub id: String,
    pub resource_type: String,
    pub reason: String,
}

/// The deletes of one subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionPlan {
    pub subscription: String,
    pub waves: Vec<Vec<Step>>,
    /// Found by discovery but not the run's now (the scope guard), or holding something that is not.
    pub skipped: Vec<Skipped>,
    /// Found by discovery but already gone when re-read.
    pub gone: Vec<String>,
}

impl SubscriptionPlan {
    /// Every step in order (wave by wave).
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.waves.iter().flatten()
    }

    /// Resources the plan removes: its steps plus the members whole-group deletes cover.
    pub fn resource_count(&self) -> usize {
        self.steps().map(|s| 1 + s.covers.len()).sum()
    }
}

/// Delete order of a type (lower first); see the module documentation.
pub fn type_rank(resource_type: &str) -> u8 {
    match resource_type.to_ascii_lowercase().as_str() {
        "microsoft.authorization/locks"
        | "microsoft.compute/virtualmachines"
        | "microsoft.compute/virtualmachinescalesets"
        | "microsoft.app/containerapps"
        | "microsoft.app/jobs"
        | "microsoft.containerinstance/containergroups"
        | "microsoft.web/sites" => 0,
        "microsoft.network/virtualnetworks/subnets" => 2,
        "microsoft.network/virtualnetworks" => 3,
        "microsoft.network/networksecuritygroups"
        | "microsoft.network/routetables"
        | "microsoft.network/natgateways"
        | "microsoft.network/applicationsecuritygroups" => 4,
        "microsoft.network/publicipaddresses" | "microsoft.network/publicipprefixes" => 5,
        _ => 1,
    }
}

/// Plans one subscription. `observed`: the guard's verdict per lower-case id (an id without one was
/// not re-read and is not deleted). `done`: lower-case ids an earlier attempt already deleted.
pub fn plan_subscription(
    inventory: &SubscriptionInventory,
    observed: &BTreeMap<String, GuardVerdict>,
    done: &BTreeSet<String>,
) -> SubscriptionPlan {
    let adopted = adopt_untagged_children(observed);
    let observed = &adopted;
    let mut plan = SubscriptionPlan {
        subscription: inventory.subscription.clone(),
        ..Default::default()
    };
    // Candidates: the run-tagged resources and groups, once each, minus what is already done.
    let mut candidates: BTreeMap<String, &Found> = BTreeMap::new();
    for f in inventory.resources.iter().chain(&inventory.groups) {
        let key = f.id.to_ascii_lowercase();
        if !done.contains(&key) {
            candidates.entry(key).or_insert(f);
        }
    }
    let mut ours: BTreeMap<String, &Found> = BTreeMap::new();
    for (key, f) in candidates {
        match observed.get(&key) {
            Some(GuardVerdict::Ours) => {
                ours.insert(key, f);
            }
            Some(GuardVerdict::Gone) => plan.gone.push(f.id.clone()),
            Some(GuardVerdict::Foreign { reason }) => plan.skipped.push(skip(f, reason.clone())),
            Some(GuardVerdict::Untagged) => plan.skipped.push(skip(
                f,
                "carries no tags and is not a child of this run's".into(),
            )),
            None => plan
                .skipped
                .push(skip(f, "not re-read before deleting".into())),
        }
    }
    // A parent goes with its children: never delete one whose known child is not the run's.
    // (Groups and their members are weighed in `whole_groups`.)
    let parents: Vec<String> = ours.keys().filter(|k| !is_group_id(k)).cloned().collect();
    for key in parents {
        let prefix = format!("{key}/");
        let foreign_child = observed
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .find(|(_, v)| matches!(v, GuardVerdict::Foreign { .. } | GuardVerdict::Untagged));
        if let Some((child, _)) = foreign_child {
            let f = ours.remove(&key).expect("listed from the map");
            let reason = format!("its child {child} is not this run's");
            plan.skipped.push(skip(f, reason));
        }
    }
    let groups: Vec<Step> = whole_groups(inventory, observed, &mut ours, &mut plan.skipped);
    plan.waves = waves(ours.into_values().collect());
    if !groups.is_empty() {
        plan.waves.push(groups);
    }
    plan
}

/// The parent resource id of a child resource id (`…/virtualNetworks/v/subnets/s` → `…/virtualNetworks/v`);
/// `None` for a top-level resource, a group or a subscription.
fn parent_of(id: &str) -> Option<&str> {
    let at = id.to_ascii_lowercase().rfind("/providers/")?;
    let tail = &id[at + "/providers/".len()..];
    // namespace/type/name[/childType/childName]…: a child has at least five segments.
    if tail.split('/').count() < 5 {
        return None;
    }
    let cut = id.rfind('/')?;
    let cut = id[..cut].rfind('/')?;
    Some(&id[..cut])
}

/// Untagged children of this run's resources are this run's: they go with their parent.
fn adopt_untagged_children(
    observed: &BTreeMap<String, GuardVerdict>,
) -> BTreeMap<String, GuardVerdict> {
    let mut adopted = observed.clone();
    for (key, verdict) in observed {
        if *verdict != GuardVerdict::Untagged {
            continue;
        }
        let mut ancestor = parent_of(key);
        while let Some(a) = ancestor {
            match observed.get(a) {
                Some(GuardVerdict::Ours) => {
                    adopted.insert(key.clone(), GuardVerdict::Ours);
                    break;
                }
                Some(GuardVerdict::Untagged) | None => ancestor = parent_of(a),
                Some(_) => break,
            }
        }
    }
    adopted
}

fn skip(f: &Found, reason: String) -> Skipped {
    Skipped {
        id: f.id.clone(),
        resource_type: f.resource_type.clone(),
        reason,
    }
}

/// Takes the run's groups out of `ours`: a group whose members are all the run's (or gone) becomes
/// a whole-group step and its members leave `ours`; any other group is skipped with the reason.
fn whole_groups(
    inventory: &SubscriptionInventory,
    observed: &BTreeMap<String, GuardVerdict>,
    ours: &mut BTreeMap<String, &Found>,
    skipped: &mut Vec<Skipped>,
) -> Vec<Step> {
    let group_keys: Vec<String> = ours.keys().filter(|k| is_group_id(k)).cloned().collect();
    let mut steps = Vec::new();
    for key in group_keys {
        let group = ours.remove(&key).expect("listed from the map");
        let name = group.group();
        let mut members: BTreeMap<String, &Found> = BTreeMap::new();
        for m in inventory.members.iter().chain(&inventory.resources) {
            if m.group() == name && !is_group_id(&m.id) {
                members.entry(m.id.to_ascii_lowercase()).or_insert(m);
            }
        }
        let strangers: Vec<&str> = members
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    observed.get(*k),
                    Some(GuardVerdict::Ours) | Some(GuardVerdict::Gone)
                )
            })
            .map(|(_, m)| m.id.as_str())
            .collect();
        if strangers.is_empty() {
            let covers = members
                .iter()
                .filter(|(k, _)| matches!(observed.get(*k), Some(GuardVerdict::Ours)))
                .map(|(k, m)| {
                    ours.remove(k);
                    (*m).clone()
                })
                .collect();
            steps.push(Step {
                id: group.id.clone(),
                resource_type: group.resource_type.clone(),
                covers,
            });
        } else {
            let mut shown: Vec<&str> = strangers.iter().take(3).copied().collect();
            if strangers.len() > 3 {
                shown.push("…");
            }
            skipped.push(skip(
                group,
                format!(
                    "holds {} resource(s) that are not this run's ({}); its run resources are deleted one by one",
                    strangers.len(),
                    shown.join(", ")
                ),
            ));
        }
    }
    steps
}

/// Levels: descendants first, then by (effective) type rank; see the module documentation.
fn waves(items: Vec<&Found>) -> Vec<Vec<Step>> {
    let keys: Vec<String> = items.iter().map(|f| f.id.to_ascii_lowercase()).collect();
    let index: BTreeMap<&str, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let descendants = |i: usize| -> Vec<usize> {
        let prefix = format!("{}/", keys[i]);
        index
            .range(prefix.as_str()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, &j)| j)
            .collect()
    };
    // Deeper ids first, so every descendant is settled before its ancestor.
    let mut by_depth: Vec<usize> = (0..items.len()).collect();
    by_depth.sort_by_key(|&i| std::cmp::Reverse(keys[i].len()));
    let mut eff = vec![0u8; items.len()];
    for &i in &by_depth {
        let own = type_rank(&items[i].resource_type);
        eff[i] = descendants(i).iter().map(|&d| eff[d]).fold(own, u8::max);
    }
    let mut order = by_depth;
    order.sort_by_key(|&i| (eff[i], std::cmp::Reverse(keys[i].len())));
    let mut level = vec![0usize; items.len()];
    let (mut base, mut highest, mut current_eff): (usize, Option<usize>, Option<u8>) =
        (0, None, None);
    for &i in &order {
        if current_eff != Some(eff[i]) {
            base = highest.map_or(0, |h| h + 1);
            current_eff = Some(eff[i]);
        }
        level[i] = descendants(i)
            .iter()
            .map(|&d| level[d] + 1)
            .fold(base, usize::max);
        highest = Some(highest.map_or(level[i], |h| h.max(level[i])));
    }
    let mut waves: Vec<Vec<Step>> = vec![Vec::new(); highest.map_or(0, |h| h + 1)];
    let mut sorted: Vec<usize> = (0..items.len()).collect();
    sorted.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    for i in sorted {
        waves[level[i]].push(Step {
            id: items[i].id.clone(),
            resource_type: items[i].resource_type.clone(),
            covers: Vec::new(),
        });
    }
    waves.retain(|w| !w.is_empty());
    waves
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
