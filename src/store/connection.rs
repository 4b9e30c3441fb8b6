//! Where the state store lives, read from the settings the way a Functions app has them.

use std::path::PathBuf;

use crate::config::{Secret, StorageSettings};

use crate::config::catalog::{
    AZURE_WEBJOBS_STORAGE_ACCOUNT as ACCOUNT_NAME,
    AZURE_WEBJOBS_STORAGE_BLOB_URI as BLOB_SERVICE_URI, HAYMAKER_STATE,
};

/// Azurite's well-known development account.
pub const DEV_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's well-known development key (public; documented by Microsoft for the emulator).
pub const DEV_ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// Default local directory when no storage is configured.
pub const DEFAULT_LOCAL_DIR: &str = ".haymaker/state";

/// How the blob backend authenticates.
#[derive(Debug, Clone)]
pub enum BlobAuth {
    /// Account name and key (signed per request; the crate has no shared-key policy of its own).
    SharedKey { account: String, key: Secret },
    /// A SAS token (query string without the leading `?`).
    Sas(Secret),
    /// Entra ID, with the orchestrator's identity (`IdentityTokens`: client secret, managed
    /// identity or developer tools; see [`super::StoreIdentity`]). `setting` names the setting the
    /// connection came from, for errors.
    Identity { setting: &'static str },
}

/// A blob service to keep state in.
#[derive(Debug, Clone)]
pub struct BlobConnection {
    /// e.g. `https://acct.blob.core.windows.net` or `http://127.0.0.1:10000/devstoreaccount1`, no
    /// trailing slash.
    pub service_url: url::Url,
    pub auth: BlobAuth,
    /// Prepended to every container name (isolates tests and deployments sharing an account).
    pub container_prefix: String,
}

impl BlobConnection {
    /// The container's real name.
    pub fn container_name(&self, container: super::Container) -> String {
        format!("{}{}", self.container_prefix, container.name())
    }
}

/// The store's location.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    Local(PathBuf),
    Blob(BlobConnection),
}

impl StoreLocation {
    /// `HAYMAKER_STATE` (a `file://` path, a connection string or a blob service URL), else
    /// `AzureWebJobsStorage` (connection string), else identity-based `AzureWebJobsStorage__*`, else
    /// the local directory `.haymaker/state`.
    pub fn from_settings(s: &StorageSettings) -> Result<Self, String> {
        if let Some(state) = &s.state {
            return Self::parse(state.expose(), "HAYMAKER_STATE");
        }
        if let Some(conn) = &s.connection_string {
            return parse_connection_string(conn.expose())
                .map(StoreLocation::Blob)
                .map_err(|e| format!("AzureWebJobsStorage: {e}"));
        }
        if let Some(uri) = &s.blob_service_uri {
            return Ok(StoreLocation::Blob(identity(uri.clone(), BLOB_SERVICE_URI)));
        }
        if let Some(account) = &s.account_name {
            let url = url::Url::parse(&format!("https://{account}.blob.core.windows.net"))
                .map_err(|e| format!("{ACCOUNT_NAME} `{account}`: {e}"))?;
            return Ok(StoreLocation::Blob(identity(url, ACCOUNT_NAME)));
        }
        Ok(StoreLocation::Local(PathBuf::from(DEFAULT_LOCAL_DIR)))
    }

