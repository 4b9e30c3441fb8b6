//! The log index: a run's log entries held in memory by the serving process, each with its JSON
//! encoded once, in time order, with positions per scenario, event type and severity, so a page of
//! `/runs/{id}/logs` (and the history of `/logs/stream`) costs O(page) plus O(new events).
//!
//! Built once per process and run from the whole archive (`archive::read_archive`, after finding the
//! head of the run's journal); after that, each request reads only the journal slots written since
//! ([`crate::events::journal`]: one read when nothing is new) and the blobs they name, and merges
//! their entries in. Entries are counted once per message id, as `archive::run_events` does; the
//! order is the event's time, ties by message id. A time range is a binary search over a time-ordered
//! list; a combination of filters or a search is narrowed once and then extended with new entries only.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use uuid::Uuid;

use super::logs::{log_entry, LogFilter};
use super::model::LogEventType;
use crate::events::archive::{blob_name, read_archive, ArchivedEvent};
use crate::events::{journal, Severity};
use crate::store::{StateStore, StoreError};

/// Runs whose log index is kept (the active run and a few looked at recently).
const MAX_RUNS: usize = 8;
/// Filter combinations and searches kept per run.
const MAX_COMBOS: usize = 64;

/// One log entry: what the filters look at, and its JSON.
#[derive(Debug)]
pub struct Indexed {
    pub time: DateTime<Utc>,
    pub message_id: String,
    scenario: String,
    event_type: LogEventType,
    severity: Severity,
    /// The message, lower-cased (search is case-insensitive).
    message: String,
    pub json: Box<RawValue>,
}

/// A filter without its time range (the part that picks a list; the range then cuts it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ComboKey {
    scenario: Option<String>,
    event_type: Option<LogEventType>,
    severity: Option<Severity>,
    search: Option<String>,
}

impl ComboKey {
    fn of(f: &LogFilter) -> Self {
        Self {
            scenario: f.scenario_name.clone(),
            event_type: f.event_type,
            severity: f.severity,
            search: f.search.clone(),
        }
    }

    fn matches(&self, e: &Indexed) -> bool {
        self.scenario.as_ref().is_none_or(|s| *s == e.scenario)
            && self.event_type.is_none_or(|t| t == e.event_type)
            && self.severity.is_none_or(|s| s == e.severity)
            && self.search.as_ref().is_none_or(|s| e.message.contains(s))
    }
}

/// A narrowed list and how many entries (in arrival order) it has looked at.
#[derive(Debug, Default)]
struct Combo {
    examined: usize,
    positions: Vec<u32>,
}

/// One run's log entries. Positions are indexes into `entries` (arrival order); every list holds
/// positions in time order.
#[derive(Debug, Default)]
pub struct LogIndex {
    entries: Vec<Indexed>,
    /// Blob names of the message ids indexed (or left out as unknown types).
    seen: HashSet<String>,
    order: Vec<u32>,
    by_scenario: HashMap<String, Vec<u32>>,
    by_type: Vec<(LogEventType, Vec<u32>)>,
    by_severity: Vec<(Severity, Vec<u32>)>,
    combos: HashMap<ComboKey, Combo>,
    /// The first journal slot not read yet; `None` until the index is built.
    next_slot: Option<u64>,
}

fn list_for<K: PartialEq + Copy>(lists: &mut Vec<(K, Vec<u32>)>, k: K) -> &mut Vec<u32> {
    let i = match lists.iter().position(|(x, _)| *x == k) {
        Some(i) => i,
        None => {
            lists.push((k, Vec::new()));
            lists.len() - 1
        }
    };
    &mut lists[i].1
}

