//! The simulator's Key Vault over real HTTPS, driven by haymaker's `SecretsClient` (the official
//! `azure_security_keyvault_secrets` SDK on our transport and tokens): versions, soft delete with
//! the 409s of a name in transition, purge and recover, the SDK's 401 challenge, refusals of
//! tokens for other audiences, paged lists. The answers' shapes are checked in `sim_conformance`.
//!
//! The while a name stays *being deleted* is set per test: an hour where a test looks at the 409s
//! (then zero through the world, to move on), zero where it does not matter, and a fraction of a
//! second where the client must wait it out by itself.

use crate::sim_support;

use haymaker::azure::keyvault::OnSoftDeleted;
use serde_json::json;
use sim_support::keyvault::{config, raw, secrets, value, vault_token, API};
use sim_support::{json_of, TestSim};

#[tokio::test]
async fn versions_soft_delete_with_its_409s_purge_and_set_again() {
    let sim = TestSim::start(config(3_600_000)).await;
    let kv = secrets(&sim, None);
    let token = vault_token(&sim).await;

    let v1 = kv
        .set("db-pass", &value("one"), OnSoftDeleted::Purge)
        .await
        .unwrap();
    let v2 = kv
        .set("db-pass", &value("two"), OnSoftDeleted::Purge)
        .await
        .unwrap();
    assert_ne!(v1.version, v2.version);
    assert_eq!(v2.version.len(), 32);
    assert_eq!(
        kv.get("db-pass", None)
            .await
            .unwrap()
            .unwrap()
            .value
            .expose(),
        "two"
    );
    let old = kv.get("db-pass", Some(&v1.version)).await.unwrap().unwrap();
    assert_eq!(
        (old.value.expose(), old.version.as_str()),
        ("one", v1.version.as_str())
    );
    assert!(kv.get("nothing-here", None).await.unwrap().is_none());

    let deleted = kv.delete("db-pass").await.unwrap().unwrap();
    assert_eq!(deleted.name, "db-pass");
    assert!(deleted
        .recovery_id
        .as_deref()
        .unwrap()
        .ends_with("/vaults/haymaker/deletedsecrets/db-pass"));
    let (d, p) = (
        deleted.deleted_date.unwrap(),
        deleted.scheduled_purge_date.unwrap(),
    );
    assert_eq!((p - d).num_days(), 90);
    assert!(kv.get("db-pass", None).await.unwrap().is_none());

    // Being deleted: the name answers 409, and is not yet among the deleted.
    for (method, path, body) in [
        ("PUT", "/secrets/db-pass", Some(json!({"value": "three"}))),
        ("DELETE", "/deletedsecrets/db-pass", None),
        ("POST", "/deletedsecrets/db-pass/recover", None),
    ] {
        let (status, body) = raw(&sim, Some(&token), method, path, body).await;
        assert_eq!(status, 409, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "Conflict");
        assert_eq!(body["error"]["innererror"]["code"], "ObjectIsBeingDeleted");
    }
    assert!(kv.get_deleted("db-pass").await.unwrap().is_none());
    {
        let world = sim.server.sim.world();
        let names: Vec<String> = world
            .deleted_secrets()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["db-pass"]);
        assert!(world.secrets().is_empty());
    }

    // The deletion finishes: soft-deleted, visible, purgeable.
    sim.server.sim.world().config.key_vault_transition_ms = 0;
    let soft = kv.get_deleted("db-pass").await.unwrap().unwrap();
    assert_eq!(soft.recovery_id, deleted.recovery_id);
    let (status, body) = raw(
        &sim,
        Some(&token),
        "PUT",
        "/secrets/db-pass",
        Some(json!({"value": "x"})),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        body["error"]["innererror"]["code"],
        "ObjectIsDeletedButRecoverable"
    );
    assert!(kv.purge("db-pass").await.unwrap());
    assert!(!kv.purge("db-pass").await.unwrap());
    assert!(kv.get_deleted("db-pass").await.unwrap().is_none());
    assert!(sim.server.sim.world().deleted_secrets().is_empty());

    let again = kv
        .set("db-pass", &value("four"), OnSoftDeleted::Purge)
        .await
        .unwrap();
    assert_eq!(
        kv.get("db-pass", None)
            .await
            .unwrap()
            .unwrap()
            .value
            .expose(),
        "four"
    );
    assert!(kv
        .get("db-pass", Some(&v2.version))
        .await
        .unwrap()
        .is_none());
    let live = sim.server.sim.world().secrets();
    assert_eq!((live[0].name.as_str(), live[0].versions), ("db-pass", 1));
    assert_ne!(again.version, v2.version);
    sim.stop().await;
}

