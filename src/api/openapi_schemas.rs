//! The component schemas of `/api/v1/openapi.json`: one builder per answer type of [`super::model`]
//! (and the admin answers), enums from the constants the handlers validate with. A field the types
//! may leave out is not `required`; a field they may send as `null` is `nullable`.

use serde_json::{json, Map, Value};

use super::{logs, resources, runs};

pub(super) fn string() -> Value {
    json!({"type": "string"})
}
pub(super) fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}
pub(super) fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}
pub(super) fn count() -> Value {
    json!({"type": "integer", "minimum": 0})
}
pub(super) fn boolean() -> Value {
    json!({"type": "boolean"})
}
pub(super) fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}
pub(super) fn nullable(mut v: Value) -> Value {
    v["nullable"] = json!(true);
    v
}
pub(super) fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}
pub(super) fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}
pub(super) fn free_object() -> Value {
    json!({"type": "object", "additionalProperties": true})
}
pub(super) fn object(required: &[&str], props: Vec<(&str, Value)>) -> Value {
    let props: Map<String, Value> = props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut o = json!({"type": "object", "properties": props});
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

pub(super) const PHASES: &[&str] = &[
    "validation",
    "selection",
    "provisioning",
    "monitoring",
    "cleanup",
    "reporting",
];
pub(super) const CLEANUP_STATES: &[&str] = &["verified", "partial", "failed"];

fn scenario_summary() -> Value {
    object(
        &["scenario_name", "status"],
        vec![
            ("scenario_name", string()),
            ("technology_area", string()),
            ("agent_id", string()),
            ("sp_name", string()),
            ("status", one_of(runs::SCENARIO_STATUSES)),
            ("started_at", nullable(time())),
            ("ended_at", nullable(time())),
            ("resources_created", count()),
            (
                "cleanup_status",
                one_of(&["pending", "in_progress", "complete", "failed"]),
            ),
        ],
    )
}

fn run_details() -> Value {
    let mut phases = PHASES.to_vec();
    phases.push("completed");
    object(
        &[
            "run_id",
            "started_at",
            "status",
            "scenarios",
            "cleanup_verification",
        ],
        vec![
            ("run_id", uuid()),
            ("started_at", time()),
            ("ended_at", nullable(time())),
            ("status", one_of(runs::RUN_STATUSES)),
            ("phase", one_of(&phases)),
            ("simulation_size", one_of(&["small", "medium", "large"])),
            ("scenarios", array(reference("ScenarioSummary"))),
            ("total_resources", count()),
            ("total_service_principals", count()),
            ("cleanup_verification", reference("CleanupVerification")),
            ("errors", array(reference("ExecutionError"))),
            ("phase_started_at", nullable(time())),
            ("scheduled_end_at", nullable(time())),
        ],
    )
}

fn resource() -> Value {
    object(
        &["resource_id", "resource_type", "scenario_name", "status"],
        vec![
            ("resource_id", string()),
            ("resource_type", string()),
            ("resource_name", string()),
            ("scenario_name", string()),
            ("created_at", time()),
            ("deleted_at", nullable(time())),
            ("status", one_of(resources::RESOURCE_STATUSES)),
            (
                "deletion_attempts",
                json!({"type": "integer", "minimum": 0, "default": 0}),
            ),
            (
                "tags",
                json!({"type": "object", "additionalProperties": {"type": "string"}}),
            ),
        ],
    )
}

fn log_entry() -> Value {
    object(
        &[
            "timestamp",
            "event_type",
            "scenario_name",
            "message",
            "severity",
        ],
        vec![
            ("timestamp", time()),
            ("event_type", one_of(logs::EVENT_TYPES)),
            ("scenario_name", string()),
            ("agent_id", string()),
            ("sp_name", string()),
            ("message", string()),
            ("resource_id", nullable(string())),
            ("resource_type", nullable(string())),
            ("severity", one_of(logs::SEVERITIES)),
            ("details", nullable(free_object())),
        ],
    )
}

pub(super) fn cleanup_report() -> Value {
    object(
        &["run_id", "status", "verification", "deletions"],
        vec![
            ("run_id", uuid()),
            ("status", one_of(CLEANUP_STATES)),
            ("verification", reference("CleanupVerification")),
            ("deletions", array(reference("ResourceDeletion"))),
            ("service_principals_deleted", array(string())),
            ("forced_cleanup_required", boolean()),
            ("forced_cleanup_executed_at", nullable(time())),
        ],
    )
}

pub(super) fn pagination() -> Value {
    object(
        &["page", "page_size", "total_items", "total_pages"],
        vec![
            ("page", json!({"type": "integer", "minimum": 1})),
            ("page_size", json!({"type": "integer", "minimum": 1})),
            ("total_items", count()),
            ("total_pages", count()),
            ("has_next", boolean()),
            ("has_previous", boolean()),
        ],
    )
}

/// Every schema, by name.
pub fn schemas() -> Value {
    let mut run_phases = PHASES.to_vec();
    run_phases.push("completed");
    let all: Vec<(&str, Value)> = vec![
        (
            "OrchestratorStatus",
            object(
                &["status", "health"],
                vec![
                    ("status", one_of(&["idle", "running", "error"])),
                    ("health", one_of(&["healthy", "degraded", "unhealthy"])),
                    ("current_run_id", nullable(uuid())),
                    ("started_at", nullable(time())),
                    ("scheduled_end_at", nullable(time())),
                    ("phase", nullable(one_of(PHASES))),
                    ("scenarios_count", nullable(json!({"type": "integer"}))),
                    ("scenarios_completed", nullable(json!({"type": "integer"}))),
                    ("scenarios_running", nullable(json!({"type": "integer"}))),
                    ("scenarios_failed", nullable(json!({"type": "integer"}))),
                    ("next_scheduled_run", nullable(time())),
                ],
            ),
        ),
        (
            "RunsListResponse",
            object(
                &["runs", "pagination"],
                vec![
                    ("runs", array(reference("RunSummary"))),
                    ("pagination", reference("PaginationMetadata")),
                ],
            ),
        ),
        (
            "RunSummary",
            object(
                &["run_id", "started_at", "status", "scenarios_count"],
                vec![
                    ("run_id", uuid()),
                    ("started_at", time()),
                    ("ended_at", nullable(time())),
                    ("status", one_of(runs::RUN_STATUSES)),
                    ("scenarios_count", count()),
                    ("scenarios_completed", count()),
                    ("scenarios_failed", count()),
                    ("resources_created", count()),
                    (
                        "cleanup_status",
                        one_of(&["verified", "partial", "failed", "pending"]),
                    ),
                ],
            ),
        ),
        ("RunDetails", run_details()),
        ("ScenarioSummary", scenario_summary()),
        (
            "ScenariosListResponse",
            object(
                &["run_id", "scenarios"],
                vec![
                    ("run_id", uuid()),
                    ("scenarios", array(reference("ScenarioSummary"))),
                ],
            ),
        ),
        (
            "ScenarioDetails",
            object(
                &["scenario_name", "run_id", "status"],
                vec![
                    ("scenario_name", string()),
                    ("run_id", uuid()),
                    ("technology_area", string()),
                    ("agent_id", string()),
                    ("container_app_resource_id", string()),
                    ("sp_name", string()),
                    ("sp_id", uuid()),
                    ("status", one_of(runs::SCENARIO_STATUSES)),
                    ("started_at", nullable(time())),
                    ("ended_at", nullable(time())),
                    ("duration_seconds", nullable(count())),
                    (
                        "phase",
                        nullable(one_of(&[
                            "deployment",
                            "operations",
                            "cleanup",
                            "completed",
                        ])),
                    ),
                    ("resources", array(reference("Resource"))),
                    ("operations_performed", count()),
                    ("errors", array(reference("ExecutionError"))),
                ],
            ),
        ),
        (
            "ResourcesListResponse",
            object(
                &["run_id", "resources", "pagination"],
                vec![
                    ("run_id", uuid()),
                    ("resources", array(reference("Resource"))),
                    ("pagination", reference("PaginationMetadata")),
                ],
            ),
        ),
        ("Resource", resource()),
        (
            "ServicePrincipalsListResponse",
            object(
                &["run_id", "service_principals"],
                vec![
                    ("run_id", uuid()),
                    ("service_principals", array(reference("ServicePrincipal"))),
                ],
            ),
        ),
        (
            "ServicePrincipal",
            object(
                &["sp_name", "sp_id", "scenario_name", "status"],
                vec![
                    ("sp_name", string()),
                    ("sp_id", uuid()),
                    ("principal_id", uuid()),
                    ("scenario_name", string()),
                    ("created_at", time()),
                    ("deleted_at", nullable(time())),
                    ("status", one_of(resources::RESOURCE_STATUSES)),
                    ("roles_assigned", array(string())),
                ],
            ),
        ),
        (
            "LogsListResponse",
            object(
                &["run_id", "logs", "pagination"],
                vec![
                    ("run_id", uuid()),
                    ("logs", array(reference("LogEntry"))),
                    ("pagination", reference("PaginationMetadata")),
                ],
            ),
        ),
        ("LogEntry", log_entry()),
    ];
    let mut all = all;
    all.extend(super::openapi_service_schemas::service_schemas(&run_phases));
    Value::Object(all.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}
