//! Encode refuses what decode would reject, and sets the MAC flag only with a key.

use super::*;

#[test]
fn encode_errors() {
    let message = Message::Location(location());
    let header = header_for(&message, Flags::empty(), 1001, 2, T0);
    let mut out = [0u8; MAX_FRAME_LEN];

    let mut wrong = header;
    wrong.frame_type = FrameType::Heartbeat;
    assert_eq!(
        encode(&wrong, &message, None, &mut out),
        Err(EncodeError::TypeMismatch)
    );

    let mut wrong = header;
    wrong.device_id = 0;
    assert_eq!(
        encode(&wrong, &message, None, &mut out),
        Err(EncodeError::DeviceIdZero)
    );

    let mut wrong = header;
    wrong.seq = 0;
    assert_eq!(
        encode(&wrong, &message, None, &mut out),
        Err(EncodeError::SeqZero)
    );

    assert_eq!(
        encode(&header, &message, None, &mut out[..43]),
        Err(EncodeError::BufferTooSmall { needed: 44 })
    );
    assert_eq!(
        encode(&header, &message, Some(&vector_key()), &mut out[..51]),
        Err(EncodeError::BufferTooSmall { needed: 52 })
    );
    assert_eq!(
        encode(&header, &message, Some(&vector_key()), &mut out[..52]),
        Ok(52)
    );
}

#[test]
fn encode_refuses_what_decode_would_reject() {
    let mut out = [0u8; MAX_FRAME_LEN];
    let cases: [(Message, &str); 7] = [
        (
            Message::Heartbeat(Heartbeat {
                battery_percent: 101,
                battery_mv: 0,
                status: HeartbeatStatus(0),
                rssi_dbm: 0,
                temperature_c: 0,
            }),
            "battery_percent",
        ),
        (
            Message::Heartbeat(Heartbeat {
                battery_percent: 1,
                battery_mv: 0,
                status: HeartbeatStatus(0x100),
                rssi_dbm: 0,
                temperature_c: 0,
            }),
            "status",
        ),
        (
            Message::Location(Location {
                lat: Coord(900_000_001),
                ..location()
            }),
            "lat",
        ),
        (
            Message::Location(Location {
                lon: Coord(-1_800_000_001),
                ..location()
            }),
            "lon",
        ),
        (
            Message::Location(Location {
                heading_deg: Some(360),
                ..location()
            }),
            "heading_deg",
        ),
        (
            Message::Location(Location {
                accuracy_m: Some(0xFFFF),
                ..location()
            }),
            "accuracy_m",
        ),
        (
            Message::Alcohol(Alcohol {
                breath_alcohol_ug_l: 0,
                face_match_percent: 101,
                test_kind: AlcoholTestKind::Scheduled,
            }),
            "face_match_percent",
        ),
    ];
    for (message, field) in cases {
        let header = header_for(&message, Flags::empty(), 1, 1, 0);
        match encode(&header, &message, None, &mut out) {
            Err(EncodeError::FieldOutOfRange { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn encode_sets_and_clears_the_mac_flag() {
    let message = Message::Location(location());
    let header = header_for(&message, Flags::MAC | Flags::STORED, 1001, 2, T0);
    let plain = encode_vec(&header, &message, None);
    assert_eq!(plain[FLAGS], Flags::STORED.bits());
    assert_eq!(decode(&plain).unwrap().mac, None);
    let header = header_for(&message, Flags::STORED, 1001, 2, T0);
    let signed = encode_vec(&header, &message, Some(&vector_key()));
    assert_eq!(signed[FLAGS], (Flags::STORED | Flags::MAC).bits());
    assert!(decode(&signed).unwrap().mac.is_some());
}
