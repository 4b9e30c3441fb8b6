//! `haymaker cleanup` and `haymaker discover` as a user runs them: help that teaches, and bad input
//! refused with exit 2 naming the input and the fix, before anything reaches Azure.

use std::process::Command;

fn haymaker(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_haymaker"));
    cmd.args(args).env_remove("HAYMAKER_TARGET_SUBSCRIPTIONS");
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

#[test]
fn help_explains_what_is_deleted_and_how_to_retry() {
    let (code, out, _) = haymaker(&["cleanup", "--help"], &[]);
    assert_eq!(code, 0);
    for needle in [
        "--dry-run",
        "--subscriptions",
        "haymaker-run-id=<run>",
        "haymaker-managed=true",
        "never deleted",
        "cleanup-checkpoint.json",
        "Exit status",
    ] {
        assert!(out.contains(needle), "help lacks {needle:?}:\n{out}");
    }
    let (code, out, _) = haymaker(&["discover", "--help"], &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("haymaker-managed=true") && out.contains("--run"),
        "{out}"
    );
    let (_, top, _) = haymaker(&["--help"], &[]);
    assert!(top.contains("cleanup") && top.contains("discover"), "{top}");
}

#[test]
fn bad_input_is_refused_with_the_fix() {
    let run = "3f0c8a52-1b4e-4a55-9d40-6a1f2b7c9e01";
    let (code, _, err) = haymaker(&["cleanup", "--run", "yesterday"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--run") && err.contains("yesterday"), "{err}");

    let (code, _, err) = haymaker(
        &[
            "cleanup",
            "--run",
            run,
            "--subscriptions",
            "1111,not-a-guid",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--subscriptions") && err.contains("`1111`") && err.contains("GUID"),
        "{err}"
    );

    for cmd in [&["cleanup", "--run", run][..], &["discover"][..]] {
        let (code, _, err) = haymaker(cmd, &[]);
        assert_eq!(code, 2, "{cmd:?}: {err}");
        assert!(
            err.contains("HAYMAKER_TARGET_SUBSCRIPTIONS") && err.contains("--subscriptions"),
            "{err}"
        );
    }
}
