//! Decode's refusals, one test per `FrameError` variant: sizes and lengths, CRC, version,
//! reserved bits, flags, type, ids, payload sizes and fields out of range; an unknown event code
//! is kept.

use super::*;

#[test]
fn base_frames_are_valid() {
    assert!(decode(&heartbeat_frame()).is_ok());
    assert!(decode(&frame_of(Message::Location(location()))).is_ok());
}

#[test]
fn too_short() {
    let frame = heartbeat_frame();
    assert_eq!(decode(&frame[..27]), Err(FrameError::TooShort { len: 27 }));
    assert_eq!(decode(&[]), Err(FrameError::TooShort { len: 0 }));
    assert_eq!(
        verify_mac(&frame[..27], &vector_key()),
        Err(FrameError::TooShort { len: 27 })
    );
    // 28 bytes is long enough to get past this check.
    assert!(!matches!(
        decode(&frame[..MIN_FRAME_LEN]),
        Err(FrameError::TooShort { .. })
    ));
}

#[test]
fn too_long() {
    let mut frame = heartbeat_frame();
    frame.resize(MAX_FRAME_LEN + 1, 0);
    assert_eq!(decode(&frame), Err(FrameError::TooLong { len: 1061 }));
    frame.truncate(MAX_FRAME_LEN);
    assert!(!matches!(decode(&frame), Err(FrameError::TooLong { .. })));
}

#[test]
fn payload_too_long() {
    let mut frame = heartbeat_frame();
    frame[LEN..LEN + 2].copy_from_slice(&1025u16.to_be_bytes());
    assert_eq!(
        decode(&frame),
        Err(FrameError::PayloadTooLong { len: 1025 })
    );
    frame[LEN..LEN + 2].copy_from_slice(&0xFFFFu16.to_be_bytes());
    assert_eq!(
        decode(&frame),
        Err(FrameError::PayloadTooLong { len: 0xFFFF })
    );
    // 1024 is allowed by this check (and then fails on length).
    frame[LEN..LEN + 2].copy_from_slice(&1024u16.to_be_bytes());
    assert!(matches!(
        decode(&frame),
        Err(FrameError::LengthMismatch { .. })
    ));
}

#[test]
fn length_mismatch() {
    let mut frame = heartbeat_frame();
    frame.push(0);
    assert_eq!(
        decode(&frame),
        Err(FrameError::LengthMismatch {
            declared: 35,
            actual: 36
        })
    );
    // Flag MAC promises 8 more bytes than there are.
    let mut frame = heartbeat_frame();
    frame[FLAGS] |= Flags::MAC.bits();
    fix_crc(&mut frame);
    assert_eq!(
        decode(&frame),
        Err(FrameError::LengthMismatch {
            declared: 43,
            actual: 35
        })
    );
    // A keyed frame with its MAC flag cleared is 8 bytes too long.
    let message = Message::Location(location());
    let mut frame = encode_vec(
        &header_for(&message, Flags::empty(), 1, 1, 0),
        &message,
        Some(&vector_key()),
    );
    frame[FLAGS] &= !Flags::MAC.bits();
    fix_crc(&mut frame);
    assert_eq!(
        decode(&frame),
        Err(FrameError::LengthMismatch {
            declared: 44,
            actual: 52
        })
    );
}

#[test]
fn crc() {
    let mut frame = heartbeat_frame();
    let good = u16::from_be_bytes([frame[33], frame[34]]);
    frame[PAYLOAD] ^= 0x01;
    let actual = crc16(&frame[..33]);
    assert_ne!(good, actual);
    assert_eq!(
        decode(&frame),
        Err(FrameError::Crc {
            expected: good,
            actual
        })
    );
    // A corrupted CRC itself.
    let mut frame = heartbeat_frame();
    frame[34] ^= 0x80;
    assert!(matches!(decode(&frame), Err(FrameError::Crc { .. })));
}

