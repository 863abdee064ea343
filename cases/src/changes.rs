//! What a variation changed: one revision's terms against the one before, as the changes a
//! person reads (a curfew slot added, a zone removed, the period moved), so that the console's
//! order page and the court's document say what the court changed rather than showing two sets
//! of terms side by side. Pure: no records, no clock.

use chrono::NaiveDate;
use rules::Timestamp;
use rules::policy::{Zone, ZoneKind};
use rules::schedule::{TimeZone, WeeklySlot};
use serde::Serialize;

use crate::terms::{LegalBasis, Obligation, OrderProximity, OrderTerms};

/// One change from a revision's terms to the next one's. Items are named by their ids in the
/// terms (zones, victim proximity) or by their own content (slots, obligations).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum TermsChange {
    /// The monitored period is now this one.
    Period {
        /// Its new start.
        starts: Timestamp,
        /// Its new end.
        ends: Timestamp,
    },
    /// The decision is now of this date and on this basis.
    Decision {
        /// The decision's date.
        decision_date: NaiveDate,
        /// Why the court ordered monitoring.
        legal_basis: LegalBasis,
    },
    /// The curfew and schedules are now read in this time zone.
    TimeZone {
        /// The new time zone.
        time_zone: TimeZone,
    },
    /// A weekly curfew slot at an address was added.
    CurfewSlotAdded {
        /// The address, by its id among the client's addresses.
        address: String,
        /// The slot.
        slot: WeeklySlot,
    },
    /// A weekly curfew slot at an address was taken away.
    CurfewSlotRemoved {
        /// The address, by its id among the client's addresses.
        address: String,
        /// The slot.
        slot: WeeklySlot,
    },
    /// The curfew's first night, its dated extra curfews or its tolerances changed.
    CurfewDetails,
    /// A zone was added.
    ZoneAdded {
        /// The zone's id.
        id: String,
        /// Inclusion or exclusion.
        kind: ZoneKind,
    },
    /// A zone was taken away.
    ZoneRemoved {
        /// The zone's id.
        id: String,
        /// Inclusion or exclusion.
        kind: ZoneKind,
    },
    /// A zone's area, kind, schedule, validity or tolerances changed.
    ZoneChanged {
        /// The zone's id.
        id: String,
        /// Inclusion or exclusion, now.
        kind: ZoneKind,
    },
    /// A victim the client must keep away from was added.
    ProximityAdded {
        /// The condition's id.
        id: String,
        /// The victim.
        victim_id: i64,
    },
    /// A victim proximity condition was taken away.
    ProximityRemoved {
        /// The condition's id.
        id: String,
        /// The victim.
        victim_id: i64,
    },
    /// A victim proximity condition's distances or tolerances changed.
    ProximityChanged {
        /// The condition's id.
        id: String,
        /// The victim.
        victim_id: i64,
    },
    /// The device health limits changed.
    Health,
    /// An obligation no device judges was added.
    ObligationAdded {
        /// The obligation.
        obligation: Obligation,
    },
    /// An obligation was taken away.
    ObligationRemoved {
        /// The obligation.
        obligation: Obligation,
    },
}

/// What `after` changed from `before`, in the order the terms list their parts.
pub(crate) fn changes(before: &OrderTerms, after: &OrderTerms) -> Vec<TermsChange> {
    let mut out = Vec::new();
    if (before.starts, before.ends) != (after.starts, after.ends) {
        out.push(TermsChange::Period {
            starts: after.starts,
            ends: after.ends,
        });
    }
    if (before.decision_date, before.legal_basis) != (after.decision_date, after.legal_basis) {
        out.push(TermsChange::Decision {
            decision_date: after.decision_date,
            legal_basis: after.legal_basis,
        });
    }
    if before.time_zone != after.time_zone {
        out.push(TermsChange::TimeZone {
            time_zone: after.time_zone,
        });
    }
    curfew_changes(before, after, &mut out);
    keyed(
        &before.zones,
        &after.zones,
        |z: &Zone| z.id.clone(),
        |z| TermsChange::ZoneAdded {
            id: z.id.clone(),
            kind: z.kind,
        },
        |z| TermsChange::ZoneRemoved {
            id: z.id.clone(),
            kind: z.kind,
        },
        |z| TermsChange::ZoneChanged {
            id: z.id.clone(),
            kind: z.kind,
        },
        &mut out,
    );
    keyed(
        &before.proximity,
        &after.proximity,
        |p: &OrderProximity| p.id.clone(),
        |p| TermsChange::ProximityAdded {
            id: p.id.clone(),
            victim_id: p.victim_id,
        },
        |p| TermsChange::ProximityRemoved {
            id: p.id.clone(),
            victim_id: p.victim_id,
        },
        |p| TermsChange::ProximityChanged {
            id: p.id.clone(),
            victim_id: p.victim_id,
        },
        &mut out,
    );
    if before.health != after.health {
        out.push(TermsChange::Health);
    }
    for o in after
        .obligations
        .iter()
        .filter(|o| !before.obligations.contains(o))
    {
        out.push(TermsChange::ObligationAdded {
            obligation: o.clone(),
        });
    }
    for o in before
        .obligations
        .iter()
        .filter(|o| !after.obligations.contains(o))
    {
        out.push(TermsChange::ObligationRemoved {
            obligation: o.clone(),
        });
    }
    out
}

