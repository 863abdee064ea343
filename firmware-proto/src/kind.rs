//! What a device is. The protocol gives tags and home units different frames to send, and the
//! engine judges them differently; the registry (cases), the frame path (ingest) and the API all
//! name a device's kind, so the type lives here, below them all. Devices of other protocols
//! (off-the-shelf trackers, phones) are registered here too: their reports are transcribed into
//! this protocol's messages, and their kind tells the engine what those can evidence (the rules
//! crate's `DeviceKind::capabilities`).

use core::fmt;
use core::str::FromStr;

/// What a registered device is; it decides which frames it may send and how it is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum DeviceKind {
    /// An ankle tag with a GNSS receiver: sends LOCATION.
    GpsTag,
    /// An ankle tag without GNSS, heard by its home unit.
    RfTag,
    /// A unit fixed at the curfew address that hears the tag and relays its frames.
    HomeUnit,
    /// An off-the-shelf GPS tracker worn by the probation client (Teltonika and the like):
    /// positions, battery, motion; no strap, case or skin sensor.
    GpsTracker,
    /// A phone a victim carries (Traccar Client over OsmAnd), for proximity: positions and
    /// battery only.
    Phone,
}

impl DeviceKind {
    /// Every kind, in the order the console lists them.
    pub const ALL: [DeviceKind; 5] = [
        DeviceKind::GpsTag,
        DeviceKind::RfTag,
        DeviceKind::HomeUnit,
        DeviceKind::GpsTracker,
        DeviceKind::Phone,
    ];

    /// The kind's name as stored and as the API and the command line spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::GpsTag => "gps-tag",
            DeviceKind::RfTag => "rf-tag",
            DeviceKind::HomeUnit => "home-unit",
            DeviceKind::GpsTracker => "gps-tracker",
            DeviceKind::Phone => "phone",
        }
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A name that is no device kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown device kind (expected gps-tag, rf-tag, home-unit, gps-tracker or phone)")]
pub struct UnknownDeviceKind;

impl FromStr for DeviceKind {
    type Err = UnknownDeviceKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DeviceKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or(UnknownDeviceKind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        let mut names: Vec<&str> = DeviceKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 5, "each kind has a name of its own");
        for kind in DeviceKind::ALL {
            assert_eq!(kind.as_str().parse::<DeviceKind>(), Ok(kind));
        }
        assert_eq!("gps_tag".parse::<DeviceKind>(), Err(UnknownDeviceKind));
        assert_eq!("".parse::<DeviceKind>(), Err(UnknownDeviceKind));
        assert_eq!("Phone".parse::<DeviceKind>(), Err(UnknownDeviceKind));
        assert_eq!("gps-tracker ".parse::<DeviceKind>(), Err(UnknownDeviceKind));
        assert_eq!(
            "gps-tracker".parse::<DeviceKind>(),
            Ok(DeviceKind::GpsTracker)
        );
    }

    /// The API and the registry's JSON spell each kind as it is stored.
    #[cfg(feature = "serde")]
    #[test]
    fn serde_spells_each_kind_as_stored() {
        for kind in DeviceKind::ALL {
            let json = serde_json::to_value(kind).expect("serialises");
            assert_eq!(json, kind.as_str());
            assert_eq!(
                serde_json::from_value::<DeviceKind>(json).expect("reads"),
                kind
            );
        }
    }
}
