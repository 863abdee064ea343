//! The payloads, one plain `Copy` struct per frame type, in the protocol's raw units (the field
//! names say which), and their fixed-size big-endian layouts. Ranges the protocol limits are
//! checked here, on decode and on encode alike, so a frame this crate builds is one it accepts.

use crate::error::{EncodeError, FrameError};
use crate::header::FrameType;

/// The largest fixed payload (LOCATION).
pub(crate) const MAX_FIXED_PAYLOAD: usize = 16;

fn be16(a: u8, b: u8) -> u16 {
    u16::from_be_bytes([a, b])
}

fn be32(b: [u8; 4]) -> u32 {
    u32::from_be_bytes(b)
}

/// A field outside its range; becomes `FieldOutOfRange` of [`FrameError`] or [`EncodeError`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct OutOfRange {
    field: &'static str,
    value: u32,
}

impl From<OutOfRange> for FrameError {
    fn from(e: OutOfRange) -> Self {
        FrameError::FieldOutOfRange {
            field: e.field,
            value: e.value,
        }
    }
}

impl From<OutOfRange> for EncodeError {
    fn from(e: OutOfRange) -> Self {
        EncodeError::FieldOutOfRange {
            field: e.field,
            value: e.value,
        }
    }
}

fn out_of_range(field: &'static str, value: u32) -> OutOfRange {
    OutOfRange { field, value }
}

/// Fails with [`OutOfRange`] unless `ok`.
fn ensure(ok: bool, field: &'static str, value: u32) -> Result<(), OutOfRange> {
    if ok {
        Ok(())
    } else {
        Err(out_of_range(field, value))
    }
}

/// The two's-complement bits of a signed field, for [`FrameError::FieldOutOfRange`].
fn bits_i32(v: i32) -> u32 {
    u32::from_ne_bytes(v.to_ne_bytes())
}

/// HEARTBEAT (0x01): the device's health, sent periodically.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Heartbeat {
    /// Battery charge, 0..=100 %.
    pub battery_percent: u8,
    /// Battery voltage in millivolts.
    pub battery_mv: u16,
    /// Status bits.
    pub status: HeartbeatStatus,
    /// Received signal strength in dBm.
    pub rssi_dbm: i8,
    /// Device temperature in °C.
    pub temperature_c: i8,
}

impl Heartbeat {
    const LEN: usize = 7;

    fn check(&self) -> Result<(), OutOfRange> {
        ensure(
            self.battery_percent <= 100,
            "battery_percent",
            self.battery_percent.into(),
        )?;
        ensure(
            self.status.0 & !HeartbeatStatus::DEFINED == 0,
            "status",
            self.status.0.into(),
        )
    }

    fn from_bytes(p: &[u8; Self::LEN]) -> Result<Self, FrameError> {
        let hb = Heartbeat {
            battery_percent: p[0],
            battery_mv: be16(p[1], p[2]),
            status: HeartbeatStatus(be16(p[3], p[4])),
            rssi_dbm: p[5] as i8,
            temperature_c: p[6] as i8,
        };
        hb.check()?;
        Ok(hb)
    }

    fn to_bytes(self) -> [u8; Self::LEN] {
        let [mv0, mv1] = self.battery_mv.to_be_bytes();
        let [st0, st1] = self.status.0.to_be_bytes();
        [
            self.battery_percent,
            mv0,
            mv1,
            st0,
            st1,
            self.rssi_dbm as u8,
            self.temperature_c as u8,
        ]
    }
}

/// HEARTBEAT status bits; bits 8..15 must be 0.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
pub struct HeartbeatStatus(pub u16);

