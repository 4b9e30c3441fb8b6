//! Microsoft Graph operations, pinned by the docs' examples in `shared/vectors/azure/graph/`
//! (derived from the markdown pages; see SOURCES.md). Each test feeds the example's response through
//! a scripted transport and checks the request our code sent against the example's request.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use haymaker::azure::graph::{
    Application, GraphClient, GraphOptions, NewApplication, NewPassword, NewServicePrincipal,
    ServicePrincipalType, SignInAudience,
};
use haymaker::azure::transport::scripted::ScriptedTransport;
use haymaker::azure::{Pipeline, PipelineOptions, StaticTokens};
use haymaker::config::Secret;
use serde_json::{json, Value};

fn vector(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors/azure/graph")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Queues the example's response (status, headers, body).
fn answer_with(script: &ScriptedTransport, v: &Value) {
    let response = &v["response"];
    let headers: Vec<(String, String)> = response["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_string()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = match &response["body"] {
        Value::Null => String::new(),
        b => b.to_string(),
    };
    script.answer(response["status"].as_u64().unwrap() as u16, &headers, &body);
}

fn client_with(script: &Arc<ScriptedTransport>, options: PipelineOptions) -> GraphClient {
    let tokens = Arc::new(StaticTokens {
        principal: "orchestrator".into(),
        token: Secret::new("graph-token"),
    });
    GraphClient::new(
        Pipeline::new(script.clone(), tokens, options),
        GraphOptions::default(),
    )
}

fn client(script: &Arc<ScriptedTransport>) -> GraphClient {
    client_with(script, PipelineOptions::default())
}

fn sent_json(script: &ScriptedTransport, i: usize) -> Value {
    serde_json::from_slice(script.requests()[i].body.as_ref().expect("a body")).unwrap()
}

#[tokio::test(start_paused = true)]
async fn create_application_matches_the_docs_example() {
    let v = vector("application-post-applications.json");
    let script = Arc::new(ScriptedTransport::new());
    answer_with(&script, &v);
    let app = client(&script)
        .create_application(&NewApplication {
            display_name: "Display name".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    let sent = &script.requests()[0];
    assert_eq!(sent.method.as_str(), v["request"]["method"]);
    assert_eq!(sent.url.as_str(), v["request"]["url"]);
    assert_eq!(sent.url.path(), v["request"]["path"]);
    assert_eq!(sent_json(&script, 0), v["request"]["body"]);
    assert_eq!(sent.headers["authorization"], "Bearer graph-token");
    assert_eq!(sent.headers["content-type"], "application/json");

    let body = &v["response"]["body"];
    assert_eq!(app.id, body["id"]);
    assert_eq!(app.app_id, body["appId"]);
    assert_eq!(app.display_name, body["displayName"]);
    assert_eq!(
        app.publisher_domain.as_deref(),
        body["publisherDomain"].as_str()
    );
    assert_eq!(
        app.sign_in_audience,
        Some(SignInAudience::AzureAdAndPersonalMicrosoftAccount)
    );
    assert_eq!(
        app.created_date_time.unwrap().to_rfc3339(),
        "2019-09-17T19:10:35.274261800+00:00"
    );
    assert!(app.tags.is_empty() && app.notes.is_none());
}

#[tokio::test(start_paused = true)]
async fn notes_and_tags_are_sent_when_given() {
    // Documented properties of the application resource; the example sets neither.
    let script = Arc::new(ScriptedTransport::new());
    script.answer(
        201,
        &[],
        r#"{"id":"o1","appId":"a1","displayName":"hm-x","tags":["t"]}"#,
    );
    let app = client(&script)
        .create_application(&NewApplication {
            display_name: "hm-x".into(),
            notes: Some("run r1".into()),
            tags: vec!["haymaker-run-id:r1".into()],
        })
        .await
        .unwrap();
    assert_eq!(
        sent_json(&script, 0),
        json!({"displayName": "hm-x", "notes": "run r1", "tags": ["haymaker-run-id:r1"]})
    );
    assert_eq!(app.tags, vec!["t".to_string()]);
}

#[tokio::test(start_paused = true)]
async fn add_password_matches_the_docs_example_and_hides_the_secret() {
    let v = vector("application-addpassword.json");
    let script = Arc::new(ScriptedTransport::new());
    answer_with(&script, &v);
    let id = "03ef14b0-ca33-4840-8f4f-d6e91916010e";
    let password = client(&script)
        .add_password(
            id,
            &NewPassword {
                display_name: "Password friendly name".into(),
                end_date_time: None,
            },
        )
        .await
        .unwrap();

    let sent = &script.requests()[0];
    assert_eq!(sent.method.as_str(), v["request"]["method"]);
    let path = v["request"]["path"].as_str().unwrap().replace("{id}", id);
    assert_eq!(sent.url.path(), path);
    assert_eq!(sent_json(&script, 0), v["request"]["body"]);

    let body = &v["response"]["body"];
    assert_eq!(password.secret_text.expose(), body["secretText"]);
    assert_eq!(password.key_id.to_string(), body["keyId"]);
    assert_eq!(password.hint.as_deref(), body["hint"].as_str());
    assert_eq!(
        password.display_name.as_deref(),
        body["displayName"].as_str()
    );
    assert_eq!(
        password.end_date_time.unwrap().to_rfc3339(),
        "2021-09-09T19:50:29.308638100+00:00"
    );
    assert!(password.custom_key_identifier.is_none());
    let debug = format!("{password:?}");
    assert!(
        !debug.contains(body["secretText"].as_str().unwrap()),
        "{debug}"
    );
    assert!(debug.contains("Secret(***)"));
}

#[tokio::test(start_paused = true)]
async fn add_password_waits_for_a_new_application_to_replicate() {
    let script = Arc::new(ScriptedTransport::new());
    script.answer(
        404,
        &[],
        r#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'o1' does not exist"}}"#,
    );
    script.answer(
        200,
        &[],
        r#"{"keyId":"f0b0b335-1d71-4883-8f98-567911bfdca6","secretText":"s3cret"}"#,
    );
    let start = tokio::time::Instant::now();
    let p = client(&script)
        .add_password("o1", &NewPassword::default())
        .await
        .unwrap();
    assert_eq!(p.secret_text.expose(), "s3cret");
    assert_eq!(script.requests().len(), 2);
    assert_eq!(tokio::time::Instant::now() - start, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn create_service_principal_matches_the_docs_example() {
    let v = vector("serviceprincipal-post-serviceprincipals.json");
    let script = Arc::new(ScriptedTransport::new());
    answer_with(&script, &v);
    let sp = client(&script)
        .create_service_principal(&NewServicePrincipal {
            app_id: "65415bb1-9267-4313-bbf5-ae259732ee12".into(),
            tags: vec![],
        })
        .await
        .unwrap();

    let sent = &script.requests()[0];
    assert_eq!(sent.method.as_str(), v["request"]["method"]);
    assert_eq!(sent.url.as_str(), v["request"]["url"]);
    assert_eq!(sent_json(&script, 0), v["request"]["body"]);

    let body = &v["response"]["body"];
    assert_eq!(sp.id, body["id"]);
    assert_eq!(sp.app_id, body["appId"]);
    assert_eq!(sp.display_name, "foo");
    assert_eq!(sp.app_display_name.as_deref(), Some("My App"));
    assert_eq!(sp.account_enabled, Some(true));
    assert_eq!(
        sp.app_owner_organization_id.unwrap().to_string(),
        body["appOwnerOrganizationId"]
    );
    assert_eq!(sp.publisher_name.as_deref(), Some("Contoso"));
    assert_eq!(
        sp.service_principal_names,
        vec!["f1bd758f-4a1a-4b71-aa20-a248a22a8928".to_string()]
    );
}

#[tokio::test(start_paused = true)]
async fn create_service_principal_retries_only_replication_lag() {
    let lag = r#"{"error":{"code":"Request_BadRequest","message":"The appId 'a1' of the service principal does not reference a valid application object."}}"#;
    let script = Arc::new(ScriptedTransport::new());
    script.answer(400, &[], lag).answer(400, &[], lag).answer(
        201,
        &[],
        r#"{"id":"sp1","appId":"a1","displayName":"hm"}"#,
    );
    let new = NewServicePrincipal {
        app_id: "a1".into(),
        tags: vec![],
    };
    let sp = client(&script)
        .create_service_principal(&new)
        .await
        .unwrap();
    assert_eq!(sp.id, "sp1");
    assert_eq!(script.requests().len(), 3);

    let script = Arc::new(ScriptedTransport::new());
    script.answer(
        400,
        &[],
        r#"{"error":{"code":"Request_BadRequest","message":"Invalid value for appId"}}"#,
    );
    let err = client(&script)
        .create_service_principal(&new)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(script.requests().len(), 1, "other 400s are final");
}

#[tokio::test(start_paused = true)]
async fn find_applications_filters_by_prefix_and_follows_next_links() {
    let v = vector("application-list.json");
    let script = Arc::new(ScriptedTransport::new());
    let next = "https://graph.microsoft.com/v1.0/applications?$skiptoken=page2";
    script.answer(
        200,
        &[],
        &json!({"value": [{"id": "o0", "appId": "a0", "displayName": "hm-o'neil-0"}],
                "@odata.nextLink": next})
        .to_string(),
    );
    answer_with(&script, &v);
    let apps: Vec<Application> = client(&script)
        .find_applications("hm-o'neil")
        .await
        .unwrap();

    let sent = script.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].method.as_str(), v["request"]["method"]);
    assert_eq!(sent[0].url.path(), v["request"]["path"]);
    let query: Vec<(String, String)> = sent[0].url.query_pairs().into_owned().collect();
    assert!(query.contains(&(
        "$filter".into(),
        "startswith(displayName,'hm-o''neil')".into()
    )));
    assert!(query
        .iter()
        .any(|(k, v)| k == "$select" && v.split(',').any(|f| f == "id")));
    assert!(query.contains(&("$top".into(), "999".into())));
    assert!(!sent[0].url.query().unwrap().contains('+'));
    assert_eq!(sent[1].url.as_str(), next);

    assert_eq!(apps.len(), 2);
    assert_eq!(apps[0].id, "o0");
    let listed = &v["response"]["body"]["value"][0];
    assert_eq!(apps[1].app_id, listed["appId"]);
    assert_eq!(apps[1].display_name, listed["displayName"]);
    assert_eq!(apps[1].publisher_domain.as_deref(), Some("contoso.com"));
    assert_eq!(apps[1].sign_in_audience, Some(SignInAudience::AzureAdMyOrg));
    assert_eq!(apps[1].id, "", "the docs' shortened example has no id");
}

#[tokio::test(start_paused = true)]
async fn find_service_principals_matches_the_docs_example() {
    let v = vector("serviceprincipal-list.json");
    let script = Arc::new(ScriptedTransport::new());
    answer_with(&script, &v);
    let sps = client(&script).find_service_principals("am").await.unwrap();

    let sent = &script.requests()[0];
    assert_eq!(sent.method.as_str(), v["request"]["method"]);
    // The example writes the path in lower case; Graph paths are case-insensitive, and we send
    // the documented `/servicePrincipals`.
    assert_eq!(sent.url.path(), "/v1.0/servicePrincipals");
    assert!(sent
        .url
        .path()
        .eq_ignore_ascii_case(v["request"]["path"].as_str().unwrap()));

    let listed = &v["response"]["body"]["value"][0];
    assert_eq!(sps.len(), 1);
    assert_eq!(sps[0].display_name, listed["displayName"]);
    assert_eq!(sps[0].account_enabled, Some(true));
    assert_eq!(
        sps[0].service_principal_type,
        Some(ServicePrincipalType::Application)
    );
    assert_eq!(sps[0].publisher_name.as_deref(), Some("Contoso"));
    assert_eq!(sps[0].sign_in_audience, Some(SignInAudience::AzureAdMyOrg));
}

#[tokio::test(start_paused = true)]
async fn delete_application_matches_the_docs_example_and_404_is_already_gone() {
    let v = vector("application-delete.json");
    let id = "03ef14b0-ca33-4840-8f4f-d6e91916010e";
    let script = Arc::new(ScriptedTransport::new());
    answer_with(&script, &v);
    script.answer(
        404,
        &[],
        r#"{"error":{"code":"Request_ResourceNotFound","message":"gone"}}"#,
    );
    script.answer(
        403,
        &[],
        r#"{"error":{"code":"Authorization_RequestDenied","message":"no"}}"#,
    );
    let graph = client(&script);
    assert!(graph.delete_application(id).await.unwrap());
    assert!(!graph.delete_application(id).await.unwrap());
    let err = graph.delete_application(id).await.unwrap_err();
    assert_eq!(err.code(), Some("Authorization_RequestDenied"));

    let sent = &script.requests()[0];
    assert_eq!(sent.method.as_str(), v["request"]["method"]);
    assert_eq!(
        sent.url.path(),
        v["request"]["path"].as_str().unwrap().replace("{id}", id)
    );
    assert!(sent.body.is_none());
}

#[tokio::test(start_paused = true)]
async fn purge_deleted_item_matches_the_docs_example_and_404_is_already_gone() {
    let v = vector("directory-deleteditems-delete.json");
    let id = "59e617e5-e447-4adc-8b88-00af644d7c92";
    let script = Arc::new(ScriptedTransport::new());
    answer_with(&script, &v);
    script.answer(404, &[], r#"{"error":{"code":"Request_ResourceNotFound"}}"#);
    let graph = client(&script);
    assert!(graph.purge_deleted_item(id).await.unwrap());
    assert!(!graph.purge_deleted_item(id).await.unwrap());
    let sent = &script.requests()[0];
    assert_eq!(sent.method.as_str(), v["request"]["method"]);
    assert_eq!(
        sent.url.path(),
        v["request"]["path"]
            .as_str()
            .unwrap()
            .replace("{object-id}", id)
    );
}

#[tokio::test(start_paused = true)]
async fn delete_service_principal_uses_the_documented_shape() {
    // No example was collected for DELETE /servicePrincipals/{id}; the documented answer is 204.
    let script = Arc::new(ScriptedTransport::new());
    script.answer(204, &[], "").answer(404, &[], "{}");
    let graph = client(&script);
    assert!(graph.delete_service_principal("sp1").await.unwrap());
    assert!(!graph.delete_service_principal("sp1").await.unwrap());
    let sent = &script.requests()[0];
    assert_eq!(sent.method.as_str(), "DELETE");
    assert_eq!(sent.url.path(), "/v1.0/servicePrincipals/sp1");
}

#[tokio::test(start_paused = true)]
async fn the_endpoint_is_configuration_and_ids_stay_one_segment() {
    let script = Arc::new(ScriptedTransport::new());
    script.answer(204, &[], "");
    let options = PipelineOptions {
        graph_endpoint: url::Url::parse("https://127.0.0.1:8443/graph/").unwrap(),
        ..Default::default()
    };
    client_with(&script, options)
        .delete_application("../me")
        .await
        .unwrap();
    assert_eq!(
        script.requests()[0].url.as_str(),
        "https://127.0.0.1:8443/graph/v1.0/applications/..%2Fme"
    );
}
