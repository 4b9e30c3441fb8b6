//! How the blob backend reads the SDK's errors: which are "already exists", "changed", "missing",
//! and the store's taxonomy for the rest (never quoting a response body or a query string).

use azure_core::error::ErrorKind;
use azure_core::http::StatusCode;

use super::StoreError;

/// `If-None-Match: *` on an existing blob: 409 `BlobAlreadyExists` (some emulators answer 412).
pub(super) fn already_exists(e: &azure_core::Error) -> bool {
    matches!(
        (status(e), error_code(e).as_deref()),
        (Some(StatusCode::Conflict), Some("BlobAlreadyExists") | None)
            | (
                Some(StatusCode::PreconditionFailed),
                Some("ConditionNotMet") | None
            )
    )
}

pub(super) fn status(e: &azure_core::Error) -> Option<StatusCode> {
    e.http_status()
}

pub(super) fn error_code(e: &azure_core::Error) -> Option<String> {
    match e.kind() {
        ErrorKind::HttpResponse { error_code, .. } => error_code.clone(),
        _ => None,
    }
}

/// Maps an SDK error to the store's taxonomy. HTTP errors are described by status and storage error
/// code only: response bodies can echo the signature that was sent, so they are never quoted.
pub(super) fn map_error(op: &str, what: &str, e: &azure_core::Error) -> StoreError {
    if let ErrorKind::HttpResponse {
        status, error_code, ..
    } = e.kind()
    {
        let code = error_code.as_deref().unwrap_or("no error code");
        let msg = format!("{op} {what}: HTTP {} ({code})", u16::from(*status));
        return match (u16::from(*status), code) {
            (408 | 429 | 500..=599, _) | (409, "ContainerBeingDeleted") => {
                StoreError::Unavailable(msg)
            }
            _ => StoreError::Rejected(msg),
        };
    }
    let msg = format!("{op} {what}: {}", redact(&describe_chain(e)));
    match e.kind() {
        ErrorKind::Io | ErrorKind::Connection => StoreError::Unavailable(msg),
        _ => StoreError::Rejected(msg),
    }
}

/// The error and its sources, one after another.
fn describe_chain(e: &azure_core::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.chars().take(400).collect()
}

/// Drops query strings from any URL in the text (transport errors quote the request URL, which can
/// carry a SAS).
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_query = false;
    for c in text.chars() {
        if in_query {
            if c.is_whitespace() || c == ')' || c == '"' || c == '\'' {
                in_query = false;
                out.push(c);
            }
        } else if c == '?' {
            in_query = true;
            out.push_str("?…");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_drops_queries() {
        let s = redact("error sending request for url (https://a.blob.core.windows.net/c?sv=1&sig=abc%2B): refused");
        assert_eq!(
            s,
            "error sending request for url (https://a.blob.core.windows.net/c?…): refused"
        );
    }
}
