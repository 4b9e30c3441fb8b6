//! How the emulated host reaches the handler: the router in this process, or HTTP to a handler
//! process (`haymaker serve`, as the Functions host runs its custom handler). The host posts the
//! same envelopes either way; only a process can die under it, which the host sees as
//! [`Unreachable`].

use axum::body::Body;
use axum::http::Request;
use serde_json::Value;
use tower::ServiceExt;

/// An invocation's answer: HTTP status and the JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The messages an output binding received.
    pub fn outputs(&self, binding: &str) -> Vec<Value> {
        match &self.body["Outputs"][binding] {
            Value::Array(items) => items.clone(),
            Value::Null => vec![],
            other => vec![other.clone()],
        }
    }
}

/// The handler process did not answer: it is down, or died while holding the invocation.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the handler is unreachable ({reason})")]
pub struct Unreachable {
    /// `true` when the connection was never made, so the handler cannot have seen the request.
    pub never_sent: bool,
    pub reason: String,
}

/// Where the host sends envelopes.
#[derive(Clone)]
pub enum HandlerTransport {
    /// The real router, called in this process.
    InProcess(axum::Router),
    /// A handler process listening on `base` (`http://127.0.0.1:PORT`).
    Http {
        base: String,
        client: reqwest::Client,
    },
}

impl From<axum::Router> for HandlerTransport {
    fn from(app: axum::Router) -> Self {
        HandlerTransport::InProcess(app)
    }
}

impl HandlerTransport {
    /// HTTP to a handler at `base` (no proxy: the handler is on this machine).
    pub fn http(base: impl Into<String>) -> Self {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .expect("a client without TLS settings builds");
        Self::Http {
            base: base.into().trim_end_matches('/').to_string(),
            client,
        }
    }

    /// Posts `envelope` to `/{function}` with an invocation id, as the Functions host does.
    pub async fn post(&self, function: &str, envelope: &Value) -> Result<Answer, Unreachable> {
        let invocation_id = uuid::Uuid::new_v4().to_string();
        let (status, bytes) = match self {
            HandlerTransport::InProcess(app) => {
                let request = Request::post(format!("/{function}"))
                    .header("content-type", "application/json")
                    .header("x-azure-functions-invocationid", invocation_id.as_str())
                    .body(Body::from(envelope.to_string()))
                    .expect("a valid request");
                let response = match app.clone().oneshot(request).await {
                    Ok(r) => r,
                    Err(never) => match never {},
                };
                let status = response.status().as_u16();
                let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap_or_default();
                (status, bytes)
            }
            HandlerTransport::Http { base, client } => {
                let lost = |e: reqwest::Error| Unreachable {
                    never_sent: e.is_connect(),
                    reason: e.to_string(),
                };
                let response = client
                    .post(format!("{base}/{function}"))
                    .header("content-type", "application/json")
                    .header("x-azure-functions-invocationid", invocation_id.as_str())
                    .body(envelope.to_string())
                    .send()
                    .await
                    .map_err(lost)?;
                let status = response.status().as_u16();
                (status, response.bytes().await.map_err(lost)?)
            }
        };
        let answer = Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        };
        host_log(function, &invocation_id, &answer);
        Ok(answer)
    }
}

/// What the Functions host does with an answer: the handler's `Logs` lines go into the function's
/// log (target `functions_host`, info), and at trace level the host notes the outputs it hands to
/// the bindings, so a test that scans the logs (secret hygiene) also sees every answer.
fn host_log(function: &str, invocation_id: &str, answer: &Answer) {
    if let Some(lines) = answer.body["Logs"].as_array() {
        for line in lines {
            let line = line
                .as_str()
                .map_or_else(|| line.to_string(), str::to_string);
            tracing::info!(target: "functions_host", function, invocation_id, "{line}");
        }
    }
    tracing::trace!(
        target: "functions_host",
        function,
        invocation_id,
        status = answer.status,
        outputs = %answer.body["Outputs"],
        "invocation answered"
    );
}
