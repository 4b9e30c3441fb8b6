//! [`EventPublisher`]: events to the topic, one Service Bus message each.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use azservicebus::amqp::error::TryAddMessageError;
use azservicebus::{CreateMessageBatchOptions, ServiceBusMessage, ServiceBusSender};
use fe2o3_amqp_types::messaging::ApplicationProperties;
use fe2o3_amqp_types::primitives::{OrderedMap, SimpleValue};
use tokio::sync::Mutex;

use super::{BusConfig, BusError, Client, MAX_MESSAGE_ID_LEN};

/// How long a send on a connection kept from an earlier publish may take before the connection
/// is taken for dead and the send is repeated on a new one.
const KEPT_LINK_TIMEOUT: Duration = Duration::from_secs(5);

/// One event to publish: its unique message id, its JSON body and the application properties
/// (string values) subscriptions may filter on.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingEvent {
    pub message_id: String,
    pub body: serde_json::Value,
    pub properties: BTreeMap<String, String>,
}

struct Link {
    client: Client,
    sender: ServiceBusSender,
}

/// Sends events to the topic. Connects on first use; after a failed send the connection is dropped
/// and the next publish opens a new one. Safe to share (`&self`); sends are serialised.
pub struct EventPublisher {
    config: BusConfig,
    link: Mutex<Option<Link>>,
}

impl fmt::Debug for EventPublisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventPublisher")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn check_id(message_id: &str) -> Result<(), BusError> {
    let reason = if message_id.trim().is_empty() {
        "the message id is empty"
    } else if message_id.len() > MAX_MESSAGE_ID_LEN {
        "the message id is longer than 128 characters"
    } else {
        return Ok(());
    };
    Err(BusError::InvalidEvent {
        message_id: message_id.chars().take(MAX_MESSAGE_ID_LEN).collect(),
        reason: reason.into(),
    })
}

fn to_message<'a>(
    message_id: &str,
    body: &serde_json::Value,
    properties: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<ServiceBusMessage, BusError> {
    check_id(message_id)?;
    let bytes = serde_json::to_vec(body).map_err(|e| BusError::InvalidEvent {
        message_id: message_id.to_string(),
        reason: format!("the body does not serialise: {e}"),
    })?;
    let mut message = ServiceBusMessage::new(bytes);
    message
        .set_message_id(message_id)
        .map_err(|e| BusError::InvalidEvent {
            message_id: message_id.to_string(),
            reason: e.to_string(),
        })?;
    message.set_content_type("application/json".to_string());
    let mut map = OrderedMap::new();
    for (k, v) in properties {
        map.insert(k.to_string(), SimpleValue::String(v.to_string()));
    }
    if !map.is_empty() {
        *message.application_properties_mut() = Some(ApplicationProperties(map));
    }
    Ok(message)
}

impl EventPublisher {
    /// A publisher for the configured topic; nothing is opened until the first publish.
    pub fn new(config: BusConfig) -> Self {
        Self {
            config,
            link: Mutex::new(None),
        }
    }

    pub fn config(&self) -> &BusConfig {
        &self.config
    }

    /// Opens the connection now (publishing does it on demand).
    pub async fn connect(&self) -> Result<(), BusError> {
        let mut link = self.link.lock().await;
        if link.is_none() {
            *link = Some(self.open().await?);
        }
        Ok(())
    }

    async fn open(&self) -> Result<Link, BusError> {
        // No retries inside the crate: azservicebus 0.25 re-polls a finished send future when it
        // retries after a lost link (a panic). The publisher's own reconnect-and-resend covers it.
        let mut client = self.config.connect(0).await?;
        match Box::pin(client.create_sender(self.config.topic(), Default::default())).await {
            Ok(sender) => Ok(Link { client, sender }),
            Err(e) => {
                let detail = self.config.scrub(&e);
                let _ = client.dispose().await;
                Err(self.send_error(detail))
            }
        }
    }

    fn send_error(&self, detail: String) -> BusError {
        BusError::Send {
            namespace: self.config.namespace().to_string(),
            topic: self.config.topic().to_string(),
            detail,
        }
    }

    /// Sends one event as one message with `message_id` (unique per event, so a redelivery or a
    /// re-send is recognisable), content type `application/json` and the application properties.
    pub async fn publish(
        &self,
        message_id: &str,
        body: &serde_json::Value,
        properties: &[(&str, &str)],
    ) -> Result<(), BusError> {
        let message = to_message(message_id, body, properties.iter().copied())?;
        self.send(vec![message]).await
    }

