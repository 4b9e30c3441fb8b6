//! The functions of the Function App (one folder each under `functions/`) and how an envelope for each
//! is decoded and dispatched.

use std::fmt;
use std::str::FromStr;

use super::envelope::Envelope;
use super::error::InvocationError;
use super::invocation::{QueueInvocation, ServiceBusDelivery, TimerInvocation};
use super::response::InvocationResponse;
use super::{triggers, AppState};

/// Every function the app declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionName {
    /// Timer, four times a day: starts a run.
    ScheduledRun,
    /// Timer, every minute: advances the active run.
    Tick,
    /// Queue `haymaker-work`: one unit of fan-out work.
    Work,
    /// Service Bus topic `agent-logs`, subscription `orchestrator`: agents' events.
    AgentEvents,
    /// HTTP, forwarded: the API under `/api/v1/…`.
    Api,
    /// HTTP, forwarded, anonymous: `/api/v1/health`.
    Health,
}

/// How the host invokes a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    Timer,
    Queue,
    ServiceBus,
    /// Forwarded as a plain HTTP request, never as an envelope.
    Http,
}

impl FunctionName {
    pub const ALL: [FunctionName; 6] = [
        Self::ScheduledRun,
        Self::Tick,
        Self::Work,
        Self::AgentEvents,
        Self::Api,
        Self::Health,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ScheduledRun => "ScheduledRun",
            Self::Tick => "Tick",
            Self::Work => "Work",
            Self::AgentEvents => "AgentEvents",
            Self::Api => "Api",
            Self::Health => "Health",
        }
    }

    pub fn trigger(self) -> TriggerKind {
        match self {
            Self::ScheduledRun | Self::Tick => TriggerKind::Timer,
            Self::Work => TriggerKind::Queue,
            Self::AgentEvents => TriggerKind::ServiceBus,
            Self::Api | Self::Health => TriggerKind::Http,
        }
    }

    /// The `name` of the trigger binding in `function.json` (the key under `Data`).
    pub fn trigger_binding(self) -> &'static str {
        match self.trigger() {
            TriggerKind::Timer => "timer",
            TriggerKind::Queue | TriggerKind::ServiceBus => "msg",
            TriggerKind::Http => "req",
        }
    }
}

impl fmt::Display for FunctionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FunctionName {
    type Err = InvocationError;

    /// Function names are matched case-insensitively, as the host treats them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| InvocationError::UnknownFunction(s.chars().take(100).collect()))
    }
}

/// Decodes the envelope for `function` and runs its handler.
pub async fn invoke(
    state: &AppState,
    function: FunctionName,
    envelope: &Envelope,
) -> Result<InvocationResponse, InvocationError> {
    let binding = function.trigger_binding();
    match function {
        FunctionName::ScheduledRun => {
            let timer = TimerInvocation::decode(envelope, binding)?;
            Ok(triggers::scheduled_run(state, timer).await?)
        }
        FunctionName::Tick => {
            let timer = TimerInvocation::decode(envelope, binding)?;
            Ok(triggers::tick(state, timer).await?)
        }
        FunctionName::Work => {
            let msg = QueueInvocation::decode(envelope, binding)?;
            Ok(triggers::work(state, msg).await?)
        }
        FunctionName::AgentEvents => {
            let delivery = ServiceBusDelivery::decode(envelope, binding)?;
            Ok(triggers::agent_events(state, delivery).await?)
        }
        FunctionName::Api | FunctionName::Health => {
            Ok(super::http_envelope::invoke(state, envelope).await?)
        }
    }
}
