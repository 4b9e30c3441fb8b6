//! Headless Chromium for the dashboard test: Debian's `chromium` under playwright-core (npm, in
//! target/tools), driven through `dashboard.mjs`'s line protocol (one JSON command per line, one
//! JSON answer per line).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::served::tool_or_skip;

/// The playwright-core tests/run.sh installs.
pub(crate) const PLAYWRIGHT_VERSION: &str = "1.65.1";

pub(crate) fn target_dir() -> PathBuf {
    crate::common::project_root().join("target")
}

/// Chromium under playwright-core, answering `dashboard.mjs`'s line protocol.
pub(crate) struct Browser {
    child: Child,
    stdin: ChildStdin,
    out: Lines<BufReader<ChildStdout>>,
}

impl Browser {
    /// The driver, or `None` after a loud SKIPPED line when a tool is missing and
    /// HAYMAKER_SKIP_BROWSER=1.
    pub(crate) fn start() -> Option<Self> {
        let chromium = tool_or_skip("chromium", "apt-get install chromium")?;
        let node = tool_or_skip("node", "apt-get install nodejs npm")?;
        let playwright = target_dir().join("tools/node_modules/playwright-core");
        if !playwright.join("package.json").is_file() {
            let install = format!(
                "npm install --prefix target/tools playwright-core@{PLAYWRIGHT_VERSION} (tests/run.sh does it)"
            );
            if std::env::var("HAYMAKER_SKIP_BROWSER").is_ok_and(|v| v.trim() == "1") {
                eprintln!("\n*** SKIPPED: playwright-core not found and HAYMAKER_SKIP_BROWSER=1 ({install}) ***\n");
                return None;
            }
            panic!("playwright-core is needed for this test: {install}, or set HAYMAKER_SKIP_BROWSER=1");
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/dashboard.mjs");
        let mut child = tokio::process::Command::new(node)
            .arg(script)
            .env("PLAYWRIGHT_CORE", &playwright)
            .env("CHROMIUM", &chromium)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let stdin = child.stdin.take().unwrap();
        let out = BufReader::new(child.stdout.take().unwrap()).lines();
        Some(Self { child, stdin, out })
    }

    pub(crate) async fn call(&mut self, cmd: Value) -> Result<Value, String> {
        let line = cmd.to_string() + "\n";
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        let answer = self
            .out
            .next_line()
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("the browser driver ended on {cmd}"));
        let answer: Value = serde_json::from_str(&answer).unwrap();
        match answer.get("error") {
            Some(e) => Err(e.as_str().unwrap_or_default().to_string()),
            None => Ok(answer["ok"].clone()),
        }
    }

    /// `cmd`'s answer; on failure, panics with what the page shows.
    pub(crate) async fn ok(&mut self, cmd: Value) -> Value {
        match self.call(cmd.clone()).await {
            Ok(v) => v,
            Err(e) => {
                let page = cmd["page"].as_str().unwrap_or("main");
                let shows = self.call(json!({"op": "snapshot", "page": page})).await;
                panic!("{cmd}: {e}\nthe page shows: {shows:#?}")
            }
        }
    }

    /// Waits (up to a minute) until the function body `js` is true on `page`.
    pub(crate) async fn wait(&mut self, page: &str, js: &str) {
        self.ok(json!({"op": "wait", "page": page, "js": js, "timeout_ms": 60_000}))
            .await;
    }

    pub(crate) async fn snapshot(&mut self, page: &str) -> Value {
        self.ok(json!({"op": "snapshot", "page": page})).await
    }

    pub(crate) async fn eval(&mut self, page: &str, js: &str) -> Value {
        self.ok(json!({"op": "eval", "page": page, "js": js})).await
    }

    pub(crate) async fn close(mut self) {
        self.ok(json!({"op": "close"})).await;
        let _ = self.child.wait().await;
    }
}
