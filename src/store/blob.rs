// TEMPORARY, NOT COMMITTED: replaced by the blob backend from the blob-store branch.
use super::connection::BlobConnection;
use super::{BlobKey, Container, ETag, ListPage, StoreError, Stored};
pub struct BlobStore;
fn no() -> StoreError {
    StoreError::Rejected("blob backend not merged".into())
}
impl BlobStore {
    pub fn new(_c: &BlobConnection) -> Result<Self, StoreError> {
        Err(no())
    }
    pub async fn read(&self, _k: &BlobKey) -> Result<Option<Stored>, StoreError> {
        Err(no())
    }
    pub async fn create(&self, _k: &BlobKey, _b: Vec<u8>) -> Result<ETag, StoreError> {
        Err(no())
    }
    pub async fn replace(&self, _k: &BlobKey, _b: Vec<u8>, _e: &ETag) -> Result<ETag, StoreError> {
        Err(no())
    }
    pub async fn delete(&self, _k: &BlobKey, _e: Option<&ETag>) -> Result<bool, StoreError> {
        Err(no())
    }
    pub async fn list(
        &self,
        _c: Container,
        _p: &str,
        _n: Option<&str>,
        _m: u32,
    ) -> Result<ListPage, StoreError> {
        Err(no())
    }
    pub async fn ping(&self) -> Result<(), StoreError> {
        Err(no())
    }
}
