//! The device's own reports: its health (HEARTBEAT), its boot (HELLO), a home unit hearing its
//! tag (PRESENCE) and a breath test (ALCOHOL). Positions and events have files of their own.

use super::{OutOfRange, be16, be32, ensure, out_of_range};
use crate::error::FrameError;

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
    pub(super) const LEN: usize = 7;

    pub(super) fn check(&self) -> Result<(), OutOfRange> {
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

    pub(super) fn from_bytes(p: &[u8; Self::LEN]) -> Result<Self, FrameError> {
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

    pub(super) fn to_bytes(self) -> [u8; Self::LEN] {
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
    pub(super) const LEN: usize = 13;

    pub(super) fn from_bytes(p: &[u8; Self::LEN]) -> Self {
        Hello {
            hardware_model: be16(p[0], p[1]),
            firmware_major: p[2],
            firmware_minor: p[3],
            firmware_patch: p[4],
            config_revision: be32([p[5], p[6], p[7], p[8]]),
            frames_buffered: be32([p[9], p[10], p[11], p[12]]),
        }
    }

    pub(super) fn to_bytes(self) -> [u8; Self::LEN] {
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
    pub(super) const LEN: usize = 10;

    pub(super) fn from_bytes(p: &[u8; Self::LEN]) -> Result<Self, FrameError> {
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

    pub(super) fn to_bytes(self) -> [u8; Self::LEN] {
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
    pub(super) const LEN: usize = 4;

    pub(super) fn check(&self) -> Result<(), OutOfRange> {
        ensure(
            self.face_match_percent <= 100,
            "face_match_percent",
            self.face_match_percent.into(),
        )
    }

    pub(super) fn from_bytes(p: &[u8; Self::LEN]) -> Result<Self, FrameError> {
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

    pub(super) fn to_bytes(self) -> [u8; Self::LEN] {
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
