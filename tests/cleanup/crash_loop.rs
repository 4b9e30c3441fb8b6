//! The crash loop: whole sandbox runs whose handler is the real `haymaker serve` process, killed
//! with SIGKILL at 30 seeded points (three runs of ten) — on entering a phase, mid-provisioning,
//! mid-cleanup — and started again on the same state directory and the same simulator. Every run
//! must end completed with cleanup verified, the simulator holding nothing of it (resources,
//! groups, role assignments, applications, service principals, secrets), and never two principals
//! for one scenario. The kill plan is printed (`--nocapture`) and follows from the seeds alone;
//! where a kill lands inside an invocation depends on timing, which is the point.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use haymaker::run::{names, Phase};
use haymaker::sandbox::host::HostStats;
use haymaker::sandbox::{HandlerMode, Sandbox, SandboxOptions};
use haymaker::scenarios::Size;

/// Seeds of the three runs; each run's kill plan follows from its seed.
const SEEDS: [u64; 3] = [101, 202, 303];
const KILLS_PER_RUN: usize = 10;

/// splitmix64: small, seeded, the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// One planned kill: in `phase`, at its `step`-th step (0: the step that entered it), `delay_ms`
/// after that step returned (while the queue's invocations run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KillPoint {
    phase: Phase,
    step: u64,
    delay_ms: u64,
}

impl fmt::Display for KillPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.step == 0 {
            "on entering".to_string()
        } else {
            format!("step {} of", self.step)
        };
        write!(f, "{at} {:?} +{} ms", self.phase, self.delay_ms)
    }
}

/// Ten kills: three as a phase begins (between phases), three mid-provisioning, four mid-cleanup.
fn plan(seed: u64) -> Vec<KillPoint> {
    let mut rng = Rng(seed);
    let mut points = vec![];
    let mut entries = vec![
        Phase::Provisioning,
        Phase::Monitoring,
        Phase::Cleanup,
        Phase::Reporting,
    ];
    for _ in 0..3 {
        let i = rng.range(0, entries.len() as u64 - 1) as usize;
        let phase = entries.remove(i);
        points.push(KillPoint {
            phase,
            step: 0,
            delay_ms: rng.range(0, 30),
        });
    }
    for (phase, count, max_gap) in [(Phase::Provisioning, 3, 2), (Phase::Cleanup, 4, 8)] {
        let mut step = 0;
        for _ in 0..count {
            step += rng.range(1, max_gap);
            points.push(KillPoint {
                phase,
                step,
                delay_ms: rng.range(0, 120),
            });
        }
    }
    assert_eq!(points.len(), KILLS_PER_RUN);
    points
}

/// Applications per principal display name and service principals per app id, of the run: any
/// count above one is a duplicate.
fn duplicates(sandbox: &Sandbox) -> Vec<String> {
    let prefix = names::principal_prefix(sandbox.run_id());
    let world = sandbox.sim().world();
    let mut apps: BTreeMap<String, usize> = BTreeMap::new();
    for a in world.applications() {
        if a.display_name.starts_with(&prefix) {
            *apps.entry(a.display_name.clone()).or_default() += 1;
        }
    }
    let mut sps: BTreeMap<String, usize> = BTreeMap::new();
    for sp in world.service_principals() {
        if sp.display_name.starts_with(&prefix) {
            *sps.entry(sp.app_id.clone()).or_default() += 1;
        }
    }
    apps.into_iter()
        .map(|(n, c)| (format!("application {n}"), c))
        .chain(
            sps.into_iter()
                .map(|(n, c)| (format!("service principal of {n}"), c)),
        )
        .filter(|(_, c)| *c > 1)
        .map(|(n, c)| format!("{n} ×{c}"))
        .collect()
}

struct Outcome {
    kills: Vec<String>,
    summary: haymaker::sandbox::Summary,
}

