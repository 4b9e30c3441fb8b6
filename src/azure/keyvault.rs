//! Key Vault secrets: set, get, delete, get deleted, purge (and recover), through the official
//! `azure_security_keyvault_secrets` client.
//!
//! How the SDK client is wired in:
//! - its HTTP goes through our [`Transport`] ([`SdkHttp`]): the same rustls client that trusts the
//!   extra CA (the simulator's), or a scripted transport in tests;
//! - its tokens come from our [`AccessTokens`] ([`SdkCredential`]), always for the configured Key
//!   Vault audience. The client learns the scope from the vault's `WWW-Authenticate` challenge (its
//!   first request goes out without a token, the vault answers 401, the request is repeated with
//!   one); the SDK's own check that the challenge names a parent domain of the vault is turned off,
//!   because the audience is pinned here instead, and the check rejects a vault at `127.0.0.1`.
//! - its errors become [`AzureError`]s; its retries (429, 5xx, resets) are the SDK's.
//!
//! Version: 1.0.1, the stable release. 1.1.0-beta.1 needs `azure_core` 1.2.0-beta.1, and Cargo
//! cannot hold that beside the `azure_core` 1.1 that `azure_storage_blob` 1.1 requires (one
//! semver-compatible version per crate; a pre-release never satisfies `^1.1`).
//!
//! API version 7.5 by default (the SDK's default is 2025-07-01): Microsoft's examples of all five
//! calls exist for 7.5, and it is served everywhere, sovereign clouds included.
//!
//! Soft delete: a deleted secret's name stays taken until it is purged or recovered. While a delete,
//! purge or recovery is in progress, calls on that name answer 409; [`SecretsClient::set`] and
//! [`SecretsClient::purge`] repeat them with a growing pause, a bounded number of times. Setting a
//! name that is soft-deleted purges it first or recovers it, as the caller chooses
//! ([`OnSoftDeleted`]).

mod models;

use std::sync::Arc;
use std::time::Duration;

use azure_security_keyvault_secrets::models::{SecretClientGetSecretOptions, SetSecretParameters};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};

pub use models::*;

use super::error::AzureError;
use super::pipeline::AccessTokens;
use super::sdk::{azure_error, SdkCredential, SdkHttp};
use super::transport::Transport;

/// How the 409s of a name in transition are waited out.
#[derive(Debug, Clone)]
pub struct ConflictRetry {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// Pause after the first 409; doubles up to `max_delay`.
    pub delay: Duration,
    pub max_delay: Duration,
}

impl Default for ConflictRetry {
    fn default() -> Self {
        Self {
            attempts: 8,
            delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15),
        }
    }
}

/// Client knobs.
#[derive(Debug, Clone)]
pub struct SecretsOptions {
    pub api_version: String,
    /// Token audience (`https://vault.azure.net`; the pipeline's `key_vault_audience`).
    pub audience: String,
    pub conflict_retry: ConflictRetry,
}

impl Default for SecretsOptions {
    fn default() -> Self {
        Self {
            api_version: "7.5".into(),
            audience: "https://vault.azure.net".into(),
            conflict_retry: ConflictRetry::default(),
        }
    }
}

/// What [`SecretsClient::set`] does when the name belongs to a soft-deleted secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSoftDeleted {
    /// Purge the deleted secret, then set the new value (its history is lost).
    Purge,
    /// Recover the deleted secret, then set the new value as its next version.
    Recover,
}

/// The secrets of one vault.
pub struct SecretsClient {
    client: SecretClient,
    options: SecretsOptions,
}

