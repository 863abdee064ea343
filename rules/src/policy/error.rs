//! Why a policy cannot be used: one error per mistake, naming the part of the policy at fault,
//! for an admin to read.

use crate::geometry::ShapeError;
use crate::observation::DeviceId;
use crate::schedule::ScheduleError;
use crate::time::{Span, Timestamp};

use super::written::MAX_DEVICES;

/// Why a policy cannot be used. Each names the part of the policy at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy lists no devices")]
    NoDevices,
    #[error("the policy lists {0} devices; a client has at most {MAX_DEVICES}")]
    TooManyDevices(usize),
    #[error("device {0} is listed twice")]
    DuplicateDevice(DeviceId),
    #[error("device id 0 is not a device")]
    ZeroDevice,
    #[error("address `{0}` is listed twice")]
    DuplicateAddress(String),
    #[error("address `{address}`: {source}")]
    AddressShape { address: String, source: ShapeError },
    #[error("address `{address}`: home unit {device} is not one of the policy's home-unit devices")]
    UnknownHomeUnit { address: String, device: DeviceId },
    #[error("curfew: no address `{0}`")]
    UnknownAddress(String),
    #[error("curfew: {0}")]
    Schedule(#[from] ScheduleError),
    #[error("zone `{0}` is listed twice")]
    DuplicateZone(String),
    #[error("zone `{zone}`: {source}")]
    ZoneShape { zone: String, source: ShapeError },
    #[error("zone `{zone}` schedule: {source}")]
    ZoneSchedule { zone: String, source: ScheduleError },
    #[error("{what} must end after it starts ({from} .. {until})")]
    EmptyPeriod {
        what: String,
        from: Timestamp,
        until: Timestamp,
    },
    #[error("{what} must be a finite distance of at least 0 metres, not {value}")]
    BadDistance { what: String, value: f64 },
    #[error("{what} must be at least 0, not {value}")]
    NegativeSpan { what: String, value: Span },
    #[error("{what}: {reason}")]
    BadSetting { what: String, reason: String },
    #[error(
        "exclusion zone `{zone}` overlaps curfew address `{address}`: the client could not keep both"
    )]
    ExclusionCoversAddress { zone: String, address: String },
    #[error("curfew address `{address}` is not inside inclusion zone `{zone}`")]
    AddressOutsideInclusion { zone: String, address: String },
    #[error("exclusion zone `{exclusion}` covers all of inclusion zone `{inclusion}`")]
    ExclusionCoversInclusion {
        exclusion: String,
        inclusion: String,
    },
    #[error("victim proximity `{id}`: device {device} is the client's own")]
    VictimDeviceIsClients { id: String, device: DeviceId },
}
