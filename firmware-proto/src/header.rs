//! The fixed part of every frame: its type, flags, device, sequence number and time. Kept apart
//! from the payloads because the engine routes, deduplicates and acknowledges on these alone.

/// The flags byte (frame byte 2). Only the three bits PROTOCOL.md defines can be set.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
pub struct Flags(u8);

impl Flags {
    /// Bit 0: the sender wants this frame acknowledged.
    pub const ACK_REQUESTED: Flags = Flags(1 << 0);
    /// Bit 1: the frame was held in the device's buffer during a gap and is sent late.
    pub const STORED: Flags = Flags(1 << 1);
    /// Bit 2: an 8-byte MAC follows the payload.
    pub const MAC: Flags = Flags(1 << 2);
    /// Every defined bit.
    const ALL: u8 = Self::ACK_REQUESTED.0 | Self::STORED.0 | Self::MAC.0;

    /// No flags.
    pub const fn empty() -> Self {
        Flags(0)
    }

    /// The flags byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The flags of a flags byte, or `None` if it has bits the protocol does not define.
    pub fn from_bits(bits: u8) -> Option<Flags> {
        (bits & !Self::ALL == 0).then_some(Flags(bits))
    }

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Sets the flags of `other`.
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }

    /// Clears the flags of `other`.
    pub fn remove(&mut self, other: Flags) {
        self.0 &= !other.0;
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl core::ops::BitOr for Flags {
    type Output = Flags;

    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl core::ops::BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

/// The frame type (frame byte 1). Uplink types are below 0x80, downlink types above.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[repr(u8)]
pub enum FrameType {
    /// Device health, sent periodically.
    Heartbeat = 0x01,
    /// A position fix.
    Location = 0x02,
    /// A tamper, power or other event.
    Event = 0x03,
    /// Sent at boot and on every reconnect.
    Hello = 0x04,
    /// A home unit reporting whether its tag is in range.
    Presence = 0x05,
    /// A breath alcohol test.
    Alcohol = 0x06,
    /// Engine to device: frames up to a seq are durably stored.
    Ack = 0x81,
    /// Engine to device: reporting intervals.
    Config = 0x82,
    /// Engine to device: vibrate or beep to get the wearer's attention.
    NotifyWearer = 0x83,
    /// Engine to device: send a LOCATION now.
    LocateNow = 0x84,
    /// Engine to device: set the clock to the frame's time.
    Time = 0x85,
}

impl FrameType {
    /// Every frame type, uplink first.
    pub const ALL: [FrameType; 11] = [
        FrameType::Heartbeat,
        FrameType::Location,
        FrameType::Event,
        FrameType::Hello,
        FrameType::Presence,
        FrameType::Alcohol,
        FrameType::Ack,
        FrameType::Config,
        FrameType::NotifyWearer,
        FrameType::LocateNow,
        FrameType::Time,
    ];

    /// The type of a type byte, or `None` if the protocol does not define it.
    pub fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            0x01 => FrameType::Heartbeat,
            0x02 => FrameType::Location,
            0x03 => FrameType::Event,
            0x04 => FrameType::Hello,
            0x05 => FrameType::Presence,
            0x06 => FrameType::Alcohol,
            0x81 => FrameType::Ack,
            0x82 => FrameType::Config,
            0x83 => FrameType::NotifyWearer,
            0x84 => FrameType::LocateNow,
            0x85 => FrameType::Time,
            _ => return None,
        })
    }

    /// The type byte.
    pub const fn to_u8(self) -> u8 {
        self as u8
    }

    /// Whether devices send this type (rather than the engine).
    pub fn is_uplink(self) -> bool {
        (self as u8) < 0x80
    }

    /// The payload size PROTOCOL.md fixes for this type.
    pub fn payload_len(self) -> usize {
        match self {
            FrameType::Heartbeat => 7,
            FrameType::Location => 16,
            FrameType::Event => 4,
            FrameType::Hello => 13,
            FrameType::Presence => 10,
            FrameType::Alcohol => 4,
            FrameType::Ack => 4,
            FrameType::Config => 10,
            FrameType::NotifyWearer => 3,
            FrameType::LocateNow => 0,
            FrameType::Time => 0,
        }
    }

    /// A stable snake_case name for logs, metrics and JSON.
    pub fn name(self) -> &'static str {
        match self {
            FrameType::Heartbeat => "heartbeat",
            FrameType::Location => "location",
            FrameType::Event => "event",
            FrameType::Hello => "hello",
            FrameType::Presence => "presence",
            FrameType::Alcohol => "alcohol",
            FrameType::Ack => "ack",
            FrameType::Config => "config",
            FrameType::NotifyWearer => "notify_wearer",
            FrameType::LocateNow => "locate_now",
            FrameType::Time => "time",
        }
    }
}

impl core::fmt::Display for FrameType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for FrameType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Everything in a frame but the payload.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Header {
    /// The frame type; must match the message's.
    pub frame_type: FrameType,
    /// The flags. On encode, MAC is set or cleared to match whether a key is given.
    pub flags: Flags,
    /// The device the frame is from (uplink) or for (downlink); never 0.
    pub device_id: u64,
    /// Per device and direction, from 1, +1 per frame, never reused; never 0.
    pub seq: u32,
    /// When it happened on the sender's clock, milliseconds since the Unix epoch (UTC).
    pub time_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_bits_and_ops() {
        assert_eq!(Flags::empty().bits(), 0);
        assert_eq!(Flags::ACK_REQUESTED.bits(), 1);
        assert_eq!(Flags::STORED.bits(), 2);
        assert_eq!(Flags::MAC.bits(), 4);
        let mut f = Flags::ACK_REQUESTED | Flags::MAC;
        assert_eq!(f.bits(), 5);
        assert!(f.contains(Flags::MAC));
        assert!(!f.contains(Flags::STORED));
        assert!(f.contains(Flags::empty()));
        f.insert(Flags::STORED);
        assert_eq!(f.bits(), 7);
        f.remove(Flags::ACK_REQUESTED | Flags::MAC);
        assert_eq!(f, Flags::STORED);
        for bits in 0..=255u8 {
            assert_eq!(Flags::from_bits(bits).is_some(), bits < 8, "{bits:#x}");
        }
    }

    #[test]
    fn frame_type_bytes_round_trip() {
        let mut known = 0;
        for b in 0..=255u8 {
            if let Some(t) = FrameType::from_u8(b) {
                assert_eq!(t.to_u8(), b);
                assert_eq!(t.is_uplink(), b < 0x80);
                known += 1;
            }
        }
        assert_eq!(known, FrameType::ALL.len());
        for t in FrameType::ALL {
            assert_eq!(FrameType::from_u8(t as u8), Some(t));
        }
    }
}
