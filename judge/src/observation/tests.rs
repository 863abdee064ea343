use super::*;
use firmware_proto::{
    Ack, Alcohol, AlcoholTestKind, Config, Coord, DeviceKey, Header, Hello, NotifyPattern,
    NotifyWearer, crc16, encode_to_vec,
};
use proptest::prelude::*;

const DEVICE: u64 = 1001;
const SEQ: u32 = 7;
const TIME_MS: u64 = 1_000;
const RECEIVED_MS: i64 = 2_000;
/// Where the payload starts in a frame.
const PAYLOAD: usize = firmware_proto::HEADER_LEN;

/// `message` as tag 1001 sends it as its frame 7, at time 1 000 ms.
fn frame(message: Message, flags: Flags, key: Option<&DeviceKey>) -> Vec<u8> {
    let header = Header {
        frame_type: message.frame_type(),
        flags,
        device_id: DEVICE,
        seq: SEQ,
        time_ms: TIME_MS,
    };
    encode_to_vec(&header, &message, key).expect("encodes")
}

/// A row as the ingest writer stores the frame `raw` (received 1 s after it was sent): the
/// columns from the frame's header bytes, the bytes as they are.
fn row(raw: Vec<u8>) -> StoredObservation {
    let bytes = |at: usize, n: usize| -> u64 {
        raw.get(at..at + n)
            .map_or(0, |b| b.iter().fold(0, |acc, x| acc << 8 | u64::from(*x)))
    };
    StoredObservation {
        device_id: bytes(4, 8),
        seq: bytes(12, 4) as u32,
        frame_type: bytes(1, 1) as u8,
        flags: bytes(2, 1) as u8,
        device_time_ms: i64::try_from(bytes(16, 8)).unwrap_or(i64::MAX),
        received_at_ms: RECEIVED_MS,
        via: "mqtt".into(),
        clock_skewed: false,
        fields: "{}".into(),
        raw,
    }
}

/// `raw` with `bytes` written at `at` and the CRC made right again.
fn patched(mut raw: Vec<u8>, at: usize, bytes: &[u8]) -> Vec<u8> {
    raw[at..at + bytes.len()].copy_from_slice(bytes);
    recrc(raw)
}

fn recrc(mut raw: Vec<u8>) -> Vec<u8> {
    let body = raw.len() - 2;
    let crc = crc16(&raw[..body]);
    raw[body..].copy_from_slice(&crc.to_be_bytes());
    raw
}

fn of(message: Message, flags: Flags) -> Option<Observation> {
    observation_of(&row(frame(message, flags, None))).expect("a stored frame reads back")
}

fn fix() -> Location {
    Location {
        lat: Coord::from_degrees(56.9496),
        lon: Coord::from_degrees(24.1052),
        accuracy_m: Some(12),
        source: LocationSource::WiFi,
        satellites: 0,
        speed_cm_s: 0,
        heading_deg: None,
    }
}

fn beat(battery_percent: u8, status: u16) -> WireHeartbeat {
    WireHeartbeat {
        battery_percent,
        battery_mv: 3900,
        status: HeartbeatStatus(status),
        rssi_dbm: -70,
        temperature_c: 30,
    }
}

fn presence_of(tag_id: u64) -> Presence {
    Presence {
        tag_id,
        in_range: true,
        rssi_dbm: -50,
    }
}

#[test]
fn every_uplink_frame_as_ingest_stores_it_reads_back() {
    let obs = of(Message::Location(fix()), Flags::STORED).expect("judged");
    assert_eq!(
        (
            obs.device,
            obs.seq,
            obs.device_time,
            obs.received,
            obs.stored
        ),
        (1001, 7, Timestamp(1_000), Timestamp(2_000), true)
    );
    assert_eq!(
        obs.reading,
        Reading::Location {
            lat: 56.9496,
            lon: 24.1052,
            accuracy_m: Some(12.0),
            source: FixSource::Wifi
        }
    );

    let hb = beat(
        80,
        HeartbeatStatus::STRAP_CLOSED | HeartbeatStatus::RF_HOME_PRESENT,
    );
    let Some(Observation {
        reading: Reading::Heartbeat(h),
        stored: false,
        ..
    }) = of(Message::Heartbeat(hb), Flags::empty())
    else {
        panic!("a heartbeat");
    };
    assert!(h.strap_closed && h.rf_home && !h.case_closed && !h.skin_contact);
    assert_eq!(h.battery_pct, 80);

    let strap = Event {
        code: EventCode::StrapOpened,
        value: 0,
    };
    assert_eq!(
        of(Message::Event(strap), Flags::empty()).map(|o| o.reading),
        Some(Reading::Event {
            event: DeviceEvent::StrapOpened,
            value: 0
        })
    );
    let unknown = Event {
        code: EventCode::from_u16(0x0777),
        value: 3,
    };
    assert_eq!(
        of(Message::Event(unknown), Flags::empty()).map(|o| o.reading),
        Some(Reading::Event {
            event: DeviceEvent::Other(0x0777),
            value: 3
        })
    );
    assert_eq!(
        of(Message::Presence(presence_of(u64::MAX)), Flags::empty()).map(|o| o.reading),
        Some(Reading::Presence {
            tag: u64::MAX,
            in_range: true
        })
    );
    let alcohol = Alcohol {
        breath_alcohol_ug_l: 120,
        face_match_percent: 97,
        test_kind: AlcoholTestKind::Random,
    };
    assert_eq!(
        observation_of(&row(frame(Message::Alcohol(alcohol), Flags::empty(), None))),
        Ok(None)
    );
}

