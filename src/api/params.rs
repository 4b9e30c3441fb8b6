//! Request parameters as the contract defines them: run ids (UUIDs, else 400 `INVALID_RUN_ID`), paging
//! (`page` ≥ 1, 1 ≤ `page_size` ≤ 500, a page past the last is 400 `PAGE_OUT_OF_RANGE`), enum filters
//! and ISO 8601 times (400 `INVALID_PARAMETER` naming the parameter and the accepted values).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::json;
use uuid::Uuid;

use super::model::Pagination;
use super::ApiError;

/// Largest `page_size`.
pub const MAX_PAGE_SIZE: u32 = 500;
/// `page_size` when none is given.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// 400 `INVALID_PARAMETER` naming the parameter and the value.
pub fn invalid(parameter: &str, value: &str, message: String) -> ApiError {
    ApiError::bad_request("INVALID_PARAMETER", message)
        .with_details(json!({"parameter": parameter, "value": value}))
}

/// A run id from the path.
pub fn run_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::bad_request(
            "INVALID_RUN_ID",
            format!(
                "run id `{}` is not a UUID (like 550e8400-e29b-41d4-a716-446655440000)",
                raw.chars().take(80).collect::<String>()
            ),
        )
        .with_details(json!({"parameter": "run_id"}))
    })
}

/// 404 `RUN_NOT_FOUND`.
pub fn run_not_found(run_id: Uuid) -> ApiError {
    ApiError::not_found("RUN_NOT_FOUND", format!("Run with ID '{run_id}' not found"))
        .with_details(json!({"run_id": run_id}))
}

/// The query string as name → value (the last of repeated names wins).
#[derive(Debug, Default, Clone)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// A plain string parameter (empty counts as absent).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// An enum parameter: one of `allowed` (its serde names).
    pub fn one_of<T: DeserializeOwned>(
        &self,
        name: &str,
        allowed: &[&str],
    ) -> Result<Option<T>, ApiError> {
        let Some(v) = self.text(name) else {
            return Ok(None);
        };
        if !allowed.contains(&v) {
            return Err(invalid(
                name,
                v,
                format!(
                    "invalid {name} `{v}`: must be one of {}",
                    allowed.join(", ")
                ),
            ));
        }
        serde_json::from_value(json!(v))
            .map(Some)
            .map_err(|e| ApiError::internal(format!("enum {name}: {e}")))
    }

    /// An ISO 8601 date-time.
    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(v) = self.text(name) else {
            return Ok(None);
        };
        DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                invalid(
                    name,
                    v,
                    format!("invalid {name} `{v}`: expected an ISO 8601 date-time like 2025-11-14T12:00:00Z"),
                )
            })
    }

    fn integer(&self, name: &str, default: u32, min: u32, max: u32) -> Result<u32, ApiError> {
        let Some(v) = self.0.get(name) else {
            return Ok(default);
        };
        match v.parse::<i64>() {
            Ok(n) if n >= i64::from(min) && n <= i64::from(max) => Ok(n as u32),
            _ if max == u32::MAX => Err(invalid(
                name,
                v,
                format!("Invalid {name}: must be an integer ≥ {min}"),
            )),
            _ => Err(invalid(
                name,
                v,
                format!("Invalid {name}: must be between {min} and {max}"),
            )),
        }
    }

    pub fn paging(&self) -> Result<Paging, ApiError> {
        Ok(Paging {
            page: self.integer("page", 1, 1, u32::MAX)?,
            page_size: self.integer("page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)?,
        })
    }
}

/// A requested page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u32,
    pub page_size: u32,
}

impl Default for Paging {
    fn default() -> Self {
        Self {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

impl Paging {
    /// The index range of the page among `total` items, and its metadata. Page 1 of nothing is an
    /// empty page; any other page past the last is 400 `PAGE_OUT_OF_RANGE`.
    pub fn window(&self, total: usize) -> Result<(std::ops::Range<usize>, Pagination), ApiError> {
        let size = self.page_size as usize;
        let total_pages = total.div_ceil(size);
        if self.page as usize > total_pages.max(1) {
            return Err(ApiError::bad_request(
                "PAGE_OUT_OF_RANGE",
                format!(
                    "page {} is past the last page ({} of {total} items at page_size {size})",
                    self.page,
                    total_pages.max(1)
                ),
            )
            .with_details(
                json!({"parameter": "page", "value": self.page, "total_pages": total_pages}),
            ));
        }
        let start = (self.page as usize - 1) * size;
        let end = (start + size).min(total);
        Ok((
            start.min(total)..end,
            Pagination {
                page: self.page,
                page_size: self.page_size,
                total_items: total as u64,
                total_pages: total_pages as u64,
                has_next: (self.page as usize) < total_pages,
                has_previous: self.page > 1,
            },
        ))
    }
}
