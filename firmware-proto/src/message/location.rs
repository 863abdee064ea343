//! LOCATION: coordinates in the wire's 1e-7 degree units, the fix and where it came from.

use super::{OutOfRange, be16, bits_i32, ensure, out_of_range};
use crate::error::FrameError;

/// A latitude or longitude in units of 1e-7 degree, as on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Hash, PartialOrd, Ord)]
pub struct Coord(pub i32);

impl Coord {
    /// Degrees (positive north and east).
    pub fn degrees(self) -> f64 {
        f64::from(self.0) / 1e7
    }

    /// The nearest coordinate to `degrees` (halves away from zero). Values beyond the i32 range
    /// saturate and NaN gives 0; the range the protocol allows is checked on encode.
    pub fn from_degrees(degrees: f64) -> Coord {
        // core has no f64::round without std; round by hand from the truncated value, which is
        // exact for every value that fits in an i32.
        let scaled = degrees * 1e7;
        let truncated = scaled as i64; // saturating; NaN gives 0
        let fraction = scaled - truncated as f64;
        let rounded = if fraction >= 0.5 {
            truncated.saturating_add(1)
        } else if fraction <= -0.5 {
            truncated.saturating_sub(1)
        } else {
            truncated
        };
        Coord(rounded.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Coord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.degrees())
    }
}

/// Latitude limit: ±90° in 1e-7 degree.
const MAX_LAT: i32 = 900_000_000;
/// Longitude limit: ±180° in 1e-7 degree.
const MAX_LON: i32 = 1_800_000_000;
/// "Unknown" for accuracy and heading.
const UNKNOWN_U16: u16 = 0xFFFF;

/// LOCATION (0x02): a position fix.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Location {
    /// Latitude, within ±90°.
    pub lat: Coord,
    /// Longitude, within ±180°.
    pub lon: Coord,
    /// Radius in metres at 95 % confidence; `None` if unknown (0xFFFF on the wire).
    pub accuracy_m: Option<u16>,
    /// How the fix was obtained.
    pub source: LocationSource,
    /// Satellites used.
    pub satellites: u8,
    /// Speed in cm/s.
    pub speed_cm_s: u16,
    /// Heading in degrees, 0..=359; `None` if unknown (0xFFFF on the wire).
    pub heading_deg: Option<u16>,
}

impl Location {
    pub(super) const LEN: usize = 16;

    pub(super) fn check(&self) -> Result<(), OutOfRange> {
        let (lat, lon) = (self.lat.0, self.lon.0);
        ensure((-MAX_LAT..=MAX_LAT).contains(&lat), "lat", bits_i32(lat))?;
        ensure((-MAX_LON..=MAX_LON).contains(&lon), "lon", bits_i32(lon))?;
        // Some(0xFFFF) would encode as "unknown" and decode as None.
        if let Some(accuracy) = self.accuracy_m {
            ensure(accuracy != UNKNOWN_U16, "accuracy_m", accuracy.into())?;
        }
        if let Some(heading) = self.heading_deg {
            ensure(heading <= 359, "heading_deg", heading.into())?;
        }
        Ok(())
    }

    pub(super) fn from_bytes(p: &[u8; Self::LEN]) -> Result<Self, FrameError> {
        let lat = i32::from_be_bytes([p[0], p[1], p[2], p[3]]);
        let lon = i32::from_be_bytes([p[4], p[5], p[6], p[7]]);
        let accuracy = be16(p[8], p[9]);
        let source = LocationSource::from_u8(p[10]).ok_or(out_of_range("source", p[10].into()))?;
        let heading = be16(p[14], p[15]);
        let location = Location {
            lat: Coord(lat),
            lon: Coord(lon),
            accuracy_m: (accuracy != UNKNOWN_U16).then_some(accuracy),
            source,
            satellites: p[11],
            speed_cm_s: be16(p[12], p[13]),
            heading_deg: (heading != UNKNOWN_U16).then_some(heading),
        };
        location.check()?;
        Ok(location)
    }

    pub(super) fn to_bytes(self) -> [u8; Self::LEN] {
        let [a0, a1, a2, a3] = self.lat.0.to_be_bytes();
        let [o0, o1, o2, o3] = self.lon.0.to_be_bytes();
        let [c0, c1] = self.accuracy_m.unwrap_or(UNKNOWN_U16).to_be_bytes();
        let [s0, s1] = self.speed_cm_s.to_be_bytes();
        let [h0, h1] = self.heading_deg.unwrap_or(UNKNOWN_U16).to_be_bytes();
        [
            a0,
            a1,
            a2,
            a3,
            o0,
            o1,
            o2,
            o3,
            c0,
            c1,
            self.source as u8,
            self.satellites,
            s0,
            s1,
            h0,
            h1,
        ]
    }
}

/// How a LOCATION fix was obtained.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[repr(u8)]
pub enum LocationSource {
    /// Satellite navigation.
    #[cfg_attr(feature = "serde", serde(rename = "gnss"))]
    Gnss = 1,
    /// Wi-Fi positioning.
    #[cfg_attr(feature = "serde", serde(rename = "wifi"))]
    WiFi = 2,
    /// Cell-tower positioning.
    #[cfg_attr(feature = "serde", serde(rename = "cell"))]
    Cell = 3,
}

impl LocationSource {
    /// The source of a source byte, or `None` if undefined.
    pub fn from_u8(b: u8) -> Option<Self> {
        match b {
            1 => Some(LocationSource::Gnss),
            2 => Some(LocationSource::WiFi),
            3 => Some(LocationSource::Cell),
            _ => None,
        }
    }
}
