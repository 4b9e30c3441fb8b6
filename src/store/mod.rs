//! The state store: every document haymaker keeps, in Blob Storage or (the default) a local directory
//! with the same semantics — reads return an ETag, creates are create-only (`If-None-Match: *`), updates
//! are compare-and-swap (`If-Match`), deletes may be conditional, listing is by prefix and paged.
//!
//! Callers do not hand-roll read-decide-write: [`StateStore::update_json`] does it with the
//! precondition and retries on a lost race.

mod blob;
pub mod connection;
mod json;
mod local;

use std::fmt;
use std::sync::Arc;

use crate::azure::transport::Transport;
use crate::azure::AccessTokens;

pub use connection::{BlobAuth, BlobConnection, StoreLocation};
pub use json::{Decision, Document, Updated, SCHEMA_VERSION};

/// The blob containers haymaker uses (directories of the local store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    /// `execution-state`: current status, the active-run guard, each run's phase machine.
    State,
    /// `execution-reports`: per-run report, resources snapshot and cleanup report.
    Reports,
    /// `execution-logs`: per-run event archive, one blob per delivered message.
    Logs,
}

impl Container {
    pub const ALL: [Container; 3] = [Container::State, Container::Reports, Container::Logs];

    pub fn name(self) -> &'static str {
        match self {
            Container::State => "execution-state",
            Container::Reports => "execution-reports",
            Container::Logs => "execution-logs",
        }
    }
}

impl fmt::Display for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A document's address: container and blob name (`/`-separated, no `.`/`..` segments).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey {
    container: Container,
    name: String,
}

impl BlobKey {
    /// Validates `name`: 1–512 characters of `A-Z a-z 0-9 - _ . /`; no segment is empty or starts
    /// with `.` (which also rules out `.` and `..`; the local store keeps its temporary files there).
    pub fn new(container: Container, name: impl Into<String>) -> Result<Self, StoreError> {
        let name = name.into();
        let ok_chars = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
        let ok_segments = name
            .split('/')
            .all(|s| !s.is_empty() && !s.starts_with('.'));
        if name.is_empty() || name.len() > 512 || !ok_chars || !ok_segments {
            return Err(StoreError::InvalidKey(format!(
                "`{}` is not a valid blob name (letters, digits, - _ . /; no empty segment, none starting with `.`)",
                name.chars().take(80).collect::<String>()
            )));
        }
        Ok(Self { container, name })
    }

    pub fn container(&self) -> Container {
        self.container
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.container, self.name)
    }
}

/// An opaque version of a stored document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ETag(pub String);

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A document as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub bytes: Vec<u8>,
    pub etag: ETag,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Blob names (without the container), in lexicographic order.
    pub names: Vec<String>,
    /// Pass back to get the next page; `None` on the last page.
    pub continuation: Option<String>,
}

/// What can go wrong at the store boundary. Branch on [`StoreError::is_conflict`] and
/// [`StoreError::is_retriable`], not on messages.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A create-only write found the document already there (409).
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A conditional write or delete found another version than the one read (412).
    #[error("{0} changed since it was read")]
    PreconditionFailed(String),
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// A document that does not parse or has an unknown schema version.
    #[error("{key} is not a valid document: {reason}")]
    Corrupt { key: String, reason: String },
    /// Transient: network, timeouts, throttling, 5xx. Retry later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Permanent: authentication, authorisation, bad configuration, other 4xx.
    #[error("storage refused the request: {0}")]
    Rejected(String),
}

impl StoreError {
    /// Another writer moved first: re-read and re-decide.
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            StoreError::AlreadyExists(_) | StoreError::PreconditionFailed(_)
        )
    }

    pub fn is_retriable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_)) || self.is_conflict()
    }
}

enum Backend {
    Local(local::LocalStore),
    Blob(Box<blob::BlobStore>),
}

/// The state store every phase uses. Cheap to clone.
#[derive(Clone)]
pub struct StateStore {
    backend: std::sync::Arc<Backend>,
    description: String,
}

impl fmt::Debug for StateStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateStore")
            .field("location", &self.description)
            .finish()
    }
}

/// The token scope of Azure Storage (the audience `https://storage.azure.com`).
pub const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";

/// What an identity-based blob connection signs in with: the Azure pipeline's tokens
/// (`IdentityTokens`: client secret, managed identity or developer tools) and transport (rustls plus
/// `HAYMAKER_EXTRA_CA_FILE`). Only [`STORAGE_SCOPE`] tokens are asked for.
#[derive(Clone)]
pub struct StoreIdentity {
    pub tokens: Arc<dyn AccessTokens>,
    pub transport: Arc<dyn Transport>,
}

