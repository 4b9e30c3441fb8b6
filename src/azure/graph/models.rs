//! Request and response bodies of the Microsoft Graph v1.0 calls [`super::GraphClient`] makes.
//! Only the properties haymaker reads are modelled; Graph sends many more, which are ignored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::config::Secret;

/// Who may sign in to an application (`signInAudience`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInAudience {
    #[serde(rename = "AzureADMyOrg")]
    AzureAdMyOrg,
    #[serde(rename = "AzureADMultipleOrgs")]
    AzureAdMultipleOrgs,
    #[serde(rename = "AzureADandPersonalMicrosoftAccount")]
    AzureAdAndPersonalMicrosoftAccount,
    #[serde(rename = "PersonalMicrosoftAccount")]
    PersonalMicrosoftAccount,
    /// A value added to Graph after this was written.
    #[serde(other)]
    Other,
}

/// What kind of service principal (`servicePrincipalType`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServicePrincipalType {
    Application,
    ManagedIdentity,
    Legacy,
    SocialIdp,
    /// A value added to Graph after this was written.
    #[serde(other)]
    Other,
}

/// Body of `POST /applications`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewApplication {
    pub display_name: String,
    /// Free text shown in the portal (haymaker writes the run and scenario here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Custom strings Graph can filter on, e.g. `haymaker-run-id:<run>`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// An application registration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// Object id: what `/applications/{id}` and `/directory/deletedItems/{id}` take. Empty only
    /// when the answer left it out (the docs' shortened list example does; haymaker's own queries
    /// `$select` it).
    #[serde(default)]
    pub id: String,
    /// Client id: what a service principal and a sign-in refer to.
    #[serde(default)]
    pub app_id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub publisher_domain: Option<String>,
    #[serde(default)]
    pub sign_in_audience: Option<SignInAudience>,
}

/// Body of `POST /applications/{id}/addPassword`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPassword {
    pub display_name: String,
    /// When the password stops working; Graph's default (two years) when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<DateTime<Utc>>,
}

/// A password just added to an application. `secret_text` is returned only this once.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredential {
    pub key_id: uuid::Uuid,
    #[serde(default)]
    pub display_name: Option<String>,
    /// The first characters of the password, safe to show.
    #[serde(default)]
    pub hint: Option<String>,
    #[serde(deserialize_with = "secret")]
    pub secret_text: Secret,
    #[serde(default)]
    pub start_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub custom_key_identifier: Option<String>,
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

/// Body of `POST /servicePrincipals`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewServicePrincipal {
    /// The application's client id (`appId`, not its object id).
    pub app_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A service principal (the application's identity in this tenant).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// Object id (what role assignments name as `principalId`). Empty only when the answer left it
    /// out (the docs' shortened list example does; haymaker's own queries `$select` it).
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub app_id: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub app_display_name: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
    #[serde(default)]
    pub service_principal_type: Option<ServicePrincipalType>,
    #[serde(default)]
    pub app_owner_organization_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub publisher_name: Option<String>,
    #[serde(default)]
    pub sign_in_audience: Option<SignInAudience>,
    #[serde(default)]
    pub service_principal_names: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}