#[tokio::test]
async fn setting_a_soft_deleted_name_purges_or_recovers_it() {
    let sim = TestSim::start(config(0)).await;
    let kv = secrets(&sim, None);
    kv.set("agent-key", &value("a"), OnSoftDeleted::Purge)
        .await
        .unwrap();
    kv.delete("agent-key").await.unwrap().unwrap();
    kv.set("agent-key", &value("b"), OnSoftDeleted::Purge)
        .await
        .unwrap();
    assert_eq!(
        sim.server.sim.world().secrets()[0].versions,
        1,
        "purged: history gone"
    );

    kv.delete("agent-key").await.unwrap().unwrap();
    kv.set("agent-key", &value("c"), OnSoftDeleted::Recover)
        .await
        .unwrap();
    assert_eq!(
        sim.server.sim.world().secrets()[0].versions,
        2,
        "recovered: history kept"
    );
    assert_eq!(
        kv.get("agent-key", None)
            .await
            .unwrap()
            .unwrap()
            .value
            .expose(),
        "c"
    );
    sim.stop().await;
}

#[tokio::test]
async fn the_client_waits_out_a_deletion_in_progress() {
    let sim = TestSim::start(config(300)).await;
    let kv = secrets(&sim, None);
    kv.set("busy", &value("1"), OnSoftDeleted::Purge)
        .await
        .unwrap();
    kv.delete("busy").await.unwrap().unwrap();
    kv.set("busy", &value("2"), OnSoftDeleted::Purge)
        .await
        .unwrap();
    assert_eq!(
        kv.get("busy", None).await.unwrap().unwrap().value.expose(),
        "2"
    );
    kv.delete("busy").await.unwrap().unwrap();
    kv.set("busy", &value("3"), OnSoftDeleted::Recover)
        .await
        .unwrap();
    assert_eq!(
        kv.get("busy", None).await.unwrap().unwrap().value.expose(),
        "3"
    );
    sim.stop().await;
}

#[tokio::test]
async fn the_vault_challenges_and_refuses_other_audiences() {
    let sim = TestSim::start(config(0)).await;
    let (status, body) = raw(&sim, None, "GET", "/secrets/x", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("Unauthorized"))
    );
    let resp = sim
        .http()
        .get(sim.url(&format!("/vaults/haymaker/secrets/x?api-version={API}")))
        .send()
        .await
        .unwrap();
    let challenge = resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    let tenant = &sim.server.identity().tenant_id;
    assert_eq!(
        challenge,
        format!(
            "Bearer authorization=\"{}/{tenant}\", resource=\"https://vault.azure.net\"",
            sim.base()
        )
    );

    let arm = sim.token(&format!("{}/.default", sim.base())).await;
    let (status, body) = raw(&sim, Some(&arm), "GET", "/secrets/x", None).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AKV10022"),
        "{body}"
    );
    // Our client, pinned to the wrong audience, gets the same refusal after the challenge.
    let wrong = secrets(&sim, Some(sim.base()));
    let err = wrong.get("x", None).await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");

    let token = vault_token(&sim).await;
    let url = sim.url("/vaults/haymaker/secrets/x");
    let resp = sim
        .http()
        .get(url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(json_of(resp).await["error"]["code"], "BadParameter");
    let (status, _) = raw(&sim, Some(&token), "GET", "/secrets/bad_name", None).await;
    assert_eq!(status, 400);
    sim.stop().await;
}

#[tokio::test]
async fn lists_page_with_next_links() {
    let sim = TestSim::start(config(0)).await;
    let kv = secrets(&sim, None);
    for i in 0..5 {
        kv.set(&format!("s{i}"), &value("v"), OnSoftDeleted::Purge)
            .await
            .unwrap();
    }
    kv.delete("s4").await.unwrap();
    let token = vault_token(&sim).await;
    let (status, first) = raw(&sim, Some(&token), "GET", "/secrets?maxresults=2", None).await;
    assert_eq!(status, 200);
    let mut ids: Vec<String> = Vec::new();
    let mut page = first;
    loop {
        for item in page["value"].as_array().unwrap() {
            assert!(item.get("value").is_none(), "lists carry no values");
            ids.push(
                item["id"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
        let Some(next) = page["nextLink"].as_str() else {
            break;
        };
        let resp = sim
            .http()
            .get(next)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        page = json_of(resp).await;
    }
    assert_eq!(ids, ["s0", "s1", "s2", "s3"]);
    let (_, deleted) = raw(&sim, Some(&token), "GET", "/deletedsecrets", None).await;
    assert_eq!(
        deleted["value"][0]["recoveryId"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next(),
        Some("s4")
    );
    sim.stop().await;
}
