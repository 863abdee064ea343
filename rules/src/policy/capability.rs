//! What each kind of device can evidence, and so which of an order's conditions the devices
//! fitted under it cannot.
//!
//! Our own tags say in every heartbeat whether their strap and case are closed and whether they
//! touch the skin. An off-the-shelf GPS tracker has no such sensor, and a heartbeat transcribed
//! from its report has those bits clear only because nothing said them: judged as a tag's, every
//! heartbeat would open a strap-opened breach. So the engine judges a device's report only for
//! what its kind can tell, and what it cannot tell is unknown, never fine and never a breach:
//! the glance and the court summary name it ([`not_evidenced`]). Kept here, as data, because the
//! engine is the lowest part that judges by it; the parts above read the same table.

use serde::{Deserialize, Serialize};

use super::written::{DeviceKind, MonitoringPolicy};

/// One thing a device can tell about itself or its wearer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Capability {
    /// Whether its strap is closed (the STRAP_CLOSED bit, the strap events).
    Strap,
    /// Whether its case is closed (the CASE_CLOSED bit, the case events).
    Case,
    /// Whether it touches the skin (the SKIN_CONTACT bit, the skin events).
    SkinContact,
    /// Short-range radio between a tag and its home unit: the tag hears the home unit
    /// (RF_HOME_PRESENT) and the home unit hears the tag (PRESENCE).
    RfPresence,
    /// Whether it runs on mains power (a home unit's MAINS_POWER bit and events).
    MainsPower,
    /// Where it is: LOCATION frames.
    Location,
    /// Its battery's charge.
    Battery,
    /// Whether it is charging (the CHARGING bit, the charger events; external power).
    Charging,
    /// Whether it moves (the MOTION bit).
    Motion,
    /// Whether its GNSS receiver has a fix (the GNSS_FIX bit), and radio trouble (jamming,
    /// shielding) that a fix rules out.
    GnssStatus,
}

impl Capability {
    const fn bit(self) -> u16 {
        1 << self as u8
    }
}

/// A set of capabilities: what one kind of device can tell.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Capabilities(u16);

impl Capabilities {
    /// Can tell nothing.
    pub const NONE: Capabilities = Capabilities(0);

    /// The set of `list`.
    pub const fn of(list: &[Capability]) -> Capabilities {
        let mut bits = 0;
        let mut i = 0;
        while i < list.len() {
            bits |= list[i].bit();
            i += 1;
        }
        Capabilities(bits)
    }

    /// Whether the set holds `capability`.
    pub const fn can(self, capability: Capability) -> bool {
        self.0 & capability.bit() != 0
    }

    /// What either set holds.
    pub const fn union(self, other: Capabilities) -> Capabilities {
        Capabilities(self.0 | other.0)
    }
}

impl DeviceKind {
    /// Every kind, in the order the inventory lists them.
    pub const ALL: [DeviceKind; 5] = [
        DeviceKind::Tag,
        DeviceKind::RfTag,
        DeviceKind::HomeUnit,
        DeviceKind::Tracker,
        DeviceKind::Phone,
    ];

    /// What a device of this kind can tell.
    pub const fn capabilities(self) -> Capabilities {
        use Capability::*;
        match self {
            DeviceKind::Tag => Capabilities::of(&[
                Strap,
                Case,
                SkinContact,
                RfPresence,
                Location,
                Battery,
                Charging,
                Motion,
                GnssStatus,
            ]),
            DeviceKind::RfTag => Capabilities::of(&[
                Strap,
                Case,
                SkinContact,
                RfPresence,
                Battery,
                Charging,
                Motion,
            ]),
            DeviceKind::HomeUnit => Capabilities::of(&[Case, RfPresence, MainsPower, Battery]),
            // Whether it is on external power is not said by every tracker, so not judged: a
            // tracker that never says so is not "not charged".
            DeviceKind::Tracker => Capabilities::of(&[Location, Battery, Motion, GnssStatus]),
            DeviceKind::Phone => Capabilities::of(&[Location, Battery]),
        }
    }

