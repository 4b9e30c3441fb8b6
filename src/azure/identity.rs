//! The orchestrator's own identity, and the real pipeline built from the settings.
//!
//! [`IdentityTokens`] picks one `azure_identity` credential from the settings:
//! - a client secret (`AZURE_CLIENT_SECRET` set; with `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
//!   `AZURE_AUTHORITY_HOST`): local runs against an app registration, and the simulator;
//! - the managed identity when running in Azure (`IDENTITY_ENDPOINT` in the environment; the
//!   user-assigned one named by `AZURE_CLIENT_ID` when set);
//! - otherwise the developer tools credential (`az` / `azd` logins).
//!
//! Every credential sends through our [`Transport`] (via [`SdkHttp`]), so it trusts the extra CA
//! (`HAYMAKER_EXTRA_CA_FILE`) like every other call. Tokens are cached per scope until five
//! minutes before they expire: `azure_identity` caches for the client-secret and managed-identity
//! credentials, but its CLI credentials run `az` / `azd` for every token, so the cache is here.
//!
//! Limits of `azure_identity` 1.0 worth knowing: the authority host must be `https://` (it refuses
//! anything else), and only its scheme and authority are used — the token URL is
//! `{scheme}://{host}/{tenant}/oauth2/v2.0/token`, any path on the authority host is dropped.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::TokenCredential;
use azure_core::time::{Duration as SdkDuration, OffsetDateTime};
use azure_identity::{
    ClientSecretCredential, ClientSecretCredentialOptions, DeveloperToolsCredential,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
};

use super::error::AzureError;
use super::keyvault::{SecretsClient, SecretsOptions};
use super::pipeline::{AccessTokens, Pipeline, PipelineOptions};
use super::sdk::SdkHttp;
use super::transport::{BoxFuture, HttpTransport, Transport};
use crate::config::catalog::{
    AZURE_AUTHORITY_HOST, AZURE_CLIENT_ID, AZURE_TENANT_ID, HAYMAKER_EXTRA_CA_FILE,
};
use crate::config::{AzureSettings, Secret, SettingProblem, Settings, SettingsError};

/// Renew a cached token this long before it expires.
const REFRESH_MARGIN_SECS: i64 = 300;
/// Per-request timeout of the real transport.
const HTTP_TIMEOUT: Duration = Duration::from_secs(120);

/// Which credential [`IdentityTokens`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    ClientSecret,
    ManagedIdentity,
    DeveloperTools,
}

impl CredentialKind {
    /// The credential the settings and the environment (`env`: a variable lookup) call for.
    pub fn choose(settings: &AzureSettings, env: &dyn Fn(&str) -> Option<String>) -> Self {
        if settings.client_secret.is_some() {
            Self::ClientSecret
        } else if env("IDENTITY_ENDPOINT").is_some_and(|v| !v.trim().is_empty()) {
            Self::ManagedIdentity
        } else {
            Self::DeveloperTools
        }
    }
}

struct Cached {
    token: Secret,
    expires_on: OffsetDateTime,
}

/// Bearer tokens for the orchestrator's identity, cached per scope.
pub struct IdentityTokens {
    credential: Arc<dyn TokenCredential>,
    kind: CredentialKind,
    principal: String,
    cache: tokio::sync::Mutex<HashMap<String, Cached>>,
}

impl fmt::Debug for IdentityTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityTokens")
            .field("kind", &self.kind)
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

fn problem(name: &'static str, problem: impl Into<String>) -> SettingProblem {
    SettingProblem {
        name,
        problem: problem.into(),
    }
}

