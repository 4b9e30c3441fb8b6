//! Helpers for the cleanup tests and the cleanup benchmark: a simulator on a free port with
//! haymaker's real pipeline, seeding through ARM, and the stand-ins for what the simulator does not
//! serve yet.
//!
//! TEMPORARY STAND-INS (switch to the simulator when it serves them):
//! - [`WorldInventory`] answers discovery from the simulator's world in-process, in place of
//!   Resource Graph (`GraphInventory` is the real port). It can be told that a subscription fails,
//!   and can add stale rows (resources it claims carry the run's tag when they no longer do).
//! - [`FakeDirectory`] stands in for Graph, RBAC role assignments and Key Vault
//!   (`AzureIdentities` is the real port).
//!
//! The ARM reads and deletes are real: `AzureArm` over the pipeline against the simulator.
#![allow(dead_code)]

mod directory;
pub mod harness;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use async_trait::async_trait;
use haymaker::azure::identity::AzureConnection;
use haymaker::azure::{ApiRequest, AzureError, Pipeline, RetryOptions, Service};
use haymaker::cleanup::model::{group_of, RunFilter};
use haymaker::cleanup::{Found, Inventory, SubscriptionInventory, TAG_MANAGED, TAG_RUN_ID};
use haymaker::sim::{SimConfig, SimOptions, SimServer};
use serde_json::{json, Map, Value};

pub use directory::FakeDirectory;

/// The api-version a real client would write the resource at `path` (below `providers/`) with:
/// the newest stable one the simulator's provider lists for its type.
pub fn api_for(path: &str) -> &'static str {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut t = segments[0].to_string();
    for ty in segments[1..].iter().step_by(2) {
        t.push('/');
        t.push_str(ty);
    }
    haymaker::sim::catalog_types::default_api_version(&t)
        .unwrap_or_else(|| panic!("the simulator offers no type {t}"))
}

pub struct TestSim {
    pub server: SimServer,
    pub dir: tempfile::TempDir,
}

impl TestSim {
    pub async fn start() -> Self {
        Self::start_with(SimConfig {
            lro_polls: 1,
            retry_after_secs: 0,
            ..SimConfig::default()
        })
        .await
    }

    pub async fn start_with(config: SimConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = SimServer::start(SimOptions {
            port: 0,
            data_dir: Some(dir.path().join("sim")),
            config,
        })
        .await
        .expect("the simulator starts");
        Self { server, dir }
    }

    pub fn sub(&self, i: usize) -> String {
        self.server.identity().subscriptions[i].id.clone()
    }