impl HeartbeatStatus {
    /// The strap is closed.
    pub const STRAP_CLOSED: u16 = 1 << 0;
    /// The case is closed.
    pub const CASE_CLOSED: u16 = 1 << 1;
    /// The tag touches skin.
    pub const SKIN_CONTACT: u16 = 1 << 2;
    /// The battery is charging.
    pub const CHARGING: u16 = 1 << 3;
    /// The tag hears its home unit.
    pub const RF_HOME_PRESENT: u16 = 1 << 4;
    /// The GNSS receiver has a fix.
    pub const GNSS_FIX: u16 = 1 << 5;
    /// On mains power (home units).
    pub const MAINS_POWER: u16 = 1 << 6;
    /// The device is moving.
    pub const MOTION: u16 = 1 << 7;
    /// Every defined bit.
    pub const DEFINED: u16 = 0x00FF;

    /// Whether every bit of `bit` is set.
    pub fn contains(self, bit: u16) -> bool {
        self.0 & bit == bit
    }
}

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
    const LEN: usize = 16;

    fn check(&self) -> Result<(), OutOfRange> {
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

    fn from_bytes(p: &[u8; Self::LEN]) -> Result<Self, FrameError> {
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

    fn to_bytes(self) -> [u8; Self::LEN] {
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

/// EVENT (0x03): something happened on the device.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Event {
    /// What happened.
    pub code: EventCode,
    /// A code-specific value (battery % for BATTERY_LOW/CRITICAL, the reason for REBOOT).
    pub value: u16,
}

impl Event {
    const LEN: usize = 4;

    fn from_bytes(p: &[u8; Self::LEN]) -> Self {
        Event {
            code: EventCode::from_u16(be16(p[0], p[1])),
            value: be16(p[2], p[3]),
        }
    }

    fn to_bytes(self) -> [u8; Self::LEN] {
        let [c0, c1] = self.code.to_u16().to_be_bytes();
        let [v0, v1] = self.value.to_be_bytes();
        [c0, c1, v0, v1]
    }
}

/// Serialized as `{"code": name, "code_raw": u16, "value": u16}` so an unknown code keeps its
/// number.
#[cfg(feature = "serde")]
impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Event", 3)?;
        s.serialize_field("code", self.code.name())?;
        s.serialize_field("code_raw", &self.code.to_u16())?;
        s.serialize_field("value", &self.value)?;
        s.end()
    }
}

/// EVENT codes. A code this version does not know is kept as `Unknown`, not rejected, so newer
/// firmware can add events without the engine dropping them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum EventCode {
    /// STRAP_OPENED (0x0001): the strap around the ankle was opened or cut.
    StrapOpened,
    /// STRAP_CLOSED (0x0002): the strap is closed again.
    StrapClosed,
    /// CASE_OPENED (0x0003): the device's case was opened.
    CaseOpened,
    /// CASE_CLOSED (0x0004): the case is closed again.
    CaseClosed,
    /// SKIN_CONTACT_LOST (0x0005): the tag no longer touches skin (taken off, or shielded).
    SkinContactLost,
    /// SKIN_CONTACT_RESTORED (0x0006): the tag touches skin again.
    SkinContactRestored,
    /// CHARGER_CONNECTED (0x0007): charging began.
    ChargerConnected,
    /// CHARGER_DISCONNECTED (0x0008): charging ended.
    ChargerDisconnected,
    /// BATTERY_LOW (0x0009); value = battery %.
    BatteryLow,
    /// BATTERY_CRITICAL (0x000A); value = battery %.
    BatteryCritical,
    /// JAMMING_SUSPECTED (0x000B): the radio or GNSS signal looks jammed.
    JammingSuspected,
    /// SHIELDING_SUSPECTED (0x000C): the device looks wrapped to block its signals.
    ShieldingSuspected,
    /// MAINS_POWER_LOST (0x000D): a home unit runs on its backup battery.
    MainsPowerLost,
    /// MAINS_POWER_RESTORED (0x000E): a home unit is on mains power again.
    MainsPowerRestored,
    /// REBOOT (0x000F); value = reason.
    Reboot,
    /// BUTTON_PRESSED (0x0010): the wearer pressed the device's button.
    ButtonPressed,
    /// A code this version does not define (use [`EventCode::from_u16`] so that known codes are
    /// never wrapped here).
    Unknown(u16),
}

