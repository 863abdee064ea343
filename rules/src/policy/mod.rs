//! The monitoring policy: what one probation client's order requires, in a form the engine can
//! judge against.
//!
//! The cases part compiles it from a stored order; here it is plain data with serde, so that a
//! scenario file or an API request can carry it. [`MonitoringPolicy::compile`] checks it whole
//! and turns it into a [`CompiledPolicy`] (shapes prepared, timetables expanded), or says in one
//! clear error what is wrong and where. Nothing in a policy can make the engine panic.
//!
//! # Modules
//!
//! * `written`: the policy as an order writes it, with serde, and its defaults.
//! * `capability`: what each kind of device can evidence, and which conditions it cannot.
//! * `compile`: checking a written policy whole and preparing it; `error`: why it was refused.
//! * `compiled`: the prepared policy, laid out for judging, and what the engine asks of it.

mod capability;
mod compile;
mod compiled;
mod error;
mod written;

pub use capability::{Capabilities, Capability, NotEvidenced, Watched, Watches, not_evidenced};
/// For the size check in the crate's tests.
#[cfg(test)]
pub(crate) use compiled::HotZone;
pub use compiled::{CompiledAddress, CompiledPolicy, CompiledZone};
pub use error::PolicyError;
pub use written::{
    Address, AddressSlots, ClientId, Confirmation, Curfew, CurfewGrace, DeviceKind, HealthPolicy,
    MAX_DEVICES, MonitoringPolicy, MotionWithoutFix, VictimProximity, WornDevice, Zone, ZoneKind,
};
