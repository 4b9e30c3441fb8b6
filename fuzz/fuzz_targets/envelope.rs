//! Fuzz target: the Functions host's invocation envelope, decoded as each function decodes it.
//! Any body must give a typed `EnvelopeError` or a value, never a panic.
#![no_main]

use haymaker::handler::envelope::Envelope;
use haymaker::handler::invocation::{QueueInvocation, ServiceBusDelivery, TimerInvocation};
use haymaker::handler::FunctionName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(env) = Envelope::from_slice(data) else {
        return;
    };
    let _ = env.sys();
    for function in FunctionName::ALL {
        let binding = function.trigger_binding();
        let _ = TimerInvocation::decode(&env, binding);
        if let Ok(q) = QueueInvocation::decode(&env, binding) {
            let _ = q.body.parse::<serde_json::Value>();
        }
        if let Ok(delivery) = ServiceBusDelivery::decode(&env, binding) {
            for m in delivery.messages() {
                let _ = m.body.parse::<serde_json::Value>();
            }
        }
        let _ = env.message_bodies(binding);
    }
});
