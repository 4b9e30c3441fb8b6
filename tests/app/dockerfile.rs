//! The agent image's build stage can build this crate: its Rust image is the crate's declared
//! `rust-version`, no locked dependency needs a newer compiler, and every file the build reads
//! (the manifest, `build.rs`, the embedded folders) is copied into the stage.

use std::process::Command;

use crate::common::project_root;

/// `1.90` → (1, 90, 0).
fn version(text: &str) -> (u32, u32, u32) {
    let mut parts = text.trim().split('.').map(|p| {
        p.parse::<u32>()
            .unwrap_or_else(|_| panic!("`{text}` is no version"))
    });
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

fn dockerfile() -> String {
    std::fs::read_to_string(project_root().join("Dockerfile")).expect("Dockerfile")
}

/// The `X.Y` of `FROM rust:X.Y-…`.
fn build_image_rust() -> String {
    let text = dockerfile();
    let line = text
        .lines()
        .find(|l| l.starts_with("FROM rust:"))
        .expect("a `FROM rust:` build stage");
    let tag = line["FROM rust:".len()..]
        .split_whitespace()
        .next()
        .unwrap();
    tag.split('-').next().unwrap().to_string()
}

#[test]
fn the_build_image_is_the_declared_rust_version_and_every_dependency_builds_on_it() {
    let manifest = std::fs::read_to_string(project_root().join("Cargo.toml")).unwrap();
    let declared = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .expect("Cargo.toml declares rust-version")
        .trim_matches('"')
        .to_string();
    let image = build_image_rust();
    assert_eq!(
        version(&image),
        version(&declared),
        "the Dockerfile builds with rust:{image} but Cargo.toml declares rust-version {declared}"
    );
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--locked", "--offline", "--format-version", "1"])
        .current_dir(project_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    assert!(packages.len() > 100, "the locked graph: {}", packages.len());
    let too_new: Vec<String> = packages
        .iter()
        .filter_map(|p| {
            let needs = p["rust_version"].as_str()?;
            (version(needs) > version(&declared))
                .then(|| format!("{} {} needs {needs}", p["name"], p["version"]))
        })
        .collect();
    assert!(
        too_new.is_empty(),
        "locked packages need a newer Rust than rust-version {declared} (raise it and the \
         Dockerfile's image together): {too_new:?}"
    );
}

#[test]
fn the_build_stage_copies_what_the_build_reads() {
    let text = dockerfile();
    let copied: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from="))
        .flat_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().skip(1).collect();
            parts[..parts.len() - 1].to_vec()
        })
        .collect();
    // What cargo and build.rs read: the manifest and lock, build.rs, the folders the binary embeds
    // (include_dir!/include_str! of functions/, scenarios/, host.json) and the declared benches.
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "host.json",
        "src",
        "functions",
        "scenarios",
        "benches",
    ] {
        assert!(
            copied.contains(&needed),
            "the Dockerfile's build stage does not copy `{needed}`: {copied:?}"
        );
    }
    let build = std::fs::read_to_string(project_root().join("build.rs")).unwrap();
    for watched in build
        .lines()
        .filter_map(|l| l.split("rerun-if-changed=").nth(1))
        .map(|rest| rest.trim_end_matches(['"', ')', ';']).trim_end_matches('"'))
    {
        let top = watched.split('/').next().unwrap();
        assert!(
            copied.contains(&top),
            "build.rs watches `{watched}`, which the Dockerfile does not copy: {copied:?}"
        );
    }
}
