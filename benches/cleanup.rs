//! Cleanup benchmark (not a test): seeds resources of one run across the simulator's subscriptions
//! and measures, end to end against the simulator at Azure's pace (speed 1, ARM's default token
//! buckets: reads 250 burst + 25/s, deletes 200 burst + 10/s, per subscription and principal), the
//! engine's wall time against the token-bucket bound and the share of answers that were 429, side
//! by side with deleting one resource at a time. Discovery is the real Resource Graph and ARM is
//! the real client (`AzurePorts`, the ports the orchestrator uses).
//!
//! `cargo bench --locked --profile dev --bench cleanup -- [RESOURCES] [SUBSCRIPTIONS]` (default
//! 2000 across 4). Each side gets a simulator of its own, so each starts with full buckets.

#[path = "../tests/cleanup_support/mod.rs"]
mod cleanup_support;

use std::time::Instant;

use cleanup_support::{run_tags, tag_map, TestSim};
use haymaker::azure::identity::AzureConnection;
use haymaker::azure::{Pipeline, RetryOptions};
use haymaker::cleanup::azure_ports::AzurePorts;
use haymaker::cleanup::{
    run_cleanup, ArmOps, CleanupOptions, CleanupRequest, Mode, NoProgress, RunIdentities,
};
use haymaker::sim::resources::Address;
use haymaker::sim::tally::AnswerCounts;
use haymaker::sim::SimConfig;
use serde_json::{json, Map, Value};

const TYPES: &[&str] = &[
    "Microsoft.Compute/virtualMachines",
    "Microsoft.Network/networkInterfaces",
    "Microsoft.Compute/disks",
    "Microsoft.Network/publicIPAddresses",
    "Microsoft.Storage/storageAccounts",
];

/// Seeds `per_sub` run resources in an untagged group of each subscription (so each needs its own
/// delete: the delete limit is what is measured). Straight into the world: seeding is not measured.
fn seed(sim: &TestSim, subs: &[String], per_sub: usize, run: &str) -> Vec<String> {
    let tags: Map<String, Value> = match tag_map(&run_tags(run)) {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    let mut ids = Vec::new();
    let mut world = sim.server.sim.world();
    for sub in subs {
        world
            .put_group(sub, "bench", "eastus", Map::new(), None)
            .expect("group");
        for i in 0..per_sub {
            let t = TYPES[i % TYPES.len()];
            let (ns, ty) = t.split_once('/').unwrap();
            let rest: Vec<String> = [ns, ty, &format!("r{i}")]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let addr = Address::parse(sub, Some("bench"), &rest).expect("address");
            let body = json!({"location": "eastus", "tags": tags.clone()});
            let Value::Object(body) = body else {
                unreachable!()
            };
            world
                .put_resource(&addr, "2024-05-01", body)
                .expect("resource");
            ids.push(addr.id(&format!("/subscriptions/{sub}/resourceGroups/bench")));
        }
    }
    ids
}

/// Seconds the buckets of one subscription need for `reads` reads and `deletes` deletes at the
/// least: the two kinds draw from buckets of their own, so the slower one sets the pace.
fn bound_secs(reads: usize, deletes: usize) -> f64 {
    let over = |n: usize, burst: f64, rate: f64| ((n as f64 - burst).max(0.0)) / rate;
    over(reads, 250.0, 25.0).max(over(deletes, 200.0, 10.0))
}

/// haymaker's pipeline from the settings the simulator prints, with the default retries.
fn pipeline(sim: &TestSim) -> Pipeline {
    let vars = sim.server.env_vars();
    let settings = haymaker::config::Settings::from_lookup(&|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    let mut connection = AzureConnection::from_settings(&settings).unwrap();
    connection.options.retry = RetryOptions::default();
    connection.pipeline()
}

/// A simulator at Azure's pace with `subscriptions` subscriptions, and their ids.
async fn simulator(subscriptions: usize) -> (TestSim, Vec<String>) {
    let sim = TestSim::start_with(SimConfig {
        subscriptions,
        ..SimConfig::default()
    })
    .await;
    let subs = (0..subscriptions).map(|i| sim.sub(i)).collect();
    (sim, subs)
}

fn line(name: &str, secs: f64, bound: f64, answers: AnswerCounts, extra: &str) {
    println!(
        "{name:<11} {secs:>7.1} s  {:>5.2}x the bound  {:>6} answers  {:>4} answered 429 ({:.2} %){extra}",
        secs / bound,
        answers.answers,
        answers.throttled,
        answers.throttled_percent(),
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    // `cargo bench` passes `--bench`; under `cargo test` only a small smoke runs.
    let measuring = std::env::args().any(|a| a == "--bench");
    let (default_total, default_subs) = if measuring { (2000, 4) } else { (40, 2) };
    let total: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(default_total);
    let n_subs: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default_subs)
        .max(1);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let per_sub = total / n_subs;
        let bound = bound_secs(per_sub, per_sub);
        println!("{} resources, {per_sub} in each of {n_subs} subscription(s), simulator at speed 1 with ARM's default limits", per_sub * n_subs);
        println!(
            "token-bucket bound (one read and one delete per resource, subscriptions in parallel): {bound:.1} s; reads then deletes: {:.1} s",
            bound_secs(per_sub, 0) + bound_secs(0, per_sub)
        );

        // The engine: discovery through Resource Graph, guard, plan, deletes, verification.
        let (sim, subs) = simulator(n_subs).await;
        let run = uuid::Uuid::new_v4();
        seed(&sim, &subs, per_sub, &run.to_string());
        let ports = AzurePorts::new(pipeline(&sim), None);
        let request = CleanupRequest {
            run_id: run,
            subscriptions: subs.clone(),
            identities: RunIdentities::default(),
            discover_identities: false,
            mode: Mode::Execute,
        };
        let before = sim.server.sim.tally.counts();
        let start = Instant::now();
        let outcome = run_cleanup(&ports.ports(), None, &NoProgress, &CleanupOptions::default(), &request)
            .await
            .unwrap();
        let engine = start.elapsed().as_secs_f64();
        let answers = sim.server.sim.tally.counts().since(before);
        let left = sim.tagged_with(&run.to_string()).len();
        line(
            "engine",
            engine,
            bound,
            answers,
            &format!(
                ", status {:?}, {} deleted, {left} left",
                outcome.report.status, outcome.report.verification.actually_deleted
            ),
        );
        sim.stop().await;

        // One at a time: read, delete, next; subscription after subscription.
        let (sim, subs) = simulator(n_subs).await;
        let run = uuid::Uuid::new_v4();
        let ids = seed(&sim, &subs, per_sub, &run.to_string());
        let ports = AzurePorts::new(pipeline(&sim), None);
        let before = sim.server.sim.tally.counts();
        let start = Instant::now();
        for id in &ids {
            ports.arm.read_tags(id).await.unwrap();
            ports.arm.delete(id).await.unwrap();
        }
        let sequential = start.elapsed().as_secs_f64();
        let answers = sim.server.sim.tally.counts().since(before);
        let left = sim.tagged_with(&run.to_string()).len();
        line("sequential", sequential, bound, answers, &format!(", {left} left"));
        sim.stop().await;
    });
}
