//! The operation table of `/api/v1/openapi.json`: every route under `/api/v1` with its parameters (the
//! enum values are the constants the handlers validate with), answer schema and error statuses.

use serde_json::{json, Value};

use super::openapi::{In, Operation, Param};

fn p(name: &'static str, location: In, schema: Value, description: &'static str) -> Param {
    Param {
        name,
        location,
        schema,
        description,
    }
}

fn run_id() -> Param {
    p(
        "run_id",
        In::Path,
        json!({"type": "string", "format": "uuid"}),
        "Unique execution run identifier (UUID)",
    )
}

fn paging() -> [Param; 2] {
    [
        p(
            "page",
            In::Query,
            json!({"type": "integer", "minimum": 1, "default": 1}),
            "Page number (1-indexed)",
        ),
        p(
            "page_size",
            In::Query,
            json!({"type": "integer", "minimum": 1, "maximum": super::params::MAX_PAGE_SIZE, "default": super::params::DEFAULT_PAGE_SIZE}),
            "Number of items per page",
        ),
    ]
}

fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

fn text() -> Value {
    json!({"type": "string"})
}

fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

#[allow(clippy::too_many_arguments)]
fn op(
    method: &'static str,
    path: &'static str,
    operation_id: &'static str,
    summary: &'static str,
    tag: &'static str,
    params: Vec<Param>,
    answer: Option<&'static str>,
    errors: &'static [u16],
) -> Operation {
    Operation {
        method,
        path,
        operation_id,
        summary,
        tag,
        params,
        answer,
        success: 200,
        errors,
        anonymous: false,
    }
}

