//! Running `az`: a child process given an argument vector (no shell), in its own process group (a
//! SIGTERM meant for the agent does not stop the step it is finishing), with a timeout, output
//! captured, and retries with exponential backoff. Every text that leaves here is redacted.

use std::process::Stdio;
use std::time::Duration;

use crate::config::Secret;

/// Removes secret values from any text before it is logged or published.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

pub const REDACTED: &str = "***";

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        Self {
            secrets: secrets
                .into_iter()
                .filter(|s| s.expose().len() >= 4)
                .collect(),
        }
    }

    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            out = out.replace(s.expose(), REDACTED);
        }
        out
    }

    /// The argument vector as one line, redacted.
    pub fn argv(&self, argv: &[String]) -> String {
        self.text(&argv.join(" "))
    }
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Success,
    Failed(Option<i32>),
    TimedOut,
    /// The program could not be started.
    NotStarted(String),
}

/// One command's result, after retries. Output is redacted.
#[derive(Debug, Clone)]
pub struct CommandResult {
    pub exit: Exit,
    pub attempts: u32,
    pub stdout: String,
    pub stderr: String,
}

impl CommandResult {
    pub fn ok(&self) -> bool {
        self.exit == Exit::Success
    }

    /// Why it failed, in a line or few (redacted stderr, else the exit).
    pub fn error_text(&self) -> String {
        let tail: String = {
            let t = self.stderr.trim();
            let start = t.len().saturating_sub(2000);
            let mut s = start;
            while !t.is_char_boundary(s) {
                s += 1;
            }
            t[s..].to_string()
        };
        let exit = match &self.exit {
            Exit::Success => "succeeded".to_string(),
            Exit::Failed(Some(c)) => format!("exit code {c}"),
            Exit::Failed(None) => "killed by a signal".to_string(),
            Exit::TimedOut => "timed out".to_string(),
            Exit::NotStarted(e) => format!("could not start: {e}"),
        };
        if tail.is_empty() {
            exit
        } else {
            format!("{exit}: {tail}")
        }
    }
}

/// Runs `az` commands.
#[derive(Debug, Clone)]
pub struct AzRunner {
    /// The executable standing for `argv[0]`.
    pub program: String,
    pub timeout: Duration,
    /// Extra attempts after the first.
    pub retries: u32,
    /// The first backoff; doubled per retry.
    pub backoff: Duration,
    pub redactor: Redactor,
}

impl AzRunner {
    /// One attempt.
    pub async fn once(&self, argv: &[String]) -> CommandResult {
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(argv.iter().skip(1))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("AZURE_CORE_NO_COLOR", "1")
            .env("AZURE_CORE_ONLY_SHOW_ERRORS", "1")
            .kill_on_drop(true);
        #[cfg(unix)]
        cmd.process_group(0);
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                return CommandResult {
                    exit: Exit::NotStarted(format!("{}: {e}", self.program)),
                    attempts: 1,
                    stdout: String::new(),
                    stderr: String::new(),
                }
            }
        };
        match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(out)) => CommandResult {
                exit: if out.status.success() {
                    Exit::Success
                } else {
                    Exit::Failed(out.status.code())
                },
                attempts: 1,
                stdout: self.redactor.text(&String::from_utf8_lossy(&out.stdout)),
                stderr: self.redactor.text(&String::from_utf8_lossy(&out.stderr)),
            },
            Ok(Err(e)) => CommandResult {
                exit: Exit::NotStarted(e.to_string()),
                attempts: 1,
                stdout: String::new(),
                stderr: String::new(),
            },
            // Dropping the future kills the child (kill_on_drop).
            Err(_) => CommandResult {
                exit: Exit::TimedOut,
                attempts: 1,
                stdout: String::new(),
                stderr: format!("no result within {}s", self.timeout.as_secs()),
            },
        }
    }

    /// Attempts until one succeeds or the retries are spent; `keep_trying` is asked before each
    /// retry (false when the agent is stopping).
    pub async fn run(&self, argv: &[String], keep_trying: &dyn Fn() -> bool) -> CommandResult {
        let mut attempts = 0;
        let mut delay = self.backoff;
        loop {
            let mut result = self.once(argv).await;
            attempts += 1;
            result.attempts = attempts;
            let retriable = !matches!(result.exit, Exit::Success | Exit::NotStarted(_));
            if !retriable || attempts > self.retries || !keep_trying() {
                return result;
            }
            tracing::info!(
                command = %self.redactor.argv(argv),
                attempt = attempts,
                error = %result.error_text(),
                "az command failed; retrying after {delay:?}"
            );
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
        }
    }
}
