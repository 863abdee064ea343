//! The compliance rules engine: judges each probation client's observations against their
//! monitoring policy, in event time, and yields breach episodes. Pure: no I/O, no clock.
//!
//! - [`policy`]: what an order requires, validated and compiled.
//! - [`observation`]: what devices report.
//! - [`engine`] and [`monitor`]: judging, including late and out-of-order data.
//! - [`episode`]: what comes out.
//! - [`memory`]: a complete in-memory caller, for tests, scenarios and tools.

mod book;
mod confirm;
mod curfew;
pub mod engine;
pub mod episode;
pub mod geometry;
mod health;
pub mod memory;
pub mod monitor;
pub mod observation;
pub mod policy;
pub mod schedule;
mod state;
pub mod time;
mod zones;

pub use engine::{Engine, EngineError};
pub use episode::{BreachKind, ConditionRef, Episode, EpisodeChange, EpisodeId, Severity};
pub use monitor::{Checkpoint, ClientMonitor, Outcome};
pub use observation::{DeviceEvent, DeviceId, Observation, Reading};
pub use policy::{ClientId, CompiledPolicy, MonitoringPolicy, PolicyError};
pub use state::ConditionState;
pub use time::{Span, Timestamp};
