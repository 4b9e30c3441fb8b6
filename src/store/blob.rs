//! The Blob Storage backend: one block blob per document, ETags straight from the service, containers
//! created on first write.

#[path = "blob_auth.rs"]
mod auth;
#[path = "blob_errors.rs"]
mod errors;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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

use azure_core::credentials::TokenCredential;

use super::{
    BlobAuth, BlobConnection, BlobKey, Container, ETag, ListPage, StoreError, StoreIdentity,
    Stored, STORAGE_SCOPE,
};
use crate::azure::sdk::{SdkCredential, SdkHttp};
use errors::{already_exists, error_code, map_error, status};

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
    /// For an identity-based connection: the setting it came from (errors name it and the fix).
    identity_setting: Option<&'static str>,
}

impl BlobStore {
    pub fn new(conn: &BlobConnection, identity: Option<StoreIdentity>) -> Result<Self, StoreError> {
        let mut client_options = ClientOptions {
            retry: RetryOptions::exponential(ExponentialRetryOptions {
                max_retries: 4,
                max_total_elapsed: azure_core::time::Duration::seconds(30),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut credential = None;
        let mut identity_setting = None;
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
            BlobAuth::Identity { setting } => {
                if conn.service_url.scheme() != "https" {
                    return Err(StoreError::Rejected(format!(
                        "{setting}: Entra ID authentication needs an https endpoint, not {}://{}",
                        conn.service_url.scheme(),
                        conn.service_url.host_str().unwrap_or("")
                    )));
                }
                let identity = identity.ok_or_else(|| {
                    StoreError::Rejected(format!(
                        "{setting}: identity-based storage needs the orchestrator's identity; \
                         open the store with StateStore::from_settings (or open_with)"
                    ))
                })?;
                client_options.transport = Some(azure_core::http::Transport::new(Arc::new(
                    SdkHttp::new(identity.transport),
                )));
                credential = Some(Arc::new(SdkCredential::new(identity.tokens, STORAGE_SCOPE))
                    as Arc<dyn TokenCredential>);
                identity_setting = Some(*setting);
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
            identity_setting,
        })
    }

    /// An SDK error as a store error; for an identity-based connection, authentication failures
    /// name the setting and the fix.
    fn fail(&self, op: &str, what: &str, e: &azure_core::Error) -> StoreError {
        match self
            .identity_setting
            .and_then(|s| auth::identity_error(s, op, what, e))
        {
            Some(err) => err,
            None => map_error(op, what, e),
        }
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
            Err(e) => return Err(self.fail("read", &self.path(key), &e)),
        };
        let etag = result.properties.etag.map(|t| ETag(t.to_string()));
        let bytes = result
            .body
            .collect()
            .await
            .map_err(|e| self.fail("read", &self.path(key), &e))?;
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
            Err(e) => Err(self.fail("create", &self.path(key), &e)),
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
            Err(e) => Err(self.fail("replace", &self.path(key), &e)),
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
            Err(e) => Err(self.fail("delete", &self.path(key), &e)),
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
                .map_err(|e| self.fail("list", &what, &e))?,
            Ok(None) => return Ok(ListPage::default()),
            Err(e) if error_code(&e).as_deref() == Some("ContainerNotFound") => {
                return Ok(ListPage::default())
            }
            Err(e) => return Err(self.fail("list", &what, &e)),
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
            Err(e) => Err(self.fail("ping", &slot.name, &e)),
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
