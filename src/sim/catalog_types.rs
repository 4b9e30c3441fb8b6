//! The resource types the simulated providers offer, with the api-versions each accepts: what
//! `GET …/providers/{namespace}` lists and what a request's `api-version` is checked against.
//!
//! The catalogue is built once, at first use, from three sources:
//! - [`KNOWN`]: types with api-versions their real providers list (newest first, a selection);
//! - every `resource_types` entry of the embedded scenario library, so a new scenario's types are
//!   offered without a change here — a type missing from [`KNOWN`] takes its nearest listed
//!   ancestor's versions (providers version a child with its parent), else the versions most types
//!   of its namespace share, else [`FALLBACK_VERSIONS`];
//! - the types the simulator serves itself (all in [`KNOWN`]).
//!
//! Child types are named below the namespace as providers list them (`virtualNetworks/subnets`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::scenarios::Library;

/// The versions a type nobody knows anything about is offered with (the documented fallback).
pub const FALLBACK_VERSIONS: &[&str] = &["2023-01-01", "2022-01-01"];

#[rustfmt::skip]
#[path = "catalog_known.rs"]
mod known;
pub use known::KNOWN;

/// One offered type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedType {
    pub namespace: String,
    /// Below the namespace, as the provider spells it: `virtualNetworks/subnets`.
    pub resource_type: String,
    /// Newest first.
    pub api_versions: Vec<String>,
}

/// Every offered type, keyed by lower-case `namespace/type`.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    types: BTreeMap<String, OfferedType>,
}

fn split(full: &str) -> Option<(&str, &str)> {
    full.split_once('/')
        .filter(|(n, t)| !n.is_empty() && !t.is_empty())
}

impl Catalogue {
    /// [`KNOWN`] plus `extra` types (scenario metadata), the latter versioned by inference.
    pub fn build<'a>(extra: impl IntoIterator<Item = &'a str>) -> Self {
        let mut c = Self::default();
        for (full, versions) in KNOWN {
            c.insert(full, versions.iter().map(|v| v.to_string()).collect());
        }
        for full in extra {
            if c.get(full).is_none() {
                let versions = c.inferred(full);
                c.insert(full, versions);
            }
        }
        c
    }

    fn insert(&mut self, full: &str, api_versions: Vec<String>) {
        let Some((namespace, resource_type)) = split(full) else {
            return;
        };
        self.types.insert(
            full.to_ascii_lowercase(),
            OfferedType {
                namespace: namespace.to_string(),
                resource_type: resource_type.to_string(),
                api_versions,
            },
        );
    }

    /// The nearest listed ancestor's versions, else the namespace's commonest, else the fallback.
    fn inferred(&self, full: &str) -> Vec<String> {
        let mut ancestor = full;
        while let Some((parent, _)) = ancestor.rsplit_once('/') {
            if let Some(t) = self.get(parent) {
                return t.api_versions.clone();
            }
            ancestor = parent;
        }
        let namespace = split(full).map_or("", |(n, _)| n);
        let mut counts: BTreeMap<&Vec<String>, usize> = BTreeMap::new();
        for t in self.in_namespace(namespace) {
            *counts.entry(&t.api_versions).or_default() += 1;
        }
        counts
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(v, _)| v.clone())
            .unwrap_or_else(|| FALLBACK_VERSIONS.iter().map(|v| v.to_string()).collect())
    }

    /// The type `Namespace/type[/child…]` (any case).
    pub fn get(&self, full: &str) -> Option<&OfferedType> {
        self.types.get(&full.to_ascii_lowercase())
    }

    /// The types of `namespace` (any case), in name order.
    pub fn in_namespace<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a OfferedType> {
        let namespace = namespace.to_ascii_lowercase();
        self.types
            .values()
            .filter(move |t| t.namespace.eq_ignore_ascii_case(&namespace))
    }

    /// Whether the catalogue has any type of `namespace`.
    pub fn knows_namespace(&self, namespace: &str) -> bool {
        self.in_namespace(namespace).next().is_some()
    }
}

/// The simulator's catalogue: [`KNOWN`] and the embedded scenario library's types.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let library = Library::embedded();
        let types: Vec<String> = library
            .scenarios()
            .iter()
            .flat_map(|s| s.metadata.resource_types.iter().cloned())
            .collect();
        Catalogue::build(types.iter().map(String::as_str))
    })
}

/// The newest stable api-version the simulator accepts for `Namespace/type[/child…]` (tests and
/// seeding use it to write what a real client would).
pub fn default_api_version(full: &str) -> Option<&'static str> {
    let t = catalogue().get(full)?;
    t.api_versions
        .iter()
        .find(|v| v.len() == 10)
        .or_else(|| t.api_versions.first())
        .map(String::as_str)
}

#[cfg(test)]
#[path = "catalog_types_tests.rs"]
mod tests;
