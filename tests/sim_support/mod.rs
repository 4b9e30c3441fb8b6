//! A simulator started in-process on a free port with its own data directory, and haymaker's own
//! pipeline pointed at it as the orchestrator or as any other principal of the tenant.
#![allow(dead_code)]

use std::time::Duration;

use haymaker::azure::identity::AzureConnection;
use haymaker::azure::{Pipeline, RetryOptions};
use haymaker::config::catalog::{AZURE_CLIENT_ID, AZURE_CLIENT_SECRET};
use haymaker::sim::state::Principal;
use haymaker::sim::{SimConfig, SimOptions, SimServer};
use serde_json::Value;

pub struct TestSim {
    pub server: SimServer,
    pub dir: tempfile::TempDir,
}

impl TestSim {
    pub async fn start(config: SimConfig) -> Self {
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

    pub fn base(&self) -> String {
        self.server.base_url()
    }

    pub fn sub(&self, i: usize) -> String {
        self.server.identity().subscriptions[i].id.clone()
    }

    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("{}{path}", self.base())).unwrap()
    }

    /// A new service principal of the tenant.
    pub fn add_principal(&self, name: &str) -> Principal {
        self.server.sim.world().add_principal(name)
    }

    /// haymaker's pipeline for the orchestrator (`None`) or `principal`, with `retry`.
    pub fn pipeline_as(&self, principal: Option<&Principal>, retry: RetryOptions) -> Pipeline {
        let mut vars = self.server.env_vars();
        if let Some(p) = principal {
            for (name, value) in vars.iter_mut() {
                if *name == AZURE_CLIENT_ID {
                    *value = p.client_id.clone();
                } else if *name == AZURE_CLIENT_SECRET {
                    *value = p.secret.expose().to_string();
                }
            }
        }
        let settings = haymaker::config::Settings::from_lookup(&|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
        let mut connection = AzureConnection::from_settings(&settings).unwrap();
        connection.options.retry = retry;
        connection.pipeline()
    }

    /// The orchestrator's pipeline, no retries.
    pub fn pipeline(&self) -> Pipeline {
        self.pipeline_as(None, no_retries())
    }

    /// A plain HTTPS client that trusts the simulator's CA (for raw wire checks).
    pub fn http(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.server.ca_file).unwrap();
        let mut builder = reqwest::Client::builder();
        for cert in reqwest::Certificate::from_pem_bundle(&pem).unwrap() {
            builder = builder.add_root_certificate(cert);
        }
        builder.build().unwrap()
    }

    /// An ARM token for the orchestrator, from the token endpoint.
    pub async fn arm_token(&self) -> String {
        let id = self.server.identity();
        let form = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("grant_type", "client_credentials"),
                ("client_id", id.client_id.as_str()),
                ("client_secret", id.client_secret.expose()),
                ("scope", "https://management.azure.com/.default"),
            ])
            .finish();
        let resp = self
            .http()
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                self.base(),
                id.tenant_id
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn stop(self) {
        self.server.stop().await;
        drop(self.dir);
    }
}

pub fn no_retries() -> RetryOptions {
    RetryOptions {
        max_retries: 0,
        ..RetryOptions::default()
    }
}

/// A config for tests: LROs complete on their first poll, no waits.
pub fn quick() -> SimConfig {
    SimConfig {
        lro_polls: 0,
        retry_after_secs: 0,
        group_delete_duration: Duration::ZERO,
        ..SimConfig::default()
    }
}
