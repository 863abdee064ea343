//! What the engine is told: readings from tags, home units and victims' devices.
//!
//! These mirror the tag protocol's uplink messages, but the engine does not depend on the wire
//! format: the caller decodes frames and hands over observations. Each carries both device time
//! (when it happened; what the engine judges by) and receive time (when the engine heard of it;
//! what "communication lost" and "clock skewed" are judged by).

use serde::{Deserialize, Serialize};

use crate::geometry::GeoPoint;
use crate::time::{CompactTime, Span, Timestamp};

/// A device's id as the tag protocol carries it.
pub type DeviceId = u64;

/// One reading, as stored: device, seq (unique per device) and both times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    pub device: DeviceId,
    pub seq: u32,
    /// When it happened, by the device's clock.
    pub device_time: Timestamp,
    /// When the engine's side received it.
    pub received: Timestamp,
    /// Held in the device's buffer during a coverage gap and sent late.
    #[serde(default)]
    pub stored: bool,
    pub reading: Reading,
}

/// The content of an observation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reading {
    /// A position fix. `accuracy_m` is the 95 % radius; `None` when the device did not know it.
    Location {
        lat: f64,
        lon: f64,
        #[serde(default)]
        accuracy_m: Option<f64>,
        #[serde(default)]
        source: FixSource,
    },
    /// A home unit's report about a tag: in range of the unit, or not.
    Presence {
        tag: DeviceId,
        in_range: bool,
    },
    Heartbeat(Heartbeat),
    Event {
        event: DeviceEvent,
        #[serde(default)]
        value: u16,
    },
    /// Boot or reconnect: proof of life, nothing else to judge.
    Hello,
}

/// Where a fix came from.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixSource {
    #[default]
    Gnss,
    Wifi,
    Cell,
}

/// A device's periodic status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    pub battery_pct: u8,
    #[serde(default = "yes")]
    pub strap_closed: bool,
    #[serde(default = "yes")]
    pub case_closed: bool,
    #[serde(default = "yes")]
    pub skin_contact: bool,
    #[serde(default)]
    pub charging: bool,
    /// The tag hears its home unit.
    #[serde(default)]
    pub rf_home: bool,
    #[serde(default)]
    pub gnss_fix: bool,
    /// Home units: on mains power.
    #[serde(default = "yes")]
    pub mains_power: bool,
    #[serde(default)]
    pub motion: bool,
}

fn yes() -> bool {
    true
}

/// The tag protocol's EVENT codes, by name; codes the engine does not know are kept as `other`
/// with their number. The numbers themselves are the wire's (`firmware_proto::EventCode`): the
/// judge maps that enum to this one in a single exhaustive match.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceEvent {
    StrapOpened,
    StrapClosed,
    CaseOpened,
    CaseClosed,
    SkinContactLost,
    SkinContactRestored,
    ChargerConnected,
    ChargerDisconnected,
    BatteryLow,
    BatteryCritical,
    JammingSuspected,
    ShieldingSuspected,
    MainsPowerLost,
    MainsPowerRestored,
    Reboot,
    ButtonPressed,
    Other(u16),
}

/// The order in which the engine judges observations: device time, then device and seq so that
/// simultaneous readings are always taken in the same order, whatever order they arrived in.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct EventKey {
    pub time: Timestamp,
    pub device: DeviceId,
    pub seq: u32,
}

/// A pointer from a breach episode to an observation that proves it.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct EvidenceRef {
    pub device: DeviceId,
    pub seq: u32,
    pub device_time: Timestamp,
}

/// An [`EvidenceRef`] as per-client state stores it: 20 bytes instead of 24 (no padding after
/// `seq`), and `Option<CompactRef>` is no larger. Packed to 4-byte alignment, so its fields are
/// only ever read by value.
#[derive(Copy, Clone, Debug, Serialize, Deserialize)]
#[serde(from = "EvidenceRef", into = "EvidenceRef")]
#[repr(C, packed(4))]
pub(crate) struct CompactRef {
    device: DeviceId,
    device_time: CompactTime,
    seq: u32,
}

impl From<EvidenceRef> for CompactRef {
    fn from(e: EvidenceRef) -> CompactRef {
        CompactRef::new(e)
    }
}

impl From<CompactRef> for EvidenceRef {
    fn from(c: CompactRef) -> EvidenceRef {
        c.get()
    }
}

impl CompactRef {
    pub fn new(e: EvidenceRef) -> CompactRef {
        CompactRef {
            device: e.device,
            device_time: CompactTime::new(e.device_time),
            seq: e.seq,
        }
    }

    pub fn get(self) -> EvidenceRef {
        EvidenceRef {
            device: self.device,
            seq: self.seq,
            device_time: self.device_time.get(),
        }
    }
}

/// A device clock further ahead of the receive time than this is wrong, not early.
pub const DEVICE_TIME_AHEAD_LIMIT: Span = Span::days(1);
/// Frames a tag held through a coverage gap arrive late, but not later than this.
pub const DEVICE_TIME_BEHIND_LIMIT: Span = Span::days(30);

impl Observation {
    /// Whether the device time is near enough the receive time to judge the observation in
    /// event time. One that is not is judged only for arrival (clock skew says the clock is
    /// wrong): judged in event time, a clock set to the year 9999 would walk every curfew
    /// window until then, and one set to 1970 every window since.
    pub fn device_time_plausible(&self) -> bool {
        self.device_time <= self.received.saturating_add(DEVICE_TIME_AHEAD_LIMIT)
            && self.device_time >= self.received.saturating_sub(DEVICE_TIME_BEHIND_LIMIT)
    }

    pub fn key(&self) -> EventKey {
        EventKey {
            time: self.device_time,
            device: self.device,
            seq: self.seq,
        }
    }

    pub fn evidence(&self) -> EvidenceRef {
        EvidenceRef {
            device: self.device,
            seq: self.seq,
            device_time: self.device_time,
        }
    }

    /// The fix's position, if this is a usable location (finite, on the globe).
    pub fn fix(&self) -> Option<(GeoPoint, f64)> {
        match self.reading {
            Reading::Location {
                lat,
                lon,
                accuracy_m,
                ..
            } if lat.is_finite()
                && lon.is_finite()
                && (-90.0..=90.0).contains(&lat)
                && (-180.0..=180.0).contains(&lon) =>
            {
                Some((GeoPoint { lat, lon }, fix_accuracy(accuracy_m)))
            }
            _ => None,
        }
    }
}

/// A fix of unknown accuracy is treated as 1 km uncertain: it can still prove being far away.
pub const UNKNOWN_ACCURACY_M: f64 = 1000.0;

fn fix_accuracy(accuracy_m: Option<f64>) -> f64 {
    match accuracy_m {
        Some(a) if a.is_finite() && a >= 0.0 => a,
        _ => UNKNOWN_ACCURACY_M,
    }
}