/// Slots added and taken away per address (a slot moved is one of each), then the rest.
fn curfew_changes(before: &OrderTerms, after: &OrderTerms, out: &mut Vec<TermsChange>) {
    let slots = |t: &OrderTerms| -> Vec<(String, WeeklySlot)> {
        t.curfew
            .iter()
            .flat_map(|c| &c.timetable)
            .flat_map(|a| a.slots.iter().map(|s| (a.address.clone(), s.clone())))
            .collect()
    };
    let (old, new) = (slots(before), slots(after));
    for (address, slot) in new.iter().filter(|s| !old.contains(s)) {
        out.push(TermsChange::CurfewSlotAdded {
            address: address.clone(),
            slot: slot.clone(),
        });
    }
    for (address, slot) in old.iter().filter(|s| !new.contains(s)) {
        out.push(TermsChange::CurfewSlotRemoved {
            address: address.clone(),
            slot: slot.clone(),
        });
    }
    let details = |t: &OrderTerms| {
        t.curfew
            .as_ref()
            .map(|c| (c.first_night.clone(), c.extra.clone(), c.grace.clone()))
    };
    if details(before) != details(after) {
        out.push(TermsChange::CurfewDetails);
    }
}

/// Items matched by id: added, taken away, and changed in place.
fn keyed<T: PartialEq>(
    before: &[T],
    after: &[T],
    id: impl Fn(&T) -> String,
    added: impl Fn(&T) -> TermsChange,
    removed: impl Fn(&T) -> TermsChange,
    changed: impl Fn(&T) -> TermsChange,
    out: &mut Vec<TermsChange>,
) {
    for a in after {
        match before.iter().find(|b| id(b) == id(a)) {
            None => out.push(added(a)),
            Some(b) if b != a => out.push(changed(a)),
            Some(_) => {}
        }
    }
    for b in before
        .iter()
        .filter(|b| !after.iter().any(|a| id(a) == id(b)))
    {
        out.push(removed(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(extra: serde_json::Value) -> OrderTerms {
        let mut base = serde_json::json!({
            "decision_date": "2026-11-01",
            "legal_basis": "conditional_early_release",
            "starts": "2026-11-02T00:00:00Z",
            "ends": "2027-05-02T00:00:00Z",
            "curfew": { "timetable": [{ "address": "home", "slots": [
                { "day": "mon", "start": "22:00", "end": "06:00" },
                { "day": "tue", "start": "22:00", "end": "06:00" }
            ] }] },
            "zones": [{ "id": "old-town", "kind": "exclusion",
                        "shape": { "type": "circle", "centre": [24.13, 56.96], "radius_m": 200.0 } }],
            "proximity": [{ "id": "victim", "victim_id": 4, "alarm_m": 500.0, "release_m": 700.0 }],
            "obligations": [{ "kind": "programme", "description": "Attend the programme" }]
        });
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(base).expect("terms")
    }

    #[test]
    fn the_same_terms_change_nothing() {
        let t = terms(serde_json::json!({}));
        assert_eq!(changes(&t, &t), vec![]);
    }

    #[test]
    fn a_moved_slot_is_one_added_and_one_taken_away() {
        let before = terms(serde_json::json!({}));
        let after = terms(serde_json::json!({
            "curfew": { "timetable": [{ "address": "home", "slots": [
                { "day": "mon", "start": "20:00", "end": "06:00" },
                { "day": "tue", "start": "22:00", "end": "06:00" }
            ] }] }
        }));
        let got = changes(&before, &after);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            matches!(&got[0], TermsChange::CurfewSlotAdded { address, slot }
            if address == "home" && slot.start.to_string() == "20:00:00")
        );
        assert!(
            matches!(&got[1], TermsChange::CurfewSlotRemoved { slot, .. }
            if slot.start.to_string() == "22:00:00")
        );
    }

    #[test]
    fn zones_victims_and_obligations_by_id_and_content() {
        let before = terms(serde_json::json!({}));
        let after = terms(serde_json::json!({
            "ends": "2027-08-02T00:00:00Z",
            "zones": [
                { "id": "old-town", "kind": "exclusion",
                  "shape": { "type": "circle", "centre": [24.13, 56.96], "radius_m": 300.0 } },
                { "id": "riga", "kind": "inclusion",
                  "shape": { "type": "circle", "centre": [24.1, 56.95], "radius_m": 9000.0 } }
            ],
            "proximity": [],
            "obligations": [{ "kind": "programme", "description": "Attend the programme" },
                            { "kind": "alcohol_ban", "description": "No alcohol" }]
        }));
        let got = changes(&before, &after);
        let names: Vec<String> = got
            .iter()
            .map(|c| {
                serde_json::to_value(c).expect("json")["change"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        assert_eq!(
            names,
            [
                "period",
                "zone_changed",
                "zone_added",
                "proximity_removed",
                "obligation_added"
            ],
            "{got:?}"
        );
        assert_eq!(
            got[0],
            TermsChange::Period {
                starts: before.starts,
                ends: after.ends
            }
        );
        assert!(
            matches!(&got[2], TermsChange::ZoneAdded { id, kind: ZoneKind::Inclusion } if id == "riga")
        );
        assert!(
            matches!(&got[3], TermsChange::ProximityRemoved { id, victim_id: 4 } if id == "victim")
        );
        // And back: each change the other way round.
        let back = changes(&after, &before);
        assert!(
            back.iter()
                .any(|c| matches!(c, TermsChange::ZoneRemoved { id, .. } if id == "riga"))
        );
        assert!(
            back.iter()
                .any(|c| matches!(c, TermsChange::ProximityAdded { .. }))
        );
        assert!(
            back.iter()
                .any(|c| matches!(c, TermsChange::ObligationRemoved { .. }))
        );
    }
}
