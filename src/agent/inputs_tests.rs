use std::collections::HashMap;

use super::*;

fn full() -> HashMap<&'static str, String> {
    [
        (HAYMAKER_RUN_ID, "0d9e2f4a-1111-4222-8333-444455556666"),
        (HAYMAKER_SCENARIO, "compute-01-linux-vm-nginx"),
        (HAYMAKER_SCENARIO_DOCUMENT, "# doc"),
        (
            HAYMAKER_SUBSCRIPTION_ID,
            "11111111-1111-1111-1111-111111111111",
        ),
        (HAYMAKER_RESOURCE_GROUP, "haymaker-0d9e2f4a-compute-01"),
        (HAYMAKER_LOCATION, "westeurope"),
        (HAYMAKER_SUFFIX, "abc123"),
        (HAYMAKER_RUN_END, "2026-11-26T08:00:00+00:00"),
        (AZURE_TENANT_ID, "72f988bf-86f1-41af-91ab-2d7cd011db47"),
        (AZURE_CLIENT_ID, "app-123"),
        (AZURE_CLIENT_SECRET, "s3cr3t-value"),
        (SERVICE_BUS_NAMESPACE, "hm.servicebus.windows.net"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

fn load(vars: &HashMap<&'static str, String>) -> Result<AgentInputs, InputError> {
    AgentInputs::from_lookup(&|n| vars.get(n).cloned())
}

#[test]
fn the_orchestrators_environment_loads_with_defaults() {
    let i = load(&full()).expect("loads");
    assert_eq!(i.mode, Mode::Deterministic);
    assert!(i.model.is_none());
    assert_eq!(i.retries, 2);
    assert_eq!(i.time_scale, 1.0);
    assert_eq!(i.az, "az");
    assert_eq!(i.service_bus.topic, "agent-logs");
    assert_eq!(i.run_end.to_rfc3339(), "2026-11-26T08:00:00+00:00");
    assert_eq!(i.var("HAYMAKER_SUFFIX").as_deref(), Some("abc123"));
    // The generated password is long, mixed, and never the client secret.
    let pw = i.var("HAYMAKER_PASSWORD").unwrap();
    assert!(pw.len() >= 20 && pw.chars().any(|c| c.is_ascii_digit()) && pw.contains('!'));
    // The seed is stable for the run and scenario.
    assert_eq!(load(&full()).unwrap().seed, i.seed);
    assert!(
        !format!("{i:?}").contains("s3cr3t-value"),
        "Debug never shows the secret"
    );
}

#[test]
fn every_missing_variable_is_named_at_once() {
    let err = load(&HashMap::new()).unwrap_err();
    let text = err.to_string();
    for name in [
        HAYMAKER_RUN_ID,
        HAYMAKER_SCENARIO,
        HAYMAKER_SCENARIO_DOCUMENT,
        HAYMAKER_SUBSCRIPTION_ID,
        HAYMAKER_RESOURCE_GROUP,
        HAYMAKER_LOCATION,
        HAYMAKER_SUFFIX,
        HAYMAKER_RUN_END,
        AZURE_TENANT_ID,
        AZURE_CLIENT_ID,
        AZURE_CLIENT_SECRET,
        SERVICE_BUS_NAMESPACE,
    ] {
        assert!(text.contains(name), "{name} is named: {text}");
    }
    assert_eq!(err.problems.len(), 12, "{text}");
}

#[test]
fn unusable_values_are_named_with_the_fix() {
    let mut v = full();
    v.insert(HAYMAKER_RUN_ID, "not-a-uuid".into());
    v.insert(HAYMAKER_RUN_END, "tomorrow".into());
    v.insert(HAYMAKER_SUBSCRIPTION_ID, "sub".into());
    v.insert(HAYMAKER_AGENT_MODE, "creative".into());
    v.insert(HAYMAKER_AGENT_TIME_SCALE, "0".into());
    v.insert(HAYMAKER_AGENT_RETRIES, "2.5".into());
    let err = load(&v).unwrap_err();
    let names: Vec<&str> = err.problems.iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            HAYMAKER_RUN_ID,
            HAYMAKER_RUN_END,
            HAYMAKER_SUBSCRIPTION_ID,
            HAYMAKER_AGENT_MODE,
            HAYMAKER_AGENT_TIME_SCALE,
            HAYMAKER_AGENT_RETRIES
        ]
    );
    let text = err.to_string();
    assert!(text.contains("deterministic or assisted"), "{text}");
    assert!(text.contains("RFC 3339"), "{text}");
    assert!(!text.contains("s3cr3t-value"));
}

#[test]
fn assisted_mode_needs_the_model_key_and_takes_a_base_url() {
    let mut v = full();
    v.insert(HAYMAKER_AGENT_MODE, "assisted".into());
    let err = load(&v).unwrap_err();
    assert_eq!(err.problems[0].name, MODEL_API_KEY);
    v.insert(MODEL_API_KEY, "sk-ant-key".into());
    v.insert(HAYMAKER_AGENT_MODEL_URL, "http://127.0.0.1:9/".into());
    let i = load(&v).unwrap();
    assert_eq!(i.mode, Mode::Assisted);
    let m = i.model.unwrap();
    assert_eq!(m.base_url.as_str(), "http://127.0.0.1:9/");
    assert_eq!(m.model, DEFAULT_MODEL);
    v.insert(HAYMAKER_AGENT_MODEL_URL, "ftp://x".into());
    assert_eq!(
        load(&v).unwrap_err().problems[0].name,
        HAYMAKER_AGENT_MODEL_URL
    );
}

#[test]
fn a_connection_string_stands_for_the_namespace() {
    let mut v = full();
    v.remove(SERVICE_BUS_NAMESPACE);
    v.insert(
        SERVICE_BUS_CONNECTION,
        "Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=v".into(),
    );
    let i = load(&v).unwrap();
    assert!(i.service_bus.connection_string.is_some());
    assert!(i.service_bus.namespace.is_none());
}