impl EventCode {
    /// The code of a code number; unknown numbers are kept as `Unknown`.
    pub fn from_u16(code: u16) -> Self {
        match code {
            0x0001 => EventCode::StrapOpened,
            0x0002 => EventCode::StrapClosed,
            0x0003 => EventCode::CaseOpened,
            0x0004 => EventCode::CaseClosed,
            0x0005 => EventCode::SkinContactLost,
            0x0006 => EventCode::SkinContactRestored,
            0x0007 => EventCode::ChargerConnected,
            0x0008 => EventCode::ChargerDisconnected,
            0x0009 => EventCode::BatteryLow,
            0x000A => EventCode::BatteryCritical,
            0x000B => EventCode::JammingSuspected,
            0x000C => EventCode::ShieldingSuspected,
            0x000D => EventCode::MainsPowerLost,
            0x000E => EventCode::MainsPowerRestored,
            0x000F => EventCode::Reboot,
            0x0010 => EventCode::ButtonPressed,
            other => EventCode::Unknown(other),
        }
    }

    /// The code number.
    pub fn to_u16(self) -> u16 {
        match self {
            EventCode::StrapOpened => 0x0001,
            EventCode::StrapClosed => 0x0002,
            EventCode::CaseOpened => 0x0003,
            EventCode::CaseClosed => 0x0004,
            EventCode::SkinContactLost => 0x0005,
            EventCode::SkinContactRestored => 0x0006,
            EventCode::ChargerConnected => 0x0007,
            EventCode::ChargerDisconnected => 0x0008,
            EventCode::BatteryLow => 0x0009,
            EventCode::BatteryCritical => 0x000A,
            EventCode::JammingSuspected => 0x000B,
            EventCode::ShieldingSuspected => 0x000C,
            EventCode::MainsPowerLost => 0x000D,
            EventCode::MainsPowerRestored => 0x000E,
            EventCode::Reboot => 0x000F,
            EventCode::ButtonPressed => 0x0010,
            EventCode::Unknown(code) => code,
        }
    }

    /// A stable snake_case name; "unknown" for `Unknown`.
    pub fn name(self) -> &'static str {
        match self {
            EventCode::StrapOpened => "strap_opened",
            EventCode::StrapClosed => "strap_closed",
            EventCode::CaseOpened => "case_opened",
            EventCode::CaseClosed => "case_closed",
            EventCode::SkinContactLost => "skin_contact_lost",
            EventCode::SkinContactRestored => "skin_contact_restored",
            EventCode::ChargerConnected => "charger_connected",
            EventCode::ChargerDisconnected => "charger_disconnected",
            EventCode::BatteryLow => "battery_low",
            EventCode::BatteryCritical => "battery_critical",
            EventCode::JammingSuspected => "jamming_suspected",
            EventCode::ShieldingSuspected => "shielding_suspected",
            EventCode::MainsPowerLost => "mains_power_lost",
            EventCode::MainsPowerRestored => "mains_power_restored",
            EventCode::Reboot => "reboot",
            EventCode::ButtonPressed => "button_pressed",
            EventCode::Unknown(_) => "unknown",
        }
    }
}

/// HELLO (0x04): sent at boot and on every reconnect.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Hello {
    /// Hardware model number.
    pub hardware_model: u16,
    /// Firmware major version.
    pub firmware_major: u8,
    /// Firmware minor version.
    pub firmware_minor: u8,
    /// Firmware patch version.
    pub firmware_patch: u8,
    /// Revision of the configuration the device runs.
    pub config_revision: u32,
    /// Frames still in the device's buffer.
    pub frames_buffered: u32,
}

impl Hello {
    const LEN: usize = 13;

    fn from_bytes(p: &[u8; Self::LEN]) -> Self {
        Hello {
            hardware_model: be16(p[0], p[1]),
            firmware_major: p[2],
            firmware_minor: p[3],
            firmware_patch: p[4],
            config_revision: be32([p[5], p[6], p[7], p[8]]),
            frames_buffered: be32([p[9], p[10], p[11], p[12]]),
        }
    }

