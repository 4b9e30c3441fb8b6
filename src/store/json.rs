//! JSON documents on top of the raw store: every document carries `schema_version`, and
//! [`StateStore::update_json`] is the one read-decide-write loop, so no caller can forget the
//! precondition.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{BlobKey, ETag, StateStore, StoreError};

/// The schema version written into every document.
pub const SCHEMA_VERSION: u32 = 1;

/// How many times [`StateStore::update_json`] re-reads after losing a race before giving up.
const MAX_ATTEMPTS: u32 = 200;

/// A stored document: its schema version beside the body's own fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document<T> {
    pub schema_version: u32,
    #[serde(flatten)]
    pub body: T,
}

/// What the decide function of [`StateStore::update_json`] wants done.
pub enum Decision<T, R> {
    /// Write this value (create if absent, else replace the version read), then report `R`.
    Write(T, R),
    /// Leave the document as it is and report `R`.
    Keep(R),
}

/// The result of [`StateStore::update_json`].
#[derive(Debug)]
pub struct Updated<T, R> {
    pub outcome: R,
    /// The document as it now stands (what was written, or what was kept).
    pub current: Option<T>,
    pub etag: Option<ETag>,
    pub written: bool,
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(&Document {
        schema_version: SCHEMA_VERSION,
        body: value,
    })
    .map_err(|e| StoreError::Rejected(format!("cannot serialise a document: {e}")))
}

fn decode<T: DeserializeOwned>(key: &BlobKey, bytes: &[u8]) -> Result<T, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        key: key.to_string(),
        reason,
    };
    let doc: Document<T> = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    if doc.schema_version > SCHEMA_VERSION {
        return Err(corrupt(format!(
            "schema version {} is newer than this haymaker's {SCHEMA_VERSION}; upgrade haymaker",
            doc.schema_version
        )));
    }
    Ok(doc.body)
}

impl StateStore {
    pub async fn read_json<T: DeserializeOwned>(
        &self,
        key: &BlobKey,
    ) -> Result<Option<(T, ETag)>, StoreError> {
        match self.read(key).await? {
            None => Ok(None),
            Some(stored) => Ok(Some((decode(key, &stored.bytes)?, stored.etag))),
        }
    }

    /// Create-only.
    pub async fn create_json<T: Serialize>(
        &self,
        key: &BlobKey,
        value: &T,
    ) -> Result<ETag, StoreError> {
        self.create(key, encode(value)?).await
    }

    /// Compare-and-swap against `etag`.
    pub async fn replace_json<T: Serialize>(
        &self,
        key: &BlobKey,
        value: &T,
        etag: &ETag,
    ) -> Result<ETag, StoreError> {
        self.replace(key, encode(value)?, etag).await
    }

    /// Read, decide, write with the precondition; on a lost race re-read and decide again.
    /// `decide` sees the current value (or `None`) and must be a pure decision: it may run many times.
    pub async fn update_json<T, R, F>(
        &self,
        key: &BlobKey,
        mut decide: F,
    ) -> Result<Updated<T, R>, StoreError>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<&T>) -> Decision<T, R>,
    {
        for attempt in 0..MAX_ATTEMPTS {
            let current = self.read_json::<T>(key).await?;
            let (value, etag) = match current {
                Some((v, e)) => (Some(v), Some(e)),
                None => (None, None),
            };
            match decide(value.as_ref()) {
                Decision::Keep(outcome) => {
                    return Ok(Updated {
                        outcome,
                        current: value,
                        etag,
                        written: false,
                    })
                }
                Decision::Write(new, outcome) => {
                    let bytes = encode(&new)?;
                    let result = match &etag {
                        None => self.create(key, bytes).await,
                        Some(e) => self.replace(key, bytes, e).await,
                    };
                    match result {
                        Ok(new_etag) => {
                            return Ok(Updated {
                                outcome,
                                current: Some(new),
                                etag: Some(new_etag),
                                written: true,
                            })
                        }
                        Err(e) if e.is_conflict() => {
                            tokio::time::sleep(backoff(attempt)).await;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Err(StoreError::Unavailable(format!(
            "{key}: gave up after {MAX_ATTEMPTS} lost races; too many concurrent writers"
        )))
    }
}

/// Short, growing, jittered pauses between attempts (1 ms up to ~50 ms).
fn backoff(attempt: u32) -> Duration {
    let cap = 1 + u64::from(attempt.min(10)) * 5;
    let jitter = u64::from(uuid::Uuid::new_v4().as_u128() as u16) % cap;
    Duration::from_millis(1 + jitter)
}
