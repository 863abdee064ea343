//! The decoders against the example packets of Teltonika's "Teltonika Data Sending Protocols"
//! byte for byte, and against broken, hostile and partial input.

use super::*;
use proptest::prelude::*;

/// The documentation's first Codec 8 example: one record, five IO elements.
pub(super) const CODEC8_FIRST: &str = "000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF";
/// Its second: one record, three IO elements.
const CODEC8_SECOND: &str = "000000000000002808010000016B40D9AD80010000000000000000000000000000000103021503010101425E100000010000F22A";
/// Its third: two records.
const CODEC8_THIRD: &str = "000000000000004308020000016B40D57B480100000000000000000000000000000001010101000000000000016B40D5C198010000000000000000000000000000000101010101000000020000252C";
/// Its Codec 8 Extended example.
const CODEC8E: &str = "000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994";
/// The login of the documentation's IMEI 356307042441013.
const LOGIN: &str = "000F333536333037303432343431303133";

pub(super) fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

fn fixed(size: u8, value: u64) -> IoValue {
    IoValue::Fixed { size, value }
}

#[test]
fn the_documented_login_is_read_and_answered() {
    let login = bytes(LOGIN);
    assert_eq!(
        decode_login(&login),
        Ok(Some(("356307042441013".to_string(), login.len())))
    );
    for cut in 0..login.len() {
        assert_eq!(decode_login(&login[..cut]), Ok(None), "{cut} bytes");
    }
    assert_eq!(login_answer(true), [0x01]);
    assert_eq!(login_answer(false), [0x00]);
    assert_eq!(
        decode_login(&[0x00, 0x40]),
        Err(TeltonikaError::ImeiLength(64))
    );
    let mut letters = login.clone();
    letters[5] = b'x';
    assert_eq!(decode_login(&letters), Err(TeltonikaError::ImeiNotDigits));
}

#[test]
fn the_first_codec8_example_reads_as_documented() {
    let packet = bytes(CODEC8_FIRST);
    let (avl, used) = decode_packet(&packet).expect("valid").expect("whole");
    assert_eq!(used, packet.len());
    assert_eq!(avl.codec, Codec::Eight);
    assert_eq!(
        avl.records,
        vec![AvlRecord {
            // 2019-06-10 10:04:46 UTC.
            timestamp_ms: 1_560_161_086_000,
            priority: 1,
            gps: GpsElement {
                longitude: 0,
                latitude: 0,
                altitude: 0,
                angle: 0,
                satellites: 0,
                speed: 0,
            },
            event_io: 1,
            io: vec![
                (0x15, fixed(1, 3)),
                (0x01, fixed(1, 1)),
                (0x42, fixed(2, 0x5E0F)),
                (0xF1, fixed(4, 0x601A)),
                (0x4E, fixed(8, 0)),
            ],
            raw: Bytes::from([&[0x08][..], &packet[10..packet.len() - 5]].concat()),
        }]
    );
    assert_eq!(records_answer(avl.records.len()), [0, 0, 0, 1]);
}

#[test]
fn the_other_codec8_examples_read_as_documented() {
    let (second, _) = decode_packet(&bytes(CODEC8_SECOND)).unwrap().unwrap();
    assert_eq!(second.records.len(), 1);
    assert_eq!(second.records[0].timestamp_ms, 1_560_161_136_000);
    assert_eq!(
        second.records[0].io,
        vec![
            (0x15, fixed(1, 3)),
            (0x01, fixed(1, 1)),
            (0x42, fixed(2, 0x5E10))
        ]
    );
    let (third, _) = decode_packet(&bytes(CODEC8_THIRD)).unwrap().unwrap();
    let times: Vec<u64> = third.records.iter().map(|r| r.timestamp_ms).collect();
    assert_eq!(times, vec![0x016B_40D5_7B48, 0x016B_40D5_C198]);
    assert_eq!(third.records[0].io, vec![(0x01, fixed(1, 0))]);
    assert_eq!(third.records[1].io, vec![(0x01, fixed(1, 1))]);
    // Each record's bytes are kept, and read again alone give the same record.
    let packet = bytes(CODEC8_THIRD);
    let kept: Vec<u8> = third
        .records
        .iter()
        .flat_map(|r| r.raw[1..].to_vec())
        .collect();
    assert_eq!(kept, packet[10..packet.len() - 5]);
    for record in &third.records {
        assert_eq!(decode_record(&record.raw).as_ref(), Ok(record));
        for cut in 0..record.raw.len() {
            assert!(decode_record(&record.raw[..cut]).is_err(), "{cut} bytes");
        }
        let mut longer = record.raw.to_vec();
        longer.push(0);
        assert_eq!(decode_record(&longer), Err(TeltonikaError::Records));
    }
    assert_eq!(records_answer(third.records.len()), [0, 0, 0, 2]);
}

