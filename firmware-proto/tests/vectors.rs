//! Every test vector of PROTOCOL.md, in both directions: decode gives exactly the stated fields,
//! encoding those fields gives exactly the stated bytes, and the MAC vectors verify with the
//! vector key and with no other.

mod common;

use common::{T0, other_key, unhex, vector_key};
use firmware_proto::{
    Ack, Coord, Event, EventCode, Flags, Frame, FrameError, FrameType, Header, Heartbeat,
    HeartbeatStatus, Hello, Location, LocationSource, MAX_FRAME_LEN, Message, Presence, cobs,
    decode, encode, verify_mac,
};

struct Vector {
    name: &'static str,
    hex: &'static str,
    header: Header,
    message: Message,
    keyed: bool,
}

fn header(frame_type: FrameType, flags: Flags, device_id: u64, seq: u32, time_ms: u64) -> Header {
    Header {
        frame_type,
        flags,
        device_id,
        seq,
        time_ms,
    }
}

fn vectors() -> Vec<Vector> {
    vec![
        Vector {
            name: "HEARTBEAT",
            hex: "0101000000000000000003e9000000010000019b76daa8000007570f6e0037b91f4524",
            header: header(FrameType::Heartbeat, Flags::empty(), 1001, 1, T0),
            message: Message::Heartbeat(Heartbeat {
                battery_percent: 87,
                battery_mv: 3950,
                status: HeartbeatStatus(0x0037),
                rssi_dbm: -71,
                temperature_c: 31,
            }),
            keyed: false,
        },
        Vector {
            name: "LOCATION",
            hex: "0102050000000000000003e9000000020000019b76dae298001021f1d1c00e5e2960000c0109008c010e272f141fceda4bd31390",
            header: header(
                FrameType::Location,
                Flags::ACK_REQUESTED | Flags::MAC,
                1001,
                2,
                T0 + 15_000,
            ),
            message: Message::Location(Location {
                lat: Coord::from_degrees(56.9496),
                lon: Coord::from_degrees(24.1052),
                accuracy_m: Some(12),
                source: LocationSource::Gnss,
                satellites: 9,
                speed_cm_s: 140,
                heading_deg: Some(270),
            }),
            keyed: true,
        },
        Vector {
            name: "EVENT",
            hex: "0103060000000000000003e9000000030000019b76daf620000400010000c016b1548a2b8632b98f",
            header: header(
                FrameType::Event,
                Flags::STORED | Flags::MAC,
                1001,
                3,
                T0 + 20_000,
            ),
            // The value is not stated; the bytes carry 0.
            message: Message::Event(Event {
                code: EventCode::StrapOpened,
                value: 0,
            }),
            keyed: true,
        },
        Vector {
            name: "HELLO",
            hex: "0104000000000000000003e9000000040000019b76dafa08000d0a0101040200000007000000002ac6",
            // The time is not stated; the bytes carry T0 + 21 s.
            header: header(FrameType::Hello, Flags::empty(), 1001, 4, T0 + 21_000),
            message: Message::Hello(Hello {
                hardware_model: 0x0A01,
                firmware_major: 1,
                firmware_minor: 4,
                firmware_patch: 2,
                config_revision: 7,
                frames_buffered: 0,
            }),
            keyed: false,
        },
        Vector {
            name: "PRESENCE",
            hex: "0105000000000000000013890000004d0000019b76dafdf0000a00000000000003e901d02a2e",
            // The time is not stated; the bytes carry T0 + 22 s.
            header: header(FrameType::Presence, Flags::empty(), 5001, 77, T0 + 22_000),
            message: Message::Presence(Presence {
                tag_id: 1001,
                in_range: true,
                rssi_dbm: -48,
            }),
            keyed: false,
        },
        Vector {
            name: "ACK",
            hex: "0181000000000000000003e9000000010000019b76db01d8000400000003e0df",
            // The time is not stated; the bytes carry T0 + 23 s.
            header: header(FrameType::Ack, Flags::empty(), 1001, 1, T0 + 23_000),
            message: Message::Ack(Ack { acked_seq: 3 }),
            keyed: false,
        },
    ]
}

#[test]
fn location_vector_coordinates_are_the_stated_degrees() {
    // Guard against Coord::from_degrees hiding a wrong expectation above.
    assert_eq!(Coord::from_degrees(56.9496), Coord(569_496_000));
    assert_eq!(Coord::from_degrees(24.1052), Coord(241_052_000));
}

