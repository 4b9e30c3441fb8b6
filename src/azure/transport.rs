//! Sending one HTTP request. The real transport is reqwest (rustls, plus any extra CA such as the
//! simulator's); tests plug in their own.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::Method;

/// What goes on the wire.
#[derive(Debug, Clone)]
pub struct WireRequest {
    pub method: Method,
    pub url: url::Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct WireResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// No answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    /// The connection was never established: the request was not sent.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// Sent (or partly sent), no complete answer: timeout, reset.
    #[error("no answer: {0}")]
    Interrupted(String),
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one request.
pub trait Transport: Send + Sync {
    fn send(&self, request: WireRequest) -> BoxFuture<'_, Result<WireResponse, TransportError>>;
}

/// reqwest over rustls.
pub struct HttpTransport {
    client: reqwest::Client,
}

impl HttpTransport {
    /// `extra_ca`: a PEM bundle of more CAs to trust (`HAYMAKER_EXTRA_CA_FILE`).
    pub fn new(extra_ca: Option<&Path>, timeout: Duration) -> Result<Self, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("haymaker/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = extra_ca {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("{} is not a PEM certificate bundle: {e}", path.display()))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self { client })
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: WireRequest) -> BoxFuture<'_, Result<WireResponse, TransportError>> {
        Box::pin(async move {
            let mut builder = self
                .client
                .request(request.method, request.url)
                .headers(request.headers);
            if let Some(body) = request.body {
                builder = builder.body(body);
            }
            let response = builder.send().await.map_err(|e| {
                if e.is_connect() {
                    TransportError::Connect(e.without_url().to_string())
                } else {
                    TransportError::Interrupted(e.without_url().to_string())
                }
            })?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response
                .bytes()
                .await
                .map_err(|e| TransportError::Interrupted(e.without_url().to_string()))?;
            Ok(WireResponse {
                status,
                headers,
                body,
            })
        })
    }
}

/// A transport that answers from a script and records what it was sent: for unit tests of the
/// pipeline's own behaviour (retries, limits, LROs) and of request shapes.
pub mod scripted {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    pub struct ScriptedTransport {
        answers: Mutex<VecDeque<Result<WireResponse, TransportError>>>,
        seen: Mutex<Vec<WireRequest>>,
    }

    impl ScriptedTransport {
        pub fn new() -> Self {
            Self::default()
        }

        /// Queues an answer with a JSON (or empty) body and headers.
        pub fn answer(&self, status: u16, headers: &[(&str, &str)], body: &str) -> &Self {
            let mut map = HeaderMap::new();
            for (k, v) in headers {
                map.insert(
                    reqwest::header::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                    reqwest::header::HeaderValue::from_str(v).expect("header value"),
                );
            }
            self.answers
                .lock()
                .expect("lock")
                .push_back(Ok(WireResponse {
                    status,
                    headers: map,
                    body: Bytes::from(body.to_string()),
                }));
            self
        }

        pub fn fail(&self, error: TransportError) -> &Self {
            self.answers.lock().expect("lock").push_back(Err(error));
            self
        }

        pub fn requests(&self) -> Vec<WireRequest> {
            self.seen.lock().expect("lock").clone()
        }

        pub fn remaining(&self) -> usize {
            self.answers.lock().expect("lock").len()
        }
    }

    impl Transport for ScriptedTransport {
        fn send(
            &self,
            request: WireRequest,
        ) -> BoxFuture<'_, Result<WireResponse, TransportError>> {
            self.seen.lock().expect("lock").push(request.clone());
            let next = self.answers.lock().expect("lock").pop_front();
            Box::pin(async move {
                next.unwrap_or_else(|| {
                    Err(TransportError::Interrupted(format!(
                        "script exhausted at {} {}",
                        request.method,
                        request.url.path()
                    )))
                })
            })
        }
    }
}
