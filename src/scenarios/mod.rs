//! Scenario documents: the model, the parser and validator, the library (embedded in the binary or a
//! directory), and the selection every run uses.

mod library;
mod metadata;
mod parse;
mod select;
pub mod shell;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use library::{Library, LibraryError, NEVER_SELECTED};
pub use parse::{parse_document, Diagnostic};
pub(crate) use select::SplitMix64;
pub use select::{select, SelectionError, Size};
pub use shell::{Command, Segment, Word};

/// The technology areas scenarios belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    AiMl,
    Analytics,
    Compute,
    Containers,
    Databases,
    HybridMulticloud,
    Identity,
    Networking,
    Security,
    WebApps,
}

impl Area {
    pub const ALL: [Area; 10] = [
        Area::AiMl,
        Area::Analytics,
        Area::Compute,
        Area::Containers,
        Area::Databases,
        Area::HybridMulticloud,
        Area::Identity,
        Area::Networking,
        Area::Security,
        Area::WebApps,
    ];

    /// The slug used in file names and metadata.
    pub fn slug(self) -> &'static str {
        match self {
            Area::AiMl => "ai-ml",
            Area::Analytics => "analytics",
            Area::Compute => "compute",
            Area::Containers => "containers",
            Area::Databases => "databases",
            Area::HybridMulticloud => "hybrid-multicloud",
            Area::Identity => "identity",
            Area::Networking => "networking",
            Area::Security => "security",
            Area::WebApps => "web-apps",
        }
    }

    /// The name a person reads (the `## Technology Area` section's text).
    pub fn display_name(self) -> &'static str {
        match self {
            Area::AiMl => "AI & ML",
            Area::Analytics => "Analytics",
            Area::Compute => "Compute",
            Area::Containers => "Containers",
            Area::Databases => "Databases",
            Area::HybridMulticloud => "Hybrid & Multicloud",
            Area::Identity => "Identity",
            Area::Networking => "Networking",
            Area::Security => "Security",
            Area::WebApps => "Web Apps",
        }
    }

    fn slugs() -> String {
        Area::ALL.map(Area::slug).join(", ")
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Area {
    type Err = String;
    /// Accepts the slug or the display name, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Area::ALL
            .into_iter()
            .find(|a| a.slug().eq_ignore_ascii_case(t) || a.display_name().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                format!(
                    "unknown technology area `{t}`; use one of {}",
                    Area::slugs()
                )
            })
    }
}

/// Where a scenario's principal gets its roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleScope {
    #[default]
    ResourceGroup,
    Subscription,
}

/// The machine-readable front matter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    pub area: Area,
    pub resource_types: Vec<String>,
    pub estimated_duration_minutes: u32,
    pub required_roles: Vec<String>,
    pub role_scope: RoleScope,
}

/// The three phases an agent carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    Deployment,
    Operations,
    Cleanup,
}

/// One step: one fenced `bash` block of a phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// 1-based line of the block's opening fence.
    pub line: usize,
    pub commands: Vec<Command>,
}

/// A parsed, valid scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    /// The file name without `.md`, e.g. `compute-01-linux-vm-nginx`.
    pub name: String,
    pub title: String,
    pub metadata: Metadata,
    pub deployment: Vec<Step>,
    pub operations: Vec<Step>,
    pub cleanup: Vec<Step>,
    /// The document as written (what an agent is given).
    #[serde(skip)]
    pub document: String,
}

impl Scenario {
    pub fn area(&self) -> Area {
        self.metadata.area
    }

    pub fn steps(&self, phase: PhaseKind) -> &[Step] {
        match phase {
            PhaseKind::Deployment => &self.deployment,
            PhaseKind::Operations => &self.operations,
            PhaseKind::Cleanup => &self.cleanup,
        }
    }
}

#[cfg(test)]
mod tests;
