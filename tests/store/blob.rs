//! The blob backend of the state store against a real Azurite (see `common/azurite.rs`), and a
//! second, independent client (Python `azure-storage-blob`) reading and writing the same blobs.

use crate::common;

use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::azurite::{self, Azurite};
use common::store_suite;
use haymaker::config::Secret;
use haymaker::store::connection::DEV_ACCOUNT_KEY;
use haymaker::store::{
    BlobAuth, BlobConnection, BlobKey, Container, StateStore, StoreError, StoreLocation,
};
use serde_json::{json, Value};

fn open(az: &Azurite, label: &str) -> (StateStore, BlobConnection) {
    let conn = az.connection(label);
    let store = StateStore::open(&StoreLocation::Blob(conn.clone())).expect("the store opens");
    (store, conn)
}

fn key(container: Container, name: &str) -> BlobKey {
    BlobKey::new(container, name).unwrap()
}

#[tokio::test]
async fn round_trip_with_etag_preconditions() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    store_suite::round_trip_and_preconditions(&open(az, "round-trip").0).await;
}

#[tokio::test]
async fn version_tracks_changes() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    store_suite::version_tracks_changes(&open(az, "version").0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn containers_are_created_on_first_write() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    let (store, conn) = open(az, "first-use");

    // Nothing exists yet: reads, lists, deletes and the health check all cope.
    store
        .ping()
        .await
        .expect("ping works before any container exists");
    for c in Container::ALL {
        assert_eq!(store.read(&key(c, "a.json")).await.unwrap(), None);
        assert_eq!(
            store.list(c, "", None, 10).await.unwrap(),
            Default::default()
        );
        assert!(!store.delete(&key(c, "a.json"), None).await.unwrap());
    }
    assert!(python_container_names(az, &conn.container_prefix).is_empty());

    // Many first writes at once into each container: all succeed, each container appears once.
    let mut tasks = Vec::new();
    for c in Container::ALL {
        for i in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .create(&key(c, &format!("first/{i}.json")), vec![b'x'; i])
                    .await
            }));
        }
    }
    for t in tasks {
        t.await
            .unwrap()
            .expect("a first write creates its container");
    }
    let mut expected: Vec<String> = Container::ALL
        .iter()
        .map(|c| conn.container_name(*c))
        .collect();
    expected.sort();
    assert_eq!(python_container_names(az, &conn.container_prefix), expected);
    for c in Container::ALL {
        assert_eq!(store.list_all(c, "first/").await.unwrap().len(), 8);
        let empty = store.read(&key(c, "first/0.json")).await.unwrap().unwrap();
        assert!(empty.bytes.is_empty(), "an empty document reads back empty");
    }
    store.ping().await.unwrap();
}

