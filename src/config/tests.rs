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
    assert_eq!(s.agent.mode, AgentMode::Deterministic);
    assert_eq!(s.agent.model, None);
    assert_eq!(s.agent.model_url, None);
}

#[test]
fn an_unknown_agent_mode_names_the_setting_the_value_and_the_modes() {
    let err = load(&[(HAYMAKER_AGENT_MODE, "creative")]).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(err.problems[0].name, HAYMAKER_AGENT_MODE);
    let text = err.to_string();
    assert!(text.contains("HAYMAKER_AGENT_MODE"), "{text}");
    assert!(text.contains("`creative`"), "{text}");
    assert!(text.contains("deterministic or assisted"), "{text}");
}

#[test]
fn assisted_mode_loads_when_the_model_key_secret_is_listed() {
    let s = load(&[
        (HAYMAKER_AGENT_MODE, " Assisted "),
        (HAYMAKER_AGENT_SECRET_NAMES, "other, Anthropic-API-Key"),
        (HAYMAKER_AGENT_MODEL, "claude-test"),
        (HAYMAKER_AGENT_MODEL_URL, "http://127.0.0.1:9"),
    ])
    .expect("assisted with its key is valid");
    assert_eq!(s.agent.mode, AgentMode::Assisted);
    assert_eq!(s.agent.model.as_deref(), Some("claude-test"));
    assert_eq!(
        s.agent.model_url.as_ref().map(url::Url::as_str),
        Some("http://127.0.0.1:9/")
    );
}

#[test]
fn assisted_mode_without_the_model_key_is_reported_with_every_other_problem() {
    let err = load(&[
        (SIMULATION_SIZE, "huge"),
        (HAYMAKER_AGENT_MODE, "assisted"),
        (HAYMAKER_AGENT_SECRET_NAMES, "openai-key"),
        (HAYMAKER_AGENT_MODEL_URL, "ftp://models"),
    ])
    .unwrap_err();
    let names: Vec<_> = err.problems.iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        vec![
            SIMULATION_SIZE,
            HAYMAKER_AGENT_MODEL_URL,
            HAYMAKER_AGENT_MODE
        ]
    );
    let text = err.to_string();
    assert!(text.starts_with("3 setting problem(s)"), "{text}");
    let problem = &err.problems[2].problem;
    for needle in [
        HAYMAKER_AGENT_SECRET_NAMES,
        HAYMAKER_AGENT_MODE,
        "`anthropic-api-key`",
        "deterministic",
    ] {
        assert!(problem.contains(needle), "{needle} missing from: {problem}");
    }
    // Deterministic mode needs no key.
    load(&[(HAYMAKER_AGENT_MODE, "deterministic")]).expect("no key needed");
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
