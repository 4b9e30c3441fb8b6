//! `haymaker status`, `haymaker runs list|show`, `haymaker resources RUN`: the monitoring API's queries
//! ([`crate::api::Monitor`]) straight on the state store, as tables in a terminal or `--json` (the
//! API's own answer shapes).

use std::process::ExitCode;

use serde::Serialize;

use crate::api::params::Params;
use crate::api::{ApiError, Monitor};
use crate::store::{StateStore, StoreLocation};

#[derive(Debug, clap::Subcommand)]
pub enum RunsCommand {
    /// List runs, newest first.
    List {
        /// completed, in_progress or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 20)]
        page_size: u32,
        #[arg(long)]
        json: bool,
    },
    /// One run's details: phase, scenarios, resources, cleanup verification, errors.
    Show {
        /// The run id.
        run_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct ResourcesArgs {
    /// The run id.
    run_id: String,
    #[arg(long)]
    scenario: Option<String>,
    /// e.g. Microsoft.Storage/storageAccounts.
    #[arg(long)]
    resource_type: Option<String>,
    /// created, exists, deleted or deletion_failed.
    #[arg(long)]
    status: Option<String>,
    #[arg(long, default_value_t = 1)]
    page: u32,
    #[arg(long, default_value_t = 50)]
    page_size: u32,
    #[arg(long)]
    json: bool,
}

fn open() -> Result<(Monitor, tokio::runtime::Runtime), ExitCode> {
    let settings = super::load_settings()?;
    let store = StoreLocation::from_settings(&settings.storage)
        .and_then(|l| StateStore::open(&l).map_err(|e| e.to_string()))
        .map_err(|e| {
            eprintln!("error: cannot open the state store: {e}");
            ExitCode::from(2)
        })?;
    Ok((Monitor::new(store), super::runtime(super::Threads::One)?))
}

/// Prints the answer, or the error with exit 2 for bad input and 1 otherwise.
fn finish<T: Serialize>(
    result: Result<T, ApiError>,
    json: bool,
    table: impl FnOnce(&T),
) -> ExitCode {
    match result {
        Ok(v) if json => {
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Ok(v) => {
            table(&v);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {} ({})", e.message, e.code);
            if e.status.is_client_error() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Left-aligned columns, two spaces apart.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(headers.iter().map(|h| h.to_uppercase()).collect())];
    out.extend(rows.iter().map(|r| line(r.clone())));
    out.join("\n")
}

fn text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Null) => "-".into(),
        Ok(other) => other.to_string(),
        Err(_) => "?".into(),
    }
}

pub fn status(json: bool) -> ExitCode {
    let (monitor, rt) = match open() {
        Ok(x) => x,
        Err(c) => return c,
    };
    let result = rt.block_on(monitor.status(chrono::Utc::now()));
    finish(result, json, |s| {
        let rows = vec![
            vec!["status".into(), text(&s.status)],
            vec!["current run".into(), text(&s.current_run_id)],
            vec!["phase".into(), text(&s.phase)],
            vec!["started".into(), text(&s.started_at)],
            vec!["scheduled end".into(), text(&s.scheduled_end_at)],
            vec![
                "scenarios".into(),
                format!(
                    "{} running, {} completed, {} failed of {}",
                    text(&s.scenarios_running),
                    text(&s.scenarios_completed),
                    text(&s.scenarios_failed),
                    text(&s.scenarios_count)
                ),
            ],
            vec!["next scheduled run".into(), text(&s.next_scheduled_run)],
        ];
        println!(
            "{}",
            table(&["", ""], &rows)
                .lines()
                .skip(1)
                .collect::<Vec<_>>()
                .join("\n")
        );
    })
}

pub fn runs(cmd: RunsCommand) -> ExitCode {
    let (monitor, rt) = match open() {
        Ok(x) => x,
        Err(c) => return c,
    };
    match cmd {
        RunsCommand::List {
            status,
            page,
            page_size,
            json,
        } => {
            let (page, size) = (page.to_string(), page_size.to_string());
            let mut pairs = vec![("page", page.as_str()), ("page_size", size.as_str())];
            if let Some(s) = status.as_deref() {
                pairs.push(("status", s));
            }
            let q = Params::from_pairs(pairs);
            let result = crate::api::runs::run_filter(&q)
                .and_then(|f| q.paging().map(|p| (f, p)))
                .map(|(f, p)| rt.block_on(monitor.list_runs(&f, p)))
                .and_then(|r| r);
            finish(result, json, |r| {
                let rows: Vec<Vec<String>> = r
                    .runs
                    .iter()
                    .map(|x| {
                        vec![
                            x.run_id.to_string(),
                            text(&x.started_at),
                            text(&x.ended_at),
                            text(&x.status),
                            x.scenarios_count.to_string(),
                            x.resources_created.to_string(),
                            text(&x.cleanup_status),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    table(
                        &[
                            "run",
                            "started",
                            "ended",
                            "status",
                            "scenarios",
                            "resources",
                            "cleanup"
                        ],
                        &rows
                    )
                );
                println!(
                    "page {} of {} ({} runs)",
                    r.pagination.page, r.pagination.total_pages, r.pagination.total_items
                );
            })
        }
        RunsCommand::Show { run_id, json } => {
            let result =
                crate::api::params::run_id(&run_id).and_then(|id| rt.block_on(monitor.details(id)));
            finish(result, json, |d| {
                println!(
                    "run {}  {}  phase {}  started {}  ended {}",
                    d.run_id,
                    text(&d.status),
                    text(&d.phase),
                    text(&d.started_at),
                    text(&d.ended_at)
                );
                println!("resources {}  service principals {}  cleanup: expected {} deleted {} failures {}",
                    d.total_resources, d.total_service_principals, d.cleanup_verification.expected_deleted,
                    d.cleanup_verification.actually_deleted, d.cleanup_verification.deletion_failures);
                let rows: Vec<Vec<String>> = d
                    .scenarios
                    .iter()
                    .map(|s| {
                        vec![
                            s.scenario_name.clone(),
                            text(&s.status),
                            s.resources_created.to_string(),
                            text(&s.cleanup_status),
                            text(&s.sp_name),
                        ]
                    })
                    .collect();
                println!(
                    "\n{}",
                    table(
                        &["scenario", "status", "resources", "cleanup", "principal"],
                        &rows
                    )
                );
                for e in &d.errors {
                    println!(
                        "error {} {}: {}",
                        text(&e.timestamp),
                        e.error_code,
                        e.message
                    );
                }
            })
        }
    }
}

pub fn resources(args: ResourcesArgs) -> ExitCode {
    let (monitor, rt) = match open() {
        Ok(x) => x,
        Err(c) => return c,
    };
    let (page, size) = (args.page.to_string(), args.page_size.to_string());
    let mut pairs = vec![("page", page.as_str()), ("page_size", size.as_str())];
    for (k, v) in [
        ("scenario_name", &args.scenario),
        ("resource_type", &args.resource_type),
        ("status", &args.status),
    ] {
        if let Some(v) = v.as_deref() {
            pairs.push((k, v));
        }
    }
    let q = Params::from_pairs(pairs);
    let result = crate::api::params::run_id(&args.run_id).and_then(|id| {
        let filter = crate::api::resources::resource_filter(&q)?;
        rt.block_on(monitor.resources_page(id, &filter, q.paging()?))
            .map(crate::api::resources::ResourcesPage::into_response)
    });
    finish(result, args.json, |r| {
        let rows: Vec<Vec<String>> = r
            .resources
            .iter()
            .map(|x| {
                vec![
                    x.resource_type.clone(),
                    x.resource_name.clone(),
                    x.scenario_name.clone(),
                    text(&x.status),
                    text(&x.created_at),
                ]
            })
            .collect();
        println!(
            "{}",
            table(&["type", "name", "scenario", "status", "created"], &rows)
        );
        println!(
            "page {} of {} ({} resources)",
            r.pagination.page, r.pagination.total_pages, r.pagination.total_items
        );
    })
}