#[test]
fn the_codec8_extended_example_reads_as_documented() {
    let (avl, _) = decode_packet(&bytes(CODEC8E)).unwrap().unwrap();
    assert_eq!(avl.codec, Codec::EightExtended);
    let record = &avl.records[0];
    assert_eq!(record.timestamp_ms, 0x016B_412C_EE00);
    assert_eq!(record.event_io, 1);
    assert_eq!(
        record.io,
        vec![
            (0x0001, fixed(1, 1)),
            (0x0011, fixed(2, 0x001D)),
            (0x0010, fixed(4, 0x015E_2C88)),
            (0x000B, fixed(8, 0x3544_C87A)),
            (0x000E, fixed(8, 0x1DD7_E06A)),
        ]
    );
}

#[test]
fn a_packet_is_taken_only_whole_and_two_in_a_row_one_at_a_time() {
    let packet = bytes(CODEC8_FIRST);
    for cut in 0..packet.len() {
        assert_eq!(decode_packet(&packet[..cut]), Ok(None), "{cut} bytes");
    }
    let mut two = packet.clone();
    two.extend(bytes(CODEC8_SECOND));
    let (_, used) = decode_packet(&two).unwrap().unwrap();
    assert_eq!(used, packet.len());
    let (second, _) = decode_packet(&two[used..]).unwrap().unwrap();
    assert_eq!(second.records[0].timestamp_ms, 1_560_161_136_000);
}

#[test]
fn broken_packets_are_refused_with_their_reason() {
    let packet = bytes(CODEC8_FIRST);
    let mut crc = packet.clone();
    let last = crc.len() - 1;
    crc[last] ^= 1;
    assert!(matches!(
        decode_packet(&crc),
        Err(TeltonikaError::Crc { .. })
    ));
    let mut data = packet.clone();
    data[20] ^= 1;
    assert!(matches!(
        decode_packet(&data),
        Err(TeltonikaError::Crc { .. })
    ));
    assert_eq!(
        decode_packet(&[0, 0, 0, 1, 0, 0, 0, 0x36]),
        Err(TeltonikaError::Preamble)
    );
    assert_eq!(decode_packet(&[0, 7]), Err(TeltonikaError::Preamble));
    assert_eq!(
        decode_packet(&[0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF]),
        Err(TeltonikaError::DataLength(0x7FFF_FFFF))
    );
    // A packet whose counts disagree, or another codec, with a CRC that holds.
    let with_crc = |mut data: Vec<u8>| {
        let mut out = vec![0, 0, 0, 0];
        out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
        let crc = crc16_ibm(&data);
        out.append(&mut data);
        out.extend(u32::from(crc).to_be_bytes());
        out
    };
    let data = packet[8..packet.len() - 4].to_vec();
    let mut counts = data.clone();
    let end = counts.len() - 1;
    counts[end] = 2;
    assert_eq!(
        decode_packet(&with_crc(counts)),
        Err(TeltonikaError::Counts {
            first: 1,
            second: 2
        })
    );
    let mut codec = data.clone();
    codec[0] = 0x10;
    assert_eq!(
        decode_packet(&with_crc(codec)),
        Err(TeltonikaError::Codec(0x10))
    );
    // A record announced but cut short inside a CRC that holds.
    let mut short = data[..data.len() - 3].to_vec();
    short.push(1);
    assert_eq!(
        decode_packet(&with_crc(short)),
        Err(TeltonikaError::Records)
    );
}