    fn to_bytes(self) -> [u8; Self::LEN] {
        let [m0, m1] = self.hardware_model.to_be_bytes();
        let [r0, r1, r2, r3] = self.config_revision.to_be_bytes();
        let [b0, b1, b2, b3] = self.frames_buffered.to_be_bytes();
        [
            m0,
            m1,
            self.firmware_major,
            self.firmware_minor,
            self.firmware_patch,
            r0,
            r1,
            r2,
            r3,
            b0,
            b1,
            b2,
            b3,
        ]
    }
}

/// PRESENCE (0x05): a home unit reports whether it hears its tag.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Presence {
    /// The tag's device id.
    pub tag_id: u64,
    /// Whether the tag is in range of this home unit (state 1) or not (state 0).
    pub in_range: bool,
    /// Signal strength of the tag in dBm.
    pub rssi_dbm: i8,
}

impl Presence {
    const LEN: usize = 10;

    fn from_bytes(p: &[u8; Self::LEN]) -> Result<Self, FrameError> {
        let in_range = match p[8] {
            0 => false,
            1 => true,
            other => return Err(out_of_range("in_range", other.into()).into()),
        };
        Ok(Presence {
            tag_id: u64::from_be_bytes([p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]]),
            in_range,
            rssi_dbm: p[9] as i8,
        })
    }

    fn to_bytes(self) -> [u8; Self::LEN] {
        let [t0, t1, t2, t3, t4, t5, t6, t7] = self.tag_id.to_be_bytes();
        [
            t0,
            t1,
            t2,
            t3,
            t4,
            t5,
            t6,
            t7,
            u8::from(self.in_range),
            self.rssi_dbm as u8,
        ]
    }
}

/// ALCOHOL (0x06): a breath alcohol test.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Alcohol {
    /// Breath alcohol in µg/L.
    pub breath_alcohol_ug_l: u16,
    /// How well the face matched the enrolled client, 0..=100 %.
    pub face_match_percent: u8,
    /// Why the test was taken.
    pub test_kind: AlcoholTestKind,
}

impl Alcohol {
    const LEN: usize = 4;

    fn check(&self) -> Result<(), OutOfRange> {
        ensure(
            self.face_match_percent <= 100,
            "face_match_percent",
            self.face_match_percent.into(),
        )
    }

    fn from_bytes(p: &[u8; Self::LEN]) -> Result<Self, FrameError> {
        let test_kind =
            AlcoholTestKind::from_u8(p[3]).ok_or(out_of_range("test_kind", p[3].into()))?;
        let alcohol = Alcohol {
            breath_alcohol_ug_l: be16(p[0], p[1]),
            face_match_percent: p[2],
            test_kind,
        };
        alcohol.check()?;
        Ok(alcohol)
    }

    fn to_bytes(self) -> [u8; Self::LEN] {
        let [a0, a1] = self.breath_alcohol_ug_l.to_be_bytes();
        [a0, a1, self.face_match_percent, self.test_kind as u8]
    }
}

/// Why an ALCOHOL test was taken.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[repr(u8)]
pub enum AlcoholTestKind {
    /// On the order's schedule.
    Scheduled = 1,
    /// At a random time.
    Random = 2,
    /// Requested by an officer.
    OnDemand = 3,
}

impl AlcoholTestKind {
    /// The kind of a kind byte, or `None` if undefined.
    pub fn from_u8(b: u8) -> Option<Self> {
        match b {
            1 => Some(AlcoholTestKind::Scheduled),
            2 => Some(AlcoholTestKind::Random),
            3 => Some(AlcoholTestKind::OnDemand),
            _ => None,
        }
    }
}

/// ACK (0x81): every uplink frame of the device with seq ≤ `acked_seq` is durably stored.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Ack {
    /// The highest seq covered.
    pub acked_seq: u32,
}

impl Ack {
    const LEN: usize = 4;

    fn from_bytes(p: &[u8; Self::LEN]) -> Self {
        Ack {
            acked_seq: be32(*p),
        }
    }

