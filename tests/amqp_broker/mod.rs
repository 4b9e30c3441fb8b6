//! An in-memory AMQP 1.0 broker that speaks enough of Service Bus for `azservicebus`: one topic whose
//! subscriptions each get a copy of every message, `$cbs` put-token (202) and `$management` (200)
//! answers, peek-lock deliveries with lock tokens, and settlement (accepted → completed, modified →
//! redelivered with the delivery count one higher, released → redelivered, rejected → dead-lettered).
//!
//! `azservicebus` always dials port 5672, so each test binds its own loopback address 127.0.0.N.
#![allow(dead_code)]

mod links;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fe2o3_amqp::acceptor::{
    ConnectionAcceptor, LinkAcceptor, LinkEndpoint, SaslAnonymousMechanism, SessionAcceptor,
};
use fe2o3_amqp::types::messaging::{Body, Message};
use fe2o3_amqp::types::primitives::Value;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

/// The shared key of [`Broker::connection_string`]; tests look for it in errors and logs.
pub const TEST_KEY: &str = "dGVzdC1rZXktdGhhdC1tdXN0LW5ldmVyLWJlLXByaW50ZWQ=";

/// A message kept by a subscription.
#[derive(Debug, Clone)]
pub struct Stored {
    pub sequence_number: i64,
    /// Deliveries so far (the AMQP header's count: 0 before the first).
    pub deliveries: u32,
    pub message: Message<Body<Value>>,
}

impl Stored {
    pub fn message_id(&self) -> Option<String> {
        let id = self.message.properties.as_ref()?.message_id.as_ref()?;
        Some(match id {
            fe2o3_amqp::types::messaging::MessageId::String(s) => s.clone(),
            other => format!("{other:?}"),
        })
    }
    pub fn content_type(&self) -> Option<String> {
        let ct = self.message.properties.as_ref()?.content_type.as_ref()?;
        Some(ct.0.clone())
    }
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.message.body {
            Body::Data(batch) => batch.iter().flat_map(|d| d.0.to_vec()).collect(),
            _ => Vec::new(),
        }
    }
}

/// One subscription's messages.
#[derive(Default)]
pub struct Queue {
    pub ready: VecDeque<Stored>,
    pub completed: Vec<Stored>,
    pub dead_lettered: Vec<Stored>,
    pub deferred: Vec<Stored>,
    /// Messages put back for redelivery (abandoned, or their lock lost with the link).
    pub redeliveries: u32,
}

/// A put-token request the broker answered.
#[derive(Debug, Clone)]
pub struct PutToken {
    pub token_type: String,
    pub audience: String,
    pub token: String,
}

pub(crate) struct State {
    pub topic: String,
    pub queues: Mutex<HashMap<String, Queue>>,
    pub changed: Notify,
    pub next_sequence: Mutex<i64>,
    pub tokens: Mutex<Vec<PutToken>>,
    pub connections_accepted: Mutex<u32>,
}

impl State {
    /// Copies `message` into every subscription; false when `topic` is not the broker's topic.
    pub fn enqueue(&self, topic: &str, message: Message<Body<Value>>) -> bool {
        if !topic.eq_ignore_ascii_case(&self.topic) {
            return false;
        }
        let sequence_number = {
            let mut next = self.next_sequence.lock().unwrap();
            *next += 1;
            *next
        };
        for q in self.queues.lock().unwrap().values_mut() {
            q.ready.push_back(Stored {
                sequence_number,
                deliveries: 0,
                message: message.clone(),
            });
        }
        self.changed.notify_waiters();
        true
    }

    pub fn update<R>(&self, subscription: &str, f: impl FnOnce(&mut Queue) -> R) -> Option<R> {
        let r = self.queues.lock().unwrap().get_mut(subscription).map(f);
        self.changed.notify_waiters();
        r
    }
}

/// A running broker on 127.0.0.N:5672 (until the test's runtime ends).
pub struct Broker {
    pub ip: IpAddr,
    state: Arc<State>,
    kill: watch::Sender<u64>,
}

