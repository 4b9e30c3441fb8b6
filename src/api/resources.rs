//! `GET /runs/{run_id}/resources` (paged, O(page) from the in-memory index) and
//! `GET /runs/{run_id}/service-principals`.

use axum::extract::{Path, RawQuery, State};
use axum::Json;
use uuid::Uuid;

use std::sync::Arc;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::index::{ResourceFilter, ResourceIndex};
use super::model::*;
use super::params::{self, Paging, Params};
use super::read::Monitor;
use super::ApiError;
use crate::events::ResourceStatus;
use crate::handler::AppState;
use crate::run::Phase;

pub const RESOURCE_STATUSES: &[&str] = &["created", "exists", "deleted", "deletion_failed"];

pub fn resource_filter(q: &Params) -> Result<ResourceFilter, ApiError> {
    Ok(ResourceFilter {
        scenario_name: q.text("scenario_name").map(str::to_string),
        resource_type: q.text("resource_type").map(str::to_string),
        status: q.one_of("status", RESOURCE_STATUSES)?,
    })
}

/// One page of a run's resources: serialises as the contract's `ResourcesListResponse`, copying each
/// resource's JSON encoded when the index was built.
pub struct ResourcesPage {
    run_id: Uuid,
    index: Arc<ResourceIndex>,
    positions: Vec<u32>,
    pagination: Pagination,
}

impl ResourcesPage {
    /// The page as the contract's owned type (the CLI's tables).
    pub fn into_response(self) -> ResourcesListResponse {
        ResourcesListResponse {
            run_id: self.run_id,
            resources: self
                .positions
                .iter()
                .map(|&i| self.index.resources[i as usize].clone())
                .collect(),
            pagination: self.pagination,
        }
    }
}

impl Serialize for ResourcesPage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Resources<'a>(&'a ResourcesPage);
        impl Serialize for Resources<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.positions.iter().map(|&i| self.0.index.json_at(i)))
            }
        }
        let mut page = serializer.serialize_struct("ResourcesListResponse", 3)?;
        page.serialize_field("run_id", &self.run_id)?;
        page.serialize_field("resources", &Resources(self))?;
        page.serialize_field("pagination", &self.pagination)?;
        page.end()
    }
}

impl Monitor {
    /// One page of a run's resources. Costs the change-token check plus O(page) once the run's
    /// ledger is indexed (see [`super::index`]).
    pub async fn resources_page(
        &self,
        run_id: Uuid,
        filter: &ResourceFilter,
        paging: Paging,
    ) -> Result<ResourcesPage, ApiError> {
        let index = self.index(run_id).await?;
        // No ledger yet: tell an unknown run from a run without resources.
        if index.resources.is_empty() && !self.exists(run_id).await? {
            return Err(params::run_not_found(run_id));
        }
        let selection = index.select(filter);
        let (range, pagination) = paging.window(selection.len())?;
        Ok(ResourcesPage {
            run_id,
            positions: selection.positions(range),
            index,
            pagination,
        })
    }

    async fn exists(&self, run_id: Uuid) -> Result<bool, ApiError> {
        Ok(self
            .store
            .version(&crate::run::keys::run_state(run_id))
            .await?
            .is_some())
    }
}

pub async fn list_resources(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<ResourcesPage>, ApiError> {
    let run_id = params::run_id(&raw)?;
    let q = Params::parse(query.as_deref());
    let (filter, paging) = (resource_filter(&q)?, q.paging()?);
    Ok(Json(
        state
            .monitor()
            .resources_page(run_id, &filter, paging)
            .await?,
    ))
}

pub async fn list_principals(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<ServicePrincipalsListResponse>, ApiError> {
    let run_id = params::run_id(&raw)?;
    let q = Params::parse(query.as_deref());
    let status: Option<ResourceStatus> = q.one_of("status", RESOURCE_STATUSES)?;
    let run = state.monitor().state(run_id).await?;
    let principal_status = if run.cleanup.identities_done {
        ResourceStatus::Deleted
    } else if run.cleanup.identities_error.is_some() && run.phase != Phase::Cleanup {
        ResourceStatus::DeletionFailed
    } else {
        ResourceStatus::Created
    };
    let deleted_at = (principal_status == ResourceStatus::Deleted)
        .then_some(run.ended_at)
        .flatten();
    let service_principals = run
        .scenarios
        .iter()
        .filter_map(|s| {
            s.principal.as_ref().map(|p| ServicePrincipal {
                sp_name: p.display_name.clone(),
                sp_id: p.app_id.clone(),
                principal_id: p.principal_object_id.clone(),
                scenario_name: s.name.clone(),
                deleted_at,
                status: principal_status,
                roles_assigned: s.roles.clone(),
            })
        })
        .filter(|p| status.is_none_or(|w| w == p.status))
        .collect();
    Ok(Json(ServicePrincipalsListResponse {
        run_id,
        service_principals,
    }))
}