    /// Sends events in as few batches as the link's size limit allows, in order. An event that is
    /// too large for a message on its own fails the call before anything is sent.
    pub async fn publish_batch(&self, events: &[OutgoingEvent]) -> Result<(), BusError> {
        let mut messages = Vec::with_capacity(events.len());
        for e in events {
            let props = e.properties.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            messages.push(to_message(&e.message_id, &e.body, props)?);
        }
        if messages.is_empty() {
            return Ok(());
        }
        self.send(messages).await
    }

    /// Sends `messages`, reconnecting once when the connection turns out to be gone.
    async fn send(&self, messages: Vec<ServiceBusMessage>) -> Result<(), BusError> {
        let mut guard = self.link.lock().await;
        let had_link = guard.is_some();
        let link = match guard.as_mut() {
            Some(link) => link,
            None => guard.insert(self.open().await?),
        };
        let attempt = Box::pin(send_batches(link, messages.clone()));
        let first = if had_link {
            // The AMQP crate notices a connection the namespace has closed (Service Bus closes
            // idle ones) only at its try timeout; a kept connection gets less time than that.
            tokio::time::timeout(KEPT_LINK_TIMEOUT, attempt)
                .await
                .unwrap_or(Err(SendFailure::Stale))
        } else {
            attempt.await
        };
        let outcome = match first {
            Ok(()) => return Ok(()),
            // A connection kept from before may have died since: try once on a fresh one (a
            // message that did arrive is sent twice; its message id tells the copies apart).
            Err(SendFailure::Transport(_) | SendFailure::Stale) if had_link => {
                if let Some(old) = guard.take() {
                    close(old).await;
                }
                let link = guard.insert(self.open().await?);
                Box::pin(send_batches(link, messages)).await
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => Ok(()),
            Err(SendFailure::Transport(e)) => {
                if let Some(old) = guard.take() {
                    close(old).await;
                }
                Err(self.send_error(self.config.scrub(&e)))
            }
            Err(SendFailure::TooLarge(message_id)) => Err(BusError::InvalidEvent {
                message_id,
                reason: "it is larger than the largest message the topic accepts".into(),
            }),
            Err(SendFailure::Stale) => {
                Err(self.send_error(format!("no answer within {}s", KEPT_LINK_TIMEOUT.as_secs())))
            }
            Err(SendFailure::Invalid(message_id, reason)) => {
                Err(BusError::InvalidEvent { message_id, reason })
            }
        }
    }

    /// Closes the connection, if open.
    pub async fn close(&self) {
        if let Some(link) = self.link.lock().await.take() {
            close(link).await;
        }
    }
}

/// Closes politely, but never waits long for a peer that is gone.
async fn close(link: Link) {
    let closing = Box::pin(async {
        let _ = link.sender.dispose().await;
        let _ = link.client.dispose().await;
    });
    let _ = tokio::time::timeout(super::CLOSE_TIMEOUT, closing).await;
}

enum SendFailure {
    Transport(azure_core_sb::Error),
    /// No answer within [`KEPT_LINK_TIMEOUT`] on a kept connection.
    Stale,
    TooLarge(String),
    Invalid(String, String),
}

/// One message goes as it is; several go in size-limited batches.
async fn send_batches(
    link: &mut Link,
    messages: Vec<ServiceBusMessage>,
) -> Result<(), SendFailure> {
    if messages.len() == 1 {
        return Box::pin(link.sender.send_messages(messages))
            .await
            .map_err(SendFailure::Transport);
    }
    let new_batch = |sender: &ServiceBusSender| {
        sender
            .create_message_batch(CreateMessageBatchOptions::default())
            .map_err(|e| {
                SendFailure::Transport(azure_core_sb::Error::new(
                    azure_core_sb::error::ErrorKind::Other,
                    e,
                ))
            })
    };
    let mut batch = new_batch(&link.sender)?;
    for message in messages {
        let id = message
            .message_id()
            .map(|c| c.to_string())
            .unwrap_or_default();
        let message = match batch.try_add_message(message) {
            Ok(()) => continue,
            Err(TryAddMessageError::BatchFull(m)) if !batch.is_empty() => m,
            Err(TryAddMessageError::BatchFull(_)) => return Err(SendFailure::TooLarge(id)),
            Err(e) => return Err(SendFailure::Invalid(id, e.to_string())),
        };
        let full = std::mem::replace(&mut batch, new_batch(&link.sender)?);
        Box::pin(link.sender.send_message_batch(full))
            .await
            .map_err(SendFailure::Transport)?;
        if batch.try_add_message(message).is_err() {
            return Err(SendFailure::TooLarge(id));
        }
    }
    if !batch.is_empty() {
        Box::pin(link.sender.send_message_batch(batch))
            .await
            .map_err(SendFailure::Transport)?;
    }
    Ok(())
}
