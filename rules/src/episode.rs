//! Breach episodes: what the engine yields, and the book in which a client's state keeps them.
//!
//! An episode is one continuous breach of one condition: it opens, may be updated (its kind
//! becomes clearer, more evidence arrives, late data moves its start), closes, or is withdrawn
//! when later data shows there was none. The caller persists episodes by id; the engine only
//! ever says what changed.

use serde::{Deserialize, Serialize};

use crate::observation::{DeviceId, EvidenceRef};
use crate::policy::ClientId;
use crate::time::Timestamp;

/// An episode's id, unique within its client: the same breach keeps it through updates and
/// re-judgement. Ids are issued in order, from 1, when an episode is first told.
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
pub struct EpisodeId(pub u64);

impl EpisodeId {
    /// Judged but not yet told: no id issued.
    pub(crate) const UNTOLD: EpisodeId = EpisodeId(0);
}

/// Which of the policy's conditions an episode is about.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "condition", rename_all = "snake_case")]
pub enum ConditionRef {
    /// The curfew (at whichever address the timetable names).
    Curfew,
    /// An inclusion or exclusion zone.
    Zone {
        /// The zone's name in the policy.
        id: String,
    },
    /// A victim-proximity rule.
    Proximity {
        /// The rule's name in the policy.
        id: String,
    },
    /// The health of one of the policy's devices.
    Device {
        /// The device at fault.
        device: DeviceId,
    },
}

/// What kind of breach.
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
#[serde(rename_all = "snake_case")]
pub enum BreachKind {
    /// Not at the address when a curfew started, beyond the grace period; arrived later.
    LateArrival,
    /// Left the address before the curfew ended, beyond the grace period.
    EarlyDeparture,
    /// Left and came back during a curfew.
    AbsentDuringCurfew,
    /// Not at the address at any time during the curfew.
    AbsentEntireCurfew,
    /// Entered an exclusion zone while it applied.
    ExclusionZoneEntered,
    /// Left an inclusion zone while it applied.
    InclusionZoneLeft,
    /// Warning: close to entering an exclusion zone.
    ExclusionZoneApproached,
    /// Warning: close to the edge of an inclusion zone.
    InclusionZoneEdge,
    /// Closer to the victim's device than the policy's alarm distance.
    VictimProximity,
    /// Warning: closer to the victim than the warning distance.
    VictimProximityWarning,
    /// A device silent for longer than the policy allows.
    CommunicationLost,
    /// The tag's strap is open or cut.
    StrapOpened,
    /// The device's case is open.
    CaseOpened,
    /// The tag is not against the client's skin.
    SkinContactLost,
    /// The battery is at or below the policy's low threshold.
    BatteryLow,
    /// The battery is at or below the policy's critical threshold.
    BatteryCritical,
    /// The tag was not put on charge as often as the policy requires.
    NotCharged,
    /// The device suspects its radio is being jammed.
    JammingSuspected,
    /// The device suspects it is being shielded.
    ShieldingSuspected,
    /// A home unit has lost mains power.
    MainsPowerLost,
    /// The tag moved for long without a GPS fix: suggests shielding.
    MotionWithoutFix,
    /// The device's clock is further from the receive time than the policy allows.
    ClockSkewed,
}

/// What an open episode of a kind says about the probation client (docs/rules.md, "Breaches,
/// warnings and device faults"): the client's state at a glance and the court summary both sort
/// episodes by it, so that they never disagree about what counts as a breach.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindClass {
    /// The client broke a condition of the order: curfew, zones, proximity, interfering with
    /// the tag.
    Breach,
    /// Close to a breach, not one.
    Warning,
    /// About the device or the data, not the client's conduct: what the client did meanwhile
    /// is not known from it.
    DeviceFault,
}

/// How urgent a breach is; the alerts part may re-map these.
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
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Not a breach yet: close to one.
    Warning,
    /// Can wait for working hours (a low battery, a skewed clock).
    Low,
    /// Needs attention soon (critical battery, suspected jamming or shielding).
    Medium,
    /// A breach of the order to act on (curfew, leaving an inclusion zone, communication lost).
    High,
    /// Act at once: the strap opened, an exclusion zone entered, the victim approached.
    Critical,
}

impl BreachKind {
    /// Every kind, in the enumeration's order (the alert queue's class filter lists them).
    pub const ALL: [BreachKind; 22] = {
        use BreachKind::*;
        [
            LateArrival,
            EarlyDeparture,
            AbsentDuringCurfew,
            AbsentEntireCurfew,
            ExclusionZoneEntered,
            InclusionZoneLeft,
            ExclusionZoneApproached,
            InclusionZoneEdge,
            VictimProximity,
            VictimProximityWarning,
            CommunicationLost,
            StrapOpened,
            CaseOpened,
            SkinContactLost,
            BatteryLow,
            BatteryCritical,
            NotCharged,
            JammingSuspected,
            ShieldingSuspected,
            MainsPowerLost,
            MotionWithoutFix,
            ClockSkewed,
        ]
    };

