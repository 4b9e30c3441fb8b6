//! The fake `az` the agent runs (a Python script written into a temp dir and put first on PATH) and
//! the helpers that start the real `haymaker agent` against it and the AMQP broker.
//!
//! The fake appends `START <argv as JSON>` and `END <argv as JSON>` lines to `calls.log`, answers
//! `create` commands with realistic JSON (ids under the scenario's group; some commands wrapped the
//! way `az` wraps them, e.g. `{"NewNSG": {...}}`), fails a command group N times when asked
//! (`FAKE_AZ_FAIL="vm create=2"`, counters kept on disk), fails one always (`FAKE_AZ_ALWAYS_FAIL`),
//! and sleeps in one (`FAKE_AZ_SLOW="vm get-instance-view=3"`).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::amqp_broker::Broker;

pub const SUB: &str = "11111111-1111-1111-1111-111111111111";
pub const RG: &str = "haymaker-0d9e2f4a-compute-01";
pub const SECRET: &str = "sp-secret-Zq8~never-to-be-seen";
pub const PASSWORD: &str = "Pw!agent-password-never-seen-42";
pub const SCENARIO: &str = "compute-01-linux-vm-nginx";
pub const TOPIC: &str = "agent-logs";

const FAKE_AZ: &str = r#"
import json, os, sys, time

state = os.environ["FAKE_AZ_STATE"]
argv = sys.argv[1:]
with open(os.path.join(state, "calls.log"), "a") as f:
    f.write("START " + json.dumps(argv) + "\n")

words = []
for a in argv:
    if a.startswith("-"):
        break
    words.append(a)
path = " ".join(words)

def rule(var):
    out = {}
    for part in filter(None, os.environ.get(var, "").split(",")):
        k, v = part.rsplit("=", 1)
        out[k.strip()] = float(v)
    return out

def done(code):
    with open(os.path.join(state, "calls.log"), "a") as f:
        f.write("END " + json.dumps(argv) + "\n")
    sys.exit(code)

slow = rule("FAKE_AZ_SLOW")
if path in slow:
    time.sleep(slow[path])

if path in [p.strip() for p in os.environ.get("FAKE_AZ_ALWAYS_FAIL", "").split(",") if p.strip()]:
    sys.stderr.write("ERROR: (OperationNotAllowed) The operation is not allowed right now.\n")
    done(1)

fail = rule("FAKE_AZ_FAIL")
if path in fail:
    counter = os.path.join(state, "fail-" + path.replace(" ", "_"))
    n = int(open(counter).read()) if os.path.exists(counter) else 0
    if n < fail[path]:
        open(counter, "w").write(str(n + 1))
        sys.stderr.write("ERROR: (ServerBusy) The server is busy; retry later. Code: ServerBusy\n")
        done(1)

def opt(*names):
    for i, a in enumerate(argv):
        if a in names and i + 1 < len(argv):
            return argv[i + 1]
    return None

TYPES = {
    "network nsg": ("Microsoft.Network/networkSecurityGroups", "NewNSG"),
    "network vnet": ("Microsoft.Network/virtualNetworks", "newVNet"),
    "network public-ip": ("Microsoft.Network/publicIPAddresses", "publicIp"),
    "network nic": ("Microsoft.Network/networkInterfaces", "NewNIC"),
    "vm": ("Microsoft.Compute/virtualMachines", None),
}
CHILDREN = {
    "network nsg rule": ("Microsoft.Network/networkSecurityGroups", "--nsg-name", "securityRules"),
    "network vnet subnet": ("Microsoft.Network/virtualNetworks", "--vnet-name", "subnets"),
}

if words and words[-1] == "create":
    group = " ".join(words[:-1])
    rg = opt("--resource-group", "-g")
    name = opt("--name", "-n")
    base = "/subscriptions/%s/resourceGroups/%s/providers/" % (os.environ["FAKE_AZ_SUB"], rg)
    if group in CHILDREN:
        ty, parent_flag, child = CHILDREN[group]
        rid = base + "%s/%s/%s/%s" % (ty, opt(parent_flag), child, name)
        wrap = None
    else:
        ty, wrap = TYPES.get(group, ("Microsoft.Fake/" + group.replace(" ", ""), None))
        rid = base + ty + "/" + name
    body = {"id": rid, "name": name, "provisioningState": "Succeeded", "resourceGroup": rg}
    if wrap:
        body = {wrap: body}
    print(json.dumps(body, indent=2))
elif path == "login":
    print(json.dumps([{"cloudName": "AzureCloud", "id": os.environ["FAKE_AZ_SUB"], "user": {"type": "servicePrincipal"}}]))
elif words and words[-1] == "delete":
    pass
else:
    print(json.dumps({"status": "ok", "command": path}))
done(0)
"#;

/// The fake's directory: `bin/az` and `calls.log`.
pub struct FakeAz {
    pub dir: tempfile::TempDir,
}

