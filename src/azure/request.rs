//! What a control-plane call is before and after the [pipeline](super::pipeline): the service it
//! goes to, the ARM limit it counts against, the request and the successful answer.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::AzureError;

/// Which service a call goes to (token scope, limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Arm,
    ResourceGraph,
    Graph,
    KeyVault,
    /// Azure Monitor's Logs Ingestion API (a data collection endpoint).
    LogsIngestion,
}

/// Which ARM limit a call counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    Read,
    Write,
    Delete,
}

/// One call, before the pipeline adds the token.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub url: url::Url,
    pub body: Option<Value>,
    pub service: Service,
    pub kind: OpKind,
    /// May be repeated with no second effect (GET, PUT, DELETE, and queries sent as POST).
    pub idempotent: bool,
    /// The subscription an ARM call counts against (its rate limits).
    pub subscription: Option<String>,
}

impl ApiRequest {
    fn new(
        method: Method,
        service: Service,
        url: url::Url,
        kind: OpKind,
        idempotent: bool,
    ) -> Self {
        let subscription = subscription_of(&url);
        Self {
            method,
            url,
            body: None,
            service,
            kind,
            idempotent,
            subscription,
        }
    }

    pub fn get(service: Service, url: url::Url) -> Self {
        Self::new(Method::GET, service, url, OpKind::Read, true)
    }

    pub fn put(service: Service, url: url::Url, body: Value) -> Self {
        Self::new(Method::PUT, service, url, OpKind::Write, true).with_body(body)
    }

    pub fn patch(service: Service, url: url::Url, body: Value) -> Self {
        Self::new(Method::PATCH, service, url, OpKind::Write, true).with_body(body)
    }

    pub fn delete(service: Service, url: url::Url) -> Self {
        Self::new(Method::DELETE, service, url, OpKind::Delete, true)
    }

    /// A POST that creates or changes something: retried only when it cannot have taken effect.
    pub fn post(service: Service, url: url::Url, body: Value) -> Self {
        Self::new(Method::POST, service, url, OpKind::Write, false).with_body(body)
    }

    /// A POST that only reads (a query): safe to repeat.
    pub fn query(service: Service, url: url::Url, body: Value) -> Self {
        Self::new(Method::POST, service, url, OpKind::Read, true).with_body(body)
    }

    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// `/subscriptions/{id}/…` → `id`.
fn subscription_of(url: &url::Url) -> Option<String> {
    let mut segments = url.path_segments()?;
    while let Some(s) = segments.next() {
        if s.eq_ignore_ascii_case("subscriptions") {
            return segments.next().map(str::to_ascii_lowercase);
        }
    }
    None
}

/// An answer with a success status (2xx).
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub path: String,
}

impl ApiResponse {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, AzureError> {
        serde_json::from_slice(&self.body).map_err(|e| AzureError::Decode {
            path: self.path.clone(),
            message: e.to_string(),
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