#[test]
fn version() {
    for v in [0u8, 2, 0xFF] {
        let mut frame = heartbeat_frame();
        frame[VERSION] = v;
        fix_crc(&mut frame);
        assert_eq!(decode(&frame), Err(FrameError::Version(v)));
    }
}

#[test]
fn reserved() {
    let mut frame = heartbeat_frame();
    frame[RESERVED] = 0x10;
    fix_crc(&mut frame);
    assert_eq!(decode(&frame), Err(FrameError::Reserved(0x10)));
}

#[test]
fn unknown_flags() {
    for bit in 3..8 {
        let mut frame = heartbeat_frame();
        frame[FLAGS] |= 1 << bit;
        fix_crc(&mut frame);
        assert_eq!(decode(&frame), Err(FrameError::UnknownFlags(1 << bit)));
    }
}

#[test]
fn unknown_type() {
    for t in [0x00u8, 0x07, 0x80, 0x86, 0xFF] {
        let mut frame = heartbeat_frame();
        frame[TYPE] = t;
        fix_crc(&mut frame);
        assert_eq!(decode(&frame), Err(FrameError::UnknownType(t)));
    }
}

#[test]
fn device_id_zero() {
    let mut frame = heartbeat_frame();
    frame[DEVICE..DEVICE + 8].fill(0);
    fix_crc(&mut frame);
    assert_eq!(decode(&frame), Err(FrameError::DeviceIdZero));
}

#[test]
fn seq_zero() {
    let mut frame = heartbeat_frame();
    frame[SEQ..SEQ + 4].fill(0);
    fix_crc(&mut frame);
    assert_eq!(decode(&frame), Err(FrameError::SeqZero));
}

#[test]
fn payload_size() {
    // A HEARTBEAT payload (7 bytes) labelled LOCATION (16).
    let mut frame = heartbeat_frame();
    frame[TYPE] = FrameType::Location as u8;
    fix_crc(&mut frame);
    assert_eq!(
        decode(&frame),
        Err(FrameError::PayloadSize {
            frame_type: FrameType::Location,
            expected: 16,
            actual: 7
        })
    );
    // A HEARTBEAT with one byte too many, lengths consistent.
    let mut frame = heartbeat_frame();
    frame.insert(PAYLOAD + 7, 0);
    frame[LEN..LEN + 2].copy_from_slice(&8u16.to_be_bytes());
    fix_crc(&mut frame);
    assert_eq!(
        decode(&frame),
        Err(FrameError::PayloadSize {
            frame_type: FrameType::Heartbeat,
            expected: 7,
            actual: 8
        })
    );
    // LOCATE_NOW must be empty.
    let mut frame = heartbeat_frame();
    frame[TYPE] = FrameType::LocateNow as u8;
    fix_crc(&mut frame);
    assert!(matches!(
        decode(&frame),
        Err(FrameError::PayloadSize {
            expected: 0,
            actual: 7,
            ..
        })
    ));
}

#[test]
fn field_out_of_range_heartbeat() {
    let frame = heartbeat_frame();
    assert!(decode(&with_payload(frame.clone(), 0, &[100])).is_ok());
    assert_eq!(
        field_error(&with_payload(frame.clone(), 0, &[101])),
        ("battery_percent", 101)
    );
    assert_eq!(
        field_error(&with_payload(frame.clone(), 3, &[0x01, 0x00])),
        ("status", 0x0100)
    );
    assert_eq!(
        field_error(&with_payload(frame.clone(), 3, &[0x80, 0xFF])),
        ("status", 0x80FF)
    );
    assert!(decode(&with_payload(frame, 3, &[0x00, 0xFF])).is_ok());
}