#[tokio::test]
async fn listing_pages_by_prefix_in_order() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    store_suite::listing_pages_in_order(&open(az, "listing").0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn thirty_two_writers_lose_no_update() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    store_suite::concurrent_counter(&open(az, "counter").0, 32, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn fifty_concurrent_run_starts_make_exactly_one_run() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    store_suite::concurrent_run_starts(&open(az, "run-starts").0, 50).await;
}

#[tokio::test]
async fn another_client_reads_and_writes_the_same_blobs() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    let (store, conn) = open(az, "interop");
    let k = key(Container::Reports, "runs/r7/report.json");
    let body = json!({"run": "r7", "ok": true}).to_string();
    let etag = store.create(&k, body.clone().into_bytes()).await.unwrap();

    let container = conn.container_name(Container::Reports);
    let seen = python(
        az,
        r#"
import json, os, sys
from azure.storage.blob import BlobServiceClient
svc = BlobServiceClient.from_connection_string(os.environ["AZ_CONN"])
blob = svc.get_blob_client(sys.argv[1], sys.argv[2])
props = blob.get_blob_properties()
data = blob.download_blob().readall().decode()
print(json.dumps({"etag": props.etag, "content": data}))
"#,
        &[&container, k.name()],
    );
    assert_eq!(seen["etag"].as_str(), Some(etag.0.as_str()), "{seen}");
    assert_eq!(seen["content"].as_str(), Some(body.as_str()));

    // And the other way round: a blob the other client writes conditionally on our ETag.
    let wrote = python(
        az,
        r#"
import json, os, sys
from azure.core import MatchConditions
from azure.storage.blob import BlobServiceClient
svc = BlobServiceClient.from_connection_string(os.environ["AZ_CONN"])
blob = svc.get_blob_client(sys.argv[1], sys.argv[2])
r = blob.upload_blob(b'{"run":"r7","ok":false}', overwrite=True, etag=sys.argv[3],
                     match_condition=MatchConditions.IfNotModified)
print(json.dumps({"etag": r["etag"]}))
"#,
        &[&container, k.name(), &etag.0],
    );
    let doc = store.read(&k).await.unwrap().unwrap();
    assert_eq!(doc.bytes, br#"{"run":"r7","ok":false}"#);
    assert_eq!(Some(doc.etag.0.as_str()), wrote["etag"].as_str());
    let stale = store.replace(&k, b"{}".to_vec(), &etag).await;
    assert!(
        matches!(stale, Err(StoreError::PreconditionFailed(_))),
        "{stale:?}"
    );
}

#[tokio::test]
async fn a_wrong_key_is_rejected_without_leaking_it() {
    let Some(az) = azurite::shared_or_skip() else {
        return;
    };
    // 32 bytes of base64 that are not the account key.
    let wrong = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktIQ==";
    let mut conn = az.connection("wrong-key");
    conn.auth = BlobAuth::SharedKey {
        account: "devstoreaccount1".into(),
        key: Secret::new(wrong),
    };
    let store = StateStore::open(&StoreLocation::Blob(conn)).unwrap();
    let k = key(Container::State, "a.json");
    let results = [
        store.ping().await.map(|_| ()),
        store.create(&k, b"{}".to_vec()).await.map(|_| ()),
        store.read(&k).await.map(|_| ()),
        store.list(Container::State, "", None, 5).await.map(|_| ()),
    ];
    for result in results {
        let err = result.expect_err("a wrong key must not work");
        let (text, debug) = (err.to_string(), format!("{err:?}"));
        assert!(matches!(err, StoreError::Rejected(_)), "{text}");
        assert!(!err.is_retriable(), "{text}");
        assert!(text.contains("403"), "the status is in the message: {text}");
        for shown in [&text, &debug] {
            assert!(
                !shown.contains(wrong) && !shown.contains(DEV_ACCOUNT_KEY),
                "key leaked: {shown}"
            );
            assert!(
                !shown.contains("SharedKey"),
                "authorization leaked: {shown}"
            );
            assert!(
                !has_signature(shown),
                "something like a signature leaked: {shown}"
            );
        }
    }

    // A key that is not even base64 fails at open, without echoing it.
    let mut conn = az.connection("bad-key");
    let bad = "this is not base64 at all!";
    conn.auth = BlobAuth::SharedKey {
        account: "devstoreaccount1".into(),
        key: Secret::new(bad),
    };
    let err = StateStore::open(&StoreLocation::Blob(conn)).unwrap_err();
    assert!(matches!(err, StoreError::Rejected(_)), "{err}");
    assert!(!err.to_string().contains(bad));
}

/// A base64 HMAC-SHA256 (43 characters of the base64 alphabet and `=`).
fn has_signature(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '+' || c == '/' {
            run += 1;
        } else {
            if c == '=' && run >= 43 {
                return true;
            }
            run = 0;
        }
    }
    false
}

#[test]
fn container_prefixes_make_valid_container_names() {
    for label in [
        "Round Trip!",
        "a",
        "--x--",
        "a-very-long-label-that-goes-on-and-on-and-on",
    ] {
        let prefix = azurite::unique_prefix(label);
        for c in Container::ALL {
            let name = format!("{prefix}{}", c.name());
            assert!((3..=63).contains(&name.len()), "{name}");
            assert!(!name.contains("--") && !name.starts_with('-'), "{name}");
            assert!(name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
    }
    assert_ne!(azurite::unique_prefix("x"), azurite::unique_prefix("x"));
}

// ---- the second client -------------------------------------------------------------------------

/// Runs `script` with Python's `azure-storage-blob` (installed on first use if missing), the
/// connection string in `AZ_CONN` (never on the command line or in output), and parses the JSON it
/// prints.
fn python(az: &Azurite, script: &str, args: &[&str]) -> Value {
    ensure_python_sdk();
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .env("AZ_CONN", az.connection_string())
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    let scrub = |b: &[u8]| String::from_utf8_lossy(b).replace(DEV_ACCOUNT_KEY, "***");
    assert!(
        out.status.success(),
        "the Python client failed ({}):\n{}\n{}",
        out.status,
        scrub(&out.stdout),
        scrub(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the Python client printed no JSON ({e}): {}",
            scrub(&out.stdout)
        )
    })
}

fn python_container_names(az: &Azurite, prefix: &str) -> Vec<String> {
    let v = python(
        az,
        r#"
import json, os, sys
from azure.storage.blob import BlobServiceClient
svc = BlobServiceClient.from_connection_string(os.environ["AZ_CONN"])
print(json.dumps(sorted(c.name for c in svc.list_containers(name_starts_with=sys.argv[1]))))
"#,
        &[prefix],
    );
    serde_json::from_value(v).unwrap()
}

fn ensure_python_sdk() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        let has = |quiet: bool| {
            Command::new("python3")
                .args(["-c", "import azure.storage.blob"])
                .stderr(if quiet {
                    Stdio::null()
                } else {
                    Stdio::inherit()
                })
                .status()
                .is_ok_and(|s| s.success())
        };
        if has(true) {
            return;
        }
        eprintln!(
            "installing the Python azure-storage-blob package for the interoperability tests"
        );
        let installed = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "azure-storage-blob"])
            .status();
        assert!(
            installed.is_ok_and(|s| s.success()) && has(false),
            "python3 with azure-storage-blob is needed (python3 -m pip install azure-storage-blob)"
        );
    });
}
