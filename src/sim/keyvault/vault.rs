//! The one simulated vault's secrets with soft delete, as methods of the [`World`]. The HTTP side
//! is in [`super`](crate::sim::keyvault).
//!
//! A name moves through phases: live → *being deleted* (for [`SimConfig::key_vault_transition_ms`])
//! → soft-deleted (recoverable, purgeable; retention 90 days) → purged (gone), or → *being
//! recovered* (the same while) → live again. During a transition, calls on the name answer 409, as
//! Key Vault's do. Phases are computed from the time of the change, so a shorter configured while
//! takes effect at once. Names compare case-insensitively. Values are kept as [`Secret`] and never
//! logged.
//!
//! [`SimConfig::key_vault_transition_ms`]: crate::sim::SimConfig::key_vault_transition_ms

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::config::Secret;
use crate::sim::state::World;

/// Days a soft-deleted secret is kept before the vault purges it (`recoverableDays`).
pub const RETENTION_DAYS: i64 = 90;

/// Where a name is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretPhase {
    Live,
    BeingDeleted,
    SoftDeleted,
    BeingRecovered,
}

/// One version of a secret.
#[derive(Debug, Clone)]
pub struct SecretVersion {
    /// 32 lower-case hex digits.
    pub version: String,
    pub content_type: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub enabled: bool,
    pub not_before: Option<i64>,
    pub expires: Option<i64>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub(crate) value: Secret,
}

/// A secret name with its versions (newest last).
#[derive(Debug, Clone)]
pub struct StoredSecret {
    /// As first set.
    pub name: String,
    pub versions: Vec<SecretVersion>,
    /// When it was (soft-)deleted, while it is.
    pub deleted: Option<DateTime<Utc>>,
    /// When a recovery started, until it has finished.
    pub recovering: Option<DateTime<Utc>>,
}

impl StoredSecret {
    pub fn phase(&self, now: DateTime<Utc>, transition: Duration) -> SecretPhase {
        match (self.deleted, self.recovering) {
            (Some(d), _) if now < d + transition => SecretPhase::BeingDeleted,
            (Some(_), _) => SecretPhase::SoftDeleted,
            (None, Some(r)) if now < r + transition => SecretPhase::BeingRecovered,
            (None, _) => SecretPhase::Live,
        }
    }

    pub fn latest(&self) -> &SecretVersion {
        self.versions.last().expect("a stored secret has a version")
    }

    pub fn scheduled_purge(&self) -> Option<DateTime<Utc>> {
        self.deleted.map(|d| d + Duration::days(RETENTION_DAYS))
    }
}

/// The vault: secrets by lower-case name.
#[derive(Debug, Clone, Default)]
pub struct Vault {
    pub secrets: BTreeMap<String, StoredSecret>,
}

/// A refusal in Key Vault's shape: `{"error":{"code","message","innererror":{"code"}}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct VaultError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub inner: Option<String>,
}

impl VaultError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            inner: None,
        }
    }

    fn conflict(message: String, inner: &str) -> Self {
        Self {
            inner: Some(inner.into()),
            ..Self::new(409, "Conflict", message)
        }
    }

    pub fn not_found(name: &str) -> Self {
        Self::new(404, "SecretNotFound", format!("A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command."))
    }

    fn deleted_not_found(name: &str) -> Self {
        Self::new(
            404,
            "SecretNotFound",
            format!("Deleted Secret not found: {name}"),
        )
    }
}

/// What `PUT /secrets/{name}` stores.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub value: Secret,
    pub content_type: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub enabled: bool,
    pub not_before: Option<i64>,
    pub expires: Option<i64>,
}

/// A secret as in-process callers see it: everything but the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSummary {
    pub name: String,
    pub phase: SecretPhase,
    pub versions: usize,
    pub content_type: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub updated: DateTime<Utc>,
    pub deleted: Option<DateTime<Utc>>,
    pub scheduled_purge: Option<DateTime<Utc>>,
}

impl World {
    fn transition(&self) -> Duration {
        Duration::milliseconds(self.config.key_vault_transition_ms as i64)
    }

    fn summaries(&self, now: DateTime<Utc>, keep: fn(SecretPhase) -> bool) -> Vec<SecretSummary> {
        let t = self.transition();
        self.vault
            .secrets
            .values()
            .filter(|s| keep(s.phase(now, t)))
            .map(|s| SecretSummary {
                name: s.name.clone(),
                phase: s.phase(now, t),
                versions: s.versions.len(),
                content_type: s.latest().content_type.clone(),
                tags: s.latest().tags.clone(),
                updated: s.latest().updated,
                deleted: s.deleted,
                scheduled_purge: s.scheduled_purge(),
            })
            .collect()
    }

    /// Secrets not deleted (a recovery still finishing included).
    pub fn secrets(&self) -> Vec<SecretSummary> {
        self.summaries(Utc::now(), |p| {
            matches!(p, SecretPhase::Live | SecretPhase::BeingRecovered)
        })
    }

    /// Secrets deleted and not purged (a deletion still finishing included).
    pub fn deleted_secrets(&self) -> Vec<SecretSummary> {
        self.summaries(Utc::now(), |p| {
            matches!(p, SecretPhase::BeingDeleted | SecretPhase::SoftDeleted)
        })
    }