#[test]
fn vectors_decode_to_stated_fields() {
    for v in vectors() {
        let bytes = unhex(v.hex);
        let frame = decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let mac = v.keyed.then(|| {
            let n = bytes.len();
            <[u8; 8]>::try_from(&bytes[n - 10..n - 2]).unwrap()
        });
        assert_eq!(
            frame,
            Frame {
                header: v.header,
                message: v.message,
                mac
            },
            "{}",
            v.name
        );
        assert_eq!(frame.message.frame_type(), frame.header.frame_type);
    }
}

#[test]
fn vectors_encode_to_stated_bytes() {
    let key = vector_key();
    for v in vectors() {
        let mut out = [0u8; MAX_FRAME_LEN];
        let key = v.keyed.then_some(&key);
        let len = encode(&v.header, &v.message, key, &mut out)
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(hex::encode(&out[..len]), v.hex, "{}", v.name);
    }
}

#[test]
fn vector_macs_verify_with_the_key_only() {
    for v in vectors() {
        let bytes = unhex(v.hex);
        if v.keyed {
            assert_eq!(verify_mac(&bytes, &vector_key()), Ok(()), "{}", v.name);
            assert_eq!(
                verify_mac(&bytes, &other_key()),
                Err(FrameError::MacMismatch),
                "{}",
                v.name
            );
            assert_eq!(
                verify_mac(&bytes, &[0u8; 32]),
                Err(FrameError::MacMismatch),
                "{}",
                v.name
            );
        } else {
            assert_eq!(
                verify_mac(&bytes, &vector_key()),
                Err(FrameError::MacMissing),
                "{}",
                v.name
            );
        }
    }
}

const EVENT_HEX: &str =
    "0103060000000000000003e9000000030000019b76daf620000400010000c016b1548a2b8632b98f";
const EVENT_SERIAL_HEX: &str =
    "040103060101010101010303e9010102030107019b76daf62002040201010bc016b1548a2b8632b98f00";

#[test]
fn serial_vector_encodes_exactly() {
    let frame = unhex(EVENT_HEX);
    let mut out = [0u8; 128];
    let n = cobs::encode(&frame, &mut out).unwrap();
    let mut wire = out[..n].to_vec();
    wire.push(0);
    assert_eq!(hex::encode(&wire), EVENT_SERIAL_HEX);
}

#[test]
fn serial_vector_decodes_exactly() {
    let wire = unhex(EVENT_SERIAL_HEX);
    let (delimiter, encoded) = wire.split_last().unwrap();
    assert_eq!(*delimiter, 0);
    assert!(!encoded.contains(&0));
    let mut out = [0u8; 128];
    let n = cobs::decode(encoded, &mut out).unwrap();
    assert_eq!(hex::encode(&out[..n]), EVENT_HEX);
    assert!(decode(&out[..n]).is_ok());
    assert_eq!(verify_mac(&out[..n], &vector_key()), Ok(()));
}

#[cfg(feature = "std")]
#[test]
fn serial_vector_through_the_codec() {
    use bytes::BytesMut;
    use firmware_proto::{SerialChunk, SerialCodec};
    use tokio_util::codec::{Decoder, Encoder};

    let mut codec = SerialCodec::new();
    let mut buf = BytesMut::new();
    codec.encode(&unhex(EVENT_HEX)[..], &mut buf).unwrap();
    assert_eq!(hex::encode(&buf), EVENT_SERIAL_HEX);
    match codec.decode(&mut buf).unwrap() {
        Some(SerialChunk::Frame(frame)) => assert_eq!(hex::encode(&frame), EVENT_HEX),
        other => panic!("{other:?}"),
    }
    assert!(buf.is_empty());
}

/// Every single-byte corruption of a MAC vector, exhaustively: all positions, all 255 xors.
#[test]
fn every_single_byte_corruption_of_a_mac_vector_is_caught() {
    let key = vector_key();
    for v in vectors().into_iter().filter(|v| v.keyed) {
        let good = unhex(v.hex);
        for pos in 0..good.len() {
            for xor in 1..=255u8 {
                let mut bad = good.clone();
                bad[pos] ^= xor;
                assert!(
                    decode(&bad).is_err() || verify_mac(&bad, &key).is_err(),
                    "{} pos {pos} xor {xor:#x}",
                    v.name
                );
                // The CRC alone catches it too: a single-byte error is a burst under 16 bits.
                assert!(decode(&bad).is_err(), "{} pos {pos} xor {xor:#x}", v.name);
            }
        }
    }
}