    /// Parses one location string; `setting` names where it came from, for the error.
    pub fn parse(value: &str, setting: &str) -> Result<Self, String> {
        let v = value.trim();
        if let Some(path) = v.strip_prefix("file://") {
            if path.is_empty() {
                return Err(format!(
                    "{setting}: `file://` needs a path, e.g. file:///var/haymaker/state"
                ));
            }
            return Ok(StoreLocation::Local(PathBuf::from(path)));
        }
        if v.starts_with("https://") || v.starts_with("http://") {
            let mut url =
                url::Url::parse(v).map_err(|e| format!("{setting}: `{v}` is not a URL ({e})"))?;
            let query = url.query().map(str::to_string);
            url.set_query(None);
            let url = trim_slash(url);
            let auth = match query {
                Some(q) if q.contains("sig=") => BlobAuth::Sas(Secret::new(q)),
                _ => BlobAuth::Identity {
                    setting: static_setting(setting),
                },
            };
            return Ok(StoreLocation::Blob(BlobConnection {
                service_url: url,
                auth,
                container_prefix: String::new(),
            }));
        }
        if v.contains('=') {
            return parse_connection_string(v)
                .map(StoreLocation::Blob)
                .map_err(|e| format!("{setting}: {e}"));
        }
        Err(format!(
            "{setting}: expected file:///path, a storage connection string or https://account.blob.core.windows.net"
        ))
    }

    /// A description without secrets.
    /// Whether opening it needs the orchestrator's identity ([`super::StoreIdentity`]).
    pub fn needs_identity(&self) -> bool {
        matches!(
            self,
            StoreLocation::Blob(BlobConnection {
                auth: BlobAuth::Identity { .. },
                ..
            })
        )
    }

    pub fn describe(&self) -> String {
        match self {
            StoreLocation::Local(dir) => format!("local directory {}", dir.display()),
            StoreLocation::Blob(c) => {
                let auth = match &c.auth {
                    BlobAuth::SharedKey { account, .. } => format!("shared key of {account}"),
                    BlobAuth::Sas(_) => "SAS".into(),
                    BlobAuth::Identity { .. } => "Entra ID".into(),
                };
                format!("blob storage {} ({auth})", c.service_url)
            }
        }
    }
}

fn identity(url: url::Url, setting: &'static str) -> BlobConnection {
    BlobConnection {
        service_url: trim_slash(url),
        auth: BlobAuth::Identity { setting },
        container_prefix: String::new(),
    }
}

/// The catalogue's name for `setting` (errors name it), `HAYMAKER_STATE` for anything else.
fn static_setting(setting: &str) -> &'static str {
    [HAYMAKER_STATE, BLOB_SERVICE_URI, ACCOUNT_NAME]
        .into_iter()
        .find(|s| *s == setting)
        .unwrap_or(HAYMAKER_STATE)
}

fn trim_slash(mut url: url::Url) -> url::Url {
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
    url
}

