//! `/api/v1/openapi.json` against the contract: every contract path, method, parameter and schema is
//! in the served document and compatible with it, and every documented operation is routed.

use crate::api_support;
use crate::common;

use api_support::schema::contract;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::Value;

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut cur = doc;
            for part in r.trim_start_matches("#/").split('/') {
                cur = &cur[part];
            }
            cur
        }
        None => v,
    }
}

/// Problems of `mine` standing in for the contract's `theirs` (a served answer of `mine` must be
/// valid under `theirs`).
fn compatible(path: &str, theirs: &Value, mine: &Value, out: &mut Vec<String>) {
    for key in ["type", "format", "$ref"] {
        if theirs.get(key) != mine.get(key) && theirs.get(key).is_some() {
            out.push(format!(
                "{path}: {key} {:?} ≠ contract {:?}",
                mine.get(key),
                theirs.get(key)
            ));
        }
    }
    if let Some(their_enum) = theirs["enum"].as_array() {
        match mine["enum"].as_array() {
            Some(m) => {
                for v in m {
                    if !their_enum.contains(v) {
                        out.push(format!("{path}: enum value {v} not in the contract"));
                    }
                }
                for v in their_enum {
                    if !m.contains(v) {
                        out.push(format!("{path}: contract enum value {v} missing"));
                    }
                }
            }
            None => out.push(format!("{path}: no enum")),
        }
    }
    if mine["nullable"] == Value::Bool(true) && theirs["nullable"] != Value::Bool(true) {
        out.push(format!("{path}: nullable here, not in the contract"));
    }
    for key in ["minimum", "maximum"] {
        if let Some(t) = theirs.get(key) {
            if mine.get(key) != Some(t) {
                out.push(format!("{path}: {key} {:?} ≠ contract {t}", mine.get(key)));
            }
        }
    }
    if let Some(props) = theirs["properties"].as_object() {
        for (name, t) in props {
            match mine["properties"].get(name) {
                Some(m) => compatible(&format!("{path}.{name}"), t, m, out),
                None => out.push(format!("{path}.{name}: missing")),
            }
        }
        for r in theirs["required"].as_array().into_iter().flatten() {
            let listed = mine["required"].as_array().is_some_and(|m| m.contains(r));
            if !listed {
                out.push(format!("{path}: {r} is required by the contract, not here"));
            }
        }
    }
    if theirs.get("items").is_some() {
        compatible(&format!("{path}[]"), &theirs["items"], &mine["items"], out);
    }
}

#[tokio::test]
async fn the_served_document_covers_the_contract() {
    let theirs = contract();
    let app = test_app();
    let answer = get(&app.router, "/api/v1/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    let mine = answer.body;
    assert!(mine["openapi"].as_str().unwrap().starts_with("3.0"));
    let mut problems = Vec::new();
    for (name, schema) in theirs["components"]["schemas"].as_object().unwrap() {
        match mine["components"]["schemas"].get(name) {
            Some(m) => compatible(name, schema, m, &mut problems),
            None => problems.push(format!("schema {name}: missing")),
        }
    }
    let mut operations = 0;
    for (path, item) in theirs["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let Some(m) = mine["paths"].get(path).and_then(|p| p.get(method)) else {
                problems.push(format!("{method} {path}: missing"));
                continue;
            };
            for p in op["parameters"].as_array().into_iter().flatten() {
                let p = resolve(&theirs, p);
                let name = p["name"].as_str().unwrap();
                let found = m["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["name"] == name && x["in"] == p["in"]);
                match found {
                    Some(x) => {
                        compatible(
                            &format!("{method} {path} ?{name}"),
                            &p["schema"],
                            &x["schema"],
                            &mut problems,
                        );
                        if p["required"] == Value::Bool(true) && x["required"] != Value::Bool(true)
                        {
                            problems.push(format!("{method} {path} ?{name}: not required"));
                        }
                    }
                    None => problems.push(format!("{method} {path}: parameter {name} missing")),
                }
            }
            for (code, response) in op["responses"].as_object().unwrap() {
                let response = resolve(&theirs, response);
                let Some(mr) = m["responses"].get(code) else {
                    problems.push(format!("{method} {path}: response {code} missing"));
                    continue;
                };
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    match mr["content"].get(media) {
                        Some(mc) => compatible(
                            &format!("{method} {path} {code} {media}"),
                            &content["schema"],
                            &mc["schema"],
                            &mut problems,
                        ),
                        None => problems.push(format!("{method} {path} {code}: {media} missing")),
                    }
                }
            }
            if op.get("security") == Some(&Value::Array(vec![]))
                && m.get("security") != Some(&Value::Array(vec![]))
            {
                problems.push(format!("{method} {path}: anonymous in the contract"));
            }
        }
    }
    assert_eq!(operations, 12, "the contract's operations");
    assert!(problems.is_empty(), "{problems:#?}");

    // The comparison notices a difference: a dropped property, a widened enum, a lost requirement.
    let mut broken = mine["components"]["schemas"]["Resource"].clone();
    broken["properties"]
        .as_object_mut()
        .unwrap()
        .remove("deleted_at");
    broken["properties"]["status"]["enum"]
        .as_array_mut()
        .unwrap()
        .push("vanished".into());
    broken["required"] = serde_json::json!(["resource_id"]);
    let mut found = Vec::new();
    compatible(
        "Resource",
        &theirs["components"]["schemas"]["Resource"],
        &broken,
        &mut found,
    );
    assert_eq!(found.len(), 5, "{found:#?}");
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = test_app();
    let doc = get(&app.router, "/api/v1/openapi.json").await.body;
    let run = uuid::Uuid::new_v4().to_string();
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            count += 1;
            let url = format!(
                "/api/v1{}",
                path.replace("{run_id}", &run)
                    .replace("{scenario_name}", "s")
            );
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&url)
                .body(Body::empty())
                .unwrap();
            let a = send(&app.router, request).await;
            assert_ne!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {url}");
            assert_ne!(
                a.body["error"]["code"], "NOT_FOUND",
                "{method} {url} is not routed"
            );
            assert!(
                a.status.is_success() || a.body["error"]["code"] == "RUN_NOT_FOUND",
                "{method} {url}: {}",
                a.text
            );
        }
    }
    assert_eq!(count, haymaker::api::openapi::operations().len());
}
