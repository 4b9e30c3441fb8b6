//! Subscriptions, resource groups and the long-running operations that delete groups: the
//! decisions, as methods of [`World`]. A group deletion marks the group `Deleting`, queues an
//! operation, and completes it (removing the group and every resource under it) once its polls are
//! used up.

use serde_json::{Map, Value};

use super::catalog::LOCATIONS;

use super::state::{
    normalize_location, random_token, Failure, Operation, OperationKind, OperationStatus,
    ProvisioningState, ResourceGroup, Subscription, World,
};

impl World {
    pub fn subscription(&self, id: &str) -> Result<&Subscription, Failure> {
        self.subscriptions
            .get(&id.to_ascii_lowercase())
            .ok_or_else(|| Failure::subscription_not_found(id))
    }

    fn group_key(subscription: &str, name: &str) -> (String, String) {
        (subscription.to_ascii_lowercase(), name.to_ascii_lowercase())
    }

    pub fn group(&self, subscription: &str, name: &str) -> Result<&ResourceGroup, Failure> {
        self.subscription(subscription)?;
        self.groups
            .get(&Self::group_key(subscription, name))
            .ok_or_else(|| Failure::group_not_found(name))
    }

    /// A group that exists and is not being deleted (what a write inside it needs).
    pub fn live_group(&self, subscription: &str, name: &str) -> Result<&ResourceGroup, Failure> {
        let group = self.group(subscription, name)?;
        if group.state == ProvisioningState::Deleting {
            return Err(Failure::group_being_deleted(&group.name));
        }
        Ok(group)
    }

    /// Creates or updates a group; `true` when it was created.
    pub fn put_group(
        &mut self,
        subscription: &str,
        name: &str,
        location: &str,
        tags: Map<String, Value>,
        managed_by: Option<String>,
    ) -> Result<(bool, ResourceGroup), Failure> {
        let sub = self.subscription(subscription)?.id.clone();
        let location = normalize_location(location);
        if !LOCATIONS.iter().any(|(name, _, _)| *name == location) {
            let known: Vec<&str> = LOCATIONS.iter().map(|(name, _, _)| *name).collect();
            return Err(Failure::new(
                400,
                "LocationNotAvailableForResourceGroup",
                format!(
                    "The provided location '{location}' is not available for resource group. List of available regions is '{}'.",
                    known.join(",")
                ),
            ));
        }
        let key = Self::group_key(&sub, name);
        if let Some(existing) = self.groups.get_mut(&key) {
            if existing.state == ProvisioningState::Deleting {
                return Err(Failure::group_being_deleted(&existing.name));
            }
            if existing.location != location {
                return Err(Failure::new(
                    409,
                    "InvalidResourceGroupLocation",
                    format!(
                        "Invalid resource group location '{location}'. The Resource group already exists in location '{}'.",
                        existing.location
                    ),
                ));
            }
            existing.tags = tags;
            existing.managed_by = managed_by;
            return Ok((false, existing.clone()));
        }
        let group = ResourceGroup {
            subscription: sub,
            name: name.to_string(),
            location,
            tags,
            managed_by,
            state: ProvisioningState::Succeeded,
        };
        self.groups.insert(key, group.clone());
        Ok((true, group))
    }

    /// Groups of a subscription in name order, those carrying `tag` (name, and value if given) only
    /// when one is given. Tag names compare case-insensitively, values exactly.
    pub fn list_groups(
        &self,
        subscription: &str,
        tag: Option<(&str, Option<&str>)>,
    ) -> Result<Vec<&ResourceGroup>, Failure> {
        let sub = self.subscription(subscription)?.id.clone();
        Ok(self
            .groups
            .iter()
            .filter(|((s, _), _)| *s == sub)
            .map(|(_, g)| g)
            .filter(|g| match tag {
                None => true,
                Some((name, value)) => g.tags.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case(name)
                        && value.is_none_or(|want| v.as_str() == Some(want))
                }),
            })
            .collect())
    }

    /// Starts deleting a group: it turns `Deleting` and an operation is queued that removes it and
    /// everything in it. Deleting a group already being deleted returns the running operation.
    pub fn begin_delete_group(
        &mut self,
        subscription: &str,
        name: &str,
    ) -> Result<String, Failure> {
        let key = {
            let group = self.group(subscription, name)?;
            Self::group_key(&group.subscription, &group.name)
        };
        let running = self.operations.values().find(|op| {
            op.status == OperationStatus::InProgress
                && matches!(&op.kind, OperationKind::DeleteResourceGroup { group } if *group == key.1)
                && op.subscription == key.0
        });
        if let Some(op) = running {
            return Ok(op.id.clone());
        }
        let group = self.groups.get_mut(&key).expect("found above");
        group.state = ProvisioningState::Deleting;
        let id = random_token();
        self.operations.insert(
            id.clone(),
            Operation {
                id: id.clone(),
                subscription: key.0.clone(),
                kind: OperationKind::DeleteResourceGroup { group: key.1 },
                polls_left: self.config.lro_polls,
                status: OperationStatus::InProgress,
            },
        );
        self.delay_operation(&id, self.config.group_delete_duration);
        Ok(id)
    }

    /// One poll of an operation: it completes once its polls are used up and its duration
    /// ([`World::delay_operation`]) has passed.
    pub fn poll_operation(
        &mut self,
        subscription: &str,
        id: &str,
    ) -> Result<OperationStatus, Failure> {
        let sub = self.subscription(subscription)?.id.clone();
        let op = self
            .operations
            .get_mut(id)
            .filter(|op| op.subscription == sub)
            .ok_or_else(|| {
                Failure::new(
                    404,
                    "OperationNotFound",
                    "The operation could not be found.",
                )
            })?;
        if op.status == OperationStatus::InProgress {
            let due = self
                .operation_ready_at
                .get(id)
                .is_none_or(|at| *at <= self.now);
            if op.polls_left > 0 || !due {
                op.polls_left = op.polls_left.saturating_sub(1);
                return Ok(OperationStatus::InProgress);
            }
            self.operation_ready_at.remove(id);
            op.status = OperationStatus::Succeeded;
            let op = op.clone();
            self.complete(&op);
        }
        Ok(OperationStatus::Succeeded)
    }

    fn complete(&mut self, op: &Operation) {
        match &op.kind {
            OperationKind::DeleteResourceGroup { group } => {
                let key = (op.subscription.clone(), group.clone());
                self.groups.remove(&key);
                let prefix = format!("/subscriptions/{}/resourcegroups/{}/", key.0, key.1);
                self.resources.retain(|id, _| !id.starts_with(&prefix));
                self.role_assignments
                    .retain(|id, _| !id.starts_with(&prefix));
            }
        }
    }
}