impl fmt::Debug for StoreIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreIdentity")
            .field("principal", &self.tokens.principal())
            .finish_non_exhaustive()
    }
}

impl StateStore {
    /// Opens the store the settings name; an identity-based location signs in with the same
    /// identity and transport as the Azure pipeline.
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, String> {
        let location = StoreLocation::from_settings(&settings.storage)?;
        let identity = if location.needs_identity() {
            let conn = crate::azure::identity::AzureConnection::from_settings(settings)?;
            Some(StoreIdentity {
                tokens: conn.tokens,
                transport: conn.transport,
            })
        } else {
            None
        };
        Self::open_with(&location, identity).map_err(|e| e.to_string())
    }

    /// Opens the store at `location` (see [`StoreLocation::from_settings`]). An identity-based
    /// location needs [`StateStore::open_with`].
    pub fn open(location: &StoreLocation) -> Result<Self, StoreError> {
        Self::open_with(location, None)
    }

    /// Opens the store at `location`; `identity` is what an identity-based blob location signs in
    /// with.
    pub fn open_with(
        location: &StoreLocation,
        identity: Option<StoreIdentity>,
    ) -> Result<Self, StoreError> {
        let backend = match location {
            StoreLocation::Local(dir) => Backend::Local(local::LocalStore::new(dir.clone())),
            StoreLocation::Blob(conn) => {
                Backend::Blob(Box::new(blob::BlobStore::new(conn, identity)?))
            }
        };
        Ok(Self {
            backend: std::sync::Arc::new(backend),
            description: location.describe(),
        })
    }

    /// Where it lives, without secrets.
    pub fn describe(&self) -> &str {
        &self.description
    }

    pub async fn read(&self, key: &BlobKey) -> Result<Option<Stored>, StoreError> {
        match &*self.backend {
            Backend::Local(s) => s.read(key).await,
            Backend::Blob(s) => s.read(key).await,
        }
    }

    /// Writes only if the document does not exist; [`StoreError::AlreadyExists`] otherwise.
    pub async fn create(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<ETag, StoreError> {
        match &*self.backend {
            Backend::Local(s) => s.create(key, bytes).await,
            Backend::Blob(s) => s.create(key, bytes).await,
        }
    }

    /// Writes only if the document is still at `if_match`; [`StoreError::PreconditionFailed`]
    /// otherwise (also when it has been deleted).
    pub async fn replace(
        &self,
        key: &BlobKey,
        bytes: Vec<u8>,
        if_match: &ETag,
    ) -> Result<ETag, StoreError> {
        match &*self.backend {
            Backend::Local(s) => s.replace(key, bytes, if_match).await,
            Backend::Blob(s) => s.replace(key, bytes, if_match).await,
        }
    }

    /// Deletes; with `if_match` only that version. `Ok(false)` when there was nothing to delete.
    pub async fn delete(&self, key: &BlobKey, if_match: Option<&ETag>) -> Result<bool, StoreError> {
        match &*self.backend {
            Backend::Local(s) => s.delete(key, if_match).await,
            Backend::Blob(s) => s.delete(key, if_match).await,
        }
    }

    /// Names under `prefix`, `max` at a time (1..=5000), in lexicographic order.
    pub async fn list(
        &self,
        container: Container,
        prefix: &str,
        continuation: Option<&str>,
        max: u32,
    ) -> Result<ListPage, StoreError> {
        let max = max.clamp(1, 5000);
        match &*self.backend {
            Backend::Local(s) => s.list(container, prefix, continuation, max).await,
            Backend::Blob(s) => s.list(container, prefix, continuation, max).await,
        }
    }

    /// Every name under `prefix` (follows continuations).
    pub async fn list_all(
        &self,
        container: Container,
        prefix: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut names = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let page = self
                .list(container, prefix, continuation.as_deref(), 5000)
                .await?;
            names.extend(page.names);
            match page.continuation {
                Some(c) => continuation = Some(c),
                None => return Ok(names),
            }
        }
    }

    /// A cheap change token of a document, without reading it: equal tokens mean the document did
    /// not change in between (Blob Storage: its ETag from the properties; local: file identity, size
    /// and modification time). `None` when it does not exist. Caches use it to skip a re-read.
    pub async fn version(&self, key: &BlobKey) -> Result<Option<String>, StoreError> {
        match &*self.backend {
            Backend::Local(s) => s.version(key).await,
            Backend::Blob(s) => s.version(key).await,
        }
    }

    /// A cheap round trip that proves the store is reachable (health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &*self.backend {
            Backend::Local(s) => s.ping().await,
            Backend::Blob(s) => s.ping().await,
        }
    }
}
