//! The monitoring policy: what one probation client's order requires, in a form the engine can
//! judge against.
//!
//! The cases part compiles it from a stored order; here it is plain data with serde, so that a
//! scenario file or an API request can carry it. [`MonitoringPolicy::compile`] checks it whole
//! and turns it into a [`CompiledPolicy`] (shapes prepared, timetables expanded), or says in one
//! clear error what is wrong and where. Nothing in a policy can make the engine panic.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::geometry::{CompiledShape, Quick, ShapeError, ZoneShape};
use crate::observation::DeviceId;
use crate::prefetch;
use crate::schedule::{
    AuthorisedAbsence, CurfewPlan, ExtraCurfew, Interval, ScheduleError, TimeZone, Timetable,
    WeeklySlot, WindowOrigin,
};
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

/// A validated policy, prepared for judging. Shared by the client's monitor and its snapshots.
///
/// In C order, so that what judging an observation reads comes first, in the first lines of
/// the allocation, and the policy as written (read when an episode opens) comes last: with many
/// clients every observation finds its client's policy out of the caches, and the fewer lines
/// it needs the fewer it waits for.
#[derive(Debug)]
#[repr(C)]
pub struct CompiledPolicy {
    /// Per zone, what judging a fix reads first (see [`HotZone`]), side by side.
    pub(crate) hot_zones: Vec<HotZone>,
    pub zones: Vec<CompiledZone>,
    pub addresses: Vec<CompiledAddress>,
    /// The curfew's tolerances (the defaults when the order has no curfew).
    pub grace: CurfewGrace,
    pub period: Interval,
    /// The source's health limits and victim-proximity rules, copied here because every
    /// observation reads them, and the source lies far from these first lines.
    pub(crate) health: HealthPolicy,
    pub(crate) proximity: Box<[ProximityRule]>,
    /// Whether `curfew` is some: read for every observation, and `curfew` is long.
    pub(crate) has_curfew: bool,
    pub curfew: Option<CurfewPlan>,
    pub source: MonitoringPolicy,
}

/// What judging a fix reads of a zone before anything else: its boxes in degrees (which decide
/// most fixes, see [`crate::geometry`]), its kind and whether it has a warning band. One cache
/// line each, so that a client's zones are fetched as a few lines in a row rather than the
/// whole of each [`CompiledZone`].
#[derive(Debug, Clone, Copy)]
#[repr(align(64))]
pub(crate) struct HotZone {
    pub quick: Quick,
    /// The address of the shape's out-of-line part (a polygon's grid; 0 for a circle), for
    /// fetching ahead only, never read through (so no `unsafe`, and the policy stays `Send` and
    /// `Sync`; the part is boxed, so it stays where it is). Its low bits, which an 8-aligned
    /// address leaves free, hold the kind and whether there is a warning band: the boxes fill
    /// the rest of the line.
    tagged: usize,
}

impl HotZone {
    const EXCLUSION: usize = 1;
    const WARNS: usize = 2;
    const TAGS: usize = 7;

    fn new(zone: &CompiledZone) -> HotZone {
        let address = zone.shape.out_of_line().0;
        debug_assert_eq!(address & HotZone::TAGS, 0, "boxed parts are 8-aligned");
        let mut tagged = address & !HotZone::TAGS;
        if zone.kind == ZoneKind::Exclusion {
            tagged |= HotZone::EXCLUSION;
        }
        if zone.warning_m.is_some() {
            tagged |= HotZone::WARNS;
        }
        HotZone {
            quick: zone.shape.quick(),
            tagged,
        }
    }

    pub fn kind(&self) -> ZoneKind {
        if self.tagged & HotZone::EXCLUSION != 0 {
            ZoneKind::Exclusion
        } else {
            ZoneKind::Inclusion
        }
    }

    pub fn warns(&self) -> bool {
        self.tagged & HotZone::WARNS != 0
    }

