//! Deterministic names and tags of everything a run creates. The same (run, scenario) always gives
//! the same names, so a retried or duplicated provisioning step finds what an earlier attempt made
//! instead of making a second one; and cleanup can find orphans of a lost state by name prefix.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Tag every created resource carries: `true`.
pub const TAG_MANAGED: &str = "haymaker-managed";
/// Tag naming the run.
pub const TAG_RUN_ID: &str = "haymaker-run-id";
/// Tag naming the scenario.
pub const TAG_SCENARIO: &str = "haymaker-scenario";

/// The three tags of a run's resource.
pub fn tags(run_id: Uuid, scenario: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_MANAGED.to_string(), "true".to_string()),
        (TAG_RUN_ID.to_string(), run_id.to_string()),
        (TAG_SCENARIO.to_string(), scenario.to_string()),
    ])
}

/// The first eight hex digits of the run id.
pub fn short_run(run_id: Uuid) -> String {
    run_id.simple().to_string()[..8].to_string()
}

/// `$HAYMAKER_SUFFIX`: six lower-case letters and digits, unique to this run and scenario.
pub fn suffix(run_id: Uuid, scenario: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let digest = Sha256::digest(format!("{run_id}/{scenario}").as_bytes());
    digest[..6]
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Prefix of every application / service principal display name of the run.
pub fn principal_prefix(run_id: Uuid) -> String {
    format!("haymaker-{run_id}-")
}

/// Display name of the scenario's application and service principal (Graph allows 120 characters).
pub fn principal_name(run_id: Uuid, scenario: &str) -> String {
    truncate(format!("{}{scenario}", principal_prefix(run_id)), 120)
}

/// The scenario's resource group (ARM allows 90 characters).
pub fn resource_group(run_id: Uuid, scenario: &str) -> String {
    truncate(format!("haymaker-{}-{scenario}", short_run(run_id)), 90)
}

/// Key Vault secret holding the scenario principal's password (127 characters, letters, digits, `-`).
pub fn secret_name(run_id: Uuid, scenario: &str) -> String {
    let clean: String = scenario
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    truncate(format!("haymaker-{}-{clean}", run_id.simple()), 127)
}

/// The scenario's Container App (32 characters, lower case, starts with a letter).
pub fn container_app(run_id: Uuid, scenario: &str) -> String {
    format!("hm-{}-{}", short_run(run_id), suffix(run_id, scenario))
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        s.truncate(max);
        while s.ends_with('-') {
            s.pop();
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_distinct_and_within_azure_limits() {
        let run: Uuid = "6f1c2a9e-0b7d-4c55-9a3e-2f4b8d1e7c10".parse().unwrap();
        let other: Uuid = "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b".parse().unwrap();
        let scenario = "hybrid-multicloud-02-arc-private-link-scope";
        assert_eq!(suffix(run, scenario), suffix(run, scenario));
        assert_ne!(suffix(run, scenario), suffix(other, scenario));
        assert_ne!(suffix(run, scenario), suffix(run, "compute-01-linux-vm"));
        assert_eq!(suffix(run, scenario).len(), 6);
        assert!(suffix(run, scenario)
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));

        let app = container_app(run, scenario);
        assert!(app.len() <= 32 && app.starts_with("hm-6f1c2a9e-"), "{app}");
        assert!(resource_group(run, &"x".repeat(200)).len() <= 90);
        assert!(!resource_group(run, &"x-".repeat(100)).ends_with('-'));
        let secret = secret_name(run, "a.b_c");
        assert!(secret.starts_with("haymaker-6f1c2a9e0b7d") && secret.ends_with("-a-b-c"));
        assert!(principal_name(run, scenario).starts_with(&principal_prefix(run)));
        assert_eq!(tags(run, scenario)[TAG_RUN_ID], run.to_string());
    }
}
