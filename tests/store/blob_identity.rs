//! The identity-based blob connection (`AzureWebJobsStorage__blobServiceUri` /
//! `__accountName`): the orchestrator's own `IdentityTokens` (here: the client secret of the
//! simulator's app registration) against a real Azurite over HTTPS in OAuth mode, which checks the
//! issuer, audience and lifetime of the simulator's JWTs. The leaf certificate of Azurite comes from a
//! test CA that is trusted through `HAYMAKER_EXTRA_CA_FILE` next to the simulator's.

use crate::common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use common::azurite::{self, Azurite, OAuthTls};
use common::store_suite;
use haymaker::azure::identity::AzureConnection;
use haymaker::azure::transport::BoxFuture;
use haymaker::azure::{AccessTokens, AzureError};
use haymaker::config::{Secret, Settings};
use haymaker::sim::{SimOptions, SimServer};
use haymaker::store::{
    BlobAuth, BlobKey, Container, StateStore, StoreError, StoreIdentity, StoreLocation,
    STORAGE_SCOPE,
};

const SETTING: &str = "AzureWebJobsStorage__blobServiceUri";

/// The simulator, an HTTPS+OAuth Azurite and a CA bundle trusting both.
struct Rig {
    sim: SimServer,
    azurite: Azurite,
    bundle: PathBuf,
    _dir: tempfile::TempDir,
}

/// A CA and a leaf for 127.0.0.1 signed by it: (CA PEM, leaf PEM, leaf key PEM).
fn test_certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "haymaker test Azurite CA");
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.subject_alt_names = vec![SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into())];
    leaf.use_authority_key_identifier_extension = true;
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_pem = leaf.signed_by(&leaf_key, &issuer).unwrap().pem();
    (ca_pem, leaf_pem, leaf_key.serialize_pem())
}

impl Rig {
    async fn start() -> Option<Rig> {
        azurite::binary_or_skip()?;
        let dir = tempfile::tempdir().unwrap();
        let sim = SimServer::start(SimOptions {
            port: 0,
            data_dir: Some(dir.path().join("sim")),
            config: Default::default(),
        })
        .await
        .expect("the simulator starts");
        let (ca, leaf, key) = test_certificates();
        let write = |name: &str, text: &str| -> PathBuf {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let cert = write("azurite.pem", &leaf);
        let key = write("azurite-key.pem", &key);
        let sim_ca = std::fs::read_to_string(&sim.ca_file).unwrap();
        let bundle = write("bundle.pem", &format!("{sim_ca}\n{ca}"));
        let azurite = Azurite::start_oauth(&OAuthTls {
            cert: &cert,
            key: &key,
        })?;
        Some(Rig {
            sim,
            azurite,
            bundle,
            _dir: dir,
        })
    }

    /// The settings of a Function App whose storage is identity-based, signed in as the simulator's
    /// app registration; `overrides` replace or add settings (an empty value removes one).
    fn settings(&self, overrides: &[(&str, &str)]) -> Settings {
        let mut pairs = self.env(overrides);
        pairs.retain(|(_, v)| !v.is_empty());
        let map: std::collections::HashMap<_, _> = pairs.into_iter().collect();
        Settings::from_lookup(&|name| map.get(name).cloned()).expect("valid settings")
    }

    fn env(&self, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = self
            .sim
            .env_vars()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        pairs.push((
            "HAYMAKER_EXTRA_CA_FILE".into(),
            self.bundle.display().to_string(),
        ));
        pairs.push((SETTING.into(), self.azurite.blob_endpoint()));
        for (k, v) in overrides {
            pairs.retain(|(name, _)| name != k);
            pairs.push((k.to_string(), v.to_string()));
        }
        pairs
    }

    /// The store the settings name, in containers of its own; and the identity it signs in with.
    fn store(&self, label: &str, settings: &Settings) -> (StateStore, StoreIdentity) {
        let conn = AzureConnection::from_settings(settings).expect("the Azure connection");
        let identity = StoreIdentity {
            tokens: conn.tokens,
            transport: conn.transport,
        };
        (self.store_as(label, settings, identity.clone()), identity)
    }

    fn store_as(&self, label: &str, settings: &Settings, identity: StoreIdentity) -> StateStore {
        let location = StoreLocation::from_settings(&settings.storage).unwrap();
        let StoreLocation::Blob(mut conn) = location else {
            panic!("an identity-based blob location");
        };
        assert!(matches!(conn.auth, BlobAuth::Identity { setting: SETTING }));
        conn.container_prefix = azurite::unique_prefix(label);
        StateStore::open_with(&StoreLocation::Blob(conn), Some(identity)).expect("the store opens")
    }
}

/// Collects everything logged on this thread (the tests run on a current-thread runtime).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (captured, guard)
}

