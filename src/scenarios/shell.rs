//! The small, safe subset of shell a scenario step may use: `az` commands split into words with
//! quotes, `\` line continuations, comments, and the agent's `$HAYMAKER_*` variables. Anything else
//! (pipes, `;`, `&&`, redirections, `$(…)`, backticks, other variables) is rejected, so a step can be run
//! as an argument vector without a shell.

use serde::Serialize;

/// Variables the agent sets for every step.
pub const ALLOWED_VARS: [&str; 6] = [
    "HAYMAKER_RUN_ID",
    "HAYMAKER_SCENARIO",
    "HAYMAKER_RESOURCE_GROUP",
    "HAYMAKER_LOCATION",
    "HAYMAKER_SUFFIX",
    "HAYMAKER_PASSWORD",
];

/// Part of a word: literal text or a variable reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Segment {
    Lit(String),
    Var(String),
}

/// One shell word (an argument).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Word(pub Vec<Segment>);

impl Word {
    /// The word's text when it holds no variable.
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for s in &self.0 {
            match s {
                Segment::Lit(t) => out.push_str(t),
                Segment::Var(_) => return None,
            }
        }
        Some(out)
    }

    /// The word as written, with variables shown as `$NAME`.
    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(|s| match s {
                Segment::Lit(t) => t.clone(),
                Segment::Var(v) => format!("${v}"),
            })
            .collect()
    }

    /// The word with variables replaced through `lookup` (unknown ones become empty).
    pub fn expand(&self, lookup: &dyn Fn(&str) -> Option<String>) -> String {
        self.0
            .iter()
            .map(|s| match s {
                Segment::Lit(t) => t.clone(),
                Segment::Var(v) => lookup(v).unwrap_or_default(),
            })
            .collect()
    }

    fn push_char(&mut self, c: char) {
        match self.0.last_mut() {
            Some(Segment::Lit(t)) => t.push(c),
            _ => self.0.push(Segment::Lit(c.to_string())),
        }
    }
}

/// One command of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    /// 1-based line in the document where the command starts.
    pub line: usize,
    pub words: Vec<Word>,
    /// The reason given in a `# untagged: …` comment right before the command.
    pub untagged_reason: Option<String>,
}

impl Command {
    /// The command group and verb: `az network vnet create --name x` → `network vnet create`.
    pub fn path(&self) -> Vec<String> {
        self.words
            .iter()
            .skip(1)
            .map_while(|w| w.literal().filter(|t| !t.starts_with('-')))
            .collect()
    }

    /// True for `az … create`.
    pub fn is_create(&self) -> bool {
        self.path().last().is_some_and(|v| v == "create")
    }

    /// The values following `flag` up to the next option.
    pub fn values_of(&self, flag: &str) -> Option<Vec<&Word>> {
        let at = self
            .words
            .iter()
            .position(|w| w.literal().as_deref() == Some(flag))?;
        Some(
            self.words[at + 1..]
                .iter()
                .take_while(|w| !w.literal().is_some_and(|t| t.starts_with("--")))
                .collect(),
        )
    }

    /// The command as written on one line.
    pub fn render(&self) -> String {
        self.words
            .iter()
            .map(Word::render)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A problem in a step, at a document line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError {
    pub line: usize,
    pub message: String,
}

/// Splits the text of a fenced block (whose first line is document line `first_line`) into commands.
pub fn parse_block(text: &str, first_line: usize) -> Result<Vec<Command>, ShellError> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        line: first_line,
    };
    let mut commands = Vec::new();
    let mut pending_reason: Option<String> = None;
    loop {
        p.skip_blank();
        let Some(c) = p.peek() else { break };
        if c == '#' {
            let comment = p.rest_of_line();
            let body = comment.trim_start_matches('#').trim();
            if let Some(reason) = body.strip_prefix("untagged:") {
                pending_reason = Some(reason.trim().to_string());
            }
            continue;
        }
        let line = p.line;
        let words = p.command()?;
        if words.is_empty() {
            continue;
        }
        if words[0].literal().as_deref() != Some("az") {
            return Err(ShellError {
                line,
                message: format!(
                    "steps hold only `az` commands, found `{}`",
                    words[0].render()
                ),
            });
        }
        commands.push(Command {
            line,
            words,
            untagged_reason: pending_reason.take(),
        });
    }
    Ok(commands)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, ShellError> {
        Err(ShellError {
            line: self.line,
            message: message.into(),
        })
    }

