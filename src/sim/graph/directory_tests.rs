use chrono::Utc;

use super::*;
use crate::sim::state::{Audience, SimConfig, TokenError};

fn world() -> (World, SimIdentity) {
    let identity = SimIdentity::for_port(7443);
    (
        World::new(&identity, SimConfig::default(), [7; 32]),
        identity,
    )
}

fn new_app(name: &str) -> NewApplication {
    NewApplication {
        display_name: name.into(),
        ..NewApplication::default()
    }
}

#[test]
fn the_orchestrator_is_an_application_and_a_service_principal() {
    let (w, id) = world();
    let apps = w.applications();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].app_id, id.client_id);
    let sps = w.service_principals();
    assert_eq!(sps[0].id, id.principal_object_id);
    assert_eq!(sps[0].display_name, ORCHESTRATOR_NAME);
}

#[test]
fn a_client_signs_in_only_with_a_password_and_a_service_principal() {
    let (mut w, _) = world();
    let now = Utc::now();
    let app = w.create_application(new_app("hm-a"), now).clone();
    let (_, secret) = w.add_password(&app.id, None, None, now).unwrap();
    assert_eq!(
        w.issue_token(&app.app_id, secret.expose(), Audience::Arm, "r", now),
        Err(TokenError::UnknownClient)
    );
    let sp = w
        .create_service_principal(&app.app_id.to_uppercase(), vec![], now)
        .unwrap()
        .clone();
    assert_eq!(w.principals[&app.app_id].object_id, sp.id);
    let (token, _) = w
        .issue_token(&app.app_id, secret.expose(), Audience::Arm, "r", now)
        .unwrap();
    assert!(w.bearer(&token, Audience::Arm, now).is_ok());
    // A second service principal for the same appId is a conflict.
    assert_eq!(
        w.create_service_principal(&app.app_id, vec![], now)
            .unwrap_err()
            .status,
        409
    );
    w.delete_service_principal(&sp.id, now).unwrap();
    assert!(w.bearer(&token, Audience::Arm, now).is_err());
    assert_eq!(
        w.issue_token(&app.app_id, secret.expose(), Audience::Arm, "r", now),
        Err(TokenError::UnknownClient)
    );
}

#[test]
fn deleting_an_application_takes_its_service_principal_along_and_purge_removes_them() {
    let (mut w, _) = world();
    let now = Utc::now();
    let app = w.create_application(new_app("hm-b"), now).clone();
    w.add_password(&app.id, None, None, now).unwrap();
    let sp = w
        .create_service_principal(&app.app_id, vec![], now)
        .unwrap()
        .clone();
    w.delete_application(&app.id, now).unwrap();
    assert!(!w.principals.contains_key(&app.app_id));
    assert!(w.application(&app.id).is_err());
    assert!(w.service_principal(&sp.id).is_err());
    let deleted: Vec<(&str, ObjectKind)> = w
        .deleted_directory_items()
        .iter()
        .map(|d| (d.display_name(), d.kind()))
        .collect();
    assert_eq!(deleted.len(), 2);
    assert!(deleted.contains(&("hm-b", ObjectKind::Application)));
    assert!(deleted.contains(&("hm-b", ObjectKind::ServicePrincipal)));
    w.purge_deleted_item(&app.id).unwrap();
    w.purge_deleted_item(&sp.id.to_uppercase()).unwrap();
    assert!(w.deleted_directory_items().is_empty());
    assert_eq!(w.purge_deleted_item(&app.id).unwrap_err().status, 404);
}

#[test]
fn unknown_objects_are_graph_404s_and_unknown_app_ids_400s() {
    let (mut w, _) = world();
    let now = Utc::now();
    let e = w.add_password("nope", None, None, now).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str()),
        (404, "Request_ResourceNotFound")
    );
    let e = w.create_service_principal("nope", vec![], now).unwrap_err();
    assert_eq!(e.status, 400);
    assert!(e.message.contains("does not reference a valid application"));
}
