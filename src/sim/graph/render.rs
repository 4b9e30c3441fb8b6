//! The JSON representations Graph v1.0 gives applications, password credentials and service
//! principals: every property of Microsoft's examples is present (with Graph's empty values where
//! the simulator has nothing to say), so clients that read them find them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::directory::{Application, DeletedObject, PasswordCredential, ServicePrincipal};

/// Graph's timestamps: UTC with seven fractional digits trimmed to what is there, and `Z`.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn deleted(t: Option<DateTime<Utc>>) -> Value {
    t.map(|t| json!(time(t))).unwrap_or(Value::Null)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A password as it appears in `passwordCredentials` (no secret) or, with `secret_text`, in the
/// `addPassword` answer.
pub fn password(p: &PasswordCredential, secret_text: Option<&str>) -> Value {
    json!({
        "customKeyIdentifier": null,
        "displayName": p.display_name,
        "endDateTime": time(p.end),
        "hint": p.hint,
        "keyId": p.key_id,
        "secretText": secret_text,
        "startDateTime": time(p.start),
    })
}

/// An application; `publisher_domain` is the tenant's.
pub fn application(a: &Application, publisher_domain: &str) -> Map<String, Value> {
    object(json!({
        "id": a.id,
        "deletedDateTime": deleted(a.deleted),
        "isFallbackPublicClient": null,
        "appId": a.app_id,
        "applicationTemplateId": null,
        "identifierUris": [],
        "createdDateTime": time(a.created),
        "description": null,
        "displayName": a.display_name,
        "isDeviceOnlyAuthSupported": null,
        "groupMembershipClaims": null,
        "notes": a.notes,
        "optionalClaims": null,
        "addIns": [],
        "publisherDomain": publisher_domain,
        "samlMetadataUrl": null,
        "signInAudience": a.sign_in_audience,
        "tags": a.tags,
        "tokenEncryptionKeyId": null,
        "api": {
            "requestedAccessTokenVersion": null,
            "acceptMappedClaims": null,
            "knownClientApplications": [],
            "oauth2PermissionScopes": [],
            "preAuthorizedApplications": []
        },
        "appRoles": [],
        "publicClient": {"redirectUris": []},
        "info": {
            "termsOfServiceUrl": null,
            "supportUrl": null,
            "privacyStatementUrl": null,
            "marketingUrl": null,
            "logoUrl": null
        },
        "keyCredentials": [],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": a.passwords.iter().map(|p| password(p, None)).collect::<Vec<_>>(),
        "requiredResourceAccess": [],
        "web": {
            "redirectUris": [],
            "homePageUrl": null,
            "logoutUrl": null,
            "implicitGrantSettings": {
                "enableIdTokenIssuance": false,
                "enableAccessTokenIssuance": false
            }
        }
    }))
}

/// A service principal; `tenant_id` owns every application here.
pub fn service_principal(s: &ServicePrincipal, tenant_id: &str) -> Map<String, Value> {
    object(json!({
        "id": s.id,
        "deletedDateTime": deleted(s.deleted),
        "accountEnabled": s.account_enabled,
        "appDisplayName": s.app_display_name,
        "appId": s.app_id,
        "appOwnerOrganizationId": tenant_id,
        "appRoleAssignmentRequired": false,
        "createdDateTime": time(s.created),
        "displayName": s.display_name,
        "homepage": null,
        "logoutUrl": null,
        "publisherName": "haymaker-sim",
        "replyUrls": [],
        "servicePrincipalNames": [s.app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMyOrg",
        "tags": s.tags,
        "addIns": [],
        "appRoles": [],
        "info": {
            "termsOfServiceUrl": null,
            "supportUrl": null,
            "privacyStatementUrl": null,
            "marketingUrl": null,
            "logoUrl": null
        },
        "keyCredentials": [],
        "oauth2PermissionScopes": [],
        "passwordCredentials": []
    }))
}

/// A deleted item, with the `@odata.type` Graph marks them with.
pub fn deleted_object(d: &DeletedObject, domain: &str, tenant_id: &str) -> Map<String, Value> {
    let (type_name, mut body) = match d {
        DeletedObject::Application(a) => ("application", application(a, domain)),
        DeletedObject::ServicePrincipal(s) => ("servicePrincipal", service_principal(s, tenant_id)),
    };
    body.insert(
        "@odata.type".into(),
        json!(format!("#microsoft.graph.{type_name}")),
    );
    body
}
