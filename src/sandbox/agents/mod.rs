//! Simulated agents: one per Container App the run creates. Each reads its environment the way the
//! real agent would (scenario, resource group, client id; its password resolved from the Key Vault
//! reference, as Container Apps does), gets tokens for *its own* service principal, creates one
//! resource of each type the scenario's metadata lists — with the dependencies real resources have —
//! publishes `resource_created` / `resource_deleted` / `resource_deletion_failed` events, deletes a
//! share of what it made, and leaves the rest for cleanup. It stops when the run's end arrives or its
//! app is stopped or deleted.

pub mod plan;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;

use super::host::Host;
use crate::azure::container_apps::ContainerApp;
use crate::azure::identity::AzureConnection;
use crate::azure::resources::ArmClient;
use crate::clock::Clock;
use crate::config::{Secret, Settings};
use crate::run::names;
use crate::scenarios::SplitMix64;
use crate::sim::Sim;

/// What the agents did, counted.
#[derive(Debug, Default)]
pub struct AgentStats {
    pub agents: AtomicU64,
    pub created: AtomicU64,
    pub create_failures: AtomicU64,
    pub deleted_by_agents: AtomicU64,
    pub events: AtomicU64,
}

/// A snapshot of [`AgentStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AgentCounts {
    pub agents: u64,
    pub created: u64,
    pub create_failures: u64,
    pub deleted_by_agents: u64,
    pub events: u64,
}

/// Starts an agent for each new app of the run and stops them at the end.
pub struct Supervisor {
    sim: Arc<Sim>,
    run_id: Uuid,
    host: Arc<Host>,
    clock: Clock,
    seed: u64,
    settings: Arc<Settings>,
    library: Arc<crate::scenarios::Library>,
    tasks: Mutex<HashMap<String, tokio::task::JoinHandle<()>>>,
    stats: Arc<AgentStats>,
}

fn env_of(app: &ContainerApp) -> BTreeMap<String, String> {
    app.properties
        .template
        .as_ref()
        .and_then(|t| t.containers.first())
        .map(|c| {
            c.env
                .iter()
                .filter_map(|e| Some((e.name.clone(), e.value.clone()?)))
                .collect()
        })
        .unwrap_or_default()
}

impl Supervisor {
    pub fn new(
        sim: Arc<Sim>,
        run_id: Uuid,
        host: Arc<Host>,
        clock: Clock,
        seed: u64,
        settings: Arc<Settings>,
        library: Arc<crate::scenarios::Library>,
    ) -> Self {
        Self {
            sim,
            run_id,
            host,
            clock,
            seed,
            settings,
            library,
            tasks: Mutex::new(HashMap::new()),
            stats: Arc::new(AgentStats::default()),
        }
    }

    /// Starts agents for apps of the run that have none yet.
    pub async fn reconcile(&self) {
        let apps = self.sim.world().container_apps();
        let run = self.run_id.to_string();
        for app in apps {
            let env = env_of(&app.app);
            if env.get("HAYMAKER_RUN_ID") != Some(&run) {
                continue;
            }
            let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
            if tasks.contains_key(&app.id.to_ascii_lowercase()) {
                continue;
            }
            let Some(secret) = self.resolve_client_secret(&app.app) else {
                continue;
            };
            self.stats.agents.fetch_add(1, Ordering::Relaxed);
            let agent = Agent {
                app_id: app.id.clone(),
                env,
                secret,
                sim: self.sim.clone(),
                host: self.host.clone(),
                clock: self.clock.clone(),
                settings: self.settings.clone(),
                library: self.library.clone(),
                stats: self.stats.clone(),
                rng: SplitMix64(self.seed ^ hash(&app.id)),
            };
            tasks.insert(app.id.to_ascii_lowercase(), tokio::spawn(agent.run()));
        }
    }

    /// The password the app's `AZURE_CLIENT_SECRET` refers to, read from the simulated vault the way
    /// Container Apps resolves a Key Vault reference.
    fn resolve_client_secret(&self, app: &ContainerApp) -> Option<Secret> {
        let secret_ref = app
            .properties
            .template
            .as_ref()?
            .containers
            .first()?
            .env
            .iter()
            .find(|e| e.name == "AZURE_CLIENT_SECRET")?
            .secret_ref
            .clone()?;
        let app_secret = app
            .properties
            .configuration
            .as_ref()?
            .secrets
            .iter()
            .find(|s| s.name == secret_ref)?;
        if let Some(v) = &app_secret.value {
            return Some(v.clone());
        }
        let url = app_secret.key_vault_url.as_deref()?;
        let name = url.trim_end_matches('/').rsplit('/').next()?;
        let world = self.sim.world();
        let (_, version) = world.get_secret(name, None, chrono::Utc::now()).ok()?;
        Some(version.value.clone())
    }

    /// Waits briefly for agents to wind down, then stops any still running.
    pub async fn stop(&self) {
        let tasks: Vec<_> = self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, t)| t)
            .collect();
        for t in tasks {
            let abort = t.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), t)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }

    pub fn stats(&self) -> AgentCounts {
        let s = &self.stats;
        AgentCounts {
            agents: s.agents.load(Ordering::Relaxed),
            created: s.created.load(Ordering::Relaxed),
            create_failures: s.create_failures.load(Ordering::Relaxed),
            deleted_by_agents: s.deleted_by_agents.load(Ordering::Relaxed),
            events: s.events.load(Ordering::Relaxed),
        }
    }
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

