//! What a device is. The protocol gives tags and home units different frames to send, and the
//! engine judges them differently; the registry (cases), the frame path (ingest) and the API all
//! name a device's kind, so the type lives here, below them all.

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
}

impl DeviceKind {
    /// Every kind, in the order the console lists them.
    pub const ALL: [DeviceKind; 3] = [DeviceKind::GpsTag, DeviceKind::RfTag, DeviceKind::HomeUnit];

    /// The kind's name as stored and as the API and the command line spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::GpsTag => "gps-tag",
            DeviceKind::RfTag => "rf-tag",
            DeviceKind::HomeUnit => "home-unit",
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
#[error("unknown device kind (expected gps-tag, rf-tag or home-unit)")]
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
        for kind in DeviceKind::ALL {
            assert_eq!(kind.as_str().parse::<DeviceKind>(), Ok(kind));
        }
        assert_eq!("gps_tag".parse::<DeviceKind>(), Err(UnknownDeviceKind));
        assert_eq!("".parse::<DeviceKind>(), Err(UnknownDeviceKind));
    }
}