    /// Fetches ahead what classifying a fix at `at` will read of the zone beyond this line,
    /// unless the boxes decide it.
    pub fn prefetch_for(&self, zone: &CompiledZone, at: crate::geometry::GeoPoint, accuracy: f64) {
        if self.quick.side(at, accuracy, 0.0).is_none() {
            // The shape comes first in the zone, and its frame first after the boxes.
            prefetch::range(&zone.shape, 2 * 64);
            let out_of_line = self.tagged & !HotZone::TAGS;
            if out_of_line != 0 {
                prefetch::range(out_of_line as *const u8, POLYGONS_HOT);
            }
        }
    }
}

/// What judging a fix reads of a victim-proximity rule: the source's, but its id.
#[derive(Debug, Clone)]
pub(crate) struct ProximityRule {
    pub victim_device: DeviceId,
    pub alarm_m: f64,
    pub release_m: f64,
    pub warning_m: Option<f64>,
    pub max_fix_gap: Span,
    pub confirm: Confirmation,
}

impl ProximityRule {
    fn new(p: &VictimProximity) -> ProximityRule {
        ProximityRule {
            victim_device: p.victim_device,
            alarm_m: p.alarm_m,
            release_m: p.release_m,
            warning_m: p.warning_m,
            max_fix_gap: p.max_fix_gap,
            confirm: p.confirm.clone(),
        }
    }
}

/// What classifying a fix reads of a polygon set's out-of-line part before its cells.
const POLYGONS_HOT: usize = 192;

/// The shape first (C order), its boxes and frame at the start.
#[derive(Debug)]
#[repr(C)]
pub struct CompiledAddress {
    pub shape: CompiledShape,
    pub home_unit: Option<DeviceId>,
}

/// The shape first (C order), its boxes and frame at the start: see [`HotZone::prefetch_for`].
#[derive(Debug)]
#[repr(C)]
pub struct CompiledZone {
    pub shape: CompiledShape,
    pub kind: ZoneKind,
    pub valid: Interval,
    /// Read only when the zone starts or stops applying, so kept out of line.
    pub schedule: Option<Box<Timetable>>,
    pub warning_m: Option<f64>,
    /// Read when a fix changes side or comes back from a breach.
    pub confirm: Confirmation,
}

impl MonitoringPolicy {
    /// Checks the policy whole and prepares it for judging.
    pub fn compile(self) -> Result<CompiledPolicy, PolicyError> {
        let period = self.checked_period()?;
        self.check_devices()?;
        let addresses = self.compile_addresses()?;
        let curfew = match &self.curfew {
            Some(curfew) => Some(self.compile_curfew(curfew)?),
            None => None,
        };
        let zones = self.compile_zones()?;
        self.check_zone_contradictions(&addresses, &zones)?;
        self.check_proximity()?;
        self.check_health()?;
        let grace = self
            .curfew
            .as_ref()
            .map(|c| c.grace.clone())
            .unwrap_or_default();
        let hot_zones = zones.iter().map(HotZone::new).collect();
        Ok(CompiledPolicy {
            hot_zones,
            health: self.health.clone(),
            proximity: self.proximity.iter().map(ProximityRule::new).collect(),
            has_curfew: curfew.is_some(),
            source: self,
            period,
            addresses,
            curfew,
            zones,
            grace,
        })
    }

    fn checked_period(&self) -> Result<Interval, PolicyError> {
        period(
            "the monitoring period",
            self.monitoring_from,
            self.monitoring_until,
        )
    }

    fn check_devices(&self) -> Result<(), PolicyError> {
        if self.devices.is_empty() {
            return Err(PolicyError::NoDevices);
        }
        if self.devices.len() > MAX_DEVICES {
            return Err(PolicyError::TooManyDevices(self.devices.len()));
        }
        let mut seen = HashSet::new();
        for device in &self.devices {
            if device.id == 0 {
                return Err(PolicyError::ZeroDevice);
            }
            if !seen.insert(device.id) {
                return Err(PolicyError::DuplicateDevice(device.id));
            }
            if let Some(span) = device.comm_lost_after {
                positive(&format!("device {} comm_lost_after", device.id), span)?;
            }
        }
        Ok(())
    }

