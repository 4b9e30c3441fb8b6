//! Discovery documents clients read before they ask for a token or call ARM:
//!
//! - `GET /{tenant}/v2.0/.well-known/openid-configuration`: where MSAL finds the token endpoint.
//! - `GET /metadata/endpoints?api-version=…`: what `az cloud register --endpoint-resource-manager`
//!   reads. Since 2022-09-01 one cloud object, from 2019-05-01 an array of them, before that the
//!   legacy object. The login endpoint and ARM's audience are the simulator's own address.

use axum::response::Response;
use serde_json::{json, Value};

use super::auth::{known_tenant, tenant_not_found};
use super::env::GRAPH_PATH;
use super::{arm_error, json_response, Failure, Req, Sim};

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub fn openid_configuration(sim: &Sim, req: &Req) -> Response {
    let tenant = &req.segments[0];
    let known = known_tenant(sim, tenant)
        || ["organizations", "common"].contains(&tenant.to_ascii_lowercase().as_str());
    if !known {
        return tenant_not_found(req, tenant);
    }
    let base = &req.base;
    let t = &sim.identity.tenant_id;
    json_response(
        200,
        &json!({
            "token_endpoint": format!("{base}/{t}/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": format!("{base}/{t}/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": format!("{base}/{t}/v2.0"),
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": format!("{base}/oidc/userinfo"),
            "authorization_endpoint": format!("{base}/{t}/oauth2/v2.0/authorize"),
            "device_authorization_endpoint": format!("{base}/{t}/oauth2/v2.0/devicecode"),
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "end_session_endpoint": format!("{base}/{t}/oauth2/v2.0/logout"),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid"],
            "tenant_region_scope": "NA",
            "cloud_instance_name": "haymaker.sim",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": format!("{}/{GRAPH_PATH}", base.trim_start_matches("https://")),
            "rbac_url": base,
        }),
    )
}

/// `GET /metadata/endpoints?api-version=…`.
pub fn metadata_endpoints(sim: &Sim, req: &Req) -> Response {
    let Some(api_version) = req.query("api-version") else {
        return arm_error(&Failure::new(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    let base = &req.base;
    let graph = format!("{base}/{GRAPH_PATH}/");
    let login = format!("{base}/");
    let audiences = [
        format!("{base}/"),
        "https://management.core.windows.net/".to_string(),
    ];
    if api_version < "2019-05-01" {
        return json_response(
            200,
            &json!({
                "galleryEndpoint": login,
                "graphEndpoint": graph,
                "portalEndpoint": login,
                "authentication": {"loginEndpoint": login, "audiences": audiences},
            }),
        );
    }
    let cloud = json!({
        "portal": login,
        "authentication": {
            "loginEndpoint": login,
            "audiences": audiences,
            "tenant": sim.identity.tenant_id,
            "identityProvider": "AAD",
        },
        "media": login,
        "graphAudience": graph,
        "graph": graph,
        "name": format!("HaymakerSim{}", sim.port),
        "suffixes": {
            "azureDataLakeStoreFileSystem": "sim.invalid",
            "acrLoginServer": "azurecr.sim.invalid",
            "sqlServerHostname": "database.sim.invalid",
            "azureDataLakeAnalyticsCatalogAndJob": "sim.invalid",
            "keyVaultDns": "vault.sim.invalid",
            "storage": "core.sim.invalid",
            "azureFrontDoorEndpointSuffix": "sim.invalid",
            "storageSyncEndpointSuffix": "sim.invalid",
            "mhsmDns": "managedhsm.sim.invalid",
            "mysqlServerEndpoint": "mysql.sim.invalid",
            "postgresqlServerEndpoint": "postgres.sim.invalid",
            "mariadbServerEndpoint": "mariadb.sim.invalid",
            "synapseAnalytics": "sim.invalid",
            "attestationEndpoint": "sim.invalid",
        },
        "batch": login,
        "resourceManager": login,
        "vmImageAliasDoc": format!("{base}/metadata/vm-image-aliases.json"),
        "activeDirectoryDataLake": login,
        "sqlManagement": login,
        "microsoftGraphResourceId": graph,
        "appInsightsResourceId": login,
        "appInsightsTelemetryChannelResourceId": login,
        "attestationResourceId": login,
        "synapseAnalyticsResourceId": login,
        "logAnalyticsResourceId": login,
        "ossrDbmsResourceId": login,
    });
    if api_version < "2022-09-01" {
        json_response(200, &Value::Array(vec![cloud]))
    } else {
        json_response(200, &cloud)
    }
}
