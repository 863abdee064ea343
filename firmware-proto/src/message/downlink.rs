//! The engine's frames to a device: ACK, CONFIG and NOTIFY_WEARER (LOCATE_NOW and TIME carry
//! no payload).

use super::{be16, be32, out_of_range};
use crate::error::FrameError;

/// ACK (0x81): every uplink frame of the device with seq ≤ `acked_seq` is durably stored.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Ack {
    /// The highest seq covered.
    pub acked_seq: u32,
}

impl Ack {
    pub(super) const LEN: usize = 4;

    pub(super) fn from_bytes(p: &[u8; Self::LEN]) -> Self {
        Ack {
            acked_seq: be32(*p),
        }
    }

    pub(super) fn to_bytes(self) -> [u8; Self::LEN] {
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
    pub(super) const LEN: usize = 10;

    pub(super) fn from_bytes(p: &[u8; Self::LEN]) -> Self {
        Config {
            heartbeat_interval_s: be16(p[0], p[1]),
            location_interval_moving_s: be16(p[2], p[3]),
            location_interval_still_s: be16(p[4], p[5]),
            config_revision: be32([p[6], p[7], p[8], p[9]]),
        }
    }

    pub(super) fn to_bytes(self) -> [u8; Self::LEN] {
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
    pub(super) const LEN: usize = 3;

    pub(super) fn from_bytes(p: &[u8; Self::LEN]) -> Result<Self, FrameError> {
        let pattern = NotifyPattern::from_u8(p[0]).ok_or(out_of_range("pattern", p[0].into()))?;
        Ok(NotifyWearer {
            pattern,
            message_id: be16(p[1], p[2]),
        })
    }

    pub(super) fn to_bytes(self) -> [u8; Self::LEN] {
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
