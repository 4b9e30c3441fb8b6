//! HTTP functions arrive forwarded (host.json sets `enableForwardingHttpRequest`), but if the host ever
//! sends one as an envelope (`Data.req` with Url/Method/Headers/Body), it is served by the same API
//! routes and answered through the `res` output binding.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::envelope::{Envelope, EnvelopeError};
use super::response::InvocationResponse;
use super::AppState;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HttpRequestData {
    url: String,
    method: String,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    headers: BTreeMap<String, Value>,
}

fn bad(problem: impl Into<String>) -> EnvelopeError {
    EnvelopeError::Binding {
        binding: "req".into(),
        problem: problem.into(),
    }
}

/// Serves an enveloped HTTP request through the API router.
pub async fn invoke(
    state: &AppState,
    envelope: &Envelope,
) -> Result<InvocationResponse, EnvelopeError> {
    let req: HttpRequestData = envelope.binding_as("req")?;
    let url = url::Url::parse(&req.url).map_err(|e| bad(format!("Url `{}`: {e}", req.url)))?;
    let method = Method::from_bytes(req.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| bad(format!("Method `{}` is not an HTTP method", req.method)))?;
    let path_and_query = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut builder = Request::builder().method(method).uri(path_and_query);
    for (name, value) in &req.headers {
        let values: Vec<&str> = match value {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            Value::String(s) => vec![s.as_str()],
            _ => Vec::new(),
        };
        for v in values {
            builder = builder.header(name.as_str(), v);
        }
    }
    let body = match req.body {
        None | Some(Value::Null) => Body::empty(),
        Some(Value::String(s)) => Body::from(s),
        Some(other) => Body::from(other.to_string()),
    };
    let request = builder
        .body(body)
        .map_err(|e| bad(format!("cannot rebuild the request: {e}")))?;
    let response = super::http_routes(state.clone())
        .with_state(state.clone())
        .oneshot(request)
        .await
        .unwrap_or_else(|never| match never {});
    let status = response.status().as_u16();
    let headers: serde_json::Map<String, Value> = response
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), Value::String(v.to_str().ok()?.to_string()))))
        .collect();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok(InvocationResponse::new()
        .push_single_output(
            "res",
            json!({
                "statusCode": status,
                "headers": headers,
                "body": String::from_utf8_lossy(&bytes),
            }),
        )
        .log(format!("{status} for an enveloped HTTP request")))
}
