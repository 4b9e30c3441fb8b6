//! Long-running operations and paging.
//!
//! LROs: an `Azure-AsyncOperation` header means "poll that URL; its body's `status` says when it is
//! done" (Succeeded / Failed / Canceled); a `Location` header means "poll that URL; 202 while
//! running, anything else when done". Polls honour `Retry-After`. After an async operation succeeds, a
//! PUT or PATCH reads the resource once more for its final state.
//!
//! Paging: `nextLink` (ARM), `@odata.nextLink` (Graph), `$skipToken` (Resource Graph, sent back in
//! the next query's options).

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::error::AzureError;
use super::pipeline::{ApiRequest, ApiResponse, Pipeline};
use super::retry::retry_after;

/// Polling knobs.
#[derive(Debug, Clone)]
pub struct LroOptions {
    /// Between polls when the service gives no `Retry-After`.
    pub default_interval: Duration,
    /// Give up after this long (the operation may still finish; a later call can look again).
    pub max_wait: Duration,
}

impl Default for LroOptions {
    fn default() -> Self {
        Self {
            default_interval: Duration::from_secs(5),
            max_wait: Duration::from_secs(3600),
        }
    }
}

fn terminal(status: &str) -> Option<bool> {
    match status.to_ascii_lowercase().as_str() {
        "succeeded" => Some(true),
        "failed" | "canceled" | "cancelled" => Some(false),
        _ => None,
    }
}

fn poll_request(original: &ApiRequest, url: &str) -> Result<ApiRequest, AzureError> {
    let url = url::Url::parse(url).map_err(|e| AzureError::Decode {
        path: original.url.path().to_string(),
        message: format!("bad polling URL: {e}"),
    })?;
    let mut get = ApiRequest::get(original.service, url);
    get.subscription = original.subscription.clone();
    Ok(get)
}

/// Sends `request` and, if the service answers with a long-running operation, waits for it.
/// Returns the final answer (for PUT/PATCH: the resource).
pub async fn send_and_wait(
    pipeline: &Pipeline,
    request: &ApiRequest,
    options: &LroOptions,
) -> Result<ApiResponse, AzureError> {
    let first = pipeline.send(request).await?;
    wait(pipeline, request, first, options).await
}

/// Waits for the operation `first` started.
pub async fn wait(
    pipeline: &Pipeline,
    request: &ApiRequest,
    first: ApiResponse,
    options: &LroOptions,
) -> Result<ApiResponse, AzureError> {
    let async_op = first.header("azure-asyncoperation").map(str::to_string);
    let location = first.header("location").map(str::to_string);
    let deadline = tokio::time::Instant::now() + options.max_wait;
    let interval = |resp: &ApiResponse| {
        retry_after(&resp.headers, chrono::Utc::now()).unwrap_or(options.default_interval)
    };

    if let Some(op_url) = async_op {
        let poll = poll_request(request, &op_url)?;
        let mut last = first;
        loop {
            tokio::time::sleep(interval(&last)).await;
            let resp = pipeline.send(&poll).await?;
            let body: Value = resp.json()?;
            let status = body
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            match terminal(&status) {
                Some(true) => break,
                Some(false) => {
                    let err = body.get("error").cloned().unwrap_or(Value::Null);
                    let text =
                        |k: &str| err.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    return Err(AzureError::OperationFailed {
                        path: request.url.path().to_string(),
                        status,
                        code: text("code"),
                        message: text("message"),
                    });
                }
                None => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(timeout(request, options));
            }
            last = resp;
        }
        return match request.method {
            Method::PUT | Method::PATCH => {
                pipeline
                    .send(&ApiRequest::get(request.service, request.url.clone()))
                    .await
            }
            _ => match location {
                Some(loc) => pipeline.send(&poll_request(request, &loc)?).await,
                None => Ok(last),
            },
        };
    }

    if first.status == 202 {
        if let Some(loc) = location {
            let poll = poll_request(request, &loc)?;
            let mut last = first;
            loop {
                tokio::time::sleep(interval(&last)).await;
                let resp = pipeline.send(&poll).await?;
                if resp.status != 202 {
                    return Ok(resp);
                }
                if tokio::time::Instant::now() >= deadline {
                    return Err(timeout(request, options));
                }
                last = resp;
            }
        }
    }
    Ok(first)
}

fn timeout(request: &ApiRequest, options: &LroOptions) -> AzureError {
    AzureError::OperationFailed {
        path: request.url.path().to_string(),
        status: "TimedOut".into(),
        code: "PollingTimeout".into(),
        message: format!("still running after {:?}", options.max_wait),
    }
}

/// Follows `nextLink` / `@odata.nextLink` from a first GET, collecting `value` arrays.
pub async fn get_all_pages(
    pipeline: &Pipeline,
    first: &ApiRequest,
) -> Result<Vec<Value>, AzureError> {
    let mut items = Vec::new();
    let mut request = first.clone();
    loop {
        let body: Value = pipeline.send(&request).await?.json()?;
        if let Some(Value::Array(values)) = body.get("value") {
            items.extend(values.iter().cloned());
        }
        let next = body
            .get("nextLink")
            .or_else(|| body.get("@odata.nextLink"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        match next {
            Some(link) => request = poll_request(first, link)?,
            None => return Ok(items),
        }
    }
}

#[cfg(test)]
#[path = "lro_tests.rs"]
mod tests;
