//! Decoding of the invocation envelopes the Functions host POSTs to a custom handler:
//! `{"Data": {<binding>: value}, "Metadata": {...}}`, with the host's quirks (double-encoded primitives,
//! JSON text in strings, base64 bytes, timestamps with or without offset and 0–7 fractional digits).

use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Why an envelope could not be decoded. Each variant names what is wrong so a 400 answer teaches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error(
        "the request body is not JSON ({0}); the host sends {{\"Data\":{{…}},\"Metadata\":{{…}}}}"
    )]
    NotJson(String),
    #[error("the envelope {0}; the host sends {{\"Data\":{{…}},\"Metadata\":{{…}}}}")]
    Shape(&'static str),
    #[error("binding `{binding}` is missing from Data (present: {present})")]
    MissingBinding { binding: String, present: String },
    #[error("binding `{binding}`: {problem}")]
    Binding { binding: String, problem: String },
    #[error("Metadata `{key}`: {problem}")]
    Metadata { key: String, problem: String },
}

/// A decoded envelope: the binding data and the trigger metadata.
#[derive(Debug, Clone)]
pub struct Envelope {
    data: Map<String, Value>,
    metadata: Map<String, Value>,
}

/// The `Metadata.sys` block the host adds to every invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SysMetadata {
    pub method_name: Option<String>,
    pub utc_now: Option<DateTime<Utc>>,
    pub rand_guid: Option<String>,
}

/// A message body as it arrived, after undoing the host's encodings.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageBody {
    /// JSON (an object, array or number), whether it came as JSON text or as a JSON value.
    Json(Value),
    /// Plain text (double-encoded by the host, or not JSON at all).
    Text(String),
    /// Bytes that arrived base64-encoded and are not UTF-8 JSON.
    Bytes(Vec<u8>),
}

impl MessageBody {
    /// Deserialises the body as `T`, whichever form it came in.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        match self {
            MessageBody::Json(v) => T::deserialize(v).map_err(|e| e.to_string()),
            MessageBody::Text(t) => serde_json::from_str(t).map_err(|e| e.to_string()),
            MessageBody::Bytes(b) => serde_json::from_slice(b).map_err(|e| e.to_string()),
        }
    }
}

