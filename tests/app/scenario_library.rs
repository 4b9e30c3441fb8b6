//! The shipped scenario library: every document valid, enough of them, spread over enough areas, and
//! the embedded copy equal to the folder.

use std::collections::BTreeMap;
use std::path::PathBuf;

use haymaker::scenarios::{select, Area, Library, PhaseKind, Size, NEVER_SELECTED};

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

#[test]
fn every_shipped_document_is_valid() {
    let lib = Library::from_dir(&folder()).unwrap();
    let problems: Vec<String> = lib.problems().iter().map(|p| p.to_string()).collect();
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn at_least_fifty_scenarios_in_ten_areas_with_four_each() {
    let lib = Library::from_dir(&folder()).unwrap();
    assert!(
        lib.scenarios().len() >= 50,
        "only {} scenarios",
        lib.scenarios().len()
    );
    let mut per_area: BTreeMap<Area, usize> = BTreeMap::new();
    for s in lib.scenarios() {
        *per_area.entry(s.area()).or_default() += 1;
    }
    assert!(
        per_area.len() >= 10,
        "only {} areas: {per_area:?}",
        per_area.len()
    );
    for area in Area::ALL {
        assert!(
            per_area.get(&area).copied().unwrap_or(0) >= 4,
            "{area}: {per_area:?}"
        );
    }
}

#[test]
fn template_and_scaling_plan_exist_and_are_never_scenarios() {
    for name in NEVER_SELECTED {
        assert!(folder().join(name).is_file(), "{name} is missing");
    }
    let lib = Library::embedded();
    for s in lib.scenarios() {
        assert!(!NEVER_SELECTED.contains(&format!("{}.md", s.name).as_str()));
    }
    // A large selection from the real library never includes them either.
    let chosen = select(lib.scenarios(), Size::Large, 7).unwrap();
    assert_eq!(chosen.len(), 30);
}

#[test]
fn the_embedded_library_is_the_folder() {
    let embedded = Library::embedded();
    let on_disk = Library::from_dir(&folder()).unwrap();
    let names = |l: &Library| {
        l.scenarios()
            .iter()
            .map(|s| (s.name.clone(), s.document.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&embedded),
        names(&on_disk),
        "rebuild: the binary embeds scenarios/ at build time"
    );
}

#[test]
fn every_scenario_has_steps_to_deploy_and_to_clean_up() {
    let lib = Library::embedded();
    for s in lib.scenarios() {
        assert!(
            !s.steps(PhaseKind::Deployment).is_empty(),
            "{}: no Phase 1 steps",
            s.name
        );
        assert!(
            !s.steps(PhaseKind::Operations).is_empty(),
            "{}: no Phase 2 steps",
            s.name
        );
        assert!(
            !s.steps(PhaseKind::Cleanup).is_empty(),
            "{}: no Phase 3 steps",
            s.name
        );
    }
}

#[test]
fn selection_from_the_real_library_covers_every_area_first() {
    let lib = Library::embedded();
    for seed in 0..50 {
        let chosen = select(lib.scenarios(), Size::Medium, seed).unwrap();
        let first_ten: std::collections::HashSet<_> =
            chosen[..10].iter().map(|s| s.area()).collect();
        assert_eq!(
            first_ten.len(),
            10,
            "seed {seed}: the first ten picks cover the ten areas"
        );
    }
}
