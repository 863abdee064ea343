//! The payloads, one plain `Copy` struct per frame type, in the protocol's raw units (the field
//! names say which), and their fixed-size big-endian layouts. Ranges the protocol limits are
//! checked here, on decode and on encode alike, so a frame this crate builds is one it accepts.

use crate::error::{EncodeError, FrameError};
use crate::header::FrameType;

mod downlink;
mod event;
mod location;
#[cfg(test)]
mod tests;
mod uplink;

pub use downlink::{Ack, Config, NotifyPattern, NotifyWearer};
pub use event::{Event, EventCode};
pub use location::{Coord, Location, LocationSource};
pub use uplink::{Alcohol, AlcoholTestKind, Heartbeat, HeartbeatStatus, Hello, Presence};

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
