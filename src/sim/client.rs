//! A client-credentials token source for the [`Pipeline`](crate::azure::Pipeline): posts
//! `client_id`, `client_secret` and `scope` to `{authority}/{tenant}/oauth2/v2.0/token` and caches
//! each scope's token until shortly before it expires. It speaks to any v2 authority; here it is what
//! the simulator's own tests, the sandbox and local runs use, trusting the simulator's CA.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::azure::transport::BoxFuture;
use crate::azure::{AccessTokens, AzureError};
use crate::config::Secret;

/// Tokens are renewed this long before they expire.
const RENEW_MARGIN: Duration = Duration::from_secs(300);

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

/// Client-credentials tokens, cached per scope.
pub struct ClientSecretTokens {
    http: reqwest::Client,
    token_url: url::Url,
    client_id: String,
    secret: Secret,
    cache: Mutex<HashMap<String, (Secret, Instant)>>,
}

impl ClientSecretTokens {
    /// `authority`: e.g. `https://login.microsoftonline.com` or the simulator's address;
    /// `extra_ca`: a PEM bundle of more CAs to trust.
    pub fn new(
        authority: &url::Url,
        tenant: &str,
        client_id: &str,
        secret: Secret,
        extra_ca: Option<&Path>,
    ) -> Result<Self, String> {
        let token_url = url::Url::parse(&format!(
            "{}/{tenant}/oauth2/v2.0/token",
            authority.as_str().trim_end_matches('/')
        ))
        .map_err(|e| format!("bad authority {authority}: {e}"))?;
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));
        if let Some(path) = extra_ca {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read CA file {}: {e}", path.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("{} is not a PEM bundle: {e}", path.display()))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            http,
            token_url,
            client_id: client_id.to_string(),
            secret,
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn cached(&self, scope: &str) -> Option<Secret> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(scope)
            .filter(|(_, renew_at)| Instant::now() < *renew_at)
            .map(|(token, _)| token.clone())
    }

    async fn fetch(&self, scope: &str) -> Result<Secret, AzureError> {
        let failed = |message: String| AzureError::Auth {
            scope: scope.to_string(),
            message,
        };
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.expose()),
            ("scope", scope),
        ];
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = self
            .http
            .post(self.token_url.clone())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        if !status.is_success() {
            // Entra's error body names the problem (AADSTS code) and never echoes the secret.
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let text = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            return Err(failed(format!(
                "HTTP {}: {}: {}",
                status.as_u16(),
                text("error"),
                text("error_description")
            )));
        }
        let answer: TokenAnswer = serde_json::from_slice(&bytes)
            .map_err(|e| failed(format!("unexpected token answer: {e}")))?;
        let token = Secret::new(answer.access_token);
        let lifetime = Duration::from_secs(answer.expires_in);
        let renew_at = Instant::now() + lifetime.saturating_sub(RENEW_MARGIN);
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(scope.to_string(), (token.clone(), renew_at));
        Ok(token)
    }
}

impl AccessTokens for ClientSecretTokens {
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<Secret, AzureError>> {
        Box::pin(async move {
            match self.cached(scope) {
                Some(token) => Ok(token),
                None => self.fetch(scope).await,
            }
        })
    }

    fn principal(&self) -> &str {
        &self.client_id
    }
}
