//! A validator for the subset of OpenAPI 3.0 schemas the contract uses (type, format uuid/date-time,
//! enum, nullable, required, properties, items, additionalProperties, minimum/maximum, $ref), and the
//! contract itself read from `../shared` (YAML, converted by Python's yaml module).
#![allow(dead_code)]

use serde_json::Value;

/// The contract as JSON.
pub fn contract() -> Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/contracts/monitoring-api.openapi.yaml");
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import json,sys,yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(&path)
        .output()
        .expect("python3 runs (tests/run.sh installs PyYAML)");
    assert!(
        out.status.success(),
        "reading {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// Problems of `value` against `schema` (empty: valid), each with its JSON path.
pub fn validate(doc: &Value, schema: &Value, value: &Value, path: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    let mut out = Vec::new();
    if value.is_null() {
        if schema["nullable"] != Value::Bool(true) {
            out.push(format!("{path}: null but not nullable"));
        }
        return out;
    }
    let ty = schema["type"].as_str().unwrap_or("");
    let type_ok = match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    };
    if !type_ok {
        out.push(format!("{path}: expected {ty}, got {value}"));
        return out;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            out.push(format!("{path}: {value} not in {allowed:?}"));
        }
    }
    if let Some(s) = value.as_str() {
        match schema["format"].as_str() {
            Some("uuid") if uuid::Uuid::parse_str(s).is_err() => {
                out.push(format!("{path}: `{s}` is not a uuid"))
            }
            Some("date-time") if chrono::DateTime::parse_from_rfc3339(s).is_err() => {
                out.push(format!("{path}: `{s}` is not a date-time"))
            }
            _ => {}
        }
    }
    if let Some(n) = value.as_f64() {
        if schema["minimum"].as_f64().is_some_and(|m| n < m) {
            out.push(format!("{path}: {n} below minimum"));
        }
        if schema["maximum"].as_f64().is_some_and(|m| n > m) {
            out.push(format!("{path}: {n} above maximum"));
        }
    }
    if let Some(obj) = value.as_object() {
        for r in schema["required"].as_array().into_iter().flatten() {
            if !obj.contains_key(r.as_str().unwrap()) {
                out.push(format!("{path}: missing required {r}"));
            }
        }
        let props = schema["properties"].as_object();
        for (k, v) in obj {
            if let Some(p) = props.and_then(|p| p.get(k)) {
                out.extend(validate(doc, p, v, &format!("{path}.{k}")));
            } else if let Some(extra) = schema.get("additionalProperties").filter(|a| a.is_object())
            {
                out.extend(validate(doc, extra, v, &format!("{path}.{k}")));
            }
        }
    }
    if let Some(items) = value.as_array() {
        for (i, v) in items.iter().enumerate() {
            out.extend(validate(doc, &schema["items"], v, &format!("{path}[{i}]")));
        }
    }
    out
}

/// Validates `value` against the contract's schema `name`; panics listing every problem.
pub fn assert_matches(doc: &Value, name: &str, value: &Value) {
    let problems = validate(doc, &doc["components"]["schemas"][name], value, name);
    assert!(problems.is_empty(), "{name}: {problems:#?}\n{value:#}");
}
