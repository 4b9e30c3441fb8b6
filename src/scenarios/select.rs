//! Choosing a run's scenarios: spread across technology areas, no duplicates, reproducible by seed.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::{Area, Scenario};

/// How many scenarios a run acts out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Small,
    Medium,
    Large,
    Count(usize),
}

impl Size {
    pub fn count(self) -> usize {
        match self {
            Size::Small => 5,
            Size::Medium => 15,
            Size::Large => 30,
            Size::Count(n) => n,
        }
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Size::Small => f.write_str("small"),
            Size::Medium => f.write_str("medium"),
            Size::Large => f.write_str("large"),
            Size::Count(n) => write!(f, "{n}"),
        }
    }
}

impl FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "small" => Ok(Size::Small),
            "medium" => Ok(Size::Medium),
            "large" => Ok(Size::Large),
            other => match other.parse::<usize>() {
                Ok(n) if n > 0 => Ok(Size::Count(n)),
                _ => Err(format!(
                    "`{s}` is not a size; use small (5), medium (15), large (30) or a positive number"
                )),
            },
        }
    }
}

/// Not enough scenarios for the requested size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("requested {requested} scenarios but only {available} are available; choose a smaller size or add scenarios")]
pub struct SelectionError {
    pub requested: usize,
    pub available: usize,
}

/// Selects `size` scenarios. Areas take turns: in each round every area that still has scenarios gives
/// one (areas in a seeded order, scenarios within an area in a seeded order), so no area gets a second
/// scenario before every area with scenarios left has one. The same library and seed give the same list.
pub fn select(
    scenarios: &[Scenario],
    size: Size,
    seed: u64,
) -> Result<Vec<&Scenario>, SelectionError> {
    let requested = size.count();
    if requested > scenarios.len() {
        return Err(SelectionError {
            requested,
            available: scenarios.len(),
        });
    }
    let mut rng = SplitMix64(seed);
    let mut by_area: BTreeMap<Area, Vec<&Scenario>> = BTreeMap::new();
    for s in scenarios {
        by_area.entry(s.area()).or_default().push(s);
    }
    let mut queues: Vec<Vec<&Scenario>> = by_area
        .into_values()
        .map(|mut list| {
            list.sort_by(|a, b| a.name.cmp(&b.name));
            list.dedup_by(|a, b| a.name == b.name);
            rng.shuffle(&mut list);
            list.reverse(); // pop from the end = take in shuffled order
            list
        })
        .collect();
    rng.shuffle(&mut queues);
    let mut chosen = Vec::with_capacity(requested);
    while chosen.len() < requested {
        let before = chosen.len();
        for q in queues.iter_mut() {
            if chosen.len() == requested {
                break;
            }
            if let Some(s) = q.pop() {
                chosen.push(s);
            }
        }
        if chosen.len() == before {
            return Err(SelectionError {
                requested,
                available: chosen.len(),
            });
        }
    }
    Ok(chosen)
}

/// A tiny, stable PRNG (SplitMix64): the same seed gives the same sequence in every build.
pub(crate) struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}
