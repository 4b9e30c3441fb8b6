//! `haymaker scenarios …` as a user runs it.

use std::process::Command;

fn haymaker(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_haymaker"));
    cmd.args(args).env_remove("HAYMAKER_SCENARIOS_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn library_doc(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn first_scenario_file() -> String {
    let mut names: Vec<String> =
        std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("compute-"))
            .collect();
    names.sort();
    names.remove(0)
}

#[test]
fn validate_the_embedded_library_passes() {
    let (code, out, _) = haymaker(&["scenarios", "validate"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("embedded:"), "{out}");
    assert!(out.contains("0 problem(s)"), "{out}");
}

#[test]
fn validate_lists_every_problem_with_file_and_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let good = first_scenario_file();
    let text = library_doc(&good);
    std::fs::write(dir.path().join(&good), &text).unwrap();
    // Two broken copies: one loses a section, one a tag.
    let broken_a = text.replace("## Notes", "## Remarks");
    std::fs::write(
        dir.path().join("compute-90-broken-a.md"),
        broken_a.replace(&good.replace(".md", ""), "compute-90-broken-a"),
    )
    .unwrap();
    let broken_b = text.replace("haymaker-managed=true", "owner=me");
    std::fs::write(
        dir.path().join("compute-91-broken-b.md"),
        broken_b.replace(&good.replace(".md", ""), "compute-91-broken-b"),
    )
    .unwrap();
    let (code, out, _) = haymaker(
        &["scenarios", "validate", dir.path().to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("compute-90-broken-a.md:")
            && l.contains("unknown section `## Remarks`")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("compute-90-broken-a.md:")
            && l.contains("missing section `## Notes`")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("compute-91-broken-b.md:")
            && l.contains("missing haymaker-managed=true")),
        "{out}"
    );
    assert!(out.contains("1 valid scenario(s)"), "{out}");
}

#[test]
fn list_show_and_select_over_the_library() {
    let (code, out, _) = haymaker(&["scenarios", "list", "--area", "networking"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .skip(1)
            .filter(|l| l.starts_with("networking-"))
            .count()
            >= 4,
        "{out}"
    );
    assert!(!out.contains("compute-"), "{out}");

    let (code, out, _) = haymaker(&["scenarios", "list", "--json"], &[]);
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(list.as_array().unwrap().len() >= 50);

    let name = first_scenario_file().replace(".md", "");
    let (code, out, _) = haymaker(&["scenarios", "show", &name], &[]);
    assert_eq!(code, 0);
    assert_eq!(out, library_doc(&format!("{name}.md")));
    let (code, _, err) = haymaker(&["scenarios", "show", "no-such-thing"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no scenario `no-such-thing`"), "{err}");

    let (code, a, _) = haymaker(
        &[
            "scenarios",
            "select",
            "--size",
            "medium",
            "--seed",
            "42",
            "--json",
        ],
        &[],
    );
    assert_eq!(code, 0);
    let (_, b, _) = haymaker(
        &[
            "scenarios",
            "select",
            "--size",
            "medium",
            "--seed",
            "42",
            "--json",
        ],
        &[],
    );
    assert_eq!(a, b, "same seed, same selection");
    let picked: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(picked["scenarios"].as_array().unwrap().len(), 15);

    let (code, _, err) = haymaker(&["scenarios", "select", "--size", "500"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("requested 500 scenarios but only"), "{err}");
}

#[test]
fn the_scenarios_dir_setting_replaces_the_embedded_library() {
    let dir = tempfile::tempdir().unwrap();
    let good = first_scenario_file();
    std::fs::write(dir.path().join(&good), library_doc(&good)).unwrap();
    let (code, out, _) = haymaker(
        &["scenarios", "list"],
        &[("HAYMAKER_SCENARIOS_DIR", dir.path().to_str().unwrap())],
    );
    assert_eq!(code, 0);
    assert!(out.contains("1 scenario(s) from"), "{out}");
    let (code, _, err) = haymaker(
        &["scenarios", "select", "--size", "small"],
        &[("HAYMAKER_SCENARIOS_DIR", dir.path().to_str().unwrap())],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("requested 5 scenarios but only 1 are available"),
        "{err}"
    );
}
