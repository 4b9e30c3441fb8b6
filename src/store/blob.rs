//! The Blob Storage backend: one block blob per document, ETags straight from the service, containers
//! created on first write.

#[path = "blob_auth.rs"]
mod auth;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use azure_core::error::ErrorKind;
use azure_core::http::policies::Policy;
use azure_core::http::{
    ClientOptions, Etag, ExponentialRetryOptions, RequestContent, RetryOptions, StatusCode,
};
use azure_core::Bytes;
use azure_storage_blob::models::{
    BlobClientDeleteOptions, BlobClientGetPropertiesResultHeaders,
    BlobContainerClientListBlobsOptions, BlockBlobClientUploadOptions,
};
use azure_storage_blob::{BlobContainerClient, BlobContainerClientOptions};
use futures::TryStreamExt as _;

use super::{BlobAuth, BlobConnection, BlobKey, Container, ETag, ListPage, StoreError, Stored};

/// One container: its client, and what this process knows about its existence.
struct Slot {
    client: BlobContainerClient,
    name: String,
    /// Bumped each time this process has made sure the container exists. A write that saw
    /// `ContainerNotFound` under generation `g` creates the container only if the generation is still
    /// `g` once it holds `creating`; otherwise another task already did, and it just retries.
    generation: AtomicU64,
    creating: tokio::sync::Mutex<()>,
}

pub struct BlobStore {
    slots: [Slot; 3],
}