#[test]
fn malformed_rows_are_refused_with_the_reason() {
    let location = frame(Message::Location(fix()), Flags::empty(), None);
    let heartbeat = frame(Message::Heartbeat(beat(50, 0)), Flags::empty(), None);
    let presence = frame(Message::Presence(presence_of(5001)), Flags::empty(), None);
    let event = frame(
        Message::Event(Event {
            code: EventCode::Reboot,
            value: 1,
        }),
        Flags::empty(),
        None,
    );
    let ack = frame(Message::Ack(Ack { acked_seq: 3 }), Flags::empty(), None);
    // The heartbeat with one payload byte short, its length field saying so.
    let mut short_heartbeat = heartbeat.clone();
    short_heartbeat.remove(PAYLOAD);
    let short_heartbeat = patched(short_heartbeat, 24, &6u16.to_be_bytes());
    let with_raw = |of: &[u8], raw: &[u8]| StoredObservation {
        raw: raw.to_vec(),
        ..row(of.to_vec())
    };
    let cases = [
        (with_raw(&location, b"not a frame"), "location"),
        (with_raw(&location, &[]), "location"),
        (
            row(patched(
                location.clone(),
                PAYLOAD,
                &910_000_000i32.to_be_bytes(),
            )),
            "lat",
        ),
        (row(patched(location.clone(), PAYLOAD + 10, &[9])), "source"),
        (
            row(patched(heartbeat.clone(), PAYLOAD, &[101])),
            "battery_percent",
        ),
        (
            row(patched(
                heartbeat.clone(),
                PAYLOAD + 3,
                &4096u16.to_be_bytes(),
            )),
            "status",
        ),
        (row(short_heartbeat), "heartbeat"),
        (
            row(patched(presence.clone(), PAYLOAD + 8, &[2])),
            "presence",
        ),
        (with_raw(&event, &event[..event.len() - 1]), "event"),
        (row(ack), "Ack"),
    ];
    for (row, names) in cases {
        let error = observation_of(&row).expect_err(names);
        assert!(error.to_string().contains(names), "{error} for {names}");
    }
    let hello = frame(
        Message::Hello(Hello {
            hardware_model: 0x0A01,
            firmware_major: 1,
            firmware_minor: 4,
            firmware_patch: 2,
            config_revision: 7,
            frames_buffered: 0,
        }),
        Flags::empty(),
        None,
    );
    let unknown = row(patched(hello, 1, &[0x42]));
    assert_eq!(observation_of(&unknown), Err(Malformed::UnknownType(0x42)));
}

#[test]
fn a_device_clock_far_off_stays_within_the_engines_range() {
    let header = Header {
        frame_type: FrameType::Hello,
        flags: Flags::empty(),
        device_id: DEVICE,
        seq: SEQ,
        time_ms: i64::MAX as u64,
    };
    let message = sample(FrameType::Hello);
    let raw = encode_to_vec(&header, &message, None).expect("encodes");
    let row = row(raw);
    assert_eq!(row.device_time_ms, i64::MAX);
    let obs = observation_of(&row).expect("read").expect("judged");
    assert_eq!(obs.device_time, Timestamp::MAX);
    assert!(!obs.device_time_plausible());
}

