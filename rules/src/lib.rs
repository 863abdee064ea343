//! The compliance rules engine: judges each probation client's observations against their
//! monitoring policy, in event time, and yields breach episodes. Pure: no I/O, no clock.
//!
//! - [`policy`]: what an order requires, validated and compiled.
//! - [`observation`]: what devices report.
//! - [`engine`] and [`monitor`]: judging, including late and out-of-order data.
//! - [`replay`]: the one loop that judges late data again, pumped by the caller.
//! - [`episode`]: what comes out.
//! - [`memory`]: a complete in-memory caller, for tests, scenarios and tools.
#![warn(missing_docs)]

mod book;
mod checkpoint;
mod confirm;
mod curfew;
pub mod engine;
pub mod episode;
mod episode_state;
pub mod geometry;
mod health;
mod input;
pub mod memory;
pub mod monitor;
pub mod observation;
pub mod policy;
mod prefetch;
mod progress;
pub mod replay;
mod routes;
pub mod schedule;
mod schema;
mod state;
pub mod time;
mod zones;

pub use curfew::{PresenceEvidence, presence_evidence};
pub use engine::{Engine, EngineError};
pub use episode::{
    BreachKind, ConditionRef, Episode, EpisodeChange, EpisodeId, KindClass, Severity,
};
pub use episode_state::{EpisodeState, UnknownEpisodeState};
pub use monitor::{Checkpoint, CheckpointError, ClientMonitor, Outcome};
pub use observation::{DeviceEvent, DeviceId, Observation, Reading};
pub use policy::{ClientId, CompiledPolicy, MonitoringPolicy, PolicyError};
pub use replay::{Replay, ReplayRequest, ReplayStep, RowsRequest};
pub use state::ConditionState;
pub use time::{Span, Timestamp};

#[cfg(test)]
mod tests {
    use std::any::type_name;
    use std::mem::size_of;

    use crate::book::Book;
    use crate::confirm::SideTracker;
    use crate::curfew::CurfewState;
    use crate::health::DeviceHealth;
    use crate::input::JointInput;
    use crate::zones::{ProximityState, ZoneState};

    fn at_most<T>(bytes: usize) {
        let size = size_of::<T>();
        assert!(
            size <= bytes,
            "{} is {size} B, was {bytes} B",
            type_name::<T>()
        );
    }

    /// Every client holds one or two copies of these (and eight buffered joint inputs), so a
    /// byte here is 100 to 800 kB at 100 000 clients.
    #[test]
    fn per_client_states_stay_compact() {
        at_most::<SideTracker>(40);
        at_most::<ZoneState>(56);
        at_most::<ProximityState>(120);
        at_most::<DeviceHealth>(40);
        at_most::<CurfewState>(128);
        at_most::<Book>(48);
        at_most::<JointInput>(48);
    }

    /// A zone's hot data is one cache line: see `HotZone`.
    #[test]
    fn a_zones_hot_data_is_one_line() {
        assert_eq!(size_of::<crate::policy::HotZone>(), 64);
    }
}
