//! Authentication for the blob backend: a Shared Key signing policy (the SDK has none), a policy that
//! appends a SAS token, and what an Entra ID failure means (the credential itself is the Azure
//! pipeline's `IdentityTokens`, bridged by `azure::sdk::SdkCredential`).
//!
//! Nothing here formats a key, a signature, a SAS or a token into a message or a `Debug` string.

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::Secret as CoreSecret;
use azure_core::http::headers::HeaderName;
use azure_core::http::policies::{Policy, PolicyResult};
use azure_core::http::{Context, Request};
use base64::Engine as _;

use super::StoreError;
use crate::config::Secret;

/// Signs every try of every request with the Shared Key scheme
/// (`Authorization: SharedKey account:base64(HMAC-SHA256(key, string-to-sign))`).
///
/// Per-try, after every other header is in place, so the fresh `x-ms-date` and everything the service
/// canonicalises are exactly what goes on the wire.
pub(super) struct SharedKeyPolicy {
    account: String,
    key: CoreSecret,
}

impl SharedKeyPolicy {
    /// Checks the key is base64 (without saying what it is).
    pub(super) fn new(account: &str, key: &Secret) -> Result<Self, String> {
        let decoded = base64::engine::general_purpose::STANDARD.decode(key.expose().trim());
        match decoded {
            Ok(bytes) if !bytes.is_empty() => Ok(Self {
                account: account.to_string(),
                key: CoreSecret::new(key.expose().trim().to_string()),
            }),
            _ => Err(format!("the account key of `{account}` is not base64")),
        }
    }
}

impl fmt::Debug for SharedKeyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKeyPolicy")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl Policy for SharedKeyPolicy {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        let now = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT");
        request.insert_header("x-ms-date", now.to_string());
        let signature =
            azure_core::hmac::hmac_sha256(&string_to_sign(&self.account, request), &self.key)?;
        request.insert_header(
            "authorization",
            format!("SharedKey {}:{signature}", self.account),
        );
        next[0].send(ctx, request, &next[1..]).await
    }
}

/// The Shared Key string-to-sign (service version 2015-02-21 and later): verb, the standard headers in
/// their fixed order (`Content-Length` empty when zero, `Date` empty because `x-ms-date` is sent), the
/// `x-ms-*` headers sorted, then `/account/path` and the query parameters, lower-cased, sorted and
/// decoded, one per line.
pub(super) fn string_to_sign(account: &str, request: &Request) -> String {
    let headers = request.headers();
    let header = |name: &'static str| {
        headers
            .get_optional_str(&HeaderName::from_static(name))
            .unwrap_or("")
            .to_string()
    };
    let content_length = match header("content-length") {
        len if len.is_empty() => request
            .body()
            .len()
            .filter(|n| *n > 0)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        len if len == "0" => String::new(),
        len => len,
    };
    let mut out = format!("{}\n", request.method().as_ref().to_ascii_uppercase());
    for line in [
        header("content-encoding"),
        header("content-language"),
        content_length,
        header("content-md5"),
        header("content-type"),
        String::new(), // Date: x-ms-date is used instead
        header("if-modified-since"),
        header("if-match"),
        header("if-none-match"),
        header("if-unmodified-since"),
        header("range"),
    ] {
        out.push_str(&line);
        out.push('\n');
    }

    let mut ms: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.as_str().trim().to_string(),
            )
        })
        .filter(|(k, _)| k.starts_with("x-ms-"))
        .collect();
    ms.sort();
    for (k, v) in ms {
        out.push_str(&format!("{k}:{v}\n"));
    }

    let url = request.url();
    let path = if url.path().is_empty() {
        "/"
    } else {
        url.path()
    };
    out.push_str(&format!("/{account}{path}"));
    let mut params: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (k, v) in url.query_pairs() {
        params
            .entry(k.to_ascii_lowercase())
            .or_default()
            .push(v.into_owned());
    }
    for (k, mut values) in params {
        values.sort();
        out.push_str(&format!("\n{k}:{}", values.join(",")));
    }
    out
}

/// Appends a SAS token (kept verbatim, as issued) to the query of each call.
pub(super) struct SasPolicy {
    token: String,
}

impl SasPolicy {
    pub(super) fn new(token: &Secret) -> Result<Self, String> {
        let token = token.expose().trim().trim_start_matches('?').to_string();
        if !token.contains("sig=") {
            return Err("the SAS token has no `sig=` parameter".into());
        }
        Ok(Self { token })
    }
}

impl fmt::Debug for SasPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SasPolicy(***)")
    }
}

#[async_trait::async_trait]
impl Policy for SasPolicy {
    async fn send(
        &self,
        ctx: &Context,
        request: &mut Request,
        next: &[Arc<dyn Policy>],
    ) -> PolicyResult {
        let url = request.url_mut();
        let query = match url.query() {
            Some(q) if !q.is_empty() => format!("{q}&{}", self.token),
            _ => self.token.clone(),
        };
        url.set_query(Some(&query));
        next[0].send(ctx, request, &next[1..]).await
    }
}

