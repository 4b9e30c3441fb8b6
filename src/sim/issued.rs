//! Every secret the simulator knows of, kept for hygiene checks: the orchestrator's client secret,
//! every password `addPassword` created, every bearer token the token endpoint issued, every value
//! set in the Key Vault and every inline Container App secret. The world forgets expired tokens
//! and purged applications and secrets; this record does not, so a test can scan a finished run's
//! logs, blobs and answers for all of them ([`World::issued_secrets`]).

use crate::config::Secret;
use crate::sim::state::World;

/// What a recorded secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretKind {
    /// The orchestrator's own client secret (the simulator's identity).
    ClientSecret,
    /// A password `addPassword` created (a service principal's credential).
    Password,
    /// A bearer token the token endpoint issued.
    AccessToken,
    /// A value set in the Key Vault.
    VaultValue,
    /// An inline secret value of a Container App.
    ContainerAppSecret,
}

/// The record, in the order the secrets appeared.
#[derive(Default)]
pub struct IssuedSecrets {
    items: Vec<(SecretKind, Secret)>,
}

impl std::fmt::Debug for IssuedSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IssuedSecrets({} recorded)", self.items.len())
    }
}

impl IssuedSecrets {
    pub fn record(&mut self, kind: SecretKind, secret: &Secret) {
        if !secret.expose().is_empty() {
            self.items.push((kind, secret.clone()));
        }
    }
}

impl World {
    /// Every secret recorded so far, with its kind.
    pub fn issued_secrets(&self) -> Vec<(SecretKind, Secret)> {
        self.issued.items.clone()
    }
}
