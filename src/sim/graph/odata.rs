//! The OData query options Graph's directory collections take, as far as haymaker (and a careful
//! hand with `az rest`) uses them: `$filter` with `startswith(prop,'…')` and `prop eq '…'` joined by
//! `and`, `$select`, `$top` (1–999, default 100) and the `$skiptoken` of `@odata.nextLink`.
//! Everything else is refused with Graph's 400, naming the option.
//!
//! String comparisons are case-insensitive, as Graph's are on directory objects.

use serde_json::{Map, Value};

use crate::sim::state::Failure;

/// Graph's default page size for directory collections.
pub const DEFAULT_TOP: usize = 100;
/// Graph's largest page for directory collections.
pub const MAX_TOP: usize = 999;

/// One comparison of a `$filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    StartsWith { property: String, prefix: String },
    Equals { property: String, value: String },
}

/// The parsed query options of a list request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: Vec<Clause>,
    pub select: Option<Vec<String>>,
    pub top: Option<usize>,
    /// The object id the previous page ended at.
    pub skip_token: Option<String>,
}

fn bad(message: String) -> Failure {
    Failure::new(400, "Request_BadRequest", message)
}

fn unsupported(message: String) -> Failure {
    Failure::new(400, "Request_UnsupportedQuery", message)
}

/// `'it''s'` → `it's`, and the rest of the input after the literal.
fn string_literal(input: &str) -> Option<(String, &str)> {
    let rest = input.trim_start().strip_prefix('\'')?;
    let mut out = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if matches!(chars.peek(), Some((_, '\''))) {
                chars.next();
                out.push('\'');
            } else {
                return Some((out, &rest[i + 1..]));
            }
        } else {
            out.push(c);
        }
    }
    None
}

fn identifier(input: &str) -> (&str, &str) {
    let input = input.trim_start();
    let end = input
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(input.len());
    (&input[..end], &input[end..])
}

fn clause(input: &str) -> Option<(Clause, &str)> {
    let (word, rest) = identifier(input);
    if word.eq_ignore_ascii_case("startswith") {
        let rest = rest.trim_start().strip_prefix('(')?;
        let (property, rest) = identifier(rest);
        let rest = rest.trim_start().strip_prefix(',')?;
        let (prefix, rest) = string_literal(rest)?;
        let rest = rest.trim_start().strip_prefix(')')?;
        return Some((
            Clause::StartsWith {
                property: property.to_string(),
                prefix,
            },
            rest,
        ));
    }
    let (op, rest) = identifier(rest);
    if word.is_empty() || !op.eq_ignore_ascii_case("eq") {
        return None;
    }
    let (value, rest) = string_literal(rest)?;
    Some((
        Clause::Equals {
            property: word.to_string(),
            value,
        },
        rest,
    ))
}

/// Parses a `$filter` of clauses joined by `and`.
pub fn parse_filter(text: &str) -> Result<Vec<Clause>, Failure> {
    let invalid = || {
        unsupported(format!(
            "Invalid filter clause: the simulator understands startswith(property,'text') and property eq 'text', joined by 'and'; got '{text}'."
        ))
    };
    let mut clauses = Vec::new();
    let mut rest = text;
    loop {
        let (c, after) = clause(rest).ok_or_else(invalid)?;
        clauses.push(c);
        let after = after.trim_start();
        if after.is_empty() {
            return Ok(clauses);
        }
        let (word, after) = identifier(after);
        if !word.eq_ignore_ascii_case("and") {
            return Err(invalid());
        }
        rest = after;
    }
}