/// A message of each frame type (exhaustive, so a new type must be given one).
fn sample(frame_type: FrameType) -> Message {
    match frame_type {
        FrameType::Heartbeat => Message::Heartbeat(beat(
            55,
            HeartbeatStatus::CASE_CLOSED | HeartbeatStatus::MAINS_POWER | HeartbeatStatus::MOTION,
        )),
        FrameType::Location => Message::Location(Location {
            lat: Coord::from_degrees(-33.8568),
            lon: Coord::from_degrees(151.2153),
            accuracy_m: None,
            source: LocationSource::Cell,
            satellites: 0,
            speed_cm_s: 12,
            heading_deg: Some(359),
        }),
        FrameType::Event => Message::Event(Event {
            code: EventCode::BatteryLow,
            value: 9,
        }),
        FrameType::Hello => Message::Hello(Hello {
            hardware_model: 0x0A01,
            firmware_major: 1,
            firmware_minor: 4,
            firmware_patch: 2,
            config_revision: 7,
            frames_buffered: 3,
        }),
        FrameType::Presence => Message::Presence(Presence {
            tag_id: 1002,
            in_range: false,
            rssi_dbm: -90,
        }),
        FrameType::Alcohol => Message::Alcohol(Alcohol {
            breath_alcohol_ug_l: 0,
            face_match_percent: 100,
            test_kind: AlcoholTestKind::Scheduled,
        }),
        FrameType::Ack => Message::Ack(Ack { acked_seq: 6 }),
        FrameType::Config => Message::Config(Config {
            heartbeat_interval_s: 300,
            location_interval_moving_s: 15,
            location_interval_still_s: 60,
            config_revision: 8,
        }),
        FrameType::NotifyWearer => Message::NotifyWearer(NotifyWearer {
            pattern: NotifyPattern::Beep,
            message_id: 4,
        }),
        FrameType::LocateNow => Message::LocateNow,
        FrameType::Time => Message::Time,
    }
}

#[test]
fn every_frame_type_maps_to_its_reading() {
    let key: DeviceKey = core::array::from_fn(|i| i as u8);
    for frame_type in FrameType::ALL {
        let expected = match frame_type {
            FrameType::Heartbeat => Ok(Some(Reading::Heartbeat(Heartbeat {
                battery_pct: 55,
                strap_closed: false,
                case_closed: true,
                skin_contact: false,
                charging: false,
                rf_home: false,
                gnss_fix: false,
                mains_power: true,
                motion: true,
            }))),
            FrameType::Location => Ok(Some(Reading::Location {
                lat: -33.8568,
                lon: 151.2153,
                accuracy_m: None,
                source: FixSource::Cell,
            })),
            FrameType::Event => Ok(Some(Reading::Event {
                event: DeviceEvent::BatteryLow,
                value: 9,
            })),
            FrameType::Hello => Ok(Some(Reading::Hello)),
            FrameType::Presence => Ok(Some(Reading::Presence {
                tag: 1002,
                in_range: false,
            })),
            FrameType::Alcohol => Ok(None),
            FrameType::Ack
            | FrameType::Config
            | FrameType::NotifyWearer
            | FrameType::LocateNow
            | FrameType::Time => Err(Malformed::Downlink(frame_type)),
        };
        // With and without a MAC, live and held: the same reading.
        for (flags, key) in [
            (Flags::empty(), None),
            (Flags::ACK_REQUESTED, Some(&key)),
            (Flags::STORED, None),
        ] {
            let row = row(frame(sample(frame_type), flags, key));
            let got = observation_of(&row);
            assert_eq!(
                got.clone().map(|o| o.map(|o| o.reading)),
                expected,
                "{frame_type:?}"
            );
            if let Ok(Some(obs)) = got {
                assert_eq!(obs.stored, flags.contains(Flags::STORED));
                assert_eq!((obs.device, obs.seq), (DEVICE, SEQ));
            }
        }
    }
}

#[test]
fn every_event_code_maps_to_the_event_of_its_name_and_unknown_codes_keep_their_number() {
    let codes = (0..=0x0040).chain([0x0777, 0x7FFF, 0xFFFF]);
    let mut named = 0;
    for number in codes {
        let code = EventCode::from_u16(number);
        let raw = frame(
            Message::Event(Event {
                code,
                value: number ^ 0x5A5A,
            }),
            Flags::empty(),
            None,
        );
        let Ok(Some(Observation {
            reading: Reading::Event { event, value },
            ..
        })) = observation_of(&row(raw))
        else {
            panic!("event {number:#06x} not judged");
        };
        assert_eq!(value, number ^ 0x5A5A);
        assert_eq!(event, device_event(code));
        match code {
            EventCode::Unknown(n) => {
                assert_eq!((n, event), (number, DeviceEvent::Other(number)));
            }
            known => {
                // The engine's name (its serde name, as stored state and the API show it) is
                // the protocol's.
                named += 1;
                assert_eq!(
                    serde_json::to_value(event).expect("serialises"),
                    serde_json::Value::String(known.name().into()),
                    "{number:#06x}"
                );
            }
        }
    }
    assert_eq!(named, 16, "PROTOCOL.md names 16 event codes");
}

