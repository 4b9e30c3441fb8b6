//! The one pipeline every control-plane call goes through:
//! token → retry (backoff, `Retry-After`) → rate limits (token buckets) → circuit breaker → transport.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE};

pub use super::request::{ApiRequest, ApiResponse, OpKind, Service};

use super::breaker::{BreakerOptions, Breakers};
use super::error::{error_parts, AzureError};
use super::retry::{backoff, retry_after, safe_to_retry, RetryOptions};
use super::throttle::{BucketKey, Buckets};
use super::transport::{BoxFuture, Transport, TransportError, WireRequest};
use crate::config::Secret;

/// Bearer tokens per scope.
pub trait AccessTokens: Send + Sync {
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<Secret, AzureError>>;
    /// Who the tokens are for (the rate limits are per principal).
    fn principal(&self) -> &str;
}

/// Fixed tokens (tests, and the simulator's own clients).
pub struct StaticTokens {
    pub principal: String,
    pub token: Secret,
}

impl AccessTokens for StaticTokens {
    fn token<'a>(&'a self, _scope: &'a str) -> BoxFuture<'a, Result<Secret, AzureError>> {
        Box::pin(async move { Ok(self.token.clone()) })
    }
    fn principal(&self) -> &str {
        &self.principal
    }
}

/// Endpoints and knobs.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub arm_endpoint: url::Url,
    pub graph_endpoint: url::Url,
    /// Token audience of Key Vault (`https://vault.azure.net`).
    pub key_vault_audience: String,
    /// Token audience of the Logs Ingestion API (`https://monitor.azure.com`).
    pub monitor_audience: String,
    pub retry: RetryOptions,
    pub breaker: BreakerOptions,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        Self {
            arm_endpoint: url::Url::parse("https://management.azure.com").expect("static URL"),
            graph_endpoint: url::Url::parse("https://graph.microsoft.com").expect("static URL"),
            key_vault_audience: "https://vault.azure.net".into(),
            monitor_audience: "https://monitor.azure.com".into(),
            retry: RetryOptions::default(),
            breaker: BreakerOptions::default(),
        }
    }
}

/// Counters for reports.
#[derive(Debug, Default)]
pub struct PipelineStats {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
}

struct Inner {
    transport: Arc<dyn Transport>,
    tokens: Arc<dyn AccessTokens>,
    options: PipelineOptions,
    buckets: Buckets,
    breakers: Breakers,
    stats: PipelineStats,
}

/// The shared pipeline. Cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

impl Pipeline {
    pub fn new(
        transport: Arc<dyn Transport>,
        tokens: Arc<dyn AccessTokens>,
        options: PipelineOptions,
    ) -> Self {
        let breakers = Breakers::new(options.breaker.clone());
        Self {
            inner: Arc::new(Inner {
                transport,
                tokens,
                options,
                buckets: Buckets::default(),
                breakers,
                stats: PipelineStats::default(),
            }),
        }
    }

    pub fn options(&self) -> &PipelineOptions {
        &self.inner.options
    }

    pub fn stats(&self) -> &PipelineStats {
        &self.inner.stats
    }

    pub fn buckets(&self) -> &Buckets {
        &self.inner.buckets
    }

    /// The circuit state of an endpoint (`scheme://host[:port]`), for health checks.
    pub fn breaker_state(&self, endpoint: &str) -> super::breaker::BreakerState {
        self.inner.breakers.state(endpoint)
    }

    pub fn principal(&self) -> &str {
        self.inner.tokens.principal()
    }

    fn scope(&self, service: Service) -> String {
        let o = &self.inner.options;
        let audience = match service {
            Service::Arm | Service::ResourceGraph => {
                o.arm_endpoint.as_str().trim_end_matches('/').to_string()
            }
            Service::Graph => o.graph_endpoint.as_str().trim_end_matches('/').to_string(),
            Service::KeyVault => o.key_vault_audience.trim_end_matches('/').to_string(),
            Service::LogsIngestion => o.monitor_audience.trim_end_matches('/').to_string(),
        };
        format!("{audience}/.default")
    }

    fn bucket(&self, request: &ApiRequest) -> Option<BucketKey> {
        let principal = self.inner.tokens.principal().to_string();
        match request.service {
            Service::Arm => Some(BucketKey::Arm {
                subscription: request.subscription.clone().unwrap_or_default(),
                principal,
                kind: request.kind,
            }),
            Service::ResourceGraph => Some(BucketKey::ResourceGraph { principal }),
            Service::Graph | Service::KeyVault | Service::LogsIngestion => None,
        }
    }

