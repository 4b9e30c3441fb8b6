//! A real Azurite for tests: started on free ports, shared by every test in one test binary, stopped
//! when the binary exits (a watchdog kills it when our end of its stdin pipe closes) or, for an
//! instance of one's own, on drop.
//!
//! Binary: `HAYMAKER_AZURITE`, else `<project>/target/tools/node_modules/.bin/azurite`, else
//! `azurite` on `PATH`. Missing binary: the test panics with how to install it, unless
//! `HAYMAKER_SKIP_AZURITE=1`, in which case it says loudly that it was skipped and passes.

use std::fs::File;
use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use haymaker::config::Secret;
use haymaker::store::connection::{DEV_ACCOUNT, DEV_ACCOUNT_KEY};
use haymaker::store::{BlobAuth, BlobConnection};

const STARTUP_LIMIT: Duration = Duration::from_secs(20);
const INSTALL_HINT: &str = "install it with `npm install --prefix target/tools azurite@3` (from the \
     project root), or point HAYMAKER_AZURITE at an azurite binary, or set HAYMAKER_SKIP_AZURITE=1 to \
     skip the Azurite tests";

/// A running Azurite (blob and queue services).
pub struct Azurite {
    // Dropped first: the processes stop before their directory goes.
    _processes: Processes,
    blob_port: u16,
    queue_port: u16,
    /// `https` when started with a certificate, else `http`.
    scheme: &'static str,
    _dir: tempfile::TempDir,
}

/// HTTPS with Entra ID bearer tokens: Azurite's `--oauth basic` checks a token's claims (issuer,
/// audience, lifetime) but not its signature, and only over HTTPS.
pub struct OAuthTls<'a> {
    /// PEM certificate chain for 127.0.0.1.
    pub cert: &'a Path,
    /// PEM private key of the certificate.
    pub key: &'a Path,
}

/// The Azurite shared by this test binary, or `None` (after a loud SKIPPED line) when Azurite is
/// not installed and `HAYMAKER_SKIP_AZURITE=1`.
pub fn shared_or_skip() -> Option<&'static Azurite> {
    let bin = binary_or_skip()?;
    static SHARED: OnceLock<Azurite> = OnceLock::new();
    Some(SHARED.get_or_init(|| Azurite::start_with(&bin)))
}

/// Where Azurite is, or `None` after printing the SKIPPED line; panics with an install hint when it is
/// missing and skipping was not asked for.
pub fn binary_or_skip() -> Option<PathBuf> {
    if let Some(bin) = find_binary() {
        return Some(bin);
    }
    if std::env::var("HAYMAKER_SKIP_AZURITE").is_ok_and(|v| v.trim() == "1") {
        eprintln!(
            "\n*** SKIPPED: Azurite tests skipped because HAYMAKER_SKIP_AZURITE=1 (azurite not found) ***\n"
        );
        return None;
    }
    let tried = match std::env::var_os("HAYMAKER_AZURITE") {
        Some(p) => format!(
            "HAYMAKER_AZURITE={} does not exist",
            Path::new(&p).display()
        ),
        None => format!(
            "{} is missing and no `azurite` is on PATH",
            local_binary().display()
        ),
    };
    panic!("Azurite is needed for these tests: {tried}; {INSTALL_HINT}");
}

fn local_binary() -> PathBuf {
    super::project_root().join("target/tools/node_modules/.bin/azurite")
}

fn find_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HAYMAKER_AZURITE") {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let local = local_binary();
    if local.is_file() {
        return Some(local);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("azurite"))
        .find(|p| p.is_file())
}

impl Azurite {
    /// An instance of one's own (stopped on drop); `None` when skipped.
    pub fn start() -> Option<Azurite> {
        binary_or_skip().map(|bin| Self::start_with(&bin))
    }

    /// An instance of one's own over HTTPS with `--oauth basic` (stopped on drop); `None` when
    /// skipped.
    pub fn start_oauth(tls: &OAuthTls<'_>) -> Option<Azurite> {
        let bin = binary_or_skip()?;
        let args = vec![
            "--oauth".into(),
            "basic".into(),
            "--cert".into(),
            tls.cert.as_os_str().to_owned(),
            "--key".into(),
            tls.key.as_os_str().to_owned(),
        ];
        Some(Self::start_args(&bin, &args, "https"))
    }

    fn start_with(bin: &Path) -> Azurite {
        Self::start_args(bin, &[], "http")
    }

