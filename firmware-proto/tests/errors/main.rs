//! One test per `FrameError` variant (and per `EncodeError` variant reachable through the API),
//! each built by mutating a valid frame, plus the order in which decode checks.

#[path = "../common/mod.rs"]
mod common;

use common::{T0, encode_vec, fix_crc, header_for, heartbeat_frame, other_key, vector_key};
use firmware_proto::{
    Alcohol, AlcoholTestKind, Coord, EncodeError, Event, EventCode, Flags, FrameError, FrameType,
    Heartbeat, HeartbeatStatus, Location, LocationSource, MAX_FRAME_LEN, MIN_FRAME_LEN, Message,
    NotifyPattern, NotifyWearer, Presence, crc16, decode, encode, verify_mac,
};

mod decode;
mod encode;
mod order;

/// Offsets in the header.
const VERSION: usize = 0;
const TYPE: usize = 1;
const FLAGS: usize = 2;
const RESERVED: usize = 3;
const DEVICE: usize = 4;
const SEQ: usize = 12;
const LEN: usize = 24;
const PAYLOAD: usize = 26;

fn location() -> Location {
    Location {
        lat: Coord(569_496_000),
        lon: Coord(241_052_000),
        accuracy_m: Some(12),
        source: LocationSource::Gnss,
        satellites: 9,
        speed_cm_s: 140,
        heading_deg: Some(270),
    }
}

fn frame_of(message: Message) -> Vec<u8> {
    encode_vec(
        &header_for(&message, Flags::ACK_REQUESTED, 1001, 5, T0),
        &message,
        None,
    )
}

/// Overwrites payload bytes at `offset` and repairs the CRC.
fn with_payload(mut frame: Vec<u8>, offset: usize, bytes: &[u8]) -> Vec<u8> {
    frame[PAYLOAD + offset..PAYLOAD + offset + bytes.len()].copy_from_slice(bytes);
    fix_crc(&mut frame);
    frame
}

fn field_error(frame: &[u8]) -> (&'static str, u32) {
    match decode(frame) {
        Err(FrameError::FieldOutOfRange { field, value }) => (field, value),
        other => panic!("expected FieldOutOfRange, got {other:?}"),
    }
}
