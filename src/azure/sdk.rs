//! Bridges to the Azure SDK (`azure_core` 1.x), so the SDK's clients (`azure_identity`'s
//! credentials, `azure_security_keyvault_secrets`) use our transport — rustls plus the extra CA, or
//! a scripted transport in tests — and our tokens, and so their errors come back as [`AzureError`].
//!
//! - [`SdkHttp`]: an `azure_core` `HttpClient` over our [`Transport`].
//! - [`SdkCredential`]: an `azure_core` `TokenCredential` over our [`AccessTokens`].
//! - [`azure_error`]: an `azure_core::Error` as an [`AzureError`].

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::http::headers::Headers;
use azure_core::http::{AsyncRawResponse, ClientOptions, HttpClient, Request, StatusCode};
use azure_core::time::{Duration as SdkDuration, OffsetDateTime};
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::error::{error_parts, AzureError};
use super::pipeline::AccessTokens;
use super::transport::{Transport, TransportError, WireRequest};

/// An `azure_core` HTTP client that sends through one of our transports.
#[derive(Clone)]
pub struct SdkHttp {
    transport: Arc<dyn Transport>,
}

impl SdkHttp {
    pub fn new(transport: Arc<dyn Transport>) -> Self {
        Self { transport }
    }

    /// `ClientOptions` whose transport is this client (retry and other options left at the SDK's
    /// defaults).
    pub fn client_options(transport: Arc<dyn Transport>) -> ClientOptions {
        ClientOptions {
            transport: Some(azure_core::http::Transport::new(Arc::new(Self::new(
                transport,
            )))),
            ..Default::default()
        }
    }
}

impl fmt::Debug for SdkHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SdkHttp")
    }
}

fn method(m: azure_core::http::Method) -> azure_core::Result<reqwest::Method> {
    use azure_core::http::Method as M;
    Ok(match m {
        M::Get => reqwest::Method::GET,
        M::Put => reqwest::Method::PUT,
        M::Post => reqwest::Method::POST,
        M::Delete => reqwest::Method::DELETE,
        M::Patch => reqwest::Method::PATCH,
        M::Head => reqwest::Method::HEAD,
        other => {
            return Err(azure_core::Error::with_message(
                ErrorKind::Other,
                format!("unsupported HTTP method {other:?}"),
            ))
        }
    })
}

#[async_trait::async_trait]
impl HttpClient for SdkHttp {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let mut headers = HeaderMap::new();
        for (name, value) in request.headers().iter() {
            // Only the header's name is ever reported: its value may be a credential.
            let invalid = || {
                azure_core::Error::with_message(
                    ErrorKind::DataConversion,
                    format!("header {} is not valid on the wire", name.as_str()),
                )
            };
            let n = HeaderName::from_bytes(name.as_str().as_bytes()).map_err(|_| invalid())?;
            let v = HeaderValue::from_str(value.as_str()).map_err(|_| invalid())?;
            headers.append(n, v);
        }
        let body = match request.body() {
            azure_core::http::Body::Bytes(b) if b.is_empty() => None,
            azure_core::http::Body::Bytes(b) => Some(Bytes::copy_from_slice(b)),
            azure_core::http::Body::SeekableStream(_) => {
                return Err(azure_core::Error::with_message(
                    ErrorKind::Other,
                    "streaming request bodies are not supported",
                ))
            }
        };
        let wire = WireRequest {
            method: method(request.method())?,
            url: request.url().clone(),
            headers,
            body,
        };
        let response = self.transport.send(wire).await.map_err(|e| {
            let kind = match e {
                TransportError::Connect(_) => ErrorKind::Connection,
                TransportError::Interrupted(_) => ErrorKind::Io,
            };
            azure_core::Error::with_message(kind, e.to_string())
        })?;
        let mut sdk_headers = Headers::new();
        for (name, value) in &response.headers {
            if let Ok(v) = value.to_str() {
                sdk_headers.insert(name.as_str().to_string(), v.to_string());
            }
        }
        Ok(AsyncRawResponse::from_bytes(
            StatusCode::from(response.status),
            sdk_headers,
            response.body.to_vec(),
        ))
    }
}

/// An `azure_core` credential over our tokens, for SDK clients.
///
/// `scope` is the only scope it hands out tokens for, whatever the SDK client asks: Key Vault
/// clients take their scope from the vault's `WWW-Authenticate` challenge, and a vault (or anything
/// posing as one) must not be able to obtain a token for another audience that way.
pub struct SdkCredential {
    tokens: Arc<dyn AccessTokens>,
    scope: String,
}

impl SdkCredential {
    pub fn new(tokens: Arc<dyn AccessTokens>, scope: impl Into<String>) -> Self {
        Self {
            tokens,
            scope: scope.into(),
        }
    }
}

impl fmt::Debug for SdkCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SdkCredential")
            .field("principal", &self.tokens.principal())
            .field("scope", &self.scope)
            .finish()
    }
}

/// How long the SDK may reuse a token from us before asking again. Our tokens come without an
/// expiry; the SDK renews five minutes before the expiry it is told, so it asks again after about
/// a minute, and [`AccessTokens`] implementations cache on their side.
const SDK_TOKEN_LIFETIME_SECS: i64 = 6 * 60;

#[async_trait::async_trait]
impl TokenCredential for SdkCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        if scopes.iter().any(|s| *s != self.scope) {
            tracing::debug!(
                asked = ?scopes,
                using = %self.scope,
                "SDK client asked for another scope; using the configured one"
            );
        }
        let token =
            self.tokens.token(&self.scope).await.map_err(|e| {
                azure_core::Error::with_message(ErrorKind::Credential, e.to_string())
            })?;
        Ok(AccessToken::new(
            token.expose().to_string(),
            OffsetDateTime::now_utc() + SdkDuration::seconds(SDK_TOKEN_LIFETIME_SECS),
        ))
    }
}

/// An SDK error as an [`AzureError`]: HTTP errors keep status, service code, message and request id.
pub fn azure_error(method: &str, path: &str, error: azure_core::Error) -> AzureError {
    match error.kind() {
        ErrorKind::HttpResponse {
            status,
            error_code,
            raw_response,
        } => {
            let (body_code, message) = raw_response
                .as_ref()
                .map(|r| error_parts(r.body().as_ref()))
                .unwrap_or_default();
            let request_id = raw_response
                .as_ref()
                .and_then(|r| {
                    ["x-ms-request-id", "request-id"].iter().find_map(|h| {
                        r.headers()
                            .get_optional_str(&azure_core::http::headers::HeaderName::from(*h))
                            .map(str::to_string)
                    })
                })
                .unwrap_or_default();
            let code = if body_code.is_empty() {
                error_code.clone().unwrap_or_default()
            } else {
                body_code
            };
            AzureError::Http {
                method: method.to_string(),
                path: path.to_string(),
                status: u16::from(*status),
                code,
                message,
                request_id,
            }
        }
        ErrorKind::Credential => AzureError::Auth {
            scope: path.to_string(),
            message: error.to_string(),
        },
        ErrorKind::DataConversion => AzureError::Decode {
            path: path.to_string(),
            message: error.to_string(),
        },
        _ => AzureError::Transport {
            method: method.to_string(),
            path: path.to_string(),
            message: error.to_string(),
        },
    }
}
