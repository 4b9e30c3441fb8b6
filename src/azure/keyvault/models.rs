//! Secrets as haymaker sees them, converted from the SDK's models: values wrapped in [`Secret`],
//! times as `chrono`, the recovery level as an enum.

use std::collections::BTreeMap;

use azure_core::time::OffsetDateTime;
use azure_security_keyvault_secrets::models as sdk;
use chrono::{DateTime, Utc};

use crate::azure::AzureError;
use crate::config::Secret;

/// What a vault does with a deleted secret (`attributes.recoveryLevel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryLevel {
    /// No soft delete: deleting removes it for good.
    Purgeable,
    /// Soft delete; purging is allowed.
    RecoverablePurgeable,
    /// Soft delete with purge protection: it stays until the retention ends.
    Recoverable,
    RecoverableProtectedSubscription,
    CustomizedRecoverablePurgeable,
    CustomizedRecoverable,
    CustomizedRecoverableProtectedSubscription,
    /// A level added to Key Vault after this was written.
    Other(String),
}

impl RecoveryLevel {
    /// Whether a deleted secret at this level can be purged before its retention ends.
    pub fn purgeable(&self) -> bool {
        matches!(
            self,
            Self::Purgeable | Self::RecoverablePurgeable | Self::CustomizedRecoverablePurgeable
        )
    }
}

impl From<&sdk::DeletionRecoveryLevel> for RecoveryLevel {
    fn from(level: &sdk::DeletionRecoveryLevel) -> Self {
        use sdk::DeletionRecoveryLevel as L;
        match level {
            L::Purgeable => Self::Purgeable,
            L::RecoverablePurgeable => Self::RecoverablePurgeable,
            L::Recoverable => Self::Recoverable,
            L::RecoverableProtectedSubscription => Self::RecoverableProtectedSubscription,
            L::CustomizedRecoverablePurgeable => Self::CustomizedRecoverablePurgeable,
            L::CustomizedRecoverable => Self::CustomizedRecoverable,
            L::CustomizedRecoverableProtectedSubscription => {
                Self::CustomizedRecoverableProtectedSubscription
            }
            L::UnknownValue(v) => Self::Other(v.clone()),
        }
    }
}

/// A secret's management attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretAttributes {
    pub enabled: Option<bool>,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    pub not_before: Option<DateTime<Utc>>,
    pub recovery_level: Option<RecoveryLevel>,
    pub recoverable_days: Option<i32>,
}

/// A value to store.
#[derive(Debug, Clone)]
pub struct NewSecret {
    pub value: Secret,
    pub content_type: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl NewSecret {
    pub fn new(value: Secret) -> Self {
        Self {
            value,
            content_type: None,
            tags: BTreeMap::new(),
        }
    }
}

/// A stored secret with its value.
#[derive(Debug, Clone)]
pub struct VaultSecret {
    /// `https://{vault}/secrets/{name}/{version}`.
    pub id: String,
    pub name: String,
    pub version: String,
    pub value: Secret,
    pub content_type: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub attributes: SecretAttributes,
}

/// A secret in the vault's deleted state (soft delete), until purged or recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedVaultSecret {
    /// The id it had: `https://{vault}/secrets/{name}/{version}`.
    pub id: String,
    pub name: String,
    /// `https://{vault}/deletedsecrets/{name}`.
    pub recovery_id: Option<String>,
    pub deleted_date: Option<DateTime<Utc>>,
    pub scheduled_purge_date: Option<DateTime<Utc>>,
    pub content_type: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub attributes: SecretAttributes,
}

pub(super) fn time(t: Option<OffsetDateTime>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()))
}

fn attributes(a: Option<&sdk::SecretAttributes>) -> SecretAttributes {
    let Some(a) = a else {
        return SecretAttributes::default();
    };
    SecretAttributes {
        enabled: a.enabled,
        created: time(a.created),
        updated: time(a.updated),
        expires: time(a.expires),
        not_before: time(a.not_before),
        recovery_level: a.recovery_level.as_ref().map(RecoveryLevel::from),
        recoverable_days: a.recoverable_days,
    }
}

fn tags(t: Option<&std::collections::HashMap<String, String>>) -> BTreeMap<String, String> {
    t.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// `(name, version)` from `…/secrets/{name}/{version}` or `…/deletedsecrets/{name}` (the vault
/// URL may have a path of its own, as a simulator's can).
pub(super) fn name_and_version(id: &str) -> Option<(String, String)> {
    let url = url::Url::parse(id).ok()?;
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let from_end = |i: usize| segments.len().checked_sub(i).map(|j| segments[j]);
    if from_end(3) == Some("secrets") {
        return Some((from_end(2)?.to_string(), from_end(1)?.to_string()));
    }
    match from_end(2) {
        Some("secrets") | Some("deletedsecrets") => Some((from_end(1)?.to_string(), String::new())),
        _ => None,
    }
}

fn decode(path: &str, message: &str) -> AzureError {
    AzureError::Decode {
        path: path.to_string(),
        message: message.to_string(),
    }
}

impl VaultSecret {
    pub(super) fn from_sdk(path: &str, s: sdk::Secret) -> Result<Self, AzureError> {
        let id =
            s.id.clone()
                .ok_or_else(|| decode(path, "the secret has no id"))?;
        let (name, version) = name_and_version(&id)
            .ok_or_else(|| decode(path, "the secret's id is not a secret URL"))?;
        let value = s
            .value
            .clone()
            .ok_or_else(|| decode(path, "the secret has no value"))?;
        Ok(Self {
            name,
            version,
            value: Secret::new(value),
            content_type: s.content_type.clone(),
            tags: tags(s.tags.as_ref()),
            attributes: attributes(s.attributes.as_ref()),
            id,
        })
    }
}

impl DeletedVaultSecret {
    pub(super) fn from_sdk(path: &str, s: sdk::DeletedSecret) -> Result<Self, AzureError> {
        let id =
            s.id.clone()
                .ok_or_else(|| decode(path, "the deleted secret has no id"))?;
        let (name, _) = name_and_version(&id)
            .ok_or_else(|| decode(path, "the deleted secret's id is not a secret URL"))?;
        Ok(Self {
            name,
            recovery_id: s.recovery_id.clone(),
            deleted_date: time(s.deleted_date),
            scheduled_purge_date: time(s.scheduled_purge_date),
            content_type: s.content_type.clone(),
            tags: tags(s.tags.as_ref()),
            attributes: attributes(s.attributes.as_ref()),
            id,
        })
    }
}