    fn compile_addresses(&self) -> Result<Vec<CompiledAddress>, PolicyError> {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(self.addresses.len());
        for address in &self.addresses {
            if !seen.insert(address.id.as_str()) {
                return Err(PolicyError::DuplicateAddress(address.id.clone()));
            }
            let shape = CompiledShape::compile(&address.zone).map_err(|source| {
                PolicyError::AddressShape {
                    address: address.id.clone(),
                    source,
                }
            })?;
            if let Some(unit) = address.home_unit {
                let is_home_unit = self
                    .devices
                    .iter()
                    .any(|d| d.id == unit && d.kind == DeviceKind::HomeUnit);
                if !is_home_unit {
                    return Err(PolicyError::UnknownHomeUnit {
                        address: address.id.clone(),
                        device: unit,
                    });
                }
            }
            out.push(CompiledAddress {
                shape,
                home_unit: address.home_unit,
            });
        }
        Ok(out)
    }

    fn address_index(&self, id: &str) -> Result<u16, PolicyError> {
        self.addresses
            .iter()
            .position(|a| a.id == id)
            .and_then(|i| u16::try_from(i).ok())
            .ok_or_else(|| PolicyError::UnknownAddress(id.to_owned()))
    }

    fn compile_curfew(&self, curfew: &Curfew) -> Result<CurfewPlan, PolicyError> {
        let g = &curfew.grace;
        for (what, span) in [
            ("curfew grace late_arrival", g.late_arrival),
            ("curfew grace early_departure", g.early_departure),
            ("curfew grace absence", g.absence),
        ] {
            non_negative(what, span)?;
        }
        positive("curfew grace presence_valid_for", g.presence_valid_for)?;
        positive("curfew grace fix_valid_for", g.fix_valid_for)?;
        let mut slots = Vec::new();
        for entry in &curfew.timetable {
            let address = self.address_index(&entry.address)?;
            slots.extend(entry.slots.iter().map(|s| (s.clone(), address)));
        }
        let timetable = Timetable::new(self.time_zone, &slots)?;
        let mut extras = Vec::new();
        for (extra, origin) in curfew.extra.iter().map(|e| (e, WindowOrigin::Extra)).chain(
            curfew
                .first_night
                .iter()
                .map(|e| (e, WindowOrigin::FirstNight)),
        ) {
            let span = period(
                &format!("extra curfew `{}`", extra.id),
                Some(extra.from),
                Some(extra.until),
            )?;
            extras.push((span, self.address_index(&extra.address)?, origin));
        }
        let mut absences = Vec::new();
        for absence in &curfew.absences {
            absences.push(period(
                &format!("authorised absence `{}`", absence.id),
                Some(absence.from),
                Some(absence.until),
            )?);
        }
        Ok(CurfewPlan::new(timetable, extras, absences)?)
    }

    fn compile_zones(&self) -> Result<Vec<CompiledZone>, PolicyError> {
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(self.zones.len());
        for zone in &self.zones {
            if !seen.insert(zone.id.as_str()) {
                return Err(PolicyError::DuplicateZone(zone.id.clone()));
            }
            let shape =
                CompiledShape::compile(&zone.shape).map_err(|source| PolicyError::ZoneShape {
                    zone: zone.id.clone(),
                    source,
                })?;
            let valid = period(
                &format!("zone `{}` validity", zone.id),
                zone.valid_from,
                zone.valid_until,
            )?;
            let schedule = if zone.schedule.is_empty() {
                None
            } else {
                let slots: Vec<_> = zone.schedule.iter().map(|s| (s.clone(), 0)).collect();
                Some(Timetable::new(self.time_zone, &slots).map_err(|source| {
                    PolicyError::ZoneSchedule {
                        zone: zone.id.clone(),
                        source,
                    }
                })?)
            };
            if let Some(buffer) = zone.warning_buffer_m {
                distance(&format!("zone `{}` warning_buffer_m", zone.id), buffer)?;
            }
            check_confirmation(&format!("zone `{}`", zone.id), &zone.confirm)?;
            out.push(CompiledZone {
                kind: zone.kind,
                shape,
                valid,
                schedule: schedule.map(Box::new),
                warning_m: zone.warning_buffer_m.filter(|b| *b > 0.0),
                confirm: zone.confirm.clone(),
            });
        }
        Ok(out)
    }

