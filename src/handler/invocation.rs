//! Typed trigger payloads, decoded from an [`Envelope`]: the `parse` half of every function.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::envelope::{parse_timestamp, Envelope, EnvelopeError, MessageBody};

/// A timer trigger (`ScheduledRun`, `Tick`).
#[derive(Debug, Clone, PartialEq)]
pub struct TimerInvocation {
    pub is_past_due: bool,
    pub last: Option<DateTime<Utc>>,
    pub next: Option<DateTime<Utc>>,
    /// The host's clock at invocation (`Metadata.sys.UtcNow`).
    pub utc_now: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTimer {
    #[serde(default)]
    is_past_due: bool,
    #[serde(default)]
    schedule_status: Option<RawScheduleStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawScheduleStatus {
    last: Option<String>,
    next: Option<String>,
}

impl TimerInvocation {
    pub fn decode(env: &Envelope, binding: &str) -> Result<Self, EnvelopeError> {
        let raw: RawTimer = env.binding_as(binding)?;
        let time = |field: &str, v: Option<String>| {
            v.map(|s| {
                parse_timestamp(&s).map_err(|problem| EnvelopeError::Binding {
                    binding: binding.to_string(),
                    problem: format!("ScheduleStatus.{field}: {problem}"),
                })
            })
            .transpose()
        };
        let (last, next) = match raw.schedule_status {
            Some(s) => (time("Last", s.last)?, time("Next", s.next)?),
            None => (None, None),
        };
        Ok(Self {
            is_past_due: raw.is_past_due,
            last,
            next,
            utc_now: env.sys().utc_now,
        })
    }
}

/// A Storage queue trigger (`Work`).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueInvocation {
    pub id: Option<String>,
    pub dequeue_count: u32,
    pub insertion_time: Option<DateTime<Utc>>,
    pub body: MessageBody,
}

impl QueueInvocation {
    pub fn decode(env: &Envelope, binding: &str) -> Result<Self, EnvelopeError> {
        Ok(Self {
            id: env.meta_str("Id")?,
            dequeue_count: env.meta_u32("DequeueCount")?.unwrap_or(1),
            insertion_time: env.meta_time("InsertionTime")?,
            body: env.message_body(binding)?,
        })
    }
}

/// A Service Bus trigger (`AgentEvents`).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceBusInvocation {
    pub message_id: String,
    pub delivery_count: u32,
    pub enqueued_time: Option<DateTime<Utc>>,
    pub content_type: Option<String>,
    pub body: MessageBody,
    pub application_properties: Value,
}

impl ServiceBusInvocation {
    pub fn decode(env: &Envelope, binding: &str) -> Result<Self, EnvelopeError> {
        let message_id = env
            .meta_str("MessageId")?
            .filter(|id| !id.is_empty())
            .ok_or_else(|| EnvelopeError::Metadata {
                key: "MessageId".into(),
                problem: "missing; every Service Bus delivery carries one".into(),
            })?;
        let enqueued_time = match env.meta_time("EnqueuedTimeUtc")? {
            Some(t) => Some(t),
            None => env.meta_time("EnqueuedTime")?,
        };
        Ok(Self {
            message_id,
            delivery_count: env.meta_u32("DeliveryCount")?.unwrap_or(1),
            enqueued_time,
            content_type: env.meta_str("ContentType")?,
            body: env.message_body(binding)?,
            application_properties: env.meta("ApplicationProperties").unwrap_or(Value::Null),
        })
    }
}

/// A Service Bus delivery: one message, or a batch (`"cardinality": "many"` in function.json). The
/// host marks a batch by the `…Array` metadata (`MessageIdArray`, `DeliveryCountArray`,
/// `EnqueuedTimeUtcArray`, `ContentTypeArray`, `ApplicationPropertiesArray`), one entry per message,
/// and the binding holds an array of bodies.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceBusDelivery {
    One(ServiceBusInvocation),
    Batch(Vec<ServiceBusInvocation>),
}