    fn to_bytes(self) -> [u8; Self::LEN] {
        self.acked_seq.to_be_bytes()
    }
}

/// CONFIG (0x82): reporting intervals for the device.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Config {
    /// Seconds between HEARTBEATs.
    pub heartbeat_interval_s: u16,
    /// Seconds between LOCATIONs while moving.
    pub location_interval_moving_s: u16,
    /// Seconds between LOCATIONs while still.
    pub location_interval_still_s: u16,
    /// The revision of this configuration, echoed in HELLO.
    pub config_revision: u32,
}

impl Config {
    const LEN: usize = 10;

    fn from_bytes(p: &[u8; Self::LEN]) -> Self {
        Config {
            heartbeat_interval_s: be16(p[0], p[1]),
            location_interval_moving_s: be16(p[2], p[3]),
            location_interval_still_s: be16(p[4], p[5]),
            config_revision: be32([p[6], p[7], p[8], p[9]]),
        }
    }

    fn to_bytes(self) -> [u8; Self::LEN] {
        let [h0, h1] = self.heartbeat_interval_s.to_be_bytes();
        let [m0, m1] = self.location_interval_moving_s.to_be_bytes();
        let [s0, s1] = self.location_interval_still_s.to_be_bytes();
        let [r0, r1, r2, r3] = self.config_revision.to_be_bytes();
        [h0, h1, m0, m1, s0, s1, r0, r1, r2, r3]
    }
}

/// NOTIFY_WEARER (0x83): get the wearer's attention.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NotifyWearer {
    /// How.
    pub pattern: NotifyPattern,
    /// Which message the wearer should look at or be told.
    pub message_id: u16,
}

impl NotifyWearer {
    const LEN: usize = 3;

    fn from_bytes(p: &[u8; Self::LEN]) -> Result<Self, FrameError> {
        let pattern = NotifyPattern::from_u8(p[0]).ok_or(out_of_range("pattern", p[0].into()))?;
        Ok(NotifyWearer {
            pattern,
            message_id: be16(p[1], p[2]),
        })
    }

    fn to_bytes(self) -> [u8; Self::LEN] {
        let [m0, m1] = self.message_id.to_be_bytes();
        [self.pattern as u8, m0, m1]
    }
}

/// How NOTIFY_WEARER gets the wearer's attention.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[repr(u8)]
pub enum NotifyPattern {
    /// A short vibration.
    ShortVibration = 1,
    /// A long vibration.
    LongVibration = 2,
    /// A beep.
    Beep = 3,
}

impl NotifyPattern {
    /// The pattern of a pattern byte, or `None` if undefined.
    pub fn from_u8(b: u8) -> Option<Self> {
        match b {
            1 => Some(NotifyPattern::ShortVibration),
            2 => Some(NotifyPattern::LongVibration),
            3 => Some(NotifyPattern::Beep),
            _ => None,
        }
    }
}

/// A frame's payload, by type. Serialized (with `serde`) with a `"type"` tag holding
/// [`FrameType::name`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(tag = "type", rename_all = "snake_case")
)]
pub enum Message {
    /// HEARTBEAT (0x01): battery, signal and status bits.
    Heartbeat(Heartbeat),
    /// LOCATION (0x02): a position fix.
    Location(Location),
    /// EVENT (0x03): something happened to the device ([`EventCode`]).
    Event(Event),
    /// HELLO (0x04): sent at boot and on every reconnect.
    Hello(Hello),
    /// PRESENCE (0x05): a home unit says whether it hears a tag.
    Presence(Presence),
    /// ALCOHOL (0x06): a breath alcohol test.
    Alcohol(Alcohol),
    /// ACK (0x81): every uplink frame of the device up to this seq is durably stored.
    Ack(Ack),
    /// CONFIG (0x82): the engine sets the heartbeat and location intervals.
    Config(Config),
    /// NOTIFY_WEARER (0x83): the device vibrates or beeps to tell its wearer something.
    NotifyWearer(NotifyWearer),
    /// LOCATE_NOW (0x84): send a LOCATION now. No payload.
    LocateNow,
    /// TIME (0x85): set the clock to the frame's time. No payload.
    Time,
}

