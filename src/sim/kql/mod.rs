//! The subset of KQL (Kusto Query Language) that Resource Graph queries from haymaker use, parsed by
//! hand: a table (`Resources`, `ResourceContainers`) followed by `| where`, `| project`,
//! `| order by` / `| sort by`, `| limit` / `| take`.
//!
//! `where` takes `and` / `or` / parentheses / `not(…)` over comparisons of a column path
//! (`type`, `tags['env']`, `tags.env`, `properties.provisioningState`) with a literal: `==`, `!=`
//! (case-sensitive), `=~`, `!~` (case-insensitive), `in (…)`, `!in (…)`, `in~ (…)`, `!in~ (…)`,
//! `contains`, `!contains`, `startswith`, `!startswith` (case-insensitive, as in KQL). Anything else
//! is a [`ParseError`] naming the fragment it could not read.
//!
//! | module | what it is for |
//! |---|---|
//! | `lex` | the tokenizer |
//! | `parser` | the recursive-descent parser |
//! | [`eval`] | running a parsed query over rows |

use std::fmt;

pub mod eval;
mod lex;
mod parser;

/// The table a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Resources,
    ResourceContainers,
}

/// A column, or a path into a dynamic column: `tags['env']` is `["tags", "env"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column(pub Vec<String>);

impl Column {
    /// The name a projection of this path gets in KQL: the segments joined with `_`.
    pub fn default_name(&self) -> String {
        self.0.join("_")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `=~`
    EqCi,
    /// `!~`
    NotEqCi,
    Contains,
    NotContains,
    StartsWith,
    NotStartsWith,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        column: Column,
        op: CmpOp,
        value: Literal,
    },
    In {
        column: Column,
        values: Vec<Literal>,
        negated: bool,
        case_insensitive: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Where(Expr),
    /// (output name, source column).
    Project(Vec<(String, Column)>),
    Order(Vec<(Column, Direction)>),
    Limit(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub table: Table,
    pub ops: Vec<Op>,
}

/// Why a query cannot be run: what was expected and the fragment found instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// The text from the offending token to the end of its `|` stage.
    pub fragment: String,
    /// 0-based character position of the fragment in the query.
    pub position: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at '{}' (position {})",
            self.message, self.fragment, self.position
        )
    }
}

/// Parses a query of the supported subset.
pub fn parse(text: &str) -> Result<Query, ParseError> {
    let tokens = lex::tokenize(text)?;
    let mut parser = parser::Parser {
        text,
        tokens,
        pos: 0,
    };
    parser.query()
}

#[cfg(test)]
mod tests;
