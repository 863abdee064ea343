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
    /// The device that reported it: a tag, a home unit or a victim's device.
    pub device: DeviceId,
    /// The device's sequence number for the frame, unique per device; a repeat is a duplicate.
    pub seq: u32,
    /// When it happened, by the device's clock.
    pub device_time: Timestamp,
    /// When the engine's side received it.
    pub received: Timestamp,
    /// Held in the device's buffer during a coverage gap and sent late.
    #[serde(default)]
    pub stored: bool,
    /// What the device reported.
    pub reading: Reading,
}

/// The content of an observation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reading {
    /// A position fix. `accuracy_m` is the 95 % radius; `None` when the device did not know it.
    Location {
        /// Latitude in degrees (WGS84).
        lat: f64,
        /// Longitude in degrees (WGS84).
        lon: f64,
        /// The 95 % radius of the fix in metres, if the device knew it.
        #[serde(default)]
        accuracy_m: Option<f64>,
        /// How the device got the fix; only GNSS fixes prove the radio is not jammed or shielded.
        #[serde(default)]
        source: FixSource,
    },
    /// A home unit's report about a tag: in range of the unit, or not.
    Presence {
        /// The tag the home unit reports on.
        tag: DeviceId,
        /// Whether the home unit hears the tag, i.e. the client is at home.
        in_range: bool,
    },
    /// A device's periodic status: battery, strap, case, power and radio.
    Heartbeat(Heartbeat),
    /// Something happened on the device (strap opened, battery low, ...).
    Event {
        /// What happened.
        event: DeviceEvent,
        /// The event's value on the wire: battery % for the battery events, the reason for a reboot.
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
    /// Satellite positioning (GPS and the like): the most accurate, and proof the radio works.
    #[default]
    Gnss,
    /// Located from nearby Wi-Fi networks.
    Wifi,
    /// Located from mobile network cells: the coarsest.
    Cell,
}

/// A device's periodic status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// Battery charge, in percent.
    pub battery_pct: u8,
    /// The tag's strap is closed (cutting or opening it is tampering).
    #[serde(default = "yes")]
    pub strap_closed: bool,
    /// The device's case is closed.
    #[serde(default = "yes")]
    pub case_closed: bool,
    /// The tag is against the client's skin (not taken off and left somewhere).
    #[serde(default = "yes")]
    pub skin_contact: bool,
    /// The device is on its charger.
    #[serde(default)]
    pub charging: bool,
    /// The tag hears its home unit.
    #[serde(default)]
    pub rf_home: bool,
    /// The device has a GNSS fix: its radio works, so jamming or shielding is not the reason for silence.
    #[serde(default)]
    pub gnss_fix: bool,
    /// Home units: on mains power.
    #[serde(default = "yes")]
    pub mains_power: bool,
    /// The device senses movement; movement without a GNSS fix for long is suspected shielding.
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
    /// The tag's strap was opened or cut: tampering.
    StrapOpened,
    /// The tag's strap was closed again.
    StrapClosed,
    /// The device's case was opened: tampering.
    CaseOpened,
    /// The device's case was closed again.
    CaseClosed,
    /// The tag lost contact with the client's skin.
    SkinContactLost,
    /// The tag is against the client's skin again.
    SkinContactRestored,
    /// The device was put on its charger.
    ChargerConnected,
    /// The device was taken off its charger.
    ChargerDisconnected,
    /// The battery fell to the low threshold (value: battery %).
    BatteryLow,
    /// The battery fell to the critical threshold (value: battery %).
    BatteryCritical,
    /// The device suspects its radio is being jammed.
    JammingSuspected,
    /// The device suspects it is being shielded (wrapped in foil or the like).
    ShieldingSuspected,
    /// A home unit lost mains power and runs on its battery.
    MainsPowerLost,
    /// A home unit has mains power again.
    MainsPowerRestored,
    /// The device restarted (value: the reason).
    Reboot,
    /// The button on the device was pressed.
    ButtonPressed,
    /// An EVENT code this version does not know, with its number, kept rather than dropped.
    Other(u16),
}

/// The order in which the engine judges observations: device time, then device and seq so that
/// simultaneous readings are always taken in the same order, whatever order they arrived in.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct EventKey {
    /// The device time, in ms since the epoch UTC: the first thing observations are ordered by.
    pub time: Timestamp,
    /// The reporting device, to order simultaneous readings.
    pub device: DeviceId,
    /// The device's seq, to order one device's simultaneous readings.
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
    /// The device that reported the observation.
    pub device: DeviceId,
    /// The observation's seq on that device; with the device, it finds the stored row.
    pub seq: u32,
    /// When it happened by the device's clock, so evidence can be listed in time order without a lookup.
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

    /// Where this observation falls in the order the engine judges in (see [`EventKey`]).
    pub fn key(&self) -> EventKey {
        EventKey {
            time: self.device_time,
            device: self.device,
            seq: self.seq,
        }
    }

    /// A pointer to this observation, for the evidence of the breach episodes it proves.
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
