//! HTTPS for the simulator: a certificate authority kept on disk (so clients configured with its PEM
//! keep trusting a restarted simulator), a fresh leaf certificate signed by it at every start (SANs
//! `127.0.0.1`, `::1`, `localhost`: the Azure CLI refuses self-signed leaves), and the accept loop
//! that serves an axum router over tokio-rustls with HTTP/1.1 and HTTP/2.
//!
//! Files in the data directory: `ca.pem` (the certificate clients trust: `HAYMAKER_EXTRA_CA_FILE`,
//! `REQUESTS_CA_BUNDLE`) and `ca-key.pem` (mode 0600). Two processes starting at once agree on one
//! key: it is published with a link that fails when the file already exists.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData as _, SanType,
};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use super::SimError;

pub const CA_CERT_FILE: &str = "ca.pem";
pub const CA_KEY_FILE: &str = "ca-key.pem";

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long open connections get to finish after a stop.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The simulator's certificate authority.
pub struct Ca {
    /// Absolute path of `ca.pem`.
    pub cert_file: PathBuf,
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// A key for signing tokens, derived from the CA's private key: stable while the CA is.
    pub fn token_key(&self) -> [u8; 32] {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(b"haymaker-sim token key\0");
        h.update(self.issuer.key().serialize_der());
        h.finalize().into()
    }
}

fn cert_error(e: rcgen::Error) -> SimError {
    SimError::Certificate(e.to_string())
}

fn io_error(context: String) -> impl FnOnce(io::Error) -> SimError {
    move |source| SimError::Io { context, source }
}

/// The CA's fields. Rebuilt identically at each start: with the stored key it signs leaves that chain
/// to the stored `ca.pem`.
fn ca_params(port: u16) -> Result<CertificateParams, SimError> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(cert_error)?;
    params
        .distinguished_name
        .push(DnType::CommonName, format!("haymaker sim CA (port {port})"));
    params
        .distinguished_name
        .push(DnType::OrganizationName, "haymaker");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    Ok(params)
}

/// Writes `contents` to `dir/name` whole. With `replace`, overwrites; without, leaves an existing
/// file alone and returns `false`.
fn publish(
    dir: &Path,
    name: &str,
    contents: &str,
    mode: u32,
    replace: bool,
) -> Result<bool, SimError> {
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let target = dir.join(name);
    write_new(&tmp, contents, mode)?;
    let result = if replace {
        std::fs::rename(&tmp, &target).map(|_| true)
    } else {
        match std::fs::hard_link(&tmp, &target) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    };
    let _ = std::fs::remove_file(&tmp);
    result.map_err(io_error(format!("cannot write {}", target.display())))
}

/// Creates `path` with `contents` (`mode` on Unix: 0o600 for the key, 0o644 for the certificate).
fn write_new(path: &Path, contents: &str, mode: u32) -> Result<(), SimError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .map_err(io_error(format!("cannot create {}", path.display())))?;
    file.write_all(contents.as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(io_error(format!("cannot write {}", path.display())))
}

fn read(path: &Path) -> Result<Option<String>, SimError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SimError::Io {
            context: format!("cannot read {}", path.display()),
            source: e,
        }),
    }
}

/// Whether a PEM certificate carries `key`'s public key (its SubjectPublicKeyInfo appears verbatim).
fn cert_matches_key(cert_pem: &str, key: &KeyPair) -> bool {
    let Ok(der) = CertificateDer::from_pem_slice(cert_pem.as_bytes()) else {
        return false;
    };
    let spki = key.subject_public_key_info();
    der.windows(spki.len()).any(|w| w == spki.as_slice())
}

/// Loads the CA from `dir`, creating it (and `dir`) when absent.
pub fn ensure_ca(dir: &Path, port: u16) -> Result<Ca, SimError> {
    std::fs::create_dir_all(dir).map_err(io_error(format!("cannot create {}", dir.display())))?;
    let dir =
        std::path::absolute(dir).map_err(io_error(format!("cannot resolve {}", dir.display())))?;
    let key_path = dir.join(CA_KEY_FILE);
    let cert_path = dir.join(CA_CERT_FILE);
    let parse_key = |pem: &str| {
        KeyPair::from_pem(pem).map_err(|e| {
            SimError::Certificate(format!("{} is not a private key: {e}", key_path.display()))
        })
    };
    let (key, fresh) = match read(&key_path)? {
        Some(pem) => (parse_key(&pem)?, false),
        None => {
            let key = KeyPair::generate().map_err(cert_error)?;
            if publish(&dir, CA_KEY_FILE, &key.serialize_pem(), 0o600, false)? {
                (key, true)
            } else {
                // Another process published its key first: use that one.
                let pem = read(&key_path)?.unwrap_or_default();
                (parse_key(&pem)?, false)
            }
        }
    };
    let params = ca_params(port)?;
    let cert_pem = match read(&cert_path)? {
        Some(pem) if !fresh && cert_matches_key(&pem, &key) => pem,
        stale => {
            let pem = params.self_signed(&key).map_err(cert_error)?.pem();
            // Replace a certificate of another key; never overwrite one a racer just wrote for
            // this key (any certificate of this key and name chains the same leaves).
            publish(&dir, CA_CERT_FILE, &pem, 0o644, stale.is_some())?;
            read(&cert_path)?
                .filter(|on_disk| cert_matches_key(on_disk, &key))
                .unwrap_or(pem)
        }
    };
    Ok(Ca {
        cert_file: cert_path,
        cert_pem,
        issuer: Issuer::new(params, key),
    })
}

/// A new leaf certificate for `127.0.0.1`, `::1` and `localhost`, signed by `ca`.
fn issue_leaf(ca: &Ca) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), SimError> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(cert_error)?;
    params.subject_alt_names = vec![
        SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
        SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()),
        SanType::DnsName("localhost".try_into().map_err(cert_error)?),
    ];
    params
        .distinguished_name
        .push(DnType::CommonName, "haymaker sim");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let today = chrono::Utc::now().date_naive();
    let day = |d: chrono::NaiveDate| {
        use chrono::Datelike as _;
        rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8)
    };
    params.not_before = day(today - chrono::Days::new(1));
    params.not_after = day(today + chrono::Days::new(365));
    let key = KeyPair::generate().map_err(cert_error)?;
    let cert = params.signed_by(&key, &ca.issuer).map_err(cert_error)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().clone(), key_der))
}

/// The rustls server configuration: a fresh leaf, ALPN `h2` and `http/1.1`.
pub fn server_config(ca: &Ca) -> Result<Arc<ServerConfig>, SimError> {
    let (cert, key) = issue_leaf(ca)?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|e| SimError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts TLS connections and serves `app` on each until `shutdown` completes; then stops
/// accepting and gives open connections [`DRAIN_TIMEOUT`] to finish.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    config: Arc<ServerConfig>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = TlsAcceptor::from(config);
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "simulator: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(app.clone());
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "simulator: TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "simulator: TLS handshake timed out");
                    return;
                }
            };
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(%peer, error = %e, "simulator: connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("simulator: connections still open after the drain timeout");
    }
}