#[test]
fn the_crc_is_crc16_ibm() {
    // The catalogue's check value of CRC-16/ARC (= IBM) over "123456789".
    assert_eq!(crc16_ibm(b"123456789"), 0xBB3D);
}

proptest! {
    #[test]
    fn any_bytes_are_an_answer_never_a_panic(input in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode_packet(&input);
        let _ = decode_login(&input);
    }

    #[test]
    fn a_documented_packet_with_any_byte_changed_is_refused_or_still_whole(
        at in 0usize..134, value in any::<u8>()
    ) {
        let mut packet = bytes(CODEC8_FIRST);
        let at = at % packet.len();
        let was = packet[at];
        packet[at] = value;
        match decode_packet(&packet) {
            // Only an unchanged packet reads whole at its own length.
            Ok(Some((_, used))) => prop_assert!(was == value && used == packet.len()),
            Ok(None) => prop_assert!((4..8).contains(&at)),
            Err(_) => prop_assert!(was != value),
        }
    }
}

#[test]
fn the_documented_packets_are_written_again_byte_for_byte() {
    for hex in [CODEC8_FIRST, CODEC8_SECOND, CODEC8_THIRD, CODEC8E] {
        let packet = bytes(hex);
        let (avl, _) = decode_packet(&packet).expect("valid").expect("whole");
        assert_eq!(encode_packet(avl.codec, &avl.records), packet, "{hex}");
    }
    assert_eq!(encode_login("356307042441013"), bytes(LOGIN));
}

fn any_record(codec: Codec) -> impl Strategy<Value = AvlRecord> {
    let io = proptest::collection::vec(
        (
            any::<u8>(),
            prop_oneof![
                (Just(1u8), 0u64..=0xFF),
                (Just(2u8), 0u64..=0xFFFF),
                (Just(4u8), 0u64..=0xFFFF_FFFF),
                (Just(8u8), any::<u64>()),
            ],
        ),
        0..12,
    );
    (
        any::<u64>(),
        0u8..3,
        (
            any::<i32>(),
            any::<i32>(),
            any::<i16>(),
            0u16..360,
            any::<u8>(),
            any::<u16>(),
        ),
        any::<u8>(),
        io,
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..3),
    )
        .prop_map(move |(timestamp_ms, priority, gps, event, io, variable)| {
            let (longitude, latitude, altitude, angle, satellites, speed) = gps;
            // In the order a decoder gives them: by size, then the variable ones.
            let mut io: Vec<(u16, IoValue)> = io
                .into_iter()
                .map(|(id, (size, value))| (u16::from(id), fixed(size, value)))
                .collect();
            io.sort_by_key(|(_, v)| match v {
                IoValue::Fixed { size, .. } => *size,
                IoValue::Bytes(_) => 16,
            });
            if codec == Codec::EightExtended {
                io.extend(
                    variable
                        .into_iter()
                        .enumerate()
                        .map(|(i, b)| (900 + i as u16, IoValue::Bytes(b))),
                );
            }
            AvlRecord {
                timestamp_ms,
                priority,
                gps: GpsElement {
                    longitude,
                    latitude,
                    altitude,
                    angle,
                    satellites,
                    speed,
                },
                event_io: u16::from(event),
                io,
                raw: Bytes::new(),
            }
        })
}

proptest! {
    #[test]
    fn what_is_written_reads_back(
        (codec, records) in prop_oneof![Just(Codec::Eight), Just(Codec::EightExtended)]
            .prop_flat_map(|codec| (Just(codec), proptest::collection::vec(any_record(codec), 1..6)))
    ) {
        let packet = encode_packet(codec, &records);
        let (avl, used) = decode_packet(&packet).expect("valid").expect("whole");
        prop_assert_eq!(used, packet.len());
        prop_assert_eq!(avl.records.len(), records.len());
        for (read, written) in avl.records.iter().zip(&records) {
            prop_assert_eq!(
                AvlRecord { raw: Bytes::new(), ..read.clone() },
                written.clone()
            );
        }
    }
}
