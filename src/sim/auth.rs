//! Entra-compatible token issuance and the bearer check every service call goes through (discovery
//! documents are in [`super::discovery`]).
//!
//! - `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant (form fields `grant_type`,
//!   `client_id`, `client_secret`, `scope=<audience>/.default`; others such as `client_info` and
//!   `claims` are ignored). Errors carry Entra's shape and AADSTS codes.
//!
//! Audiences: the simulator's own address is ARM's audience (as `https://management.azure.com` is
//! Azure's), `…/graph` is Graph's and `…/vaults…` Key Vault's; Azure's public audiences are accepted
//! too, so a client that asks for `https://management.core.windows.net//.default` is served.
//! `https://storage.azure.com/.default` issues a Storage token (no storage service here: Azurite in
//! OAuth mode takes it).

use axum::http::{HeaderValue, Method};
use axum::response::Response;
use chrono::Utc;
use serde_json::json;

use super::env::{GRAPH_PATH, KEY_VAULT_PATH};
use super::state::{Audience, BearerError, IssuedToken, TokenError};
use super::{arm_error, json_response, Failure, Req, Sim};

/// The audience a `/.default` resource names, if any service here has it.
pub fn audience_of(resource: &str, port: u16) -> Option<Audience> {
    let resource = resource.trim_end_matches('/').to_ascii_lowercase();
    match resource.as_str() {
        "https://management.azure.com" | "https://management.core.windows.net" => {
            return Some(Audience::Arm)
        }
        "https://graph.microsoft.com" => return Some(Audience::Graph),
        "https://vault.azure.net" => return Some(Audience::KeyVault),
        "https://storage.azure.com" => return Some(Audience::Storage),
        "https://monitor.azure.com" => return Some(Audience::Monitor),
        _ => {}
    }
    let url = url::Url::parse(&resource).ok()?;
    let ours = url.scheme() == "https"
        && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
        && url.port() == Some(port);
    if !ours {
        return None;
    }
    let path = url.path().trim_matches('/');
    if path.is_empty() {
        Some(Audience::Arm)
    } else if path == GRAPH_PATH {
        Some(Audience::Graph)
    } else if path.split('/').next() == KEY_VAULT_PATH.split('/').next() {
        Some(Audience::KeyVault)
    } else {
        None
    }
}

/// Entra's error answer.
fn entra_error(req: &Req, status: u16, error: &str, code: u32, message: &str) -> Response {
    let now = Utc::now();
    let trace_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = uuid::Uuid::new_v4().to_string();
    let timestamp = now.format("%Y-%m-%d %H:%M:%SZ").to_string();
    json_response(
        status,
        &json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {message} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("{}/error?code={code}", req.base),
        }),
    )
}

pub(super) fn known_tenant(sim: &Sim, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&sim.identity.tenant_id)
}

