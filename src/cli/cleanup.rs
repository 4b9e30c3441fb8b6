//! `haymaker cleanup` and `haymaker discover`: the cleanup engine from the command line, working
//! from the tags alone — also for a run the state store does not know (orphans of a lost state).

use std::collections::BTreeMap;
use std::process::ExitCode;

use uuid::Uuid;

use super::cleanup_render::{print_plan, print_summary, CliProgress};
use crate::azure::identity::AzureConnection;
use crate::cleanup::azure_ports::AzurePorts;
use crate::cleanup::identities::discover_identities;
use crate::cleanup::ports::{Inventory, Progress, ProgressEvent};
use crate::cleanup::{
    run_cleanup, CleanupOptions, CleanupRequest, Mode, RunFilter, RunIdentities, TAG_RUN_ID,
};
use crate::config::Settings;
use crate::store::{StateStore, StoreLocation};

/// Subscription ids, comma-separated.
fn parse_subscriptions(text: &str) -> Result<Vec<String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            Uuid::parse_str(s).map(|u| u.to_string()).map_err(|_| {
                format!("`{s}` is not a subscription id (a GUID); pass e.g. --subscriptions 11111111-2222-3333-4444-555555555555,…")
            })
        })
        .collect()
}

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
How it decides what to delete:
  1. Resource Graph finds every resource and resource group tagged haymaker-run-id=<run>, per
     subscription (one failing subscription is reported; the others go on).
  2. Each is read again by id; anything whose current tags are not haymaker-run-id=<run> and
     haymaker-managed=true is skipped and reported, never deleted.
  3. Deletes run in dependency order (children before parents; VMs before NICs and disks; NICs and
     private endpoints before subnets and VNets; public IPs last); a resource group of the run that
     holds only the run's resources is deleted in one operation.
  4. Then the run's role assignments, service principals, applications (purged from deleted items)
     and Key Vault secrets (deleted and purged); principals named haymaker-<run>-… are found by name.
  5. Everything is searched for again to verify it is gone.
Progress is checkpointed in the state store (execution-reports/<run>/cleanup-checkpoint.json): run
the command again after a failure or crash and finished work is not repeated.

Examples:
  haymaker cleanup --run 3f0c…-… --dry-run          # print what would be deleted, in order
  haymaker cleanup --run 3f0c…-… --subscriptions 1111…,2222…