    /// Whether the client wears it (a tag or a tracker), rather than it standing at an address
    /// (a home unit) or being a victim's (a phone). What a worn device reports is what the
    /// client does: its fixes feed the zones, the curfew and victim proximity.
    pub const fn on_body(self) -> bool {
        matches!(
            self,
            DeviceKind::Tag | DeviceKind::RfTag | DeviceKind::Tracker
        )
    }

    /// Whether its fixes say where the client is: the client wears it and it can locate itself.
    pub const fn locates_client(self) -> bool {
        self.on_body() && self.capabilities().can(Capability::Location)
    }
}

/// A condition of an order that rests on what the client's devices can tell.
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
pub enum Watched {
    /// The strap stays closed: the device stays on the client. Every order.
    Strap,
    /// The device stays against the skin. Every order.
    SkinContact,
    /// The device's case stays closed. Every order.
    Case,
    /// The curfew: at the address at the hours set.
    Curfew,
    /// The inclusion and exclusion zones.
    Zones,
    /// Keeping away from a victim.
    Proximity,
}

impl Watched {
    /// Every condition, in the order above.
    pub const ALL: [Watched; 6] = [
        Watched::Strap,
        Watched::SkinContact,
        Watched::Case,
        Watched::Curfew,
        Watched::Zones,
        Watched::Proximity,
    ];

    /// Whether devices that together can tell `worn` (those the client wears), with a home unit
    /// at the address or not, evidence this condition.
    fn evidenced(self, worn: Capabilities, home_unit: bool) -> bool {
        match self {
            Watched::Strap => worn.can(Capability::Strap),
            Watched::SkinContact => worn.can(Capability::SkinContact),
            Watched::Case => worn.can(Capability::Case),
            // At the address by a fix inside it, or by the radio between tag and home unit.
            Watched::Curfew => {
                worn.can(Capability::Location) || (worn.can(Capability::RfPresence) && home_unit)
            }
            Watched::Zones | Watched::Proximity => worn.can(Capability::Location),
        }
    }
}

/// Which of the conditions that rest on devices an order sets (the device's own, strap, skin and
/// case, it always sets).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Watches {
    /// It sets a curfew.
    pub curfew: bool,
    /// It sets inclusion or exclusion zones.
    pub zones: bool,
    /// It keeps the client away from a victim.
    pub proximity: bool,
}

impl Watches {
    /// The conditions, in [`Watched::ALL`]'s order.
    pub fn watched(self) -> impl Iterator<Item = Watched> {
        Watched::ALL.into_iter().filter(move |w| match w {
            Watched::Strap | Watched::SkinContact | Watched::Case => true,
            Watched::Curfew => self.curfew,
            Watched::Zones => self.zones,
            Watched::Proximity => self.proximity,
        })
    }
}

/// A condition of an order none of the devices the client wears can evidence: its state is
/// unknown, whatever the devices report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotEvidenced {
    /// The condition.
    pub condition: Watched,
    /// The kinds of the devices the client wears, none of which can tell it, each once.
    pub kinds: Vec<DeviceKind>,
}

/// The conditions of `watches` that devices of `kinds` (those fitted under an order: worn ones
/// and home units; any others are no help) cannot evidence, in [`Watched::ALL`]'s order. None
/// when the client wears nothing: then nothing is evidenced, and that is said otherwise (no
/// device fitted).
pub fn not_evidenced(
    watches: Watches,
    kinds: impl IntoIterator<Item = DeviceKind>,
) -> Vec<NotEvidenced> {
    let mut worn: Vec<DeviceKind> = Vec::new();
    let mut home_unit = false;
    for kind in kinds {
        if kind.on_body() && !worn.contains(&kind) {
            worn.push(kind);
        }
        home_unit |= kind == DeviceKind::HomeUnit;
    }
    if worn.is_empty() {
        return Vec::new();
    }
    let can = worn
        .iter()
        .fold(Capabilities::NONE, |all, k| all.union(k.capabilities()));
    watches
        .watched()
        .filter(|w| !w.evidenced(can, home_unit))
        .map(|condition| NotEvidenced {
            condition,
            kinds: worn.clone(),
        })
        .collect()
}

