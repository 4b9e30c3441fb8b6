//! The TOML front matter of a scenario document.

use serde::Deserialize;

use super::parse::Doc;
use super::{Area, Metadata, RoleScope};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetadata {
    area: String,
    resource_types: Vec<String>,
    estimated_duration_minutes: u32,
    required_roles: Vec<String>,
    #[serde(default)]
    role_scope: RoleScope,
}

/// Reads the TOML front matter between `+++` lines. Returns the metadata and the first body line index.
pub(super) fn front_matter(doc: &mut Doc, text: &str) -> (Option<Metadata>, usize) {
    let lines: Vec<&str> = text.lines().collect();
    if lines.first().map(|l| l.trim()) != Some("+++") {
        doc.err(1, "no metadata: the document must start with TOML front matter between `+++` lines (see SCENARIO_TEMPLATE.md)");
        return (None, 0);
    }
    let Some(end) = lines
        .iter()
        .skip(1)
        .position(|l| l.trim() == "+++")
        .map(|p| p + 1)
    else {
        doc.err(1, "the front matter's closing `+++` is missing");
        return (None, 0);
    };
    let toml_text = lines[1..end].join("\n");
    let line_of = |key: &str| {
        lines[1..end]
            .iter()
            .position(|l| l.trim_start().starts_with(key))
            .map_or(1, |p| p + 2)
    };
    let raw: RawMetadata = match toml::from_str(&toml_text) {
        Ok(r) => r,
        Err(e) => {
            let line = e
                .span()
                .map_or(1, |s| toml_text[..s.start].matches('\n').count() + 2);
            doc.err(line, format!("metadata: {}", e.message()));
            return (None, end + 1);
        }
    };
    let area = match raw.area.parse::<Area>() {
        Ok(a) => Some(a),
        Err(e) => {
            doc.err(line_of("area"), e);
            None
        }
    };
    if raw.resource_types.is_empty() {
        doc.err(
            line_of("resource_types"),
            "resource_types is empty; list every ARM type the scenario creates",
        );
    }
    for (i, t) in raw.resource_types.iter().enumerate() {
        if !is_resource_type(t) {
            doc.err(line_of("resource_types"), format!("resource type `{t}` is not of the form Namespace/type[/child] (e.g. Microsoft.Network/virtualNetworks)"));
        } else if raw.resource_types[..i]
            .iter()
            .any(|p| p.eq_ignore_ascii_case(t))
        {
            doc.err(
                line_of("resource_types"),
                format!("resource type `{t}` is listed twice"),
            );
        }
    }
    if raw.estimated_duration_minutes == 0 || raw.estimated_duration_minutes > 72 * 60 {
        doc.err(
            line_of("estimated_duration_minutes"),
            "estimated_duration_minutes must be between 1 and 4320",
        );
    }
    if raw.required_roles.iter().all(|r| r.trim().is_empty()) {
        doc.err(line_of("required_roles"), "required_roles is empty; name the built-in roles the scenario needs (e.g. Contributor)");
    }
    let metadata = area.map(|area| Metadata {
        area,
        resource_types: raw.resource_types,
        estimated_duration_minutes: raw.estimated_duration_minutes,
        required_roles: raw.required_roles,
        role_scope: raw.role_scope,
    });
    (metadata, end + 1)
}

/// `Namespace.Sub/type[/child…]`, e.g. `Microsoft.Network/virtualNetworks/subnets`.
pub fn is_resource_type(t: &str) -> bool {
    let mut parts = t.split('/');
    let ns = parts.next().unwrap_or("");
    let ns_ok = ns.contains('.')
        && ns
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && ns.starts_with(|c: char| c.is_ascii_uppercase());
    let types: Vec<&str> = parts.collect();
    ns_ok
        && !types.is_empty()
        && types.iter().all(|p| {
            p.starts_with(|c: char| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric())
        })
}