    /// The stored secret and its phase, if the name is known in any phase.
    pub fn vault_secret(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Option<(&StoredSecret, SecretPhase)> {
        let t = self.transition();
        self.vault
            .secrets
            .get(&name.to_ascii_lowercase())
            .map(|s| (s, s.phase(now, t)))
    }

    /// The 409 for a name in transition, if it is.
    fn busy(name: &str, phase: SecretPhase) -> Option<VaultError> {
        match phase {
            SecretPhase::BeingDeleted => Some(VaultError::conflict(
                format!("Secret {name} is currently being deleted."),
                "ObjectIsBeingDeleted",
            )),
            SecretPhase::BeingRecovered => Some(VaultError::conflict(
                format!("Secret {name} is currently being recovered."),
                "ObjectIsBeingRecovered",
            )),
            _ => None,
        }
    }

    /// Stores a new version.
    pub fn set_secret(
        &mut self,
        name: &str,
        new: NewVersion,
        now: DateTime<Utc>,
    ) -> Result<(&StoredSecret, &SecretVersion), VaultError> {
        if let Some((s, phase)) = self.vault_secret(name, now) {
            if let Some(e) = Self::busy(&s.name, phase) {
                return Err(e);
            }
            if phase == SecretPhase::SoftDeleted {
                return Err(VaultError::conflict(
                    format!("Secret {} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", s.name),
                    "ObjectIsDeletedButRecoverable",
                ));
            }
        }
        let version = SecretVersion {
            version: uuid::Uuid::new_v4().simple().to_string(),
            content_type: new.content_type,
            tags: new.tags,
            enabled: new.enabled,
            not_before: new.not_before,
            expires: new.expires,
            created: now,
            updated: now,
            value: new.value,
        };
        self.issued
            .record(crate::sim::issued::SecretKind::VaultValue, &version.value);
        let stored = self
            .vault
            .secrets
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| StoredSecret {
                name: name.to_string(),
                versions: Vec::new(),
                deleted: None,
                recovering: None,
            });
        stored.recovering = None;
        stored.versions.push(version);
        let stored = &*stored;
        Ok((stored, stored.latest()))
    }

    /// A live secret's version (the newest when `version` is `None`).
    pub fn get_secret(
        &self,
        name: &str,
        version: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(&StoredSecret, &SecretVersion), VaultError> {
        let (s, phase) = self
            .vault_secret(name, now)
            .filter(|(_, p)| *p == SecretPhase::Live)
            .ok_or_else(|| VaultError::not_found(name))?;
        let found = match version {
            None => Some(s.latest()),
            Some(v) => s
                .versions
                .iter()
                .find(|x| x.version.eq_ignore_ascii_case(v)),
        };
        debug_assert_eq!(phase, SecretPhase::Live);
        found
            .map(|v| (s, v))
            .ok_or_else(|| VaultError::not_found(&format!("{name}/{}", version.unwrap_or(""))))
    }

    /// Soft-deletes every version; the name is *being deleted* for a while.
    pub fn delete_secret(
        &mut self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<&StoredSecret, VaultError> {
        match self.vault_secret(name, now) {
            None | Some((_, SecretPhase::SoftDeleted)) => return Err(VaultError::not_found(name)),
            Some((s, phase)) => {
                if let Some(e) = Self::busy(&s.name, phase) {
                    return Err(e);
                }
            }
        }
        let s = self
            .vault
            .secrets
            .get_mut(&name.to_ascii_lowercase())
            .expect("checked above");
        s.deleted = Some(now);
        s.recovering = None;
        Ok(s)
    }

    /// A soft-deleted secret (not yet visible while its deletion is finishing).
    pub fn get_deleted_secret(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<&StoredSecret, VaultError> {
        match self.vault_secret(name, now) {
            Some((s, SecretPhase::SoftDeleted)) => Ok(s),
            _ => Err(VaultError::deleted_not_found(name)),
        }
    }

    /// Removes a soft-deleted secret for good.
    pub fn purge_deleted_secret(
        &mut self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<(), VaultError> {
        match self.vault_secret(name, now) {
            Some((_, SecretPhase::SoftDeleted)) => {
                self.vault.secrets.remove(&name.to_ascii_lowercase());
                Ok(())
            }
            Some((s, phase @ SecretPhase::BeingDeleted)) => {
                Err(Self::busy(&s.name, phase).expect("busy"))
            }
            _ => Err(VaultError::deleted_not_found(name)),
        }
    }

    /// Starts bringing a soft-deleted secret back; it is *being recovered* for a while.
    pub fn recover_deleted_secret(
        &mut self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<&StoredSecret, VaultError> {
        match self.vault_secret(name, now) {
            Some((_, SecretPhase::SoftDeleted)) => {}
            Some((s, phase @ SecretPhase::BeingDeleted)) => {
                return Err(Self::busy(&s.name, phase).expect("busy"))
            }
            _ => return Err(VaultError::deleted_not_found(name)),
        }
        let s = self
            .vault
            .secrets
            .get_mut(&name.to_ascii_lowercase())
            .expect("checked above");
        s.deleted = None;
        s.recovering = Some(now);
        Ok(s)
    }
}

#[cfg(test)]
#[path = "vault_tests.rs"]
mod tests;
