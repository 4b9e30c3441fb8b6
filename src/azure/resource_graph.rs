//! Azure Resource Graph queries (`POST /providers/Microsoft.ResourceGraph/resources`,
//! api-version 2024-04-01) over a list of subscriptions, following `$skipToken` across pages.
//! Calls go through [`Service::ResourceGraph`], which has its own rate limit in the pipeline.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::arm::{self, null_default, ResourceId};
use super::error::AzureError;
use super::pipeline::{ApiRequest, Pipeline, Service};

/// api-version of `Microsoft.ResourceGraph/resources`.
pub const RESOURCE_GRAPH_API_VERSION: &str = "2024-04-01";

/// The service's largest page.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// A query: KQL text over some subscriptions (none = every subscription the caller can read).
#[derive(Debug, Clone, PartialEq)]
pub struct GraphQuery {
    pub subscriptions: Vec<String>,
    pub query: String,
}

impl GraphQuery {
    pub fn new(subscriptions: &[&str], query: &str) -> Self {
        Self {
            subscriptions: subscriptions.iter().map(|s| s.to_string()).collect(),
            query: query.to_string(),
        }
    }
}

/// How rows come back; `objectArray` is one JSON object per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ResultFormat {
    #[serde(rename = "objectArray")]
    ObjectArray,
    #[serde(rename = "table")]
    Table,
}

#[derive(Serialize)]
struct RequestBody<'a> {
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    subscriptions: &'a [String],
    query: &'a str,
    options: RequestOptions<'a>,
}

#[derive(Serialize)]
struct RequestOptions<'a> {
    #[serde(rename = "$top")]
    top: u32,
    #[serde(rename = "$skipToken", skip_serializing_if = "Option::is_none")]
    skip_token: Option<&'a str>,
    #[serde(rename = "resultFormat")]
    result_format: ResultFormat,
}

/// `resultTruncated`: the service sends the strings `"true"` / `"false"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Truncated {
    #[serde(rename = "true", alias = "True")]
    Yes,
    #[serde(rename = "false", alias = "False")]
    No,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage {
    /// Rows matching the query in all.
    pub total_records: u64,
    /// Rows in this page.
    pub count: u64,
    pub result_truncated: Truncated,
    /// Where the next page starts; absent on the last page.
    #[serde(rename = "$skipToken", default)]
    pub skip_token: Option<String>,
    pub data: Vec<Map<String, Value>>,
    #[serde(default, deserialize_with = "null_default")]
    pub facets: Vec<Value>,
}

/// The usual columns of a `Resources` row. Columns the query did not project are `None` / empty;
/// every column (projected or not modelled) is also in `columns`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRow {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Resource Graph lower-cases types: `microsoft.network/virtualnetworks`.
    #[serde(rename = "type", default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub resource_group: Option<String>,
    #[serde(default)]
    pub subscription_id: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip)]
    pub columns: Map<String, Value>,
}

impl ResourceRow {
    fn from_row(row: Map<String, Value>) -> Result<Self, AzureError> {
        let mut typed: Self =
            serde_json::from_value(Value::Object(row.clone())).map_err(|e| AzureError::Decode {
                path: "resource graph row".into(),
                message: e.to_string(),
            })?;
        typed.columns = row;
        Ok(typed)
    }

    /// The resource group: the column if projected, else read from the id.
    pub fn resource_group_name(&self) -> Option<String> {
        self.resource_group
            .clone()
            .or_else(|| ResourceId::parse(&self.id).ok()?.resource_group)
    }

    /// The subscription: the column if projected, else read from the id.
    pub fn subscription(&self) -> Option<String> {
        self.subscription_id
            .clone()
            .or_else(|| ResourceId::parse(&self.id).ok()?.subscription)
    }
}

/// Resource Graph over the shared pipeline.
pub struct ResourceGraphClient {
    pipeline: Pipeline,
    page_size: u32,
    max_pages: u32,
}

impl ResourceGraphClient {
    pub fn new(pipeline: Pipeline) -> Self {
        Self {
            pipeline,
            page_size: MAX_PAGE_SIZE,
            max_pages: 1000,
        }
    }

    /// Rows per page (`$top`), at most [`MAX_PAGE_SIZE`].
    pub fn with_page_size(mut self, rows: u32) -> Self {
        self.page_size = rows.clamp(1, MAX_PAGE_SIZE);
        self
    }

    /// One page: the first (`skip_token` `None`) or the one a previous page's token points at.
    pub async fn page(
        &self,
        query: &GraphQuery,
        skip_token: Option<&str>,
    ) -> Result<QueryPage, AzureError> {
        let url = arm::url(
            &self.pipeline.options().arm_endpoint,
            ["providers", "Microsoft.ResourceGraph", "resources"],
            &[("api-version", RESOURCE_GRAPH_API_VERSION)],
        )?;
        let body = RequestBody {
            subscriptions: &query.subscriptions,
            query: &query.query,
            options: RequestOptions {
                top: self.page_size,
                skip_token,
                result_format: ResultFormat::ObjectArray,
            },
        };
        let body = serde_json::to_value(&body).map_err(|e| arm::encode_error("query", e))?;
        self.pipeline
            .send(&ApiRequest::query(Service::ResourceGraph, url, body))
            .await?
            .json()
    }

    /// Every row, all pages, as raw JSON objects. A result the service truncated without a
    /// `$skipToken` (the query did not project `id`) is an error: the rows would be incomplete.
    pub async fn query_raw(
        &self,
        query: &GraphQuery,
    ) -> Result<Vec<Map<String, Value>>, AzureError> {
        let mut rows = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..self.max_pages {
            let page = self.page(query, token.as_deref()).await?;
            rows.extend(page.data);
            match page.skip_token.filter(|t| !t.is_empty()) {
                Some(next) if Some(&next) == token.as_ref() => {
                    return Err(incomplete("the service repeated the same $skipToken"))
                }
                Some(next) => token = Some(next),
                None if page.result_truncated == Truncated::Yes => {
                    return Err(incomplete(
                        "the result was truncated with no $skipToken; project the id column",
                    ))
                }
                None => return Ok(rows),
            }
        }
        Err(incomplete("more pages than the limit"))
    }

    /// Every row, all pages, decoded as `T`.
    pub async fn query<T: DeserializeOwned>(
        &self,
        query: &GraphQuery,
    ) -> Result<Vec<T>, AzureError> {
        self.query_raw(query)
            .await?
            .into_iter()
            .map(|row| {
                serde_json::from_value(Value::Object(row)).map_err(|e| AzureError::Decode {
                    path: "resource graph row".into(),
                    message: e.to_string(),
                })
            })
            .collect()
    }

    /// Every row, all pages, as [`ResourceRow`]s (the query must project `id`).
    pub async fn resources(&self, query: &GraphQuery) -> Result<Vec<ResourceRow>, AzureError> {
        self.query_raw(query)
            .await?
            .into_iter()
            .map(ResourceRow::from_row)
            .collect()
    }
}

fn incomplete(message: &str) -> AzureError {
    AzureError::Decode {
        path: "/providers/Microsoft.ResourceGraph/resources".into(),
        message: message.to_string(),
    }
}
