//! Microsoft Graph v1.0: the application registrations, passwords and service principals that
//! give each scenario its own identity, and their removal (including from deleted items, so a run
//! leaves nothing to restore).
//!
//! Every call goes through the shared [`Pipeline`] as [`Service::Graph`], at
//! `{graph_endpoint}/v1.0/…` (the endpoint is configuration: sovereign clouds, the simulator).
//!
//! Graph is eventually consistent: an application created a moment ago may not yet be visible to
//! `addPassword` or `POST /servicePrincipals` (404, or 400 "…does not reference a valid application
//! object"). Those calls are repeated a few times with a growing pause ([`GraphOptions`]); such
//! an answer means the call did not take effect, so repeating it cannot create a second object.

mod models;

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use models::*;

use super::error::AzureError;
use super::lro::get_all_pages;
use super::pipeline::{ApiRequest, ApiResponse, Pipeline, Service};

/// Page size for the prefix searches (Graph's maximum for these collections).
const PAGE_SIZE: u32 = 999;
const APPLICATION_FIELDS: &str = "id,appId,displayName,notes,tags,createdDateTime";
const SERVICE_PRINCIPAL_FIELDS: &str =
    "id,appId,displayName,appDisplayName,accountEnabled,servicePrincipalType,tags";

/// Knobs for the replication-lag retries.
#[derive(Debug, Clone)]
pub struct GraphOptions {
    /// Tries in all (first included) while the new application is not yet visible.
    pub replication_attempts: u32,
    /// Pause before the second try; doubles each time up to `replication_max_delay`.
    pub replication_delay: Duration,
    pub replication_max_delay: Duration,
}

impl Default for GraphOptions {
    fn default() -> Self {
        Self {
            replication_attempts: 6,
            replication_delay: Duration::from_secs(1),
            replication_max_delay: Duration::from_secs(8),
        }
    }
}

/// Microsoft Graph over the shared pipeline. Cheap to clone.
#[derive(Clone)]
pub struct GraphClient {
    pipeline: Pipeline,
    options: GraphOptions,
}

impl GraphClient {
    pub fn new(pipeline: Pipeline, options: GraphOptions) -> Self {
        Self { pipeline, options }
    }

    /// `{graph_endpoint}/v1.0/{segments…}`; each segment is percent-encoded as one path segment.
    fn url(&self, segments: &[&str]) -> url::Url {
        let mut url = self.pipeline.options().graph_endpoint.clone();
        url.set_query(None);
        url.path_segments_mut()
            .expect("the Graph endpoint is an http(s) URL")
            .pop_if_empty()
            .push("v1.0")
            .extend(segments);
        url
    }

    /// Creates an application registration (`POST /applications`, 201).
    pub async fn create_application(
        &self,
        application: &NewApplication,
    ) -> Result<Application, AzureError> {
        let request = ApiRequest::post(
            Service::Graph,
            self.url(&["applications"]),
            body(application)?,
        );
        self.pipeline.send(&request).await?.json()
    }

    /// Adds a password to the application with object id `application_id`
    /// (`POST /applications/{id}/addPassword`, 200). The returned `secret_text` exists only in this
    /// answer.
    pub async fn add_password(
        &self,
        application_id: &str,
        password: &NewPassword,
    ) -> Result<PasswordCredential, AzureError> {
        let url = self.url(&["applications", application_id, "addPassword"]);
        let body = serde_json::json!({ "passwordCredential": body(password)? });
        let response = self
            .post_replicated(url, body, |e| e.is_not_found())
            .await?;
        response.json()
    }

    /// Creates the service principal of an application (`POST /servicePrincipals`, 201).
    pub async fn create_service_principal(
        &self,
        principal: &NewServicePrincipal,
    ) -> Result<ServicePrincipal, AzureError> {
        let url = self.url(&["servicePrincipals"]);
        let response = self
            .post_replicated(url, body(principal)?, application_not_visible)
            .await?;
        response.json()
    }

