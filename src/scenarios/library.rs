//! The scenario library: embedded in the binary (so the packaged Function App carries it), or a
//! directory named by `HAYMAKER_SCENARIOS_DIR`.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};

use super::parse::{parse_document, Diagnostic};
use super::{Area, Scenario};

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/scenarios");

/// Documents in the library folder that are never scenarios.
pub const NEVER_SELECTED: [&str; 2] = ["SCENARIO_TEMPLATE.md", "SCALING_PLAN.md"];

/// Reading a library directory failed.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("cannot read scenario directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Every document of a library, parsed.
#[derive(Debug, Clone)]
pub struct Library {
    /// Where it came from (`embedded` or a path), for messages.
    pub origin: String,
    scenarios: Vec<Scenario>,
    problems: Vec<Diagnostic>,
}

impl Library {
    /// The library embedded at build time.
    pub fn embedded() -> Self {
        let docs = EMBEDDED.files().filter_map(|f| {
            let name = f.path().file_name()?.to_str()?.to_string();
            Some((name, f.contents_utf8().unwrap_or("").to_string()))
        });
        Self::from_documents("embedded", docs)
    }

    /// `dir` when given, else the embedded library.
    pub fn load(dir: Option<&Path>) -> Result<Self, LibraryError> {
        match dir {
            None => Ok(Self::embedded()),
            Some(dir) => Self::from_dir(dir),
        }
    }

    /// Every `*.md` file directly in `dir`.
    pub fn from_dir(dir: &Path) -> Result<Self, LibraryError> {
        let io = |source| LibraryError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut docs = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            if path.is_file() && name.ends_with(".md") {
                let text = std::fs::read_to_string(&path).map_err(|source| LibraryError::Io {
                    path: path.clone(),
                    source,
                })?;
                docs.push((name, text));
            }
        }
        Ok(Self::from_documents(&dir.display().to_string(), docs))
    }

    /// Parses `(file name, text)` pairs; the template and scaling plan are skipped.
    pub fn from_documents(origin: &str, docs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut scenarios = Vec::new();
        let mut problems = Vec::new();
        let mut docs: Vec<_> = docs
            .into_iter()
            .filter(|(name, _)| name.ends_with(".md") && !NEVER_SELECTED.contains(&name.as_str()))
            .collect();
        docs.sort();
        for (name, text) in docs {
            match parse_document(&name, &text) {
                Ok(s) => scenarios.push(s),
                Err(mut d) => problems.append(&mut d),
            }
        }
        Self {
            origin: origin.to_string(),
            scenarios,
            problems,
        }
    }

    /// The valid scenarios, sorted by name.
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// Problems of the documents that failed to parse.
    pub fn problems(&self) -> &[Diagnostic] {
        &self.problems
    }

    pub fn get(&self, name: &str) -> Option<&Scenario> {
        let name = name.trim_end_matches(".md");
        self.scenarios.iter().find(|s| s.name == name)
    }

    pub fn in_area(&self, area: Area) -> impl Iterator<Item = &Scenario> {
        self.scenarios.iter().filter(move |s| s.area() == area)
    }
}
