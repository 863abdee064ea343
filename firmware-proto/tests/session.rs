//! The device-side session: numbering, buffering, resends, STORED, ACK, TIME, CONFIG, and the
//! refusal of replayed, misaddressed, unauthenticated or uplink downlink frames.
#![cfg(feature = "std")]

mod common;

use common::{other_key, vector_key};
use firmware_proto::{
    Ack, Config, DeviceKey, DeviceSession, DownlinkEvent, Event, EventCode, Flags, FrameError,
    FrameType, Header, Message, NotifyPattern, NotifyWearer, SessionError, SessionOptions, decode,
    encode_to_vec, verify_mac,
};

const DEVICE: u64 = 1001;
const T: u64 = 1_767_225_600_000;

fn event(value: u16) -> Message {
    Message::Event(Event {
        code: EventCode::ButtonPressed,
        value,
    })
}

fn session(key: Option<DeviceKey>) -> DeviceSession {
    DeviceSession::new(DEVICE, key, 1, SessionOptions::default())
}

fn downlink(
    device_id: u64,
    seq: u32,
    time_ms: u64,
    message: Message,
    key: Option<&DeviceKey>,
) -> Vec<u8> {
    let header = Header {
        frame_type: message.frame_type(),
        flags: Flags::empty(),
        device_id,
        seq,
        time_ms,
    };
    encode_to_vec(&header, &message, key).unwrap()
}

fn ack(seq: u32, acked_seq: u32, key: Option<&DeviceKey>) -> Vec<u8> {
    downlink(DEVICE, seq, T, Message::Ack(Ack { acked_seq }), key)
}

fn seqs_and_flags(frames: &[Vec<u8>]) -> Vec<(u32, Flags)> {
    frames
        .iter()
        .map(|f| {
            let frame = decode(f).unwrap();
            (frame.header.seq, frame.header.flags)
        })
        .collect()
}

const LIVE: Flags = Flags::ACK_REQUESTED;

fn stored() -> Flags {
    Flags::ACK_REQUESTED | Flags::STORED
}

#[test]
fn seq_numbers_start_at_first_seq_and_increase() {
    let mut s = DeviceSession::new(DEVICE, None, 41, SessionOptions::default());
    assert_eq!(s.next_seq(), 41);
    assert_eq!(s.record(event(1), T), 41);
    assert_eq!(s.record(event(2), T), 42);
    assert_eq!(s.next_seq(), 43);
    // seq 0 is invalid, so a session told to start there starts at 1.
    let mut s = DeviceSession::new(DEVICE, None, 0, SessionOptions::default());
    assert_eq!(s.record(event(1), T), 1);
    // Acknowledged seqs are never reused.
    let mut s = session(None);
    s.record(event(1), T);
    s.poll_transmit(T, true);
    s.handle_downlink(&ack(1, 1, None), T).unwrap();
    assert_eq!(s.record(event(2), T), 2);
}

#[test]
fn frames_go_out_once_oldest_first_with_ack_requested() {
    let mut s = session(None);
    s.record(event(1), T);
    s.record(event(2), T + 1);
    let frames = s.poll_transmit(T + 2, true);
    assert_eq!(seqs_and_flags(&frames), vec![(1, LIVE), (2, LIVE)]);
    let first = decode(&frames[0]).unwrap();
    assert_eq!(first.header.device_id, DEVICE);
    assert_eq!(first.header.time_ms, T);
    assert_eq!(first.message, event(1));
    assert!(
        s.poll_transmit(T + 3, true).is_empty(),
        "nothing new, nothing due"
    );
    assert_eq!(s.unacked(), 2);
}

#[test]
fn ack_releases_frames_up_to_acked_seq() {
    let mut s = session(None);
    for v in 1..=5 {
        s.record(event(v), T);
    }
    s.poll_transmit(T, true);
    assert_eq!(
        s.handle_downlink(&ack(1, 3, None), T),
        Ok(DownlinkEvent::Acked {
            acked_seq: 3,
            released: 3
        })
    );
    assert_eq!(s.unacked(), 2);
    assert_eq!(s.acked_seq(), 3);
    assert_eq!(s.unacked_seqs().collect::<Vec<_>>(), vec![4, 5]);
    // An older ACK (new downlink seq) releases nothing and does not move acked_seq back.
    assert_eq!(
        s.handle_downlink(&ack(2, 2, None), T),
        Ok(DownlinkEvent::Acked {
            acked_seq: 2,
            released: 0
        })
    );
    assert_eq!(s.acked_seq(), 3);
    // The released frames are not resent.
    let resent = s.poll_transmit(T + 60_000, true);
    assert_eq!(seqs_and_flags(&resent), vec![(4, stored()), (5, stored())]);
}

