//! Container Apps operations (create or update, delete, stop, start: polled until done) and the
//! accessors in-process callers use, as methods of [`World`].

use chrono::Utc;
use serde_json::json;

use super::world::{app_key, APPS_TYPE};
use super::{AppOperation, AppOperationKind, SimContainerApp};
use crate::azure::container_apps::{ContainerApp, RunningStatus};
use crate::sim::state::{Failure, OperationStatus, Resource, World};

impl World {
    pub(super) fn begin_app_operation(
        &mut self,
        sub: &str,
        key: &str,
        name: &str,
        kind: AppOperationKind,
    ) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.container_apps.operations.insert(
            id.clone(),
            AppOperation {
                id: id.clone(),
                subscription: sub.to_ascii_lowercase(),
                app: key.to_string(),
                name: name.to_string(),
                kind,
                polls_left: self.config.lro_polls,
                status: OperationStatus::InProgress,
                started: Utc::now(),
                ended: None,
            },
        );
        id
    }

    /// Starts deleting an app; `None` when there is none.
    pub fn begin_delete_container_app(
        &mut self,
        sub: &str,
        rg: &str,
        name: &str,
    ) -> Result<Option<String>, Failure> {
        let group = self.live_group(sub, rg)?.subscription.clone();
        let key = app_key(sub, rg, name);
        let Some(app) = self.resources.get_mut(&key) else {
            return Ok(None);
        };
        app.body["properties"]["provisioningState"] = json!("Deleting");
        Ok(Some(self.begin_app_operation(
            &group,
            &key,
            name,
            AppOperationKind::Delete,
        )))
    }

    /// Starts stopping or starting an app.
    pub fn begin_app_action(
        &mut self,
        sub: &str,
        rg: &str,
        name: &str,
        kind: AppOperationKind,
    ) -> Result<String, Failure> {
        self.get_container_app(sub, rg, name)?;
        let sub = self.subscription(sub)?.id.clone();
        Ok(self.begin_app_operation(&sub, &app_key(&sub, rg, name), name, kind))
    }

    /// One poll of an app operation; it completes once its polls are used up.
    pub fn poll_app_operation(
        &mut self,
        sub: &str,
        name: &str,
        op: &str,
    ) -> Result<AppOperation, Failure> {
        let sub = self.subscription(sub)?.id.clone();
        let entry = self
            .container_apps
            .operations
            .get_mut(op)
            .filter(|o| o.subscription == sub && o.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                Failure::new(
                    404,
                    "OperationNotFound",
                    format!("Operation '{op}' of container app '{name}' was not found."),
                )
            })?;
        if entry.status == OperationStatus::InProgress {
            if entry.polls_left > 0 {
                entry.polls_left -= 1;
            } else {
                entry.status = OperationStatus::Succeeded;
                entry.ended = Some(Utc::now());
                let done = entry.clone();
                self.complete_app_operation(&done);
            }
        }
        Ok(self.container_apps.operations[op].clone())
    }

    fn complete_app_operation(&mut self, op: &AppOperation) {
        if op.kind == AppOperationKind::Delete {
            self.resources.remove(&op.app);
            self.container_apps.secret_values.remove(&op.app);
            return;
        }
        let Some(app) = self.resources.get_mut(&op.app) else {
            return;
        };
        let props = &mut app.body["properties"];
        match op.kind {
            AppOperationKind::CreateOrUpdate => {
                props["provisioningState"] = json!("Succeeded");
                props["runningStatus"] = json!("Running");
                props["latestReadyRevisionName"] = props["latestRevisionName"].clone();
            }
            AppOperationKind::Stop => props["runningStatus"] = json!("Stopped"),
            AppOperationKind::Start => props["runningStatus"] = json!("Running"),
            AppOperationKind::Delete => {}
        }
    }

    /// Every container app, with its full definition and inline secret values (for the sandbox).
    pub fn container_apps(&self) -> Vec<SimContainerApp> {
        self.resources
            .values()
            .filter(|r| r.resource_type.eq_ignore_ascii_case(APPS_TYPE))
            .filter_map(|r| self.sim_app(r))
            .collect()
    }

    /// One container app by id (case-insensitive).
    pub fn container_app(&self, id: &str) -> Option<SimContainerApp> {
        self.resources
            .get(&id.to_ascii_lowercase())
            .filter(|r| r.resource_type.eq_ignore_ascii_case(APPS_TYPE))
            .and_then(|r| self.sim_app(r))
    }

    fn sim_app(&self, r: &Resource) -> Option<SimContainerApp> {
        let mut app: ContainerApp = serde_json::from_value(r.body.clone()).ok()?;
        let key = r.id.to_ascii_lowercase();
        if let (Some(values), Some(config)) = (
            self.container_apps.secret_values.get(&key),
            app.properties.configuration.as_mut(),
        ) {
            for s in &mut config.secrets {
                if let Some(v) = values.get(&s.name) {
                    s.value = Some(v.clone());
                }
            }
        }
        let segments: Vec<&str> = r.id.split('/').collect();
        Some(SimContainerApp {
            id: r.id.clone(),
            subscription: segments.get(2)?.to_string(),
            resource_group: segments.get(4)?.to_string(),
            name: segments.last()?.to_string(),
            app,
        })
    }

    /// Sets an app's `runningStatus` (a simulated agent finished, failed, or started again).
    pub fn set_container_app_running_status(
        &mut self,
        id: &str,
        status: RunningStatus,
    ) -> Result<(), Failure> {
        let r = self
            .resources
            .get_mut(&id.to_ascii_lowercase())
            .filter(|r| r.resource_type.eq_ignore_ascii_case(APPS_TYPE))
            .ok_or_else(|| {
                Failure::new(
                    404,
                    "ResourceNotFound",
                    format!("No container app has id '{id}'."),
                )
            })?;
        r.body["properties"]["runningStatus"] = json!(status.as_str());
        Ok(())
    }
}
