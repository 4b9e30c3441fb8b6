//! The broker's links: what clients send ($cbs, $management, the topic) and what they receive
//! (replies, subscription deliveries).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fe2o3_amqp::link::delivery::{Delivery, DeliveryFut};
use fe2o3_amqp::link::{Receiver, SendError, Sender};
use fe2o3_amqp::types::messaging::message::__private::Deserializable;
use fe2o3_amqp::types::messaging::{
    AmqpValue, ApplicationProperties, Body, DeliveryAnnotations, Header, Message, Outcome,
    Properties,
};
use fe2o3_amqp::types::primitives::{SimpleValue, Timestamp, Uuid, Value};
use fe2o3_amqp::Sendable;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::{PutToken, State, Stored};

/// The Microsoft batch message format: each data section is a whole encoded message.
const BATCH_FORMAT: u32 = 0x8001_3700;
const LOCK_TOKEN: &str = "x-opt-lock-token";

type Reply = Message<AmqpValue<Value>>;
type Channel = (UnboundedSender<Reply>, Option<UnboundedReceiver<Reply>>);

/// Reply channels of one connection by client node address (a request's `reply-to`, a reply link's
/// target). Created by whichever side comes first, so no reply is lost to attach order.
#[derive(Default)]
pub(crate) struct Replies(Mutex<HashMap<String, Channel>>);

impl Replies {
    fn sender(&self, address: &str) -> UnboundedSender<Reply> {
        let mut map = self.0.lock().unwrap();
        let entry = map.entry(address.to_string()).or_insert_with(|| {
            let (tx, rx) = unbounded_channel();
            (tx, Some(rx))
        });
        entry.0.clone()
    }

    fn receiver(&self, address: &str) -> Option<UnboundedReceiver<Reply>> {
        self.sender(address);
        self.0.lock().unwrap().get_mut(address)?.1.take()
    }
}

