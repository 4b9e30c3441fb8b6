//! Component schemas of `/api/v1/openapi.json` beyond the run views: the cleanup report, health,
//! metrics, the error shape and the admin answers.

use serde_json::{json, Value};

use super::openapi_schemas::*;
use super::reports;

/// The schemas, by name.
pub(super) fn service_schemas(run_phases: &[&str]) -> Vec<(&'static str, Value)> {
    vec![
        ("CleanupReport", cleanup_report()),
        (
            "CleanupVerification",
            object(
                &["expected_deleted", "actually_deleted", "forced_deletions"],
                vec![
                    ("expected_deleted", count()),
                    ("actually_deleted", count()),
                    ("forced_deletions", count()),
                    ("deletion_failures", count()),
                ],
            ),
        ),
        (
            "ResourceDeletion",
            object(
                &["resource_id", "status", "attempts"],
                vec![
                    ("resource_id", string()),
                    ("resource_type", string()),
                    ("status", one_of(&["deleted", "failed"])),
                    ("attempts", json!({"type": "integer", "minimum": 1})),
                    ("deleted_at", nullable(time())),
                    ("error", nullable(string())),
                ],
            ),
        ),
        (
            "ExecutionError",
            object(
                &["timestamp", "error_code", "message"],
                vec![
                    ("timestamp", time()),
                    ("error_code", string()),
                    ("message", string()),
                    ("scenario_name", nullable(string())),
                    ("phase", nullable(string())),
                    ("details", nullable(free_object())),
                ],
            ),
        ),
        (
            "HealthCheck",
            object(
                &["status"],
                vec![
                    ("status", one_of(&["healthy", "degraded", "unhealthy"])),
                    ("version", string()),
                    (
                        "checks",
                        object(
                            &[],
                            vec![
                                ("key_vault", one_of(&["pass", "fail"])),
                                ("service_bus", one_of(&["pass", "fail"])),
                                ("storage", one_of(&["pass", "fail"])),
                                ("azure_api", one_of(&["pass", "fail"])),
                            ],
                        ),
                    ),
                ],
            ),
        ),
        (
            "Metrics",
            object(
                &[],
                vec![
                    ("period", one_of(reports::PERIODS)),
                    ("total_runs", count()),
                    ("successful_runs", count()),
                    ("failed_runs", count()),
                    ("total_scenarios_executed", count()),
                    ("total_resources_created", count()),
                    ("total_resources_deleted", count()),
                    (
                        "cleanup_success_rate",
                        json!({"type": "number", "format": "float", "minimum": 0, "maximum": 1}),
                    ),
                    ("average_execution_duration_seconds", count()),
                    (
                        "average_resources_per_scenario",
                        json!({"type": "number", "format": "float"}),
                    ),
                ],
            ),
        ),
        ("PaginationMetadata", pagination()),
        (
            "Error",
            object(
                &["error"],
                vec![(
                    "error",
                    object(
                        &["code", "message"],
                        vec![
                            ("code", string()),
                            ("message", string()),
                            ("details", free_object()),
                            ("trace_id", string()),
                        ],
                    ),
                )],
            ),
        ),
        (
            "RunStarted",
            object(
                &["run_id", "status"],
                vec![
                    ("run_id", uuid()),
                    ("status", one_of(&["running"])),
                    ("size", string()),
                    ("scheduled_end_at", time()),
                ],
            ),
        ),
        (
            "RunCancelled",
            object(
                &["run_id", "phase"],
                vec![
                    ("run_id", uuid()),
                    ("phase", one_of(run_phases)),
                    ("previous_phase", string()),
                ],
            ),
        ),
        (
            "CleanupPlan",
            object(
                &["run_id"],
                vec![
                    ("run_id", uuid()),
                    ("dry_run", boolean()),
                    ("plans", array(free_object())),
                    ("report", reference("CleanupReport")),
                ],
            ),
        ),
        ("OpenApiDocument", free_object()),
    ]
}
