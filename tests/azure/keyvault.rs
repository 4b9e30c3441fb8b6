//! Key Vault secrets, pinned by Microsoft's 7.5 examples in `shared/vectors/azure/keyvault/`.
//! The examples carry parameters and responses but no method or path: those come from the
//! operations' REST definitions (SetSecret `PUT /secrets/{name}`, GetSecret
//! `GET /secrets/{name}/{version}`, DeleteSecret `DELETE /secrets/{name}`, GetDeletedSecret
//! `GET /deletedsecrets/{name}`, PurgeDeletedSecret `DELETE /deletedsecrets/{name}`).
//!
//! The SDK client opens with an unauthenticated request and expects the vault's 401 challenge,
//! so every script starts with one.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use haymaker::azure::keyvault::{
    NewSecret, OnSoftDeleted, RecoveryLevel, SecretsClient, SecretsOptions,
};
use haymaker::azure::transport::scripted::ScriptedTransport;
use haymaker::azure::transport::{BoxFuture, WireRequest};
use haymaker::azure::{AccessTokens, AzureError, StaticTokens};
use haymaker::config::Secret;
use serde_json::Value;

const CHALLENGE: &str = r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#;

fn vector(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/azure/keyvault")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn challenge(script: &ScriptedTransport) {
    script.answer(401, &[("www-authenticate", CHALLENGE)], "");
}

/// Queues the example's single response.
fn answer_with(script: &ScriptedTransport, v: &Value) {
    let (status, response) = v["responses"].as_object().unwrap().iter().next().unwrap();
    let body = response
        .get("body")
        .map(Value::to_string)
        .unwrap_or_default();
    script.answer(status.parse().unwrap(), &[], &body);
}

fn vault(v: &Value) -> url::Url {
    url::Url::parse(v["parameters"]["vaultBaseUrl"].as_str().unwrap()).unwrap()
}

fn client(script: &Arc<ScriptedTransport>, vault_url: &url::Url) -> SecretsClient {
    let tokens = Arc::new(StaticTokens {
        principal: "orchestrator".into(),
        token: Secret::new("kv-token"),
    });
    SecretsClient::new(vault_url, script.clone(), tokens, SecretsOptions::default()).unwrap()
}