async fn crash_loop_run(index: usize, seed: u64) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let mut pending = plan(seed);
    let mut sandbox = Sandbox::start(SandboxOptions {
        size: Size::Small,
        seed,
        speed: Some(2000.0),
        // 43 s of real time: kills mid-provisioning must not push it past the run's end.
        duration_hours: 24.0,
        storage_env: HashMap::from([(
            "HAYMAKER_STATE".to_string(),
            format!("file://{}", dir.path().join("state").display()),
        )]),
        sim_dir: dir.path().join("sim"),
        timeout: Duration::from_secs(300),
        handler: HandlerMode::Process {
            binary: env!("CARGO_BIN_EXE_haymaker").into(),
        },
        ..SandboxOptions::default()
    })
    .await
    .expect("the sandbox starts with a handler process");
    let run = sandbox.run_id();
    let mut kills = vec![];
    let mut phase = None;
    let mut step_in_phase = 0;
    for _ in 0..20_000 {
        let state = sandbox.step().await.unwrap().expect("the run document");
        let dupes = duplicates(&sandbox);
        assert!(
            dupes.is_empty(),
            "run {index} ({run}): duplicate principals after {} kills: {dupes:?}\n{kills:#?}",
            kills.len()
        );
        if phase != Some(state.phase) {
            if let Some(left) = phase {
                eprintln!("run {index}: {left:?} lasted {step_in_phase} steps");
            }
            phase = Some(state.phase);
            step_in_phase = 0;
        } else {
            step_in_phase += 1;
        }
        if state.phase.is_terminal() {
            break;
        }
        let due = pending
            .iter()
            .position(|k| k.phase == state.phase && k.step <= step_in_phase);
        if let Some(i) = due {
            let point = pending.remove(i);
            tokio::time::sleep(Duration::from_millis(point.delay_ms)).await;
            let before = sandbox.handler_pid();
            let after = sandbox
                .kill_and_restart()
                .await
                .expect("the handler restarts");
            assert_ne!(before, after, "a new process");
            let stats = &sandbox.host().stats;
            let line = format!(
                "run {index} seed {seed}: kill {} {point} (pid {before:?} → {after:?}; so far {} invocations cut off, {} messages redelivered)",
                kills.len() + 1,
                HostStats::get(&stats.cut_off),
                HostStats::get(&stats.redelivered),
            );
            eprintln!("{line}");
            kills.push(line);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        pending.is_empty(),
        "run {index} ({run}) ended before these kill points: {pending:?}"
    );
    let summary = sandbox.finish().await.unwrap();
    Outcome { kills, summary }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_kill_9s_of_the_handler_process_leave_complete_runs_with_nothing_behind() {
    // Seeded plans: the same seeds give the same plan.
    assert_eq!(plan(SEEDS[0]), plan(SEEDS[0]));
    assert_ne!(plan(SEEDS[0]), plan(SEEDS[1]));
    let runs = futures::future::join_all(
        SEEDS
            .iter()
            .enumerate()
            .map(|(i, seed)| crash_loop_run(i, *seed)),
    )
    .await;
    let mut kills = 0;
    let mut cut_off = 0;
    let mut redelivered = 0;
    for (i, outcome) in runs.iter().enumerate() {
        let s = &outcome.summary;
        assert!(
            s.passed(),
            "run {i}: {}\nkills:\n{}",
            s.render(),
            outcome.kills.join("\n")
        );
        assert_eq!(s.principals, Size::Small.count(), "{}", s.render());
        let report = s.report.as_ref().expect("report.json");
        assert_eq!(report["status"], "completed", "{report:#}");
        assert_eq!(s.host.poisoned, 0, "{}", s.render());
        kills += outcome.kills.len();
        cut_off += s.host.cut_off;
        redelivered += s.host.redelivered;
        eprint!("{}", s.render());
    }
    assert_eq!(kills, SEEDS.len() * KILLS_PER_RUN);
    // Some kills landed inside an invocation, and what the dead handler held came back.
    assert!(cut_off > 0, "no kill cut an invocation off");
    assert!(redelivered > 0, "nothing was redelivered after a kill");
}
