//! The scenario agent (`haymaker agent`): step extraction over the shipped library, and the real
//! binary run against a fake `az` on PATH, publishing to the in-repo AMQP broker (127.0.0.31-39),
//! and once with the real Azure CLI against the simulator (`real_az`).
//!
//! One test binary per area keeps the build small: each binary links the whole crate.

#[path = "../amqp_broker/mod.rs"]
mod amqp_broker;

mod assisted;
mod harness;
mod real_az;
mod run;
mod steps;
