//! The scope guard: a resource is deleted only when its tags, read again right before the delete,
//! say it is this run's — `haymaker-run-id=<run>` and `haymaker-managed=true`. Discovery's tags may
//! be stale (Resource Graph is eventually consistent) and names are not proof: another run or
//! someone else may own a resource with the same name or similar tags.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::tag_of;
use super::{TAG_MANAGED, TAG_RUN_ID};

/// What the re-read found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum GuardVerdict {
    /// Tagged with this run and managed by haymaker: may be deleted.
    Ours,
    /// Not there any more: nothing to delete.
    Gone,
    /// Exists but is not this run's: never touched.
    Foreign { reason: String },
    /// Exists and carries no tags at all. A child resource of this run's (a subnet of its VNet, a
    /// rule of its security group: many child types cannot hold tags) goes with its parent; any
    /// other untagged resource is treated as not this run's.
    Untagged,
}

impl GuardVerdict {
    pub fn is_ours(&self) -> bool {
        matches!(self, GuardVerdict::Ours)
    }
}

/// The verdict for a resource whose current tags are `current` (`None`: it does not exist).
/// Values compare case-insensitively (`True`, an upper-case GUID), keys too, as Azure does.
pub fn verdict(run_id: uuid::Uuid, current: Option<&BTreeMap<String, String>>) -> GuardVerdict {
    let Some(tags) = current else {
        return GuardVerdict::Gone;
    };
    if tags.is_empty() {
        return GuardVerdict::Untagged;
    }
    let run = run_id.to_string();
    match (tag_of(tags, TAG_RUN_ID), tag_of(tags, TAG_MANAGED)) {
        (None, _) => GuardVerdict::Foreign {
            reason: format!("no {TAG_RUN_ID} tag"),
        },
        (Some(r), _) if !r.trim().eq_ignore_ascii_case(&run) => GuardVerdict::Foreign {
            reason: format!("{TAG_RUN_ID} is {r:?}, not this run"),
        },
        (Some(_), Some(m)) if m.trim().eq_ignore_ascii_case("true") => GuardVerdict::Ours,
        (Some(_), Some(m)) => GuardVerdict::Foreign {
            reason: format!("{TAG_MANAGED} is {m:?}, not \"true\""),
        },
        (Some(_), None) => GuardVerdict::Foreign {
            reason: format!("no {TAG_MANAGED}=true tag"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_this_runs_managed_resources_are_ours() {
        let run = uuid::Uuid::new_v4();
        let r = run.to_string();
        let upper = r.to_ascii_uppercase();
        assert_eq!(verdict(run, None), GuardVerdict::Gone);
        assert!(verdict(run, Some(&tags(&[(TAG_RUN_ID, &r), (TAG_MANAGED, "true")]))).is_ours());
        assert!(
            verdict(
                run,
                Some(&tags(&[
                    ("Haymaker-Run-Id", &upper),
                    ("HAYMAKER-MANAGED", "True")
                ]))
            )
            .is_ours(),
            "tag keys and values compare as Azure compares them"
        );
        let other = uuid::Uuid::new_v4().to_string();
        for foreign in [
            tags(&[(TAG_RUN_ID, &other), (TAG_MANAGED, "true")]),
            tags(&[(TAG_RUN_ID, &r)]),
            tags(&[(TAG_RUN_ID, &r), (TAG_MANAGED, "false")]),
            tags(&[(TAG_MANAGED, "true")]),
            tags(&[("haymaker-run", &r), (TAG_MANAGED, "true")]),
            tags(&[(TAG_RUN_ID, &format!("{r}-x")), (TAG_MANAGED, "true")]),
        ] {
            assert!(
                matches!(verdict(run, Some(&foreign)), GuardVerdict::Foreign { .. }),
                "{foreign:?}"
            );
        }
        // No tags at all: not ours by itself (the plan adopts untagged children of ours).
        assert_eq!(verdict(run, Some(&tags(&[]))), GuardVerdict::Untagged);
        assert!(!GuardVerdict::Untagged.is_ours());
    }
}