/// For an identity-based connection, what an authentication failure means and how to fix it:
/// no token (no usable credential) names the identity settings; 401 (the token is refused: wrong
/// audience or tenant, expired) and 403 (no data role) name the connection's `setting`.
/// `None` for everything else. Only the storage error code is quoted, never a token.
pub(super) fn identity_error(
    setting: &str,
    op: &str,
    what: &str,
    e: &azure_core::Error,
) -> Option<StoreError> {
    use azure_core::error::ErrorKind;
    match e.kind() {
        ErrorKind::Credential => Some(StoreError::Rejected(format!(
            "{op} {what}: {setting} is identity-based, but no token for Azure Storage could be \
             obtained ({}). Fix: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, run \
             in Azure with a managed identity, or sign in with `az login`",
            first_line(&e.to_string())
        ))),
        ErrorKind::HttpResponse {
            status, error_code, ..
        } => {
            let code = error_code.as_deref().unwrap_or("no error code");
            let status = u16::from(*status);
            // Azure answers a refused token 401 `InvalidAuthenticationInfo` (or 403
            // `AuthenticationFailed`, as Azurite does); a missing data role 403
            // `AuthorizationPermissionMismatch` / `AuthorizationFailure`.
            let token_refused = status == 401
                || matches!(code, "AuthenticationFailed" | "InvalidAuthenticationInfo");
            if token_refused {
                Some(StoreError::Rejected(format!(
                    "{op} {what}: HTTP {status} ({code}): the storage account at {setting} refused \
                     the identity's token. Fix: the token must be for {STORAGE_AUDIENCE} from the \
                     account's tenant (check AZURE_TENANT_ID and AZURE_AUTHORITY_HOST), and the \
                     endpoint must be the account's blob service"
                )))
            } else if status == 403 {
                Some(StoreError::Rejected(format!(
                    "{op} {what}: HTTP 403 ({code}): the identity may not use the blobs at \
                     {setting}. Fix: assign it the Storage Blob Data Contributor role on the \
                     account"
                )))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The audience of Azure Storage tokens.
const STORAGE_AUDIENCE: &str = "https://storage.azure.com";

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(300)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::http::Method;

    #[test]
    fn string_to_sign_follows_the_shared_key_layout() {
        let url = url::Url::parse(
            "http://127.0.0.1:10000/devstoreaccount1/hm-state?restype=container&comp=list&prefix=runs%2F&maxresults=10",
        )
        .unwrap();
        let mut req = Request::new(url, Method::Get);
        req.insert_header("x-ms-version", "2026-04-06");
        req.insert_header("x-ms-date", "Mon, 01 Jan 2024 00:00:00 GMT");
        req.insert_header("if-match", "\"0x1\"");
        req.insert_header("accept", "application/xml");
        let s = string_to_sign("devstoreaccount1", &req);
        assert_eq!(
            s,
            "GET\n\n\n\n\n\n\n\n\"0x1\"\n\n\n\n\
             x-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\nx-ms-version:2026-04-06\n\
             /devstoreaccount1/devstoreaccount1/hm-state\ncomp:list\nmaxresults:10\nprefix:runs/\nrestype:container"
        );
    }

    #[test]
    fn zero_length_is_blank_and_bodies_count() {
        let url = url::Url::parse("https://acct.blob.core.windows.net/c/b").unwrap();
        let mut req = Request::new(url.clone(), Method::Put);
        req.insert_header("content-length", "0");
        assert!(string_to_sign("acct", &req).starts_with("PUT\n\n\n\n"));
        let mut req = Request::new(url, Method::Put);
        req.set_body(azure_core::Bytes::from_static(b"hello"));
        req.insert_header("content-type", "application/octet-stream");
        assert!(
            string_to_sign("acct", &req).starts_with("PUT\n\n\n5\n\napplication/octet-stream\n")
        );
        assert!(string_to_sign("acct", &req).ends_with("\n/acct/c/b"));
    }

    #[test]
    fn keys_and_tokens_stay_out_of_debug() {
        let key = Secret::new("c2VjcmV0LWtleS1ieXRlcw==");
        let p = SharedKeyPolicy::new("acct", &key).unwrap();
        assert!(!format!("{p:?}").contains("c2VjcmV0"));
        let err = SharedKeyPolicy::new("acct", &Secret::new("not base64!")).unwrap_err();
        assert!(!err.contains("not base64!"));
        let sas = SasPolicy::new(&Secret::new("sv=2022&sig=abcd")).unwrap();
        assert!(!format!("{sas:?}").contains("abcd"));
    }
}
