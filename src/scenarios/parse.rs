//! Parses and validates one scenario document. Every problem is reported with file and line, and all
//! problems of a document are reported together.

use std::fmt;

use super::metadata::front_matter;
use super::shell::{self, Command};
use super::{Area, Scenario, Step};

/// The sections every document has, in this order.
pub const SECTIONS: [&str; 13] = [
    "Technology Area",
    "Company Profile",
    "Scenario Description",
    "Azure Services Used",
    "Prerequisites",
    "Phase 1: Deployment and Validation",
    "Phase 2: Mid-Day Operations and Management",
    "Phase 3: Cleanup and Tear-Down",
    "Resource Naming Convention",
    "Documentation References",
    "Automation Tool",
    "Estimated Duration",
    "Notes",
];
const PHASES: [usize; 3] = [5, 6, 7];

/// One problem in one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

struct Section {
    index: usize,
    line: usize,
    body: Vec<(usize, String)>,
}

pub(super) struct Doc<'a> {
    file: &'a str,
    diags: Vec<Diagnostic>,
}

impl Doc<'_> {
    pub(super) fn err(&mut self, line: usize, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            file: self.file.to_string(),
            line,
            message: message.into(),
        });
    }
}

/// Parses `text` (the contents of `file`). Returns the scenario when there were no problems.
pub fn parse_document(file: &str, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let mut doc = Doc {
        file,
        diags: Vec::new(),
    };
    let name = file
        .rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".md")
        .to_string();
    let name_area = check_name(&mut doc, &name);
    let (metadata, body_start) = front_matter(&mut doc, text);
    if let (Some(m), Some(a)) = (&metadata, name_area) {
        if m.area != a {
            doc.err(
                2,
                format!(
                    "area `{}` does not match the file name's prefix `{a}`",
                    m.area
                ),
            );
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    let (title, sections) = outline(&mut doc, &lines, body_start);
    check_sections(&mut doc, &sections, lines.len());
    if let (Some(m), Some(s)) = (&metadata, sections.iter().find(|s| s.index == 0)) {
        let written = s.body.iter().map(|(_, t)| t.trim()).find(|t| !t.is_empty());
        if let Some(written) = written {
            if written.parse::<Area>().ok() != Some(m.area) {
                doc.err(
                    s.line + 1,
                    format!(
                        "Technology Area says `{written}` but the metadata says `{}` ({})",
                        m.area.display_name(),
                        m.area
                    ),
                );
            }
        }
    }
    let mut phases: [Vec<Step>; 3] = Default::default();
    for (slot, &index) in PHASES.iter().enumerate() {
        if let Some(s) = sections.iter().find(|s| s.index == index) {
            let (parsed, blocks) = steps(&mut doc, s);
            phases[slot] = parsed;
            if blocks == 0 && !s.body.iter().all(|(_, t)| t.trim().is_empty()) {
                doc.err(
                    s.line,
                    format!("empty phase: `## {}` has no ```bash steps", SECTIONS[index]),
                );
            }
        }
    }
    for cmd in phases.iter().flatten().flat_map(|s| &s.commands) {
        check_tags(&mut doc, cmd, &name);
    }
    match (doc.diags.is_empty(), metadata, title) {
        (true, Some(metadata), Some(title)) => {
            let [deployment, operations, cleanup] = phases;
            Ok(Scenario {
                name,
                title,
                metadata,
                deployment,
                operations,
                cleanup,
                document: text.to_string(),
            })
        }
        _ => Err(doc.diags),
    }
}

/// `{area}-{NN}-{slug}`; returns the area when the name has that shape.
fn check_name(doc: &mut Doc, name: &str) -> Option<Area> {
    let area = Area::ALL
        .into_iter()
        .filter(|a| name.starts_with(&format!("{}-", a.slug())))
        .max_by_key(|a| a.slug().len());
    let ok = area.is_some_and(|a| {
        let rest = &name[a.slug().len() + 1..];
        // By `get`, not `split_at`: byte 2 may fall inside a multi-byte character (found by fuzzing).
        let (nn, slug) = (rest.get(..2).unwrap_or(""), rest.get(2..).unwrap_or(""));
        nn.len() == 2
            && nn.chars().all(|c| c.is_ascii_digit())
            && slug.len() > 1
            && slug.starts_with('-')
            && !slug.ends_with('-')
            && slug[1..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    if !ok {
        doc.err(1, format!("file name `{name}.md` is not `{{area}}-{{NN}}-{{slug}}.md` (e.g. compute-01-linux-vm-nginx.md); areas: {}", Area::slugs()));
        return None;
    }
    area
}

/// Finds the title and the `##` sections, ignoring headings inside fenced blocks.
fn outline(doc: &mut Doc, lines: &[&str], start: usize) -> (Option<String>, Vec<Section>) {
    let mut title = None;
    let mut sections: Vec<Section> = Vec::new();
    let mut in_fence = false;
    for (i, raw) in lines.iter().enumerate().skip(start) {
        let n = i + 1;
        if raw.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && raw.starts_with("# ") {
            match raw[2..].trim().strip_prefix("Scenario:").map(str::trim) {
                Some(t) if !t.is_empty() && title.is_none() && sections.is_empty() => {
                    title = Some(t.to_string())
                }
                Some(_) if title.is_some() => doc.err(n, "a second `# Scenario:` title"),
                _ => doc.err(
                    n,
                    "the title must read `# Scenario: <title>` and come before the sections",
                ),
            }
            continue;
        } else if !in_fence && raw.starts_with("## ") {
            let heading = raw[3..].trim();
            match SECTIONS.iter().position(|s| *s == heading) {
                Some(index) => sections.push(Section {
                    index,
                    line: n,
                    body: Vec::new(),
                }),
                None => doc.err(
                    n,
                    format!(
                        "unknown section `## {heading}`; the sections are: {}",
                        SECTIONS.join(" / ")
                    ),
                ),
            }
            continue;
        }
        if let Some(s) = sections.last_mut() {
            s.body.push((n, raw.to_string()));
        }
    }
    if in_fence {
        doc.err(lines.len(), "a ``` fence is never closed");
    }
    if title.is_none() {
        doc.err(start + 1, "missing title `# Scenario: <title>`");
    }
    (title, sections)
}

fn check_sections(doc: &mut Doc, sections: &[Section], last_line: usize) {
    for (i, s) in sections.iter().enumerate() {
        if sections[..i].iter().any(|p| p.index == s.index) {
            doc.err(
                s.line,
                format!("duplicated section `## {}`", SECTIONS[s.index]),
            );
        } else if let Some(prev) = sections[..i]
            .iter()
            .filter(|p| p.index > s.index)
            .max_by_key(|p| p.index)
        {
            doc.err(
                s.line,
                format!(
                    "section `## {}` is out of order: it must come before `## {}`",
                    SECTIONS[s.index], SECTIONS[prev.index]
                ),
            );
        }
        if s.body.iter().all(|(_, t)| t.trim().is_empty()) {
            doc.err(
                s.line,
                format!("section `## {}` is empty", SECTIONS[s.index]),
            );
        }
    }
    for (index, name) in SECTIONS.iter().enumerate() {
        if !sections.iter().any(|s| s.index == index) {
            let at = sections
                .iter()
                .find(|s| s.index > index)
                .map_or(last_line, |s| s.line);
            doc.err(at, format!("missing section `## {name}`"));
        }
    }
}

/// The fenced `bash` blocks of a phase section, parsed into steps, and how many such blocks there were.
fn steps(doc: &mut Doc, section: &Section) -> (Vec<Step>, usize) {
    let mut out = Vec::new();
    let mut blocks = 0;
    let mut block: Option<(usize, String)> = None;
    for (n, text) in &section.body {
        let t = text.trim_start();
        match &mut block {
            None if t.starts_with("```") => {
                let lang = t.trim_start_matches('`').trim();
                if matches!(lang, "bash" | "sh" | "shell") {
                    block = Some((*n, String::new()));
                } else {
                    block = Some((0, String::new()));
                }
            }
            Some((start, body)) if t.starts_with("```") => {
                if *start > 0 {
                    blocks += 1;
                    match shell::parse_block(body, *start + 1) {
                        Ok(commands) if commands.is_empty() => {
                            doc.err(*start, "empty step: the block holds no command")
                        }
                        Ok(commands) => out.push(Step {
                            line: *start,
                            commands,
                        }),
                        Err(e) => doc.err(e.line, e.message),
                    }
                }
                block = None;
            }
            Some((_, body)) => {
                body.push_str(text);
                body.push('\n');
            }
            None => {}
        }
    }
    (out, blocks)
}

/// Every `az … create` carries the three haymaker tags, or says why it cannot.
fn check_tags(doc: &mut Doc, cmd: &Command, name: &str) {
    if !cmd.is_create()
        || cmd
            .untagged_reason
            .as_deref()
            .is_some_and(|r| !r.is_empty())
    {
        return;
    }
    let tags: Vec<String> = cmd
        .values_of("--tags")
        .unwrap_or_default()
        .iter()
        .map(|w| w.render())
        .collect();
    let scenario_tag = format!("haymaker-scenario={name}");
    let wanted = [
        "haymaker-managed=true",
        "haymaker-run-id=$HAYMAKER_RUN_ID",
        scenario_tag.as_str(),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| {
            !tags.iter().any(|t| {
                t == w
                    || (w.starts_with("haymaker-scenario=")
                        && t == "haymaker-scenario=$HAYMAKER_SCENARIO")
            })
        })
        .collect();
    if !missing.is_empty() {
        doc.err(cmd.line, format!(
            "`az {}` creates a resource without the haymaker tags (missing {}); add `--tags haymaker-managed=true haymaker-run-id=$HAYMAKER_RUN_ID {scenario_tag}`, or put `# untagged: <reason>` on the line before if it cannot be tagged",
            cmd.path().join(" "), missing.join(", ")
        ));
    }
}
