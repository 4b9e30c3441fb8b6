//! Runs a parsed [`Query`](super::kql::Query) over rows (JSON objects): filters, projections,
//! ordering and limits, in the order the query gives them. Rows come in id order, so a query with
//! no `order by` pages stably.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::{CmpOp, Column, Direction, Expr, Literal, Op};

pub type Row = Map<String, Value>;

/// The value at `column` in `row`; `None` when absent. Keys of dynamic values (tags, properties)
/// are looked up exactly, then ignoring case.
pub fn lookup<'a>(row: &'a Row, column: &Column) -> Option<&'a Value> {
    let mut segments = column.0.iter();
    let first = segments.next()?;
    let mut current = row.get(first.as_str())?;
    for key in segments {
        let map = current.as_object()?;
        current = match map.get(key.as_str()) {
            Some(v) => v,
            None => map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)?,
        };
    }
    Some(current)
}

/// A value as KQL's string comparisons see it: strings as they are, numbers and booleans as text,
/// null or absent as the empty string.
fn text_of(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn literal_text(literal: &Literal) -> String {
    match literal {
        Literal::Str(s) => s.clone(),
        Literal::Num(n) => Value::from(*n).to_string(),
        Literal::Bool(b) => b.to_string(),
    }
}

fn equals(value: Option<&Value>, literal: &Literal, case_insensitive: bool) -> bool {
    match (value, literal) {
        (Some(Value::Number(n)), Literal::Num(want)) => n.as_f64() == Some(*want),
        (Some(Value::Bool(b)), Literal::Bool(want)) => b == want,
        _ => {
            let (got, want) = (text_of(value), literal_text(literal));
            if case_insensitive {
                got.to_lowercase() == want.to_lowercase()
            } else {
                got == want
            }
        }
    }
}

/// Whether `row` satisfies `expr`.
pub fn matches(row: &Row, expr: &Expr) -> bool {
    match expr {
        Expr::And(a, b) => matches(row, a) && matches(row, b),
        Expr::Or(a, b) => matches(row, a) || matches(row, b),
        Expr::Not(inner) => !matches(row, inner),
        Expr::Compare { column, op, value } => {
            let got = lookup(row, column);
            let lower = || {
                (
                    text_of(got).to_lowercase(),
                    literal_text(value).to_lowercase(),
                )
            };
            match op {
                CmpOp::Eq => equals(got, value, false),
                CmpOp::NotEq => !equals(got, value, false),
                CmpOp::EqCi => equals(got, value, true),
                CmpOp::NotEqCi => !equals(got, value, true),
                CmpOp::Contains => {
                    let (g, w) = lower();
                    g.contains(&w)
                }
                CmpOp::NotContains => {
                    let (g, w) = lower();
                    !g.contains(&w)
                }
                CmpOp::StartsWith => {
                    let (g, w) = lower();
                    g.starts_with(&w)
                }
                CmpOp::NotStartsWith => {
                    let (g, w) = lower();
                    !g.starts_with(&w)
                }
            }
        }
        Expr::In {
            column,
            values,
            negated,
            case_insensitive,
        } => {
            let got = lookup(row, column);
            let found = values.iter().any(|v| equals(got, v, *case_insensitive));
            found != *negated
        }
    }
}

fn compare_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    let rank = |v: Option<&Value>| match v {
        None | Some(Value::Null) => 0,
        _ => 1,
    };
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        _ if rank(a) != rank(b) => rank(a).cmp(&rank(b)),
        _ => text_of(a).cmp(&text_of(b)),
    }
}

/// Applies the query's operators to `rows`.
pub fn run(ops: &[Op], mut rows: Vec<Row>) -> Vec<Row> {
    for op in ops {
        match op {
            Op::Where(expr) => rows.retain(|r| matches(r, expr)),
            Op::Project(items) => {
                rows = rows
                    .into_iter()
                    .map(|row| {
                        items
                            .iter()
                            .map(|(name, column)| {
                                let value = lookup(&row, column).cloned().unwrap_or(Value::Null);
                                (name.clone(), value)
                            })
                            .collect()
                    })
                    .collect();
            }
            Op::Order(keys) => rows.sort_by(|a, b| {
                for (column, direction) in keys {
                    let ord = compare_values(lookup(a, column), lookup(b, column));
                    let ord = match direction {
                        Direction::Asc => ord,
                        Direction::Desc => ord.reverse(),
                    };
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                Ordering::Equal
            }),
            Op::Limit(n) => rows.truncate(*n),
        }
    }
    rows
}