fn api_version(r: &WireRequest) -> String {
    r.url
        .query_pairs()
        .find(|(k, _)| k == "api-version")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn unix(t: Option<chrono::DateTime<chrono::Utc>>) -> i64 {
    t.expect("a time").timestamp()
}

#[tokio::test(start_paused = true)]
async fn set_matches_the_example() {
    let v = vector("SetSecret-example.json");
    let p = &v["parameters"];
    let script = Arc::new(ScriptedTransport::new());
    challenge(&script);
    answer_with(&script, &v);
    let value = p["parameters"]["value"].as_str().unwrap();
    let name = p["secret-name"].as_str().unwrap();
    let secret = client(&script, &vault(&v))
        .set(
            name,
            &NewSecret::new(Secret::new(value)),
            OnSoftDeleted::Purge,
        )
        .await
        .unwrap();

    let sent = script.requests();
    assert_eq!(sent.len(), 2, "challenge, then the authorized request");
    assert!(sent[0].headers.get("authorization").is_none());
    assert!(
        sent[0].body.is_none(),
        "no secret value before the vault is authenticated"
    );
    let put = &sent[1];
    assert_eq!(put.method.as_str(), "PUT");
    assert_eq!(put.url.host_str(), Some("myvault.vault.azure.net"));
    assert_eq!(put.url.path(), format!("/secrets/{name}"));
    assert_eq!(api_version(put), p["api-version"]);
    assert_eq!(put.headers["authorization"], "Bearer kv-token");
    let body: Value = serde_json::from_slice(put.body.as_ref().unwrap()).unwrap();
    assert_eq!(body, p["parameters"]);

    let r = &v["responses"]["200"]["body"];
    assert_eq!(secret.id, r["id"]);
    assert_eq!(secret.name, name);
    assert_eq!(secret.version, "03bcccc7c8cf4546a0e3e21e52560441");
    assert_eq!(secret.value.expose(), r["value"]);
    assert_eq!(secret.attributes.enabled, Some(true));
    assert_eq!(unix(secret.attributes.created), r["attributes"]["created"]);
    assert_eq!(unix(secret.attributes.updated), r["attributes"]["updated"]);
    assert_eq!(
        secret.attributes.recovery_level,
        Some(RecoveryLevel::RecoverablePurgeable)
    );
    assert!(
        !format!("{secret:?}").contains(value),
        "Debug hides the value"
    );
}

#[tokio::test(start_paused = true)]
async fn get_matches_the_example_and_404_is_none() {
    let v = vector("GetSecret-example.json");
    let p = &v["parameters"];
    let script = Arc::new(ScriptedTransport::new());
    challenge(&script);
    answer_with(&script, &v);
    script.answer(
        404,
        &[],
        r#"{"error":{"code":"SecretNotFound","message":"A secret with (name/id) nope was not found in this key vault."}}"#,
    );
    let kv = client(&script, &vault(&v));
    let name = p["secret-name"].as_str().unwrap();
    let version = p["secret-version"].as_str().unwrap();
    let secret = kv.get(name, Some(version)).await.unwrap().unwrap();
    assert!(kv.get("nope", None).await.unwrap().is_none());

    let sent = script.requests();
    assert_eq!(sent[1].method.as_str(), "GET");
    assert_eq!(sent[1].url.path(), format!("/secrets/{name}/{version}"));
    assert_eq!(api_version(&sent[1]), p["api-version"]);
    assert!(sent[1].body.is_none());
    assert_eq!(
        sent[2].url.path(),
        "/secrets/nope/",
        "latest version: empty segment"
    );

    let r = &v["responses"]["200"]["body"];
    assert_eq!(secret.value.expose(), r["value"]);
    assert_eq!(secret.id, r["id"]);
    assert_eq!(
        (secret.name.as_str(), secret.version.as_str()),
        (name, version)
    );
    assert_eq!(unix(secret.attributes.created), 1493938410);
}

#[tokio::test(start_paused = true)]
async fn delete_matches_the_example_and_404_is_already_gone() {
    let v = vector("DeleteSecret-example.json");
    let p = &v["parameters"];
    let script = Arc::new(ScriptedTransport::new());
    challenge(&script);
    answer_with(&script, &v);
    script.answer(
        404,
        &[],
        r#"{"error":{"code":"SecretNotFound","message":"gone"}}"#,
    );
    let kv = client(&script, &vault(&v));
    let name = p["secret-name"].as_str().unwrap();
    let deleted = kv.delete(name).await.unwrap().unwrap();
    assert!(kv.delete(name).await.unwrap().is_none());

    let sent = &script.requests()[1];
    assert_eq!(sent.method.as_str(), "DELETE");
    assert_eq!(sent.url.path(), format!("/secrets/{name}"));
    assert_eq!(api_version(sent), p["api-version"]);

    let r = &v["responses"]["200"]["body"];
    assert_eq!(deleted.name, name);
    assert_eq!(deleted.id, r["id"]);
    assert_eq!(deleted.recovery_id.as_deref(), r["recoveryId"].as_str());
    assert_eq!(unix(deleted.deleted_date), r["deletedDate"]);
    assert_eq!(unix(deleted.scheduled_purge_date), r["scheduledPurgeDate"]);
    let level = deleted.attributes.recovery_level.unwrap();
    assert!(level.purgeable());
}

#[tokio::test(start_paused = true)]
async fn get_deleted_matches_the_example() {
    let v = vector("GetDeletedSecret-example.json");
    let p = &v["parameters"];
    let script = Arc::new(ScriptedTransport::new());
    challenge(&script);
    answer_with(&script, &v);
    script.answer(
        404,
        &[],
        r#"{"error":{"code":"SecretNotFound","message":"no"}}"#,
    );
    let kv = client(&script, &vault(&v));
    let name = p["secret-name"].as_str().unwrap();
    let deleted = kv.get_deleted(name).await.unwrap().unwrap();
    assert!(kv.get_deleted("other").await.unwrap().is_none());

    let sent = &script.requests()[1];
    assert_eq!(sent.method.as_str(), "GET");
    assert_eq!(sent.url.path(), format!("/deletedsecrets/{name}"));
    assert_eq!(api_version(sent), p["api-version"]);
    let r = &v["responses"]["200"]["body"];
    assert_eq!(deleted.recovery_id.as_deref(), r["recoveryId"].as_str());
    assert_eq!(unix(deleted.scheduled_purge_date), 1501714433);
}

#[tokio::test(start_paused = true)]
async fn purge_matches_the_example_and_waits_out_a_delete_in_progress() {
    let v = vector("PurgeDeletedSecret-example.json");
    let p = &v["parameters"];
    let name = p["secret-name"].as_str().unwrap();
    let script = Arc::new(ScriptedTransport::new());
    challenge(&script);
    let busy = r#"{"error":{"code":"Conflict","message":"Secret testsecret is currently being deleted."}}"#;
    script.answer(409, &[], busy).answer(409, &[], busy);
    answer_with(&script, &v);
    script.answer(
        404,
        &[],
        r#"{"error":{"code":"SecretNotFound","message":"no"}}"#,
    );
    let kv = client(&script, &vault(&v));
    let start = tokio::time::Instant::now();
    assert!(kv.purge(name).await.unwrap());
    assert_eq!(
        tokio::time::Instant::now() - start,
        Duration::from_secs(3),
        "1 s, then 2 s"
    );
    assert!(!kv.purge(name).await.unwrap(), "nothing left to purge");

    let sent = script.requests();
    assert_eq!(sent.len(), 5);
    for r in &sent[1..] {
        assert_eq!(r.method.as_str(), "DELETE");
        assert_eq!(r.url.path(), format!("/deletedsecrets/{name}"));
        assert_eq!(api_version(r), p["api-version"]);
    }
}

#[tokio::test(start_paused = true)]
async fn a_name_that_stays_busy_fails_with_the_conflict_after_the_bound() {
    let script = Arc::new(ScriptedTransport::new());
    challenge(&script);
    for _ in 0..8 {
        script.answer(
            409,
            &[],
            r#"{"error":{"code":"Conflict","message":"being deleted"}}"#,
        );
    }
    let kv = client(
        &script,
        &url::Url::parse("https://v.vault.azure.net").unwrap(),
    );
    let err = kv.purge("s1").await.unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(err.code(), Some("Conflict"));
    assert_eq!(script.requests().len(), 9, "challenge + 8 tries");
}

const SOFT_DELETED: &str = r#"{"error":{"code":"Conflict","message":"Secret crpsecret is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."}}"#;

fn calls(script: &ScriptedTransport) -> Vec<String> {
    script
        .requests()
        .iter()
        .skip(1)
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn set_over_a_soft_deleted_name_purges_it_first() {
    let set = vector("SetSecret-example.json");
    let script = Arc::new(ScriptedTransport::new());
    challenge(&script);
    script.answer(409, &[], SOFT_DELETED);
    answer_with(&script, &vector("GetDeletedSecret-example.json"));
    answer_with(&script, &vector("PurgeDeletedSecret-example.json"));
    script.answer(
        409,
        &[],
        r#"{"error":{"code":"Conflict","message":"being purged"}}"#,
    );
    script.answer(
        404,
        &[],
        r#"{"error":{"code":"SecretNotFound","message":"no"}}"#,
    );
    answer_with(&script, &set);
    let secret = client(&script, &vault(&set))
        .set(
            "crpsecret",
            &NewSecret::new(Secret::new("mysecretvalue")),
            OnSoftDeleted::Purge,
        )
        .await
        .unwrap();
    assert_eq!(secret.value.expose(), "mysecretvalue");
    assert_eq!(
        calls(&script),
        [
            "PUT /secrets/crpsecret",
            "GET /deletedsecrets/crpsecret",
            "DELETE /deletedsecrets/crpsecret",
            "PUT /secrets/crpsecret",
            "GET /deletedsecrets/crpsecret",
            "PUT /secrets/crpsecret",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn set_over_a_soft_deleted_name_can_recover_it_instead() {
    // No example was collected for RecoverDeletedSecret; its documented answer is 200 with the
    // secret's attributes (no value).
    let set = vector("SetSecret-example.json");
    let script = Arc::new(ScriptedTransport::new());
    challenge(&script);
    script.answer(409, &[], SOFT_DELETED);
    answer_with(&script, &vector("GetDeletedSecret-example.json"));
    script.answer(
        200,
        &[],
        r#"{"id":"https://myvault.vault.azure.net/secrets/crpsecret/03bcccc7c8cf4546a0e3e21e52560441","attributes":{"enabled":true}}"#,
    );
    answer_with(&script, &set);
    client(&script, &vault(&set))
        .set(
            "crpsecret",
            &NewSecret::new(Secret::new("mysecretvalue")),
            OnSoftDeleted::Recover,
        )
        .await
        .unwrap();
    assert_eq!(
        calls(&script),
        [
            "PUT /secrets/crpsecret",
            "GET /deletedsecrets/crpsecret",
            "POST /deletedsecrets/crpsecret/recover",
            "PUT /secrets/crpsecret",
        ]
    );
}

/// Records the scopes it is asked for.
struct Recording(Mutex<Vec<String>>);

impl AccessTokens for Recording {
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<Secret, AzureError>> {
        self.0.lock().unwrap().push(scope.to_string());
        Box::pin(async { Ok(Secret::new("t")) })
    }
    fn principal(&self) -> &str {
        "p"
    }
}

#[tokio::test(start_paused = true)]
async fn a_vault_anywhere_gets_tokens_only_for_the_key_vault_audience() {
    let script = Arc::new(ScriptedTransport::new());
    script.answer(
        401,
        &[(
            "www-authenticate",
            r#"Bearer authorization="https://x/t", resource="https://graph.microsoft.com""#,
        )],
        "",
    );
    answer_with(&script, &vector("GetSecret-example.json"));
    let tokens = Arc::new(Recording(Mutex::new(Vec::new())));
    let vault = url::Url::parse("https://127.0.0.1:8443/").unwrap();
    let kv = SecretsClient::new(
        &vault,
        script.clone(),
        tokens.clone(),
        SecretsOptions::default(),
    )
    .unwrap();
    kv.get("mysecretname", None).await.unwrap().unwrap();
    assert_eq!(
        *tokens.0.lock().unwrap(),
        ["https://vault.azure.net/.default"]
    );
    assert_eq!(
        script.requests()[1].url.as_str(),
        "https://127.0.0.1:8443/secrets/mysecretname/?api-version=7.5"
    );
}

#[tokio::test(start_paused = true)]
async fn bad_names_are_refused_before_anything_is_sent() {
    let script = Arc::new(ScriptedTransport::new());
    let kv = client(
        &script,
        &url::Url::parse("https://v.vault.azure.net").unwrap(),
    );
    let err = kv.get("../keys/k", None).await.unwrap_err();
    assert!(matches!(err, AzureError::Decode { .. }), "{err:?}");
    assert!(script.requests().is_empty());
}
