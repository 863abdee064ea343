//! Inclusion and exclusion zones, and victim proximity: where the client may and may not be.
//!
//! Both judge fixes through [`SideTracker`], so drift at an edge needs the same confirmation
//! everywhere. A zone applies only within its validity period and weekly schedule; when it
//! stops applying, an open breach of it ends there.

use crate::book::{Book, CondKey};
use crate::confirm::{SideTracker, Tracked, Verdict, WarningVerdict};
use crate::episode::BreachKind;
use crate::geometry::{GeoPoint, Side, distance_m_fast, surely_beyond};
use crate::observation::{CompactRef, EvidenceRef};
use crate::policy::{CompiledPolicy, ZoneKind};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ZoneState {
    tracker: SideTracker,
    active: bool,
    /// When the zone next starts or stops applying.
    next_change: Timestamp,
}

impl ZoneState {
    pub fn new() -> Self {
        ZoneState {
            tracker: SideTracker::default(),
            active: false,
            next_change: Timestamp::MIN,
        }
    }

    fn tracked(policy: &CompiledPolicy, index: usize) -> Tracked<'_> {
        let (breach, warning) = match policy.hot_zones[index].kind() {
            ZoneKind::Exclusion => (
                BreachKind::ExclusionZoneEntered,
                BreachKind::ExclusionZoneApproached,
            ),
            ZoneKind::Inclusion => (BreachKind::InclusionZoneLeft, BreachKind::InclusionZoneEdge),
        };
        Tracked {
            policy,
            key: CondKey::Zone(index as u16),
            breach,
            warning,
            confirm: &policy.zones[index].confirm,
        }
    }

    pub fn deadline(&self) -> Timestamp {
        self.next_change
    }

    /// Crosses the zone's next start or stop, if it is at `t`.
    pub fn on_deadline(
        &mut self,
        policy: &CompiledPolicy,
        index: usize,
        t: Timestamp,
        book: &mut Book,
    ) {
        if t < self.next_change {
            return;
        }
        let active = policy.zone_active(index, t);
        if self.active && !active {
            self.tracker.stop(Self::tracked(policy, index), t, book);
        }
        if active && !self.active {
            self.tracker = SideTracker::default();
        }
        self.active = active;
        self.next_change = policy.zone_next_change(index, t);
    }

    pub fn on_fix(
        &mut self,
        policy: &CompiledPolicy,
        index: usize,
        at: GeoPoint,
        accuracy_m: f64,
        proof: EvidenceRef,
        book: &mut Book,
    ) {
        if !self.active {
            return;
        }
        let c = Self::tracked(policy, index);
        // The zone's hot line decides most fixes; the rest of it is read only when not.
        let hot = &policy.hot_zones[index];
        let zone = &policy.zones[index];
        let (violating_side, compliant_side) = match hot.kind() {
            ZoneKind::Exclusion => (Side::Inside, Side::Outside),
            ZoneKind::Inclusion => (Side::Outside, Side::Inside),
        };
        let side = hot
            .quick
            .side(at, accuracy_m, 0.0)
            .unwrap_or_else(|| zone.shape.classify(at, accuracy_m, 0.0));
        let verdict = if side == violating_side {
            Verdict::Violating
        } else if self.tracker.in_breach {
            // The way back needs the hysteresis margin beyond the edge.
            if zone.shape.classify(at, accuracy_m, c.confirm.hysteresis_m) == compliant_side {
                Verdict::Compliant
            } else {
                Verdict::Undecided
            }
        } else if side == compliant_side {
            Verdict::Compliant
        } else {
            Verdict::Undecided
        };
        let t = proof.device_time;
        self.tracker.decide(c, verdict, t, &[proof], book);
        if hot.warns()
            && let Some(band) = zone.warning_m
        {
            let w = warning_verdict(
                zone.kind,
                zone.shape.signed_distance_m(at),
                accuracy_m,
                band,
            );
            self.tracker.warn(c, w, t, &[proof], book);
        }
    }

    pub fn pending_since(&self) -> Option<Timestamp> {
        self.tracker.pending_since()
    }

    pub fn is_breach(&self) -> bool {
        self.tracker.in_breach
    }

    pub fn is_unknown(&self, policy: &CompiledPolicy, index: usize, now: Timestamp) -> bool {
        self.active
            && self
                .tracker
                .is_unknown(now, policy.zones[index].confirm.unknown_after)
    }
}

