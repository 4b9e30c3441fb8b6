//! The agent mode in infra/: `agentMode` allows exactly the modes the code knows and is off
//! (deterministic) by default and in both parameter files; the model settings come from parameters
//! that default to empty (the agent's own defaults); the model key is never an app setting.

use haymaker::config::catalog;
use haymaker::config::AgentMode;

use crate::infra::main_default_behind;
use crate::infra_support::*;

fn allowed(f: &serde_json::Value, param: &str) -> Vec<String> {
    let decorators = f["parameters"][param]["decorators"]
        .as_array()
        .unwrap_or_else(|| panic!("{param} has no decorators"));
    let allowed = decorators
        .iter()
        .find(|d| d["type"] == "allowed")
        .unwrap_or_else(|| panic!("@allowed on {param}"));
    strings(&allowed["argument"])
}

#[test]
fn the_agent_mode_is_deterministic_unless_a_deployment_chooses_assisted() {
    let modes: Vec<String> = AgentMode::ALL.iter().map(|m| m.to_string()).collect();
    assert_eq!(allowed(file("main.bicep"), "agentMode"), modes);
    assert_eq!(
        allowed(file("modules/functionapp.bicep"), "agentMode"),
        modes
    );
    assert_eq!(
        main_default_behind(catalog::HAYMAKER_AGENT_MODE),
        AgentMode::default().as_str()
    );
    for env in ["dev", "prod"] {
        let params = parameters_file(env);
        assert_eq!(
            params["parameters"]["agentMode"]["value"], "deterministic",
            "{env}.json turns assisted mode on"
        );
    }
}

#[test]
fn the_model_settings_default_to_the_agents_own_and_the_key_is_no_app_setting() {
    for setting in [
        catalog::HAYMAKER_AGENT_MODEL,
        catalog::HAYMAKER_AGENT_MODEL_URL,
    ] {
        assert_eq!(main_default_behind(setting), "", "default of {setting}");
    }
    let app = file("modules/functionapp.bicep");
    let set = object_keys(var(app, "haymakerSettings"));
    assert!(
        set.iter().all(|s| !s.starts_with("HAYMAKER_SECRET_")),
        "an agent secret as an app setting: {set:?}"
    );
    let description = file("main.bicep")["parameters"]["agentMode"]["decorators"][0]["argument"]
        .as_str()
        .unwrap();
    assert!(
        description.contains(catalog::AGENT_MODEL_KEY_SECRET)
            && description.contains("agentSecretNames"),
        "agentMode says what assisted mode needs: {description}"
    );
}