/// `amqp://host/agent-logs` → `agent-logs`; plain names unchanged.
fn entity(address: Option<String>) -> String {
    let address = address.unwrap_or_default();
    match address.split_once("://") {
        Some((_, rest)) => rest
            .split_once('/')
            .map(|(_, p)| p.to_string())
            .unwrap_or_default(),
        None => address,
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn text(props: &Option<ApplicationProperties>, key: &str) -> String {
    match props.as_ref().and_then(|p| p.0.get(key)) {
        Some(SimpleValue::String(s)) => s.clone(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

fn reply(request: &Message<Body<Value>>, status: i32, description: &str) -> (String, Reply) {
    let props = request.properties.clone().unwrap_or_default();
    let reply_to = props.reply_to.clone().unwrap_or_default();
    let mut app = ApplicationProperties::default();
    app.0.insert("status-code".into(), SimpleValue::Int(status));
    app.0.insert(
        "status-description".into(),
        SimpleValue::String(description.into()),
    );
    let message = Message::builder()
        .properties(Properties {
            correlation_id: props.message_id.clone(),
            ..Default::default()
        })
        .application_properties(app)
        .value(Value::Null)
        .build();
    (reply_to, message)
}

/// The messages of one transfer: itself, or each message of a batch.
fn unbatch(format: Option<u32>, message: Message<Body<Value>>) -> Vec<Message<Body<Value>>> {
    if format != Some(BATCH_FORMAT) {
        return vec![message];
    }
    match message.body {
        Body::Data(sections) => sections
            .iter()
            .filter_map(|d| {
                serde_amqp::from_slice::<Deserializable<Message<Body<Value>>>>(&d.0)
                    .ok()
                    .map(|m| m.0)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A link the client sends on: requests to `$cbs` and `…/$management`, messages to the topic.
pub(crate) async fn serve_incoming(mut link: Receiver, state: Arc<State>, replies: Arc<Replies>) {
    let target = entity(link.target().as_ref().and_then(|t| t.address.clone()));
    loop {
        let delivery: Delivery<Body<Value>> = match link.recv().await {
            Ok(d) => d,
            Err(e) => {
                super::trace(format!("recv on {target} failed: {e:?}"));
                break;
            }
        };
        let request = delivery.message().clone();
        super::trace(format!(
            "incoming on {target}: {:?}",
            request.application_properties
        ));
        let accepted = if target == "$cbs" {
            let operation = text(&request.application_properties, "operation");
            let token = match &request.body {
                Body::Value(v) => match &v.0 {
                    Value::String(s) => s.clone(),
                    other => format!("{other:?}"),
                },
                _ => String::new(),
            };
            state.tokens.lock().unwrap().push(PutToken {
                token_type: text(&request.application_properties, "type"),
                audience: text(&request.application_properties, "name"),
                token,
            });
            let (to, message) = if operation == "put-token" {
                reply(&request, 202, "Accepted")
            } else {
                reply(&request, 400, "unknown operation")
            };
            let _ = replies.sender(&to).send(message);
            true
        } else if target.ends_with("$management") {
            let (to, message) = reply(&request, 200, "OK");
            let _ = replies.sender(&to).send(message);
            true
        } else {
            unbatch(*delivery.message_format(), request)
                .into_iter()
                .all(|m| state.enqueue(&target, m))
        };
        let settled = if accepted {
            link.accept(&delivery).await
        } else {
            link.reject(&delivery, None).await
        };
        if let Err(e) = settled {
            super::trace(format!("settle on {target} failed: {e:?}"));
            break;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), link.close()).await;
}

/// A link the client receives on: replies to its requests, or a subscription's messages.
pub(crate) async fn serve_outgoing(mut link: Sender, state: Arc<State>, replies: Arc<Replies>) {
    let source = entity(link.source().as_ref().and_then(|s| s.address.clone()));
    if source == "$cbs" || source.ends_with("$management") {
        let node = link
            .target()
            .as_ref()
            .and_then(|t| t.address.clone())
            .unwrap_or_default();
        if let Some(mut rx) = replies.receiver(&node) {
            loop {
                let next = tokio::select! {
                    m = rx.recv() => m,
                    _ = link.on_detach() => None,
                };
                let Some(message) = next else { break };
                if link.send(message).await.is_err() {
                    break;
                }
            }
        }
    } else {
        let subscription = source
            .split('/')
            .skip_while(|p| !p.eq_ignore_ascii_case("subscriptions"))
            .nth(1)
            .unwrap_or_default()
            .to_string();
        deliver(&mut link, &state, &subscription).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), link.close()).await;
}

/// Takes the next ready message of `subscription`, waiting for one; `None` if there is no such
/// subscription. Only a taken message counts as a change (waking our own waiter would spin).
async fn next_ready(state: &State, subscription: &str) -> Option<Stored> {
    loop {
        let changed = state.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let taken = {
            let mut queues = state.queues.lock().unwrap();
            queues.get_mut(subscription).map(|q| q.ready.pop_front())
        };
        match taken {
            None => return None,
            Some(Some(stored)) => {
                state.changed.notify_waiters();
                return Some(stored);
            }
            Some(None) => changed.await,
        }
    }
}

fn annotate(stored: &Stored, lock: Uuid) -> Message<Body<Value>> {
    let mut message = stored.message.clone();
    let header = message.header.get_or_insert_with(Header::default);
    header.delivery_count = stored.deliveries;
    let mut annotations = message.message_annotations.take().unwrap_or_default();
    let now = now_ms();
    for (k, v) in [
        ("x-opt-sequence-number", Value::Long(stored.sequence_number)),
        (
            "x-opt-enqueued-time",
            Value::Timestamp(Timestamp::from_milliseconds(now)),
        ),
        (
            "x-opt-locked-until",
            Value::Timestamp(Timestamp::from_milliseconds(now + 60_000)),
        ),
        (LOCK_TOKEN, Value::Uuid(lock.clone())),
    ] {
        annotations
            .0
            .insert(fe2o3_amqp::types::primitives::Symbol::from(k).into(), v);
    }
    message.message_annotations = Some(annotations);
    let mut delivery = DeliveryAnnotations::default();
    delivery.0.insert(
        fe2o3_amqp::types::primitives::Symbol::from(LOCK_TOKEN).into(),
        Value::Uuid(lock),
    );
    message.delivery_annotations = Some(delivery);
    message
}

/// Delivers `subscription`'s messages unsettled and applies each outcome when it comes.
async fn deliver(link: &mut Sender, state: &Arc<State>, subscription: &str) {
    loop {
        let next = tokio::select! {
            s = next_ready(state, subscription) => s,
            _ = link.on_detach() => None,
        };
        let Some(stored) = next else { return };
        let lock = Uuid::from(*uuid::Uuid::new_v4().as_bytes());
        let sendable = Sendable::builder()
            .message(annotate(&stored, lock))
            .settled(false)
            .build();
        match link.send_batchable(sendable).await {
            Ok(fut) => {
                tokio::spawn(settle(fut, state.clone(), subscription.to_string(), stored));
            }
            Err(_) => {
                state.update(subscription, |q| q.ready.push_front(stored));
                return;
            }
        }
    }
}

async fn settle(
    fut: DeliveryFut<Result<Outcome, SendError>>,
    state: Arc<State>,
    subscription: String,
    mut stored: Stored,
) {
    let outcome = fut.await;
    super::trace(format!(
        "outcome for {:?}: {outcome:?}",
        stored.message_id()
    ));
    state.update(&subscription, move |q| match outcome {
        Ok(Outcome::Accepted(_)) => q.completed.push(stored),
        Ok(Outcome::Rejected(_)) => q.dead_lettered.push(stored),
        Ok(Outcome::Released(_)) => q.ready.push_front(stored),
        Ok(Outcome::Modified(m)) if m.undeliverable_here == Some(true) => q.deferred.push(stored),
        // Abandoned, or the lock was lost with the link: back, one delivery more.
        _ => {
            stored.deliveries += 1;
            q.redeliveries += 1;
            q.ready.push_front(stored);
        }
    });
}