    /// Zones that no behaviour could satisfy are a mistake in the order, not a breach.
    fn check_zone_contradictions(
        &self,
        addresses: &[CompiledAddress],
        zones: &[CompiledZone],
    ) -> Result<(), PolicyError> {
        let curfew_addresses: HashSet<&str> = self
            .curfew
            .iter()
            .flat_map(|c| {
                c.timetable
                    .iter()
                    .map(|t| t.address.as_str())
                    .chain(c.extra.iter().map(|e| e.address.as_str()))
                    .chain(c.first_night.iter().map(|e| e.address.as_str()))
            })
            .collect();
        for (zone, compiled) in self.zones.iter().zip(zones) {
            for (address, shape) in self.addresses.iter().zip(addresses) {
                if !curfew_addresses.contains(address.id.as_str()) || !zone.schedule.is_empty() {
                    continue;
                }
                match zone.kind {
                    ZoneKind::Exclusion if compiled.shape.overlaps(&shape.shape) => {
                        return Err(PolicyError::ExclusionCoversAddress {
                            zone: zone.id.clone(),
                            address: address.id.clone(),
                        });
                    }
                    ZoneKind::Inclusion if !compiled.shape.contains(&shape.shape) => {
                        return Err(PolicyError::AddressOutsideInclusion {
                            zone: zone.id.clone(),
                            address: address.id.clone(),
                        });
                    }
                    _ => {}
                }
            }
        }
        for (exclusion, ex) in self.zones.iter().zip(zones) {
            for (inclusion, inc) in self.zones.iter().zip(zones) {
                if exclusion.kind == ZoneKind::Exclusion
                    && inclusion.kind == ZoneKind::Inclusion
                    && ex.shape.contains(&inc.shape)
                {
                    return Err(PolicyError::ExclusionCoversInclusion {
                        exclusion: exclusion.id.clone(),
                        inclusion: inclusion.id.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    fn check_proximity(&self) -> Result<(), PolicyError> {
        for p in &self.proximity {
            let what = format!("victim proximity `{}`", p.id);
            if self.devices.iter().any(|d| d.id == p.victim_device) || p.victim_device == 0 {
                return Err(PolicyError::VictimDeviceIsClients {
                    id: p.id.clone(),
                    device: p.victim_device,
                });
            }
            distance(&format!("{what} alarm_m"), p.alarm_m)?;
            distance(&format!("{what} release_m"), p.release_m)?;
            if p.alarm_m <= 0.0 {
                return Err(bad(&what, "alarm_m must be more than 0"));
            }
            if p.release_m < p.alarm_m {
                return Err(bad(&what, "release_m must be at least alarm_m"));
            }
            if let Some(w) = p.warning_m {
                distance(&format!("{what} warning_m"), w)?;
                if w <= p.alarm_m {
                    return Err(bad(&what, "warning_m must be more than alarm_m"));
                }
            }
            positive(&format!("{what} max_fix_gap"), p.max_fix_gap)?;
            check_confirmation(&what, &p.confirm)?;
        }
        Ok(())
    }

    fn check_health(&self) -> Result<(), PolicyError> {
        let h = &self.health;
        positive("health comm_lost_tag", h.comm_lost_tag)?;
        positive("health comm_lost_home_unit", h.comm_lost_home_unit)?;
        positive("health clock_skew_limit", h.clock_skew_limit)?;
        if h.battery_low_pct > 100 || h.battery_critical_pct > h.battery_low_pct {
            return Err(bad(
                "health",
                "battery thresholds must satisfy critical <= low <= 100",
            ));
        }
        if let Some(every) = h.charge_every {
            positive("health charge_every", every)?;
        }
        if let Some(m) = &h.motion_without_fix {
            positive("health motion_without_fix motion", m.motion)?;
            positive("health motion_without_fix within", m.within)?;
            if m.motion > m.within {
                return Err(bad(
                    "health motion_without_fix",
                    "motion cannot be longer than within",
                ));
            }
        }
        Ok(())
    }
}

fn bad(what: &str, reason: &str) -> PolicyError {
    PolicyError::BadSetting {
        what: what.to_owned(),
        reason: reason.to_owned(),
    }
}

fn period(
    what: &str,
    from: Option<Timestamp>,
    until: Option<Timestamp>,
) -> Result<Interval, PolicyError> {
    let span = Interval {
        start: from.unwrap_or(Timestamp::MIN),
        end: until.unwrap_or(Timestamp::MAX),
    };
    if span.end <= span.start {
        return Err(PolicyError::EmptyPeriod {
            what: what.to_owned(),
            from: span.start,
            until: span.end,
        });
    }
    Ok(span)
}

fn distance(what: &str, value: f64) -> Result<(), PolicyError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(PolicyError::BadDistance {
            what: what.to_owned(),
            value,
        })
    }
}

fn non_negative(what: &str, value: Span) -> Result<(), PolicyError> {
    if value >= Span::ZERO {
        Ok(())
    } else {
        Err(PolicyError::NegativeSpan {
            what: what.to_owned(),
            value,
        })
    }
}

fn positive(what: &str, value: Span) -> Result<(), PolicyError> {
    if value > Span::ZERO {
        Ok(())
    } else {
        Err(bad(what, "must be longer than 0s"))
    }
}

fn check_confirmation(what: &str, c: &Confirmation) -> Result<(), PolicyError> {
    if c.fixes == 0 || c.fixes > 20 {
        return Err(bad(what, "confirm.fixes must be between 1 and 20"));
    }
    non_negative(&format!("{what} confirm.dwell"), c.dwell)?;
    positive(&format!("{what} confirm.unknown_after"), c.unknown_after)?;
    distance(&format!("{what} confirm.hysteresis_m"), c.hysteresis_m)
}

impl CompiledPolicy {
    pub fn client(&self) -> ClientId {
        self.source.client
    }

    pub fn revision(&self) -> u32 {
        self.source.revision
    }

    /// The index of one of the client's own devices.
    pub fn device_index(&self, device: DeviceId) -> Option<usize> {
        self.source.devices.iter().position(|d| d.id == device)
    }

    pub fn comm_lost_after(&self, index: usize) -> Span {
        let device = &self.source.devices[index];
        device.comm_lost_after.unwrap_or(match device.kind {
            DeviceKind::Tag => self.health.comm_lost_tag,
            DeviceKind::HomeUnit => self.health.comm_lost_home_unit,
        })
    }

    /// Whether `device` is one of the client's tags.
    pub fn is_tag(&self, device: DeviceId) -> bool {
        self.device_index(device)
            .is_some_and(|i| self.source.devices[i].kind == DeviceKind::Tag)
    }

    /// Whether zone `index` applies at `t` (its validity period and weekly schedule).
    pub fn zone_active(&self, index: usize, t: Timestamp) -> bool {
        let zone = &self.zones[index];
        zone.valid.start <= t
            && t < zone.valid.end
            && zone
                .schedule
                .as_ref()
                .is_none_or(|s| s.occurrence_at(t).is_some())
    }

    /// The next instant after `t` at which zone `index` may start or stop applying.
    pub fn zone_next_change(&self, index: usize, t: Timestamp) -> Timestamp {
        let zone = &self.zones[index];
        let mut next = Timestamp::MAX;
        for edge in [zone.valid.start, zone.valid.end] {
            if edge > t {
                next = next.min(edge);
            }
        }
        if let Some(schedule) = &zone.schedule {
            if let Some((now, _)) = schedule.occurrence_at(t) {
                next = next.min(now.end);
            } else if let Some((upcoming, _)) = schedule.next_occurrence_after(t) {
                next = next.min(upcoming.start);
            }
        }
        next
    }

    /// Heap and inline bytes of the compiled policy, for the memory benchmark.
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.hot_zones.capacity() * std::mem::size_of::<HotZone>()
            + std::mem::size_of_val(&*self.proximity)
            + self
                .addresses
                .iter()
                .map(|a| std::mem::size_of_val(a) + a.shape.heap_bytes())
                .sum::<usize>()
            + self
                .zones
                .iter()
                .map(|z| std::mem::size_of_val(z) + z.shape.heap_bytes())
                .sum::<usize>()
    }
}