impl Broker {
    /// Binds 127.0.0.`n`:5672 with `topic` and its `subscriptions`.
    pub async fn start(n: u8, topic: &str, subscriptions: &[&str]) -> Broker {
        let ip = IpAddr::V4(Ipv4Addr::new(127, 0, 0, n));
        let listener = TcpListener::bind(SocketAddr::new(ip, 5672))
            .await
            .unwrap_or_else(|e| panic!("test broker cannot bind {ip}:5672: {e}"));
        let state = Arc::new(State {
            topic: topic.to_string(),
            queues: Mutex::new(
                subscriptions
                    .iter()
                    .map(|s| (s.to_string(), Queue::default()))
                    .collect(),
            ),
            changed: Notify::new(),
            next_sequence: Mutex::new(0),
            tokens: Mutex::new(Vec::new()),
            connections_accepted: Mutex::new(0),
        });
        let (kill, _) = watch::channel(0u64);
        let accept_state = state.clone();
        let kill_rx = kill.subscribe();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                *accept_state.connections_accepted.lock().unwrap() += 1;
                tokio::spawn(serve_connection(
                    stream,
                    accept_state.clone(),
                    kill_rx.clone(),
                ));
            }
        });
        Broker { ip, state, kill }
    }

    /// A connection string for this broker (plain AMQP, as the emulator's).
    pub fn connection_string(&self) -> String {
        format!(
            "Endpoint=sb://{}/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={TEST_KEY};UseDevelopmentEmulator=true",
            self.ip
        )
    }

    /// Closes every open connection from the broker's side.
    pub fn drop_connections(&self) {
        self.kill.send_modify(|n| *n += 1);
    }

    pub fn connections_accepted(&self) -> u32 {
        *self.state.connections_accepted.lock().unwrap()
    }

    pub fn tokens(&self) -> Vec<PutToken> {
        self.state.tokens.lock().unwrap().clone()
    }

    /// A look at one subscription.
    pub fn with_queue<R>(&self, subscription: &str, f: impl FnOnce(&Queue) -> R) -> R {
        let queues = self.state.queues.lock().unwrap();
        f(queues
            .get(subscription)
            .unwrap_or_else(|| panic!("no subscription {subscription}")))
    }

    /// Waits (at most `limit`) until `check` holds for the subscription; panics naming `what` if not.
    pub async fn wait_until(
        &self,
        subscription: &str,
        what: &str,
        limit: Duration,
        check: impl Fn(&Queue) -> bool,
    ) {
        let waiting = async {
            loop {
                let changed = self.state.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                if self.with_queue(subscription, &check) {
                    return;
                }
                changed.await;
            }
        };
        if tokio::time::timeout(limit, waiting).await.is_err() {
            panic!("waited {limit:?} for {what} on {subscription}");
        }
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    state: Arc<State>,
    mut kill: watch::Receiver<u64>,
) {
    kill.mark_unchanged();
    let acceptor = ConnectionAcceptor::builder()
        .container_id("haymaker-test-broker")
        .sasl_acceptor(SaslAnonymousMechanism::new())
        .build();
    let mut connection = match acceptor.accept(stream).await {
        Ok(c) => c,
        Err(e) => {
            trace(format!("accept failed: {e:?}"));
            return;
        }
    };
    trace("connection open".into());
    let replies = Arc::new(links::Replies::default());
    let sessions = SessionAcceptor::new();
    loop {
        tokio::select! {
            _ = kill.changed() => break,
            incoming = connection.next_incoming_session() => {
                let Some(incoming) = incoming else { break };
                match sessions.accept_incoming_session(incoming, &mut connection).await {
                    Ok(session) => {
                        tokio::spawn(serve_session(session, state.clone(), replies.clone()));
                    }
                    Err(_) => break,
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), connection.close()).await;
}

async fn serve_session(
    mut session: fe2o3_amqp::acceptor::ListenerSessionHandle,
    state: Arc<State>,
    replies: Arc<links::Replies>,
) {
    let acceptor = LinkAcceptor::new();
    trace("session begun".into());
    while let Some(attach) = session.next_incoming_attach().await {
        trace(format!(
            "attach {:?} {:?} {:?}",
            attach.role,
            attach.source.as_ref().map(|s| s.address.clone()),
            attach.target.as_ref().map(|t| format!("{t:?}"))
        ));
        match acceptor.accept_incoming_attach(attach, &mut session).await {
            Ok(LinkEndpoint::Receiver(receiver)) => {
                tokio::spawn(links::serve_incoming(
                    receiver,
                    state.clone(),
                    replies.clone(),
                ));
            }
            Ok(LinkEndpoint::Sender(sender)) => {
                tokio::spawn(links::serve_outgoing(
                    sender,
                    state.clone(),
                    replies.clone(),
                ));
            }
            Err(e) => {
                trace(format!("attach failed {e:?}"));
                continue;
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), session.end()).await;
}

pub(crate) fn trace(what: String) {
    if std::env::var_os("BROKER_TRACE").is_some() {
        eprintln!("[broker] {what}");
    }
}