impl Envelope {
    /// Parses the raw request body.
    pub fn from_slice(body: &[u8]) -> Result<Self, EnvelopeError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
        let Value::Object(mut top) = value else {
            return Err(EnvelopeError::Shape("is not a JSON object"));
        };
        let data = match top.remove("Data") {
            Some(Value::Object(d)) => d,
            Some(Value::Null) | None => return Err(EnvelopeError::Shape("has no \"Data\" object")),
            Some(_) => return Err(EnvelopeError::Shape("has a \"Data\" that is not an object")),
        };
        let metadata = match top.remove("Metadata") {
            Some(Value::Object(m)) => m,
            Some(Value::Null) | None => Map::new(),
            Some(_) => {
                return Err(EnvelopeError::Shape(
                    "has a \"Metadata\" that is not an object",
                ))
            }
        };
        Ok(Self { data, metadata })
    }

    /// The raw value of a binding, with a double-encoded string undone.
    pub fn binding(&self, name: &str) -> Result<Value, EnvelopeError> {
        match self.data.get(name) {
            Some(v) => Ok(undouble(v)),
            None => Err(EnvelopeError::MissingBinding {
                binding: name.to_string(),
                present: self.present_bindings(),
            }),
        }
    }

    /// Deserialises a binding whose value is a JSON object (a timer's `TimerInfo`).
    pub fn binding_as<T: DeserializeOwned>(&self, name: &str) -> Result<T, EnvelopeError> {
        let value = self.binding(name)?;
        T::deserialize(&value).map_err(|e| EnvelopeError::Binding {
            binding: name.to_string(),
            problem: e.to_string(),
        })
    }

    /// A message binding's body (queue, Service Bus).
    pub fn message_body(&self, name: &str) -> Result<MessageBody, EnvelopeError> {
        let raw = self
            .data
            .get(name)
            .ok_or_else(|| EnvelopeError::MissingBinding {
                binding: name.to_string(),
                present: self.present_bindings(),
            })?;
        match raw {
            Value::String(s) => Ok(decode_text_body(s)),
            Value::Null => Err(EnvelopeError::Binding {
                binding: name.to_string(),
                problem: "the message body is null".into(),
            }),
            other => Ok(MessageBody::Json(other.clone())),
        }
    }

    /// A batch binding's bodies (`"cardinality": "many"`): a JSON array, or a string holding one;
    /// each element decoded like a single body.
    pub fn message_bodies(&self, name: &str) -> Result<Vec<MessageBody>, EnvelopeError> {
        let bad = |problem: String| EnvelopeError::Binding {
            binding: name.to_string(),
            problem,
        };
        let items = match self.binding(name)? {
            Value::Array(items) => items,
            other => {
                return Err(bad(format!(
                    "a batch delivery carries an array of messages, found {}",
                    kind_of(&other)
                )))
            }
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(decode_text_body(&s)),
                Value::Null => Err(bad(format!("message {i} of the batch is null"))),
                other => Ok(MessageBody::Json(other)),
            })
            .collect()
    }

    fn present_bindings(&self) -> String {
        if self.data.is_empty() {
            "none".into()
        } else {
            self.data.keys().cloned().collect::<Vec<_>>().join(", ")
        }
    }

    /// A metadata value with the host's second JSON encoding undone.
    pub fn meta(&self, key: &str) -> Option<Value> {
        self.metadata
            .get(key)
            .map(undouble)
            .filter(|v| !v.is_null())
    }

    /// A metadata string (`MessageId`, `ContentType`, …). Numbers and booleans are rendered as text.
    pub fn meta_str(&self, key: &str) -> Result<Option<String>, EnvelopeError> {
        match self.meta(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(EnvelopeError::Metadata {
                key: key.to_string(),
                problem: "expected a string, found an object or array".into(),
            }),
        }
    }

    /// A metadata count (`DeliveryCount`, `DequeueCount`).
    pub fn meta_u32(&self, key: &str) -> Result<Option<u32>, EnvelopeError> {
        let bad = |problem: String| EnvelopeError::Metadata {
            key: key.to_string(),
            problem,
        };
        match self.meta(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| bad(format!("{n} is not a non-negative count"))),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| bad(format!("`{s}` is not a count"))),
            Some(other) => Err(bad(format!("expected a count, found {other}"))),
        }
    }

    /// A metadata timestamp, with or without offset.
    pub fn meta_time(&self, key: &str) -> Result<Option<DateTime<Utc>>, EnvelopeError> {
        self.meta_str(key)?
            .map(|s| {
                parse_timestamp(&s).map_err(|problem| EnvelopeError::Metadata {
                    key: key.to_string(),
                    problem,
                })
            })
            .transpose()
    }

    /// `Metadata.sys`, tolerating its absence.
    pub fn sys(&self) -> SysMetadata {
        let Some(Value::Object(sys)) = self.metadata.get("sys") else {
            return SysMetadata::default();
        };
        let text = |k: &str| {
            sys.get(k)
                .map(undouble)
                .and_then(|v| v.as_str().map(String::from))
        };
        SysMetadata {
            method_name: text("MethodName"),
            utc_now: text("UtcNow").and_then(|t| parse_timestamp(&t).ok()),
            rand_guid: text("RandGuid"),
        }
    }
}

/// Undoes the host's second JSON encoding of primitives: `"1"` → `1`, `"\"id\""` → `"id"`,
/// `"{\"a\":1}"` → `{"a":1}`. A string that is not JSON text is returned as it is.
pub fn undouble(value: &Value) -> Value {
    match value {
        Value::String(s) => serde_json::from_str::<Value>(s).unwrap_or_else(|_| value.clone()),
        other => other.clone(),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string message body: JSON text, a double-encoded plain string, base64 bytes, or plain text.
fn decode_text_body(s: &str) -> MessageBody {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::String(inner)) => MessageBody::Text(inner),
        Ok(value) => MessageBody::Json(value),
        Err(_) => match base64_json(s) {
            Some(body) => body,
            None => MessageBody::Text(s.to_string()),
        },
    }
}

/// Base64 that decodes to bytes: JSON if the bytes are JSON text, otherwise raw bytes. Only text made
/// of base64 characters with a length divisible by four is considered, so ordinary words stay text.
fn base64_json(s: &str) -> Option<MessageBody> {
    let t = s.trim();
    if t.len() < 4 || !t.len().is_multiple_of(4) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(t).ok()?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::String(inner)) => Some(MessageBody::Text(inner)),
        Ok(v) => Some(MessageBody::Json(v)),
        Err(_) => match String::from_utf8(bytes) {
            // Valid base64 that decodes to ordinary text is more likely text that happens to be base64.
            Ok(_) => None,
            Err(e) => Some(MessageBody::Bytes(e.into_bytes())),
        },
    }
}

/// Parses the host's timestamps: RFC 3339 with `Z` or an offset, or no offset at all (taken as UTC),
/// with 0 to 9 fractional digits.
pub fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|n| n.and_utc())
        .map_err(|_| {
            format!("`{t}` is not a timestamp; expected e.g. 2026-11-23T18:05:00.1234567+00:00")
        })
}

#[cfg(test)]
#[path = "envelope_tests.rs"]
mod tests;
