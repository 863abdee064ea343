//! Why an episode's evidence skips seqs. The evidence lists the observations that decided the
//! episode; between two of them from the same device (seq 22, then 27) a court will ask what
//! the device sent in between and why it did not count. Each skipped seq is answered from the
//! stored observations of that device: never received, not a fix (a heartbeat, a battery
//! report...), a fix too inaccurate to place on either side of the edge, or a fix that was
//! placed but did not decide (on the side the condition already stood, or not yet confirmed).
//!
//! A fix is placed by the rules engine's own test ([`rules::geometry::CompiledShape::classify`]
//! on [`rules::Observation::fix`]): its whole accuracy circle on one side of the edge of the
//! zone, or of the curfew's address, of the policy in force when the fix was taken (the one
//! the judge judged it by, `Cases::policy_history`).

use std::collections::HashMap;

use cases::PolicySpan;
use ingest::store::Telemetry;
use rules::geometry::Side;
use rules::{CompiledPolicy, ConditionRef, Reading, Timestamp};
use serde::{Deserialize, Serialize};

use crate::ReportError;
use crate::model::Evidence;

/// At most this many skipped seqs are explained per gap; the rest are counted.
pub const LISTED_PER_GAP: u32 = 20;

/// Seqs a device skipped between two observations of an episode's evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EvidenceGap {
    /// The device.
    pub device: u64,
    /// The seq of the evidence before the gap.
    pub after_seq: u32,
    /// The seq of the evidence after it.
    pub before_seq: u32,
    /// The first skipped seqs (at most [`LISTED_PER_GAP`]), each with why it is not evidence.
    pub skipped: Vec<Skipped>,
    /// How many more seqs were skipped than are listed.
    pub more: u32,
}

/// One skipped seq and why it is not in the evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Skipped {
    /// The device's seq.
    pub seq: u32,
    /// Why it did not decide the episode.
    pub reason: SkipReason,
}

/// Why an observation between two pieces of evidence is not evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// No observation with that seq is stored: it never arrived.
    NotReceived,
    /// Not a position: another frame type, by its protocol name (`heartbeat`, `battery`...).
    NotAFix {
        /// The frame type's protocol name (`unknown` if not known).
        frame_type: String,
    },
    /// A location frame without a usable position (not on the globe).
    NoPosition,
    /// A fix whose accuracy circle reaches across the edge: the rules place a fix only when
    /// its accuracy is within its distance from the edge.
    TooInaccurate {
        /// The fix's accuracy radius, in metres.
        accuracy_m: f64,
        /// Its distance from the edge: the accuracy it needed at most, in metres.
        limit_m: f64,
    },
    /// A fix placed on one side of the edge that did not decide: on the side the condition
    /// already stood, or one of a run the rules had not yet confirmed.
    DidNotDecide {
        /// The fix's accuracy radius, in metres.
        accuracy_m: f64,
        /// Which side of the zone or address it was placed on.
        side: FixSide,
    },
    /// A fix, for a condition not decided by an edge (victim proximity, device health).
    NotPlaced {
        /// The fix's accuracy radius, in metres.
        accuracy_m: f64,
    },
}

/// Where a fix was placed: inside or outside the zone, or the curfew's address.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FixSide {
    /// Wholly inside.
    Inside,
    /// Wholly outside.
    Outside,
}

/// The policies of the order's history, compiled when first asked for.
pub(crate) struct Policies<'a> {
    history: &'a [PolicySpan],
    compiled: HashMap<usize, Option<CompiledPolicy>>,
}

