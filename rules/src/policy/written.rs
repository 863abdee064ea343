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
    /// The probation client the policy monitors.
    pub client: ClientId,
    /// The order's revision this policy was compiled from; stamped on every episode.
    pub revision: u32,
    /// The time zone curfew and zone schedules are written in (the order's local time).
    #[serde(default)]
    pub time_zone: TimeZone,
    /// The monitored period; nothing is judged outside it.
    #[serde(default)]
    pub monitoring_from: Option<Timestamp>,
    /// The end of the monitored period; none while the order runs on.
    #[serde(default)]
    pub monitoring_until: Option<Timestamp>,
    /// The devices the client wears and the home units at their addresses.
    pub devices: Vec<WornDevice>,
    /// The places the client must be at during curfew, named for the curfew's timetable.
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// The curfew obligation, if the order sets one.
    #[serde(default)]
    pub curfew: Option<Curfew>,
    /// The inclusion and exclusion zones the order sets.
    #[serde(default)]
    pub zones: Vec<Zone>,
    /// The victims whose devices the client must keep away from.
    #[serde(default)]
    pub proximity: Vec<VictimProximity>,
    /// Device health limits: communication loss, battery, charging, shielding, clock skew.
    #[serde(default)]
    pub health: HealthPolicy,
}

/// A device the policy judges by: one the client wears, or a home unit at their address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WornDevice {
    /// The device's id as the tag protocol carries it.
    pub id: DeviceId,
    /// What kind of device it is, which sets what it can evidence and its health rules.
    pub kind: DeviceKind,
    /// Overrides the health policy's time for this device kind.
    #[serde(default)]
    pub comm_lost_after: Option<Span>,
}

/// What kind of device a policy's device is; what each can evidence is
/// [`DeviceKind::capabilities`]. The inventory's kinds, one for one, in the engine's words.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// An ankle tag with a GNSS receiver, worn by the client: reports fixes, strap, case and
    /// skin contact, and hears its home unit.
    Tag,
    /// An ankle tag without GNSS, worn by the client: strap, case and skin contact, and the
    /// radio to its home unit; no fixes.
    RfTag,
    /// A home unit at a curfew address: reports whether it hears the tag.
    HomeUnit,
    /// An off-the-shelf GPS tracker worn by the client: fixes, battery and motion; no strap,
    /// case or skin sensor, and no radio to a home unit.
    Tracker,
    /// A phone, which a victim carries: fixes and battery only. Never one of the client's.
    Phone,
}

/// A place the client must be at during curfew: its zone (for GPS fixes) and its home unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// The address's name, which the curfew's timetable refers to.
    pub id: String,
    /// The area counted as at the address for GPS fixes.
    pub zone: ZoneShape,
    /// The home unit installed there, whose presence reports count as at the address.
    #[serde(default)]
    pub home_unit: Option<DeviceId>,
}

/// The curfew obligation: weekly slots per address, and dated changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Curfew {
    /// The weekly curfew hours, per address.
    #[serde(default)]
    pub timetable: Vec<AddressSlots>,
    /// Dated absences the officer authorised, during which curfew does not apply.
    #[serde(default)]
    pub absences: Vec<AuthorisedAbsence>,
    /// Dated curfews on top of the timetable.
    #[serde(default)]
    pub extra: Vec<ExtraCurfew>,
    /// The night the tag is fitted, often shorter than the timetable's.
    #[serde(default)]
    pub first_night: Option<ExtraCurfew>,
    /// The tolerances and how long evidence counts.
    #[serde(default)]
    pub grace: CurfewGrace,
}

/// The weekly curfew hours at one address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressSlots {
    /// The address's name, as in [`MonitoringPolicy::addresses`].
    pub address: String,
    /// The weekly slots the client must be there, in the policy's local time.
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

/// Whether a zone is a place the client must stay in or keep out of.
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
    /// The zone's name in the policy, as breaches and alerts show it.
    pub id: String,
    /// Whether the client must stay inside or keep out.
    pub kind: ZoneKind,
    /// The zone's area.
    pub shape: ZoneShape,
    /// From when the zone applies, in ms since the epoch UTC; no start limit if none.
    #[serde(default)]
    pub valid_from: Option<Timestamp>,
    /// Until when the zone applies, in ms since the epoch UTC; no end limit if none.
    #[serde(default)]
    pub valid_until: Option<Timestamp>,
    /// When the zone applies, in local time; always when empty.
    #[serde(default)]
    pub schedule: Vec<WeeklySlot>,
    /// Warn when the client comes within this many metres of breaching.
    #[serde(default)]
    pub warning_buffer_m: Option<f64>,
    /// How a crossing of the zone's edge is confirmed.
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
    /// The rule's name in the policy, as breaches and alerts show it.
    pub id: String,
    /// The device the victim carries, whose fixes the client's are compared with.
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
    /// How a change between near and far is confirmed.
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
    /// A tag silent this long has lost communication.
    pub comm_lost_tag: Span,
    /// A home unit silent this long has lost communication.
    pub comm_lost_home_unit: Span,
    /// A battery at or below this percentage is low.
    pub battery_low_pct: u8,
    /// A battery at or below this percentage is critical.
    pub battery_critical_pct: u8,
    /// The tag must be put on charge at least this often.
    pub charge_every: Option<Span>,
    /// When movement without a GPS fix is taken as a shielded tag; never if none.
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
    /// This much motion without a fix...
    pub motion: Span,
    /// ...within a window this long suggests the tag is shielded.
    pub within: Span,
}

/// The most devices one client's policy lists (a tag, a home unit or two, a spare): more is an
/// error in the order, and the engine keeps a device's index in a byte.
pub const MAX_DEVICES: usize = 16;
