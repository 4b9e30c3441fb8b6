//! [`LiveTail`]: read a topic subscription as messages arrive (peek-lock), hand each to a callback,
//! then complete it (or abandon it, as the callback says).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use azservicebus::{
    ServiceBusReceiveMode, ServiceBusReceivedMessage, ServiceBusReceiver, ServiceBusReceiverOptions,
};
use chrono::{DateTime, Utc};
use fe2o3_amqp_types::primitives::SimpleValue;
use tokio::sync::Mutex;

use super::{BusConfig, BusError, Client};

/// Consecutive failed receives after which [`LiveTail::run`] gives up.
const MAX_FAILURES: u32 = 3;

/// One message read from the subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct TailedMessage {
    pub message_id: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// Application properties, values rendered as text.
    pub properties: BTreeMap<String, String>,
    /// 1 on the first delivery, one more after each abandon or lost lock.
    pub delivery_count: u32,
    pub sequence_number: i64,
    /// When the namespace accepted the message, if it says.
    pub enqueued_at: Option<DateTime<Utc>>,
}

impl TailedMessage {
    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What to do with a message after the callback saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Remove it from the subscription.
    Complete,
    /// Put it back for redelivery (its delivery count goes up).
    Abandon,
}

fn render(value: &SimpleValue) -> String {
    match value {
        SimpleValue::String(s) => s.clone(),
        SimpleValue::Symbol(s) => s.0.clone(),
        SimpleValue::Bool(b) => b.to_string(),
        SimpleValue::Int(n) => n.to_string(),
        SimpleValue::Long(n) => n.to_string(),
        SimpleValue::Uint(n) => n.to_string(),
        SimpleValue::Ulong(n) => n.to_string(),
        SimpleValue::Double(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

fn tailed(m: &ServiceBusReceivedMessage) -> TailedMessage {
    let properties = m
        .application_properties()
        .map(|p| p.0.iter().map(|(k, v)| (k.clone(), render(v))).collect())
        .unwrap_or_default();
    let enqueued = m.enqueued_time().unix_timestamp_nanos();
    // Absent, the crate reports a default far in the past.
    let enqueued_at = (enqueued > 946_684_800_000_000_000)
        .then(|| i64::try_from(enqueued).ok())
        .flatten()
        .map(DateTime::from_timestamp_nanos);
    TailedMessage {
        message_id: m.message_id().map(|c| c.to_string()),
        content_type: m.content_type().map(str::to_string),
        body: m.body().map(<[u8]>::to_vec).unwrap_or_default(),
        properties,
        delivery_count: m.delivery_count().unwrap_or(1),
        sequence_number: m.sequence_number(),
        enqueued_at,
    }
}

struct TailLink {
    client: Client,
    receiver: ServiceBusReceiver,
}

/// Reads one subscription of the topic. Connects on first use; after a failure the connection is
/// dropped and the next receive opens a new one.
pub struct LiveTail {
    config: BusConfig,
    subscription: String,
    link: Mutex<Option<TailLink>>,
}

impl fmt::Debug for LiveTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveTail")
            .field("config", &self.config)
            .field("subscription", &self.subscription)
            .finish_non_exhaustive()
    }
}

impl LiveTail {
    /// Tails the CLI's subscription (`HAYMAKER_EVENTS_TAIL_SUBSCRIPTION`).
    pub fn new(config: BusConfig) -> Self {
        let subscription = config.tail_subscription().to_string();
        Self::for_subscription(config, subscription)
    }

    /// Tails another subscription of the configured topic.
    pub fn for_subscription(config: BusConfig, subscription: impl Into<String>) -> Self {
        Self {
            config,
            subscription: subscription.into(),
            link: Mutex::new(None),
        }
    }

    pub fn namespace(&self) -> &str {
        self.config.namespace()
    }

    /// `topic/Subscriptions/name`, as errors name it.
    pub fn entity(&self) -> String {
        format!(
            "{}/Subscriptions/{}",
            self.config.topic(),
            self.subscription
        )
    }

    fn receive_error(&self, detail: String) -> BusError {
        BusError::Receive {
            namespace: self.config.namespace().to_string(),
            entity: self.entity(),
            detail,
        }
    }

    async fn open(&self) -> Result<TailLink, BusError> {
        let mut client = self.config.connect(2).await?;
        let options = ServiceBusReceiverOptions {
            receive_mode: ServiceBusReceiveMode::PeekLock,
            prefetch_count: 0,
            ..Default::default()
        };
        let creating = client.create_receiver_for_subscription(
            self.config.topic(),
            &self.subscription,
            options,
        );
        match Box::pin(creating).await {
            Ok(receiver) => Ok(TailLink { client, receiver }),
            Err(e) => {
                let detail = self.config.scrub(&e);
                let _ = client.dispose().await;
                Err(self.receive_error(detail))
            }
        }
    }

    /// Waits up to `wait` for messages (at most `max`), hands each to `handle` in the order they
    /// arrived and settles it as `handle` says. Returns how many were handled (0 when none came).
    pub async fn receive_once<F>(
        &self,
        max: u32,
        wait: Duration,
        mut handle: F,
    ) -> Result<usize, BusError>
    where
        F: FnMut(&TailedMessage) -> Disposition,
    {
        let mut guard = self.link.lock().await;
        let link = match guard.as_mut() {
            Some(link) => link,
            None => guard.insert(self.open().await?),
        };
        let received = Box::pin(
            link.receiver
                .receive_messages_with_max_wait_time(max.max(1), wait),
        )
        .await;
        let messages = match received {
            Ok(m) => m,
            Err(e) => {
                let detail = self.config.scrub(&e);
                if let Some(old) = guard.take() {
                    close(old).await;
                }
                return Err(self.receive_error(detail));
            }
        };
        let count = messages.len();
        for message in messages {
            let seen = tailed(&message);
            let settled = match handle(&seen) {
                Disposition::Complete => Box::pin(link.receiver.complete_message(&message)).await,
                Disposition::Abandon => {
                    Box::pin(link.receiver.abandon_message(&message, None)).await
                }
            };
            if let Err(e) = settled {
                let detail = self.config.scrub(&e);
                if let Some(old) = guard.take() {
                    close(old).await;
                }
                return Err(BusError::Settle {
                    entity: self.entity(),
                    message_id: seen.message_id.unwrap_or_default(),
                    detail,
                });
            }
        }
        Ok(count)
    }

    /// Receives until `stop` completes, `handle` returns `None` (stop after this message), or
    /// receiving fails three times in a row. Returns the number of messages handled.
    pub async fn run<F, S>(&self, mut handle: F, stop: S) -> Result<u64, BusError>
    where
        F: FnMut(&TailedMessage) -> Option<Disposition>,
        S: Future<Output = ()>,
    {
        tokio::pin!(stop);
        let mut handled = 0u64;
        let mut failures = 0u32;
        let mut done = false;
        while !done {
            // One at a time: each message is handed over as soon as it arrives.
            let once = self.receive_once(1, Duration::from_secs(5), |m| {
                if done {
                    return Disposition::Abandon;
                }
                handled += 1;
                handle(m).unwrap_or_else(|| {
                    done = true;
                    Disposition::Complete
                })
            });
            tokio::select! {
                _ = &mut stop => break,
                result = once => match result {
                    Ok(_) => failures = 0,
                    Err(e) => {
                        failures += 1;
                        if failures >= MAX_FAILURES {
                            return Err(e);
                        }
                        tokio::time::sleep(Duration::from_millis(500 * u64::from(failures))).await;
                    }
                },
            }
        }
        Ok(handled)
    }

    /// Closes the connection, if open.
    pub async fn close(&self) {
        if let Some(link) = self.link.lock().await.take() {
            close(link).await;
        }
    }
}

/// Closes politely, but never waits long for a peer that is gone.
async fn close(link: TailLink) {
    let closing = Box::pin(async {
        let _ = link.receiver.dispose().await;
        let _ = link.client.dispose().await;
    });
    let _ = tokio::time::timeout(super::CLOSE_TIMEOUT, closing).await;
}