#[test]
fn unacked_frames_are_resent_after_the_timeout_with_stored() {
    let options = SessionOptions {
        resend_after_ms: 5_000,
        ..SessionOptions::default()
    };
    let mut s = DeviceSession::new(DEVICE, None, 1, options);
    s.record(event(1), T);
    assert_eq!(seqs_and_flags(&s.poll_transmit(T, true)), vec![(1, LIVE)]);
    assert!(s.poll_transmit(T + 4_999, true).is_empty());
    s.record(event(2), T + 4_999);
    // Seq 2 is new (live), seq 1 is due again (stored), in seq order.
    assert_eq!(
        seqs_and_flags(&s.poll_transmit(T + 5_000, true)),
        vec![(1, stored()), (2, LIVE)]
    );
    assert!(s.poll_transmit(T + 9_999, true).is_empty());
    assert_eq!(
        seqs_and_flags(&s.poll_transmit(T + 10_000, true)),
        vec![(1, stored()), (2, stored())]
    );
    // A resend keeps the original time.
    let again = s.poll_transmit(T + 20_000, true);
    assert_eq!(decode(&again[0]).unwrap().header.time_ms, T);
}

#[test]
fn frames_recorded_offline_come_out_stored() {
    let mut s = session(None);
    s.record(event(1), T);
    assert_eq!(seqs_and_flags(&s.poll_transmit(T, true)), vec![(1, LIVE)]);
    s.record(event(2), T + 1_000);
    s.record(event(3), T + 2_000);
    assert!(
        s.poll_transmit(T + 2_000, false).is_empty(),
        "offline sends nothing"
    );
    s.record(event(4), T + 3_000); // recorded after the gap was noticed, still not sent
    let frames = s.poll_transmit(T + 3_000, true);
    // 1 is not yet due for resend; 2 and 3 were held; 4 is live.
    assert_eq!(
        seqs_and_flags(&frames),
        vec![(2, stored()), (3, stored()), (4, LIVE)]
    );
    let later = s.poll_transmit(T + 10_000, true);
    assert_eq!(seqs_and_flags(&later), vec![(1, stored())]);
}

#[test]
fn keyed_session_signs_uplink_and_requires_signed_downlink() {
    let key = vector_key();
    let mut s = session(Some(key));
    s.record(event(1), T);
    let frames = s.poll_transmit(T, true);
    assert_eq!(seqs_and_flags(&frames), vec![(1, LIVE | Flags::MAC)]);
    assert_eq!(verify_mac(&frames[0], &key), Ok(()));

    // Unsigned, wrongly signed: refused, state unchanged.
    assert_eq!(
        s.handle_downlink(&ack(1, 1, None), T),
        Err(SessionError::Frame(FrameError::MacMissing))
    );
    assert_eq!(
        s.handle_downlink(&ack(1, 1, Some(&other_key())), T),
        Err(SessionError::Frame(FrameError::MacMismatch))
    );
    assert_eq!(s.unacked(), 1);
    // A forged MAC with the CRC repaired is refused too.
    let mut forged = ack(1, 1, Some(&key));
    forged[26] ^= 0xFF; // acked seq changed
    common::fix_crc(&mut forged);
    assert_eq!(
        s.handle_downlink(&forged, T),
        Err(SessionError::Frame(FrameError::MacMismatch))
    );
    // Refused frames do not advance the downlink seq: the genuine seq 1 still works.
    assert_eq!(
        s.handle_downlink(&ack(1, 1, Some(&key)), T),
        Ok(DownlinkEvent::Acked {
            acked_seq: 1,
            released: 1
        })
    );
}

#[test]
fn replayed_downlink_is_rejected() {
    let mut s = session(None);
    s.record(event(1), T);
    s.record(event(2), T);
    let first = ack(5, 1, None);
    assert!(s.handle_downlink(&first, T).is_ok());
    assert_eq!(
        s.handle_downlink(&first, T),
        Err(SessionError::Replay { seq: 5, last: 5 })
    );
    assert_eq!(
        s.handle_downlink(&ack(4, 2, None), T),
        Err(SessionError::Replay { seq: 4, last: 5 })
    );
    assert_eq!(s.unacked(), 1, "the replayed ACK for 2 did nothing");
    assert!(s.handle_downlink(&ack(6, 2, None), T).is_ok());
    assert_eq!(s.unacked(), 0);
}

#[test]
fn downlink_for_another_device_is_rejected() {
    let mut s = session(None);
    s.record(event(1), T);
    let other = downlink(DEVICE + 1, 1, T, Message::Ack(Ack { acked_seq: 1 }), None);
    assert_eq!(
        s.handle_downlink(&other, T),
        Err(SessionError::WrongDevice {
            expected: DEVICE,
            got: DEVICE + 1
        })
    );
    assert_eq!(s.unacked(), 1);
}