fn tenant_ok(tenant: &str) -> bool {
    tenant
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

impl IdentityTokens {
    /// From the settings, deciding managed identity by the process environment.
    pub fn from_settings(
        settings: &AzureSettings,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, SettingsError> {
        Self::new(settings, transport, &|name| std::env::var(name).ok())
    }

    /// From the settings, with `env` as the environment lookup and `transport` for the token calls.
    /// Errors name every setting that is missing or unusable.
    pub fn new(
        settings: &AzureSettings,
        transport: Arc<dyn Transport>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let kind = CredentialKind::choose(settings, env);
        let client_options = SdkHttp::client_options(transport);
        let sdk_problem = |name: &'static str, e: azure_core::Error| SettingsError {
            problems: vec![problem(name, format!("rejected by azure_identity: {e}"))],
        };
        let (credential, principal): (Arc<dyn TokenCredential>, String) = match kind {
            CredentialKind::ClientSecret => {
                let mut problems = Vec::new();
                let tenant = settings.tenant_id.clone().unwrap_or_default();
                if tenant.is_empty() {
                    problems.push(problem(
                        AZURE_TENANT_ID,
                        "missing; a client secret needs the tenant id",
                    ));
                } else if !tenant_ok(&tenant) {
                    problems.push(problem(
                        AZURE_TENANT_ID,
                        format!("`{tenant}` is not a tenant id or domain"),
                    ));
                }
                let client_id = settings.client_id.clone().unwrap_or_default();
                if client_id.is_empty() {
                    problems.push(problem(
                        AZURE_CLIENT_ID,
                        "missing; a client secret needs the application's client id",
                    ));
                }
                if settings.authority_host.scheme() != "https" {
                    problems.push(problem(
                        AZURE_AUTHORITY_HOST,
                        format!(
                            "`{}` is not https://; azure_identity only talks to an https authority",
                            settings.authority_host
                        ),
                    ));
                }
                if !problems.is_empty() {
                    return Err(SettingsError { problems });
                }
                let mut cloud = CustomConfiguration::default();
                cloud.authority_host = settings.authority_host.as_str().to_string();
                let options = ClientSecretCredentialOptions {
                    client_options: azure_core::http::ClientOptions {
                        cloud: Some(Arc::new(CloudConfiguration::from(cloud))),
                        ..client_options
                    },
                };
                let secret = settings
                    .client_secret
                    .as_ref()
                    .map(|s| s.expose().to_string())
                    .unwrap_or_default();
                let credential = ClientSecretCredential::new(
                    &tenant,
                    client_id.clone(),
                    secret.into(),
                    Some(options),
                )
                .map_err(|e| sdk_problem(AZURE_AUTHORITY_HOST, e))?;
                (credential, client_id)
            }
            CredentialKind::ManagedIdentity => {
                let options = ManagedIdentityCredentialOptions {
                    user_assigned_id: settings.client_id.clone().map(UserAssignedId::ClientId),
                    client_options,
                };
                let credential = ManagedIdentityCredential::new(Some(options))
                    .map_err(|e| sdk_problem(AZURE_CLIENT_ID, e))?;
                let principal = settings
                    .client_id
                    .clone()
                    .unwrap_or_else(|| "managed-identity".into());
                (credential, principal)
            }
            CredentialKind::DeveloperTools => {
                let credential = DeveloperToolsCredential::new(None)
                    .map_err(|e| sdk_problem(AZURE_CLIENT_ID, e))?;
                let principal = settings
                    .client_id
                    .clone()
                    .unwrap_or_else(|| "developer-tools".into());
                (credential, principal)
            }
        };
        Ok(Self {
            credential,
            kind,
            principal,
            cache: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    pub fn kind(&self) -> CredentialKind {
        self.kind
    }

    /// The managed identity of the process's host (Container Apps, Functions): the user-assigned
    /// one with `resource_id` when given, else the system-assigned one. The agent sends its events
    /// with it while `AZURE_CLIENT_*` hold the scenario principal's credentials for `az`.
    pub fn managed(
        resource_id: Option<&str>,
        transport: Arc<dyn Transport>,
    ) -> Result<Self, String> {
        let options = ManagedIdentityCredentialOptions {
            user_assigned_id: resource_id.map(|id| UserAssignedId::ResourceId(id.to_string())),
            client_options: SdkHttp::client_options(transport),
        };
        let credential = ManagedIdentityCredential::new(Some(options))
            .map_err(|e| format!("managed identity: {e}"))?;
        Ok(Self {
            credential,
            kind: CredentialKind::ManagedIdentity,
            principal: resource_id.unwrap_or("managed-identity").to_string(),
            cache: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    async fn fetch(&self, scope: &str) -> Result<Secret, AzureError> {
        // One fetch at a time: callers waiting for the same scope then find it cached.
        let mut cache = self.cache.lock().await;
        let now = OffsetDateTime::now_utc();
        if let Some(c) = cache.get(scope) {
            if c.expires_on > now + SdkDuration::seconds(REFRESH_MARGIN_SECS) {
                return Ok(c.token.clone());
            }
        }
        let token = self
            .credential
            .get_token(&[scope], None)
            .await
            .map_err(|e| AzureError::Auth {
                scope: scope.to_string(),
                message: e.to_string(),
            })?;
        let secret = Secret::new(token.token.secret().to_string());
        cache.insert(
            scope.to_string(),
            Cached {
                token: secret.clone(),
                expires_on: token.expires_on,
            },
        );
        Ok(secret)
    }
}

impl AccessTokens for IdentityTokens {
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<Secret, AzureError>> {
        Box::pin(self.fetch(scope))
    }

    fn principal(&self) -> &str {
        &self.principal
    }
}

/// The transport (rustls plus `HAYMAKER_EXTRA_CA_FILE`), the identity and the endpoints: what the
/// pipeline and the SDK-based clients (Key Vault) are built from.
pub struct AzureConnection {
    pub transport: Arc<dyn Transport>,
    pub tokens: Arc<IdentityTokens>,
    pub options: PipelineOptions,
}

impl AzureConnection {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let azure = &settings.azure;
        if let Some(path) = &azure.extra_ca_file {
            check_ca_file(path).map_err(|e| format!("{HAYMAKER_EXTRA_CA_FILE}: {e}"))?;
        }
        let transport: Arc<dyn Transport> = Arc::new(
            HttpTransport::new(azure.extra_ca_file.as_deref(), HTTP_TIMEOUT)
                .map_err(|e| format!("{HAYMAKER_EXTRA_CA_FILE}: {e}"))?,
        );
        let tokens = Arc::new(
            IdentityTokens::from_settings(azure, transport.clone()).map_err(|e| e.to_string())?,
        );
        let mut options = PipelineOptions {
            arm_endpoint: azure.arm_endpoint.clone(),
            graph_endpoint: azure.graph_endpoint.clone(),
            ..Default::default()
        };
        if let Some(vault) = &azure.key_vault_url {
            options.key_vault_audience = key_vault_audience(vault);
        }
        Ok(Self {
            transport,
            tokens,
            options,
        })
    }

    /// The shared pipeline over this connection.
    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(
            self.transport.clone(),
            self.tokens.clone(),
            self.options.clone(),
        )
    }

    /// The secrets of the vault at `vault_url` (`KEY_VAULT_URL`), with this connection's transport
    /// and identity.
    pub fn secrets(&self, vault_url: &url::Url) -> Result<SecretsClient, AzureError> {
        let options = SecretsOptions {
            audience: self.options.key_vault_audience.clone(),
            ..Default::default()
        };
        SecretsClient::new(
            vault_url,
            self.transport.clone(),
            self.tokens.clone(),
            options,
        )
    }
}

/// A CA file that holds no certificate would silently add nothing: refuse it.
fn check_ca_file(path: &std::path::Path) -> Result<(), String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(()),
        Ok(_) => Err(format!("{} holds no PEM certificate", path.display())),
        Err(e) => Err(format!(
            "{} is not a PEM certificate bundle: {e}",
            path.display()
        )),
    }
}

/// The real pipeline: [`HttpTransport`] (trusting the extra CA), [`IdentityTokens`], and the
/// ARM / Graph endpoints from the settings.
pub fn pipeline_from_settings(settings: &Settings) -> Result<Pipeline, String> {
    Ok(AzureConnection::from_settings(settings)?.pipeline())
}

/// The token audience of the vault at `vault`: `https://{name}.vault.azure.cn` → `https://vault.azure.cn`
/// (every cloud names its vaults `{name}.vault.{suffix}`); any other host → the vault's URL without
/// query and trailing slash (the simulator's `https://127.0.0.1:7443/vaults/haymaker`, whose origin
/// alone is ARM's audience there).
pub fn key_vault_audience(vault: &url::Url) -> String {
    let host = vault.host_str().unwrap_or_default();
    match host.split_once('.') {
        Some((_, rest)) if rest.starts_with("vault.") => format!("https://{rest}"),
        _ => format!(
            "{}{}",
            vault.origin().ascii_serialization(),
            vault.path().trim_end_matches('/')
        ),
    }
}

#[cfg(test)]
mod audience_tests {
    use super::key_vault_audience;

    #[test]
    fn audience_follows_the_vault_cloud() {
        let a = |u: &str| key_vault_audience(&url::Url::parse(u).unwrap());
        assert_eq!(a("https://hm.vault.azure.net/"), "https://vault.azure.net");
        assert_eq!(a("https://hm.vault.azure.cn"), "https://vault.azure.cn");
        assert_eq!(
            a("https://hm.vault.usgovcloudapi.net"),
            "https://vault.usgovcloudapi.net"
        );
        assert_eq!(a("https://127.0.0.1:8443/"), "https://127.0.0.1:8443");
        assert_eq!(
            a("https://127.0.0.1:7443/vaults/haymaker/"),
            "https://127.0.0.1:7443/vaults/haymaker"
        );
    }
}
