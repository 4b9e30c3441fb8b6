//! Shared by the simulator tests: a simulator on a free port with its own data directory, haymaker's
//! own connection and pipeline built from the settings it prints (as the orchestrator or as any
//! other principal), raw HTTPS for wire checks, and the shape comparison with Microsoft's examples.
#![allow(dead_code)]

pub mod apps;
pub mod conforms;
pub mod keyvault;

use std::path::PathBuf;
use std::time::Duration;

use haymaker::azure::identity::AzureConnection;
use haymaker::azure::{ApiRequest, AzureError, Pipeline, RetryOptions, Service};
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

    /// A new service principal of the tenant.
    pub fn add_principal(&self, name: &str) -> Principal {
        self.server.sim.world().add_principal(name)
    }

    /// haymaker's pipeline for the orchestrator (`None`) or `principal`, with `retry`.
    pub fn pipeline_as(&self, principal: Option<&Principal>, retry: RetryOptions) -> Pipeline {
        let creds = principal.map(|p| (p.client_id.clone(), p.secret.expose().to_string()));
        let mut connection = self.connection(creds.as_ref().map(|(i, s)| (i.as_str(), s.as_str())));
        connection.options.retry = retry;
        connection.pipeline()
    }

    /// A setting the simulator prints (`--print-env`).
    pub fn var(&self, name: &str) -> String {
        self.server
            .env_vars()
            .into_iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("the simulator prints no {name}"))
    }

    /// The orchestrator's pipeline with `max_retries`.
    pub fn pipeline_with_retries(&self, max_retries: u32) -> Pipeline {
        self.pipeline_as(
            None,
            RetryOptions {
                max_retries,
                ..RetryOptions::default()
            },
        )
    }

    /// PUTs a resource by path through `pipeline` and returns what came back.
    pub async fn put(&self, pipeline: &Pipeline, path: &str, body: Value) -> Value {
        pipeline
            .send(&ApiRequest::put(Service::Arm, self.url(path), body))
            .await
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"))
            .json()
            .unwrap()
    }

    /// The orchestrator's pipeline, no retries.
    pub fn pipeline(&self) -> Pipeline {
        self.pipeline_as(None, no_retries())
    }

    /// An ARM token for the orchestrator, from the token endpoint.
    pub async fn arm_token(&self) -> String {
        self.token("https://management.azure.com/.default").await
    }

    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("{}{path}", self.base())).unwrap()
    }

    /// haymaker's connection from the printed settings; `as_principal` replaces the client id and
    /// secret (a scenario agent's credentials). No retries, so refusals surface at once.
    pub fn connection(&self, as_principal: Option<(&str, &str)>) -> AzureConnection {
        let mut vars = self.server.env_vars();
        if let Some((id, secret)) = as_principal {
            for (k, v) in vars.iter_mut() {
                if *k == AZURE_CLIENT_ID {
                    *v = id.to_string();
                } else if *k == AZURE_CLIENT_SECRET {
                    *v = secret.to_string();
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
        connection.options.retry = no_retries();
        connection
    }

    /// A plain HTTPS client that trusts the simulator's CA.
    pub fn http(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.server.ca_file).unwrap();
        let mut builder = reqwest::Client::builder();
        for cert in reqwest::Certificate::from_pem_bundle(&pem).unwrap() {
            builder = builder.add_root_certificate(cert);
        }
        builder.build().unwrap()
    }

    /// The token endpoint's raw answer for a client-credentials grant.
    pub async fn token_response(&self, client_id: &str, secret: &str, scope: &str) -> (u16, Value) {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.base(),
            self.server.identity().tenant_id
        );
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("scope", scope),
            ])
            .finish();
        let resp = self
            .http()
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, json_of(resp).await)
    }

    /// A token of the orchestrator for `scope`.
    pub async fn token(&self, scope: &str) -> String {
        let id = self.server.identity();
        let (status, body) = self
            .token_response(&id.client_id, id.client_secret.expose(), scope)
            .await;
        assert_eq!(status, 200, "{body}");
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

/// `(status, code)` of an error answer.
pub fn http_code(e: &AzureError) -> (u16, String) {
    (e.status().unwrap_or(0), e.code().unwrap_or("").to_string())
}

/// LROs that answer "in progress" twice before they finish, no waits, instant group deletes.
pub fn polled() -> SimConfig {
    SimConfig {
        lro_polls: 2,
        retry_after_secs: 0,
        group_delete_duration: Duration::ZERO,
        ..SimConfig::default()
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

pub async fn json_of(resp: reqwest::Response) -> Value {
    let bytes = resp.bytes().await.unwrap();
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

/// The type `Namespace/type[/child…]` of the resource (or collection) at `path`.
pub fn type_of(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    let at = lower.rfind("/providers/").expect("a provider path") + "/providers/".len();
    let segments: Vec<&str> = path[at..].split('/').filter(|s| !s.is_empty()).collect();
    let mut t = segments[0].to_string();
    for ty in segments[1..].iter().step_by(2) {
        t.push('/');
        t.push_str(ty);
    }
    t
}

/// `path` with the api-version a real client would use for its type (the newest stable one the
/// simulator's providers list).
pub fn with_api(path: &str) -> String {
    let t = type_of(path);
    let v = haymaker::sim::catalog_types::default_api_version(&t)
        .unwrap_or_else(|| panic!("the simulator offers no type {t}"));
    format!("{path}?api-version={v}")
}

/// A vector file under `shared/vectors/azure/`, parsed.
pub fn vector(relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/azure")
        .join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vector {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where `actual` falls short of `example`: every key of the example must be present with the
/// same JSON type (an example's `null` says nothing about the type). Arrays are compared by their
/// first elements when both have one. `nullable` lists paths (`$.a.b`) where the service answers
/// `null` until the property is set, though the example shows a value.
pub fn shape_problems(example: &Value, actual: &Value, at: &str, nullable: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    match (example, actual) {
        (Value::Null, _) => {}
        (_, Value::Null) if nullable.contains(&at) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                match a.get(key) {
                    None => problems.push(format!("{at}.{key} is missing")),
                    Some(av) => {
                        problems.extend(shape_problems(ev, av, &format!("{at}.{key}"), nullable))
                    }
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let (Some(ef), Some(af)) = (e.first(), a.first()) {
                problems.extend(shape_problems(ef, af, &format!("{at}[0]"), nullable));
            }
        }
        (e, a) if kind(e) == kind(a) => {}
        (e, a) => problems.push(format!(
            "{at} is {} ({a}) where the example has {} ({e})",
            kind(a),
            kind(e)
        )),
    }
    problems
}

/// Fails, listing every problem, unless `actual` has the example's shape.
pub fn assert_shape(name: &str, example: &Value, actual: &Value, nullable: &[&str]) {
    let problems = shape_problems(example, actual, "$", nullable);
    assert!(
        problems.is_empty(),
        "{name}: the simulator's answer differs from Microsoft's example:\n  {}\nanswer: {actual}",
        problems.join("\n  ")
    );
}

#[test]
fn the_shape_check_can_fail() {
    let example = serde_json::json!({"a": 1, "b": {"c": "x"}, "d": [{"e": true}], "n": null});
    let good = serde_json::json!({"a": 2, "b": {"c": "y", "z": 0}, "d": [], "n": 5});
    assert!(shape_problems(&example, &good, "$", &[]).is_empty());
    let unset = serde_json::json!({"a": null, "b": {"c": "y"}, "d": [], "n": 5});
    assert!(shape_problems(&example, &unset, "$", &["$.a"]).is_empty());
    assert_eq!(shape_problems(&example, &unset, "$", &[]).len(), 1);
    let bad = serde_json::json!({"a": "1", "b": {}, "d": [{"e": 1}]});
    assert_eq!(
        shape_problems(&example, &bad, "$", &[]),
        [
            "$.a is string (\"1\") where the example has number (1)",
            "$.b.c is missing",
            "$.d[0].e is number (1) where the example has boolean (true)",
            "$.n is missing",
        ]
    );
}