#[test]
fn uplink_type_on_downlink_is_rejected() {
    let mut s = session(None);
    let frame = downlink(DEVICE, 1, T, event(1), None);
    assert_eq!(
        s.handle_downlink(&frame, T),
        Err(SessionError::NotDownlink(FrameType::Event))
    );
}

#[test]
fn malformed_downlink_is_a_frame_error() {
    let mut s = session(None);
    let mut frame = ack(1, 1, None);
    frame[27] ^= 1;
    assert!(matches!(
        s.handle_downlink(&frame, T),
        Err(SessionError::Frame(FrameError::Crc { .. }))
    ));
    assert!(matches!(
        s.handle_downlink(&[1, 2, 3], T),
        Err(SessionError::Frame(FrameError::TooShort { len: 3 }))
    ));
}

#[test]
fn time_sets_the_device_clock() {
    let mut s = session(None);
    assert_eq!(s.device_time(T), T);
    let engine_time = T + 90_000;
    let frame = downlink(DEVICE, 1, engine_time, Message::Time, None);
    assert_eq!(
        s.handle_downlink(&frame, T),
        Ok(DownlinkEvent::TimeSet { offset_ms: 90_000 })
    );
    assert_eq!(s.device_time(T), engine_time);
    assert_eq!(s.device_time(T + 1_000), engine_time + 1_000);
    // Frames are stamped with the device clock.
    s.record(event(1), T + 1_000);
    let frames = s.poll_transmit(T + 1_000, true);
    assert_eq!(
        decode(&frames[0]).unwrap().header.time_ms,
        engine_time + 1_000
    );
    // Setting it back works too.
    let frame = downlink(DEVICE, 2, T - 5_000, Message::Time, None);
    assert_eq!(
        s.handle_downlink(&frame, T),
        Ok(DownlinkEvent::TimeSet { offset_ms: -5_000 })
    );
    assert_eq!(s.device_time(T), T - 5_000);
    assert_eq!(s.device_time(0), 0, "never before the epoch");
}

#[test]
fn config_is_stored_and_other_commands_reported() {
    let mut s = session(None);
    assert_eq!(s.config(), None);
    let config = Config {
        heartbeat_interval_s: 300,
        location_interval_moving_s: 15,
        location_interval_still_s: 600,
        config_revision: 8,
    };
    let frame = downlink(DEVICE, 1, T, Message::Config(config), None);
    assert_eq!(
        s.handle_downlink(&frame, T),
        Ok(DownlinkEvent::Config(config))
    );
    assert_eq!(s.config(), Some(config));
    let notify = NotifyWearer {
        pattern: NotifyPattern::LongVibration,
        message_id: 12,
    };
    let frame = downlink(DEVICE, 2, T, Message::NotifyWearer(notify), None);
    assert_eq!(
        s.handle_downlink(&frame, T),
        Ok(DownlinkEvent::Notify(notify))
    );
    let frame = downlink(DEVICE, 3, T, Message::LocateNow, None);
    assert_eq!(s.handle_downlink(&frame, T), Ok(DownlinkEvent::LocateNow));
}

#[test]
fn capacity_drops_the_oldest_and_counts() {
    let options = SessionOptions {
        capacity: 3,
        ..SessionOptions::default()
    };
    let mut s = DeviceSession::new(DEVICE, None, 1, options);
    for v in 1..=5 {
        s.record(event(v), T);
    }
    assert_eq!(s.unacked(), 3);
    assert_eq!(s.dropped(), 2);
    assert_eq!(s.unacked_seqs().collect::<Vec<_>>(), vec![3, 4, 5]);
    let frames = s.poll_transmit(T, true);
    assert_eq!(
        seqs_and_flags(&frames)
            .iter()
            .map(|(seq, _)| *seq)
            .collect::<Vec<_>>(),
        vec![3, 4, 5]
    );
    assert_eq!(s.next_seq(), 6, "dropped seqs are not reused");
}

#[test]
fn unencodable_messages_are_dropped_and_counted() {
    let mut s = session(None);
    s.record(
        Message::Heartbeat(firmware_proto::Heartbeat {
            battery_percent: 200,
            battery_mv: 0,
            status: Default::default(),
            rssi_dbm: 0,
            temperature_c: 0,
        }),
        T,
    );
    s.record(event(1), T);
    assert_eq!(seqs_and_flags(&s.poll_transmit(T, true)), vec![(2, LIVE)]);
    assert_eq!(s.dropped(), 1);
    assert_eq!(s.unacked(), 1);
}

#[test]
fn debug_output_hides_the_key() {
    let s = session(Some(vector_key()));
    let text = format!("{s:?}");
    assert!(text.contains("keyed: true"));
    assert!(!text.contains("31"), "{text}"); // the last key byte, 0x1f
}
