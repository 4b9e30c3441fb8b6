//! The orchestrator's credential, without a network: the client-secret flow against a scripted
//! token endpoint (what `azure_identity` sends, and our per-scope cache), the choice of credential,
//! construction errors that name the setting, and no secret in `Debug`.

use std::collections::HashMap;
use std::sync::Arc;

use haymaker::azure::identity::{pipeline_from_settings, CredentialKind, IdentityTokens};
use haymaker::azure::transport::scripted::ScriptedTransport;
use haymaker::azure::{AccessTokens, AzureError};
use haymaker::config::Settings;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_SECRET: &str = "very-secret-client-value";
const ARM_SCOPE: &str = "https://management.azure.com/.default";
const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

fn settings(pairs: &[(&str, &str)]) -> Settings {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(&|name| map.get(name).cloned()).unwrap()
}

fn secret_settings() -> Settings {
    settings(&[
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", "cid-123"),
        ("AZURE_CLIENT_SECRET", CLIENT_SECRET),
        ("AZURE_AUTHORITY_HOST", "https://login.sim.test"),
    ])
}

fn token_answer(script: &ScriptedTransport, token: &str, expires_in: u32) {
    script.answer(
        200,
        &[("content-type", "application/json")],
        &format!(
            r#"{{"token_type":"Bearer","expires_in":{expires_in},"ext_expires_in":{expires_in},"access_token":"{token}"}}"#
        ),
    );
}

fn no_env(_: &str) -> Option<String> {
    None
}

#[tokio::test]
async fn client_secret_tokens_come_from_the_authority_and_are_cached_per_scope() {
    let script = Arc::new(ScriptedTransport::new());
    token_answer(&script, "arm-token-1", 3599);
    token_answer(&script, "graph-token-1", 3599);
    let tokens = IdentityTokens::new(&secret_settings().azure, script.clone(), &no_env).unwrap();
    assert_eq!(tokens.kind(), CredentialKind::ClientSecret);
    assert_eq!(tokens.principal(), "cid-123");

    assert_eq!(
        tokens.token(ARM_SCOPE).await.unwrap().expose(),
        "arm-token-1"
    );
    assert_eq!(
        tokens.token(ARM_SCOPE).await.unwrap().expose(),
        "arm-token-1"
    );
    assert_eq!(
        tokens.token(GRAPH_SCOPE).await.unwrap().expose(),
        "graph-token-1"
    );
    let sent = script.requests();
    assert_eq!(sent.len(), 2, "the second ARM token came from the cache");

    let r = &sent[0];
    assert_eq!(r.method.as_str(), "POST");
    assert_eq!(
        r.url.as_str(),
        format!("https://login.sim.test/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(
        r.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form: HashMap<String, String> = url::form_urlencoded::parse(r.body.as_ref().unwrap())
        .into_owned()
        .collect();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], "cid-123");
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert_eq!(form["scope"], ARM_SCOPE);

    let debug = format!("{tokens:?}");
    assert!(
        !debug.contains(CLIENT_SECRET) && !debug.contains("arm-token-1"),
        "{debug}"
    );
}

#[tokio::test]
async fn a_token_about_to_expire_is_fetched_again() {
    let script = Arc::new(ScriptedTransport::new());
    token_answer(&script, "short-lived", 60);
    token_answer(&script, "fresh", 3599);
    let tokens = IdentityTokens::new(&secret_settings().azure, script.clone(), &no_env).unwrap();
    assert_eq!(
        tokens.token(ARM_SCOPE).await.unwrap().expose(),
        "short-lived"
    );
    assert_eq!(tokens.token(ARM_SCOPE).await.unwrap().expose(), "fresh");
    assert_eq!(script.requests().len(), 2);
}

