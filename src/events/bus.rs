//! The Service Bus topic agents report their events on (`HAYMAKER_EVENTS_TOPIC`, default `agent-logs`),
//! over AMQP 1.0 with the `azservicebus` crate.
//!
//! - [`BusConfig`] says where and how to connect, from the settings: a connection string with a
//!   shared access key (`ServiceBusConnection`), or the namespace (`ServiceBusConnection__fullyQualifiedNamespace`)
//!   with an Entra token from [`AccessTokens`] (the orchestrator's [`IdentityTokens`](crate::azure::identity::IdentityTokens)).
//!   A connection string with `UseDevelopmentEmulator=true` talks plain AMQP on port 5672 (the
//!   Service Bus emulator; the in-repo test broker).
//! - [`EventPublisher`] sends events to the topic, one message per event with the event's own message
//!   id (so a redelivered or re-sent event is recognisable) and content type `application/json`.
//! - [`LiveTail`] reads a subscription in peek-lock mode and completes each message after handing it
//!   to a callback (`haymaker logs --live`).
//!
//! No error and no `Debug` output carries a key, a signature or a token: errors are rendered through
//! [`BusConfig`]'s scrubber, and the secret parts of the configuration are [`Secret`]s.

#[path = "bus_publish.rs"]
mod publish;
#[path = "bus_tail.rs"]
mod tail;
#[path = "bus_token.rs"]
mod token;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use azservicebus::{ServiceBusClient, ServiceBusClientOptions, ServiceBusRetryOptions};

use crate::azure::AccessTokens;
use crate::config::catalog::{
    HAYMAKER_EVENTS_SUBSCRIPTION, HAYMAKER_EVENTS_TAIL_SUBSCRIPTION, HAYMAKER_EVENTS_TOPIC,
    SERVICE_BUS_CONNECTION, SERVICE_BUS_NAMESPACE,
};
use crate::config::{Secret, ServiceBusSettings, SettingProblem, Settings, SettingsError};

pub use publish::{EventPublisher, OutgoingEvent};
pub use tail::{Disposition, LiveTail, TailedMessage};
pub use token::TokenBridge;

/// The client type every connection here uses.
pub(crate) type Client = ServiceBusClient<azservicebus::core::BasicRetryPolicy>;

/// How long opening a connection (TCP, AMQP open, CBS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long closing a connection may take before it is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest message id Service Bus accepts.
pub const MAX_MESSAGE_ID_LEN: usize = 128;

/// What went wrong talking to Service Bus. Never carries a key, signature or token.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// A setting is missing or unusable; the error names it.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The orchestrator's identity could not be set up for identity-based access.
    #[error("cannot set up the identity for Service Bus: {0}")]
    Identity(String),
    #[error("cannot connect to Service Bus namespace {namespace}: {detail}")]
    Connect { namespace: String, detail: String },
    #[error("cannot send to topic `{topic}` on {namespace}: {detail}")]
    Send {
        namespace: String,
        topic: String,
        detail: String,
    },
    #[error("cannot receive from `{entity}` on {namespace}: {detail}")]
    Receive {
        namespace: String,
        entity: String,
        detail: String,
    },
    #[error("cannot settle message {message_id} from `{entity}`: {detail}")]
    Settle {
        entity: String,
        message_id: String,
        detail: String,
    },
    /// The event itself cannot be sent (empty or over-long message id, too large for a message).
    #[error("event {message_id:?} cannot be sent: {reason}")]
    InvalidEvent { message_id: String, reason: String },
}

/// How the client proves itself to the namespace.
#[derive(Clone)]
pub enum BusAuth {
    /// A connection string with `SharedAccessKeyName`/`SharedAccessKey` or `SharedAccessSignature`.
    ConnectionString(Secret),
    /// Entra tokens for `https://servicebus.azure.net/.default` (the namespace setting).
    Identity(Arc<dyn AccessTokens>),
}

impl fmt::Debug for BusAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectionString(_) => f.write_str("ConnectionString(***)"),
            Self::Identity(t) => write!(f, "Identity({})", t.principal()),
        }
    }
}