/// Every operation under `/api/v1`.
pub fn operations() -> Vec<Operation> {
    use super::{logs, reports, resources, runs};
    let [page, page_size] = paging();
    let with_paging = |mut v: Vec<Param>| {
        let [a, b] = paging();
        v.insert(1.min(v.len()), b);
        v.insert(1.min(v.len()), a);
        v
    };
    let mut health = op(
        "get",
        "/health",
        "getHealth",
        "Health check endpoint",
        "Health",
        vec![],
        Some("HealthCheck"),
        &[503],
    );
    health.anonymous = true;
    let mut start = op(
        "post",
        "/runs",
        "startRun",
        "Start a run (409 while one is active)",
        "Admin",
        vec![],
        Some("RunStarted"),
        &[400, 409],
    );
    start.success = 202;
    let mut cancel = op(
        "post",
        "/runs/{run_id}/cancel",
        "cancelRun",
        "Move an active run to cleanup",
        "Admin",
        vec![run_id()],
        Some("RunCancelled"),
        &[400, 404, 409],
    );
    cancel.success = 202;
    vec![
        op(
            "get",
            "/status",
            "getStatus",
            "Get overall orchestrator status",
            "Status",
            vec![],
            Some("OrchestratorStatus"),
            &[503],
        ),
        op(
            "get",
            "/runs",
            "listRuns",
            "List execution runs",
            "Runs",
            vec![
                page,
                page_size,
                p(
                    "status",
                    In::Query,
                    one_of(runs::RUN_STATUSES),
                    "Filter by run status",
                ),
                p(
                    "start_date",
                    In::Query,
                    time(),
                    "Filter runs started after this date (ISO 8601)",
                ),
                p(
                    "end_date",
                    In::Query,
                    time(),
                    "Filter runs started before this date (ISO 8601)",
                ),
            ],
            Some("RunsListResponse"),
            &[400],
        ),
        op(
            "get",
            "/runs/{run_id}",
            "getRun",
            "Get detailed run information",
            "Runs",
            vec![run_id()],
            Some("RunDetails"),
            &[400, 404],
        ),
        op(
            "get",
            "/runs/{run_id}/scenarios",
            "listScenarios",
            "List scenarios for a run",
            "Scenarios",
            vec![
                run_id(),
                p(
                    "status",
                    In::Query,
                    one_of(runs::SCENARIO_STATUSES),
                    "Filter by scenario status",
                ),
            ],
            Some("ScenariosListResponse"),
            &[400, 404],
        ),
        op(
            "get",
            "/runs/{run_id}/scenarios/{scenario_name}",
            "getScenario",
            "Get detailed scenario information",
            "Scenarios",
            vec![
                run_id(),
                p("scenario_name", In::Path, text(), "Scenario identifier"),
            ],
            Some("ScenarioDetails"),
            &[400, 404],
        ),
        op(
            "get",
            "/runs/{run_id}/resources",
            "listResources",
            "List all resources created in a run",
            "Resources",
            with_paging(vec![
                run_id(),
                p("scenario_name", In::Query, text(), "Filter by scenario"),
                p(
                    "resource_type",
                    In::Query,
                    text(),
                    "Filter by Azure resource type",
                ),
                p(
                    "status",
                    In::Query,
                    one_of(resources::RESOURCE_STATUSES),
                    "Filter by resource status",
                ),
            ]),
            Some("ResourcesListResponse"),
            &[400, 404],
        ),
        op(
            "get",
            "/runs/{run_id}/service-principals",
            "listServicePrincipals",
            "List service principals created in a run",
            "Service Principals",
            vec![
                run_id(),
                p(
                    "status",
                    In::Query,
                    one_of(resources::RESOURCE_STATUSES),
                    "Filter by service principal status",
                ),
            ],
            Some("ServicePrincipalsListResponse"),
            &[400, 404],
        ),
        op(
            "get",
            "/runs/{run_id}/logs",
            "listLogs",
            "Get aggregated execution logs",
            "Logs",
            with_paging(vec![
                run_id(),
                p("scenario_name", In::Query, text(), "Filter by scenario"),
                p(
                    "event_type",
                    In::Query,
                    one_of(logs::EVENT_TYPES),
                    "Filter by event type",
                ),
                p(
                    "severity",
                    In::Query,
                    one_of(logs::SEVERITIES),
                    "Filter by severity",
                ),
                p(
                    "start_time",
                    In::Query,
                    time(),
                    "Filter logs after this timestamp (ISO 8601)",
                ),
                p(
                    "end_time",
                    In::Query,
                    time(),
                    "Filter logs before this timestamp (ISO 8601)",
                ),
                p(
                    "search",
                    In::Query,
                    text(),
                    "Full-text search in log messages",
                ),
            ]),
            Some("LogsListResponse"),
            &[400, 404],
        ),
        op(
            "get",
            "/runs/{run_id}/logs/stream",
            "streamLogs",
            "Stream logs in real-time (Server-Sent Events)",
            "Logs",
            vec![
                run_id(),
                p("scenario_name", In::Query, text(), "Filter by scenario"),
                p(
                    "since",
                    In::Query,
                    time(),
                    "Only return logs after this timestamp (ISO 8601)",
                ),
            ],
            None,
            &[400, 404],
        ),
        op(
            "get",
            "/runs/{run_id}/cleanup-report",
            "getCleanupReport",
            "Get cleanup verification report",
            "Cleanup",
            vec![run_id()],
            Some("CleanupReport"),
            &[400, 404],
        ),
        health,
        op(
            "get",
            "/metrics",
            "getMetrics",
            "Get aggregated metrics",
            "Metrics",
            vec![p(
                "period",
                In::Query,
                json!({"type": "string", "enum": reports::PERIODS, "default": "day"}),
                "Time period for metrics aggregation",
            )],
            Some("Metrics"),
            &[400],
        ),
        start,
        cancel,
        op(
            "post",
            "/runs/{run_id}/cleanup",
            "cleanupRun",
            "Plan (dry_run=true, the default) or start the run's cleanup",
            "Admin",
            vec![
                run_id(),
                p(
                    "dry_run",
                    In::Query,
                    json!({"type": "boolean", "default": true}),
                    "Only plan: delete nothing",
                ),
            ],
            Some("CleanupPlan"),
            &[400, 404, 409, 503],
        ),
        op(
            "get",
            "/openapi.json",
            "getOpenApi",
            "This document",
            "Meta",
            vec![],
            Some("OpenApiDocument"),
            &[],
        ),
    ]
}