/// The warning band lies along the edge on the compliant side, `band` metres wide; a fix is in
/// it only when its whole accuracy circle is.
fn warning_verdict(kind: ZoneKind, signed_m: f64, accuracy_m: f64, band: f64) -> WarningVerdict {
    // Distance from the edge measured towards the compliant side.
    let clearance = match kind {
        ZoneKind::Exclusion => signed_m,
        ZoneKind::Inclusion => -signed_m,
    };
    if clearance >= accuracy_m && clearance + accuracy_m <= band {
        WarningVerdict::Within
    } else if clearance - accuracy_m > band {
        WarningVerdict::Clear
    } else {
        WarningVerdict::Undecided
    }
}

/// The latest fix of one side of a proximity pair; the compact proof leaves `Option` a niche.
#[derive(Copy, Clone, Debug, Serialize, Deserialize)]
struct PairFix {
    at: GeoPoint,
    accuracy_m: f32,
    proof: CompactRef,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct ProximityState {
    tracker: SideTracker,
    client: Option<PairFix>,
    victim: Option<PairFix>,
}

impl ProximityState {
    fn tracked(policy: &CompiledPolicy, index: usize) -> Tracked<'_> {
        Tracked {
            policy,
            key: CondKey::Proximity(index as u16),
            breach: BreachKind::VictimProximity,
            warning: BreachKind::VictimProximityWarning,
            confirm: &policy.proximity[index].confirm,
        }
    }

    /// A fix of the client's tag (`from_victim` false) or of the victim's device.
    #[allow(clippy::too_many_arguments)]
    pub fn on_fix(
        &mut self,
        policy: &CompiledPolicy,
        index: usize,
        from_victim: bool,
        at: GeoPoint,
        accuracy_m: f64,
        proof: EvidenceRef,
        book: &mut Book,
    ) {
        let fix = PairFix {
            at,
            accuracy_m: accuracy_m as f32,
            proof: CompactRef::new(proof),
        };
        let other = if from_victim {
            self.victim = Some(fix);
            self.client
        } else {
            self.client = Some(fix);
            self.victim
        };
        let Some(other) = other else { return };
        let other_proof = other.proof.get();
        let rule = &policy.proximity[index];
        let t = proof.device_time;
        if t.since(other_proof.device_time).millis().abs() > rule.max_fix_gap.millis() {
            return;
        }
        let slack = accuracy_m + f64::from(other.accuracy_m);
        let c = Self::tracked(policy, index);
        // Surely farther than every limit with both accuracies (most pairs, most of the time):
        // the verdicts below are compliant and clear, known without the distance.
        let limit = rule
            .alarm_m
            .max(rule.release_m)
            .max(rule.warning_m.unwrap_or(0.0));
        let d = if slack >= 0.0 && surely_beyond(at, other.at, limit + slack) {
            f64::INFINITY
        } else {
            distance_m_fast(at, other.at)
        };
        let verdict = if d + slack <= rule.alarm_m {
            Verdict::Violating
        } else if d - slack
            > if self.tracker.in_breach {
                rule.release_m
            } else {
                rule.alarm_m
            }
        {
            Verdict::Compliant
        } else {
            Verdict::Undecided
        };
        let pair = [proof, other_proof];
        self.tracker.decide(c, verdict, t, &pair, book);
        if let Some(warning_m) = rule.warning_m {
            let w = if d + slack <= warning_m {
                WarningVerdict::Within
            } else if d - slack > warning_m {
                WarningVerdict::Clear
            } else {
                WarningVerdict::Undecided
            };
            self.tracker.warn(c, w, t, &pair, book);
        }
    }

    pub fn pending_since(&self) -> Option<Timestamp> {
        self.tracker.pending_since()
    }

    pub fn is_breach(&self) -> bool {
        self.tracker.in_breach
    }

    pub fn is_unknown(&self, policy: &CompiledPolicy, index: usize, now: Timestamp) -> bool {
        self.tracker
            .is_unknown(now, policy.proximity[index].confirm.unknown_after)
    }
}