impl Message {
    /// The frame type that carries this message.
    pub fn frame_type(&self) -> FrameType {
        match self {
            Message::Heartbeat(_) => FrameType::Heartbeat,
            Message::Location(_) => FrameType::Location,
            Message::Event(_) => FrameType::Event,
            Message::Hello(_) => FrameType::Hello,
            Message::Presence(_) => FrameType::Presence,
            Message::Alcohol(_) => FrameType::Alcohol,
            Message::Ack(_) => FrameType::Ack,
            Message::Config(_) => FrameType::Config,
            Message::NotifyWearer(_) => FrameType::NotifyWearer,
            Message::LocateNow => FrameType::LocateNow,
            Message::Time => FrameType::Time,
        }
    }

    /// Checks the ranges the protocol limits, as decode would.
    pub(crate) fn check(&self) -> Result<(), OutOfRange> {
        match self {
            Message::Heartbeat(m) => m.check(),
            Message::Location(m) => m.check(),
            Message::Alcohol(m) => m.check(),
            Message::Event(_)
            | Message::Hello(_)
            | Message::Presence(_)
            | Message::Ack(_)
            | Message::Config(_)
            | Message::NotifyWearer(_)
            | Message::LocateNow
            | Message::Time => Ok(()),
        }
    }

    /// Parses and range-checks a payload whose length the caller has checked against
    /// `frame_type.payload_len()`.
    pub(crate) fn decode_payload(
        frame_type: FrameType,
        payload: &[u8],
    ) -> Result<Self, FrameError> {
        Ok(match frame_type {
            FrameType::Heartbeat => {
                Message::Heartbeat(Heartbeat::from_bytes(fixed(frame_type, payload)?)?)
            }
            FrameType::Location => {
                Message::Location(Location::from_bytes(fixed(frame_type, payload)?)?)
            }
            FrameType::Event => Message::Event(Event::from_bytes(fixed(frame_type, payload)?)),
            FrameType::Hello => Message::Hello(Hello::from_bytes(fixed(frame_type, payload)?)),
            FrameType::Presence => {
                Message::Presence(Presence::from_bytes(fixed(frame_type, payload)?)?)
            }
            FrameType::Alcohol => {
                Message::Alcohol(Alcohol::from_bytes(fixed(frame_type, payload)?)?)
            }
            FrameType::Ack => Message::Ack(Ack::from_bytes(fixed(frame_type, payload)?)),
            FrameType::Config => Message::Config(Config::from_bytes(fixed(frame_type, payload)?)),
            FrameType::NotifyWearer => {
                Message::NotifyWearer(NotifyWearer::from_bytes(fixed(frame_type, payload)?)?)
            }
            FrameType::LocateNow => {
                fixed::<0>(frame_type, payload)?;
                Message::LocateNow
            }
            FrameType::Time => {
                fixed::<0>(frame_type, payload)?;
                Message::Time
            }
        })
    }

    /// The payload bytes: a buffer and how much of it is used.
    pub(crate) fn encode_payload(&self) -> ([u8; MAX_FIXED_PAYLOAD], usize) {
        match self {
            Message::Heartbeat(m) => padded(m.to_bytes()),
            Message::Location(m) => padded(m.to_bytes()),
            Message::Event(m) => padded(m.to_bytes()),
            Message::Hello(m) => padded(m.to_bytes()),
            Message::Presence(m) => padded(m.to_bytes()),
            Message::Alcohol(m) => padded(m.to_bytes()),
            Message::Ack(m) => padded(m.to_bytes()),
            Message::Config(m) => padded(m.to_bytes()),
            Message::NotifyWearer(m) => padded(m.to_bytes()),
            Message::LocateNow | Message::Time => padded([]),
        }
    }
}

