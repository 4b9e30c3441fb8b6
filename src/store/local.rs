//! The local-directory backend: the same semantics as Blob Storage, safe across processes.
//!
//! - Each document is a file `<root>/<container>/<name>`; writes go to a temporary file in the same
//!   directory and are renamed into place, so readers see the old or the new document, never half.
//! - Conditional writes hold an exclusive lock on `<root>/.locks/<container>/<name>.lock` while they
//!   check and write, so concurrent processes serialise per document.
//! - The ETag is a hash of the content. (Writing back identical content yields the same ETag; a
//!   compare-and-swap that succeeds then acts on a document equal to the one it read.)
//! - Durable across process crashes (rename is atomic); no fsync, so not across power loss.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{BlobKey, Container, ETag, ListPage, StoreError, Stored};

pub struct LocalStore {
    root: PathBuf,
}

fn io_err(path: &Path, e: std::io::Error) -> StoreError {
    match e.kind() {
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
            StoreError::Rejected(format!("{}: {e}", path.display()))
        }
        _ => StoreError::Unavailable(format!("{}: {e}", path.display())),
    }
}

fn etag_of(bytes: &[u8]) -> ETag {
    let digest = Sha256::digest(bytes);
    ETag(format!("\"{}\"", hex(&digest[..12])))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl LocalStore {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.container().name()).join(key.name())
    }

    fn lock_path(&self, key: &BlobKey) -> PathBuf {
        self.root
            .join(".locks")
            .join(key.container().name())
            .join(format!("{}.lock", key.name()))
    }

    async fn blocking<T, F>(f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| StoreError::Unavailable(format!("local store task failed: {e}")))?
    }

    pub async fn read(&self, key: &BlobKey) -> Result<Option<Stored>, StoreError> {
        let path = self.path(key);
        Self::blocking(move || read_file(&path)).await
    }

    pub async fn create(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<ETag, StoreError> {
        let (path, lock, name) = (self.path(key), self.lock_path(key), key.to_string());
        Self::blocking(move || {
            with_lock(&lock, || {
                if read_file(&path)?.is_some() {
                    return Err(StoreError::AlreadyExists(name));
                }
                write_atomic(&path, &bytes)
            })
        })
        .await
    }

    pub async fn replace(
        &self,
        key: &BlobKey,
        bytes: Vec<u8>,
        if_match: &ETag,
    ) -> Result<ETag, StoreError> {
        let (path, lock, name) = (self.path(key), self.lock_path(key), key.to_string());
        let expected = if_match.clone();
        Self::blocking(move || {
            with_lock(&lock, || match read_file(&path)? {
                Some(current) if current.etag == expected => write_atomic(&path, &bytes),
                _ => Err(StoreError::PreconditionFailed(name)),
            })
        })
        .await
    }

    pub async fn delete(&self, key: &BlobKey, if_match: Option<&ETag>) -> Result<bool, StoreError> {
        let (path, lock, name) = (self.path(key), self.lock_path(key), key.to_string());
        let expected = if_match.cloned();
        Self::blocking(move || {
            with_lock(&lock, || match read_file(&path)? {
                None => Ok(false),
                Some(current) if expected.as_ref().is_some_and(|e| *e != current.etag) => {
                    Err(StoreError::PreconditionFailed(name))
                }
                Some(_) => match fs::remove_file(&path) {
                    Ok(()) => Ok(true),
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(io_err(&path, e)),
                },
            })
        })
        .await
    }

    pub async fn list(
        &self,
        container: Container,
        prefix: &str,
        continuation: Option<&str>,
        max: u32,
    ) -> Result<ListPage, StoreError> {
        let dir = self.root.join(container.name());
        let (prefix, after) = (prefix.to_string(), continuation.map(str::to_string));
        Self::blocking(move || {
            let mut names = Vec::new();
            // Only walk the directory the prefix points into.
            let start = match prefix.rfind('/') {
                Some(i) => dir.join(&prefix[..i]),
                None => dir.clone(),
            };
            collect(&dir, &start, &mut names)?;
            names.retain(|n| n.starts_with(&prefix) && after.as_ref().is_none_or(|a| n > a));
            names.sort();
            let more = names.len() > max as usize;
            names.truncate(max as usize);
            let continuation = if more { names.last().cloned() } else { None };
            Ok(ListPage {
                names,
                continuation,
            })
        })
        .await
    }

    pub async fn version(&self, key: &BlobKey) -> Result<Option<String>, StoreError> {
        let path = self.path(key);
        Self::blocking(move || match fs::metadata(&path) {
            Ok(m) => {
                let modified = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                #[cfg(unix)]
                let ino = std::os::unix::fs::MetadataExt::ino(&m);
                #[cfg(not(unix))]
                let ino = 0u64;
                Ok(Some(format!("{ino}-{}-{modified}", m.len())))
            }
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
                Ok(None)
            }
            Err(e) => Err(io_err(&path, e)),
        })
        .await
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let root = self.root.clone();
        Self::blocking(move || fs::create_dir_all(&root).map_err(|e| io_err(&root, e))).await
    }
}

fn read_file(path: &Path) -> Result<Option<Stored>, StoreError> {
    match fs::read(path) {
        Ok(bytes) => {
            let etag = etag_of(&bytes);
            Ok(Some(Stored { bytes, etag }))
        }
        Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
            Ok(None)
        }
        Err(e) => Err(io_err(path, e)),
    }
}

fn with_lock<T>(lock: &Path, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    if let Some(parent) = lock.parent() {
        fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
    }
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock)
        .map_err(|e| io_err(lock, e))?;
    file.lock().map_err(|e| io_err(lock, e))?;
    let result = f();
    let _ = file.unlock();
    result
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<ETag, StoreError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("doc");
    let tmp = parent.join(format!(
        ".{file_name}.tmp-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    Ok(etag_of(bytes))
}

/// Every document name under `start` (relative to `root`, `/`-separated); temporary files skipped.
fn collect(root: &Path, start: &Path, out: &mut Vec<String>) -> Result<(), StoreError> {
    let entries = match fs::read_dir(start) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::NotADirectory => {
            return Ok(())
        }
        Err(e) => return Err(io_err(start, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_err(start, e))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let file_type = entry.file_type().map_err(|e| io_err(&path, e))?;
        if file_type.is_dir() {
            collect(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let name: Vec<_> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect();
            out.push(name.join("/"));
        }
    }
    Ok(())
}