impl FakeAz {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        let az = dir.path().join("bin/az");
        // The interpreter itself, not a version manager's shim: each call starts faster.
        let python = std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 is installed");
        let python = String::from_utf8_lossy(&python.stdout).trim().to_string();
        std::fs::write(&az, format!("#!{python}{FAKE_AZ}")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Self { dir }
    }

    pub fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// The recorded calls: (`START` or `END`, argv).
    pub fn calls(&self) -> Vec<(String, Vec<String>)> {
        let text = std::fs::read_to_string(self.dir.path().join("calls.log")).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let (kind, json) = l.split_once(' ')?;
                Some((kind.to_string(), serde_json::from_str(json).ok()?))
            })
            .collect()
    }

    /// The argv of every started call, in order.
    pub fn started(&self) -> Vec<Vec<String>> {
        self.calls()
            .into_iter()
            .filter(|(k, _)| k == "START")
            .map(|(_, a)| a)
            .collect()
    }
}

/// The command group and verb of an argv (`["vm", "create", "--name", …]` → `vm create`).
pub fn path_of(argv: &[String]) -> String {
    argv.iter()
        .take_while(|a| !a.starts_with('-'))
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The shipped scenario's document.
pub fn document() -> String {
    haymaker::scenarios::Library::embedded()
        .get(SCENARIO)
        .expect("shipped scenario")
        .document
        .clone()
}

/// The agent process with the orchestrator's environment, the fake `az` first on PATH.
pub fn agent_command(
    fake: &FakeAz,
    broker: &Broker,
    end_in: Duration,
    extra: &[(&str, &str)],
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_haymaker"));
    let end = chrono::Utc::now() + chrono::Duration::from_std(end_in).unwrap();
    let path = format!(
        "{}:{}",
        fake.bin().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.arg("agent")
        .env_clear()
        .env("PATH", path)
        .env("HOME", fake.dir.path())
        .env("RUST_LOG", "info")
        .env("FAKE_AZ_STATE", fake.dir.path())
        .env("FAKE_AZ_SUB", SUB)
        .env("HAYMAKER_RUN_ID", "0d9e2f4a-1111-4222-8333-444455556666")
        .env("HAYMAKER_SCENARIO", SCENARIO)
        .env("HAYMAKER_SCENARIO_DOCUMENT", document())
        .env("HAYMAKER_SUBSCRIPTION_ID", SUB)
        .env("HAYMAKER_RESOURCE_GROUP", RG)
        .env("HAYMAKER_LOCATION", "westeurope")
        .env("HAYMAKER_SUFFIX", "abc123")
        .env("HAYMAKER_RUN_END", end.to_rfc3339())
        .env("HAYMAKER_PASSWORD", PASSWORD)
        .env("HAYMAKER_EVENTS_TOPIC", TOPIC)
        .env("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47")
        .env("AZURE_CLIENT_ID", "app-123")
        .env("AZURE_CLIENT_SECRET", SECRET)
        .env("ServiceBusConnection", broker.connection_string())
        .env("HAYMAKER_AGENT_TIME_SCALE", "0.0005")
        .env("HAYMAKER_AGENT_SEED", "7")
        .env("HAYMAKER_AGENT_STEP_TIMEOUT_SECS", "30")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

/// Waits for the process (bounded), returning its exit code and its output (stdout + stderr).
pub async fn finish(child: tokio::process::Child) -> (Option<i32>, String) {
    finish_within(child, Duration::from_secs(120)).await
}

/// [`finish`] with its own bound.
pub async fn finish_within(child: tokio::process::Child, limit: Duration) -> (Option<i32>, String) {
    let out = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .expect("the agent exits in time")
        .expect("wait");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// Every event the broker holds for the orchestrator's subscription: (message id, body).
pub fn events(broker: &Broker) -> Vec<(String, Value)> {
    broker.with_queue("orchestrator", |q| {
        q.ready
            .iter()
            .map(|m| {
                (
                    m.message_id().unwrap_or_default(),
                    serde_json::from_slice(&m.body_bytes()).expect("JSON body"),
                )
            })
            .collect()
    })
}

/// Waits until the broker holds a `cleanup_complete` (publishing is asynchronous to the broker).
pub async fn wait_for_cleanup_complete(broker: &Broker) {
    broker
        .wait_until(
            "orchestrator",
            "cleanup_complete",
            Duration::from_secs(30),
            |q| {
                q.ready.iter().any(|m| {
                    serde_json::from_slice::<Value>(&m.body_bytes())
                        .is_ok_and(|v| v["event_type"] == "cleanup_complete")
                })
            },
        )
        .await;
}

pub fn event_types(events: &[(String, Value)]) -> Vec<String> {
    events
        .iter()
        .map(|(_, e)| e["event_type"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The published events of one `event_type`.
pub fn of_type<'a>(events: &'a [(String, Value)], t: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|(_, e)| e["event_type"] == t)
        .map(|(_, e)| e)
        .collect()
}