    /// Applications whose display name starts with `prefix`, across all pages.
    pub async fn find_applications(&self, prefix: &str) -> Result<Vec<Application>, AzureError> {
        self.find("applications", prefix, APPLICATION_FIELDS).await
    }

    /// Service principals whose display name starts with `prefix`, across all pages.
    pub async fn find_service_principals(
        &self,
        prefix: &str,
    ) -> Result<Vec<ServicePrincipal>, AzureError> {
        self.find("servicePrincipals", prefix, SERVICE_PRINCIPAL_FIELDS)
            .await
    }

    /// Deletes an application registration (`DELETE /applications/{id}`, 204); it moves to deleted
    /// items for 30 days. `Ok(false)` when it was already gone.
    pub async fn delete_application(&self, application_id: &str) -> Result<bool, AzureError> {
        self.delete(&["applications", application_id]).await
    }

    /// Deletes a service principal (`DELETE /servicePrincipals/{id}`, 204). `Ok(false)` when it
    /// was already gone.
    pub async fn delete_service_principal(&self, principal_id: &str) -> Result<bool, AzureError> {
        self.delete(&["servicePrincipals", principal_id]).await
    }

    /// Removes a deleted object for good (`DELETE /directory/deletedItems/{id}`, 204).
    /// `Ok(false)` when it is not (or no longer) in deleted items.
    pub async fn purge_deleted_item(&self, object_id: &str) -> Result<bool, AzureError> {
        self.delete(&["directory", "deletedItems", object_id]).await
    }

    async fn delete(&self, segments: &[&str]) -> Result<bool, AzureError> {
        let request = ApiRequest::delete(Service::Graph, self.url(segments));
        match self.pipeline.send(&request).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn find<T: DeserializeOwned>(
        &self,
        collection: &str,
        prefix: &str,
        fields: &str,
    ) -> Result<Vec<T>, AzureError> {
        let mut url = self.url(&[collection]);
        let filter = format!("startswith(displayName,{})", odata_string(prefix));
        url.set_query(Some(&format!(
            "$filter={}&$select={}&$top={PAGE_SIZE}",
            encode(&filter),
            encode(fields)
        )));
        let path = url.path().to_string();
        get_all_pages(&self.pipeline, &ApiRequest::get(Service::Graph, url))
            .await?
            .into_iter()
            .map(|item| {
                serde_json::from_value(item).map_err(|e| AzureError::Decode {
                    path: path.clone(),
                    message: e.to_string(),
                })
            })
            .collect()
    }

    /// A creating POST, repeated while `lagging` says the application is not visible yet.
    async fn post_replicated(
        &self,
        url: url::Url,
        body: Value,
        lagging: fn(&AzureError) -> bool,
    ) -> Result<ApiResponse, AzureError> {
        let request = ApiRequest::post(Service::Graph, url, body);
        let mut delay = self.options.replication_delay;
        let mut attempt = 1;
        loop {
            match self.pipeline.send(&request).await {
                Err(e) if lagging(&e) && attempt < self.options.replication_attempts => {
                    tracing::debug!(path = request.url.path(), attempt, "not replicated yet");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(self.options.replication_max_delay);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// The answers Graph gives while a just-created application has not reached every replica.
fn application_not_visible(e: &AzureError) -> bool {
    e.is_not_found()
        || (e.status() == Some(400)
            && matches!(e, AzureError::Http { message, .. }
                if message.contains("does not reference a valid application")))
}

fn body<T: Serialize>(value: &T) -> Result<Value, AzureError> {
    serde_json::to_value(value).map_err(|e| AzureError::Decode {
        path: String::new(),
        message: format!("cannot encode the request: {e}"),
    })
}

/// An OData string literal: quoted, with each `'` doubled.
pub fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Percent-encodes a query value (spaces as `%20`, never `+`).
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_literals_double_single_quotes() {
        assert_eq!(odata_string("hm-run"), "'hm-run'");
        assert_eq!(odata_string("o'brien's"), "'o''brien''s'");
        assert_eq!(encode("a b+c'"), "a%20b%2Bc%27");
    }
}
