//! The resource index: a run's ledger (`execution-reports/{run}/resources.json`, one document) held in
//! memory in the contract's shape, with positions per scenario, type and status, so a page of
//! `/runs/{id}/resources` costs O(page) once the ledger is loaded. Freshness is checked per request
//! with the store's cheap change token ([`StateStore::version`]); the ledger is re-read and re-indexed
//! only when it changed. Filter combinations are computed once per ledger version and kept.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::model::Resource;
use crate::events::{Ledger, ResourceStatus};
use crate::run::keys;
use crate::store::{StateStore, StoreError};

/// Runs whose index is kept (the active run and a few looked at recently).
const MAX_RUNS: usize = 8;
/// Filter combinations kept per run.
const MAX_FILTERS: usize = 64;

/// What `/resources` filters by.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ResourceFilter {
    pub scenario_name: Option<String>,
    pub resource_type: Option<String>,
    pub status: Option<ResourceStatus>,
}

impl ResourceFilter {
    fn matches(&self, r: &Resource) -> bool {
        self.scenario_name
            .as_ref()
            .is_none_or(|s| *s == r.scenario_name)
            && self
                .resource_type
                .as_ref()
                .is_none_or(|t| t.eq_ignore_ascii_case(&r.resource_type))
            && self.status.is_none_or(|s| s == r.status)
    }
}

/// One run's resources in ledger order (by lower-cased resource id) and the positions per value.
#[derive(Debug, Default)]
pub struct ResourceIndex {
    pub resources: Vec<Resource>,
    /// Each resource's JSON, encoded once when the index is built: a page is then copied, not
    /// encoded again.
    json: Vec<Box<serde_json::value::RawValue>>,
    by_scenario: HashMap<String, Vec<u32>>,
    by_type: HashMap<String, Vec<u32>>,
    by_status: BTreeMap<ResourceStatus, Vec<u32>>,
    filtered: Mutex<BTreeMap<ResourceFilter, Arc<Vec<u32>>>>,
}

impl ResourceIndex {
    pub fn from_ledger(ledger: &Ledger) -> Self {
        let mut index = ResourceIndex::default();
        for (i, r) in ledger.resources.values().enumerate() {
            let i = i as u32;
            index
                .by_scenario
                .entry(r.scenario_name.clone())
                .or_default()
                .push(i);
            index
                .by_type
                .entry(r.resource_type.to_ascii_lowercase())
                .or_default()
                .push(i);
            index.by_status.entry(r.status).or_default().push(i);
            let resource = Resource {
                resource_id: r.resource_id.clone(),
                resource_type: r.resource_type.clone(),
                resource_name: r.resource_name.clone(),
                scenario_name: r.scenario_name.clone(),
                created_at: r.created_at,
                deleted_at: r.deleted_at,
                status: r.status,
                deletion_attempts: r.deletion_attempts,
                tags: r.tags.clone(),
            };
            index.json.push(
                serde_json::value::to_raw_value(&resource).expect("a resource encodes as JSON"),
            );
            index.resources.push(resource);
        }
        index
    }

    /// The encoded JSON of the resource at `position`.
    pub fn json_at(&self, position: u32) -> &serde_json::value::RawValue {
        &self.json[position as usize]
    }

    /// How many resources a scenario has.
    pub fn scenario_count(&self, scenario: &str) -> usize {
        self.by_scenario.get(scenario).map_or(0, Vec::len)
    }

    pub fn count_status(&self, status: ResourceStatus) -> usize {
        self.by_status.get(&status).map_or(0, Vec::len)
    }