#[tokio::test]
async fn a_refused_secret_is_an_auth_error_that_does_not_echo_it() {
    let script = Arc::new(ScriptedTransport::new());
    script.answer(
        401,
        &[],
        r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#,
    );
    let tokens = IdentityTokens::new(&secret_settings().azure, script.clone(), &no_env).unwrap();
    let err = tokens.token(ARM_SCOPE).await.unwrap_err();
    match &err {
        AzureError::Auth { scope, message } => {
            assert_eq!(scope, ARM_SCOPE);
            assert!(message.contains("AADSTS7000215"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains(CLIENT_SECRET));
}

#[test]
fn missing_settings_are_named_all_at_once() {
    let s = settings(&[("AZURE_CLIENT_SECRET", CLIENT_SECRET)]);
    let script = Arc::new(ScriptedTransport::new());
    let err = IdentityTokens::new(&s.azure, script.clone(), &no_env).unwrap_err();
    let names: Vec<&str> = err.problems.iter().map(|p| p.name).collect();
    assert_eq!(names, ["AZURE_TENANT_ID", "AZURE_CLIENT_ID"]);
    assert!(!err.to_string().contains(CLIENT_SECRET));

    let s = settings(&[
        ("AZURE_TENANT_ID", "not/a/tenant"),
        ("AZURE_CLIENT_ID", "c"),
        ("AZURE_CLIENT_SECRET", CLIENT_SECRET),
        ("AZURE_AUTHORITY_HOST", "http://127.0.0.1:8080"),
    ]);
    let err = IdentityTokens::new(&s.azure, script, &no_env).unwrap_err();
    let names: Vec<&str> = err.problems.iter().map(|p| p.name).collect();
    assert_eq!(names, ["AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST"]);
    assert!(err.to_string().contains("https"), "{err}");
}

#[test]
fn the_credential_follows_the_settings_and_the_environment() {
    let in_azure = |name: &str| {
        (name == "IDENTITY_ENDPOINT").then(|| "http://localhost:42356/msi/token".into())
    };
    let plain = settings(&[]);
    let with_id = settings(&[("AZURE_CLIENT_ID", "uami-1")]);
    assert_eq!(
        CredentialKind::choose(&secret_settings().azure, &in_azure),
        CredentialKind::ClientSecret
    );
    assert_eq!(
        CredentialKind::choose(&plain.azure, &in_azure),
        CredentialKind::ManagedIdentity
    );
    assert_eq!(
        CredentialKind::choose(&plain.azure, &no_env),
        CredentialKind::DeveloperTools
    );

    let script = Arc::new(ScriptedTransport::new());
    let mi = IdentityTokens::new(&plain.azure, script.clone(), &in_azure).unwrap();
    assert_eq!(mi.principal(), "managed-identity");
    let uami = IdentityTokens::new(&with_id.azure, script.clone(), &in_azure).unwrap();
    assert_eq!(uami.principal(), "uami-1");
    let dev = IdentityTokens::new(&plain.azure, script, &no_env).unwrap();
    assert_eq!(dev.kind(), CredentialKind::DeveloperTools);
    assert!(format!("{dev:?}").contains("DeveloperTools"));
}

#[test]
fn the_real_pipeline_takes_its_endpoints_from_the_settings() {
    let s = settings(&[
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", "cid-123"),
        ("AZURE_CLIENT_SECRET", CLIENT_SECRET),
        ("HAYMAKER_ARM_ENDPOINT", "https://127.0.0.1:8443/"),
        ("HAYMAKER_GRAPH_ENDPOINT", "https://127.0.0.1:8443/graph/"),
    ]);
    let pipeline = pipeline_from_settings(&s).unwrap();
    assert_eq!(
        pipeline.options().arm_endpoint.as_str(),
        "https://127.0.0.1:8443/"
    );
    assert_eq!(
        pipeline.options().graph_endpoint.as_str(),
        "https://127.0.0.1:8443/graph/"
    );
    assert_eq!(pipeline.principal(), "cid-123");

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-ca.pem");
    let s = settings(&[("HAYMAKER_EXTRA_CA_FILE", missing.to_str().unwrap())]);
    let err = pipeline_from_settings(&s)
        .err()
        .expect("a missing CA file fails");
    assert!(err.contains("HAYMAKER_EXTRA_CA_FILE"), "{err}");

    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let s = settings(&[("HAYMAKER_EXTRA_CA_FILE", not_pem.to_str().unwrap())]);
    let err = pipeline_from_settings(&s)
        .err()
        .expect("a bad CA file fails");
    assert!(err.contains("HAYMAKER_EXTRA_CA_FILE"), "{err}");
}
