//! Azure RBAC (`Microsoft.Authorization`, api-version 2022-04-01): find a role definition by name,
//! assign a role to a service principal idempotently, list and delete role assignments.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::arm::{
    self, decode_items, delete_and_wait, encode_error, found, null_default, string_enum,
    DeleteOutcome,
};
use super::error::AzureError;
use super::lro::{get_all_pages, LroOptions};
use super::pipeline::{ApiRequest, Pipeline, Service};

/// api-version of `Microsoft.Authorization` role definitions and assignments.
pub const AUTHORIZATION_API_VERSION: &str = "2022-04-01";

const PROVIDER: &str = "Microsoft.Authorization";

string_enum! {
    /// Who a role is assigned to.
    PrincipalType {
        User = "User",
        Group = "Group",
        ServicePrincipal = "ServicePrincipal",
        ForeignGroup = "ForeignGroup",
        Device = "Device",
    }
}

string_enum! {
    /// Built in by Azure, or defined by the tenant.
    RoleType {
        BuiltInRole = "BuiltInRole",
        CustomRole = "CustomRole",
    }
}

/// A role definition.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoleDefinition {
    /// Full id: `{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
    pub id: String,
    /// The definition's GUID.
    pub name: String,
    pub properties: RoleDefinitionProperties,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionProperties {
    pub role_name: String,
    #[serde(rename = "type", default)]
    pub role_type: Option<RoleType>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub assignable_scopes: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub permissions: Vec<Permission>,
}

/// What a role allows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    #[serde(default, deserialize_with = "null_default")]
    pub actions: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub not_actions: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub data_actions: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub not_data_actions: Vec<String>,
}

/// A role to assign: the PUT body's `properties`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRoleAssignment {
    pub role_definition_id: String,
    pub principal_id: String,
    pub principal_type: PrincipalType,
}

impl NewRoleAssignment {
    /// Assigns `role_definition_id` to the service principal with object id `principal_id`.
    pub fn service_principal(role_definition_id: &str, principal_id: &str) -> Self {
        Self {
            role_definition_id: role_definition_id.to_string(),
            principal_id: principal_id.to_string(),
            principal_type: PrincipalType::ServicePrincipal,
        }
    }
}

/// A role assignment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoleAssignment {
    pub id: String,
    /// The assignment's GUID.
    pub name: String,
    pub properties: RoleAssignmentProperties,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentProperties {
    pub role_definition_id: String,
    pub principal_id: String,
    #[serde(default)]
    pub principal_type: Option<PrincipalType>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// How an assignment request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AssignOutcome {
    /// Created now.
    Created(RoleAssignment),
    /// Our assignment (same deterministic name) was already there: an earlier try got through.
    Existing(RoleAssignment),
    /// The principal already has the role at the scope under another assignment, not ours.
    AssignedElsewhere,
}

/// Retrying a new principal that Azure RBAC cannot see yet (`400 PrincipalNotFound`: directory
/// replication lag after the service principal was created).
#[derive(Debug, Clone)]
pub struct PrincipalRetry {
    /// Tries in all, the first included.
    pub attempts: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
}

