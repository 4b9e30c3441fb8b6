//! The Function App's files (functions/, host.json, local.settings.example.json, README) agree with the
//! code, and `haymaker package` builds a deployable zip.

use crate::common;

use std::io::Read;

use common::project_root;
use haymaker::config::{spec, SETTINGS};
use haymaker::handler::functions::{FunctionName, TriggerKind};
use serde_json::Value;

fn read_json(rel: &str) -> Value {
    let path = project_root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// An app-setting reference in a binding: `%NAME%` or a connection name; it must be in the catalogue.
fn assert_setting(reference: &str) {
    let name = reference.trim_matches('%');
    assert!(
        spec(name).is_some(),
        "binding refers to `{name}`, which the settings catalogue lacks"
    );
}

#[test]
fn every_function_has_its_folder_and_nothing_else_does() {
    let mut folders: Vec<String> = std::fs::read_dir(project_root().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut names: Vec<String> = FunctionName::ALL
        .iter()
        .map(|f| f.as_str().to_string())
        .collect();
    names.sort();
    assert_eq!(folders, names);
    let shipped: Vec<String> = haymaker::package::function_definitions()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(shipped, names, "the embedded copy matches the folders");
}

#[test]
fn bindings_match_the_dispatch_table() {
    for f in FunctionName::ALL {
        let doc = read_json(&format!("functions/{f}/function.json"));
        let bindings = doc["bindings"].as_array().unwrap();
        let trigger = bindings.iter().find(|b| b["direction"] == "in").unwrap();
        assert_eq!(trigger["name"], f.trigger_binding(), "{f}");
        let expected_type = match f.trigger() {
            TriggerKind::Timer => "timerTrigger",
            TriggerKind::Queue => "queueTrigger",
            TriggerKind::ServiceBus => "serviceBusTrigger",
            TriggerKind::Http => "httpTrigger",
        };
        assert_eq!(trigger["type"], expected_type, "{f}");
        for b in bindings {
            if let Some(c) = b.get("connection").and_then(Value::as_str) {
                assert_setting(c);
            }
            for key in ["topicName", "subscriptionName", "queueName"] {
                if let Some(v) = b.get(key).and_then(Value::as_str) {
                    if v.starts_with('%') {
                        assert_setting(v);
                    }
                }
            }
        }
    }
    let scheduled = read_json("functions/ScheduledRun/function.json");
    assert_eq!(scheduled["bindings"][0]["schedule"], "0 0 0,6,12,18 * * *");
    let tick = read_json("functions/Tick/function.json");
    assert_eq!(tick["bindings"][0]["schedule"], "0 * * * * *");
    let work = read_json("functions/Work/function.json");
    assert_eq!(work["bindings"][0]["queueName"], "haymaker-work");
    assert_eq!(work["bindings"][1]["type"], "queue");
    assert_eq!(work["bindings"][1]["direction"], "out");
    assert_eq!(work["bindings"][1]["queueName"], "haymaker-work");
    let events = read_json("functions/AgentEvents/function.json");
    let topic = spec(
        events["bindings"][0]["topicName"]
            .as_str()
            .unwrap()
            .trim_matches('%'),
    )
    .unwrap();
    assert_eq!(topic.default, Some("agent-logs"));
    let sub = spec(
        events["bindings"][0]["subscriptionName"]
            .as_str()
            .unwrap()
            .trim_matches('%'),
    )
    .unwrap();
    assert_eq!(sub.default, Some("orchestrator"));
    let api = read_json("functions/Api/function.json");
    assert_eq!(api["bindings"][0]["route"], "v1/{*path}");
    assert_eq!(api["bindings"][0]["authLevel"], "function");
    assert!(api["bindings"][0].get("methods").is_none(), "all methods");
    let health = read_json("functions/Health/function.json");
    assert_eq!(health["bindings"][0]["authLevel"], "anonymous");
}

#[test]
fn host_json_runs_the_packaged_binary_with_forwarding() {
    let host = read_json("host.json");
    assert_eq!(host["version"], "2.0");
    assert_eq!(
        host["customHandler"]["description"]["defaultExecutablePath"],
        haymaker::package::EXECUTABLE
    );
    assert_eq!(
        host["customHandler"]["description"]["arguments"][0],
        "serve"
    );
    assert_eq!(host["customHandler"]["enableForwardingHttpRequest"], true);
    assert_eq!(host["extensionBundle"]["version"], "[4.*, 5.0.0)");
    assert!(host["functionTimeout"].as_str().is_some());
    assert!(host["logging"]["logLevel"]["default"].as_str().is_some());
    assert_eq!(
        host,
        serde_json::from_str::<Value>(haymaker::package::HOST_JSON).unwrap()
    );
}

#[test]
fn local_settings_example_is_generated_from_the_catalogue() {
    let on_disk =
        std::fs::read_to_string(project_root().join("local.settings.example.json")).unwrap();
    assert_eq!(
        on_disk,
        haymaker::cli::settings::local_settings_example(),
        "regenerate with `cargo run -- settings --example-json > local.settings.example.json`"
    );
    let doc: Value = serde_json::from_str(&on_disk).unwrap();
    assert_eq!(doc["Values"]["FUNCTIONS_WORKER_RUNTIME"], "Custom");
}

#[test]
fn readme_documents_every_setting() {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    assert!(
        readme.contains(&haymaker::cli::settings::markdown_table()),
        "README.md must hold the table `cargo run -- settings` prints"
    );
    for s in SETTINGS {
        assert!(
            readme.contains(&format!("`{}`", s.name)),
            "README lacks {}",
            s.name
        );
    }
}

#[test]
fn package_holds_host_json_function_folders_and_an_executable_binary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nested/haymaker.zip");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_haymaker"))
        .args(["package", "--out"])
        .arg(&out)
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_haymaker"))
        .status()
        .unwrap();
    assert!(status.success());
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut names: Vec<String> = zip.file_names().map(str::to_string).collect();
    names.sort();
    let mut expected = vec!["haymaker".to_string(), "host.json".to_string()];
    expected.extend(
        FunctionName::ALL
            .iter()
            .map(|f| format!("{f}/function.json")),
    );
    expected.sort();
    assert_eq!(names, expected);
    let mut bin = zip.by_name("haymaker").unwrap();
    assert_eq!(bin.unix_mode().unwrap() & 0o777, 0o755);
    let mut head = [0u8; 4];
    bin.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"\x7fELF");
    drop(bin);
    let mut host = String::new();
    zip.by_name("host.json")
        .unwrap()
        .read_to_string(&mut host)
        .unwrap();
    assert_eq!(host, haymaker::package::HOST_JSON);
}

#[test]
fn package_without_a_binary_says_how_to_get_one() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_haymaker"))
        .args([
            "package",
            "--binary",
            "/nonexistent/haymaker",
            "--out",
            "/tmp/never.zip",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cargo build --release"), "{err}");
}
