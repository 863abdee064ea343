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
    /// No devices at all: nothing could be judged.
    #[error("the policy lists no devices")]
    NoDevices,
    /// More devices than [`MAX_DEVICES`] (the count listed).
    #[error("the policy lists {0} devices; a client has at most {MAX_DEVICES}")]
    TooManyDevices(usize),
    /// The same device id listed twice.
    #[error("device {0} is listed twice")]
    DuplicateDevice(DeviceId),
    /// A device with id 0, which no device has.
    #[error("device id 0 is not a device")]
    ZeroDevice,
    /// A phone among the client's devices: a phone is a victim's, for proximity.
    #[error("device {0} is a phone, which a victim carries; a client wears a tag or a tracker")]
    PhoneAsClients(DeviceId),
    /// Two addresses with the same name.
    #[error("address `{0}` is listed twice")]
    DuplicateAddress(String),
    /// An address whose shape is refused.
    #[error("address `{address}`: {source}")]
    AddressShape {
        /// The address's name in the policy.
        address: String,
        /// Why its shape is refused.
        source: ShapeError,
    },
    /// An address names a home unit that is not among the policy's home-unit devices.
    #[error("address `{address}`: home unit {device} is not one of the policy's home-unit devices")]
    UnknownHomeUnit {
        /// The address's name in the policy.
        address: String,
        /// The home unit it names.
        device: DeviceId,
    },
    /// The curfew names an address the policy does not define.
    #[error("curfew: no address `{0}`")]
    UnknownAddress(String),
    /// The curfew's schedule is refused.
    #[error("curfew: {0}")]
    Schedule(#[from] ScheduleError),
    /// Two zones with the same name.
    #[error("zone `{0}` is listed twice")]
    DuplicateZone(String),
    /// A zone whose shape is refused.
    #[error("zone `{zone}`: {source}")]
    ZoneShape {
        /// The zone's name in the policy.
        zone: String,
        /// Why its shape is refused.
        source: ShapeError,
    },
    /// A zone whose schedule is refused.
    #[error("zone `{zone}` schedule: {source}")]
    ZoneSchedule {
        /// The zone's name in the policy.
        zone: String,
        /// Why its schedule is refused.
        source: ScheduleError,
    },
    /// A period (such as an exemption) that does not end after it starts.
    #[error("{what} must end after it starts ({from} .. {until})")]
    EmptyPeriod {
        /// Which period, as the policy names it.
        what: String,
        /// Its start as written, in ms since the epoch UTC.
        from: Timestamp,
        /// Its end as written, in ms since the epoch UTC.
        until: Timestamp,
    },
    /// A distance setting that is negative, infinite or not a number.
    #[error("{what} must be a finite distance of at least 0 metres, not {value}")]
    BadDistance {
        /// Which setting.
        what: String,
        /// The value as written, in metres.
        value: f64,
    },
    /// A duration setting that is negative.
    #[error("{what} must be at least 0, not {value}")]
    NegativeSpan {
        /// Which setting.
        what: String,
        /// The value as written.
        value: Span,
    },
    /// A setting refused for a reason of its own.
    #[error("{what}: {reason}")]
    BadSetting {
        /// Which setting.
        what: String,
        /// Why it is refused, for the admin.
        reason: String,
    },
    /// An exclusion zone overlaps a curfew address: the client would breach one to keep the other.
    #[error(
        "exclusion zone `{zone}` overlaps curfew address `{address}`: the client could not keep both"
    )]
    ExclusionCoversAddress {
        /// The exclusion zone's name.
        zone: String,
        /// The curfew address's name.
        address: String,
    },
    /// A curfew address outside an inclusion zone: the client could not keep both.
    #[error("curfew address `{address}` is not inside inclusion zone `{zone}`")]
    AddressOutsideInclusion {
        /// The inclusion zone's name.
        zone: String,
        /// The curfew address's name.
        address: String,
    },
    /// An exclusion zone covers all of an inclusion zone, leaving the client nowhere to be.
    #[error("exclusion zone `{exclusion}` covers all of inclusion zone `{inclusion}`")]
    ExclusionCoversInclusion {
        /// The exclusion zone's name.
        exclusion: String,
        /// The inclusion zone's name.
        inclusion: String,
    },
    /// A victim-proximity rule names one of the client's own devices as the victim's.
    #[error("victim proximity `{id}`: device {device} is the client's own")]
    VictimDeviceIsClients {
        /// The victim-proximity rule's id in the policy.
        id: String,
        /// The device that belongs to the client.
        device: DeviceId,
    },
}

impl PolicyError {
    /// A stable name of the mistake, for a client to word in its user's language (the message
    /// above is the English, with the names of the parts at fault).
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::NoDevices => "policy_no_devices",
            PolicyError::TooManyDevices(_) => "policy_too_many_devices",
            PolicyError::DuplicateDevice(_) => "policy_duplicate_device",
            PolicyError::ZeroDevice => "not_a_device",
            PolicyError::PhoneAsClients(_) => "policy_phone_as_clients",
            PolicyError::DuplicateAddress(_) | PolicyError::DuplicateZone(_) => "given_twice",
            PolicyError::AddressShape { .. } | PolicyError::ZoneShape { .. } => "zone_invalid",
            PolicyError::UnknownHomeUnit { .. } => "policy_unknown_home_unit",
            PolicyError::UnknownAddress(_) => "policy_unknown_address",
            PolicyError::Schedule(_) | PolicyError::ZoneSchedule { .. } => "policy_schedule",
            PolicyError::EmptyPeriod { .. } => "ends_before_starts",
            PolicyError::BadDistance { .. } => "policy_bad_distance",
            PolicyError::NegativeSpan { .. } => "policy_negative_span",
            PolicyError::BadSetting { .. } => "policy_bad_setting",
            PolicyError::ExclusionCoversAddress { .. } => "policy_exclusion_covers_address",
            PolicyError::AddressOutsideInclusion { .. } => "policy_address_outside_inclusion",
            PolicyError::ExclusionCoversInclusion { .. } => "policy_exclusion_covers_inclusion",
            PolicyError::VictimDeviceIsClients { .. } => "policy_victim_device_is_clients",
        }
    }
}
