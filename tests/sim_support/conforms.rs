//! The conformance check of the Resource Graph, conflicts and Container Apps tests: every field of an
//! example present with the same JSON type; arrays matched element by element.

use serde_json::{json, Value};

use super::kind;

/// Every field of `expected` is in `actual` with the same JSON type, recursively; for arrays, each
/// element of `expected` conforms to some element of `actual` (when both have elements). `null` in
/// the example accepts any value. Paths in `except` (`a.b.c`) are not checked.
pub fn assert_conforms(expected: &Value, actual: &Value, at: &str, except: &[&str]) {
    let problems = conformance(expected, actual, at, except);
    assert!(
        problems.is_empty(),
        "{}\nin {actual:#}",
        problems.join("\n")
    );
}

fn conformance(expected: &Value, actual: &Value, at: &str, except: &[&str]) -> Vec<String> {
    if except.contains(&at) || expected.is_null() {
        return vec![];
    }
    if kind(expected) != kind(actual) {
        return vec![format!(
            "{at}: the example has {}, the simulator {}",
            kind(expected),
            kind(actual)
        )];
    }
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .flat_map(|(k, v)| {
                let path = format!("{at}.{k}");
                match a.get(k) {
                    None if !except.contains(&path.as_str()) => vec![format!("{path}: missing")],
                    None => vec![],
                    Some(got) => conformance(v, got, &path, except),
                }
            })
            .collect(),
        (Value::Array(e), Value::Array(a)) if !a.is_empty() => e
            .iter()
            .filter(|item| {
                !a.iter()
                    .any(|got| conformance(item, got, &format!("{at}[]"), except).is_empty())
            })
            .map(|item| format!("{at}[]: no element conforms to {item}"))
            .collect(),
        _ => vec![],
    }
}

#[test]
fn the_conformance_check_can_fail() {
    let example = json!({"a": 1, "b": {"c": "x"}, "d": [{"e": true}], "n": null});
    assert_conforms(
        &example,
        &json!({"a": 2, "b": {"c": "y"}, "d": [{"e": false}], "n": 3}),
        "$",
        &[],
    );
    assert!(!conformance(
        &example,
        &json!({"a": "1", "b": {"c": "y"}, "d": []}),
        "$",
        &[]
    )
    .is_empty());
    assert!(!conformance(&example, &json!({"a": 1, "b": {}, "d": []}), "$", &[]).is_empty());
    assert!(!conformance(
        &example,
        &json!({"a": 1, "b": {"c": "y"}, "d": [{"f": 1}]}),
        "$",
        &[]
    )
    .is_empty());
    assert!(conformance(
        &example,
        &json!({"a": 1, "b": {}, "d": [], "n": null}),
        "$",
        &["$.b.c"]
    )
    .is_empty());
}
