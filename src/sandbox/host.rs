//! The Functions host's part, played in-process: timer, queue and Service Bus invocations posted to
//! the real router as the host's envelopes (double-encoded metadata and all), with the host's
//! delivery rules — a non-2xx answer means the queue message is released and delivered again (to
//! the poison queue after five dequeues) and a Service Bus message is redelivered — plus, on
//! purpose, occasional duplicate deliveries, because at-least-once is what the real host gives.
//! The handler is the router in this process or a handler process ([`HandlerTransport`]); a
//! message whose handler died with it is delivered again once the handler is back ([`Host::restart`]).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub use super::transport::{Answer, HandlerTransport, Unreachable};

/// After this many dequeues a failing queue message goes to the poison queue (host.json).
pub const MAX_DEQUEUE_COUNT: u32 = 5;
/// Service Bus redelivers a failing message this often before dead-lettering (the entity default).
pub const MAX_DELIVERY_COUNT: u32 = 10;

/// A message on the emulated `haymaker-work` queue.
#[derive(Debug, Clone)]
pub struct QueuedMessage {
    pub id: String,
    pub body: Value,
    pub dequeue_count: u32,
}

/// What the host did, counted.
#[derive(Debug, Default)]
pub struct HostStats {
    pub invocations: AtomicU64,
    pub retries: AtomicU64,
    pub duplicates: AtomicU64,
    pub poisoned: AtomicU64,
    pub events_delivered: AtomicU64,
    /// Invocations the handler process did not answer (it was down or died holding them).
    pub unreachable: AtomicU64,
    /// Of those, the ones the handler had received: it died while working on them.
    pub cut_off: AtomicU64,
    /// Queue messages made visible again after a handler restart (they were in flight).
    pub redelivered: AtomicU64,
}

impl HostStats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The emulated host around one handler.
pub struct Host {
    /// The handler the host talks to; replaced when the handler process "restarts".
    app: Mutex<HandlerTransport>,
    /// Queue messages being processed: a crashed invocation's message becomes visible again. The
    /// second field counts handler restarts (changed under this lock).
    in_flight: Mutex<(std::collections::HashMap<u64, QueuedMessage>, u64)>,
    next_delivery: AtomicU64,
    queue: Mutex<VecDeque<QueuedMessage>>,
    pub poison: Mutex<Vec<QueuedMessage>>,
    pub stats: HostStats,
    /// Every `duplicate_every`-th delivery is made twice (0: never).
    duplicate_every: u64,
    deliveries: AtomicU64,
    /// Agent events waiting for the next batch delivery.
    topic: Mutex<Vec<(Value, String)>>,
}

fn quoted(s: &str) -> Value {
    Value::String(Value::String(s.to_string()).to_string())
}

fn sys(method: &str, now: DateTime<Utc>) -> Value {
    json!({
        "MethodName": method,
        "UtcNow": now.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        "RandGuid": uuid::Uuid::new_v4().to_string(),
    })
}

/// A timer envelope as the host sends it (no schedule monitor status: `ScheduleStatus: null`).
pub fn timer_envelope(function: &str, now: DateTime<Utc>) -> Value {
    json!({
        "Data": {"timer": {"Schedule": {"AdjustForDST": true}, "ScheduleStatus": null, "IsPastDue": false}},
        "Metadata": {"sys": sys(function, now)},
    })
}

/// A queue envelope: the message text as a JSON string, its top-level fields copied into metadata.
pub fn queue_envelope(m: &QueuedMessage, now: DateTime<Utc>) -> Value {
    let mut meta = json!({
        "DequeueCount": m.dequeue_count.to_string(),
        "Id": quoted(&m.id),
        "InsertionTime": now.to_rfc3339(),
        "PopReceipt": quoted(&uuid::Uuid::new_v4().to_string()),
        "sys": sys("Work", now),
    });
    if let Value::Object(fields) = &m.body {
        for (k, v) in fields {
            meta[k] = Value::String(v.to_string());
        }
    }
    json!({"Data": {"msg": m.body.to_string()}, "Metadata": meta})
}

