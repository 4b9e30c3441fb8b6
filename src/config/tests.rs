use super::*;
use std::collections::HashMap;

fn load(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(&move |name| map.get(name).cloned())
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let s = load(&[]).expect("empty environment is valid");
    assert_eq!(s.port, 7071);
    assert_eq!(s.simulation_size, Size::Small);
    assert_eq!(s.run_duration_hours, 8.0);
    assert_eq!(
        s.azure.arm_endpoint.as_str(),
        "https://management.azure.com/"
    );
    assert_eq!(s.service_bus.topic, "agent-logs");
    assert_eq!(s.service_bus.subscription, "orchestrator");
    assert_eq!(s.agent.memory_gib, 64.0);
    assert_eq!(s.log_format, LogFormat::Auto);
    assert!(s.azure.agent_secret_names.is_empty());
}

#[test]
fn every_bad_value_is_reported_at_once() {
    let err = load(&[
        (FUNCTIONS_CUSTOMHANDLER_PORT, "seventy"),
        (SIMULATION_SIZE, "huge"),
        (HAYMAKER_RUN_DURATION_HOURS, "0"),
        (
            HAYMAKER_TARGET_SUBSCRIPTIONS,
            "11111111-2222-3333-4444-555555555555, nope",
        ),
        (HAYMAKER_ARM_ENDPOINT, "ftp://arm"),
        (HAYMAKER_LOG_FORMAT, "xml"),
    ])
    .expect_err("bad values must fail");
    let names: Vec<_> = err.problems.iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        vec![
            FUNCTIONS_CUSTOMHANDLER_PORT,
            SIMULATION_SIZE,
            HAYMAKER_RUN_DURATION_HOURS,
            HAYMAKER_TARGET_SUBSCRIPTIONS,
            HAYMAKER_ARM_ENDPOINT,
            HAYMAKER_LOG_FORMAT
        ]
    );
    let text = err.to_string();
    assert!(text.starts_with("6 setting problem(s)"), "{text}");
    assert!(text.contains("`nope` is not a subscription id"), "{text}");
    assert!(text.contains("`seventy` is not a port number"), "{text}");
}

#[test]
fn azure_completeness_lists_every_missing_setting() {
    let s = load(&[(AZURE_TENANT_ID, "t")]).unwrap();
    let err = s.check_complete_for_azure().unwrap_err();
    let names: Vec<_> = err.problems.iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        vec![
            AZURE_CLIENT_ID,
            HAYMAKER_TARGET_SUBSCRIPTIONS,
            KEY_VAULT_URL,
            CONTAINER_APPS_ENVIRONMENT_ID,
            HAYMAKER_AGENT_IMAGE,
            SERVICE_BUS_NAMESPACE
        ]
    );
}

#[test]
fn secrets_never_show_in_debug() {
    let s = load(&[
        (AZURE_CLIENT_SECRET, "client-secret-value-123"),
        (
            AZURE_WEBJOBS_STORAGE,
            "AccountName=a;AccountKey=c2VjcmV0a2V5",
        ),
        (HAYMAKER_API_KEY, "api-key-value-456"),
        (
            SERVICE_BUS_CONNECTION,
            "Endpoint=sb://x/;SharedAccessKey=sbkey789",
        ),
    ])
    .unwrap();
    let debug = format!("{s:?}");
    for needle in [
        "client-secret-value-123",
        "c2VjcmV0a2V5",
        "api-key-value-456",
        "sbkey789",
    ] {
        assert!(!debug.contains(needle), "{needle} leaked into Debug");
    }
}

#[test]
fn every_secret_setting_is_held_as_secret() {
    // The catalogue's `secret` flag and the struct's field types must agree.
    let secret_names: Vec<_> = SETTINGS
        .iter()
        .filter(|s| s.secret)
        .map(|s| s.name)
        .collect();
    assert_eq!(
        secret_names,
        vec![
            AZURE_WEBJOBS_STORAGE,
            HAYMAKER_STATE,
            AZURE_CLIENT_SECRET,
            SERVICE_BUS_CONNECTION,
            HAYMAKER_API_KEY
        ]
    );
}