    /// Counts per resource type (type as first reported, count), largest first.
    pub fn type_counts(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = self
            .by_type
            .values()
            .map(|ids| {
                (
                    self.resources[ids[0] as usize].resource_type.clone(),
                    ids.len(),
                )
            })
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Positions of the resources that pass `filter`: all, one index list, or (for a combination)
    /// the smallest list narrowed once and then kept.
    pub fn select(&self, filter: &ResourceFilter) -> Selection {
        let mut lists: Vec<&Vec<u32>> = Vec::new();
        let empty = Vec::new();
        if let Some(s) = &filter.scenario_name {
            lists.push(self.by_scenario.get(s).unwrap_or(&empty));
        }
        if let Some(t) = &filter.resource_type {
            lists.push(self.by_type.get(&t.to_ascii_lowercase()).unwrap_or(&empty));
        }
        if let Some(s) = &filter.status {
            lists.push(self.by_status.get(s).unwrap_or(&empty));
        }
        match lists.len() {
            0 => Selection::All(self.resources.len()),
            1 => Selection::Positions(Arc::new(lists[0].clone())),
            _ => {
                let mut cache = self.filtered.lock().expect("filter cache lock");
                if let Some(hit) = cache.get(filter) {
                    return Selection::Positions(hit.clone());
                }
                let smallest = lists.iter().min_by_key(|l| l.len()).expect("two lists");
                let narrowed: Arc<Vec<u32>> = Arc::new(
                    smallest
                        .iter()
                        .copied()
                        .filter(|&i| filter.matches(&self.resources[i as usize]))
                        .collect(),
                );
                if cache.len() >= MAX_FILTERS {
                    cache.clear();
                }
                cache.insert(filter.clone(), narrowed.clone());
                Selection::Positions(narrowed)
            }
        }
    }
}

/// What [`ResourceIndex::select`] picked.
pub enum Selection {
    All(usize),
    Positions(Arc<Vec<u32>>),
}

impl Selection {
    pub fn len(&self) -> usize {
        match self {
            Selection::All(n) => *n,
            Selection::Positions(p) => p.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The positions (in the index) of `range` of the selection.
    pub fn positions(&self, range: std::ops::Range<usize>) -> Vec<u32> {
        match self {
            Selection::All(_) => (range.start as u32..range.end as u32).collect(),
            Selection::Positions(p) => p[range].to_vec(),
        }
    }

    /// The resources at `range` of the selection.
    pub fn page<'a>(
        &self,
        index: &'a ResourceIndex,
        range: std::ops::Range<usize>,
    ) -> Vec<&'a Resource> {
        match self {
            Selection::All(_) => index.resources[range].iter().collect(),
            Selection::Positions(p) => p[range]
                .iter()
                .map(|&i| &index.resources[i as usize])
                .collect(),
        }
    }
}

/// Indexes of recently used runs, each with the change token of the ledger it was built from; the
/// log indexes ([`super::log_index`]) and the runs' facts behind `/metrics` ([`super::run_facts`]).
#[derive(Default)]
pub struct IndexCache {
    entries: Mutex<Vec<(Uuid, String, Arc<ResourceIndex>)>>,
    pub logs: super::log_index::LogCache,
    pub facts: super::run_facts::FactsCache,
}

impl IndexCache {
    /// The run's index, re-read only if the ledger changed. A run without a ledger (no events yet)
    /// has an empty index.
    pub async fn get(
        &self,
        store: &StateStore,
        run_id: Uuid,
    ) -> Result<Arc<ResourceIndex>, StoreError> {
        let key = keys::resources(run_id);
        let Some(version) = store.version(&key).await? else {
            return Ok(Arc::new(ResourceIndex::default()));
        };
        if let Some(hit) = self.lookup(run_id, &version) {
            return Ok(hit);
        }
        let Some((ledger, _)) = store.read_json::<Ledger>(&key).await? else {
            return Ok(Arc::new(ResourceIndex::default()));
        };
        // The token read before the document: a write in between makes the next request re-read.
        let index = Arc::new(ResourceIndex::from_ledger(&ledger));
        let mut entries = self.entries.lock().expect("index cache lock");
        entries.retain(|(id, _, _)| *id != run_id);
        if entries.len() >= MAX_RUNS {
            entries.remove(0);
        }
        entries.push((run_id, version, index.clone()));
        Ok(index)
    }

    fn lookup(&self, run_id: Uuid, version: &str) -> Option<Arc<ResourceIndex>> {
        let entries = self.entries.lock().expect("index cache lock");
        entries
            .iter()
            .find(|(id, v, _)| *id == run_id && v == version)
            .map(|(_, _, index)| index.clone())
    }
}