struct Agent {
    app_id: String,
    env: BTreeMap<String, String>,
    secret: Secret,
    sim: Arc<Sim>,
    host: Arc<Host>,
    clock: Clock,
    settings: Arc<Settings>,
    library: Arc<crate::scenarios::Library>,
    stats: Arc<AgentStats>,
    rng: SplitMix64,
}

impl Agent {
    fn var(&self, name: &str) -> String {
        self.env.get(name).cloned().unwrap_or_default()
    }

    async fn publish(&self, event_type: &str, mut body: Value) {
        body["event_type"] = json!(event_type);
        body["run_id"] = json!(self.var("HAYMAKER_RUN_ID"));
        body["scenario_name"] = json!(self.var("HAYMAKER_SCENARIO"));
        body["timestamp"] = json!(self.clock.now());
        self.stats.events.fetch_add(1, Ordering::Relaxed);
        self.host.publish(body, Uuid::new_v4().to_string());
    }

    fn arm(&self) -> Result<ArmClient, String> {
        let mut settings = (*self.settings).clone();
        settings.azure.client_id = Some(self.var("AZURE_CLIENT_ID"));
        settings.azure.client_secret = Some(self.secret.clone());
        let connection = AzureConnection::from_settings(&settings)?;
        Ok(ArmClient::new(connection.pipeline()))
    }

    /// Whether the agent should keep going: the run's end not reached, its app still running.
    fn alive(&self) -> bool {
        let end = self
            .var("HAYMAKER_RUN_END")
            .parse::<chrono::DateTime<chrono::Utc>>()
            .ok();
        if end.is_some_and(|e| self.clock.now() >= e) {
            return false;
        }
        let world = self.sim.world();
        world.container_app(&self.app_id).is_some_and(|a| {
            a.app
                .properties
                .running_status
                .as_ref()
                .map(|s| s.to_string())
                != Some("Stopped".into())
        })
    }

    async fn run(mut self) {
        let scenario = self.var("HAYMAKER_SCENARIO");
        let arm = match self.arm() {
            Ok(a) => a,
            Err(e) => {
                self.publish(
                    "error",
                    json!({"message": format!("agent cannot sign in: {e}"), "severity": "error"}),
                )
                .await;
                return;
            }
        };
        self.publish(
            "agent_started",
            json!({"message": format!("agent for {scenario} started"), "agent_id": self.app_id}),
        )
        .await;
        let types = self
            .library
            .get(&scenario)
            .map(|s| s.metadata.resource_types.clone())
            .unwrap_or_default();
        let run_id: Uuid = self.var("HAYMAKER_RUN_ID").parse().unwrap_or_default();
        let tags = names::tags(run_id, &scenario);
        let subscription = self.var("HAYMAKER_SUBSCRIPTION_ID");
        let group = self.var("HAYMAKER_RESOURCE_GROUP");
        let location = self.var("HAYMAKER_LOCATION");
        let suffix = self.var("HAYMAKER_SUFFIX");
        let planned = plan::plan(
            &types,
            &plan::PlanInputs {
                subscription: &subscription,
                resource_group: &group,
                location: &location,
                suffix: &suffix,
                tags: &tags,
            },
        );
        let mut created = Vec::new();
        for p in &planned {
            if !self.alive() {
                return;
            }
            match arm.create_or_update_by_id(&p.id, &p.body).await {
                Ok(_) => {
                    self.stats.created.fetch_add(1, Ordering::Relaxed);
                    created.push(p.clone());
                    self.publish(
                        "resource_created",
                        json!({
                            "resource_id": p.id, "resource_type": p.resource_type,
                            "resource_name": p.name, "tags": tags,
                        }),
                    )
                    .await;
                }
                Err(e) => {
                    self.stats.create_failures.fetch_add(1, Ordering::Relaxed);
                    self.publish("error", json!({
                        "message": format!("creating {} failed: {e}", p.resource_type),
                        "severity": "warning", "resource_id": p.id, "resource_type": p.resource_type,
                    })).await;
                }
            }
        }
        // The day's operations: reads at a randomised cadence until the end.
        let deletable: Vec<plan::Planned> =
            plan::independent(&created).into_iter().cloned().collect();
        let mut deleted = false;
        while self.alive() {
            if let Some(p) = created.get(self.rng.below(created.len().max(1) as u64) as usize) {
                let _ = arm.get_resource_by_id(&p.id).await;
            }
            if !deleted && self.rng.below(4) == 0 {
                deleted = true;
                for p in &deletable {
                    if self.rng.below(2) == 0 {
                        continue;
                    }
                    self.delete_own(&arm, p).await;
                }
            }
            let pause = 200 + self.rng.below(400);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
    }

    async fn delete_own(&self, arm: &ArmClient, p: &plan::Planned) {
        match arm.delete_resource_by_id(&p.id).await {
            Ok(_) => {
                self.stats.deleted_by_agents.fetch_add(1, Ordering::Relaxed);
                self.publish("resource_deleted", json!({
                    "resource_id": p.id, "resource_type": p.resource_type, "resource_name": p.name,
                    "deletion_attempts": 1,
                })).await;
            }
            Err(e) => {
                self.publish("resource_deletion_failed", json!({
                    "resource_id": p.id, "resource_type": p.resource_type, "resource_name": p.name,
                    "deletion_error": e.to_string(), "deletion_attempts": 1,
                })).await;
            }
        }
    }
}
