//! Fault injection: whole sandbox runs while the simulator answers a seeded 10 % of ARM, Graph and
//! Key Vault calls 500, 429 or with a reset connection, adds latency, and keeps long-running
//! operations running for several polls. The run must still complete with cleanup verified,
//! nothing left in the simulator, every scenario through, and the retries counted in the run
//! document, the cleanup report and the summary.

use std::collections::HashMap;
use std::time::Duration;

use haymaker::run::ScenarioStatus;
use haymaker::sandbox::{Sandbox, SandboxOptions};
use haymaker::scenarios::Size;
use haymaker::sim::faults::FaultSpec;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_under_ten_percent_faults_and_slow_lros_completes_and_counts_its_retries() {
    let dir = tempfile::tempdir().unwrap();
    let faults: FaultSpec = "rate=0.1,kinds=500|429|reset,latency=1ms..30ms,seed=11"
        .parse()
        .unwrap();
    let mut sandbox = Sandbox::start(SandboxOptions {
        size: Size::Small,
        seed: 11,
        speed: Some(2000.0),
        duration_hours: 16.0,
        storage_env: HashMap::from([(
            "HAYMAKER_STATE".to_string(),
            format!("file://{}", dir.path().join("state").display()),
        )]),
        sim_dir: dir.path().join("sim"),
        timeout: Duration::from_secs(300),
        faults: Some(faults),
        lro_polls: Some(4),
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    sandbox.run_to_end().await.unwrap();
    let state = sandbox.state().await.unwrap().expect("the run document");
    let not_through: Vec<_> = state
        .scenarios
        .iter()
        .filter(|s| s.status != ScenarioStatus::CleanupComplete)
        .map(|s| (&s.name, s.status, &s.error))
        .collect();
    let summary = sandbox.finish().await.unwrap();
    let rendered = summary.render();
    eprint!("{rendered}");
    assert!(summary.passed(), "{rendered}");
    assert!(not_through.is_empty(), "{not_through:?}\n{rendered}");
    assert_eq!(summary.principals, Size::Small.count(), "{rendered}");
    assert_eq!(summary.host.poisoned, 0, "{rendered}");
    let report = summary.report.as_ref().expect("report.json");
    assert_eq!(report["status"], "completed", "{report:#}");
    // Every kind of fault happened, and the pipeline retried its way through them.
    let injected = summary.faults.expect("faults were injected");
    assert!(
        injected.internal_errors > 0 && injected.throttles > 0 && injected.resets > 0,
        "{injected:?}"
    );
    assert!(summary.azure_retries > 0, "{rendered}");
    let at_cleanup = summary
        .cleanup_report_retries
        .expect("the cleanup report counts retries");
    assert!(
        at_cleanup > 0 && at_cleanup <= summary.azure_retries,
        "cleanup report {at_cleanup}, run {}",
        summary.azure_retries
    );
    assert!(rendered.contains("calls retried"), "{rendered}");
}