    fn start_args(bin: &Path, extra: &[std::ffi::OsString], scheme: &'static str) -> Azurite {
        let dir = tempfile::tempdir().expect("a temporary directory for Azurite");
        // Free ports are found by binding port 0 and letting go; another process could take one in
        // between, so a start that fails with EADDRINUSE is tried again on fresh ports.
        for attempt in 1..=5 {
            // `azurite` also starts the table service (default port 10002): give it a free port too.
            let (blob_port, queue_port, table_port) = (free_port(), free_port(), free_port());
            if blob_port == queue_port || queue_port == table_port || blob_port == table_port {
                continue;
            }
            let log_path = dir.path().join(format!("azurite-{attempt}.log"));
            let log = File::create(&log_path).expect("the Azurite log file");
            let child = Command::new(bin)
                .args(["--silent", "--inMemoryPersistence", "--skipApiVersionCheck"])
                .args([
                    "--disableTelemetry",
                    "--blobHost",
                    "127.0.0.1",
                    "--blobPort",
                ])
                .arg(blob_port.to_string())
                .args(["--queueHost", "127.0.0.1", "--queuePort"])
                .arg(queue_port.to_string())
                .args(["--tableHost", "127.0.0.1", "--tablePort"])
                .arg(table_port.to_string())
                .args(extra)
                // In-memory persistence refuses `--location`; the working directory catches any
                // stray file instead.
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("the Azurite log file"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL_HINT}", bin.display()));
            let mut processes = Processes::watch(child);
            let deadline = Instant::now() + STARTUP_LIMIT;
            loop {
                if accepts(blob_port) && accepts(queue_port) {
                    return Azurite {
                        _processes: processes,
                        blob_port,
                        queue_port,
                        scheme,
                        _dir: dir,
                    };
                }
                if let Ok(Some(status)) = processes.azurite.try_wait() {
                    drop(processes);
                    let log = read_log(&log_path);
                    if log.contains("EADDRINUSE") {
                        break; // next attempt, new ports
                    }
                    panic!(
                        "Azurite ({}) exited with {status} during startup:\n{log}",
                        bin.display()
                    );
                }
                if Instant::now() > deadline {
                    drop(processes);
                    panic!(
                        "Azurite did not accept connections on 127.0.0.1:{blob_port} within {:?}:\n{}",
                        STARTUP_LIMIT,
                        read_log(&log_path)
                    );
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        panic!("Azurite could not get free ports in 5 attempts");
    }

    pub fn blob_port(&self) -> u16 {
        self.blob_port
    }

    pub fn queue_port(&self) -> u16 {
        self.queue_port
    }

    /// `http://127.0.0.1:<port>/devstoreaccount1` (`https` with a certificate)
    pub fn blob_endpoint(&self) -> String {
        format!(
            "{}://127.0.0.1:{}/{DEV_ACCOUNT}",
            self.scheme, self.blob_port
        )
    }

    /// A full connection string for other clients (it contains the public development key: pass it
    /// through the environment, never print it).
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_ACCOUNT_KEY};\
             BlobEndpoint={};QueueEndpoint=http://127.0.0.1:{}/{DEV_ACCOUNT};",
            self.blob_endpoint(),
            self.queue_port
        )
    }

    /// The development account with a container prefix unique to this test binary:
    /// `<label>-<n>-`, where `label` is `label` lower-cased with anything but letters and digits
    /// turned into dashes.
    pub fn connection(&self, label: &str) -> BlobConnection {
        BlobConnection {
            service_url: url::Url::parse(&self.blob_endpoint()).expect("a valid endpoint"),
            auth: BlobAuth::SharedKey {
                account: DEV_ACCOUNT.into(),
                key: Secret::new(DEV_ACCOUNT_KEY),
            },
            container_prefix: unique_prefix(label),
        }
    }
}

/// Azurite and its watchdog: a `sh` that waits for end-of-file on its stdin, whose write end only
/// this process holds, and then stops Azurite. So Azurite goes away with the test process even when
/// no destructor runs (statics are never dropped; a test binary may be killed).
struct Processes {
    azurite: Child,
    watchdog: Child,
}

impl Processes {
    fn watch(mut azurite: Child) -> Self {
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg("read _ignored; kill \"$1\" 2>/dev/null")
            .arg("azurite-watchdog")
            .arg(azurite.id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match watchdog {
            Ok(watchdog) => Self { azurite, watchdog },
            Err(e) => {
                let _ = azurite.kill();
                let _ = azurite.wait();
                panic!("cannot start sh for the Azurite watchdog: {e}");
            }
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        // The watchdog goes first, so it can never signal a process id that has been reused.
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
        let _ = self.azurite.kill();
        let _ = self.azurite.wait();
    }
}

/// A container prefix that keeps every container name valid (3–63 characters of lower-case letters,
/// digits and single dashes) with room for the longest container name.
pub fn unique_prefix(label: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let mut clean = String::new();
    for c in label.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            clean.push(c);
        } else if !clean.is_empty() && !clean.ends_with('-') {
            clean.push('-');
        }
    }
    let clean: String = clean.trim_end_matches('-').chars().take(24).collect();
    let clean = clean.trim_end_matches('-');
    let clean = if clean.is_empty() { "t" } else { clean };
    format!("{clean}-{}-", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

fn accepts(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

fn read_log(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    text.replace(DEV_ACCOUNT_KEY, "***")
}