    /// How urgent a breach of this kind is, before the alerts part re-maps it.
    pub fn severity(self) -> Severity {
        use BreachKind::*;
        match self {
            ExclusionZoneApproached | InclusionZoneEdge | VictimProximityWarning => {
                Severity::Warning
            }
            BatteryLow | ClockSkewed | NotCharged => Severity::Low,
            BatteryCritical | SkinContactLost | MainsPowerLost | MotionWithoutFix
            | JammingSuspected | ShieldingSuspected => Severity::Medium,
            LateArrival | EarlyDeparture | AbsentDuringCurfew | AbsentEntireCurfew
            | InclusionZoneLeft | CommunicationLost | CaseOpened => Severity::High,
            StrapOpened | VictimProximity | ExclusionZoneEntered => Severity::Critical,
        }
    }

    /// Whether this kind is the client's breach, a warning, or a device fault.
    pub fn class(self) -> KindClass {
        use BreachKind::*;
        match self {
            LateArrival | EarlyDeparture | AbsentDuringCurfew | AbsentEntireCurfew
            | ExclusionZoneEntered | InclusionZoneLeft | VictimProximity | StrapOpened
            | CaseOpened | SkinContactLost | JammingSuspected | ShieldingSuspected => {
                KindClass::Breach
            }
            ExclusionZoneApproached | InclusionZoneEdge | VictimProximityWarning => {
                KindClass::Warning
            }
            CommunicationLost | BatteryLow | BatteryCritical | NotCharged | MainsPowerLost
            | MotionWithoutFix | ClockSkewed => KindClass::DeviceFault,
        }
    }

    /// Judged by receive time as frames arrive, and so never judged again from a checkpoint.
    pub fn judged_by_arrival(self) -> bool {
        matches!(
            self,
            BreachKind::CommunicationLost | BreachKind::ClockSkewed
        )
    }

    /// Kinds that one ongoing episode may move between as its shape becomes clear: a late
    /// arrival becomes "absent for the entire curfew" when the client never arrives.
    pub fn family(self) -> BreachKind {
        use BreachKind::*;
        match self {
            LateArrival | EarlyDeparture | AbsentDuringCurfew | AbsentEntireCurfew => LateArrival,
            other => other,
        }
    }
}

/// One breach of one condition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// The episode's id within its client; kept through updates.
    pub id: EpisodeId,
    /// The probation client in breach.
    pub client: ClientId,
    /// The condition of the policy that is breached.
    pub condition: ConditionRef,
    /// What kind of breach; may change within its [`BreachKind::family`] as it becomes clearer.
    pub kind: BreachKind,
    /// How urgent it is ([`BreachKind::severity`] of its kind).
    pub severity: Severity,
    /// In event time (device time).
    pub start: Timestamp,
    /// `None` while it goes on.
    pub end: Option<Timestamp>,
    /// The observations that prove it: those that established it, and the one that ended it.
    pub evidence: Vec<EvidenceRef>,
    /// The policy revision that judged it.
    pub policy_revision: u32,
}

/// At most this many observations are kept as an episode's proof.
pub const EVIDENCE_CAP: usize = 8;

impl Episode {
    /// Whether the breach is still going on.
    pub fn is_open(&self) -> bool {
        self.end.is_none()
    }

    fn overlaps(&self, other: &Episode) -> bool {
        let self_end = self.end.unwrap_or(Timestamp::MAX);
        let other_end = other.end.unwrap_or(Timestamp::MAX);
        self.start <= other_end && other.start <= self_end
    }

    pub(crate) fn add_evidence(&mut self, proof: EvidenceRef) {
        if self.evidence.len() < EVIDENCE_CAP && !self.evidence.contains(&proof) {
            self.evidence.reserve_exact(1);
            self.evidence.push(proof);
        }
    }
}

/// What the engine keeps of an episode it told: the episode without its evidence (up to eight
/// references, most of an episode's bytes), and a digest of the whole of it. Enough to match a
/// judged episode with it, to see whether that one changed, and to withdraw it.
#[derive(Clone, Debug)]
pub(crate) struct Told {
    pub episode: Episode,
    digest: u64,
}

impl Told {
    pub fn of(e: &Episode) -> Told {
        Told {
            episode: Episode {
                id: e.id,
                client: e.client,
                condition: e.condition.clone(),
                kind: e.kind,
                severity: e.severity,
                start: e.start,
                end: e.end,
                evidence: Vec::new(),
                policy_revision: e.policy_revision,
            },
            digest: digest(e),
        }
    }

    /// Whether `e` is the episode as told (its id aside).
    fn same_as(&self, e: &Episode) -> bool {
        digest(e) == self.digest
    }
}

/// Everything about an episode but its id. The std hasher with its fixed keys: the digests live
/// only in memory, within one run.
fn digest(e: &Episode) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (
        e.client,
        &e.condition,
        e.kind,
        e.severity,
        e.start,
        e.end,
        &e.evidence,
        e.policy_revision,
    )
        .hash(&mut h);
    h.finish()
}