/// A Service Bus batch envelope (`"cardinality": "many"`): the bodies as an array of JSON texts and
/// one entry per message in each `…Array` metadata, primitives double-encoded as the host does.
pub fn service_bus_batch_envelope(
    messages: &[(Value, String)],
    delivery_count: u32,
    now: DateTime<Utc>,
) -> Value {
    let bodies: Vec<Value> = messages
        .iter()
        .map(|(b, _)| Value::String(b.to_string()))
        .collect();
    let ids: Vec<Value> = messages.iter().map(|(_, id)| quoted(id)).collect();
    let n = messages.len();
    let enqueued = now.format("%Y-%m-%dT%H:%M:%S").to_string();
    json!({
        "Data": {"msg": bodies},
        "Metadata": {
            "MessageReceiver": {}, "MessageSession": {}, "MessageActions": {},
            "SessionActions": {}, "ReceiveActions": {},
            "MessageIdArray": ids,
            "DeliveryCountArray": vec![Value::String(delivery_count.to_string()); n],
            "EnqueuedTimeUtcArray": vec![Value::String(enqueued); n],
            "ContentTypeArray": vec![quoted("application/json"); n],
            "ApplicationPropertiesArray": vec![json!({}); n],
            "sys": sys("AgentEvents", now),
        }
    })
}

/// Messages per batch delivery (host.json `maxMessageBatchSize`).
pub const MAX_BATCH: usize = 100;

impl Host {
    pub fn new(app: impl Into<HandlerTransport>, duplicate_every: u64) -> Self {
        Self {
            app: Mutex::new(app.into()),
            in_flight: Mutex::new((std::collections::HashMap::new(), 0)),
            next_delivery: AtomicU64::new(0),
            queue: Mutex::new(VecDeque::new()),
            poison: Mutex::new(Vec::new()),
            stats: HostStats::default(),
            duplicate_every,
            deliveries: AtomicU64::new(0),
            topic: Mutex::new(Vec::new()),
        }
    }

    /// Posts an envelope to `/{function}`; `Err` when the handler process is down or died with it.
    pub async fn deliver(&self, function: &str, envelope: &Value) -> Result<Answer, Unreachable> {
        self.stats.invocations.fetch_add(1, Ordering::Relaxed);
        let app = self.app.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let answer = app.post(function, envelope).await;
        if let Err(lost) = &answer {
            self.stats.unreachable.fetch_add(1, Ordering::Relaxed);
            if !lost.never_sent {
                self.stats.cut_off.fetch_add(1, Ordering::Relaxed);
            }
        }
        answer
    }

    /// Posts an envelope; an unreachable handler answers as a gateway would (502, no outputs).
    pub async fn invoke(&self, function: &str, envelope: &Value) -> Answer {
        self.deliver(function, envelope)
            .await
            .unwrap_or_else(|e| Answer {
                status: 502,
                body: json!({"error": e.to_string()}),
            })
    }

    /// Fires a timer function and puts its `out` messages on the queue.
    pub async fn fire_timer(&self, function: &str, now: DateTime<Utc>) -> Answer {
        let answer = self.invoke(function, &timer_envelope(function, now)).await;
        self.enqueue(answer.outputs("out"));
        answer
    }

    /// A new handler process in place of the old one (after a crash). Messages that were being
    /// processed become visible again, as a queue makes them after their visibility timeout.
    pub fn restart(&self, app: impl Into<HandlerTransport>) {
        *self.app.lock().unwrap_or_else(|p| p.into_inner()) = app.into();
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        in_flight.1 += 1;
        let lost: Vec<QueuedMessage> = in_flight.0.drain().map(|(_, m)| m).collect();
        self.stats
            .redelivered
            .fetch_add(lost.len() as u64, Ordering::Relaxed);
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(lost);
    }