impl ServiceBusDelivery {
    pub fn decode(env: &Envelope, binding: &str) -> Result<Self, EnvelopeError> {
        if env.meta("MessageIdArray").is_none() {
            return ServiceBusInvocation::decode(env, binding).map(Self::One);
        }
        let bodies = env.message_bodies(binding)?;
        let list = |key: &str| -> Result<Option<Vec<Value>>, EnvelopeError> {
            match env.meta(key) {
                None => Ok(None),
                Some(Value::Array(items)) if items.len() == bodies.len() => {
                    Ok(Some(items.iter().map(super::envelope::undouble).collect()))
                }
                Some(Value::Array(items)) => Err(EnvelopeError::Metadata {
                    key: key.to_string(),
                    problem: format!(
                        "{} entries for a batch of {} messages",
                        items.len(),
                        bodies.len()
                    ),
                }),
                Some(_) => Err(EnvelopeError::Metadata {
                    key: key.to_string(),
                    problem: "expected an array, one entry per message of the batch".into(),
                }),
            }
        };
        let ids = list("MessageIdArray")?.unwrap_or_default();
        let counts = list("DeliveryCountArray")?;
        let enqueued = match list("EnqueuedTimeUtcArray")? {
            Some(v) => Some(v),
            None => list("EnqueuedTimeArray")?,
        };
        let types = list("ContentTypeArray")?;
        let props = match list("ApplicationPropertiesArray")? {
            Some(v) => Some(v),
            None => list("UserPropertiesArray")?,
        };
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let mut messages = Vec::with_capacity(bodies.len());
        for (i, body) in bodies.into_iter().enumerate() {
            let message_id =
                text(&ids[i])
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| EnvelopeError::Metadata {
                        key: "MessageIdArray".into(),
                        problem: format!("entry {i} is not a message id"),
                    })?;
            let delivery_count = match counts.as_ref().map(|c| &c[i]) {
                None | Some(Value::Null) => 1,
                Some(v) => text(v).and_then(|t| t.trim().parse().ok()).ok_or_else(|| {
                    EnvelopeError::Metadata {
                        key: "DeliveryCountArray".into(),
                        problem: format!("entry {i} is not a count"),
                    }
                })?,
            };
            let enqueued_time = match enqueued.as_ref().and_then(|e| text(&e[i])) {
                None => None,
                Some(t) => {
                    Some(
                        parse_timestamp(&t).map_err(|problem| EnvelopeError::Metadata {
                            key: "EnqueuedTimeUtcArray".into(),
                            problem,
                        })?,
                    )
                }
            };
            messages.push(ServiceBusInvocation {
                message_id,
                delivery_count,
                enqueued_time,
                content_type: types.as_ref().and_then(|t| text(&t[i])),
                body,
                application_properties: props.as_ref().map_or(Value::Null, |p| p[i].clone()),
            });
        }
        Ok(Self::Batch(messages))
    }

    /// The messages, one or many.
    pub fn messages(&self) -> &[ServiceBusInvocation] {
        match self {
            Self::One(m) => std::slice::from_ref(m),
            Self::Batch(ms) => ms,
        }
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    fn decode(body: serde_json::Value) -> Result<ServiceBusDelivery, EnvelopeError> {
        let env = Envelope::from_slice(body.to_string().as_bytes()).unwrap();
        ServiceBusDelivery::decode(&env, "msg")
    }

    #[test]
    fn batches_decode_whether_arrays_come_as_json_or_as_text() {
        // Arrays as JSON values, primitives double-encoded.
        let a = decode(serde_json::json!({
            "Data": {"msg": ["{\"n\":1}", "{\"n\":2}"]},
            "Metadata": {"MessageIdArray": ["\"a\"", "\"b\""], "DeliveryCountArray": ["1", "3"],
                         "EnqueuedTimeUtcArray": ["2026-11-23T18:05:00", "2026-11-23T18:05:01"]}
        }))
        .unwrap();
        // The same, with every array serialised into a string.
        let b = decode(serde_json::json!({
            "Data": {"msg": "[{\"n\":1},{\"n\":2}]"},
            "Metadata": {"MessageIdArray": "[\"a\",\"b\"]", "DeliveryCountArray": "[1,3]",
                         "EnqueuedTimeUtcArray": "[\"2026-11-23T18:05:00\",\"2026-11-23T18:05:01\"]"}
        }))
        .unwrap();
        assert_eq!(a, b);
        let ms = a.messages();
        assert_eq!(ms.len(), 2);
        assert_eq!((ms[0].message_id.as_str(), ms[1].delivery_count), ("a", 3));
        assert_eq!(ms[1].body, MessageBody::Json(serde_json::json!({"n": 2})));
        assert!(ms[1].enqueued_time.is_some());
    }

    #[test]
    fn a_single_message_is_not_a_batch_and_bad_batches_are_named() {
        let one = decode(serde_json::json!({
            "Data": {"msg": "[1,2]"}, "Metadata": {"MessageId": "\"m\""}
        }))
        .unwrap();
        assert!(
            matches!(one, ServiceBusDelivery::One(_)),
            "a JSON array body of one message"
        );
        let err = decode(serde_json::json!({
            "Data": {"msg": "{\"n\":1}"}, "Metadata": {"MessageIdArray": ["\"a\""]}
        }))
        .unwrap_err();
        assert!(err.to_string().contains("array of messages"), "{err}");
        let err = decode(serde_json::json!({
            "Data": {"msg": ["{}"]}, "Metadata": {"MessageIdArray": ["\"a\""], "DeliveryCountArray": ["x"]}
        }))
        .unwrap_err();
        assert!(err.to_string().contains("DeliveryCountArray"), "{err}");
    }
}