impl<'a> Policies<'a> {
    pub(crate) fn new(history: &'a [PolicySpan]) -> Policies<'a> {
        Policies {
            history,
            compiled: HashMap::new(),
        }
    }

    /// The policy in force at `t`: the one the judge judged an observation of then.
    fn at(&mut self, t: Timestamp) -> Option<&CompiledPolicy> {
        let index = self
            .history
            .iter()
            .position(|s| s.from <= t && t < s.until)?;
        let history = self.history;
        self.compiled
            .entry(index)
            // A revision that does not compile judged nothing: its fixes are not placed.
            .or_insert_with(|| history[index].policy.clone().compile().ok())
            .as_ref()
    }
}

/// The gaps in `evidence` (of an episode about `condition`), explained.
pub(crate) async fn gaps(
    telemetry: &Telemetry,
    policies: &mut Policies<'_>,
    condition: &ConditionRef,
    evidence: &[Evidence],
) -> Result<Vec<EvidenceGap>, ReportError> {
    let mut seqs: Vec<(u64, u32)> = evidence.iter().map(|e| (e.device, e.seq)).collect();
    seqs.sort_unstable();
    seqs.dedup();
    let mut out = Vec::new();
    for pair in seqs.windows(2) {
        let ((device, after), (next_device, before)) = (pair[0], pair[1]);
        if device != next_device || before <= after.saturating_add(1) {
            continue;
        }
        let skipped = before - after - 1;
        let last = after + skipped.min(LISTED_PER_GAP);
        let stored = telemetry
            .observations_by_seq(device, after + 1, last)
            .await?;
        let mut listed = Vec::new();
        for seq in after + 1..=last {
            let reason = match stored.iter().find(|o| o.seq == seq) {
                None => SkipReason::NotReceived,
                Some(row) => reason(policies, condition, row),
            };
            listed.push(Skipped { seq, reason });
        }
        out.push(EvidenceGap {
            device,
            after_seq: after,
            before_seq: before,
            more: skipped - (last - after),
            skipped: listed,
        });
    }
    Ok(out)
}

/// Why a stored observation did not decide the episode.
fn reason(
    policies: &mut Policies<'_>,
    condition: &ConditionRef,
    row: &ingest::store::StoredObservation,
) -> SkipReason {
    let not_a_fix = || SkipReason::NotAFix {
        frame_type: firmware_proto::FrameType::from_u8(row.frame_type)
            .map_or("unknown", |t| t.name())
            .to_string(),
    };
    // A row the rules engine cannot read is no evidence to it either: named by its frame type.
    let Some(obs) = judge::observation::observation_of(row).ok().flatten() else {
        return not_a_fix();
    };
    if !matches!(obs.reading, Reading::Location { .. }) {
        return not_a_fix();
    }
    let Some((at, accuracy)) = obs.fix() else {
        return SkipReason::NoPosition;
    };
    let accuracy_m = centimetres(accuracy);
    let Some(policy) = policies.at(obs.device_time) else {
        return SkipReason::NotPlaced { accuracy_m };
    };
    let shape = match condition {
        ConditionRef::Zone { id } => policy
            .source
            .zones
            .iter()
            .position(|z| &z.id == id)
            .and_then(|i| policy.zones.get(i))
            .map(|z| &z.shape),
        ConditionRef::Curfew => {
            // The address of the window the fix fell in; the first address outside windows.
            let address = policy
                .curfew
                .as_ref()
                .and_then(|plan| plan.window_at(obs.device_time))
                .map_or(0, |w| usize::from(w.address));
            policy.addresses.get(address).map(|a| &a.shape)
        }
        ConditionRef::Proximity { .. } | ConditionRef::Device { .. } => None,
    };
    let Some(shape) = shape else {
        return SkipReason::NotPlaced { accuracy_m };
    };
    match shape.classify(at, accuracy, 0.0) {
        Side::Uncertain => SkipReason::TooInaccurate {
            accuracy_m,
            limit_m: centimetres(shape.signed_distance_m(at).abs()),
        },
        Side::Inside => SkipReason::DidNotDecide {
            accuracy_m,
            side: FixSide::Inside,
        },
        Side::Outside => SkipReason::DidNotDecide {
            accuracy_m,
            side: FixSide::Outside,
        },
    }
}

/// Metres to the centimetre: finer says nothing a court can use.
fn centimetres(m: f64) -> f64 {
    (m * 100.0).round() / 100.0
}
