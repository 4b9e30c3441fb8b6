//! Concurrent `Tick`s and duplicated `Work` deliveries never double-provision. A sandbox run is
//! driven through the real router against the simulator while, on every round, extra `Tick`
//! invocations race the host's own, and every `provision` unit any tick hands out is put on the
//! queue twice more, so the host's eight workers carry out copies of the same unit at once. The
//! simulator must hold exactly one application, service principal, resource group and container
//! app per scenario, and the run must still complete with nothing left.

use std::collections::BTreeMap;
use std::time::Duration;

use haymaker::run::{names, Phase};
use haymaker::sandbox::{Sandbox, SandboxOptions};
use haymaker::scenarios::Size;
use uuid::Uuid;

/// Extra `Tick` invocations racing the host's own, per round.
const EXTRA_TICKS: usize = 3;
/// Extra copies of each `provision` unit put on the queue.
const EXTRA_COPIES: usize = 2;

/// What the simulator holds of the run, counted per scenario and kind.
#[derive(Debug, Default)]
struct Held {
    applications: BTreeMap<String, usize>,
    service_principals: BTreeMap<String, usize>,
    resource_groups: BTreeMap<String, usize>,
    container_apps: BTreeMap<String, usize>,
    /// Passwords on the scenario's application(s).
    passwords: BTreeMap<String, usize>,
}

impl Held {
    fn read(sandbox: &Sandbox, scenarios: &[String]) -> Self {
        let run = sandbox.run_id();
        let world = sandbox.sim().world();
        let mut held = Held::default();
        for s in scenarios {
            let principal = names::principal_name(run, s);
            let group = names::resource_group(run, s).to_ascii_lowercase();
            let app = names::container_app(run, s);
            let apps: Vec<_> = world
                .applications()
                .into_iter()
                .filter(|a| a.display_name == principal)
                .collect();
            held.applications.insert(s.clone(), apps.len());
            held.passwords
                .insert(s.clone(), apps.iter().map(|a| a.passwords.len()).sum());
            held.service_principals.insert(
                s.clone(),
                world
                    .service_principals()
                    .iter()
                    .filter(|p| p.display_name == principal)
                    .count(),
            );
            held.resource_groups.insert(
                s.clone(),
                world
                    .groups
                    .keys()
                    .filter(|(_, name)| *name == group)
                    .count(),
            );
            held.container_apps.insert(
                s.clone(),
                world
                    .container_apps()
                    .iter()
                    .filter(|a| a.name.eq_ignore_ascii_case(&app))
                    .count(),
            );
        }
        held
    }

    /// The kinds that must be held once. Passwords are not among them: two copies of a unit
    /// running at the very same moment can each add one (both find the vault empty); the extra
    /// credential lives on the run's application until cleanup deletes it. Counted and printed.
    fn kinds(&self) -> [(&'static str, &BTreeMap<String, usize>); 4] {
        [
            ("applications", &self.applications),
            ("service principals", &self.service_principals),
            ("resource groups", &self.resource_groups),
            ("container apps", &self.container_apps),
        ]
    }

    /// Kinds and scenarios held more than once.
    fn duplicates(&self) -> Vec<String> {
        self.kinds()
            .iter()
            .flat_map(|(kind, m)| {
                m.iter()
                    .filter(|(_, n)| **n > 1)
                    .map(move |(s, n)| format!("{n} {kind} of {s}"))
            })
            .collect()
    }

    /// Kinds and scenarios not held exactly once.
    fn not_exactly_one(&self) -> Vec<String> {
        self.kinds()
            .iter()
            .flat_map(|(kind, m)| {
                m.iter()
                    .filter(|(_, n)| **n != 1)
                    .map(move |(s, n)| format!("{n} {kind} of {s}"))
            })
            .collect()
    }
}

fn provision_units(answer: &haymaker::sandbox::host::Answer, run: Uuid) -> Vec<serde_json::Value> {
    answer
        .outputs("out")
        .into_iter()
        .filter(|u| u["kind"] == "provision" && u["run_id"] == run.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_ticks_and_duplicated_provision_units_never_double_provision() {
    let dir = tempfile::tempdir().unwrap();
    // The run lasts ~58 s of real time: long enough for provisioning (racing Ticks and tripled
    // units) to finish before the run's end even on a loaded machine, so Monitoring is reached.
    let mut sandbox = Sandbox::start(SandboxOptions {
        speed: Some(500.0),
        ..crate::sandbox::options(&dir, Size::Small, 7)
    })
    .await
    .unwrap();
    let run = sandbox.run_id();
    let host = sandbox.host().clone();
    let clock = sandbox.clock().clone();
    let mut scenarios: Vec<String> = vec![];
    let mut extra_ticks = 0;
    let mut copies = 0;
    let mut checked_monitoring = false;
    let mut most_passwords = 0;
    for _ in 0..4000 {
        // EXTRA_TICKS Ticks at the same moment, then the host's own round (which ticks again).
        let answers = futures::future::join_all(
            (0..EXTRA_TICKS).map(|_| host.fire_timer("Tick", clock.now())),
        )
        .await;
        extra_ticks += answers.len();
        for answer in &answers {
            assert!(answer.ok(), "a racing Tick failed: {:?}", answer.body);
            for unit in provision_units(answer, run) {
                host.enqueue(vec![unit.clone(); EXTRA_COPIES]);
                copies += EXTRA_COPIES;
            }
        }
        let state = sandbox
            .step()
            .await
            .unwrap()
            .expect("the run document exists");
        if scenarios.is_empty() {
            scenarios = state.scenarios.iter().map(|s| s.name.clone()).collect();
        }
        let held = Held::read(&sandbox, &scenarios);
        most_passwords = most_passwords.max(held.passwords.values().copied().max().unwrap_or(0));
        // A copy that lost the race for the application deletes its own right after creating
        // it, so a second application may be seen for a moment; any other duplicate is a failure.
        let dupes: Vec<_> = held
            .duplicates()
            .into_iter()
            .filter(|d| !d.contains(" applications of "))
            .collect();
        assert!(dupes.is_empty(), "{:?}: {dupes:?}", state.phase);
        if state.phase == Phase::Monitoring && !checked_monitoring {
            // Everything provisioned: exactly one of each per scenario.
            let wrong = held.not_exactly_one();
            assert!(wrong.is_empty(), "{wrong:?}");
            assert_eq!(held.applications.len(), Size::Small.count());
            checked_monitoring = true;
        }
        if state.phase.is_terminal() {
            assert!(
                checked_monitoring,
                "never saw monitoring: {:?}",
                state.errors
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(checked_monitoring, "the run never reached monitoring");
    assert!(extra_ticks > 0);
    let summary = sandbox.finish().await.unwrap();
    assert!(summary.passed(), "{}", summary.render());
    assert_eq!(summary.principals, Size::Small.count());
    eprintln!(
        "concurrent ticks: {extra_ticks} extra Ticks, {copies} extra provision deliveries, {} scenarios, at most {most_passwords} passwords on one application",
        scenarios.len()
    );
}