impl Default for PrincipalRetry {
    fn default() -> Self {
        Self {
            attempts: 10,
            initial_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// RBAC over the shared pipeline.
pub struct AuthorizationClient {
    pipeline: Pipeline,
    retry: PrincipalRetry,
}

impl AuthorizationClient {
    pub fn new(pipeline: Pipeline) -> Self {
        Self {
            pipeline,
            retry: PrincipalRetry::default(),
        }
    }

    pub fn with_principal_retry(mut self, retry: PrincipalRetry) -> Self {
        self.retry = retry;
        self
    }

    /// `{arm}/{scope}/providers/Microsoft.Authorization/{tail…}?{query}&api-version=…`.
    fn url(
        &self,
        scope: &str,
        tail: &[&str],
        query: &[(&str, &str)],
    ) -> Result<url::Url, AzureError> {
        let mut q = query.to_vec();
        q.push(("api-version", AUTHORIZATION_API_VERSION));
        let segs = arm::segments(scope)
            .chain(["providers", PROVIDER])
            .chain(tail.iter().copied());
        arm::url(&self.pipeline.options().arm_endpoint, segs, &q)
    }

    /// The role definition named `role_name` (e.g. `Contributor`) visible at `scope`
    /// (`$filter=roleName eq '…'`); `None` when there is none.
    pub async fn find_role_definition(
        &self,
        scope: &str,
        role_name: &str,
    ) -> Result<Option<RoleDefinition>, AzureError> {
        let filter = format!("roleName eq {}", arm::odata_string(role_name));
        let url = self.url(scope, &["roleDefinitions"], &[("$filter", filter.as_str())])?;
        let items = get_all_pages(&self.pipeline, &ApiRequest::get(Service::Arm, url)).await?;
        let defs: Vec<RoleDefinition> = decode_items(items, "role definitions")?;
        Ok(defs
            .into_iter()
            .find(|d| d.properties.role_name.eq_ignore_ascii_case(role_name)))
    }

    /// The full id of the role definition named `role_name` at `scope`.
    pub async fn role_definition_id(
        &self,
        scope: &str,
        role_name: &str,
    ) -> Result<Option<String>, AzureError> {
        Ok(self
            .find_role_definition(scope, role_name)
            .await?
            .map(|d| d.id))
    }

    /// Assigns a role at `scope` under a name derived from (scope, principal, role), so a repeated
    /// call is idempotent. Retries `PrincipalNotFound` (bounded); `RoleAssignmentExists` is success.
    pub async fn assign_role(
        &self,
        scope: &str,
        assignment: &NewRoleAssignment,
    ) -> Result<AssignOutcome, AzureError> {
        let name = assignment_name(
            scope,
            &assignment.principal_id,
            &assignment.role_definition_id,
        );
        self.assign_role_named(scope, &name, assignment).await
    }

    /// [`Self::assign_role`] with the assignment name given.
    pub async fn assign_role_named(
        &self,
        scope: &str,
        name: &str,
        assignment: &NewRoleAssignment,
    ) -> Result<AssignOutcome, AzureError> {
        let body = serde_json::json!({
            "properties": serde_json::to_value(assignment).map_err(|e| encode_error(name, e))?
        });
        let url = self.url(scope, &["roleAssignments", name], &[])?;
        let request = ApiRequest::put(Service::Arm, url.clone(), body);
        let mut delay = self.retry.initial_delay;
        let mut attempt = 1;
        loop {
            match self.pipeline.send(&request).await {
                Ok(resp) => return Ok(AssignOutcome::Created(resp.json()?)),
                Err(e) if e.code() == Some("RoleAssignmentExists") => {
                    let get = ApiRequest::get(Service::Arm, url);
                    return Ok(match found(self.pipeline.send(&get).await)? {
                        Some(resp) => AssignOutcome::Existing(resp.json()?),
                        None => AssignOutcome::AssignedElsewhere,
                    });
                }
                Err(e)
                    if e.status() == Some(400)
                        && e.code() == Some("PrincipalNotFound")
                        && attempt < self.retry.attempts =>
                {
                    tracing::debug!(
                        attempt,
                        ?delay,
                        "principal not visible to RBAC yet; retrying"
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(self.retry.max_delay);
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Role assignments of `principal_id` at, above and below `scope` (`$filter=principalId eq '…'`).
    pub async fn list_role_assignments_for_principal(
        &self,
        scope: &str,
        principal_id: &str,
    ) -> Result<Vec<RoleAssignment>, AzureError> {
        let filter = format!("principalId eq {}", arm::odata_string(principal_id));
        let url = self.url(scope, &["roleAssignments"], &[("$filter", filter.as_str())])?;
        let items = get_all_pages(&self.pipeline, &ApiRequest::get(Service::Arm, url)).await?;
        decode_items(items, "role assignments")
    }

    /// Deletes the assignment `name` at `scope`; not there = [`DeleteOutcome::AlreadyGone`].
    pub async fn delete_role_assignment(
        &self,
        scope: &str,
        name: &str,
    ) -> Result<DeleteOutcome, AzureError> {
        let url = self.url(scope, &["roleAssignments", name], &[])?;
        let request = ApiRequest::delete(Service::Arm, url);
        delete_and_wait(&self.pipeline, &request, &LroOptions::default()).await
    }

    /// Deletes an assignment by its full id (`{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`).
    pub async fn delete_role_assignment_by_id(
        &self,
        id: &str,
    ) -> Result<DeleteOutcome, AzureError> {
        let marker = "/providers/microsoft.authorization/roleassignments/";
        let at = id
            .to_ascii_lowercase()
            .rfind(marker)
            .ok_or_else(|| AzureError::Decode {
                path: id.to_string(),
                message: "not a role assignment id".into(),
            })?;
        let name = id[at + marker.len()..].trim_end_matches('/');
        self.delete_role_assignment(&id[..at], name).await
    }
}

/// The deterministic assignment name for (scope, principal, role): a UUID (version 8, RFC 9562
/// "custom") from SHA-256 over the lower-cased scope, principal id and role definition GUID. The
/// role is reduced to its GUID so `/subscriptions/…/roleDefinitions/{g}` and
/// `/providers/…/roleDefinitions/{g}` name the same assignment.
pub fn assignment_name(scope: &str, principal_id: &str, role_definition_id: &str) -> String {
    let scope: Vec<String> = arm::segments(scope).map(str::to_ascii_lowercase).collect();
    let role = arm::segments(role_definition_id).last().unwrap_or("");
    let mut hasher = Sha256::new();
    hasher.update(b"haymaker/role-assignment/v1\n");
    hasher.update(scope.join("/").as_bytes());
    hasher.update(b"\n");
    hasher.update(principal_id.trim().to_ascii_lowercase().as_bytes());
    hasher.update(b"\n");
    hasher.update(role.to_ascii_lowercase().as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122/9562 variant
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_names_are_stable_and_distinct() {
        let a = assignment_name("/subscriptions/S/resourceGroups/RG", "P1", "/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/B24988AC-6180-42A0-AB88-20F7382DD24C");
        let b = assignment_name("subscriptions/s/resourcegroups/rg/", "p1", "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c");
        assert_eq!(
            a, b,
            "case, slashes and the role id's scope prefix do not matter"
        );
        let u = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(u.get_version_num(), 8);
        assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(
            a,
            assignment_name(
                "/subscriptions/S/resourceGroups/RG",
                "P2",
                "x/b24988ac-6180-42a0-ab88-20f7382dd24c"
            )
        );
        assert_ne!(
            a,
            assignment_name(
                "/subscriptions/S/resourceGroups/RG2",
                "P1",
                "x/b24988ac-6180-42a0-ab88-20f7382dd24c"
            )
        );
    }
}
