//! Shared pieces of the ARM operation modules: URLs built from the configured endpoint, resource ids,
//! string enums that keep values they do not know, and "delete, wait, 404 = already gone".

use serde::{Deserialize, Deserializer};

use super::error::AzureError;
use super::lro::{self, LroOptions};
use super::pipeline::{ApiRequest, Pipeline, Service};

/// Declares an enum over a service's string values: known values get variants, anything else is
/// kept in `Other` (ARM enums are "modelAsString": new values appear without a new api-version).
/// Matching is case-insensitive; serialising writes the canonical spelling.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version of haymaker does not know.
            Other(String),
        }

        impl $name {
            /// The value as the service spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $(if s.eq_ignore_ascii_case($text) {
                    return Self::$variant;
                })+
                Self::Other(s.to_string())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(Self::from(s.as_str()))
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// `properties.provisioningState` of ARM resources (the common values).
    ProvisioningState {
        Succeeded = "Succeeded",
        Failed = "Failed",
        Canceled = "Canceled",
        Accepted = "Accepted",
        Creating = "Creating",
        Updating = "Updating",
        Deleting = "Deleting",
        InProgress = "InProgress",
    }
}

impl ProvisioningState {
    /// Succeeded, Failed or Canceled: nothing more will happen without a new request.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

/// What a delete found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// It existed and is now deleted (the long-running operation, if any, finished).
    Deleted,
    /// It was not there (404, or ARM's 204 "does not exist").
    AlreadyGone,
}

/// A field that may be `null` or missing: both read as the type's default.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `base` + path segments (each percent-encoded as needed) + query. Values are encoded with `%20`
/// for spaces (OData filters), keys are written as given (`$filter`, `api-version`).
pub(crate) fn url<'a>(
    base: &url::Url,
    segments: impl IntoIterator<Item = &'a str>,
    query: &[(&str, &str)],
) -> Result<url::Url, AzureError> {
    let mut url = base.clone();
    {
        let mut path = url.path_segments_mut().map_err(|()| AzureError::Decode {
            path: base.to_string(),
            message: "the endpoint cannot be the base of a URL".into(),
        })?;
        path.pop_if_empty();
        path.extend(segments.into_iter().filter(|s| !s.is_empty()));
    }
    let text: Vec<String> = query
        .iter()
        .map(|(k, v)| {
            let value: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            format!("{k}={}", value.replace('+', "%20"))
        })
        .collect();
    let joined = text.join("&");
    url.set_query((!joined.is_empty()).then_some(joined.as_str()));
    Ok(url)
}

/// The segments of a resource id or scope (`/a/b/c` → `a`, `b`, `c`).
pub(crate) fn segments(id: &str) -> impl Iterator<Item = &str> {
    id.split('/').filter(|s| !s.is_empty())
}

/// An OData string literal: `'` doubled, wrapped in quotes.
pub(crate) fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `Ok(None)` for a 404, the value otherwise.
pub(crate) fn found<T>(result: Result<T, AzureError>) -> Result<Option<T>, AzureError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// GETs an ARM document; `None` when it does not exist (404).
pub(crate) async fn get_optional<T: serde::de::DeserializeOwned>(
    pipeline: &Pipeline,
    url: url::Url,
) -> Result<Option<T>, AzureError> {
    found(pipeline.send(&ApiRequest::get(Service::Arm, url)).await)?
        .map(|r| r.json())
        .transpose()
}

/// Sends a DELETE and waits for its long-running operation. A 404 or 204 first answer is
/// [`DeleteOutcome::AlreadyGone`]; 409 and every other failure are returned as they are.
pub(crate) async fn delete_and_wait(
    pipeline: &Pipeline,
    request: &ApiRequest,
    options: &LroOptions,
) -> Result<DeleteOutcome, AzureError> {
    let first = match pipeline.send(request).await {
        Ok(r) => r,
        Err(e) if e.is_not_found() => return Ok(DeleteOutcome::AlreadyGone),
        Err(e) => return Err(e),
    };
    if first.status == 204 {
        return Ok(DeleteOutcome::AlreadyGone);
    }
    lro::wait(pipeline, request, first, options).await?;
    Ok(DeleteOutcome::Deleted)
}

/// A request body that would not serialise.
pub(crate) fn encode_error(what: &str, e: serde_json::Error) -> AzureError {
    AzureError::Decode {
        path: what.to_string(),
        message: format!("cannot encode the request: {e}"),
    }
}

/// Decodes the items of a paged list.
pub(crate) fn decode_items<T: serde::de::DeserializeOwned>(
    items: Vec<serde_json::Value>,
    what: &str,
) -> Result<Vec<T>, AzureError> {
    items
        .into_iter()
        .map(|v| {
            serde_json::from_value(v).map_err(|e| AzureError::Decode {
                path: what.to_string(),
                message: e.to_string(),
            })
        })
        .collect()
}

/// A parsed ARM resource id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceId {
    /// The id as given.
    pub id: String,
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    /// Provider namespace, e.g. `Microsoft.Network` (`Microsoft.Resources` for a resource group).
    pub namespace: String,
    /// Type below the namespace, child types included: `virtualNetworks/subnets`.
    pub resource_type: String,
    pub name: String,
}

