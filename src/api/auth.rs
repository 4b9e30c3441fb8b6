//! API-key auth for `haymaker serve` without the Functions host: when `HAYMAKER_API_KEY` is set, every
//! API path but `/health` needs header `X-API-Key` with that value (401 otherwise). Under the host,
//! function keys guard the HTTP functions and this layer stands aside. The dashboard page itself is
//! outside `/api/v1` and anonymous; it asks for the key and sends it on each call.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::ApiError;
use crate::handler::AppState;

/// The header the key travels in.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Compares in time independent of where the inputs differ (and of their lengths): both are hashed,
/// then every byte of the digests is compared.
pub fn keys_match(given: &[u8], expected: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

pub async fn require_key(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(expected) = state.settings.api_key.as_ref() else {
        return next.run(req).await;
    };
    if crate::telemetry::under_functions_host() {
        return next.run(req).await;
    }
    let given = req
        .headers()
        .get(API_KEY_HEADER)
        .map(|v| v.as_bytes().to_vec());
    match given {
        Some(g) if keys_match(&g, expected.expose().as_bytes()) => next.run(req).await,
        Some(_) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "the X-API-Key header does not match HAYMAKER_API_KEY",
        )
        .into_response(),
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "this API needs header X-API-Key (the value of HAYMAKER_API_KEY)",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::keys_match;

    #[test]
    fn keys_match_only_when_equal() {
        assert!(keys_match(b"secret-key", b"secret-key"));
        assert!(!keys_match(b"secret-kez", b"secret-key"));
        assert!(!keys_match(b"secret", b"secret-key"));
        assert!(!keys_match(b"", b"secret-key"));
    }
}
