//! The inventory's device kinds (firmware-proto's, as stored and as the API spells them) and
//! the rules engine's, one for one. The engine keeps its own enum, below the registry, and the
//! table of what each kind can evidence with it; this is the one place that joins the two, for
//! the policy (what the judge judges by), the fitting and victim rules, and the parts above that
//! say what a fitted device cannot evidence.

use firmware_proto::DeviceKind as InventoryKind;
use rules::policy::{DeviceKind, Watched, Watches};
use serde::{Deserialize, Serialize};

/// The engine's kind for an inventory kind.
pub fn judged_as(kind: InventoryKind) -> DeviceKind {
    match kind {
        InventoryKind::GpsTag => DeviceKind::Tag,
        InventoryKind::RfTag => DeviceKind::RfTag,
        InventoryKind::HomeUnit => DeviceKind::HomeUnit,
        InventoryKind::GpsTracker => DeviceKind::Tracker,
        InventoryKind::Phone => DeviceKind::Phone,
    }
}

/// The inventory kind the engine's kind stands for.
pub fn inventory_kind(kind: DeviceKind) -> InventoryKind {
    match kind {
        DeviceKind::Tag => InventoryKind::GpsTag,
        DeviceKind::RfTag => InventoryKind::RfTag,
        DeviceKind::HomeUnit => InventoryKind::HomeUnit,
        DeviceKind::Tracker => InventoryKind::GpsTracker,
        DeviceKind::Phone => InventoryKind::Phone,
    }
}

/// A condition of an order none of the devices fitted under it can evidence: unknown, whatever
/// they report ("strap state: unknown, a GPS tracker cannot tell").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NotEvidenced {
    /// The condition: strap, skin contact, case, curfew, zones or proximity.
    pub condition: Watched,
    /// The kinds of the devices the client wears, none of which can tell it, each once.
    pub kinds: Vec<InventoryKind>,
}

/// The conditions of `watches` that devices of `fitted` kinds cannot evidence (see
/// [`rules::policy::not_evidenced`]), in the inventory's words.
pub fn not_evidenced(
    watches: Watches,
    fitted: impl IntoIterator<Item = InventoryKind>,
) -> Vec<NotEvidenced> {
    rules::policy::not_evidenced(watches, fitted.into_iter().map(judged_as))
        .into_iter()
        .map(|n| NotEvidenced {
            condition: n.condition,
            kinds: n.kinds.into_iter().map(inventory_kind).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kinds_match_one_for_one() {
        assert_eq!(InventoryKind::ALL.len(), DeviceKind::ALL.len());
        for kind in InventoryKind::ALL {
            assert_eq!(inventory_kind(judged_as(kind)), kind);
        }
        for kind in DeviceKind::ALL {
            assert_eq!(judged_as(inventory_kind(kind)), kind);
        }
    }

    #[test]
    fn a_tracker_cannot_evidence_the_strap_in_the_inventorys_words() {
        let watches = Watches {
            zones: true,
            ..Watches::default()
        };
        let found = not_evidenced(
            watches,
            [InventoryKind::GpsTracker, InventoryKind::HomeUnit],
        );
        let conditions: Vec<Watched> = found.iter().map(|n| n.condition).collect();
        assert_eq!(
            conditions,
            [Watched::Strap, Watched::SkinContact, Watched::Case]
        );
        assert!(found.iter().all(|n| n.kinds == [InventoryKind::GpsTracker]));
        assert_eq!(
            serde_json::to_value(&found[0]).expect("serialises"),
            serde_json::json!({ "condition": "strap", "kinds": ["gps-tracker"] })
        );
        assert_eq!(not_evidenced(watches, [InventoryKind::GpsTag]), []);
    }
}