#[test]
fn field_out_of_range_location() {
    let frame = frame_of(Message::Location(location()));
    let at = |offset: usize, bytes: &[u8]| with_payload(frame.clone(), offset, bytes);
    // Exactly ±90° / ±180° are valid.
    assert!(decode(&at(0, &900_000_000i32.to_be_bytes())).is_ok());
    assert!(decode(&at(0, &(-900_000_000i32).to_be_bytes())).is_ok());
    assert!(decode(&at(4, &1_800_000_000i32.to_be_bytes())).is_ok());
    assert!(decode(&at(4, &(-1_800_000_000i32).to_be_bytes())).is_ok());
    assert_eq!(
        field_error(&at(0, &900_000_001i32.to_be_bytes())),
        ("lat", 900_000_001)
    );
    assert_eq!(
        field_error(&at(0, &(-900_000_001i32).to_be_bytes())),
        ("lat", (-900_000_001i32) as u32)
    );
    assert_eq!(
        field_error(&at(4, &1_800_000_001i32.to_be_bytes())),
        ("lon", 1_800_000_001)
    );
    assert_eq!(
        field_error(&at(4, &i32::MIN.to_be_bytes())),
        ("lon", i32::MIN as u32)
    );
    assert_eq!(field_error(&at(10, &[0])), ("source", 0));
    assert_eq!(field_error(&at(10, &[4])), ("source", 4));
    assert!(decode(&at(10, &[3])).is_ok());
    assert_eq!(
        field_error(&at(14, &360u16.to_be_bytes())),
        ("heading_deg", 360)
    );
    assert_eq!(
        field_error(&at(14, &0xFFFEu16.to_be_bytes())),
        ("heading_deg", 0xFFFE)
    );
    assert!(decode(&at(14, &359u16.to_be_bytes())).is_ok());
    // 0xFFFF means unknown, for heading and accuracy.
    let unknown = decode(&at(8, &[0xFF, 0xFF, 1, 0, 0, 0, 0xFF, 0xFF])).unwrap();
    match unknown.message {
        Message::Location(l) => {
            assert_eq!(l.accuracy_m, None);
            assert_eq!(l.heading_deg, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn field_out_of_range_presence() {
    let frame = frame_of(Message::Presence(Presence {
        tag_id: 1001,
        in_range: false,
        rssi_dbm: -90,
    }));
    assert_eq!(
        field_error(&with_payload(frame.clone(), 8, &[2])),
        ("in_range", 2)
    );
    assert_eq!(
        field_error(&with_payload(frame.clone(), 8, &[0xFF])),
        ("in_range", 0xFF)
    );
    assert!(decode(&with_payload(frame, 8, &[1])).is_ok());
}

#[test]
fn field_out_of_range_alcohol() {
    let frame = frame_of(Message::Alcohol(Alcohol {
        breath_alcohol_ug_l: 120,
        face_match_percent: 97,
        test_kind: AlcoholTestKind::Random,
    }));
    assert_eq!(
        field_error(&with_payload(frame.clone(), 2, &[101])),
        ("face_match_percent", 101)
    );
    assert_eq!(
        field_error(&with_payload(frame.clone(), 3, &[0])),
        ("test_kind", 0)
    );
    assert_eq!(
        field_error(&with_payload(frame.clone(), 3, &[4])),
        ("test_kind", 4)
    );
    assert!(decode(&with_payload(frame, 2, &[100, 3])).is_ok());
}

#[test]
fn field_out_of_range_notify() {
    let frame = frame_of(Message::NotifyWearer(NotifyWearer {
        pattern: NotifyPattern::Beep,
        message_id: 42,
    }));
    assert_eq!(
        field_error(&with_payload(frame.clone(), 0, &[0])),
        ("pattern", 0)
    );
    assert_eq!(
        field_error(&with_payload(frame.clone(), 0, &[4])),
        ("pattern", 4)
    );
    assert!(decode(&with_payload(frame, 0, &[1])).is_ok());
}

#[test]
fn unknown_event_code_is_kept_not_rejected() {
    let frame = frame_of(Message::Event(Event {
        code: EventCode::Reboot,
        value: 3,
    }));
    let frame = with_payload(frame, 0, &[0x12, 0x34]);
    match decode(&frame).unwrap().message {
        Message::Event(e) => {
            assert_eq!(e.code, EventCode::Unknown(0x1234));
            assert_eq!(e.code.name(), "unknown");
            assert_eq!(e.value, 3);
        }
        other => panic!("{other:?}"),
    }
}
