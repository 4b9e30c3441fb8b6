//! `GET /api/v1/openapi.json`: the OpenAPI 3.0 document of this API, built from the table of
//! operations below (the same one the routing test walks) and the schemas in `openapi_schemas`,
//! whose enums come from the constants the handlers validate with.

use axum::Json;
use serde_json::{json, Map, Value};

use super::openapi_schemas::schemas;

pub use super::openapi_operations::operations;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum In {
    Path,
    Query,
}

/// One documented parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: &'static str,
    pub location: In,
    pub schema: Value,
    pub description: &'static str,
}

/// One documented operation.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    pub params: Vec<Param>,
    /// Schema name of the 200 answer (`None`: the event stream).
    pub answer: Option<&'static str>,
    /// Status of the success answer.
    pub success: u16,
    /// Error statuses besides 500.
    pub errors: &'static [u16],
    pub anonymous: bool,
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn status_text(code: u16) -> &'static str {
    match code {
        400 => "Invalid request parameters",
        401 => "Missing or wrong X-API-Key",
        404 => "Resource not found",
        409 => "Conflict with the run's state",
        503 => "Service temporarily unavailable",
        _ => "Internal server error",
    }
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for o in operations() {
        let params: Vec<Value> = o
            .params
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "in": if p.location == In::Path { "path" } else { "query" },
                    "required": p.location == In::Path,
                    "description": p.description,
                    "schema": p.schema,
                })
            })
            .collect();
        let mut responses = Map::new();
        let ok = match o.answer {
            Some(schema) => {
                json!({"description": "Success", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
            }
            None => {
                json!({"description": "Log stream established", "content": {"text/event-stream": {"schema": {"type": "string", "description": "Server-Sent Events stream of LogEntry objects (event: log)"}}}})
            }
        };
        responses.insert(o.success.to_string(), ok);
        let mut codes: Vec<u16> = o.errors.to_vec();
        codes.push(500);
        if !o.anonymous {
            codes.push(401);
        }
        for code in codes {
            responses.insert(code.to_string(), error_response(status_text(code)));
        }
        let mut operation = json!({
            "operationId": o.operation_id,
            "summary": o.summary,
            "tags": [o.tag],
            "parameters": params,
            "responses": responses,
        });
        if o.anonymous {
            operation["security"] = json!([]);
        }
        let entry = paths.entry(o.path.to_string()).or_insert_with(|| json!({}));
        entry[o.method] = operation;
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "haymaker monitoring API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Status, runs, scenarios, resources, service principals, logs (paged and as Server-Sent Events), cleanup reports and metrics of haymaker, plus its admin endpoints.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"ApiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
            "schemas": schemas(),
        },
    })
}

pub async fn get_openapi() -> Json<Value> {
    Json(document())
}
