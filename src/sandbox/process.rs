//! The handler as a process of its own: `haymaker serve` started with the sandbox's settings and
//! clock (`--sandbox-clock`), reached over HTTP as the Functions host reaches its custom handler,
//! and killed with SIGKILL when a test wants it to crash. The simulator and the state store live
//! outside it, so a new process comes back on the same state.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::transport::HandlerTransport;
use crate::clock::Clock;

/// `--sandbox-clock FACTOR@ORIGIN`: the sandbox's scaled clock, so the handler process keeps the
/// same time as the sandbox that started it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SandboxClock {
    pub factor: f64,
    pub origin: DateTime<Utc>,
}

/// A `--sandbox-clock` value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--sandbox-clock {value:?}: {problem}; expected FACTOR@ORIGIN, e.g. 3000@2025-01-01T00:00:00.000000Z")]
pub struct SandboxClockError {
    pub value: String,
    pub problem: String,
}

impl SandboxClock {
    pub fn of(clock: &Clock) -> Option<Self> {
        Some(Self {
            factor: clock.factor(),
            origin: clock.origin()?,
        })
    }

    pub fn clock(&self) -> Clock {
        Clock::scaled_since(self.origin, self.factor)
    }
}

impl std::fmt::Display for SandboxClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let origin = self.origin.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        write!(f, "{}@{origin}", self.factor)
    }
}

impl FromStr for SandboxClock {
    type Err = SandboxClockError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let bad = |problem: &str| SandboxClockError {
            value: value.to_string(),
            problem: problem.to_string(),
        };
        let (factor, origin) = value.split_once('@').ok_or_else(|| bad("no '@'"))?;
        let factor: f64 = factor
            .trim()
            .parse()
            .ok()
            .filter(|f: &f64| f.is_finite() && *f >= 1.0)
            .ok_or_else(|| bad("the factor must be a number >= 1"))?;
        let origin = DateTime::parse_from_rfc3339(origin.trim())
            .map_err(|_| bad("the origin must be an RFC 3339 time"))?
            .with_timezone(&Utc);
        Ok(Self { factor, origin })
    }
}

/// What starts a handler process: the binary, its environment (the settings), the clock, and the
/// file its logs are appended to.
#[derive(Debug, Clone)]
pub struct HandlerCommand {
    pub binary: PathBuf,
    pub env: HashMap<String, String>,
    pub clock: SandboxClock,
    pub log: PathBuf,
}

/// The handler process could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot start {binary}: {source}")]
    Spawn {
        binary: PathBuf,
        source: std::io::Error,
    },
    #[error("{binary} did not print `listening on …` within {secs} s (its log: {log})")]
    NotListening {
        binary: PathBuf,
        secs: u64,
        log: PathBuf,
    },
}

/// A running handler process.
#[derive(Debug)]
pub struct HandlerProcess {
    child: tokio::process::Child,
    base: String,
}

fn log_file(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

impl HandlerProcess {
    /// Starts `haymaker serve --port 0 --sandbox-clock …` with exactly `command.env` (nothing
    /// inherited) and waits until it listens.
    pub async fn spawn(command: &HandlerCommand) -> Result<Self, ProcessError> {
        let spawn_error = |source| ProcessError::Spawn {
            binary: command.binary.clone(),
            source,
        };
        let log = log_file(&command.log).map_err(spawn_error)?;
        let mut child = tokio::process::Command::new(&command.binary)
            .args(["serve", "--port", "0", "--sandbox-clock"])
            .arg(command.clock.to_string())
            .env_clear()
            .envs(&command.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(spawn_error)?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let wait = Duration::from_secs(30);
        let listening = tokio::time::timeout(wait, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(base) = line.trim().strip_prefix("listening on ") {
                    return Some(base.to_string());
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        let Some(base) = listening else {
            let _ = child.start_kill();
            return Err(ProcessError::NotListening {
                binary: command.binary.clone(),
                secs: wait.as_secs(),
                log: command.log.clone(),
            });
        };
        // Nothing else is printed on stdout, but keep the pipe drained all the same.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child, base })
    }

    /// How the host reaches this process.
    pub fn transport(&self) -> HandlerTransport {
        HandlerTransport::http(self.base.clone())
    }

    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// `kill -9`: the process dies wherever it stands; returns once it is gone.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_flag_round_trips_and_bad_values_are_named() {
        let clock = SandboxClock::of(&Clock::scaled(3000.0)).unwrap();
        let parsed: SandboxClock = clock.to_string().parse().unwrap();
        assert_eq!(parsed, clock);
        let e = "fast@now".parse::<SandboxClock>().unwrap_err();
        assert!(e.to_string().contains("factor"), "{e}");
        let e = "10@yesterday".parse::<SandboxClock>().unwrap_err();
        assert!(e.to_string().contains("RFC 3339"), "{e}");
        assert!(SandboxClock::of(&Clock::system()).is_none());
    }
}
