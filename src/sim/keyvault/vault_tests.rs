use super::*;
use crate::sim::env::SimIdentity;
use crate::sim::state::SimConfig;

fn world(transition_ms: u64) -> World {
    let config = SimConfig {
        key_vault_transition_ms: transition_ms,
        ..SimConfig::default()
    };
    World::new(&SimIdentity::for_port(7443), config, [7; 32])
}

fn new(value: &str) -> NewVersion {
    NewVersion {
        value: Secret::new(value),
        content_type: None,
        tags: BTreeMap::new(),
        enabled: true,
        not_before: None,
        expires: None,
    }
}

#[test]
fn a_name_moves_through_deletion_and_recovery_with_conflicts_in_between() {
    let mut w = world(1000);
    let t0 = Utc::now();
    let later = |ms: i64| t0 + Duration::milliseconds(ms);
    w.set_secret("Db-Pass", new("1"), t0).unwrap();
    w.set_secret("db-pass", new("2"), t0).unwrap();
    let (s, v) = w.get_secret("DB-PASS", None, t0).unwrap();
    assert_eq!((s.name.as_str(), v.value.expose()), ("Db-Pass", "2"));

    w.delete_secret("db-pass", t0).unwrap();
    let e = w.set_secret("db-pass", new("3"), later(500)).unwrap_err();
    assert_eq!(e.inner.as_deref(), Some("ObjectIsBeingDeleted"));
    assert_eq!(
        w.get_deleted_secret("db-pass", later(500))
            .unwrap_err()
            .status,
        404
    );
    assert_eq!(
        w.get_secret("db-pass", None, later(500))
            .unwrap_err()
            .status,
        404
    );
    assert_eq!(
        w.purge_deleted_secret("db-pass", later(500))
            .unwrap_err()
            .status,
        409
    );

    let e = w.set_secret("db-pass", new("3"), later(1000)).unwrap_err();
    assert_eq!(e.inner.as_deref(), Some("ObjectIsDeletedButRecoverable"));
    assert!(w.get_deleted_secret("db-pass", later(1000)).is_ok());
    assert_eq!(
        w.delete_secret("db-pass", later(1000)).unwrap_err().status,
        404
    );

    w.recover_deleted_secret("db-pass", later(1000)).unwrap();
    let e = w.set_secret("db-pass", new("3"), later(1500)).unwrap_err();
    assert_eq!(e.inner.as_deref(), Some("ObjectIsBeingRecovered"));
    let (s, _) = w.set_secret("db-pass", new("3"), later(2000)).unwrap();
    assert_eq!(s.versions.len(), 3);
}

#[test]
fn purge_frees_the_name_and_accessors_tell_live_from_deleted() {
    let mut w = world(0);
    let now = Utc::now();
    w.set_secret("a", new("x"), now).unwrap();
    w.set_secret("b", new("y"), now).unwrap();
    w.delete_secret("b", now).unwrap();
    let names = |v: Vec<SecretSummary>| v.into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(names(w.secrets()), ["a"]);
    assert_eq!(names(w.deleted_secrets()), ["b"]);
    assert_eq!(w.purge_deleted_secret("a", now).unwrap_err().status, 404);
    w.purge_deleted_secret("b", now).unwrap();
    assert!(w.deleted_secrets().is_empty());
    let (s, _) = w.set_secret("b", new("z"), now).unwrap();
    assert_eq!(s.versions.len(), 1);
}
