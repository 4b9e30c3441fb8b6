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
//!
//! What the crates underneath (`azservicebus` 0.25 on `fe2o3-amqp` 0.14) make us work around:
//! - a send retried inside `azservicebus` after its link was lost re-polls a finished future and
//!   panics, so the publisher's client retries nothing itself: [`EventPublisher`] reconnects and
//!   sends again on its own, once;
//! - a connection the namespace closed (Service Bus closes idle ones) is noticed only at the try
//!   timeout (20 s), so a send on a kept connection gets 5 s before it is repeated on a new one;
//! - `azservicebus` speaks `azure_core` 0.25, so Entra tokens reach it through [`TokenBridge`];
//! - `fe2o3-amqp` 0.14 records an unsettled delivery after queueing its transfer, so an outcome
//!   that arrives within microseconds can be lost on a busy multi-threaded runtime: harmless over
//!   a network, which is why the in-process broker tests run single-threaded.

#[path = "bus_parse.rs"]
mod parse;
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

use parse::{parse_connection_string, parse_namespace, required_name, scrub_text};
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

#[cfg(test)]
#[path = "bus_tests.rs"]
mod tests;
