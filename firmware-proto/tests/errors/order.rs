//! MACs missing or wrong, the order in which decode checks, and the errors' stable labels.

use super::*;

#[test]
fn mac_missing() {
    let frame = heartbeat_frame();
    assert!(decode(&frame).is_ok());
    assert_eq!(
        verify_mac(&frame, &vector_key()),
        Err(FrameError::MacMissing)
    );
}

#[test]
fn mac_mismatch() {
    let message = Message::Location(location());
    let header = header_for(&message, Flags::ACK_REQUESTED, 1001, 2, T0);
    let frame = encode_vec(&header, &message, Some(&vector_key()));
    assert_eq!(verify_mac(&frame, &vector_key()), Ok(()));
    assert_eq!(
        verify_mac(&frame, &other_key()),
        Err(FrameError::MacMismatch)
    );
    // A forged MAC with a repaired CRC gets past decode but not verify_mac.
    let mut forged = frame.clone();
    forged[PAYLOAD + 16] ^= 0x01;
    fix_crc(&mut forged);
    assert!(decode(&forged).is_ok());
    assert_eq!(
        verify_mac(&forged, &vector_key()),
        Err(FrameError::MacMismatch)
    );
    // So does a changed field with a repaired CRC.
    let mut forged = frame;
    forged[SEQ + 3] = 3;
    fix_crc(&mut forged);
    assert!(decode(&forged).is_ok());
    assert_eq!(
        verify_mac(&forged, &vector_key()),
        Err(FrameError::MacMismatch)
    );
}

#[test]
fn checks_run_in_the_documented_order() {
    // Bad CRC beats a bad version.
    let mut frame = heartbeat_frame();
    frame[VERSION] = 9;
    assert!(matches!(decode(&frame), Err(FrameError::Crc { .. })));
    // Version beats reserved, reserved beats flags, flags beat type.
    let mut frame = heartbeat_frame();
    frame[VERSION] = 9;
    frame[RESERVED] = 1;
    frame[FLAGS] = 0x80;
    frame[TYPE] = 0x77;
    fix_crc(&mut frame);
    assert_eq!(decode(&frame), Err(FrameError::Version(9)));
    frame[VERSION] = 1;
    fix_crc(&mut frame);
    assert_eq!(decode(&frame), Err(FrameError::Reserved(1)));
    frame[RESERVED] = 0;
    fix_crc(&mut frame);
    assert_eq!(decode(&frame), Err(FrameError::UnknownFlags(0x80)));
    frame[FLAGS] = 0;
    fix_crc(&mut frame);
    assert_eq!(decode(&frame), Err(FrameError::UnknownType(0x77)));
    // Device id beats seq beats payload size.
    frame[TYPE] = FrameType::Location as u8;
    frame[DEVICE..DEVICE + 8].fill(0);
    frame[SEQ..SEQ + 4].fill(0);
    fix_crc(&mut frame);
    assert_eq!(decode(&frame), Err(FrameError::DeviceIdZero));
    frame[DEVICE + 7] = 1;
    fix_crc(&mut frame);
    assert_eq!(decode(&frame), Err(FrameError::SeqZero));
    frame[SEQ + 3] = 1;
    fix_crc(&mut frame);
    assert!(matches!(
        decode(&frame),
        Err(FrameError::PayloadSize { .. })
    ));
    // Length checks beat the CRC.
    let mut frame = heartbeat_frame();
    frame[PAYLOAD] ^= 1;
    frame.push(0);
    assert!(matches!(
        decode(&frame),
        Err(FrameError::LengthMismatch { .. })
    ));
}

#[test]
fn labels_are_stable_and_distinct() {
    let errors = [
        FrameError::TooShort { len: 0 },
        FrameError::TooLong { len: 0 },
        FrameError::LengthMismatch {
            declared: 0,
            actual: 0,
        },
        FrameError::PayloadTooLong { len: 0 },
        FrameError::Crc {
            expected: 0,
            actual: 0,
        },
        FrameError::Version(0),
        FrameError::UnknownType(0),
        FrameError::UnknownFlags(0),
        FrameError::Reserved(0),
        FrameError::PayloadSize {
            frame_type: FrameType::Ack,
            expected: 0,
            actual: 0,
        },
        FrameError::DeviceIdZero,
        FrameError::SeqZero,
        FrameError::FieldOutOfRange {
            field: "x",
            value: 0,
        },
        FrameError::MacMissing,
        FrameError::MacMismatch,
    ];
    let labels: Vec<&str> = errors.iter().map(FrameError::label).collect();
    assert_eq!(labels, FrameError::LABELS);
    let mut unique = labels.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 15);
    for label in labels {
        assert!(
            label.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{label}"
        );
    }
}