Exit status: 0 when everything is verified gone (dry run: when everything could be planned),
1 when something failed or is left, 2 for bad input.")]
pub struct CleanupArgs {
    /// The run to clean up (its id, as in the haymaker-run-id tag).
    #[arg(long = "run", value_name = "ID")]
    run_id: Uuid,
    /// Print what would be deleted, in order, and delete nothing.
    #[arg(long)]
    dry_run: bool,
    /// Subscriptions to sweep, comma-separated [default: HAYMAKER_TARGET_SUBSCRIPTIONS].
    #[arg(long, value_name = "ID,ID…")]
    subscriptions: Option<String>,
    /// Print the cleanup report (the API's CleanupReport) as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Without --run, lists everything tagged haymaker-managed=true, grouped by run id: a way to find the
runs whose leftovers need `haymaker cleanup --run ID`. With --run, lists that run's resources,
resource groups and principals. Reads only.

Examples:
  haymaker discover
  haymaker discover --run 3f0c…-… --subscriptions 1111…")]
pub struct DiscoverArgs {
    /// Only this run's resources (and its principals, found by name).
    #[arg(long = "run", value_name = "ID")]
    run_id: Option<Uuid>,
    /// Subscriptions to search, comma-separated [default: HAYMAKER_TARGET_SUBSCRIPTIONS].
    #[arg(long, value_name = "ID,ID…")]
    subscriptions: Option<String>,
}

/// Settings, subscriptions and the Azure ports, or the exit code after saying what is wrong.
fn prepare(subscriptions: Option<&str>) -> Result<(Settings, Vec<String>, AzurePorts), ExitCode> {
    let settings = super::load_settings()?;
    let subs = match subscriptions {
        Some(text) => parse_subscriptions(text).map_err(|e| {
            eprintln!("error: --subscriptions: {e}");
            ExitCode::from(2)
        })?,
        None => settings
            .azure
            .target_subscriptions
            .iter()
            .map(Uuid::to_string)
            .collect(),
    };
    if subs.is_empty() {
        eprintln!("error: no subscriptions to search: set HAYMAKER_TARGET_SUBSCRIPTIONS or pass --subscriptions ID,ID…");
        return Err(ExitCode::from(2));
    }
    let connection = AzureConnection::from_settings(&settings).map_err(|e| {
        eprintln!("error: cannot connect to Azure: {e}");
        ExitCode::from(2)
    })?;
    let ports = AzurePorts::from_connection(&connection, settings.azure.key_vault_url.as_ref())
        .map_err(|e| {
            eprintln!("error: KEY_VAULT_URL: {e}");
            ExitCode::from(2)
        })?;
    Ok((settings, subs, ports))
}

pub fn cleanup(args: CleanupArgs) -> ExitCode {
    let (settings, subscriptions, ports) = match prepare(args.subscriptions.as_deref()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let store = match StoreLocation::from_settings(&settings.storage)
        .and_then(|l| StateStore::open(&l).map_err(|e| e.to_string()))
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot open the state store (it keeps the cleanup checkpoint): {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match super::runtime(super::Threads::Many) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let request = CleanupRequest {
        run_id: args.run_id,
        subscriptions,
        identities: RunIdentities::default(),
        discover_identities: true,
        mode: if args.dry_run {
            Mode::DryRun
        } else {
            Mode::Execute
        },
    };
    let progress = CliProgress::new();
    let result = runtime.block_on(run_cleanup(
        &ports.ports(),
        Some(store),
        &progress,
        &CleanupOptions::default(),
        &request,
    ));
    progress.finish();
    let outcome = match result {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&outcome.report) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: cannot encode the report: {e}"),
        }
    } else if args.dry_run {
        print_plan(&outcome);
    }
    print_summary(&outcome);
    if outcome.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

pub fn discover(args: DiscoverArgs) -> ExitCode {
    let (_settings, subscriptions, ports) = match prepare(args.subscriptions.as_deref()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let runtime = match super::runtime(super::Threads::One) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let progress = CliProgress::new();
    let filter = args.run_id.map_or(RunFilter::AllManaged, RunFilter::Run);
    let failures = runtime.block_on(async {
        let mut failures = 0;
        let total = subscriptions.len();
        for (i, sub) in subscriptions.iter().enumerate() {
            progress.report(&ProgressEvent::SubscriptionStarted {
                index: i + 1,
                total,
                subscription: sub,
            });
            match ports.inventory.discover(sub, filter).await {
                Ok(found) => print_found(sub, &found),
                Err(e) => {
                    failures += 1;
                    let message = e.to_string();
                    progress.report(&ProgressEvent::SubscriptionFinished {
                        subscription: sub,
                        ok: false,
                        message: Some(&message),
                    });
                }
            }
        }
        if let Some(run) = args.run_id {
            let (found, errors) = discover_identities(&ports.identities, run, &subscriptions).await;
            for p in &found.principals {
                println!("principal {} (app id {})", p.display_name, p.app_id);
            }
            for r in &found.role_assignment_ids {
                println!("role assignment {r}");
            }
            for e in &errors {
                eprintln!("identities: {e}");
            }
            failures += errors.len();
        }
        failures
    });
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("{failures} search(es) failed; what was found is listed above");
        ExitCode::FAILURE
    }
}

fn print_found(subscription: &str, found: &crate::cleanup::SubscriptionInventory) {
    let mut by_run: BTreeMap<String, Vec<&crate::cleanup::Found>> = BTreeMap::new();
    for f in found.groups.iter().chain(&found.resources) {
        let run = f.tag(TAG_RUN_ID).unwrap_or("(no run id)").to_string();
        by_run.entry(run).or_default().push(f);
    }
    if by_run.is_empty() {
        println!("subscription {subscription}: nothing found");
    }
    for (run, items) in by_run {
        println!(
            "subscription {subscription}, run {run}: {} item(s)",
            items.len()
        );
        for f in items {
            println!("  {}  [{}]", f.id, f.resource_type);
        }
    }
}