    /// Sends `request`; a non-2xx final answer is an [`AzureError::Http`].
    pub async fn send(&self, request: &ApiRequest) -> Result<ApiResponse, AzureError> {
        let inner = &self.inner;
        let endpoint = format!(
            "{}://{}",
            request.url.scheme(),
            request.url.host_str().unwrap_or("").to_string()
                + &request
                    .url
                    .port()
                    .map(|p| format!(":{p}"))
                    .unwrap_or_default()
        );
        let path = request.url.path().to_string();
        let method = request.method.to_string();
        let scope = self.scope(request.service);
        let bucket = self.bucket(request);
        let body = match &request.body {
            Some(v) => Some(Bytes::from(serde_json::to_vec(v).map_err(|e| {
                AzureError::Decode {
                    path: path.clone(),
                    message: format!("cannot encode the request: {e}"),
                }
            })?)),
            None => None,
        };
        let mut attempt: u32 = 0;
        loop {
            if !inner.breakers.allow(&endpoint) {
                return Err(AzureError::CircuitOpen { endpoint });
            }
            if let Some(key) = &bucket {
                inner.buckets.acquire(key).await;
            }
            let token = inner.tokens.token(&scope).await?;
            let mut headers = HeaderMap::new();
            let bearer =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    AzureError::Auth {
                        scope: scope.clone(),
                        message: "the token is not a valid header value".into(),
                    }
                })?;
            headers.insert(AUTHORIZATION, bearer);
            if body.is_some() {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            let wire = WireRequest {
                method: request.method.clone(),
                url: request.url.clone(),
                headers,
                body: body.clone(),
            };
            inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            let result = inner.transport.send(wire).await;
            let (status, wait_hint, failure) = match result {
                Ok(resp) => {
                    if let Some(key) = &bucket {
                        inner.buckets.observe(key, &resp.headers);
                    }
                    if (200..300).contains(&resp.status) {
                        inner.breakers.record(&endpoint, true);
                        return Ok(ApiResponse {
                            status: resp.status,
                            headers: resp.headers,
                            body: resp.body,
                            path,
                        });
                    }
                    // The endpoint is alive when it answers a 4xx (even 429); only 5xx count against it.
                    inner.breakers.record(&endpoint, resp.status < 500);
                    if resp.status == 429 {
                        inner.stats.throttled.fetch_add(1, Ordering::Relaxed);
                    }
                    let (code, message) = error_parts(&resp.body);
                    let request_id = [
                        "x-ms-request-id",
                        "request-id",
                        "x-ms-correlation-request-id",
                    ]
                    .iter()
                    .find_map(|h| resp.headers.get(*h).and_then(|v| v.to_str().ok()))
                    .unwrap_or("")
                    .to_string();
                    let error = AzureError::Http {
                        method: method.clone(),
                        path: path.clone(),
                        status: resp.status,
                        code,
                        message,
                        request_id,
                    };
                    (
                        Some(resp.status),
                        retry_after(&resp.headers, chrono::Utc::now()),
                        error,
                    )
                }
                Err(e) => {
                    inner.breakers.record(&endpoint, false);
                    let never_sent = matches!(e, TransportError::Connect(_));
                    let error = AzureError::Transport {
                        method: method.clone(),
                        path: path.clone(),
                        message: e.to_string(),
                    };
                    if attempt < inner.options.retry.max_retries
                        && safe_to_retry(request.idempotent, None, never_sent)
                    {
                        self.pause(attempt, None).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(error);
                }
            };
            if attempt < inner.options.retry.max_retries
                && safe_to_retry(request.idempotent, status, false)
            {
                tracing::debug!(%method, %path, status, attempt, "retrying");
                self.pause(attempt, wait_hint).await;
                attempt += 1;
                continue;
            }
            return Err(failure);
        }
    }

    async fn pause(&self, attempt: u32, hint: Option<std::time::Duration>) {
        self.inner.stats.retries.fetch_add(1, Ordering::Relaxed);
        super::retry::count_retry();
        let jitter = (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0;
        let delay = hint.unwrap_or_else(|| backoff(&self.inner.options.retry, attempt, jitter));
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