    fn skip_blank(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn rest_of_line(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            out.push(c);
            self.bump();
        }
        out
    }

    /// Reads words until an unescaped newline.
    fn command(&mut self) -> Result<Vec<Word>, ShellError> {
        let mut words = Vec::new();
        loop {
            while self.peek().is_some_and(|c| c == ' ' || c == '\t') {
                self.bump();
            }
            match self.peek() {
                None | Some('\n') => return Ok(words),
                Some('\\') if self.chars.get(self.pos + 1) == Some(&'\n') => {
                    self.bump();
                    self.bump();
                }
                Some('#') => {
                    self.rest_of_line();
                }
                Some(_) => words.push(self.word()?),
            }
        }
    }

    fn word(&mut self) -> Result<Word, ShellError> {
        let mut w = Word::default();
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' => break,
                '\\' => {
                    if self.chars.get(self.pos + 1) == Some(&'\n') {
                        break;
                    }
                    self.bump();
                    match self.bump() {
                        Some(e) => w.push_char(e),
                        None => return self.err("a `\\` ends the step"),
                    }
                }
                '\'' => {
                    self.bump();
                    loop {
                        match self.bump() {
                            Some('\'') => break,
                            Some(ch) => w.push_char(ch),
                            None => return self.err("unclosed single quote"),
                        }
                    }
                }
                '"' => {
                    self.bump();
                    loop {
                        match self.peek() {
                            Some('"') => {
                                self.bump();
                                break;
                            }
                            Some('\\') => {
                                self.bump();
                                match self.bump() {
                                    Some(e @ ('"' | '\\' | '$' | '`')) => w.push_char(e),
                                    Some('\n') => {}
                                    Some(e) => {
                                        w.push_char('\\');
                                        w.push_char(e);
                                    }
                                    None => return self.err("unclosed double quote"),
                                }
                            }
                            Some('$') => self.variable(&mut w)?,
                            Some('`') => return self.forbidden("`"),
                            Some(ch) => {
                                self.bump();
                                w.push_char(ch);
                            }
                            None => return self.err("unclosed double quote"),
                        }
                    }
                }
                '$' => self.variable(&mut w)?,
                '|' | ';' | '&' | '>' | '<' | '`' | '(' | ')' => {
                    return self.forbidden(&c.to_string())
                }
                _ => {
                    self.bump();
                    w.push_char(c);
                }
            }
        }
        Ok(w)
    }

    fn forbidden<T>(&self, what: &str) -> Result<T, ShellError> {
        self.err(format!(
            "shell syntax `{what}` is not allowed in a step; a step is plain `az` commands (quote it if it is part of a value)"
        ))
    }

    /// `$NAME` or `${NAME}`; the cursor is on `$`.
    fn variable(&mut self, w: &mut Word) -> Result<(), ShellError> {
        self.bump();
        let braced = self.peek() == Some('{');
        if braced {
            self.bump();
        } else if self.peek() == Some('(') {
            return self.forbidden("$(");
        }
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                name.push(c);
                self.bump();
            } else {
                break;
            }
        }
        if braced && self.bump() != Some('}') {
            return self.err("`${` without a closing `}`");
        }
        if name.is_empty() {
            return self.err("a `$` that starts no variable; quote it with single quotes");
        }
        if !ALLOWED_VARS.contains(&name.as_str()) {
            return self.err(format!(
                "variable `${name}` is not one the agent sets; use one of {}",
                ALLOWED_VARS.map(|v| format!("${v}")).join(", ")
            ));
        }
        w.0.push(Segment::Var(name));
        Ok(())
    }
}

#[cfg(test)]
#[path = "shell_tests.rs"]
mod tests;
