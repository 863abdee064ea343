//! Helpers shared by the integration tests: the PROTOCOL.md key, hex, CRC repair, and proptest
//! strategies for every message type.
#![allow(dead_code)] // each test binary uses a different subset

use firmware_proto::{
    Ack, Alcohol, AlcoholTestKind, Config, Coord, DeviceKey, Event, EventCode, Flags, Header,
    Heartbeat, HeartbeatStatus, Hello, Location, LocationSource, MAX_FRAME_LEN, Message,
    NotifyPattern, NotifyWearer, Presence, crc16, encode,
};
use proptest::prelude::*;

/// The key of the PROTOCOL.md MAC vectors: bytes 0x00, 0x01, … 0x1f.
pub fn vector_key() -> DeviceKey {
    core::array::from_fn(|i| i as u8)
}

/// Another key, which must not verify those vectors.
pub fn other_key() -> DeviceKey {
    let mut key = vector_key();
    key[31] ^= 0x01;
    key
}

pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).expect("valid hex in test")
}

/// Recomputes the trailing CRC after a test mutated the frame.
pub fn fix_crc(frame: &mut [u8]) {
    let n = frame.len();
    let crc = crc16(&frame[..n - 2]);
    frame[n - 2..].copy_from_slice(&crc.to_be_bytes());
}

/// Encodes through the no-alloc API, so the tests also run without `std`.
pub fn encode_vec(header: &Header, message: &Message, key: Option<&DeviceKey>) -> Vec<u8> {
    let mut buf = [0u8; MAX_FRAME_LEN];
    let len = encode(header, message, key, &mut buf).expect("encodable");
    buf[..len].to_vec()
}

/// 2026-01-01T00:00:00Z, the time base of the vectors.
pub const T0: u64 = 1_767_225_600_000;

pub fn header_for(
    message: &Message,
    flags: Flags,
    device_id: u64,
    seq: u32,
    time_ms: u64,
) -> Header {
    Header {
        frame_type: message.frame_type(),
        flags,
        device_id,
        seq,
        time_ms,
    }
}

/// A plain HEARTBEAT frame (the first PROTOCOL.md vector's content), no MAC.
pub fn heartbeat_frame() -> Vec<u8> {
    let message = Message::Heartbeat(Heartbeat {
        battery_percent: 87,
        battery_mv: 3950,
        status: HeartbeatStatus(0x0037),
        rssi_dbm: -71,
        temperature_c: 31,
    });
    encode_vec(
        &header_for(&message, Flags::empty(), 1001, 1, T0),
        &message,
        None,
    )
}

// ---- strategies ----

pub fn arb_heartbeat() -> impl Strategy<Value = Heartbeat> {
    (
        0..=100u8,
        any::<u16>(),
        0..=0xFFu16,
        any::<i8>(),
        any::<i8>(),
    )
        .prop_map(
            |(battery_percent, battery_mv, status, rssi_dbm, temperature_c)| Heartbeat {
                battery_percent,
                battery_mv,
                status: HeartbeatStatus(status),
                rssi_dbm,
                temperature_c,
            },
        )
}

pub fn arb_source() -> impl Strategy<Value = LocationSource> {
    prop_oneof![
        Just(LocationSource::Gnss),
        Just(LocationSource::WiFi),
        Just(LocationSource::Cell)
    ]
}

pub fn arb_location() -> impl Strategy<Value = Location> {
    (
        -900_000_000..=900_000_000i32,
        -1_800_000_000..=1_800_000_000i32,
        proptest::option::of(0..0xFFFFu16),
        arb_source(),
        any::<u8>(),
        any::<u16>(),
        proptest::option::of(0..=359u16),
    )
        .prop_map(
            |(lat, lon, accuracy_m, source, satellites, speed_cm_s, heading_deg)| Location {
                lat: Coord(lat),
                lon: Coord(lon),
                accuracy_m,
                source,
                satellites,
                speed_cm_s,
                heading_deg,
            },
        )
}