impl MonitoringPolicy {
    /// The conditions resting on devices that the policy sets.
    pub fn watches(&self) -> Watches {
        Watches {
            curfew: self.curfew.is_some(),
            zones: !self.zones.is_empty(),
            proximity: !self.proximity.is_empty(),
        }
    }

    /// The policy's conditions its devices cannot evidence (see [`not_evidenced`]).
    pub fn not_evidenced(&self) -> Vec<NotEvidenced> {
        not_evidenced(self.watches(), self.devices.iter().map(|d| d.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conditions(watches: Watches, kinds: &[DeviceKind]) -> Vec<Watched> {
        not_evidenced(watches, kinds.iter().copied())
            .into_iter()
            .map(|n| n.condition)
            .collect()
    }

    const ALL_CONDITIONS: Watches = Watches {
        curfew: true,
        zones: true,
        proximity: true,
    };

    #[test]
    fn a_tag_evidences_every_condition_and_a_tracker_none_of_the_devices_own() {
        use DeviceKind::*;
        use Watched::*;
        assert_eq!(conditions(ALL_CONDITIONS, &[Tag, HomeUnit]), []);
        assert_eq!(conditions(ALL_CONDITIONS, &[Tag]), []);
        assert_eq!(
            conditions(ALL_CONDITIONS, &[Tracker]),
            [Strap, SkinContact, Case]
        );
        let named = not_evidenced(ALL_CONDITIONS, [Tracker, HomeUnit]);
        assert!(named.iter().all(|n| n.kinds == [Tracker]), "{named:?}");
        // A tag beside the tracker tells what the tracker cannot.
        assert_eq!(conditions(ALL_CONDITIONS, &[Tracker, Tag]), []);
        // Only what the order sets: a tracker keeps no zone it is not asked to.
        assert_eq!(
            conditions(Watches::default(), &[Tracker]),
            [Strap, SkinContact, Case]
        );
    }

    #[test]
    fn an_rf_tag_keeps_a_curfew_only_with_a_home_unit_and_no_zone_at_all() {
        use DeviceKind::*;
        use Watched::*;
        assert_eq!(
            conditions(ALL_CONDITIONS, &[RfTag, HomeUnit]),
            [Zones, Proximity]
        );
        assert_eq!(
            conditions(ALL_CONDITIONS, &[RfTag]),
            [Curfew, Zones, Proximity]
        );
        let curfew_only = Watches {
            curfew: true,
            ..Watches::default()
        };
        assert_eq!(conditions(curfew_only, &[RfTag, HomeUnit]), []);
    }

    #[test]
    fn nothing_worn_is_said_otherwise() {
        use DeviceKind::*;
        assert_eq!(conditions(ALL_CONDITIONS, &[]), []);
        assert_eq!(conditions(ALL_CONDITIONS, &[HomeUnit]), []);
        assert_eq!(conditions(ALL_CONDITIONS, &[Phone]), []);
    }

    #[test]
    fn each_kind_can_tell_what_it_has_a_sensor_for() {
        use Capability::*;
        for kind in DeviceKind::ALL {
            let can = kind.capabilities();
            assert!(can.can(Battery), "{kind:?}");
            // A worn device's own sensors are a tag's; a tracker and a phone have none.
            let sensors = can.can(Strap) && can.can(SkinContact) && can.can(Case);
            assert_eq!(
                sensors,
                matches!(kind, DeviceKind::Tag | DeviceKind::RfTag),
                "{kind:?}"
            );
            assert_eq!(
                can.can(MainsPower),
                kind == DeviceKind::HomeUnit,
                "{kind:?}"
            );
        }
        assert!(DeviceKind::Tracker.locates_client());
        assert!(!DeviceKind::RfTag.locates_client());
        assert!(!DeviceKind::Phone.locates_client());
        assert!(!DeviceKind::HomeUnit.on_body());
    }
}