impl SecretsClient {
    /// A client for the vault at `vault_url` (`https://{name}.vault.azure.net`, or the simulator's).
    pub fn new(
        vault_url: &url::Url,
        transport: Arc<dyn Transport>,
        tokens: Arc<dyn AccessTokens>,
        options: SecretsOptions,
    ) -> Result<Self, AzureError> {
        let scope = format!("{}/.default", options.audience.trim_end_matches('/'));
        let credential = Arc::new(SdkCredential::new(tokens, scope));
        let sdk_options = SecretClientOptions {
            api_version: options.api_version.clone(),
            client_options: SdkHttp::client_options(transport),
            verify_challenge_resource: Some(false),
        };
        let client = SecretClient::new(vault_url.as_str(), credential, Some(sdk_options))
            .map_err(|e| azure_error("NEW", vault_url.path(), e))?;
        Ok(Self { client, options })
    }

    /// Stores a new version of `name` (`PUT /secrets/{name}`, 200). When the name is soft-deleted,
    /// purges or recovers it first (`on_soft_deleted`); 409s while it is in transition are waited
    /// out.
    pub async fn set(
        &self,
        name: &str,
        secret: &NewSecret,
        on_soft_deleted: OnSoftDeleted,
    ) -> Result<VaultSecret, AzureError> {
        let path = check_name("secrets", name)?;
        let retry = &self.options.conflict_retry;
        let mut delay = retry.delay;
        let mut attempt = 1;
        loop {
            match self.set_once(&path, name, secret).await {
                Err(e) if e.is_conflict() && attempt < retry.attempts => {
                    // Soft-deleted (take the caller's way out), or a delete / purge / recovery
                    // still running (wait).
                    if self.get_deleted(name).await?.is_some() {
                        match on_soft_deleted {
                            OnSoftDeleted::Purge => {
                                self.purge(name).await?;
                            }
                            OnSoftDeleted::Recover => self.recover(name).await?,
                        }
                    }
                    tracing::debug!(secret = name, attempt, "name in transition; waiting");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(retry.max_delay);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn set_once(
        &self,
        path: &str,
        name: &str,
        secret: &NewSecret,
    ) -> Result<VaultSecret, AzureError> {
        let parameters = SetSecretParameters {
            value: Some(secret.value.expose().to_string()),
            content_type: secret.content_type.clone(),
            tags: (!secret.tags.is_empty()).then(|| {
                secret
                    .tags
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
            ..Default::default()
        };
        let content = parameters
            .try_into()
            .map_err(|e| azure_error("PUT", path, e))?;
        let response = self
            .client
            .set_secret(name, content, None)
            .await
            .map_err(|e| azure_error("PUT", path, e))?;
        let model = response
            .into_model()
            .map_err(|e| azure_error("PUT", path, e))?;
        VaultSecret::from_sdk(path, model)
    }

    /// Reads a secret (`GET /secrets/{name}/{version}`; the latest when `version` is `None`).
    /// `Ok(None)` when there is no such secret (deleted ones included).
    pub async fn get(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<Option<VaultSecret>, AzureError> {
        let path = check_name("secrets", name)?;
        if let Some(v) = version {
            check_name("secrets", v)?;
        }
        let options = SecretClientGetSecretOptions {
            secret_version: version.map(str::to_string),
            ..Default::default()
        };
        let result = self.client.get_secret(name, Some(options)).await;
        let Some(response) = found(result, "GET", &path)? else {
            return Ok(None);
        };
        let model = response
            .into_model()
            .map_err(|e| azure_error("GET", &path, e))?;
        VaultSecret::from_sdk(&path, model).map(Some)
    }

    /// Deletes a secret, every version (`DELETE /secrets/{name}`, 200). With soft delete it stays
    /// recoverable until purged. `Ok(None)` when it was already gone.
    pub async fn delete(&self, name: &str) -> Result<Option<DeletedVaultSecret>, AzureError> {
        let path = check_name("secrets", name)?;
        let result = self
            .on_conflict_wait(name, || self.client.delete_secret(name, None))
            .await;
        let Some(response) = found(result, "DELETE", &path)? else {
            return Ok(None);
        };
        let model = response
            .into_model()
            .map_err(|e| azure_error("DELETE", &path, e))?;
        DeletedVaultSecret::from_sdk(&path, model).map(Some)
    }

    /// Reads a soft-deleted secret (`GET /deletedsecrets/{name}`, 200). `Ok(None)` when the name is
    /// not soft-deleted.
    pub async fn get_deleted(&self, name: &str) -> Result<Option<DeletedVaultSecret>, AzureError> {
        let path = check_name("deletedsecrets", name)?;
        let result = self.client.get_deleted_secret(name, None).await;
        let Some(response) = found(result, "GET", &path)? else {
            return Ok(None);
        };
        let model = response
            .into_model()
            .map_err(|e| azure_error("GET", &path, e))?;
        DeletedVaultSecret::from_sdk(&path, model).map(Some)
    }

    /// Removes a soft-deleted secret for good (`DELETE /deletedsecrets/{name}`, 204), waiting out
    /// the 409 of a delete still in progress. `Ok(false)` when there was nothing to purge.
    pub async fn purge(&self, name: &str) -> Result<bool, AzureError> {
        let path = check_name("deletedsecrets", name)?;
        let result = self
            .on_conflict_wait(name, || self.client.purge_deleted_secret(name, None))
            .await;
        Ok(found(result, "DELETE", &path)?.is_some())
    }

    /// Brings a soft-deleted secret back (`POST /deletedsecrets/{name}/recover`, 200). Recovery
    /// completes in the background; until then the name answers 409.
    pub async fn recover(&self, name: &str) -> Result<(), AzureError> {
        let path = format!("{}/recover", check_name("deletedsecrets", name)?);
        let result = self
            .on_conflict_wait(name, || self.client.recover_deleted_secret(name, None))
            .await;
        result
            .map(|_| ())
            .map_err(|e| azure_error("POST", &path, e))
    }

    /// Repeats `call` while it answers 409 (the name is in transition), a bounded number of times.
    async fn on_conflict_wait<T, F, Fut>(&self, name: &str, call: F) -> azure_core::Result<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = azure_core::Result<T>>,
    {
        let retry = &self.options.conflict_retry;
        let mut delay = retry.delay;
        let mut attempt = 1;
        loop {
            match call().await {
                Err(e)
                    if e.http_status().map(u16::from) == Some(409) && attempt < retry.attempts =>
                {
                    tracing::debug!(secret = name, attempt, "name in transition; waiting");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(retry.max_delay);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// `Ok(None)` for a 404, the value for a success, an [`AzureError`] otherwise.
fn found<T>(
    result: azure_core::Result<T>,
    method: &str,
    path: &str,
) -> Result<Option<T>, AzureError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) => match azure_error(method, path, e) {
            e if e.is_not_found() => Ok(None),
            e => Err(e),
        },
    }
}

/// Key Vault object names are 1–127 letters, digits and dashes; anything else is refused before
/// it reaches a URL. Returns the request path for errors and logs.
fn check_name(collection: &str, name: &str) -> Result<String, AzureError> {
    let valid = !name.is_empty()
        && name.len() <= 127
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(format!("/{collection}/{name}"))
    } else {
        Err(AzureError::Decode {
            path: format!("/{collection}"),
            message: format!(
                "{:?} is not a Key Vault name (1-127 letters, digits, dashes); not sent",
                name.chars().take(140).collect::<String>()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_they_reach_a_url() {
        assert_eq!(
            check_name("secrets", "db-pass-1").unwrap(),
            "/secrets/db-pass-1"
        );
        for bad in ["", "../keys/k", "a/b", "a?b", "ä", &"x".repeat(128)] {
            assert!(check_name("secrets", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secret_ids_give_name_and_version() {
        let (n, v) = name_and_version("https://v.vault.azure.net/secrets/n1/abc").unwrap();
        assert_eq!((n.as_str(), v.as_str()), ("n1", "abc"));
        let (n, v) = name_and_version("https://127.0.0.1:8443/deletedsecrets/n2").unwrap();
        assert_eq!((n.as_str(), v.as_str()), ("n2", ""));
        assert!(name_and_version("https://v.vault.azure.net/keys/k/1").is_none());
    }
}
