//! Shared by the `azure_*` tests: the Microsoft-authored vectors, a pipeline over a scripted
//! transport, and readers for what the code sent.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use haymaker::azure::transport::scripted::ScriptedTransport;
use haymaker::azure::{Pipeline, PipelineOptions, StaticTokens};
use haymaker::config::Secret;
use serde_json::Value;

/// A vector file under `shared/vectors/azure/`, parsed.
pub fn vector(relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/azure")
        .join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vector {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The JSON text of a value (to queue as an answer body).
pub fn text(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

pub fn script() -> Arc<ScriptedTransport> {
    Arc::new(ScriptedTransport::new())
}

pub fn pipeline(script: &Arc<ScriptedTransport>) -> Pipeline {
    pipeline_at(script, PipelineOptions::default())
}

pub fn pipeline_at(script: &Arc<ScriptedTransport>, options: PipelineOptions) -> Pipeline {
    let tokens = Arc::new(StaticTokens {
        principal: "orchestrator".into(),
        token: Secret::new("test-token"),
    });
    Pipeline::new(script.clone(), tokens, options)
}

/// The `n`th request the code sent: (method, path, api-version, body).
pub struct Sent {
    pub method: String,
    pub path: String,
    pub url: url::Url,
    pub body: Option<Value>,
}

impl Sent {
    pub fn query(&self, key: &str) -> Option<String> {
        self.url
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    pub fn api_version(&self) -> String {
        self.query("api-version").expect("api-version")
    }
}

pub fn sent(script: &ScriptedTransport) -> Vec<Sent> {
    script
        .requests()
        .into_iter()
        .map(|r| Sent {
            method: r.method.to_string(),
            path: r.url.path().to_string(),
            body: r
                .body
                .as_ref()
                .map(|b| serde_json::from_slice(b).expect("the body is JSON")),
            url: r.url,
        })
        .collect()
}

/// The example's `parameters.api-version`.
pub fn api_version_of(v: &Value) -> &str {
    v["parameters"]["api-version"].as_str().unwrap()
}
