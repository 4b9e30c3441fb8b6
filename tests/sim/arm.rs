//! The simulator over real HTTPS: Entra tokens, ARM's authentication, resource groups and generic
//! resources through haymaker's own pipeline, the group-delete LRO with cascade, and `--print-env`.
//! Each test starts its own simulator on a free port with its own data directory.

use crate::common;

use std::time::Duration;

use haymaker::azure::lro::{self, LroOptions};
use haymaker::azure::{ApiRequest, AzureError, Pipeline, RetryOptions, Service};
use haymaker::sim::{SimConfig, SimOptions, SimServer};
use serde_json::{json, Value};

const API: &str = "2025-04-01";

struct TestSim {
    server: SimServer,
    dir: tempfile::TempDir,
}

impl TestSim {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = SimServer::start(SimOptions {
            port: 0,
            data_dir: Some(dir.path().join("sim")),
            config: SimConfig {
                lro_polls: 1,
                retry_after_secs: 0,
                group_delete_duration: Duration::ZERO,
                ..SimConfig::default()
            },
        })
        .await
        .expect("the simulator starts");
        Self { server, dir }
    }

    fn base(&self) -> String {
        self.server.base_url()
    }

    fn sub(&self, i: usize) -> String {
        self.server.identity().subscriptions[i].id.clone()
    }

    fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("{}{path}", self.base())).unwrap()
    }

    /// A plain HTTPS client that trusts the simulator's CA (for raw wire checks).
    fn http(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.server.ca_file).unwrap();
        let mut builder = reqwest::Client::builder();
        for cert in reqwest::Certificate::from_pem_bundle(&pem).unwrap() {
            builder = builder.add_root_certificate(cert);
        }
        builder.build().unwrap()
    }

    fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.base(),
            self.server.identity().tenant_id
        )
    }

    async fn token(&self, scope: &str) -> String {
        let id = self.server.identity();
        let resp = self
            .http()
            .post(self.token_url())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id.client_id.as_str()),
                ("client_secret", id.client_secret.expose()),
                ("scope", scope),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = json_of(resp).await;
        body["access_token"].as_str().unwrap().to_string()
    }

    /// haymaker's own pipeline, built from the settings the simulator prints: azure_identity's
    /// client-secret credential and `HttpTransport`, both trusting the simulator's CA.
    fn pipeline(&self) -> Pipeline {
        let vars = self.server.env_vars();
        let settings = haymaker::config::Settings::from_lookup(&|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .unwrap();
        let mut connection =
            haymaker::azure::identity::AzureConnection::from_settings(&settings).unwrap();
        connection.options.retry = RetryOptions {
            max_retries: 0,
            ..RetryOptions::default()
        };
        connection.pipeline()
    }

    async fn stop(self) {
        self.server.stop().await;
        drop(self.dir);
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn json_of(resp: reqwest::Response) -> Value {
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

fn vector(rel: &str) -> Value {
    let path = common::shared_dir().join("vectors/azure").join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Every field of `expected` (with the vector's subscription id replaced by `sub`) is in `actual`
/// with the same value.
fn assert_has_fields(expected: &Value, actual: &Value, sub: &str, at: &str) {
    match expected {
        Value::Object(map) => {
            for (k, v) in map {
                let got = actual
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k} missing in {actual}"));
                assert_has_fields(v, got, sub, &format!("{at}.{k}"));
            }
        }
        Value::String(s) => {
            let want = s.replace("00000000-0000-0000-0000-000000000000", sub);
            assert_eq!(actual.as_str(), Some(want.as_str()), "{at}");
        }
        other => assert_eq!(actual, other, "{at}"),
    }
}

fn http_code(e: &AzureError) -> (u16, String) {
    (e.status().unwrap_or(0), e.code().unwrap_or("").to_string())
}

#[tokio::test]
async fn token_endpoint_issues_tokens_and_refuses_a_wrong_secret() {
    let sim = TestSim::start().await;
    let id = sim.server.identity().clone();
    let http = sim.http();
    // What MSAL sends: the Azure CLI's audience with its double slash, plus extra fields.
    let resp = http
        .post(sim.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.client_id.as_str()),
            ("client_secret", id.client_secret.expose()),
            ("scope", &format!("{}//.default", sim.base())),
            ("client_info", "1"),
            (
                "claims",
                r#"{"access_token":{"xms_cc":{"values":["CP1"]}}}"#,
            ),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = json_of(resp).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    assert!(body["access_token"].as_str().unwrap().len() >= 32);

    let resp = http
        .post(sim.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.client_id.as_str()),
            ("client_secret", "not-the-secret"),
            ("scope", "https://management.azure.com/.default"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = json_of(resp).await;
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"], json!([7000215]));
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS7000215:"));
    assert!(!body.to_string().contains(id.client_secret.expose()));

    let resp = http
        .post(sim.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.client_id.as_str()),
            ("client_secret", id.client_secret.expose()),
            ("scope", "https://management.azure.com/user_impersonation"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = json_of(resp).await;
    assert_eq!(body["error"], "invalid_scope");

    // Discovery: what MSAL and `az cloud register` read.
    let oidc: Value = http
        .get(format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            sim.base(),
            id.tenant_id
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice::<Value>(&b).unwrap())
        .unwrap();
    assert_eq!(oidc["token_endpoint"], sim.token_url());
    assert_eq!(
        oidc["issuer"],
        format!("{}/{}/v2.0", sim.base(), id.tenant_id)
    );
    let meta: Value = http
        .get(format!(
            "{}//metadata/endpoints?api-version=2022-09-01",
            sim.base()
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice::<Value>(&b).unwrap())
        .unwrap();
    assert_eq!(meta["resourceManager"], format!("{}/", sim.base()));
    assert_eq!(
        meta["authentication"]["loginEndpoint"],
        format!("{}/", sim.base())
    );
    assert_eq!(
        meta["authentication"]["audiences"][0],
        format!("{}/", sim.base())
    );
    assert!(meta["suffixes"].is_object());
    sim.stop().await;
}

#[tokio::test]
async fn arm_refuses_calls_without_a_valid_arm_token() {
    let sim = TestSim::start().await;
    let http = sim.http();
    let url = format!("{}/subscriptions?api-version=2022-12-01", sim.base());
    let check = |resp: reqwest::Response, code: &'static str| async move {
        assert_eq!(resp.status(), 401);
        assert!(resp.headers().contains_key("x-ms-request-id"));
        assert!(resp.headers().contains_key("www-authenticate"));
        let body: Value = json_of(resp).await;
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 10);
    };
    check(http.get(&url).send().await.unwrap(), "AuthenticationFailed").await;
    check(
        http.get(&url).bearer_auth("forged").send().await.unwrap(),
        "InvalidAuthenticationToken",
    )
    .await;
    let graph = sim.token(&format!("{}/graph/.default", sim.base())).await;
    check(
        http.get(&url).bearer_auth(graph).send().await.unwrap(),
        "InvalidAuthenticationTokenAudience",
    )
    .await;
    let arm = sim.token("https://management.azure.com/.default").await;
    let resp = http.get(&url).bearer_auth(arm).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = json_of(resp).await;
    let ids: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&sim.sub(0).as_str()) && ids.contains(&sim.sub(1).as_str()));
    sim.stop().await;
}

#[tokio::test]
async fn resource_groups_through_the_pipeline_with_a_cascading_delete() {
    let sim = TestSim::start().await;
    let pipeline = sim.pipeline();
    let sub = sim.sub(0);
    let rg_url = |name: &str| {
        sim.url(&format!(
            "/subscriptions/{sub}/resourcegroups/{name}?api-version={API}"
        ))
    };

    // Create, then update: 201 then 200, bodies as Microsoft's example shows them.
    let create = vector("resources/CreateResourceGroup.json");
    let request = ApiRequest::put(
        Service::Arm,
        rg_url("my-resource-group"),
        json!({"location": "eastus", "tags": {"haymaker-run-id": "run-1"}}),
    );
    let first = pipeline.send(&request).await.unwrap();
    assert_eq!(first.status, 201);
    assert!(first.header("x-ms-request-id").is_some());
    let body: Value = first.json().unwrap();
    assert_has_fields(&create["responses"]["201"]["body"], &body, &sub, "201");
    assert_eq!(body["tags"]["haymaker-run-id"], "run-1");
    let again = pipeline.send(&request).await.unwrap();
    assert_eq!(again.status, 200);
    assert_has_fields(
        &create["responses"]["200"]["body"],
        &again.json().unwrap(),
        &sub,
        "200",
    );

    // Get, in the other subscription, as ResourceGroups_Get's example.
    let get_vector = vector("resources/ResourceGroups_Get.json");
    let other = sim.sub(1);
    let url = sim.url(&format!(
        "/subscriptions/{other}/resourceGroups/my-resource-group?api-version={API}"
    ));
    pipeline
        .send(&ApiRequest::put(
            Service::Arm,
            url.clone(),
            json!({"location": "West US 2"}),
        ))
        .await
        .unwrap();
    let got: Value = pipeline
        .send(&ApiRequest::get(Service::Arm, url))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_has_fields(&get_vector["responses"]["200"]["body"], &got, &other, "get");

    // List by tag: only the tagged group of this subscription.
    pipeline
        .send(&ApiRequest::put(
            Service::Arm,
            rg_url("untagged"),
            json!({"location": "eastus"}),
        ))
        .await
        .unwrap();
    let mut list = sim.url(&format!("/subscriptions/{sub}/resourcegroups"));
    list.query_pairs_mut()
        .append_pair("api-version", API)
        .append_pair(
            "$filter",
            "tagName eq 'haymaker-run-id' and tagValue eq 'run-1'",
        );
    let listed: Value = pipeline
        .send(&ApiRequest::get(Service::Arm, list))
        .await
        .unwrap()
        .json()
        .unwrap();
    let names: Vec<&str> = listed["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["my-resource-group"]);

    // A resource inside, then delete the group: 202 + Location + Retry-After, Deleting meanwhile,
    // and after the LRO the group and its resource are gone.
    let vnet = sim.url(&format!(
        "/subscriptions/{sub}/resourceGroups/my-resource-group/providers/Microsoft.Network/virtualNetworks/vnet1?api-version=2024-05-01"
    ));
    pipeline
        .send(&ApiRequest::put(
            Service::Arm,
            vnet.clone(),
            json!({"location": "eastus"}),
        ))
        .await
        .unwrap();
    let delete = ApiRequest::delete(Service::Arm, rg_url("my-resource-group"));
    let accepted = pipeline.send(&delete).await.unwrap();
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.header("retry-after"), Some("0"));
    let location = accepted.header("location").unwrap().to_string();
    assert!(
        location.starts_with(&format!(
            "{}/subscriptions/{sub}/operationresults/",
            sim.base()
        )),
        "{location}"
    );
    let during: Value = pipeline
        .send(&ApiRequest::get(Service::Arm, rg_url("MY-RESOURCE-GROUP")))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(during["properties"]["provisioningState"], "Deleting");
    let options = LroOptions {
        default_interval: Duration::from_millis(10),
        max_wait: Duration::from_secs(60),
    };
    let done = lro::wait(&pipeline, &delete, accepted, &options)
        .await
        .unwrap();
    assert_eq!(done.status, 200);
    let gone = pipeline
        .send(&ApiRequest::get(Service::Arm, rg_url("my-resource-group")))
        .await
        .unwrap_err();
    assert_eq!(http_code(&gone), (404, "ResourceGroupNotFound".into()));
    let gone = pipeline
        .send(&ApiRequest::get(Service::Arm, vnet))
        .await
        .unwrap_err();
    assert_eq!(http_code(&gone), (404, "ResourceGroupNotFound".into()));
    {
        let world = sim.server.sim.world();
        assert!(
            world
                .resources
                .keys()
                .all(|k| k.contains("/resourcegroups/haymaker-infra/")),
            "only the seeded Container Apps environment is left"
        );
        assert_eq!(
            world.groups.len(),
            3,
            "untagged, the other subscription's and the seeded environment's"
        );
    }

    // The same through send_and_wait in one call.
    let delete = ApiRequest::delete(Service::Arm, rg_url("untagged"));
    let done = lro::send_and_wait(&pipeline, &delete, &options)
        .await
        .unwrap();
    assert_eq!(done.status, 200);
    let missing = pipeline.send(&delete).await.unwrap_err();
    assert_eq!(http_code(&missing), (404, "ResourceGroupNotFound".into()));
    sim.stop().await;
}

#[tokio::test]
async fn generic_resources_by_id() {
    let sim = TestSim::start().await;
    let pipeline = sim.pipeline();
    let sub = sim.sub(0);
    let base = format!(
        "/subscriptions/{sub}/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1"
    );
    let with_api = |path: &str| sim.url(&format!("{path}?api-version=2024-05-01"));

    let orphan = pipeline
        .send(&ApiRequest::put(
            Service::Arm,
            with_api(&base),
            json!({"location": "eastus"}),
        ))
        .await
        .unwrap_err();
    assert_eq!(http_code(&orphan), (404, "ResourceGroupNotFound".into()));
    pipeline
        .send(&ApiRequest::put(
            Service::Arm,
            sim.url(&format!(
                "/subscriptions/{sub}/resourcegroups/RG1?api-version={API}"
            )),
            json!({"location": "eastus"}),
        ))
        .await
        .unwrap();

    let missing_version = pipeline
        .send(&ApiRequest::put(
            Service::Arm,
            sim.url(&base),
            json!({"location": "eastus"}),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        http_code(&missing_version),
        (400, "MissingApiVersionParameter".into())
    );

    let body = json!({
        "location": "East US",
        "tags": {"haymaker-managed": "true", "haymaker-run-id": "run-2"},
        "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}},
    });
    let created = pipeline
        .send(&ApiRequest::put(Service::Arm, with_api(&base), body))
        .await
        .unwrap();
    assert_eq!(created.status, 201);
    let created: Value = created.json().unwrap();
    assert_eq!(
        created["id"],
        format!("/subscriptions/{sub}/resourceGroups/RG1/providers/Microsoft.Network/virtualNetworks/vnet1")
    );
    assert_eq!(created["name"], "vnet1");
    assert_eq!(created["type"], "Microsoft.Network/virtualNetworks");
    assert_eq!(created["location"], "eastus");
    assert_eq!(created["tags"]["haymaker-run-id"], "run-2");
    assert_eq!(created["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        created["properties"]["addressSpace"]["addressPrefixes"][0],
        "10.0.0.0/16"
    );

    // A child type, then reads with the casing and doubled slashes real clients send.
    let subnet = format!("{base}/subnets/default");
    let child = pipeline
        .send(&ApiRequest::put(
            Service::Arm,
            with_api(&subnet),
            json!({"properties": {"addressPrefix": "10.0.0.0/24"}}),
        ))
        .await
        .unwrap();
    assert_eq!(child.status, 201);
    let child: Value = child.json().unwrap();
    let odd = format!(
        "/subscriptions/{sub}//resourcegroups/rg1/PROVIDERS/microsoft.network/virtualnetworks/VNET1"
    );
    let read: Value = pipeline
        .send(&ApiRequest::get(Service::Arm, with_api(&odd)))
        .await
        .unwrap()
        .json()
        .unwrap();
    // The network now shows its subnet inline, as the network provider does.
    let mut expected = created.clone();
    expected["properties"]["subnets"] = json!([child]);
    assert_eq!(read, expected);
    let subnets: Value = pipeline
        .send(&ApiRequest::get(
            Service::Arm,
            with_api(&format!("{base}/subnets")),
        ))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        subnets["value"][0]["type"],
        "Microsoft.Network/virtualNetworks/subnets"
    );

    // Delete takes the children along; a second delete has nothing to do.
    let deleted = pipeline
        .send(&ApiRequest::delete(Service::Arm, with_api(&base)))
        .await
        .unwrap();
    assert_eq!(deleted.status, 200);
    for path in [&base, &subnet] {
        let gone = pipeline
            .send(&ApiRequest::get(Service::Arm, with_api(path)))
            .await
            .unwrap_err();
        assert_eq!(http_code(&gone), (404, "ResourceNotFound".into()), "{path}");
    }
    let again = pipeline
        .send(&ApiRequest::delete(Service::Arm, with_api(&base)))
        .await
        .unwrap();
    assert_eq!(again.status, 204);
    sim.stop().await;
}

fn print_env(port: u16, dir: &std::path::Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_haymaker"))
        .args([
            "sim",
            "--port",
            &port.to_string(),
            "--print-env",
            "--data-dir",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn print_env_is_stable_and_points_at_the_running_simulator() {
    let sim = TestSim::start().await;
    let dir = sim.dir.path().join("sim");
    let ca_before = std::fs::read_to_string(&sim.server.ca_file).unwrap();
    let first = print_env(sim.server.port, &dir);
    let second = print_env(sim.server.port, &dir);
    assert_eq!(first, second);
    assert_eq!(
        std::fs::read_to_string(&sim.server.ca_file).unwrap(),
        ca_before,
        "CA reused"
    );

    let vars: std::collections::HashMap<&str, &str> = first
        .lines()
        .map(|l| l.strip_prefix("export ").unwrap().split_once('=').unwrap())
        .collect();
    let expected: std::collections::HashMap<&str, String> =
        sim.server.env_vars().into_iter().collect();
    assert_eq!(vars.len(), 12);
    for (name, value) in &expected {
        assert_eq!(vars[name], value, "{name}");
        assert!(
            haymaker::config::spec(name).is_some(),
            "{name} is a setting"
        );
    }
    assert_eq!(
        vars["HAYMAKER_EXTRA_CA_FILE"],
        sim.server.ca_file.to_str().unwrap()
    );

    // The printed settings are enough for haymaker's own credential (azure_identity's client-secret
    // credential over the simulator's CA) to get a token and list subscriptions.
    let settings =
        haymaker::config::Settings::from_lookup(&|name| vars.get(name).map(|v| v.to_string()))
            .unwrap();
    let pipeline = haymaker::azure::identity::pipeline_from_settings(&settings).unwrap();
    let mut url = url::Url::parse(vars["HAYMAKER_ARM_ENDPOINT"]).unwrap();
    url.set_path("/subscriptions");
    url.set_query(Some("api-version=2022-12-01"));
    let subs = lro::get_all_pages(&pipeline, &ApiRequest::get(Service::Arm, url))
        .await
        .unwrap();
    let mut ids: Vec<&str> = subs
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap())
        .collect();
    let mut targets: Vec<&str> = vars["HAYMAKER_TARGET_SUBSCRIPTIONS"].split(',').collect();
    ids.sort();
    targets.sort();
    assert_eq!(ids, targets);
    sim.stop().await;
}

#[tokio::test]
async fn a_restart_on_the_same_port_keeps_the_ca_and_honours_earlier_tokens() {
    let sim = TestSim::start().await;
    let token = sim.token("https://management.azure.com/.default").await;
    let ca = std::fs::read_to_string(&sim.server.ca_file).unwrap();
    let (port, dir) = (sim.server.port, sim.dir);
    sim.server.stop().await;

    let server = SimServer::start(SimOptions {
        port,
        data_dir: Some(dir.path().join("sim")),
        config: SimConfig::default(),
    })
    .await
    .expect("the simulator restarts on its port");
    let again = TestSim { server, dir };
    assert_eq!(std::fs::read_to_string(&again.server.ca_file).unwrap(), ca);
    // A client that cached its token (the Azure CLI does) carries on.
    let resp = again
        .http()
        .get(format!(
            "{}/subscriptions?api-version=2022-12-01",
            again.base()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    again.stop().await;
}
