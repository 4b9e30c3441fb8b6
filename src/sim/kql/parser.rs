//! A recursive-descent parser over the tokens: operators, expressions (`or` below `and`), columns
//! and literals. Errors point at the token where reading stopped.

use super::lex::{Tok, Token};
use super::{CmpOp, Column, Direction, Expr, Literal, Op, ParseError, Query, Table};

pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) tokens: Vec<Token>,
    pub(super) pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).map(|t| t.tok.clone());
        self.pos += 1;
        t
    }

    /// An error at the current token: the fragment runs to the next `|` (or the end).
    fn error(&self, message: &str) -> ParseError {
        let start = self
            .tokens
            .get(self.pos)
            .map_or(self.text.chars().count(), |t| t.start);
        let rest: String = self.text.chars().skip(start).collect();
        let end = rest.find('|').unwrap_or(rest.len());
        let fragment = rest[..end].trim().to_string();
        ParseError {
            message: message.to_string(),
            fragment: if fragment.is_empty() {
                "<end of query>".into()
            } else {
                fragment
            },
            position: start,
        }
    }

    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if x == s)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x.eq_ignore_ascii_case(w))
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), ParseError> {
        if self.is_sym(s) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("Expected '{s}'")))
        }
    }

    fn ident(&mut self, what: &str) -> Result<String, ParseError> {
        match self.peek() {
            Some(Tok::Ident(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.error(&format!("Expected {what}"))),
        }
    }

    pub(super) fn query(&mut self) -> Result<Query, ParseError> {
        let name = self.ident("a table name (Resources or ResourceContainers)")?;
        let table = match name.to_ascii_lowercase().as_str() {
            "resources" => Table::Resources,
            "resourcecontainers" => Table::ResourceContainers,
            _ => {
                self.pos -= 1;
                return Err(self.error(
                    "Unknown table; the simulator serves Resources and ResourceContainers",
                ));
            }
        };
        let mut ops = Vec::new();
        while self.peek().is_some() {
            self.expect_sym("|")?;
            ops.push(self.operator()?);
        }
        Ok(Query { table, ops })
    }

    fn operator(&mut self) -> Result<Op, ParseError> {
        let start = self.pos;
        let word = self.ident("an operator (where, project, order by, limit, take)")?;
        match word.to_ascii_lowercase().as_str() {
            "where" => Ok(Op::Where(self.or_expr()?)),
            "project" => self.project(),
            "order" | "sort" => {
                if !self.is_word("by") {
                    return Err(self.error("Expected 'by'"));
                }
                self.pos += 1;
                let mut keys = vec![self.order_key()?];
                while self.is_sym(",") {
                    self.pos += 1;
                    keys.push(self.order_key()?);
                }
                self.end_of_stage()?;
                Ok(Op::Order(keys))
            }
            "limit" | "take" => match self.next() {
                Some(Tok::Num(n)) if n >= 0.0 && n.fract() == 0.0 => {
                    self.end_of_stage()?;
                    Ok(Op::Limit(n as usize))
                }
                _ => {
                    self.pos -= 1;
                    Err(self.error("Expected a whole number of rows"))
                }
            },
            _ => {
                self.pos = start;
                Err(self.error("Unsupported operator (the simulator knows where, project, order by, sort by, limit, take)"))
            }
        }
    }

    fn end_of_stage(&self) -> Result<(), ParseError> {
        if self.peek().is_none() || self.is_sym("|") {
            Ok(())
        } else {
            Err(self.error("Unexpected text"))
        }
    }

    fn project(&mut self) -> Result<Op, ParseError> {
        let mut items = Vec::new();
        loop {
            let column = self.column()?;
            let item = if self.is_sym("=") {
                self.pos += 1;
                if column.0.len() != 1 {
                    return Err(self.error("A projected name must be a plain name"));
                }
                (column.0[0].clone(), self.column()?)
            } else {
                (column.default_name(), column)
            };
            items.push(item);
            if self.is_sym(",") {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.end_of_stage()?;
        Ok(Op::Project(items))
    }

    fn order_key(&mut self) -> Result<(Column, Direction), ParseError> {
        let column = self.column()?;
        let direction = if self.is_word("asc") {
            self.pos += 1;
            Direction::Asc
        } else if self.is_word("desc") {
            self.pos += 1;
            Direction::Desc
        } else {
            // KQL sorts descending unless told otherwise.
            Direction::Desc
        };
        Ok((column, direction))
    }

    /// `name`, `name.key`, `name['key']`, `name["key"]`, in any combination.
    fn column(&mut self) -> Result<Column, ParseError> {
        let mut path = vec![self.ident("a column name")?];
        loop {
            if self.is_sym(".") {
                self.pos += 1;
                path.push(self.ident("a property name after '.'")?);
            } else if self.is_sym("[") {
                self.pos += 1;
                match self.next() {
                    Some(Tok::Str(s)) => path.push(s),
                    _ => {
                        self.pos -= 1;
                        return Err(self.error("Expected a quoted key inside [ ]"));
                    }
                }
                self.expect_sym("]")?;
            } else {
                return Ok(Column(path));
            }
        }
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and_expr()?;
        while self.is_word("or") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and_expr()?));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.primary()?;
        while self.is_word("and") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        if self.is_sym("(") {
            self.pos += 1;
            let inner = self.or_expr()?;
            self.expect_sym(")")?;
            return Ok(inner);
        }
        if self.is_word("not")
            && matches!(self.tokens.get(self.pos + 1).map(|t| &t.tok), Some(Tok::Sym(s)) if s == "(")
        {
            self.pos += 2;
            let inner = self.or_expr()?;
            self.expect_sym(")")?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        let column_at = self.pos;
        let column = self.column()?;
        if self.is_sym("(") {
            self.pos = column_at;
            return Err(self.error("Unsupported function (the simulator knows not(…) only)"));
        }
        let op_at = self.pos;
        let op = match self.next() {
            Some(Tok::Sym(s)) | Some(Tok::Ident(s)) => s.to_ascii_lowercase(),
            _ => {
                self.pos = op_at;
                return Err(self.error("Expected a comparison operator"));
            }
        };
        let cmp = match op.as_str() {
            "==" => Some(CmpOp::Eq),
            "!=" => Some(CmpOp::NotEq),
            "=~" => Some(CmpOp::EqCi),
            "!~" => Some(CmpOp::NotEqCi),
            "contains" => Some(CmpOp::Contains),
            "!contains" => Some(CmpOp::NotContains),
            "startswith" => Some(CmpOp::StartsWith),
            "!startswith" => Some(CmpOp::NotStartsWith),
            "in" | "!in" | "in~" | "!in~" => None,
            _ => {
                self.pos = op_at;
                return Err(self.error("Unsupported comparison operator (the simulator knows ==, !=, =~, !~, in, !in, in~, !in~, contains, !contains, startswith, !startswith)"));
            }
        };
        if let Some(op) = cmp {
            let value = self.literal()?;
            return Ok(Expr::Compare { column, op, value });
        }
        self.expect_sym("(")?;
        let mut values = vec![self.literal()?];
        while self.is_sym(",") {
            self.pos += 1;
            values.push(self.literal()?);
        }
        self.expect_sym(")")?;
        Ok(Expr::In {
            column,
            values,
            negated: op.starts_with('!'),
            case_insensitive: op.ends_with('~'),
        })
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Literal::Str(s)),
            Some(Tok::Num(n)) => Ok(Literal::Num(n)),
            Some(Tok::Ident(w)) if w == "true" || w == "false" => Ok(Literal::Bool(w == "true")),
            _ => {
                self.pos -= 1;
                Err(self.error("Expected a literal ('text', a number, true or false)"))
            }
        }
    }
}
