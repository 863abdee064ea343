//! The policy as an order writes it: plain data with serde, so that a scenario file or an API
//! request can carry it, with the defaults an order may leave out. Nothing here is checked yet;
//! see [`super::compile`].

use serde::{Deserialize, Serialize};

use crate::geometry::ZoneShape;
use crate::observation::DeviceId;
use crate::schedule::{AuthorisedAbsence, ExtraCurfew, TimeZone, WeeklySlot};
use crate::time::{Span, Timestamp};

/// A probation client's id, as the cases part stores it.
pub type ClientId = u64;

/// One client's monitoring policy, revision by revision.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringPolicy {
    pub client: ClientId,
    /// The order's revision this policy was compiled from; stamped on every episode.
    pub revision: u32,
    #[serde(default)]
    pub time_zone: TimeZone,
    /// The monitored period; nothing is judged outside it.
    #[serde(default)]
    pub monitoring_from: Option<Timestamp>,
    #[serde(default)]
    pub monitoring_until: Option<Timestamp>,
    /// The devices the client wears and the home units at their addresses.
    pub devices: Vec<WornDevice>,
    #[serde(default)]
    pub addresses: Vec<Address>,
    #[serde(default)]
    pub curfew: Option<Curfew>,
    #[serde(default)]
    pub zones: Vec<Zone>,
    #[serde(default)]
    pub proximity: Vec<VictimProximity>,
    #[serde(default)]
    pub health: HealthPolicy,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WornDevice {
    pub id: DeviceId,
    pub kind: DeviceKind,
    /// Overrides the health policy's time for this device kind.
    #[serde(default)]
    pub comm_lost_after: Option<Span>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Tag,
    HomeUnit,
}

/// A place the client must be at during curfew: its zone (for GPS fixes) and its home unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub id: String,
    pub zone: ZoneShape,
    #[serde(default)]
    pub home_unit: Option<DeviceId>,
}

/// The curfew obligation: weekly slots per address, and dated changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Curfew {
    #[serde(default)]
    pub timetable: Vec<AddressSlots>,
    #[serde(default)]
    pub absences: Vec<AuthorisedAbsence>,
    #[serde(default)]
    pub extra: Vec<ExtraCurfew>,
    /// The night the tag is fitted, often shorter than the timetable's.
    #[serde(default)]
    pub first_night: Option<ExtraCurfew>,
    #[serde(default)]
    pub grace: CurfewGrace,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressSlots {
    pub address: String,
    pub slots: Vec<WeeklySlot>,
}

/// Tolerances set by the order, and how long a piece of presence evidence counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CurfewGrace {
    /// Arriving this late after a curfew starts is tolerated.
    pub late_arrival: Span,
    /// Leaving this early before a curfew ends is tolerated.
    pub early_departure: Span,
    /// A shorter absence in the middle of a curfew is tolerated.
    pub absence: Span,
    /// How long a home unit's report (or the tag hearing its home unit) counts.
    pub presence_valid_for: Span,
    /// How long a GPS fix at or away from the address counts.
    pub fix_valid_for: Span,
}

impl Default for CurfewGrace {
    fn default() -> Self {
        CurfewGrace {
            late_arrival: Span::minutes(5),
            early_departure: Span::minutes(5),
            absence: Span::minutes(5),
            presence_valid_for: Span::seconds(150),
            fix_valid_for: Span::minutes(5),
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// Must stay inside.
    Inclusion,
    /// Must not enter.
    Exclusion,
}

/// An inclusion or exclusion zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub id: String,
    pub kind: ZoneKind,
    pub shape: ZoneShape,
    #[serde(default)]
    pub valid_from: Option<Timestamp>,
    #[serde(default)]
    pub valid_until: Option<Timestamp>,
    /// When the zone applies, in local time; always when empty.
    #[serde(default)]
    pub schedule: Vec<WeeklySlot>,
    /// Warn when the client comes within this many metres of breaching.
    #[serde(default)]
    pub warning_buffer_m: Option<f64>,
    #[serde(default)]
    pub confirm: Confirmation,
}

/// How a change of side is confirmed, so that GPS drift never raises a breach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Confirmation {
    /// Consecutive decisive fixes on the new side that confirm a change...
    pub fixes: u8,
    /// ...or this long between the first and the latest of them, whichever comes first.
    pub dwell: Span,
    /// Once in breach, a fix counts as back on the compliant side only this far beyond the edge.
    pub hysteresis_m: f64,
    /// Without a decisive fix for this long, the condition's state is unknown.
    pub unknown_after: Span,
}

impl Default for Confirmation {
    fn default() -> Self {
        Confirmation {
            fixes: 2,
            dwell: Span::minutes(2),
            hysteresis_m: 20.0,
            unknown_after: Span::minutes(15),
        }
    }
}

/// A dynamic exclusion zone around a victim's device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VictimProximity {
    pub id: String,
    pub victim_device: DeviceId,
    /// Closer than this is a breach.
    pub alarm_m: f64,
    /// Once in breach, farther than this ends it.
    pub release_m: f64,
    /// Closer than this (but not in breach) is a warning.
    #[serde(default)]
    pub warning_m: Option<f64>,
    /// Two fixes are compared only when taken at most this far apart.
    #[serde(default = "default_max_fix_gap")]
    pub max_fix_gap: Span,
    #[serde(default)]
    pub confirm: Confirmation,
}

fn default_max_fix_gap() -> Span {
    Span::minutes(2)
}

/// Device health limits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HealthPolicy {
    pub comm_lost_tag: Span,
    pub comm_lost_home_unit: Span,
    pub battery_low_pct: u8,
    pub battery_critical_pct: u8,
    /// The tag must be put on charge at least this often.
    pub charge_every: Option<Span>,
    pub motion_without_fix: Option<MotionWithoutFix>,
    /// A live frame this far from the receive time marks the device's clock as skewed.
    pub clock_skew_limit: Span,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        HealthPolicy {
            comm_lost_tag: Span::minutes(15),
            comm_lost_home_unit: Span::minutes(30),
            battery_low_pct: 20,
            battery_critical_pct: 10,
            charge_every: None,
            motion_without_fix: None,
            clock_skew_limit: Span::minutes(5),
        }
    }
}

/// "10 minutes of motion within an hour with no fix" suggests a shielded tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MotionWithoutFix {
    pub motion: Span,
    pub within: Span,
}

/// The most devices one client's policy lists (a tag, a home unit or two, a spare): more is an
/// error in the order, and the engine keeps a device's index in a byte.
pub const MAX_DEVICES: usize = 16;
