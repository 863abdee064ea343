//! The sargs tag protocol (`shared/PROTOCOL.md`, version 1): the frames that ankle tags and home
//! units exchange with the engine.
//!
//! The core (frames, messages, CRC, MAC, COBS) is `no_std` and never allocates, so the same code
//! could run on the tag's microcontroller and the engine cannot disagree with the firmware about
//! what a valid frame is. The `std` feature adds what only a host needs: the serial codec for
//! `tokio_util`, the device-side session that the simulator and the tests drive, and its
//! engine-side counterpart, the device link ([`link`]) that ingest's writer drives.
//!
//! Nothing here does I/O or reads a clock: bytes and times are always passed in.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cobs;
mod crc;
mod error;
mod frame;
mod header;
mod kind;
mod mac;
mod message;

#[cfg(feature = "std")]
mod codec;
#[cfg(feature = "std")]
pub mod link;
#[cfg(feature = "std")]
mod session;

#[cfg(feature = "std")]
pub use codec::{SerialChunk, SerialCodec};
pub use crc::crc16;
pub use error::{EncodeError, FrameError};
#[cfg(feature = "std")]
pub use frame::encode_to_vec;
pub use frame::{Frame, decode, encode, verify_mac};
pub use header::{Flags, FrameType, Header};
pub use kind::{DeviceKind, UnknownDeviceKind};

/// A live (not STORED) frame whose device time is further than this from the engine's clock
/// marks the device's clock as skewed (PROTOCOL.md, "Delivery").
pub const CLOCK_SKEW_LIMIT_MS: i64 = 5 * 60 * 1000;
#[cfg(feature = "std")]
pub use link::{AckToSend, BatchEnd, EngineLink, Gap, LinkState, Received};
pub use message::{
    Ack, Alcohol, AlcoholTestKind, Config, Coord, Event, EventCode, Heartbeat, HeartbeatStatus,
    Hello, Location, LocationSource, Message, NotifyPattern, NotifyWearer, Presence,
};
#[cfg(feature = "std")]
pub use session::{DeviceSession, DownlinkEvent, SessionError, SessionOptions};

/// The only protocol version this crate speaks (frame byte 0).
pub const PROTOCOL_VERSION: u8 = 1;
/// Bytes before the payload: version, type, flags, reserved, device id, seq, time, length.
pub const HEADER_LEN: usize = 26;
/// Bytes of the truncated HMAC-SHA256 that follows the payload when flag MAC is set.
pub const MAC_LEN: usize = 8;
/// Bytes of the trailing CRC-16/CCITT-FALSE.
pub const CRC_LEN: usize = 2;
/// Smallest frame: a header, an empty payload and the CRC.
pub const MIN_FRAME_LEN: usize = HEADER_LEN + CRC_LEN;
/// Largest frame: a header, the largest payload, a MAC and the CRC.
pub const MAX_FRAME_LEN: usize = HEADER_LEN + MAX_PAYLOAD_LEN + MAC_LEN + CRC_LEN;
/// Largest payload length a frame may declare.
pub const MAX_PAYLOAD_LEN: usize = 1024;

/// The secret a device shares with the engine, set when the device is registered.
pub type DeviceKey = [u8; 32];

// The spec states these numbers; keep the derived constants honest.
const _: () = assert!(MIN_FRAME_LEN == 28);
const _: () = assert!(MAX_FRAME_LEN == 1060);