#[test]
fn a_truncated_frame_is_refused_whatever_its_length() {
    let key: DeviceKey = [7; 32];
    let full = frame(Message::Location(fix()), Flags::ACK_REQUESTED, Some(&key));
    for len in 0..full.len() {
        let stored = StoredObservation {
            raw: full[..len].to_vec(),
            ..row(full.clone())
        };
        match observation_of(&stored) {
            Err(Malformed::Frame {
                kind: "location", ..
            }) => {}
            other => panic!("{len} bytes: {other:?}"),
        }
    }
}

#[test]
fn the_mac_is_not_the_judges_to_verify() {
    let key: DeviceKey = [7; 32];
    let signed = frame(Message::Location(fix()), Flags::empty(), Some(&key));
    let mac_at = signed.len() - 2 - firmware_proto::MAC_LEN;
    let forged = patched(signed.clone(), mac_at, &[0; 8]);
    assert_eq!(
        firmware_proto::verify_mac(&forged, &key),
        Err(FrameError::MacMismatch)
    );
    let judged = |raw| observation_of(&row(raw)).expect("read").expect("judged");
    assert_eq!(judged(forged), judged(signed));
}

#[test]
fn raw_bytes_that_say_otherwise_than_their_row_are_refused() {
    let raw = frame(Message::Location(fix()), Flags::empty(), None);
    let base = row(raw);
    let cases = [
        (
            StoredObservation {
                device_id: 1002,
                ..base.clone()
            },
            "device id",
        ),
        (
            StoredObservation {
                seq: 8,
                ..base.clone()
            },
            "seq",
        ),
        (
            StoredObservation {
                frame_type: FrameType::Heartbeat.to_u8(),
                ..base.clone()
            },
            "frame type",
        ),
        (
            StoredObservation {
                flags: Flags::STORED.bits(),
                ..base.clone()
            },
            "flags",
        ),
        (
            StoredObservation {
                device_time_ms: 999,
                ..base.clone()
            },
            "device time",
        ),
    ];
    for (stored, name) in cases {
        match observation_of(&stored) {
            Err(Malformed::Mismatch { field, .. }) => assert_eq!(field, name),
            other => panic!("{name}: {other:?}"),
        }
    }
}

proptest! {
    /// Whatever a row's raw bytes and type column hold, the judge answers without panicking.
    #[test]
    fn any_bytes_are_judged_or_refused_never_a_panic(
        raw in proptest::collection::vec(any::<u8>(), 0..1_100),
        frame_type in any::<u8>(),
    ) {
        let stored = StoredObservation { frame_type, ..row(raw) };
        let _ = observation_of(&stored);
    }

    /// Frames with a right length field and CRC around arbitrary header and payload bytes get
    /// past the first checks, into the header and payload decoding; whatever is judged is the
    /// row's device, seq and time.
    #[test]
    fn any_well_framed_bytes_are_judged_or_refused_never_a_panic(
        type_byte in prop_oneof![
            proptest::sample::select(FrameType::ALL.map(FrameType::to_u8).to_vec()),
            any::<u8>(),
        ],
        head in proptest::collection::vec(any::<u8>(), 24),
        payload in proptest::collection::vec(any::<u8>(), 0..20),
        mac in any::<bool>(),
    ) {
        let mut raw = head;
        raw[0] = 1;
        raw[1] = type_byte;
        raw[3] = 0;
        raw[2] = if mac { raw[2] | Flags::MAC.bits() } else { raw[2] & !Flags::MAC.bits() };
        raw.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        raw.extend_from_slice(&payload);
        if mac {
            raw.extend_from_slice(&[0xAB; 8]);
        }
        raw.extend_from_slice(&[0, 0]);
        let stored = row(recrc(raw));
        if let Ok(Some(obs)) = observation_of(&stored) {
            prop_assert_eq!((obs.device, obs.seq), (stored.device_id, stored.seq));
            prop_assert_eq!(obs.device_time, instant(stored.device_time_ms));
        }
    }
}
