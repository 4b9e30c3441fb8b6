//! The request limits every route shares, explicit and answered in the API's JSON error shape:
//! a body larger than [`MAX_BODY_BYTES`] is 413 `PAYLOAD_TOO_LARGE` (axum's own rejection is plain
//! text, so [`json_rejections`] rewrites it), and a body sent with a content type other than JSON
//! is 415 `UNSUPPORTED_MEDIA_TYPE` ([`require_json`]; no content type at all is taken as JSON, as
//! `curl -X POST` sends none).

use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::api::ApiError;

/// Largest request body accepted (an envelope holds at most one Service Bus batch).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

fn is_json(content_type: &str) -> bool {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// 415 naming the content type, unless the request has none or a JSON one.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
    if is_json(&text) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        format!("content type `{text}` is not accepted; send the body as application/json"),
    )
    .with_details(json!({"content_type": text})))
}

/// Middleware: a 413 from a body extractor becomes the JSON error naming the limit.
pub async fn json_rejections(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !json {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("the request body is larger than {MAX_BODY_BYTES} bytes, the limit"),
        )
        .with_details(json!({"max_bytes": MAX_BODY_BYTES}))
        .into_response();
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_types_pass_and_others_are_named() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(is_json(ok), "{ok}");
        }
        let mut headers = HeaderMap::new();
        assert!(require_json(&headers).is_ok());
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        let e = require_json(&headers).unwrap_err().into_response();
        assert_eq!(e.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}
