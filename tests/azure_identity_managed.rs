//! The managed identity goes through our transport too. A test binary of its own:
//! `azure_identity` reads `IDENTITY_ENDPOINT` / `IDENTITY_HEADER` from the process environment,
//! which this (only) test sets.

use std::collections::HashMap;
use std::sync::Arc;

use haymaker::azure::identity::{CredentialKind, IdentityTokens};
use haymaker::azure::transport::scripted::ScriptedTransport;
use haymaker::azure::AccessTokens;
use haymaker::config::Settings;

#[tokio::test]
async fn app_service_managed_identity_uses_our_transport_and_the_user_assigned_id() {
    std::env::set_var("IDENTITY_ENDPOINT", "http://localhost:42356/msi/token");
    std::env::set_var("IDENTITY_HEADER", "identity-header-secret");
    let settings =
        Settings::from_lookup(&|n| (n == "AZURE_CLIENT_ID").then(|| "uami-1".to_string())).unwrap();
    let expires_on = chrono::Utc::now().timestamp() + 3600;
    let script = Arc::new(ScriptedTransport::new());
    script.answer(
        200,
        &[("content-type", "application/json")],
        &format!(
            r#"{{"access_token":"mi-token","expires_on":"{expires_on}","resource":"https://management.azure.com","token_type":"Bearer","client_id":"uami-1"}}"#
        ),
    );
    let tokens = IdentityTokens::from_settings(&settings.azure, script.clone()).unwrap();
    assert_eq!(tokens.kind(), CredentialKind::ManagedIdentity);
    assert_eq!(tokens.principal(), "uami-1");
    let scope = "https://management.azure.com/.default";
    assert_eq!(tokens.token(scope).await.unwrap().expose(), "mi-token");
    assert_eq!(tokens.token(scope).await.unwrap().expose(), "mi-token");

    let sent = script.requests();
    assert_eq!(sent.len(), 1, "cached");
    let r = &sent[0];
    assert_eq!(r.method.as_str(), "GET");
    assert_eq!(r.url.path(), "/msi/token");
    let query: HashMap<String, String> = r.url.query_pairs().into_owned().collect();
    assert_eq!(query["api-version"], "2019-08-01");
    assert_eq!(query["resource"], "https://management.azure.com");
    assert_eq!(query["client_id"], "uami-1");
    assert_eq!(r.headers["x-identity-header"], "identity-header-secret");
    assert!(!format!("{tokens:?}").contains("identity-header-secret"));
}
