//! Entra tokens for Service Bus: our [`AccessTokens`] behind the `TokenCredential` of the azure_core
//! (0.25) that `azservicebus` speaks.
//!
//! [`AccessTokens`] hands out the token only, so the expiry comes from the JWT's `exp` claim. The
//! expiry reported to `azservicebus` is ten minutes early, and never less than a minute away: its CBS
//! link re-sends the token at the reported expiry, so the namespace always holds a token with minutes
//! to spare, and a token nearing its end is asked for again at most once a minute while our cache
//! (which renews five minutes before the end) still hands out the old one. Nor is it ever more than
//! twelve hours away.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use azure_core_sb::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core_sb::date::OffsetDateTime;
use base64::Engine;

use crate::azure::AccessTokens;

/// The scope of Service Bus tokens.
pub const SERVICE_BUS_SCOPE: &str = "https://servicebus.azure.net/.default";
const EARLY: Duration = Duration::from_secs(600);
const AT_LEAST: Duration = Duration::from_secs(60);
/// Assumed lifetime when the token is not a JWT with `exp`.
const UNKNOWN_LIFETIME: Duration = Duration::from_secs(300);
/// Never report more than this (the crate's refresh timer panics on deadlines years away).
const AT_MOST: Duration = Duration::from_secs(12 * 3600);

/// An `azure_core` 0.25 credential over [`AccessTokens`].
#[derive(Clone)]
pub struct TokenBridge {
    tokens: Arc<dyn AccessTokens>,
}

impl fmt::Debug for TokenBridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBridge")
            .field("principal", &self.tokens.principal())
            .finish()
    }
}

impl TokenBridge {
    pub fn new(tokens: Arc<dyn AccessTokens>) -> Self {
        Self { tokens }
    }
}

/// The `exp` claim (seconds since the epoch) of a JWT, if it is one.
pub(crate) fn jwt_expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_i64()
}

/// The expiry to report for a token that really expires at `exp` (seconds), seen at `now` (seconds).
pub(crate) fn reported_expiry(exp: Option<i64>, now: i64) -> i64 {
    let exp = exp.unwrap_or(now + UNKNOWN_LIFETIME.as_secs() as i64);
    (exp - EARLY.as_secs() as i64)
        .min(now + AT_MOST.as_secs() as i64)
        .max(now + AT_LEAST.as_secs() as i64)
}

#[async_trait::async_trait]
impl TokenCredential for TokenBridge {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions>,
    ) -> azure_core_sb::Result<AccessToken> {
        let scope = scopes.first().copied().unwrap_or(SERVICE_BUS_SCOPE);
        let token = self.tokens.token(scope).await.map_err(|e| {
            azure_core_sb::Error::with_message(azure_core_sb::error::ErrorKind::Credential, || {
                e.to_string()
            })
        })?;
        let now = OffsetDateTime::now_utc();
        let at = reported_expiry(jwt_expiry(token.expose()), now.unix_timestamp());
        let expires_on = OffsetDateTime::from_unix_timestamp(at).unwrap_or(now + AT_LEAST);
        Ok(AccessToken::new(
            Secret::new(token.expose().to_string()),
            expires_on,
        ))
    }
}
