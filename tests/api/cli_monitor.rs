//! `haymaker status`, `runs list|show` and `resources RUN` over seeded state: the same answers as
//! the API, as tables or `--json`.

use crate::api_support;

use std::process::{Command, Output};

fn haymaker(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_haymaker"))
        .args(args)
        .env("HAYMAKER_STATE", format!("file://{}", dir.display()))
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .output()
        .expect("haymaker runs")
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn monitoring_commands_show_the_seeded_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = haymaker::store::StateStore::open(&haymaker::store::StoreLocation::Local(
        dir.path().to_path_buf(),
    ))
    .unwrap();
    let seeded = api_support::seed(&store).await;
    let (a, f) = (seeded.active.to_string(), seeded.finished.to_string());

    let status = stdout(&haymaker(dir.path(), &["status"]));
    assert!(
        status.contains(&a) && status.contains("monitoring"),
        "{status}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&haymaker(dir.path(), &["status", "--json"]))).unwrap();
    assert_eq!(json["current_run_id"], a.as_str());

    let list = stdout(&haymaker(dir.path(), &["runs", "list"]));
    let lines: Vec<&str> = list.lines().collect();
    assert!(lines[0].starts_with("RUN"), "{list}");
    assert!(
        lines[1].starts_with(&a) && lines[1].contains("in_progress"),
        "{list}"
    );
    assert!(
        lines[2].starts_with(&f) && lines[2].contains("verified"),
        "{list}"
    );
    let done: serde_json::Value = serde_json::from_str(&stdout(&haymaker(
        dir.path(),
        &["runs", "list", "--status", "completed", "--json"],
    )))
    .unwrap();
    assert_eq!(done["runs"].as_array().unwrap().len(), 1);
    assert_eq!(done["runs"][0]["run_id"], f.as_str());

    let show = stdout(&haymaker(dir.path(), &["runs", "show", &a]));
    for s in [
        "ai-ml-01-vision",
        "networking-02-vnet",
        "security-03-vault",
        "PROVISION_RETRY",
    ] {
        assert!(show.contains(s), "{show}");
    }

    let page: serde_json::Value = serde_json::from_str(&stdout(&haymaker(
        dir.path(),
        &[
            "resources",
            &a,
            "--scenario",
            "networking-02-vnet",
            "--json",
        ],
    )))
    .unwrap();
    assert_eq!(page["pagination"]["total_items"], 5);
    let table = stdout(&haymaker(
        dir.path(),
        &["resources", &a, "--status", "deleted"],
    ));
    assert!(
        table.contains("res000000") && table.contains("(1 resources)"),
        "{table}"
    );

    let bad = haymaker(dir.path(), &["resources", "not-a-run"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("INVALID_RUN_ID"));
    let unknown = haymaker(
        dir.path(),
        &["runs", "show", &uuid::Uuid::new_v4().to_string()],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("RUN_NOT_FOUND"));
    let size = haymaker(dir.path(), &["resources", &a, "--page-size", "501"]);
    assert_eq!(size.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&size.stderr).contains("page_size"));
}