pub fn arb_event() -> impl Strategy<Value = Event> {
    // Bias towards the defined codes, but cover unknown ones too.
    let code = prop_oneof![0..=0x11u16, any::<u16>()];
    (code, any::<u16>()).prop_map(|(code, value)| Event {
        code: EventCode::from_u16(code),
        value,
    })
}

pub fn arb_hello() -> impl Strategy<Value = Hello> {
    (
        any::<u16>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(
                hardware_model,
                firmware_major,
                firmware_minor,
                firmware_patch,
                config_revision,
                frames_buffered,
            )| {
                Hello {
                    hardware_model,
                    firmware_major,
                    firmware_minor,
                    firmware_patch,
                    config_revision,
                    frames_buffered,
                }
            },
        )
}

pub fn arb_presence() -> impl Strategy<Value = Presence> {
    (any::<u64>(), any::<bool>(), any::<i8>()).prop_map(|(tag_id, in_range, rssi_dbm)| Presence {
        tag_id,
        in_range,
        rssi_dbm,
    })
}

pub fn arb_alcohol() -> impl Strategy<Value = Alcohol> {
    let kind = prop_oneof![
        Just(AlcoholTestKind::Scheduled),
        Just(AlcoholTestKind::Random),
        Just(AlcoholTestKind::OnDemand)
    ];
    (any::<u16>(), 0..=100u8, kind).prop_map(
        |(breath_alcohol_ug_l, face_match_percent, test_kind)| Alcohol {
            breath_alcohol_ug_l,
            face_match_percent,
            test_kind,
        },
    )
}

pub fn arb_config() -> impl Strategy<Value = Config> {
    (any::<u16>(), any::<u16>(), any::<u16>(), any::<u32>()).prop_map(
        |(
            heartbeat_interval_s,
            location_interval_moving_s,
            location_interval_still_s,
            config_revision,
        )| {
            Config {
                heartbeat_interval_s,
                location_interval_moving_s,
                location_interval_still_s,
                config_revision,
            }
        },
    )
}

pub fn arb_notify() -> impl Strategy<Value = NotifyWearer> {
    let pattern = prop_oneof![
        Just(NotifyPattern::ShortVibration),
        Just(NotifyPattern::LongVibration),
        Just(NotifyPattern::Beep)
    ];
    (pattern, any::<u16>()).prop_map(|(pattern, message_id)| NotifyWearer {
        pattern,
        message_id,
    })
}

/// Any valid message, of every type.
pub fn arb_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        arb_heartbeat().prop_map(Message::Heartbeat),
        arb_location().prop_map(Message::Location),
        arb_event().prop_map(Message::Event),
        arb_hello().prop_map(Message::Hello),
        arb_presence().prop_map(Message::Presence),
        arb_alcohol().prop_map(Message::Alcohol),
        any::<u32>().prop_map(|acked_seq| Message::Ack(Ack { acked_seq })),
        arb_config().prop_map(Message::Config),
        arb_notify().prop_map(Message::NotifyWearer),
        Just(Message::LocateNow),
        Just(Message::Time),
    ]
}

pub fn arb_flags() -> impl Strategy<Value = Flags> {
    (0..8u8).prop_map(|bits| Flags::from_bits(bits).expect("defined bits"))
}

/// A valid message with a valid header of its type.
pub fn arb_frame() -> impl Strategy<Value = (Header, Message)> {
    (
        arb_message(),
        arb_flags(),
        1..=u64::MAX,
        1..=u32::MAX,
        any::<u64>(),
    )
        .prop_map(|(message, flags, device_id, seq, time_ms)| {
            (
                header_for(&message, flags, device_id, seq, time_ms),
                message,
            )
        })
}

pub fn arb_key() -> impl Strategy<Value = DeviceKey> {
    any::<[u8; 32]>()
}
