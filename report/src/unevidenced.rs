//! What the devices could not evidence: the order's conditions none of the devices the client
//! wore could tell, and when. An off-the-shelf GPS tracker has no strap, case or skin sensor, so
//! over the time it was the client's only device those conditions were neither kept nor
//! breached as far as the records show: unknown. A court must read that, not infer from the
//! absence of strap breaches that the strap stayed closed. Worked out from the same policy
//! history the judge judged by (`Cases::policy_history`), span by span.

use cases::PolicySpan;
use cases::kinds::inventory_kind;
use firmware_proto::DeviceKind;
use rules::Timestamp;
use rules::policy::Watched;
use serde::{Deserialize, Serialize};

/// A condition of the order that none of the devices the client wore could evidence, over a
/// stretch of the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NotEvidencedPart {
    /// The condition: `strap`, `skin_contact`, `case`, `curfew`, `zones` or `proximity`.
    pub condition: Watched,
    /// The kinds of the devices the client wore, none of which can tell it, each once.
    pub kinds: Vec<DeviceKind>,
    /// Those devices, by id.
    pub devices: Vec<u64>,
    /// From when, within the period.
    pub from: Timestamp,
    /// Until when, within the period.
    pub until: Timestamp,
}

/// The conditions not evidenced over `[from, until)`, from the policy `history` (spans in time
/// order): only while the order was judged (active, with a device worn), each condition's
/// stretches with the same devices joined.
pub fn not_evidenced(history: &[PolicySpan], from: i64, until: i64) -> Vec<NotEvidencedPart> {
    let mut out: Vec<NotEvidencedPart> = Vec::new();
    for span in history.iter().filter(|s| s.judged()) {
        let (start, end) = (span.from.0.max(from), span.until.0.min(until));
        if start >= end {
            continue;
        }
        let mut devices: Vec<u64> = span
            .policy
            .devices
            .iter()
            .filter(|d| d.kind.on_body())
            .map(|d| d.id)
            .collect();
        devices.sort_unstable();
        for n in span.policy.not_evidenced() {
            let kinds: Vec<DeviceKind> = n.kinds.into_iter().map(inventory_kind).collect();
            let joined = out.iter_mut().rev().find(|p| {
                p.condition == n.condition
                    && p.until.0 == start
                    && p.kinds == kinds
                    && p.devices == devices
            });
            match joined {
                Some(part) => part.until = Timestamp(end),
                None => out.push(NotEvidencedPart {
                    condition: n.condition,
                    kinds,
                    devices: devices.clone(),
                    from: Timestamp(start),
                    until: Timestamp(end),
                }),
            }
        }
    }
    out.sort_by_key(|p| (p.condition, p.from));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cases::OrderStatus;
    use rules::MonitoringPolicy;
    use rules::policy::{DeviceKind as Judged, WornDevice};

    fn span(from: i64, until: i64, status: OrderStatus, devices: &[(u64, Judged)]) -> PolicySpan {
        PolicySpan {
            from: Timestamp(from),
            until: Timestamp(until),
            status,
            revision: 1,
            policy_revision: None,
            policy: MonitoringPolicy {
                client: 1,
                revision: 0,
                time_zone: Default::default(),
                monitoring_from: None,
                monitoring_until: None,
                devices: devices
                    .iter()
                    .map(|&(id, kind)| WornDevice {
                        id,
                        kind,
                        comm_lost_after: None,
                    })
                    .collect(),
                addresses: Vec::new(),
                curfew: None,
                zones: Vec::new(),
                proximity: Vec::new(),
                health: Default::default(),
            },
        }
    }

    fn conditions(parts: &[NotEvidencedPart]) -> Vec<(Watched, i64, i64)> {
        parts
            .iter()
            .map(|p| (p.condition, p.from.0, p.until.0))
            .collect()
    }

    #[test]
    fn a_tracker_worn_leaves_its_conditions_unknown_for_as_long_as_it_is_worn() {
        use Judged::*;
        use OrderStatus::*;
        let history = [
            // A GPS tag first: everything evidenced.
            span(0, 100, Active, &[(1001, Tag)]),
            // The tracker alone, over two spans (an absence recorded between): one stretch.
            span(100, 200, Active, &[(3001, Tracker), (5001, HomeUnit)]),
            span(200, 300, Active, &[(3001, Tracker), (5001, HomeUnit)]),
            // Suspended: nothing is judged, nothing to say.
            span(300, 400, Suspended, &[(3001, Tracker)]),
            span(400, i64::MAX, Active, &[(3001, Tracker)]),
        ];
        let parts = not_evidenced(&history, 50, 450);
        assert_eq!(
            conditions(&parts),
            [
                (Watched::Strap, 100, 300),
                (Watched::Strap, 400, 450),
                (Watched::SkinContact, 100, 300),
                (Watched::SkinContact, 400, 450),
                (Watched::Case, 100, 300),
                (Watched::Case, 400, 450),
            ]
        );
        assert!(
            parts
                .iter()
                .all(|p| p.kinds == [DeviceKind::GpsTracker] && p.devices == [3001]),
            "{parts:?}"
        );
        // A tag beside the tracker tells what the tracker cannot.
        let both = [span(0, 100, Active, &[(3001, Tracker), (1001, Tag)])];
        assert_eq!(not_evidenced(&both, 0, 100), []);
        // Outside the period, nothing.
        assert_eq!(not_evidenced(&history[1..3], 300, 400), []);
    }
}