/// Where the topic is and how to reach it.
#[derive(Clone)]
pub struct BusConfig {
    namespace: String,
    auth: BusAuth,
    plain_amqp: bool,
    topic: String,
    subscription: String,
    tail_subscription: String,
    /// Secret fragments (key, signature, whole connection string) removed from every error text.
    scrub: Vec<Secret>,
}

impl fmt::Debug for BusConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BusConfig")
            .field("namespace", &self.namespace)
            .field("auth", &self.auth)
            .field("plain_amqp", &self.plain_amqp)
            .field("topic", &self.topic)
            .field("subscription", &self.subscription)
            .field("tail_subscription", &self.tail_subscription)
            .finish_non_exhaustive()
    }
}

fn problem(name: &'static str, problem: impl Into<String>) -> SettingsError {
    SettingsError {
        problems: vec![SettingProblem {
            name,
            problem: problem.into(),
        }],
    }
}

/// The parts of a connection string this module checks. Values of secret parts are never kept here.
#[derive(Debug, Default)]
struct ParsedConnectionString {
    host: Option<String>,
    entity_path: Option<String>,
    has_key_name: bool,
    has_key: bool,
    has_signature: bool,
    emulator: bool,
    secrets: Vec<Secret>,
}

fn parse_connection_string(raw: &str) -> Result<ParsedConnectionString, String> {
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
fn parse_namespace(raw: &str) -> Result<String, String> {
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

fn required_name(name: &'static str, value: &str) -> Result<String, SettingsError> {
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

impl BusConfig {
    /// From the settings. Identity-based access (the namespace setting without a connection string)
    /// uses the orchestrator's identity built from the same settings.
    pub fn from_settings(settings: &Settings) -> Result<Self, BusError> {
        let sb = &settings.service_bus;
        let tokens = if sb.connection_string.is_none() && sb.namespace.is_some() {
            let connection = crate::azure::identity::AzureConnection::from_settings(settings)
                .map_err(BusError::Identity)?;
            let tokens: Arc<dyn AccessTokens> = connection.tokens;
            Some(tokens)
        } else {
            None
        };
        Self::new(sb, tokens)
    }

    /// From the Service Bus settings; `tokens` is used only for identity-based access, which needs it.
    /// The connection string wins when both it and the namespace are set.
    pub fn new(
        sb: &ServiceBusSettings,
        tokens: Option<Arc<dyn AccessTokens>>,
    ) -> Result<Self, BusError> {
        let topic = required_name(HAYMAKER_EVENTS_TOPIC, &sb.topic)?;
        let subscription = required_name(HAYMAKER_EVENTS_SUBSCRIPTION, &sb.subscription)?;
        let tail_subscription =
            required_name(HAYMAKER_EVENTS_TAIL_SUBSCRIPTION, &sb.tail_subscription)?;
        let base = |namespace: String, auth: BusAuth, plain_amqp: bool, scrub: Vec<Secret>| Self {
            namespace,
            auth,
            plain_amqp,
            topic: topic.clone(),
            subscription: subscription.clone(),
            tail_subscription: tail_subscription.clone(),
            scrub,
        };
        if let Some(cs) = sb.connection_string.as_ref() {
            let parsed = parse_connection_string(cs.expose())
                .map_err(|p| problem(SERVICE_BUS_CONNECTION, p))?;
            if let Some(entity) = &parsed.entity_path {
                if !entity.eq_ignore_ascii_case(&topic) {
                    return Err(problem(
                        SERVICE_BUS_CONNECTION,
                        format!("is scoped to entity `{entity}` (EntityPath), not to {HAYMAKER_EVENTS_TOPIC} `{topic}`"),
                    )
                    .into());
                }
            }
            let mut scrub = parsed.secrets;
            scrub.push(cs.clone());
            let host = parsed.host.unwrap_or_default();
            return Ok(base(
                host,
                BusAuth::ConnectionString(cs.clone()),
                parsed.emulator,
                scrub,
            ));
        }
        let Some(raw) = sb.namespace.as_deref() else {
            return Err(problem(
                SERVICE_BUS_NAMESPACE,
                format!("missing; set the namespace (identity-based) or {SERVICE_BUS_CONNECTION} (a connection string)"),
            )
            .into());
        };
        let namespace = parse_namespace(raw).map_err(|p| problem(SERVICE_BUS_NAMESPACE, p))?;
        let Some(tokens) = tokens else {
            return Err(BusError::Identity(format!(
                "{SERVICE_BUS_NAMESPACE} is set but no credential was given for identity-based access"
            )));
        };
        Ok(base(
            namespace,
            BusAuth::Identity(tokens),
            false,
            Vec::new(),
        ))
    }

    /// Plain AMQP (port 5672, no TLS) instead of AMQPS; what `UseDevelopmentEmulator=true` selects.
    /// Only for the emulator and local test brokers.
    pub fn with_plain_amqp(mut self, plain: bool) -> Self {
        self.plain_amqp = plain;
        self
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    pub fn topic(&self) -> &str {
        &self.topic
    }
    /// The subscription the `AgentEvents` function reads (`HAYMAKER_EVENTS_SUBSCRIPTION`).
    pub fn subscription(&self) -> &str {
        &self.subscription
    }
    /// The subscription `haymaker logs --live` reads (`HAYMAKER_EVENTS_TAIL_SUBSCRIPTION`).
    pub fn tail_subscription(&self) -> &str {
        &self.tail_subscription
    }
    pub fn plain_amqp(&self) -> bool {
        self.plain_amqp
    }

    /// An error's text with its causes, with every known secret fragment and any `sig=` value masked.
    pub(crate) fn scrub(&self, error: &(dyn std::error::Error + 'static)) -> String {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(s) = source {
            let more = s.to_string();
            if !text.contains(&more) {
                text.push_str(": ");
                text.push_str(&more);
            }
            source = s.source();
        }
        scrub_text(text, &self.scrub)
    }

    /// Opens a connection (bounded by [`CONNECT_TIMEOUT`]) whose operations the crate retries at
    /// most `max_retries` times.
    pub(crate) async fn connect(&self, max_retries: u32) -> Result<Client, BusError> {
        let retry = ServiceBusRetryOptions {
            max_retries,
            delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
            try_timeout: Duration::from_secs(20),
            ..Default::default()
        };
        let options = ServiceBusClientOptions {
            retry_options: retry,
            ..Default::default()
        };
        // Boxed: the crate's futures are large, too large for a small stack in debug builds.
        let opening = Box::pin(async {
            match (&self.auth, self.plain_amqp) {
                (BusAuth::ConnectionString(cs), false) => {
                    Client::new_from_connection_string(cs.expose(), options).await
                }
                (BusAuth::ConnectionString(cs), true) => {
                    Client::unsecured()
                        .new_from_connection_string(cs.expose(), options)
                        .await
                }
                (BusAuth::Identity(tokens), plain) => {
                    let credential = Arc::new(TokenBridge::new(tokens.clone()));
                    if plain {
                        Client::unsecured()
                            .new_from_token_credential(self.namespace.clone(), credential, options)
                            .await
                    } else {
                        Client::new_from_token_credential(
                            self.namespace.clone(),
                            credential,
                            options,
                        )
                        .await
                    }
                }
            }
        });
        match tokio::time::timeout(CONNECT_TIMEOUT, opening).await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(BusError::Connect {
                namespace: self.namespace.clone(),
                detail: self.scrub(&e),
            }),
            Err(_) => Err(BusError::Connect {
                namespace: self.namespace.clone(),
                detail: format!("no connection within {}s", CONNECT_TIMEOUT.as_secs()),
            }),
        }
    }
}

/// Masks each secret fragment and the value of every `sig=` / `SharedAccessKey=` parameter.
fn scrub_text(mut text: String, secrets: &[Secret]) -> String {
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

#[cfg(test)]
#[path = "bus_tests.rs"]
mod tests;
