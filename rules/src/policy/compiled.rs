//! The compiled policy: a validated policy laid out for judging, what judging an observation
//! reads first placed first (the zones' hot lines, the tolerances), the policy as written last,
//! and the questions the engine asks of it (device indexes, when a zone applies).

use crate::geometry::{CompiledShape, Quick};
use crate::observation::DeviceId;
use crate::prefetch;
use crate::schedule::{CurfewPlan, Interval, Timetable};
use crate::time::{Span, Timestamp};

use super::capability::Capability;
use super::written::{
    ClientId, Confirmation, CurfewGrace, DeviceKind, HealthPolicy, MonitoringPolicy,
    VictimProximity, ZoneKind,
};

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
    /// The zones, compiled, in the policy's order.
    pub zones: Vec<CompiledZone>,
    /// The curfew addresses, compiled, in the policy's order (curfew windows name them by index).
    pub addresses: Vec<CompiledAddress>,
    /// The curfew's tolerances (the defaults when the order has no curfew).
    pub grace: CurfewGrace,
    /// The monitored period; nothing outside it is judged.
    pub period: Interval,
    /// The source's health limits and victim-proximity rules, copied here because every
    /// observation reads them, and the source lies far from these first lines.
    pub(crate) health: HealthPolicy,
    pub(crate) proximity: Box<[ProximityRule]>,
    /// Whether `curfew` is some: read for every observation, and `curfew` is long.
    pub(crate) has_curfew: bool,
    /// The curfew's windows over time, if the order sets a curfew.
    pub curfew: Option<CurfewPlan>,
    /// The policy as written, for the episodes' context and for showing it back.
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

    pub(super) fn new(zone: &CompiledZone) -> HotZone {
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
    pub(super) fn new(p: &VictimProximity) -> ProximityRule {
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
    /// The area counted as at the address.
    pub shape: CompiledShape,
    /// The home unit there, whose presence reports count as at the address.
    pub home_unit: Option<DeviceId>,
}

/// The shape first (C order), its boxes and frame at the start: see `HotZone::prefetch_for` (private).
#[derive(Debug)]
#[repr(C)]
pub struct CompiledZone {
    /// The zone's area.
    pub shape: CompiledShape,
    /// Whether the client must stay inside or keep out.
    pub kind: ZoneKind,
    /// When the zone applies at all (its validity dates).
    pub valid: Interval,
    /// Read only when the zone starts or stops applying, so kept out of line.
    pub schedule: Option<Box<Timetable>>,
    /// The warning band inside the breach edge, in metres, if the order sets one.
    pub warning_m: Option<f64>,
    /// Read when a fix changes side or comes back from a breach.
    pub confirm: Confirmation,
}

impl CompiledPolicy {
    /// The probation client the policy monitors.
    pub fn client(&self) -> ClientId {
        self.source.client
    }

    /// The order revision the policy was compiled from, stamped on every episode it judges.
    pub fn revision(&self) -> u32 {
        self.source.revision
    }

    /// The index of one of the client's own devices.
    pub fn device_index(&self, device: DeviceId) -> Option<usize> {
        self.source.devices.iter().position(|d| d.id == device)
    }

    /// How long the device at `index` may be silent before communication counts as lost: its own
    /// setting if the policy gives one, else the health policy's for its kind.
    pub fn comm_lost_after(&self, index: usize) -> Span {
        let device = &self.source.devices[index];
        device.comm_lost_after.unwrap_or(match device.kind {
            DeviceKind::HomeUnit => self.health.comm_lost_home_unit,
            // A tracker is carried as a tag is, and is as silent when it is taken off.
            DeviceKind::Tag | DeviceKind::RfTag | DeviceKind::Tracker | DeviceKind::Phone => {
                self.health.comm_lost_tag
            }
        })
    }

    /// Whether `device` is a device the client wears that a home unit can hear (a tag): only
    /// then does a home unit's PRESENCE report about it say where the client is.
    pub fn heard_by_home_unit(&self, device: DeviceId) -> bool {
        self.device_index(device).is_some_and(|i| {
            let kind = self.source.devices[i].kind;
            kind.on_body() && kind.capabilities().can(Capability::RfPresence)
        })
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