pub(super) fn tenant_not_found(req: &Req, tenant: &str) -> Response {
    entra_error(
        req,
        400,
        "invalid_tenant",
        90002,
        &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."),
    )
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub fn token(sim: &Sim, req: &Req) -> Response {
    let tenant = &req.segments[0];
    if req.method != Method::POST {
        return entra_error(
            req,
            405,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests.",
        );
    }
    if !known_tenant(sim, tenant) {
        return tenant_not_found(req, tenant);
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let missing = |name: &str| {
        entra_error(
            req,
            400,
            "invalid_request",
            900144,
            &format!("The request body must contain the following parameter: '{name}'."),
        )
    };
    let Some(grant_type) = field("grant_type") else {
        return missing("grant_type");
    };
    if grant_type != "client_credentials" {
        return entra_error(
            req,
            400,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{grant_type}'. The simulator supports client_credentials only."),
        );
    }
    let Some(client_id) = field("client_id") else {
        return missing("client_id");
    };
    let Some(scope) = field("scope") else {
        return missing("scope");
    };
    let Some(resource) = scope
        .split_whitespace()
        .find_map(|s| s.strip_suffix("/.default"))
    else {
        return entra_error(
            req,
            400,
            "invalid_scope",
            1002012,
            &format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
        );
    };
    let Some(audience) = audience_of(resource, sim.port) else {
        return entra_error(
            req,
            400,
            "invalid_resource",
            500011,
            &format!("The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."),
        );
    };
    let Some(secret) = field("client_secret") else {
        return entra_error(
            req,
            401,
            "invalid_client",
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
        );
    };
    let issued = sim
        .world()
        .issue_token(client_id, secret, audience, resource, Utc::now());
    match issued {
        Ok((access_token, expires_in)) => json_response(
            200,
            &json!({
                "token_type": "Bearer",
                "expires_in": expires_in,
                "ext_expires_in": expires_in,
                "access_token": access_token,
            }),
        ),
        Err(TokenError::UnknownClient) => entra_error(
            req,
            400,
            "unauthorized_client",
            700016,
            &format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."),
        ),
        Err(TokenError::BadSecret) => entra_error(
            req,
            401,
            "invalid_client",
            7000215,
            &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."),
        ),
    }
}

/// Checks `Authorization: Bearer <token>` for `audience`; the refusal is ARM's 401.
pub fn require_arm(sim: &Sim, req: &Req) -> Result<IssuedToken, Box<Response>> {
    let refuse = |code: &str, message: String| {
        let mut response = arm_error(&Failure::new(401, code, message.clone()));
        let challenge = format!(
            "Bearer authorization_uri=\"{}/{}\", error=\"invalid_token\", error_description=\"{}\"",
            req.base,
            sim.identity.tenant_id,
            message.replace('"', "'")
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert("www-authenticate", v);
        }
        Box::new(response)
    };
    let Some(header) = req.header("authorization") else {
        return Err(refuse(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".into(),
        ));
    };
    let token = match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => {
            token.trim()
        }
        _ => return Err(refuse(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format."
                .into(),
        )),
    };
    let now = Utc::now();
    let world = sim.world();
    match world.bearer(token, Audience::Arm, now) {
        Ok(issued) => Ok(issued),
        Err(BearerError::Unknown) => Err(refuse(
            "InvalidAuthenticationToken",
            "The access token is invalid.".into(),
        )),
        Err(BearerError::Expired(at)) => Err(refuse(
            "ExpiredAuthenticationToken",
            format!(
                "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                at.format("%-m/%-d/%Y %-I:%M:%S %p"),
                now.format("%-m/%-d/%Y %-I:%M:%S %p")
            ),
        )),
        Err(BearerError::WrongAudience(resource)) => Err(refuse(
            "InvalidAuthenticationTokenAudience",
            format!(
                "The access token has been obtained for wrong audience or resource '{resource}'. It should exactly match with one of the allowed audiences '{}', '{}/', 'https://management.azure.com/', 'https://management.core.windows.net/'.",
                req.base, req.base
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_of_scopes() {
        let p = 7443;
        assert_eq!(
            audience_of("https://127.0.0.1:7443", p),
            Some(Audience::Arm)
        );
        assert_eq!(
            audience_of("https://127.0.0.1:7443/", p),
            Some(Audience::Arm)
        );
        assert_eq!(
            audience_of("https://localhost:7443/", p),
            Some(Audience::Arm)
        );
        assert_eq!(
            audience_of("https://management.core.windows.net/", p),
            Some(Audience::Arm)
        );
        assert_eq!(
            audience_of("https://127.0.0.1:7443/graph", p),
            Some(Audience::Graph)
        );
        assert_eq!(
            audience_of("https://127.0.0.1:7443/graph/", p),
            Some(Audience::Graph)
        );
        assert_eq!(
            audience_of("https://vault.azure.net", p),
            Some(Audience::KeyVault)
        );
        assert_eq!(
            audience_of("https://storage.azure.com/", p),
            Some(Audience::Storage)
        );
        assert_eq!(audience_of("https://127.0.0.1:7444", p), None);
        assert_eq!(audience_of("https://example.com", p), None);
        assert_eq!(audience_of("https://127.0.0.1:7443/other", p), None);
    }
}
