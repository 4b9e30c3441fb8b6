//! Checking the Service Bus settings (connection string, namespace, entity names) without ever
//! keeping or echoing a secret part, and masking secrets in error texts.

use super::problem;
use crate::config::catalog::SERVICE_BUS_NAMESPACE;
use crate::config::{Secret, SettingsError};

/// The parts of a connection string this module checks. Values of secret parts are never kept here.
#[derive(Debug, Default)]
pub(super) struct ParsedConnectionString {
    pub(super) host: Option<String>,
    pub(super) entity_path: Option<String>,
    pub(super) has_key_name: bool,
    pub(super) has_key: bool,
    pub(super) has_signature: bool,
    pub(super) emulator: bool,
    pub(super) secrets: Vec<Secret>,
}

pub(super) fn parse_connection_string(raw: &str) -> Result<ParsedConnectionString, String> {
    let mut parsed = ParsedConnectionString::default();
    for pair in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err("is not a connection string (`Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…`): a part has no `=`".into());
        };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "endpoint" => {
                let url = url::Url::parse(value).map_err(|_| {
                    format!("Endpoint `{value}` is not a URL such as sb://<namespace>.servicebus.windows.net/")
                })?;
                match url.host_str() {
                    Some(h) if !h.is_empty() => parsed.host = Some(h.to_string()),
                    _ => return Err(format!("Endpoint `{value}` has no host name")),
                }
            }
            "entitypath" if !value.is_empty() => parsed.entity_path = Some(value.to_string()),
            "sharedaccesskeyname" => parsed.has_key_name = !value.is_empty(),
            "sharedaccesskey" if !value.is_empty() => {
                parsed.has_key = true;
                parsed.secrets.push(Secret::new(value));
            }
            "sharedaccesssignature" if !value.is_empty() => {
                parsed.has_signature = true;
                parsed.secrets.push(Secret::new(value));
            }
            "usedevelopmentemulator" => parsed.emulator = value.eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    if parsed.host.is_none() {
        return Err("has no Endpoint=sb://<namespace>.servicebus.windows.net/".into());
    }
    match (parsed.has_key_name, parsed.has_key, parsed.has_signature) {
        (true, true, false) | (false, false, true) => Ok(parsed),
        (true, false, _) => Err("has SharedAccessKeyName but no SharedAccessKey".into()),
        (false, true, _) => Err("has SharedAccessKey but no SharedAccessKeyName".into()),
        (true, true, true) => {
            Err("has both a shared access key and a SharedAccessSignature; keep one".into())
        }
        (false, false, false) => Err(format!(
            "has no SharedAccessKeyName/SharedAccessKey (or SharedAccessSignature); for identity-based access unset it and set {SERVICE_BUS_NAMESPACE}"
        )),
    }
}

/// `name.servicebus.windows.net`, also given as `sb://name.servicebus.windows.net/`.
pub(super) fn parse_namespace(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    let host = match trimmed.split_once("://") {
        Some((_, rest)) => rest,
        None => trimmed,
    }
    .trim_end_matches('/');
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if ok {
        Ok(host.to_ascii_lowercase())
    } else {
        Err(format!(
            "`{trimmed}` is not a namespace host name such as haymaker-sb.servicebus.windows.net"
        ))
    }
}

pub(super) fn required_name(name: &'static str, value: &str) -> Result<String, SettingsError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(problem(name, "missing; name the Service Bus entity"));
    }
    if v.contains(['/', '\\', '?', '#']) || v.chars().any(char::is_whitespace) {
        return Err(problem(
            name,
            format!("`{v}` is not an entity name (no slashes, spaces, `?` or `#`)"),
        ));
    }
    Ok(v.to_string())
}

/// Masks each secret fragment and the value of every `sig=` / `SharedAccessKey=` parameter.
pub(super) fn scrub_text(mut text: String, secrets: &[Secret]) -> String {
    for s in secrets {
        if !s.expose().is_empty() {
            text = text.replace(s.expose(), "***");
        }
    }
    for marker in ["sig=", "SharedAccessKey=", "SharedAccessSignature="] {
        let mut from = 0;
        while let Some(at) = text[from..].find(marker) {
            let start = from + at + marker.len();
            let end = text[start..]
                .find(|c: char| c == '&' || c == ';' || c == '"' || c.is_whitespace())
                .map_or(text.len(), |e| start + e);
            if text[start..end] != *"***" {
                text.replace_range(start..end, "***");
            }
            from = start + 3;
        }
    }
    text
}