impl BlobStore {
    pub fn new(conn: &BlobConnection) -> Result<Self, StoreError> {
        let mut client_options = ClientOptions {
            retry: RetryOptions::exponential(ExponentialRetryOptions {
                max_retries: 4,
                max_total_elapsed: azure_core::time::Duration::seconds(30),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut credential = None;
        match &conn.auth {
            BlobAuth::SharedKey { account, key } => {
                let policy =
                    auth::SharedKeyPolicy::new(account, key).map_err(StoreError::Rejected)?;
                client_options
                    .per_try_policies
                    .push(Arc::new(policy) as Arc<dyn Policy>);
            }
            BlobAuth::Sas(token) => {
                let policy = auth::SasPolicy::new(token).map_err(StoreError::Rejected)?;
                client_options
                    .per_call_policies
                    .push(Arc::new(policy) as Arc<dyn Policy>);
            }
            BlobAuth::Identity { client_id } => {
                if conn.service_url.scheme() != "https" {
                    return Err(StoreError::Rejected(format!(
                        "Entra ID authentication needs an https endpoint, not {}://{}",
                        conn.service_url.scheme(),
                        conn.service_url.host_str().unwrap_or("")
                    )));
                }
                let cred = auth::identity_credential(client_id.as_deref()).map_err(|e| {
                    StoreError::Rejected(format!("cannot set up the Entra ID credential: {e}"))
                })?;
                credential = Some(cred);
            }
        }
        let slot = |container: Container| -> Result<Slot, StoreError> {
            let name = conn.container_name(container);
            let mut url = conn.service_url.clone();
            url.set_query(None);
            url.path_segments_mut()
                .map_err(|_| {
                    StoreError::Rejected("the blob service URL cannot have paths appended".into())
                })?
                .pop_if_empty()
                .push(&name);
            let options = BlobContainerClientOptions {
                client_options: client_options.clone(),
                ..Default::default()
            };
            let client = BlobContainerClient::new(url, credential.clone(), Some(options))
                .map_err(|e| StoreError::Rejected(format!("blob container {name}: {e}")))?;
            Ok(Slot {
                client,
                name,
                generation: AtomicU64::new(0),
                creating: tokio::sync::Mutex::new(()),
            })
        };
        Ok(Self {
            slots: [
                slot(Container::State)?,
                slot(Container::Reports)?,
                slot(Container::Logs)?,
            ],
        })
    }

    fn slot(&self, container: Container) -> &Slot {
        match container {
            Container::State => &self.slots[0],
            Container::Reports => &self.slots[1],
            Container::Logs => &self.slots[2],
        }
    }

    /// The real blob path, for messages.
    fn path(&self, key: &BlobKey) -> String {
        format!("{}/{}", self.slot(key.container()).name, key.name())
    }

    pub async fn read(&self, key: &BlobKey) -> Result<Option<Stored>, StoreError> {
        let blob = self.slot(key.container()).client.blob_client(key.name());
        let result = match blob.download(None).await {
            Ok(r) => r,
            Err(e) if is_missing(&e) => return Ok(None),
            Err(e) => return Err(map_error("read", &self.path(key), &e)),
        };
        let etag = result.properties.etag.map(|t| ETag(t.to_string()));
        let bytes = result
            .body
            .collect()
            .await
            .map_err(|e| map_error("read", &self.path(key), &e))?;
        let etag = etag.ok_or_else(|| {
            StoreError::Unavailable(format!("read {key}: the service returned no ETag"))
        })?;
        Ok(Some(Stored {
            bytes: bytes.to_vec(),
            etag,
        }))
    }

    pub async fn create(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<ETag, StoreError> {
        let slot = self.slot(key.container());
        let blob = slot.client.blob_client(key.name());
        let bytes = Bytes::from(bytes);
        let upload = || {
            let options = BlockBlobClientUploadOptions::default().if_not_exists();
            blob.upload(bytes.clone().into(), Some(options))
        };
        match self.with_container(slot, upload).await {
            Ok(r) => etag_of(key, r.etag),
            Err(e) if already_exists(&e) => Err(StoreError::AlreadyExists(key.to_string())),
            Err(e) => Err(map_error("create", &self.path(key), &e)),
        }
    }

    pub async fn replace(
        &self,
        key: &BlobKey,
        bytes: Vec<u8>,
        if_match: &ETag,
    ) -> Result<ETag, StoreError> {
        let blob = self.slot(key.container()).client.blob_client(key.name());
        let options = BlockBlobClientUploadOptions {
            if_match: Some(Etag::from(if_match.0.clone())),
            ..Default::default()
        };
        match blob
            .upload(RequestContent::from(bytes), Some(options))
            .await
        {
            Ok(r) => etag_of(key, r.etag),
            // A blob (or container) that is gone is not at the version the caller read.
            Err(e) if status(&e) == Some(StatusCode::PreconditionFailed) || is_missing(&e) => {
                Err(StoreError::PreconditionFailed(key.to_string()))
            }
            Err(e) => Err(map_error("replace", &self.path(key), &e)),
        }
    }

    pub async fn delete(&self, key: &BlobKey, if_match: Option<&ETag>) -> Result<bool, StoreError> {
        let blob = self.slot(key.container()).client.blob_client(key.name());
        let options = BlobClientDeleteOptions {
            if_match: if_match.map(|t| Etag::from(t.0.clone())),
            ..Default::default()
        };
        match blob.delete(Some(options)).await {
            Ok(_) => Ok(true),
            Err(e) if is_missing(&e) => Ok(false),
            // `If-Match` against a missing blob may be answered 404 or 412 (Azurite: 412), so a 412
            // is only a conflict if there is still something there.
            Err(e) if status(&e) == Some(StatusCode::PreconditionFailed) => {
                match blob.get_properties(None).await {
                    Err(e) if is_missing(&e) => Ok(false),
                    _ => Err(StoreError::PreconditionFailed(key.to_string())),
                }
            }
            Err(e) => Err(map_error("delete", &self.path(key), &e)),
        }
    }

    pub async fn list(
        &self,
        container: Container,
        prefix: &str,
        continuation: Option<&str>,
        max: u32,
    ) -> Result<ListPage, StoreError> {
        let slot = self.slot(container);
        let what = format!("{}/{prefix}*", slot.name);
        let options = BlobContainerClientListBlobsOptions {
            prefix: (!prefix.is_empty()).then(|| prefix.to_string()),
            marker: continuation.map(str::to_string),
            maxresults: Some(max.clamp(1, 5000) as i32),
            ..Default::default()
        };
        let first = async {
            let mut pages = slot.client.list_blobs(Some(options))?.into_pages();
            pages.try_next().await
        };
        let page = match first.await {
            Ok(Some(page)) => page
                .into_model()
                .map_err(|e| map_error("list", &what, &e))?,
            Ok(None) => return Ok(ListPage::default()),
            Err(e) if error_code(&e).as_deref() == Some("ContainerNotFound") => {
                return Ok(ListPage::default())
            }
            Err(e) => return Err(map_error("list", &what, &e)),
        };
        Ok(ListPage {
            names: page.blob_items.into_iter().filter_map(|b| b.name).collect(),
            continuation: page.next_marker.filter(|m| !m.is_empty()),
        })
    }

    pub async fn version(&self, key: &BlobKey) -> Result<Option<String>, StoreError> {
        let blob = self.slot(key.container()).client.blob_client(key.name());
        match blob.get_properties(None).await {
            Ok(r) => Ok(r
                .etag()
                .map_err(|e| map_error("read properties of", &self.path(key), &e))?
                .map(|t| t.to_string())),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(map_error("read properties of", &self.path(key), &e)),
        }
    }

    /// Reads the state container's properties: a missing container still proves the endpoint answers
    /// and accepts the credential.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let slot = self.slot(Container::State);
        match slot.client.get_properties(None).await {
            Ok(_) => Ok(()),
            Err(e) if is_missing(&e) => Ok(()),
            Err(e) => Err(map_error("ping", &slot.name, &e)),
        }
    }

    /// Runs a write; if the container is missing, creates it (once per process, unless it vanishes
    /// again) and retries the write once.
    async fn with_container<T, F, Fut>(&self, slot: &Slot, mut write: F) -> azure_core::Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = azure_core::Result<T>>,
    {
        let seen = slot.generation.load(Ordering::Acquire);
        match write().await {
            Err(e) if error_code(&e).as_deref() == Some("ContainerNotFound") => {
                self.ensure_container(slot, seen).await?;
                write().await
            }
            other => other,
        }
    }

    async fn ensure_container(&self, slot: &Slot, seen: u64) -> azure_core::Result<()> {
        let _guard = slot.creating.lock().await;
        if slot.generation.load(Ordering::Acquire) != seen {
            return Ok(());
        }
        match slot.client.create(None).await {
            Ok(_) => {}
            Err(e) if error_code(&e).as_deref() == Some("ContainerAlreadyExists") => {}
            Err(e) => return Err(e),
        }
        tracing::info!(container = %slot.name, "created blob container");
        slot.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}

fn etag_of(key: &BlobKey, etag: Option<Etag>) -> Result<ETag, StoreError> {
    etag.map(|t| ETag(t.to_string())).ok_or_else(|| {
        StoreError::Unavailable(format!("write {key}: the service returned no ETag"))
    })
}

/// 404 for the blob or its container (not, say, an unknown account on an emulator).
fn is_missing(e: &azure_core::Error) -> bool {
    status(e) == Some(StatusCode::NotFound)
        && matches!(
            error_code(e).as_deref(),
            None | Some("BlobNotFound" | "ContainerNotFound")
        )
}

/// `If-None-Match: *` on an existing blob: 409 `BlobAlreadyExists` (some emulators answer 412).
fn already_exists(e: &azure_core::Error) -> bool {
    matches!(
        (status(e), error_code(e).as_deref()),
        (Some(StatusCode::Conflict), Some("BlobAlreadyExists") | None)
            | (
                Some(StatusCode::PreconditionFailed),
                Some("ConditionNotMet") | None
            )
    )
}

fn status(e: &azure_core::Error) -> Option<StatusCode> {
    e.http_status()
}

fn error_code(e: &azure_core::Error) -> Option<String> {
    match e.kind() {
        ErrorKind::HttpResponse { error_code, .. } => error_code.clone(),
        _ => None,
    }
}

/// Maps an SDK error to the store's taxonomy. HTTP errors are described by status and storage error
/// code only: response bodies can echo the signature that was sent, so they are never quoted.
fn map_error(op: &str, what: &str, e: &azure_core::Error) -> StoreError {
    if let ErrorKind::HttpResponse {
        status, error_code, ..
    } = e.kind()
    {
        let code = error_code.as_deref().unwrap_or("no error code");
        let msg = format!("{op} {what}: HTTP {} ({code})", u16::from(*status));
        return match (u16::from(*status), code) {
            (408 | 429 | 500..=599, _) | (409, "ContainerBeingDeleted") => {
                StoreError::Unavailable(msg)
            }
            _ => StoreError::Rejected(msg),
        };
    }
    let msg = format!("{op} {what}: {}", redact(&describe_chain(e)));
    match e.kind() {
        ErrorKind::Io | ErrorKind::Connection => StoreError::Unavailable(msg),
        _ => StoreError::Rejected(msg),
    }
}

/// The error and its sources, one after another.
fn describe_chain(e: &azure_core::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.chars().take(400).collect()
}

/// Drops query strings from any URL in the text (transport errors quote the request URL, which can
/// carry a SAS).
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_query = false;
    for c in text.chars() {
        if in_query {
            if c.is_whitespace() || c == ')' || c == '"' || c == '\'' {
                in_query = false;
                out.push(c);
            }
        } else if c == '?' {
            in_query = true;
            out.push_str("?…");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_drops_queries() {
        let s = redact("error sending request for url (https://a.blob.core.windows.net/c?sv=1&sig=abc%2B): refused");
        assert_eq!(
            s,
            "error sending request for url (https://a.blob.core.windows.net/c?…): refused"
        );
    }
}
