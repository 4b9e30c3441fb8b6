//! A simulator started in-process on a free port for a test, haymaker's own pipeline pointed at it
//! through the settings it prints, a raw HTTPS client trusting its CA, and the conformance check
//! against Microsoft's examples.
#![allow(dead_code)]

pub mod apps;

use haymaker::azure::{ApiRequest, AzureError, Pipeline, RetryOptions, Service};
use haymaker::sim::{SimConfig, SimOptions, SimServer};
use serde_json::{json, Value};

pub struct TestSim {
    pub server: SimServer,
    dir: tempfile::TempDir,
}

impl TestSim {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = SimServer::start(SimOptions {
            port: 0,
            data_dir: Some(dir.path().join("sim")),
            config: SimConfig {
                lro_polls: 2,
                retry_after_secs: 0,
                ..SimConfig::default()
            },
        })
        .await
        .expect("the simulator starts");
        Self { server, dir }
    }

    pub fn sub(&self, i: usize) -> String {
        self.server.identity().subscriptions[i].id.clone()
    }

    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("{}{path}", self.server.base_url())).unwrap()
    }

    pub fn var(&self, name: &str) -> String {
        self.server
            .env_vars()
            .into_iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("the simulator prints no {name}"))
    }

    /// haymaker's own pipeline built from the printed settings (no retries: answers are seen as sent).
    pub fn pipeline(&self) -> Pipeline {
        self.pipeline_with_retries(0)
    }

    pub fn pipeline_with_retries(&self, max_retries: u32) -> Pipeline {
        let vars = self.server.env_vars();
        let settings = haymaker::config::Settings::from_lookup(&|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
        let mut connection =
            haymaker::azure::identity::AzureConnection::from_settings(&settings).unwrap();
        connection.options.retry = RetryOptions {
            max_retries,
            ..RetryOptions::default()
        };
        connection.pipeline()
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

    /// An ARM token for the orchestrator's principal.
    pub async fn arm_token(&self) -> String {
        let id = self.server.identity();
        let form: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("grant_type", "client_credentials"),
                ("client_id", id.client_id.as_str()),
                ("client_secret", id.client_secret.expose()),
                ("scope", &format!("{}/.default", self.server.base_url())),
            ])
            .finish();
        let resp = self
            .http()
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                self.server.base_url(),
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

    /// PUTs a resource by path through `pipeline` and returns what came back.
    pub async fn put(&self, pipeline: &Pipeline, path: &str, body: Value) -> Value {
        pipeline
            .send(&ApiRequest::put(Service::Arm, self.url(path), body))
            .await
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"))
            .json()
            .unwrap()
    }

    pub async fn stop(self) {
        self.server.stop().await;
        drop(self.dir);
    }
}

/// `(status, code)` of an error answer.
pub fn http_code(e: &AzureError) -> (u16, String) {
    (e.status().unwrap_or(0), e.code().unwrap_or("").to_string())
}

/// A file of the shared vectors.
pub fn vector(rel: &str) -> Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/azure")
        .join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every field of `expected` is in `actual` with the same JSON type, recursively; for arrays, each
/// element of `expected` conforms to some element of `actual` (when both have elements). `null` in
/// the example accepts any value. Paths in `except` (`a.b.c`) are not checked.
pub fn assert_conforms(expected: &Value, actual: &Value, at: &str, except: &[&str]) {
    let problems = conformance(expected, actual, at, except);
    assert!(
        problems.is_empty(),
        "{}\nin {actual:#}",
        problems.join("\n")
    );
}

fn conformance(expected: &Value, actual: &Value, at: &str, except: &[&str]) -> Vec<String> {
    if except.contains(&at) || expected.is_null() {
        return vec![];
    }
    if kind(expected) != kind(actual) {
        return vec![format!(
            "{at}: the example has {}, the simulator {}",
            kind(expected),
            kind(actual)
        )];
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .flat_map(|(k, v)| {
                let path = format!("{at}.{k}");
                match a.get(k) {
                    None if !except.contains(&path.as_str()) => vec![format!("{path}: missing")],
                    None => vec![],
                    Some(got) => conformance(v, got, &path, except),
                }
            })
            .collect(),
        (Value::Array(e), Value::Array(a)) if !a.is_empty() => e
            .iter()
            .filter(|item| {
                !a.iter()
                    .any(|got| conformance(item, got, &format!("{at}[]"), except).is_empty())
            })
            .map(|item| format!("{at}[]: no element conforms to {item}"))
            .collect(),
        _ => vec![],
    }
}

#[test]
fn the_conformance_check_can_fail() {
    let example = json!({"a": 1, "b": {"c": "x"}, "d": [{"e": true}], "n": null});
    assert_conforms(
        &example,
        &json!({"a": 2, "b": {"c": "y"}, "d": [{"e": false}], "n": 3}),
        "$",
        &[],
    );
    assert!(!conformance(
        &example,
        &json!({"a": "1", "b": {"c": "y"}, "d": []}),
        "$",
        &[]
    )
    .is_empty());
    assert!(!conformance(&example, &json!({"a": 1, "b": {}, "d": []}), "$", &[]).is_empty());
    assert!(!conformance(
        &example,
        &json!({"a": 1, "b": {"c": "y"}, "d": [{"f": 1}]}),
        "$",
        &[]
    )
    .is_empty());
    assert!(conformance(
        &example,
        &json!({"a": 1, "b": {}, "d": [], "n": null}),
        "$",
        &["$.b.c"]
    )
    .is_empty());
}
