//! The tokenizer: identifiers, quoted strings, numbers and KQL's operators, with positions.

use super::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    /// Punctuation and operators: `|`, `(`, `)`, `[`, `]`, `,`, `.`, `=`, `==`, `!=`, `=~`, `!~`,
    /// and `!word` / `word~` forms such as `!in`, `in~`, `!contains`.
    Sym(String),
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) start: usize,
}

pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |i: usize, message: &str| ParseError {
        message: message.to_string(),
        fragment: chars[i..].iter().take(40).collect(),
        position: i,
    };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let word = |mut j: usize| {
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            j
        };
        if c.is_alphabetic() || c == '_' {
            let mut end = word(i);
            if end < chars.len() && chars[end] == '~' {
                end += 1;
            }
            let w: String = chars[i..end].iter().collect();
            i = end;
            out.push(Token {
                tok: if w.ends_with('~') {
                    Tok::Sym(w)
                } else {
                    Tok::Ident(w)
                },
                start,
            });
        } else if c.is_ascii_digit() {
            let mut end = i;
            while end < chars.len() && (chars[end].is_ascii_digit() || chars[end] == '.') {
                end += 1;
            }
            let n: String = chars[i..end].iter().collect();
            let value = n.parse().map_err(|_| err(i, "Not a number"))?;
            i = end;
            out.push(Token {
                tok: Tok::Num(value),
                start,
            });
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err(err(i, "Unterminated string literal")),
                    Some('\\') => {
                        if let Some(n) = chars.get(j + 1) {
                            s.push(*n);
                        }
                        j += 2;
                    }
                    Some(q) if *q == c => break,
                    Some(other) => {
                        s.push(*other);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            out.push(Token {
                tok: Tok::Str(s),
                start,
            });
        } else if c == '!' && chars.get(i + 1).is_some_and(|n| n.is_alphabetic()) {
            let mut end = word(i + 1);
            if end < chars.len() && chars[end] == '~' {
                end += 1;
            }
            let w: String = chars[i..end].iter().collect();
            i = end;
            out.push(Token {
                tok: Tok::Sym(w),
                start,
            });
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = if ["==", "!=", "=~", "!~"].contains(&two.as_str()) {
                two
            } else if "|()[],.=".contains(c) {
                c.to_string()
            } else {
                return Err(err(i, "Unexpected character"));
            };
            i += sym.chars().count();
            out.push(Token {
                tok: Tok::Sym(sym),
                start,
            });
        }
    }
    Ok(out)
}