impl LogIndex {
    /// How many entries the index holds (arrival order positions run `0..len`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, position: u32) -> &Indexed {
        &self.entries[position as usize]
    }

    fn key(&self, p: u32) -> (DateTime<Utc>, &str) {
        let e = &self.entries[p as usize];
        (e.time, &e.message_id)
    }

    /// Sorts positions into time order.
    pub fn sort(&self, positions: &mut [u32]) {
        positions.sort_by(|&a, &b| self.key(a).cmp(&self.key(b)));
    }

    /// Keeps the positions whose entries pass `filter` apart from its time range.
    pub fn retain_matching(&self, positions: &mut Vec<u32>, filter: &LogFilter) {
        let key = ComboKey::of(filter);
        positions.retain(|&p| key.matches(self.entry(p)));
    }

    /// Merges `fresh` (time-ordered) into the time-ordered `list`.
    fn merge(entries: &[Indexed], list: &mut Vec<u32>, fresh: &[u32]) {
        let key = |p: u32| {
            let e = &entries[p as usize];
            (e.time, e.message_id.as_str())
        };
        if fresh.is_empty() {
            return;
        }
        if list.last().is_none_or(|&l| key(l) <= key(fresh[0])) {
            list.extend_from_slice(fresh);
            return;
        }
        let old = std::mem::take(list);
        list.reserve(old.len() + fresh.len());
        let (mut i, mut j) = (0, 0);
        while i < old.len() && j < fresh.len() {
            if key(old[i]) <= key(fresh[j]) {
                list.push(old[i]);
                i += 1;
            } else {
                list.push(fresh[j]);
                j += 1;
            }
        }
        list.extend_from_slice(&old[i..]);
        list.extend_from_slice(&fresh[j..]);
    }

    /// Adds archived events (with the blob names of their message ids) not seen yet.
    fn add(&mut self, events: impl IntoIterator<Item = (String, ArchivedEvent)>) {
        let start = self.entries.len();
        for (id, archived) in events {
            if !self.seen.insert(id) {
                continue;
            }
            let Some(entry) = log_entry(&archived) else {
                continue;
            };
            let json = serde_json::value::to_raw_value(&entry).expect("a log entry encodes");
            self.entries.push(Indexed {
                time: entry.timestamp,
                message_id: archived.message_id,
                scenario: entry.scenario_name,
                event_type: entry.event_type,
                severity: entry.severity,
                message: entry.message.to_lowercase(),
                json,
            });
        }
        let mut fresh: Vec<u32> = (start as u32..self.entries.len() as u32).collect();
        self.sort(&mut fresh);
        let entries = &self.entries;
        Self::merge(entries, &mut self.order, &fresh);
        let mut scenario: HashMap<&str, Vec<u32>> = HashMap::new();
        let mut types: Vec<(LogEventType, Vec<u32>)> = Vec::new();
        let mut severities: Vec<(Severity, Vec<u32>)> = Vec::new();
        for &p in &fresh {
            let e = &entries[p as usize];
            scenario.entry(&e.scenario).or_default().push(p);
            list_for(&mut types, e.event_type).push(p);
            list_for(&mut severities, e.severity).push(p);
        }
        for (s, new) in scenario {
            let list = self.by_scenario.entry(s.to_string()).or_default();
            Self::merge(entries, list, &new);
        }
        for (t, new) in types {
            Self::merge(entries, list_for(&mut self.by_type, t), &new);
        }
        for (s, new) in severities {
            Self::merge(entries, list_for(&mut self.by_severity, s), &new);
        }
    }

    /// Brings the index up to date: the first time from the whole archive, then from the journal
    /// slots written since the last time. On an error nothing changes.
    pub async fn refresh(&mut self, store: &StateStore, run_id: Uuid) -> Result<(), StoreError> {
        match self.next_slot {
            None => {
                // The head first: every slot before it names a blob that existed before the listing.
                let head = journal::first_missing(store, run_id, 0).await?;
                let read = read_archive(store, run_id, &|_| false, &|_| false).await?;
                self.add(read.events);
                self.next_slot = Some(head);
            }
            Some(next) => {
                let blobs = journal::read_from(store, run_id, next).await?;
                if blobs.is_empty() {
                    return Ok(());
                }
                let read = blobs.len() as u64;
                let events = journal::read_blobs(store, run_id, blobs).await?;
                self.add(events.into_iter().map(|e| (blob_name(&e.message_id), e)));
                self.next_slot = Some(next + read);
            }
        }
        Ok(())
    }

    /// The positions, in time order, of the entries that pass `filter`.
    pub fn select(&mut self, filter: &LogFilter) -> &[u32] {
        let key = ComboKey::of(filter);
        let singles = [
            key.scenario.is_some(),
            key.event_type.is_some(),
            key.severity.is_some(),
        ];
        let list: &[u32] = match (singles.iter().filter(|x| **x).count(), &key.search) {
            (0, None) => &self.order,
            (1, None) => {
                let found = if let Some(s) = &key.scenario {
                    self.by_scenario.get(s)
                } else if let Some(t) = key.event_type {
                    self.by_type.iter().find(|(x, _)| *x == t).map(|(_, l)| l)
                } else {
                    let s = key.severity.expect("one filter");
                    self.by_severity
                        .iter()
                        .find(|(x, _)| *x == s)
                        .map(|(_, l)| l)
                };
                found.map_or(&[], Vec::as_slice)
            }
            _ => {
                if !self.combos.contains_key(&key) && self.combos.len() >= MAX_COMBOS {
                    self.combos.clear();
                }
                let entries = &self.entries;
                let combo = self.combos.entry(key.clone()).or_default();
                if combo.examined < entries.len() {
                    let mut fresh: Vec<u32> = (combo.examined as u32..entries.len() as u32)
                        .filter(|&p| key.matches(&entries[p as usize]))
                        .collect();
                    fresh.sort_by(|&a, &b| {
                        let (a, b) = (&entries[a as usize], &entries[b as usize]);
                        (a.time, &a.message_id).cmp(&(b.time, &b.message_id))
                    });
                    Self::merge(entries, &mut combo.positions, &fresh);
                    combo.examined = entries.len();
                }
                &combo.positions
            }
        };
        let entries = &self.entries;
        let from = filter.start_time.map_or(0, |t| {
            list.partition_point(|&p| entries[p as usize].time < t)
        });
        let to = filter.end_time.map_or(list.len(), |t| {
            list.partition_point(|&p| entries[p as usize].time <= t)
        });
        &list[from..to.max(from)]
    }
}

/// The log indexes of recently used runs. Each is behind its own lock: requests for one run take
/// turns (one of them reads what is new, the others find it read).
#[derive(Debug, Default)]
pub struct LogCache {
    runs: Mutex<Vec<(Uuid, Arc<tokio::sync::Mutex<LogIndex>>)>>,
}

impl LogCache {
    /// The run's index (empty and unbuilt the first time), most recently used last.
    pub fn run(&self, run_id: Uuid) -> Arc<tokio::sync::Mutex<LogIndex>> {
        let mut runs = self.runs.lock().expect("log cache lock");
        let index = match runs.iter().position(|(id, _)| *id == run_id) {
            Some(i) => runs.remove(i).1,
            None => Arc::default(),
        };
        if runs.len() >= MAX_RUNS {
            runs.remove(0);
        }
        runs.push((run_id, index.clone()));
        index
    }
}
