//! Every shipped scenario turns into an agent plan: non-empty Phases 1 and 3, `az` argument vectors
//! with every variable expanded, and every creating command carrying the three tags with the run's
//! real values (or a written reason why it cannot be tagged).

use haymaker::agent::steps::{plan_scenario, Effect};
use haymaker::scenarios::{Library, PhaseKind};

const RUN: &str = "0d9e2f4a-1111-4222-8333-444455556666";

fn lookup(scenario: &str) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| {
        Some(match name {
            "HAYMAKER_RUN_ID" => RUN.to_string(),
            "HAYMAKER_SCENARIO" => scenario.to_string(),
            "HAYMAKER_RESOURCE_GROUP" => "rg-test".to_string(),
            "HAYMAKER_LOCATION" => "westeurope".to_string(),
            "HAYMAKER_SUFFIX" => "abc123".to_string(),
            "HAYMAKER_PASSWORD" => "Pw!0123456789".to_string(),
            _ => return None,
        })
    }
}

#[test]
fn every_shipped_scenario_yields_phases_the_agent_can_run() {
    let library = Library::embedded();
    assert!(
        library.scenarios().len() >= 50,
        "the whole library is shipped"
    );
    for scenario in library.scenarios() {
        let name = &scenario.name;
        let look = lookup(name);
        let plan = plan_scenario(scenario, &look).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!plan.deployment.is_empty(), "{name}: Phase 1 is empty");
        assert!(!plan.cleanup.is_empty(), "{name}: Phase 3 is empty");
        for (steps, phase) in [
            (&plan.deployment, PhaseKind::Deployment),
            (&plan.operations, PhaseKind::Operations),
            (&plan.cleanup, PhaseKind::Cleanup),
        ] {
            let written = scenario.steps(phase);
            assert_eq!(steps.len(), written.len(), "{name}");
            for (step, source) in steps.iter().zip(written) {
                assert!(!step.commands.is_empty(), "{name}:{}", step.line);
                for (cmd, parsed) in step.commands.iter().zip(&source.commands) {
                    let at = format!("{name}:{}", cmd.line);
                    assert_eq!(cmd.argv[0], "az", "{at}");
                    assert!(
                        cmd.argv.iter().all(|a| !a.contains("$HAYMAKER_")),
                        "{at}: a variable is left unexpanded: {:?}",
                        cmd.argv
                    );
                    if cmd.effect != Effect::Create {
                        continue;
                    }
                    if parsed
                        .untagged_reason
                        .as_deref()
                        .is_some_and(|r| !r.is_empty())
                    {
                        continue;
                    }
                    let tags: Vec<&str> = cmd
                        .argv
                        .iter()
                        .skip_while(|a| *a != "--tags")
                        .skip(1)
                        .take_while(|a| !a.starts_with("--"))
                        .map(String::as_str)
                        .collect();
                    for wanted in [
                        "haymaker-managed=true".to_string(),
                        format!("haymaker-run-id={RUN}"),
                        format!("haymaker-scenario={name}"),
                    ] {
                        assert!(
                            tags.contains(&wanted.as_str()),
                            "{at}: `az {}` lacks {wanted}: {tags:?}",
                            cmd.path
                        );
                    }
                }
            }
        }
    }
}