    /// haymaker's own pipeline from the settings the simulator prints.
    pub fn pipeline(&self) -> Pipeline {
        let vars = self.server.env_vars();
        let settings = haymaker::config::Settings::from_lookup(&|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
        let mut connection = AzureConnection::from_settings(&settings).unwrap();
        connection.options.retry = RetryOptions {
            max_retries: 2,
            ..RetryOptions::default()
        };
        connection.pipeline()
    }

    fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("{}{path}", self.server.base_url())).unwrap()
    }

    pub async fn put_group(
        &self,
        pipeline: &Pipeline,
        sub: &str,
        name: &str,
        tags: &[(&str, &str)],
    ) -> String {
        let url = self.url(&format!(
            "/subscriptions/{sub}/resourcegroups/{name}?api-version=2025-04-01"
        ));
        let body = json!({"location": "eastus", "tags": tag_map(tags)});
        pipeline
            .send(&ApiRequest::put(Service::Arm, url, body))
            .await
            .unwrap();
        format!("/subscriptions/{sub}/resourceGroups/{name}")
    }

    /// PUTs a resource; `path` is below `providers/` (`Microsoft.Network/virtualNetworks/v`).
    pub async fn put(
        &self,
        pipeline: &Pipeline,
        sub: &str,
        group: &str,
        path: &str,
        tags: &[(&str, &str)],
    ) -> String {
        let id = format!("/subscriptions/{sub}/resourceGroups/{group}/providers/{path}");
        let url = self.url(&format!("{id}?api-version={}", api_for(path)));
        let body = json!({"location": "eastus", "tags": tag_map(tags)});
        pipeline
            .send(&ApiRequest::put(Service::Arm, url, body))
            .await
            .unwrap();
        id
    }

    /// Whether the world holds the resource or group `id`.
    pub fn exists(&self, id: &str) -> bool {
        let world = self.server.sim.world();
        let key = id.to_ascii_lowercase();
        if haymaker::cleanup::model::is_group_id(id) {
            let sub = key.split('/').nth(2).unwrap().to_string();
            world.groups.contains_key(&(sub, group_of(id).unwrap()))
        } else {
            world.resources.contains_key(&key)
        }
    }

    /// Ids of everything in the world tagged with `run`.
    pub fn tagged_with(&self, run: &str) -> Vec<String> {
        let world = self.server.sim.world();
        let tagged = |tags: &Map<String, Value>| {
            tags.iter()
                .any(|(k, v)| k.eq_ignore_ascii_case(TAG_RUN_ID) && v.as_str() == Some(run))
        };
        let mut out: Vec<String> = world
            .groups
            .values()
            .filter(|g| tagged(&g.tags))
            .map(|g| g.id())
            .collect();
        out.extend(
            world
                .resources
                .values()
                .filter(|r| {
                    r.body
                        .get("tags")
                        .and_then(Value::as_object)
                        .is_some_and(tagged)
                })
                .map(|r| r.id.clone()),
        );
        out
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

pub fn tag_map(tags: &[(&str, &str)]) -> Value {
    Value::Object(
        tags.iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect(),
    )
}

/// The tags of a resource of `run`.
pub fn run_tags(run: &str) -> [(&str, &str); 3] {
    [
        (TAG_MANAGED, "true"),
        (TAG_RUN_ID, run),
        ("haymaker-scenario", "networking-01"),
    ]
}

fn tags_of(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Discovery from the simulator's world (in place of Resource Graph; see the module docs).
pub struct WorldInventory<'a> {
    sim: &'a TestSim,
    pub failing: Mutex<BTreeSet<String>>,
    /// Rows reported as the run's whatever their tags now say (a stale index).
    pub stale: Mutex<Vec<Found>>,
    pub calls: Mutex<Vec<String>>,
}

impl<'a> WorldInventory<'a> {
    pub fn new(sim: &'a TestSim) -> Self {
        Self {
            sim,
            failing: Mutex::new(BTreeSet::new()),
            stale: Mutex::new(Vec::new()),
            calls: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl Inventory for WorldInventory<'_> {
    async fn discover(
        &self,
        subscription: &str,
        filter: RunFilter,
    ) -> Result<SubscriptionInventory, AzureError> {
        self.calls.lock().unwrap().push(subscription.to_string());
        if self.failing.lock().unwrap().contains(subscription) {
            return Err(AzureError::Http {
                method: "POST".into(),
                path: "/providers/Microsoft.ResourceGraph/resources".into(),
                status: 403,
                code: "AuthorizationFailed".into(),
                message: format!("no access to subscription {subscription}"),
                request_id: "test".into(),
            });
        }
        let matches = |tags: &BTreeMap<String, String>| match filter {
            RunFilter::Run(run) => tags.get(TAG_RUN_ID).is_some_and(|v| v == &run.to_string()),
            RunFilter::AllManaged => tags.get(TAG_MANAGED).is_some_and(|v| v == "true"),
        };
        let sub = subscription.to_ascii_lowercase();
        let world = self.sim.server.sim.world();
        let mut inv = SubscriptionInventory {
            subscription: subscription.to_string(),
            ..Default::default()
        };
        for g in world.groups.values().filter(|g| g.subscription == sub) {
            let tags = tags_of(Some(&Value::Object(g.tags.clone())));
            if matches(&tags) {
                inv.groups.push(Found {
                    id: g.id(),
                    resource_type: "Microsoft.Resources/resourceGroups".into(),
                    tags,
                });
            }
        }
        let run_groups: BTreeSet<String> = inv.groups.iter().filter_map(|g| g.group()).collect();
        for r in world.resources.values() {
            if !r
                .id
                .to_ascii_lowercase()
                .starts_with(&format!("/subscriptions/{sub}/"))
            {
                continue;
            }
            let f = Found {
                id: r.id.clone(),
                resource_type: r.resource_type.clone(),
                tags: tags_of(r.body.get("tags")),
            };
            if matches!(filter, RunFilter::Run(_))
                && f.group().is_some_and(|g| run_groups.contains(&g))
            {
                inv.members.push(f.clone());
            }
            if matches(&f.tags) {
                inv.resources.push(f);
            }
        }
        drop(world);
        for f in self.stale.lock().unwrap().iter() {
            if f.id
                .to_ascii_lowercase()
                .starts_with(&format!("/subscriptions/{sub}/"))
            {
                inv.resources.push(f.clone());
            }
        }
        Ok(inv)
    }
}

/// ARM with a count of every call, and optionally a crash: deletes in `stall_subscription` after
/// the first `stall_after` never finish (the process "dies" there when the test drops the future).
pub struct CountingArm<A> {
    pub inner: A,
    pub deletes: Mutex<Vec<String>>,
    pub reads: Mutex<Vec<String>>,
    pub stall_subscription: Option<String>,
    pub stall_after: usize,
    pub started: std::sync::atomic::AtomicUsize,
}

impl<A> CountingArm<A> {
    pub fn new(inner: A) -> Self {
        Self {
            inner,
            deletes: Mutex::new(Vec::new()),
            reads: Mutex::new(Vec::new()),
            stall_subscription: None,
            stall_after: usize::MAX,
            started: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    pub fn deleted(&self) -> Vec<String> {
        self.deletes.lock().unwrap().clone()
    }
}

#[async_trait]
impl<A: haymaker::cleanup::ArmOps> haymaker::cleanup::ArmOps for CountingArm<A> {
    async fn read_tags(&self, id: &str) -> Result<Option<BTreeMap<String, String>>, AzureError> {
        self.reads.lock().unwrap().push(id.to_string());
        self.inner.read_tags(id).await
    }

    async fn delete(&self, id: &str) -> Result<haymaker::azure::arm::DeleteOutcome, AzureError> {
        if let Some(sub) = &self.stall_subscription {
            if id.to_ascii_lowercase().contains(sub.as_str()) {
                let n = self
                    .started
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n >= self.stall_after {
                    futures::future::pending::<()>().await;
                }
            }
        }
        let result = self.inner.delete(id).await;
        if result.is_ok() {
            self.deletes.lock().unwrap().push(id.to_string());
        }
        result
    }
}