impl ResourceId {
    /// Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{child}/{name}]…`,
    /// a resource group id, or a subscription- or tenant-level resource. For an extension resource
    /// (`…/providers/A/x/y/providers/B/t/n`) the last provider wins.
    pub fn parse(id: &str) -> Result<Self, AzureError> {
        let segs: Vec<&str> = segments(id).collect();
        let bad = |why: &str| AzureError::Decode {
            path: id.to_string(),
            message: format!("not a resource id: {why}"),
        };
        let subscription = match segs.first() {
            Some(s) if s.eq_ignore_ascii_case("subscriptions") => Some(
                segs.get(1)
                    .ok_or_else(|| bad("no subscription"))?
                    .to_string(),
            ),
            _ => None,
        };
        let resource_group = match (subscription.is_some(), segs.get(2), segs.get(3)) {
            (true, Some(k), Some(rg)) if k.eq_ignore_ascii_case("resourceGroups") => {
                Some(rg.to_string())
            }
            _ => None,
        };
        // `providers`, a namespace, then (type, name) pairs.
        let provider_at = (0..segs.len()).rev().find(|&i| {
            segs[i].eq_ignore_ascii_case("providers")
                && segs.len() >= i + 4
                && (segs.len() - i - 2).is_multiple_of(2)
        });
        let Some(p) = provider_at else {
            return match (&subscription, &resource_group, segs.len()) {
                (Some(_), Some(rg), 4) => Ok(Self {
                    id: id.to_string(),
                    subscription: subscription.clone(),
                    resource_group: Some(rg.clone()),
                    namespace: "Microsoft.Resources".into(),
                    resource_type: "resourceGroups".into(),
                    name: rg.clone(),
                }),
                _ => Err(bad("no /providers/{namespace}/{type}/{name}")),
            };
        };
        let pairs = &segs[p + 2..];
        let types: Vec<&str> = pairs.iter().step_by(2).copied().collect();
        Ok(Self {
            id: id.to_string(),
            subscription,
            resource_group,
            namespace: segs[p + 1].to_string(),
            resource_type: types.join("/"),
            name: pairs[pairs.len() - 1].to_string(),
        })
    }

    /// `namespace/type`, e.g. `Microsoft.Network/virtualNetworks/subnets`.
    pub fn full_type(&self) -> String {
        format!("{}/{}", self.namespace, self.resource_type)
    }

    /// Whether this is a resource group (deleted with the resource-group operation).
    pub fn is_resource_group(&self) -> bool {
        self.namespace.eq_ignore_ascii_case("Microsoft.Resources")
            && self.resource_type.eq_ignore_ascii_case("resourceGroups")
    }
}

/// The newest stable api-version (`YYYY-MM-DD`), else the newest preview (`YYYY-MM-DD-preview`).
pub fn pick_api_version(versions: &[String]) -> Option<String> {
    let stable = versions.iter().filter(|v| v.len() == 10).max();
    stable.or_else(|| versions.iter().max()).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_and_extension_ids() {
        let id = ResourceId::parse("/subscriptions/S/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s1").unwrap();
        assert_eq!(id.subscription.as_deref(), Some("S"));
        assert_eq!(id.resource_group.as_deref(), Some("rg"));
        assert_eq!(id.full_type(), "Microsoft.Network/virtualNetworks/subnets");
        assert_eq!(id.name, "s1");

        let ext = ResourceId::parse("/subscriptions/S/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Authorization/locks/l").unwrap();
        assert_eq!(ext.full_type(), "Microsoft.Authorization/locks");
        assert_eq!(ext.name, "l");

        let rg = ResourceId::parse("/subscriptions/S/resourcegroups/rg").unwrap();
        assert!(rg.is_resource_group());
        assert_eq!(rg.name, "rg");

        let sub_level = ResourceId::parse(
            "/subscriptions/S/providers/Microsoft.Authorization/roleAssignments/abc",
        )
        .unwrap();
        assert_eq!(sub_level.resource_group, None);
        assert_eq!(
            sub_level.full_type(),
            "Microsoft.Authorization/roleAssignments"
        );

        assert!(ResourceId::parse(
            "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks"
        )
        .is_err());
        assert!(ResourceId::parse("nonsense").is_err());
    }

    #[test]
    fn picks_newest_stable_then_newest_preview() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            pick_api_version(&v(&["2023-01-01", "2024-05-01-preview", "2023-09-01"])).unwrap(),
            "2023-09-01"
        );
        assert_eq!(
            pick_api_version(&v(&["2023-01-01-preview", "2024-05-01-preview"])).unwrap(),
            "2024-05-01-preview"
        );
        assert_eq!(pick_api_version(&[]), None);
    }

    #[test]
    fn urls_encode_names_and_filters() {
        let base = url::Url::parse("https://arm.example/prefix/").unwrap();
        let u = url(
            &base,
            segments("/subscriptions/s/resourcegroups/a b"),
            &[
                ("$filter", "tagName eq 'k+1'"),
                ("api-version", "2025-04-01"),
            ],
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "https://arm.example/prefix/subscriptions/s/resourcegroups/a%20b?$filter=tagName%20eq%20%27k%2B1%27&api-version=2025-04-01"
        );
        assert_eq!(odata_string("O'Brien"), "'O''Brien'");
    }

    #[test]
    fn string_enums_keep_unknown_values() {
        let s: ProvisioningState = serde_json::from_str("\"succeeded\"").unwrap();
        assert_eq!(s, ProvisioningState::Succeeded);
        let o: ProvisioningState = serde_json::from_str("\"Migrating\"").unwrap();
        assert_eq!(o, ProvisioningState::Other("Migrating".into()));
        assert_eq!(serde_json::to_string(&o).unwrap(), "\"Migrating\"");
        assert!(!o.is_terminal());
    }
}