/// Parses a storage connection string (`Key=Value;…`).
pub fn parse_connection_string(s: &str) -> Result<BlobConnection, String> {
    let mut get = std::collections::HashMap::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            format!(
                "`{}` is not Key=Value",
                part.split('=').next().unwrap_or("")
            )
        })?;
        get.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    if get
        .get("usedevelopmentstorage")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        let base = get
            .get("developmentstorageproxyuri")
            .cloned()
            .unwrap_or_else(|| "http://127.0.0.1:10000".into());
        let url = url::Url::parse(&format!("{}/{DEV_ACCOUNT}", base.trim_end_matches('/')))
            .map_err(|e| format!("DevelopmentStorageProxyUri: {e}"))?;
        return Ok(BlobConnection {
            service_url: trim_slash(url),
            auth: BlobAuth::SharedKey {
                account: DEV_ACCOUNT.into(),
                key: Secret::new(DEV_ACCOUNT_KEY),
            },
            container_prefix: String::new(),
        });
    }
    let account = get.get("accountname").cloned();
    let url = match (get.get("blobendpoint"), &account) {
        (Some(endpoint), _) => {
            url::Url::parse(endpoint).map_err(|e| format!("BlobEndpoint `{endpoint}`: {e}"))?
        }
        (None, Some(account)) => {
            let protocol = get
                .get("defaultendpointsprotocol")
                .map_or("https", String::as_str);
            let suffix = get
                .get("endpointsuffix")
                .map_or("core.windows.net", String::as_str);
            url::Url::parse(&format!("{protocol}://{account}.blob.{suffix}"))
                .map_err(|e| format!("cannot build the blob endpoint: {e}"))?
        }
        (None, None) => return Err("needs AccountName (or BlobEndpoint)".into()),
    };
    let auth = if let Some(key) = get.get("accountkey") {
        let account = account.ok_or("AccountKey needs AccountName")?;
        BlobAuth::SharedKey {
            account,
            key: Secret::new(key.clone()),
        }
    } else if let Some(sas) = get.get("sharedaccesssignature") {
        BlobAuth::Sas(Secret::new(sas.trim_start_matches('?')))
    } else {
        return Err("needs AccountKey or SharedAccessSignature (or use the identity-based AzureWebJobsStorage__accountName)".into());
    };
    Ok(BlobConnection {
        service_url: trim_slash(url),
        auth,
        container_prefix: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_storage_is_azurite() {
        let c = parse_connection_string("UseDevelopmentStorage=true").unwrap();
        assert_eq!(
            c.service_url.as_str(),
            "http://127.0.0.1:10000/devstoreaccount1"
        );
        assert!(
            matches!(c.auth, BlobAuth::SharedKey { ref account, .. } if account == DEV_ACCOUNT)
        );
    }

    #[test]
    fn account_key_strings_build_the_endpoint() {
        let c = parse_connection_string(
            "DefaultEndpointsProtocol=https;AccountName=hm;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn",
        )
        .unwrap();
        assert_eq!(
            c.service_url.as_str(),
            "https://hm.blob.core.chinacloudapi.cn/"
        );
        let c = parse_connection_string("AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1234/devstoreaccount1/").unwrap();
        assert_eq!(
            c.service_url.as_str(),
            "http://127.0.0.1:1234/devstoreaccount1"
        );
        assert!(
            !format!("{c:?}").contains("a2V5"),
            "the key must not show in Debug"
        );
    }

    #[test]
    fn bad_strings_say_what_is_missing() {
        assert!(parse_connection_string("AccountName=x")
            .unwrap_err()
            .contains("AccountKey"));
        assert!(parse_connection_string("Foo")
            .unwrap_err()
            .contains("Key=Value"));
        assert!(StoreLocation::parse("ftp://x", "HAYMAKER_STATE")
            .unwrap_err()
            .contains("file:///path"));
    }

    #[test]
    fn locations_from_settings_in_order_of_precedence() {
        let mut s = StorageSettings {
            state: None,
            connection_string: None,
            account_name: None,
            blob_service_uri: None,
            queue_service_uri: None,
        };
        assert!(
            matches!(StoreLocation::from_settings(&s).unwrap(), StoreLocation::Local(p) if p == std::path::Path::new(DEFAULT_LOCAL_DIR))
        );
        s.account_name = Some("hmstate".into());
        let StoreLocation::Blob(c) = StoreLocation::from_settings(&s).unwrap() else {
            panic!()
        };
        assert_eq!(
            c.service_url.as_str(),
            "https://hmstate.blob.core.windows.net/"
        );
        assert!(matches!(
            c.auth,
            BlobAuth::Identity {
                setting: "AzureWebJobsStorage__accountName"
            }
        ));
        s.connection_string = Some(Secret::new("UseDevelopmentStorage=true"));
        assert!(
            matches!(StoreLocation::from_settings(&s).unwrap(), StoreLocation::Blob(c) if c.service_url.port() == Some(10000))
        );
        s.state = Some(Secret::new("file:///tmp/hm-state"));
        assert!(
            matches!(StoreLocation::from_settings(&s).unwrap(), StoreLocation::Local(p) if p == std::path::Path::new("/tmp/hm-state"))
        );
        s.state = Some(Secret::new(
            "https://acct.blob.core.windows.net/?sv=2022&sig=abc",
        ));
        let StoreLocation::Blob(c) = StoreLocation::from_settings(&s).unwrap() else {
            panic!()
        };
        assert!(matches!(c.auth, BlobAuth::Sas(_)));
        assert_eq!(c.service_url.query(), None);
    }
}
