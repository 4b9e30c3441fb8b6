//! Cleanup benchmark (not a test): seeds resources of one run across the simulator's subscriptions
//! and measures the engine's wall time against the token-bucket bound (ARM: reads 250 burst +
//! 25/s, deletes 200 burst + 10/s, per subscription and principal), the share of answers that
//! were 429, side by side with deleting one resource at a time.
//!
//! `cargo bench --bench cleanup -- [RESOURCES] [SUBSCRIPTIONS]` (default 2000 across 4; the
//! simulator offers as many subscriptions as it has, and the run says when that is fewer).
//! Discovery uses the in-process stand-in for Resource Graph (see tests/cleanup_support).

#[path = "../tests/cleanup_support/mod.rs"]
mod cleanup_support;

use std::time::Instant;

use cleanup_support::{run_tags, tag_map, FakeDirectory, TestSim, WorldInventory};
use haymaker::azure::resources::ArmClient;
use haymaker::azure::Pipeline;
use haymaker::cleanup::azure_ports::AzureArm;
use haymaker::cleanup::{
    run_cleanup, ArmOps, CleanupOptions, CleanupRequest, Mode, NoProgress, Ports, RunIdentities,
};
use haymaker::sim::resources::Address;
use serde_json::{json, Map, Value};
use std::sync::atomic::Ordering;

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

/// Seconds the buckets need for `reads` and `deletes` in one subscription.
fn bound_secs(reads: usize, deletes: usize) -> f64 {
    let over = |n: usize, burst: f64, rate: f64| ((n as f64 - burst).max(0.0)) / rate;
    over(reads, 250.0, 25.0) + over(deletes, 200.0, 10.0)
}

fn stats(p: &Pipeline) -> (u64, u64) {
    let s = p.stats();
    (
        s.requests.load(Ordering::Relaxed),
        s.throttled.load(Ordering::Relaxed),
    )
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let total: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let wanted: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let sim = TestSim::start().await;
        let available = sim.server.identity().subscriptions.len();
        let n_subs = wanted.min(available);
        if n_subs < wanted {
            println!("note: the simulator offers {available} subscription(s); using {n_subs} instead of {wanted}");
        }
        let subs: Vec<String> = (0..n_subs).map(|i| sim.sub(i)).collect();
        let per_sub = total / n_subs;
        let bound = bound_secs(per_sub, per_sub);
        println!("{} resources, {per_sub} per subscription in {n_subs} subscription(s)", per_sub * n_subs);
        println!("token-bucket bound per subscription (reads then deletes): {bound:.1} s");

        // The engine.
        let run = uuid::Uuid::new_v4();
        seed(&sim, &subs, per_sub, &run.to_string());
        let pipeline = sim.pipeline();
        let arm = AzureArm::new(ArmClient::new(pipeline.clone()));
        let inventory = WorldInventory::new(&sim);
        let directory = FakeDirectory::default();
        let ports = Ports { inventory: &inventory, arm: &arm, identities: &directory };
        let request = CleanupRequest {
            run_id: run,
            subscriptions: subs.clone(),
            identities: RunIdentities::default(),
            discover_identities: false,
            mode: Mode::Execute,
        };
        let start = Instant::now();
        let outcome = run_cleanup(&ports, None, &NoProgress, &CleanupOptions::default(), &request)
            .await
            .unwrap();
        let engine = start.elapsed().as_secs_f64();
        let (requests, throttled) = stats(&pipeline);
        println!(
            "engine:     {engine:.1} s ({:.2}x the bound), {requests} requests, {throttled} answered 429 ({:.2} %), status {:?}, {} deleted",
            engine / bound,
            100.0 * throttled as f64 / requests.max(1) as f64,
            outcome.report.status,
            outcome.report.verification.actually_deleted,
        );

        // One at a time: read, delete, next; subscription after subscription.
        let run = uuid::Uuid::new_v4();
        let ids = seed(&sim, &subs, per_sub, &run.to_string());
        let pipeline = sim.pipeline();
        let arm = AzureArm::new(ArmClient::new(pipeline.clone()));
        let start = Instant::now();
        for id in &ids {
            arm.read_tags(id).await.unwrap();
            arm.delete(id).await.unwrap();
        }
        let sequential = start.elapsed().as_secs_f64();
        let (requests, throttled) = stats(&pipeline);
        println!(
            "sequential: {sequential:.1} s ({:.2}x the bound), {requests} requests, {throttled} answered 429 ({:.2} %)",
            sequential / bound,
            100.0 * throttled as f64 / requests.max(1) as f64,
        );
        sim.stop().await;
    });
}
