//! The dashboard at `/` in headless Chromium, over state that real sandbox runs produced (the real
//! handler against the simulator): a finished run and one in monitoring, served by `haymaker serve`
//! with `HAYMAKER_API_KEY` set. The page asks for the key and keeps it in the tab; it shows the run's
//! phases, scenarios, resources per scenario and per type, the cleanup verdict and the past runs, as
//! the API answers them; its live feed shows the events the run archives while the page is open. A
//! screenshot is saved as `target/dashboard.png`.
//!
//! The browser is Debian's `chromium`, driven by playwright-core (npm, into target/tools) through
//! `dashboard.mjs`: tests/run.sh installs both. Without them the test fails with how to install them,
//! unless HAYMAKER_SKIP_BROWSER=1, which skips it loudly.

use std::collections::{BTreeMap, HashSet};

use haymaker::run::Phase;
use haymaker::sandbox::Sandbox;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::served::{sandbox_options, spawn_serve, Killed};

#[path = "dashboard_browser.rs"]
mod browser;
use browser::{target_dir, Browser};

const API_KEY: &str = "dashboard-test-key-7f3a";

/// The served API's answer at `path` (under `/api/v1`).
async fn api(addr: &str, path: &str) -> Value {
    let r = reqwest::Client::new()
        .get(format!("http://{addr}/api/v1{path}"))
        .header("x-api-key", API_KEY)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

/// The run's archived events that are log entries, by message id, in archive order.
async fn log_ids(store: &haymaker::store::StateStore, run: Uuid) -> Vec<(String, String)> {
    haymaker::events::run_events(store, run)
        .await
        .unwrap()
        .iter()
        .filter_map(|a| {
            let entry = haymaker::api::logs::log_entry(a)?;
            Some((a.message_id.clone(), entry.message))
        })
        .collect()
}

fn strings(v: &Value, field: &str) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The page shows what the API answers for `run` (ended, so neither changes any more).
async fn assert_page_matches_api(shown: &Value, addr: &str, run: Uuid) {
    let details = api(addr, &format!("/runs/{run}")).await;
    assert_eq!(shown["run_id"], run.to_string());
    assert_eq!(shown["run"]["status"], details["status"], "{shown:#}");
    let rows: Vec<Vec<String>> = shown["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_value(r["cells"].clone()).unwrap())
        .collect();
    let expected: Vec<Vec<String>> = details["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            vec![
                s["scenario_name"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
                s["resources_created"].to_string(),
                s["cleanup_status"].as_str().unwrap_or("—").to_string(),
            ]
        })
        .collect();
    // Columns: scenario, area, status, principal, started, resources, cleanup.
    let picked: Vec<Vec<String>> = rows
        .iter()
        .map(|r| vec![r[0].clone(), r[2].clone(), r[5].clone(), r[6].clone()])
        .collect();
    assert_eq!(picked, expected, "scenarios as the API lists them");
    // Resources per scenario: a bar per scenario, to scale.
    let max = expected
        .iter()
        .map(|r| r[2].parse::<f64>().unwrap())
        .fold(1.0, f64::max);
    let mut bars: BTreeMap<String, (u64, String)> = BTreeMap::new();
    for b in shown["by_scenario"].as_array().unwrap() {
        let label = b["label"].as_str().unwrap().to_string();
        bars.insert(
            label,
            (
                b["n"].as_u64().unwrap(),
                b["width"].as_str().unwrap().into(),
            ),
        );
    }
    for r in &expected {
        let n: u64 = r[2].parse().unwrap();
        let width = format!("{:.1}%", 100.0 * n as f64 / max).replace(".0%", "%");
        assert_eq!(bars[&r[0]], (n, width), "the bar of {}", r[0]);
    }
    // Resources per type: counted from every resource the API lists.
    let mut types: BTreeMap<String, u64> = BTreeMap::new();
    let resources = api(addr, &format!("/runs/{run}/resources?page_size=500")).await;
    assert_eq!(resources["pagination"]["has_next"], false);
    for t in strings(&resources["resources"], "resource_type") {
        *types.entry(t).or_default() += 1;
    }
    assert!(!types.is_empty(), "the run created resources");
    let shown_types: BTreeMap<String, u64> = shown["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["label"].as_str().unwrap().into(),
                b["n"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(shown_types, types, "resources per type");
    // The cleanup verdict.
    let cleanup = api(addr, &format!("/runs/{run}/cleanup-report")).await;
    assert_eq!(shown["cleanup"]["verdict"], cleanup["status"]);
    assert_eq!(shown["cleanup"]["verdict"], "verified");
    assert_eq!(
        shown["cleanup"]["actually deleted"],
        cleanup["verification"]["actually_deleted"].to_string()
    );
    // Every step of the timeline done.
    for step in shown["timeline"].as_array().unwrap() {
        assert_eq!(step["class"], "step done", "{shown:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dashboard_asks_for_the_key_and_shows_sandbox_runs_with_their_live_events() {
    let Some(mut browser) = Browser::start() else {
        return;
    };
    // Two sandbox runs on one state: the first to its end, the second into monitoring.
    let dir = tempfile::tempdir().unwrap();
    let first = haymaker::sandbox::run(sandbox_options(dir.path(), 3))
        .await
        .expect("the first sandbox run");
    assert!(first.passed(), "{}", first.render());
    let mut sandbox = Sandbox::start(sandbox_options(dir.path(), 4))
        .await
        .unwrap();
    let (a, b) = (first.run_id, sandbox.run_id());
    let scenarios: HashSet<String> = loop {
        let state = sandbox.step().await.unwrap().unwrap();
        assert!(!state.phase.is_terminal(), "{:?}", state.errors);
        let created = haymaker::events::run_events(sandbox.store(), b)
            .await
            .unwrap()
            .iter()
            .any(|e| e.event_type == "resource_created");
        if state.phase == Phase::Monitoring && created {
            break state.scenarios.iter().map(|s| s.name.clone()).collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    eprintln!("dashboard test: run {a} ended, run {b} in monitoring; serving them");
    let (child, addr) = spawn_serve(&dir.path().join("state"), &[("HAYMAKER_API_KEY", API_KEY)]);
    let _served = Killed(child);
    let url = format!("http://{addr}/");

    // The key: asked for, a wrong one refused, the right one kept in this tab only.
    browser
        .ok(json!({"op": "open", "page": "main", "url": url}))
        .await;
    browser
        .wait(
            "main",
            "return getComputedStyle(document.getElementById('keybox')).display === 'flex'",
        )
        .await;
    let shown = browser.snapshot("main").await;
    assert_eq!(shown["loaded"], false, "no data without the key: {shown:#}");
    assert_eq!(shown["runs"], json!([]), "no data without the key");
    for (key, then) in [("not-the-key", "keyproblem"), (API_KEY, "loaded")] {
        let fill = json!({"op": "fill", "page": "main", "selector": "#key", "text": key});
        browser.ok(fill).await;
        let press = json!({"op": "press", "page": "main", "selector": "#key", "key": "Enter"});
        browser.ok(press).await;
        let js = match then {
            "keyproblem" => {
                "return document.getElementById('keyproblem').textContent.includes('refused')"
            }
            _ => "return document.body.dataset.loaded === 'true'",
        };
        browser.wait("main", js).await;
    }
    let kept = browser
        .eval("main", "return [sessionStorage.getItem('haymaker-api-key'), localStorage.length, document.cookie, document.documentElement.outerHTML.includes(sessionStorage.getItem('haymaker-api-key'))]")
        .await;
    assert_eq!(
        kept,
        json!([API_KEY, 0, "", false]),
        "the key in sessionStorage only"
    );
    assert_eq!(
        browser.ok(json!({"op": "cookies"})).await,
        json!([]),
        "no cookie"
    );
    browser
        .ok(json!({"op": "open", "page": "other", "url": url}))
        .await;
    browser
        .wait(
            "other",
            "return getComputedStyle(document.getElementById('keybox')).display === 'flex'",
        )
        .await;
    let other = browser.eval("other", "return sessionStorage.length").await;
    assert_eq!(other, json!(0), "another tab does not have the key");

    // The run in monitoring: its phases, scenarios, resources, pending cleanup, both runs listed.
    let at_load = log_ids(sandbox.store(), b).await;
    assert!(
        at_load.len() <= 300,
        "the feed holds 300 lines; the run has {}",
        at_load.len()
    );
    browser
        .wait(
            "main",
            &format!(
                "return document.getElementById('feed').children.length >= {}",
                at_load.len()
            ),
        )
        .await;
    let shown = browser.snapshot("main").await;
    assert_eq!(shown["run_id"], b.to_string(), "{shown:#}");
    assert_eq!(shown["problem"], "");
    let classes: Vec<String> = strings(&shown["timeline"], "class");
    assert_eq!(
        classes[..5],
        ["step done", "step done", "step done", "step now", "step"],
        "{shown:#}"
    );
    assert_eq!(strings(&shown["timeline"], "phase")[3], "monitoring");
    let names: HashSet<String> = strings(&shown["scenarios"], "name").into_iter().collect();
    assert_eq!(names, scenarios, "the run's scenarios");
    let bars: u64 = shown["by_scenario"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["n"].as_u64().unwrap())
        .sum();
    let typed: u64 = shown["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["n"].as_u64().unwrap())
        .sum();
    assert!(
        bars > 0 && typed == bars,
        "resources per scenario and per type agree: {shown:#}"
    );
    assert_eq!(shown["cleanup"]["verdict"], "pending", "{shown:#}");
    let runs: Vec<String> = strings(&shown["runs"], "id");
    let listed = api(&addr, "/runs?page_size=50").await;
    let listed = strings(&listed["runs"], "run_id");
    assert_eq!(runs, listed, "the runs as the API lists them");
    assert_eq!(
        HashSet::<String>::from_iter(runs),
        HashSet::from([a.to_string(), b.to_string()]),
        "both runs"
    );
    let selected: Vec<&Value> = shown["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["selected"] == true)
        .collect();
    assert_eq!(selected.len(), 1);
    assert_eq!(
        selected[0]["id"],
        b.to_string(),
        "the current run is the one shown"
    );
    assert_eq!(shown["feed_state"], "live", "{shown:#}");
    let fed: Vec<String> = strings(&shown["feed"], "id");
    let archived: Vec<String> = at_load.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(fed, archived, "the feed shows the run's history, in order");

    // The run goes on to its end while the page is open: its new events appear in the feed.
    eprintln!("dashboard test: the page shows run {b} in monitoring; the run goes on");
    let end = sandbox.run_to_end().await.unwrap().unwrap();
    assert_eq!(end.phase, Phase::Completed, "{:?}", end.errors);
    let store = sandbox.store().clone();
    let second = sandbox.finish().await.unwrap();
    assert!(second.passed(), "{}", second.render());
    let now = log_ids(&store, b).await;
    let new: Vec<&(String, String)> = now.iter().filter(|e| !at_load.contains(e)).collect();
    assert!(
        !new.is_empty(),
        "the run archived events after the page opened"
    );
    let fits = now.len().min(300);
    let wanted: Vec<String> = new.iter().map(|(id, _)| id.clone()).collect();
    browser.wait("main", &format!(
        "const ids = new Set([...document.querySelectorAll('#feed .e')].map((e) => e.dataset.id)); \
         return {} .filter((id) => ids.has(id)).length >= {}", json!(wanted), wanted.len().min(fits))).await;
    let last = new.last().unwrap();
    let line = browser
        .eval(
            "main",
            &format!(
                "return document.querySelector('#feed [data-id=\"{}\"]').textContent",
                last.0
            ),
        )
        .await;
    assert!(line.as_str().unwrap().contains(&last.1), "{line}");
    // The next refresh shows the run ended, as the API answers it.
    browser
        .wait("main", &format!("return document.body.dataset.shown === '{b}' && document.body.dataset.shownStatus === 'completed'"))
        .await;
    let shown = browser.snapshot("main").await;
    assert_page_matches_api(&shown, &addr, b).await;
    assert_eq!(shown["feed_state"], "ended", "{shown:#}");
    let shot = target_dir().join("dashboard.png");
    let _ = std::fs::remove_file(&shot);
    let path = json!({"op": "screenshot", "page": "main", "path": shot});
    browser.ok(path).await;
    let png = std::fs::read(&shot).expect("the screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    eprintln!("dashboard screenshot: {}", shot.display());

    // The past run, picked from the list: its own scenarios, resources, verdict and events.
    browser
        .ok(json!({"op": "click", "page": "main", "selector": format!("tr[data-run=\"{a}\"]")}))
        .await;
    let a_ids: Vec<String> = log_ids(&store, a)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let fits = a_ids.len().min(300);
    browser.wait("main", &format!(
        "return document.body.dataset.shown === '{a}' && document.getElementById('feed').dataset.run === '{a}' && \
         document.getElementById('feed').children.length >= {fits}")).await;
    let shown = browser.snapshot("main").await;
    assert_page_matches_api(&shown, &addr, a).await;
    let fed: Vec<String> = strings(&shown["feed"], "id");
    assert_eq!(
        fed[..],
        a_ids[a_ids.len() - fits..],
        "the past run's events"
    );
    assert_eq!(shown["feed_state"], "ended", "{shown:#}");
    let errors = browser.ok(json!({"op": "page_errors"})).await;
    assert_eq!(errors, json!([]), "no script errors");
    browser.close().await;
}