/// Reads the query options of a list request; `filterable` are the properties `$filter` may name.
pub fn parse_list_query(
    query: &[(String, String)],
    filterable: &[&str],
) -> Result<ListQuery, Failure> {
    let mut out = ListQuery::default();
    for (name, value) in query {
        match name.to_ascii_lowercase().as_str() {
            "$filter" => {
                let clauses = parse_filter(value)?;
                for c in &clauses {
                    let (Clause::StartsWith { property, .. } | Clause::Equals { property, .. }) = c;
                    if !filterable.iter().any(|p| p.eq_ignore_ascii_case(property)) {
                        return Err(unsupported(format!(
                            "Unsupported or invalid query filter clause specified for property '{property}'; the simulator filters on {}.",
                            filterable.join(", ")
                        )));
                    }
                }
                out.filter = clauses;
            }
            "$select" => {
                out.select = Some(
                    value
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                )
            }
            "$top" => {
                let top = value
                    .parse::<usize>()
                    .ok()
                    .filter(|t| (1..=MAX_TOP).contains(t))
                    .ok_or_else(|| {
                        bad(format!(
                            "Invalid page size specified: '{value}'. Must be between 1 and {MAX_TOP} inclusive."
                        ))
                    })?;
                out.top = Some(top);
            }
            "$skiptoken" => out.skip_token = Some(value.clone()),
            other if other.starts_with('$') => {
                return Err(bad(format!(
                    "Query option '{name}' is not served by the simulator (it serves $filter, $select, $top)."
                )))
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Whether `object` (a full representation) passes every clause.
pub fn matches(object: &Map<String, Value>, clauses: &[Clause]) -> bool {
    let text = |property: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(property))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_lowercase)
    };
    clauses.iter().all(|c| match c {
        Clause::StartsWith { property, prefix } => {
            text(property).is_some_and(|v| v.starts_with(&prefix.to_lowercase()))
        }
        Clause::Equals { property, value } => text(property) == Some(value.to_lowercase()),
    })
}

/// Keeps only the `$select`ed properties (Graph answers 400 for a name the type does not have).
pub fn select(
    object: Map<String, Value>,
    select: Option<&[String]>,
    type_name: &str,
) -> Result<Map<String, Value>, Failure> {
    let Some(names) = select else {
        return Ok(object);
    };
    let mut out = Map::new();
    for name in names {
        let (key, value) = object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                bad(format!(
                    "Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."
                ))
            })?;
        out.insert(key.clone(), value.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_with_quotes_and_conjunctions() {
        assert_eq!(
            parse_filter("startswith(displayName,'hm-run''s')").unwrap(),
            [Clause::StartsWith {
                property: "displayName".into(),
                prefix: "hm-run's".into()
            }]
        );
        assert_eq!(
            parse_filter("appId eq 'abc' and startswith(displayName, 'x')").unwrap(),
            [
                Clause::Equals {
                    property: "appId".into(),
                    value: "abc".into()
                },
                Clause::StartsWith {
                    property: "displayName".into(),
                    prefix: "x".into()
                }
            ]
        );
        for bad in [
            "",
            "startswith(displayName,'x'",
            "appId ne 'x'",
            "appId eq 'x' or appId eq 'y'",
            "appId eq x",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn list_options_are_checked() {
        let q = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            parse_list_query(&pairs, &["displayName", "appId"])
        };
        assert_eq!(q(&[("$top", "999")]).unwrap().top, Some(999));
        assert!(q(&[("$top", "1000")]).is_err());
        assert!(q(&[("$top", "0")]).is_err());
        assert!(q(&[("$orderby", "displayName")]).is_err());
        assert!(q(&[("$filter", "notes eq 'x'")]).is_err());
        assert!(q(&[("api-version", "1")]).is_ok());
    }

    #[test]
    fn matching_and_selecting_ignore_case() {
        let object: Map<String, Value> =
            serde_json::from_str(r#"{"displayName":"HM-Run-1","appId":"A1","id":"x"}"#).unwrap();
        let f = parse_filter("startswith(displayname,'hm-run')").unwrap();
        assert!(matches(&object, &f));
        assert!(!matches(&object, &parse_filter("appId eq 'a2'").unwrap()));
        let picked = select(object.clone(), Some(&["APPID".into()]), "application").unwrap();
        assert_eq!(Value::Object(picked), serde_json::json!({"appId":"A1"}));
        assert!(select(object, Some(&["nope".into()]), "application").is_err());
    }
}