/// What happened to an episode. The caller stores `episode` under its id, replacing any earlier
/// version. A withdrawn episode comes as it was told but without its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum EpisodeChange {
    /// A breach began.
    Opened(Episode),
    /// Changed since told without being closed by the change: its kind, evidence, start or end (late data).
    Updated(Episode),
    /// Ended: an open episode now closed, or one first told already over (judged from late data).
    Closed(Episode),
    /// Later data showed there was no breach.
    Withdrawn(Episode),
}

impl EpisodeChange {
    /// The episode as it now is (or, if withdrawn, as it was told).
    pub fn episode(&self) -> &Episode {
        match self {
            EpisodeChange::Opened(e)
            | EpisodeChange::Updated(e)
            | EpisodeChange::Closed(e)
            | EpisodeChange::Withdrawn(e) => e,
        }
    }
}

/// Compares episodes as now judged with those already told to the caller, and says what changed.
///
/// Episodes ending before `horizon` are settled and left alone on both sides. A judged episode
/// matches a told one of the same condition and kind family whose time overlaps it; it takes
/// over that one's id, so that an episode keeps its id when late data moves its start. Told
/// episodes that match nothing are withdrawn.
///
/// A new episode gets the next id from `next_id`, never one derived from what it is: late data
/// can split a told episode in parts and move their starts, and an id derived from a start could
/// then be that of a settled episode, which the caller keeps but `told` leaves out.
pub(crate) fn reconcile(
    judged: &mut [Episode],
    told: &[Told],
    horizon: Timestamp,
    next_id: &mut u64,
    out: &mut Vec<EpisodeChange>,
) {
    let live = |e: &Episode| e.end.is_none_or(|end| end >= horizon);
    let same_condition =
        |t: &Episode, e: &Episode| t.condition == e.condition && t.kind.family() == e.kind.family();
    let mut matched: Vec<Option<usize>> = vec![None; judged.len()];
    let mut taken = vec![false; told.len()];
    // Same id first, then any overlapping one: an episode whose start moved keeps its id.
    for by_id in [true, false] {
        for (j, episode) in judged.iter().enumerate() {
            if matched[j].is_some() || !live(episode) {
                continue;
            }
            let found = told
                .iter()
                .map(|t| &t.episode)
                .enumerate()
                .position(|(i, t)| {
                    !taken[i]
                        && live(t)
                        && same_condition(t, episode)
                        && if by_id {
                            t.id == episode.id
                        } else {
                            t.overlaps(episode)
                        }
                });
            if let Some(i) = found {
                taken[i] = true;
                matched[j] = Some(i);
            }
        }
    }
    for (j, episode) in judged.iter_mut().enumerate() {
        if !live(episode) {
            continue;
        }
        match matched[j] {
            Some(i) => {
                episode.id = told[i].episode.id;
                if !told[i].same_as(episode) {
                    out.push(if episode.is_open() || !told[i].episode.is_open() {
                        EpisodeChange::Updated(episode.clone())
                    } else {
                        EpisodeChange::Closed(episode.clone())
                    });
                }
            }
            None => {
                episode.id = EpisodeId(*next_id);
                *next_id += 1;
                out.push(if episode.is_open() {
                    EpisodeChange::Opened(episode.clone())
                } else {
                    EpisodeChange::Closed(episode.clone())
                });
            }
        }
    }
    for (i, t) in told.iter().enumerate() {
        if !taken[i] && live(&t.episode) {
            out.push(EpisodeChange::Withdrawn(t.episode.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of a schema that reads as a kind.
    fn kind_names(value: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
        match value {
            serde_json::Value::String(s)
                if serde_json::from_value::<BreachKind>(value.clone()).is_ok() =>
            {
                out.insert(s.clone());
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| kind_names(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| kind_names(v, out)),
            _ => {}
        }
    }

    #[test]
    fn every_kind_is_listed_once() {
        // A kind added to the enumeration and not to ALL would be left out of a class filter.
        let schema = serde_json::to_value(schemars::schema_for!(BreachKind)).unwrap();
        let mut in_schema = std::collections::BTreeSet::new();
        kind_names(&schema, &mut in_schema);
        let listed: std::collections::BTreeSet<String> = BreachKind::ALL
            .iter()
            .map(|k| {
                serde_json::to_value(k)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(listed.len(), BreachKind::ALL.len());
        assert_eq!(listed, in_schema);
    }

    #[test]
    fn every_kind_is_of_one_class_and_faults_never_breach() {
        use BreachKind::*;
        for kind in [
            CommunicationLost,
            BatteryLow,
            BatteryCritical,
            NotCharged,
            ClockSkewed,
        ] {
            assert_eq!(kind.class(), KindClass::DeviceFault, "{kind:?}");
        }
        for kind in [
            StrapOpened,
            CaseOpened,
            ExclusionZoneEntered,
            AbsentEntireCurfew,
        ] {
            assert_eq!(kind.class(), KindClass::Breach, "{kind:?}");
        }
        assert_eq!(VictimProximityWarning.class(), KindClass::Warning);
    }
}
