//! `haymaker logs --run ID [--follow] [--json]` without `--live`: a run's archived events from the
//! state store, in time order, one line each (or one JSON document per line). `--follow` polls for
//! new ones until the run finishes or Ctrl-C.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::Duration;

use uuid::Uuid;

use crate::events::{run_events, ArchivedEvent};
use crate::run::{keys, RunState};
use crate::store::{StateStore, StoreError};

/// How often `--follow` looks for new events.
const POLL: Duration = Duration::from_secs(1);

/// Why the archived view stopped.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveViewError {
    #[error("--run `{0}` is not a run id (a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e)")]
    BadRunId(String),
    #[error("run {run_id} is unknown to the state store at {store} (no {key}); `haymaker start` prints the id of the run it starts")]
    UnknownRun {
        run_id: Uuid,
        store: String,
        key: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One event as a line: time, event type, scenario, then the message or the resource.
pub fn archived_line(e: &ArchivedEvent) -> String {
    let text = |k: &str| e.event.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let time =
        crate::events::archive::event_time(e).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let scenario = text("scenario_name")
        .or_else(|| text("scenario"))
        .unwrap_or_else(|| "-".into());
    let detail = match (text("message"), text("resource_id")) {
        (Some(m), Some(r)) => format!("{m} ({r})"),
        (Some(m), None) => m,
        (None, Some(r)) => r,
        (None, None) => String::new(),
    };
    let mut line = format!("{time}  {:<22} {scenario:<28} {detail}", e.event_type);
    if let Some(err) = text("deletion_error") {
        line.push_str(&format!(" [{err}]"));
    }
    line.trim_end().to_string()
}

fn render(e: &ArchivedEvent, json: bool) -> String {
    if json {
        serde_json::to_string(e).expect("an archived event serialises")
    } else {
        archived_line(e)
    }
}

/// Whether the run has finished; an error when the store has never heard of it.
async fn finished(store: &StateStore, run_id: Uuid) -> Result<bool, ArchiveViewError> {
    let key = keys::run_state(run_id);
    match store.read_json::<RunState>(&key).await? {
        Some((state, _)) => Ok(state.phase.is_terminal()),
        None => Err(ArchiveViewError::UnknownRun {
            run_id,
            store: store.describe().to_string(),
            key: key.to_string(),
        }),
    }
}

/// Prints the run's events through `out`; with `follow`, keeps polling until the run finishes or
/// `stop` resolves. Returns how many were printed.
pub async fn show(
    store: &StateStore,
    run_id: &str,
    follow: bool,
    json: bool,
    out: &mut dyn FnMut(String),
    stop: impl std::future::Future<Output = ()>,
) -> Result<usize, ArchiveViewError> {
    let run_id: Uuid = run_id
        .trim()
        .parse()
        .map_err(|_| ArchiveViewError::BadRunId(run_id.to_string()))?;
    let mut done = finished(store, run_id).await?;
    let mut shown = BTreeSet::new();
    tokio::pin!(stop);
    loop {
        for e in run_events(store, run_id).await? {
            if shown.insert(e.message_id.clone()) {
                out(render(&e, json));
            }
        }
        if !follow || done {
            return Ok(shown.len());
        }
        tokio::select! {
            _ = &mut stop => return Ok(shown.len()),
            _ = tokio::time::sleep(POLL) => {}
        }
        // One more look after the run finishes catches what arrived just before.
        done = finished(store, run_id).await?;
    }
}

/// Runs the archived view from the settings.
pub fn run(run_id: &str, follow: bool, json: bool) -> ExitCode {
    let settings = match super::load_settings() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let store = match StateStore::from_settings(&settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot open the state store: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match super::runtime(super::Threads::One) {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let mut print = |line: String| println!("{line}");
    let result = runtime.block_on(show(&store, run_id, follow, json, &mut print, async {
        let _ = tokio::signal::ctrl_c().await;
    }));
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e @ (ArchiveViewError::BadRunId(_) | ArchiveViewError::UnknownRun { .. })) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