/// The payload as a fixed-size array, so the parsers index it without any runtime bounds check.
fn fixed<const N: usize>(frame_type: FrameType, payload: &[u8]) -> Result<&[u8; N], FrameError> {
    payload.try_into().map_err(|_| FrameError::PayloadSize {
        frame_type,
        expected: N,
        actual: payload.len(),
    })
}

fn padded<const N: usize>(bytes: [u8; N]) -> ([u8; MAX_FIXED_PAYLOAD], usize) {
    const { assert!(N <= MAX_FIXED_PAYLOAD) };
    let mut buf = [0u8; MAX_FIXED_PAYLOAD];
    for (dst, src) in buf.iter_mut().zip(bytes) {
        *dst = src;
    }
    (buf, N)
}

macro_rules! from_payload {
    ($($ty:ident),*) => {$(
        impl From<$ty> for Message {
            fn from(m: $ty) -> Message {
                Message::$ty(m)
            }
        }
    )*};
}
from_payload!(
    Heartbeat,
    Location,
    Event,
    Hello,
    Presence,
    Alcohol,
    Ack,
    Config,
    NotifyWearer
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_sizes_match_frame_types() {
        assert_eq!(Heartbeat::LEN, FrameType::Heartbeat.payload_len());
        assert_eq!(Location::LEN, FrameType::Location.payload_len());
        assert_eq!(Event::LEN, FrameType::Event.payload_len());
        assert_eq!(Hello::LEN, FrameType::Hello.payload_len());
        assert_eq!(Presence::LEN, FrameType::Presence.payload_len());
        assert_eq!(Alcohol::LEN, FrameType::Alcohol.payload_len());
        assert_eq!(Ack::LEN, FrameType::Ack.payload_len());
        assert_eq!(Config::LEN, FrameType::Config.payload_len());
        assert_eq!(NotifyWearer::LEN, FrameType::NotifyWearer.payload_len());
        for t in FrameType::ALL {
            assert!(t.payload_len() <= MAX_FIXED_PAYLOAD);
        }
    }

    #[test]
    fn event_codes_round_trip() {
        for code in 0..=u16::MAX {
            let c = EventCode::from_u16(code);
            assert_eq!(c.to_u16(), code);
            assert_eq!(
                matches!(c, EventCode::Unknown(_)),
                !(1..=0x10).contains(&code)
            );
            assert_eq!(c.name() == "unknown", matches!(c, EventCode::Unknown(_)));
        }
    }

    #[test]
    fn coord_rounding() {
        assert_eq!(Coord::from_degrees(56.9496), Coord(569_496_000));
        assert_eq!(Coord::from_degrees(24.1052), Coord(241_052_000));
        assert_eq!(Coord::from_degrees(-0.000_000_05), Coord(-1));
        assert_eq!(Coord::from_degrees(0.000_000_049), Coord(0));
        assert_eq!(Coord::from_degrees(-180.0), Coord(-1_800_000_000));
        assert_eq!(Coord::from_degrees(1e10), Coord(i32::MAX));
        assert_eq!(Coord::from_degrees(-1e10), Coord(i32::MIN));
        assert_eq!(Coord::from_degrees(f64::NAN), Coord(0));
        assert_eq!(Coord(569_496_000).degrees(), 56.9496);
        for raw in [-900_000_000, -1, 0, 1, 123_456_789, 1_800_000_000] {
            assert_eq!(Coord::from_degrees(Coord(raw).degrees()), Coord(raw));
        }
    }

    #[test]
    fn heartbeat_status_contains() {
        let s = HeartbeatStatus(0x0037);
        assert!(s.contains(HeartbeatStatus::STRAP_CLOSED));
        assert!(s.contains(HeartbeatStatus::CASE_CLOSED | HeartbeatStatus::SKIN_CONTACT));
        assert!(!s.contains(HeartbeatStatus::CHARGING));
        assert!(s.contains(HeartbeatStatus::RF_HOME_PRESENT));
        assert!(s.contains(HeartbeatStatus::GNSS_FIX));
        assert!(!s.contains(HeartbeatStatus::MAINS_POWER));
        assert!(!s.contains(HeartbeatStatus::MOTION));
    }
}