#[tokio::test]
async fn the_store_suite_passes_with_the_orchestrator_identity_and_no_token_shows() {
    let Some(rig) = Rig::start().await else {
        return;
    };
    let (logs, guard) = capture_logs();
    let settings = rig.settings(&[]);
    let (store, identity) = rig.store("identity-suite", &settings);
    assert!(
        store.describe().contains("Entra ID"),
        "{}",
        store.describe()
    );

    store_suite::round_trip_and_preconditions(&store).await;
    store_suite::listing_pages_in_order(&store).await;
    store_suite::concurrent_counter(&store, 8, 4).await;
    store_suite::concurrent_run_starts(&store, 10).await;

    // The token the store used is the one the identity has cached for Storage.
    let token = identity.tokens.token(STORAGE_SCOPE).await.unwrap();
    let token = token.expose().to_string();
    assert_eq!(token.split('.').count(), 3, "the simulator issues JWTs");
    drop(guard);
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.is_empty(), "the SDK logged its requests");
    assert!(!logs.contains(&token), "a token reached the logs");
    for shown in [
        format!("{store:?}"),
        format!("{identity:?}"),
        format!("{settings:?}"),
    ] {
        assert!(!shown.contains(&token), "a token in Debug: {shown}");
    }
}

/// Hands out tokens for another scope than the one asked for: a token Azure Storage must refuse.
struct OtherAudience {
    inner: Arc<dyn AccessTokens>,
    scope: &'static str,
}

impl AccessTokens for OtherAudience {
    fn token<'a>(&'a self, _scope: &'a str) -> BoxFuture<'a, Result<Secret, AzureError>> {
        self.inner.token(self.scope)
    }
    fn principal(&self) -> &str {
        self.inner.principal()
    }
}

fn key(name: &str) -> BlobKey {
    BlobKey::new(Container::State, name).unwrap()
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused_with_the_fix() {
    let Some(rig) = Rig::start().await else {
        return;
    };
    let settings = rig.settings(&[]);
    let (_, identity) = rig.store("audience-ok", &settings);
    let arm = format!("{}/.default", rig.sim.base_url());
    let wrong = StoreIdentity {
        tokens: Arc::new(OtherAudience {
            inner: identity.tokens.clone(),
            scope: Box::leak(arm.clone().into_boxed_str()),
        }),
        transport: identity.transport.clone(),
    };
    let store = rig.store_as("audience", &settings, wrong);
    let err = store
        .create(&key("a.json"), b"{}".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Rejected(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("refused the identity's token"), "{text}");
    assert!(text.contains(SETTING), "names the setting: {text}");
    assert!(
        text.contains("https://storage.azure.com"),
        "says which audience: {text}"
    );
    let token = identity.tokens.token(&arm).await.unwrap();
    assert!(!text.contains(token.expose()));
    assert!(!format!("{err:?}").contains(token.expose()));
}

#[tokio::test]
async fn a_refused_client_secret_names_the_identity_settings() {
    let Some(rig) = Rig::start().await else {
        return;
    };
    let settings = rig.settings(&[("AZURE_CLIENT_SECRET", "sim~not-the-secret")]);
    let (store, _) = rig.store("bad-secret", &settings);
    let err = store.read(&key("a.json")).await.unwrap_err();
    assert!(matches!(err, StoreError::Rejected(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(SETTING), "{text}");
    assert!(text.contains("AZURE_CLIENT_SECRET"), "{text}");
    assert!(!text.contains("sim~not-the-secret"), "{text}");
}

/// No client secret, no managed identity, no `az` / `azd` on PATH: `haymaker start` says which
/// setting needs an identity and how to provide one.
#[tokio::test]
async fn without_any_credential_the_cli_says_how_to_sign_in() {
    let Some(rig) = Rig::start().await else {
        return;
    };
    let empty_path = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = rig.env(&[("AZURE_CLIENT_SECRET", "")]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_haymaker"))
        .arg("start")
        .env_clear()
        .env("PATH", empty_path.path())
        .env("HOME", home.path())
        .envs(env.into_iter().filter(|(_, v)| !v.is_empty()))
        .output()
        .expect("haymaker runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains(SETTING), "{stderr}");
    assert!(stderr.contains("az login"), "{stderr}");
    assert!(stderr.contains("AZURE_CLIENT_SECRET"), "{stderr}");
}

#[test]
fn an_identity_location_without_an_identity_is_refused_by_open() {
    let location =
        StoreLocation::parse("https://hm.blob.core.windows.net", "HAYMAKER_STATE").unwrap();
    assert!(location.needs_identity());
    let err = StateStore::open(&location).unwrap_err().to_string();
    assert!(err.contains("HAYMAKER_STATE"), "{err}");
    assert!(err.contains("from_settings"), "{err}");
}