    pub fn enqueue(&self, bodies: Vec<Value>) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        for body in bodies {
            q.push_back(QueuedMessage {
                id: uuid::Uuid::new_v4().to_string(),
                body,
                dequeue_count: 0,
            });
        }
    }

    pub fn queue_len(&self) -> usize {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn duplicate_now(&self) -> bool {
        let n = self.deliveries.fetch_add(1, Ordering::Relaxed) + 1;
        self.duplicate_every > 0 && n.is_multiple_of(self.duplicate_every)
    }

    /// Takes one message and delivers it to `Work` (twice, now and then); a failed delivery puts
    /// it back after `retry_delay`, or on the poison queue after [`MAX_DEQUEUE_COUNT`].
    /// Returns `false` when the queue was empty.
    pub async fn work_one(self: &Arc<Self>, now: DateTime<Utc>, retry_delay: Duration) -> bool {
        let Some(mut m) = self
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
        else {
            return false;
        };
        m.dequeue_count += 1;
        if self.duplicate_now() {
            self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
            let twin = self.clone();
            let copy = m.clone();
            tokio::spawn(async move {
                twin.invoke("Work", &queue_envelope(&copy, now)).await;
            });
        }
        let ticket = self.next_delivery.fetch_add(1, Ordering::Relaxed);
        let generation = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            in_flight.0.insert(ticket, m.clone());
            in_flight.1
        };
        let answer = match self.deliver("Work", &queue_envelope(&m, now)).await {
            Ok(answer) => answer,
            Err(lost) => {
                // The handler is down or died holding the message: it stays in flight until the
                // handler is back (`restart` makes it visible again) — or, when that already
                // happened, is visible again now. A connection never made was no dequeue.
                let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
                if in_flight.1 != generation {
                    if let Some(mut m) = in_flight.0.remove(&ticket) {
                        if lost.never_sent {
                            m.dequeue_count -= 1;
                        }
                        self.queue
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push_back(m);
                    }
                } else if lost.never_sent {
                    if let Some(m) = in_flight.0.get_mut(&ticket) {
                        m.dequeue_count -= 1;
                    }
                }
                return true;
            }
        };
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .remove(&ticket);
        self.enqueue(answer.outputs("out"));
        if !answer.ok() {
            if m.dequeue_count >= MAX_DEQUEUE_COUNT {
                tracing::warn!(id = %m.id, body = %m.body, "work unit moved to the poison queue");
                self.stats.poisoned.fetch_add(1, Ordering::Relaxed);
                self.poison
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(m);
            } else {
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                let host = self.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(retry_delay).await;
                    host.queue
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push_back(m);
                });
            }
        }
        true
    }

    /// An agent publishes an event to the topic; it is delivered with the next batch.
    pub fn publish(&self, body: Value, message_id: String) {
        self.topic
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((body, message_id));
    }

    /// Events published and not yet delivered.
    pub fn topic_len(&self) -> usize {
        self.topic.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Delivers what is waiting on the topic to `AgentEvents`, up to [`MAX_BATCH`] messages a batch,
    /// until each batch is accepted (Service Bus redelivers a failed batch); now and then a batch is
    /// delivered twice. Returns how many events were delivered.
    pub async fn deliver_events(&self, now: DateTime<Utc>) -> usize {
        let waiting: Vec<(Value, String)> =
            std::mem::take(&mut *self.topic.lock().unwrap_or_else(|p| p.into_inner()));
        let mut delivered = 0;
        for (i, batch) in waiting.chunks(MAX_BATCH).enumerate() {
            if self.duplicate_now() {
                self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                self.invoke("AgentEvents", &service_bus_batch_envelope(batch, 1, now))
                    .await;
            }
            for delivery in 1..=MAX_DELIVERY_COUNT {
                let envelope = service_bus_batch_envelope(batch, delivery, now);
                let answer = match self.deliver("AgentEvents", &envelope).await {
                    Ok(answer) => answer,
                    Err(_) => {
                        // The handler is down: the messages stay on the subscription, unsettled.
                        let mut topic = self.topic.lock().unwrap_or_else(|p| p.into_inner());
                        let rest = waiting[i * MAX_BATCH..].iter().cloned();
                        let newer = std::mem::take(&mut *topic);
                        topic.extend(rest.chain(newer));
                        return delivered;
                    }
                };
                if answer.ok() {
                    self.stats
                        .events_delivered
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    delivered += batch.len();
                    break;
                }
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50 * u64::from(delivery))).await;
            }
        }
        delivered
    }
}
