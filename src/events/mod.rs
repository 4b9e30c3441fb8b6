//! Agent events: the Service Bus topic they travel on (`bus`).

pub mod bus;
