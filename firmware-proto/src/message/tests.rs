//! The payload layouts against the frame types, the event-code table, and coordinate rounding.

use super::*;

#[test]
fn payload_sizes_match_frame_types() {
    assert_eq!(Heartbeat::LEN, FrameType::Heartbeat.payload_len());
    assert_eq!(Location::LEN, FrameType::Location.payload_len());
    assert_eq!(Event::LEN, FrameType::Event.payload_len());
    assert_eq!(Hello::LEN, FrameType::Hello.payload_len());
    assert_eq!(Presence::LEN, FrameType::Presence.payload_len());
    assert_eq!(Alcohol::LEN, FrameType::Alcohol.payload_len());
    assert_eq!(Ack::LEN, FrameType::Ack.payload_len());
    assert_eq!(Config::LEN, FrameType::Config.payload_len());
    assert_eq!(NotifyWearer::LEN, FrameType::NotifyWearer.payload_len());
    for t in FrameType::ALL {
        assert!(t.payload_len() <= MAX_FIXED_PAYLOAD);
    }
}

#[test]
fn event_codes_round_trip() {
    for code in 0..=u16::MAX {
        let c = EventCode::from_u16(code);
        assert_eq!(c.to_u16(), code);
        assert_eq!(
            matches!(c, EventCode::Unknown(_)),
            !(1..=0x10).contains(&code)
        );
        assert_eq!(c.name() == "unknown", matches!(c, EventCode::Unknown(_)));
    }
}

#[test]
fn coord_rounding() {
    assert_eq!(Coord::from_degrees(56.9496), Coord(569_496_000));
    assert_eq!(Coord::from_degrees(24.1052), Coord(241_052_000));
    assert_eq!(Coord::from_degrees(-0.000_000_05), Coord(-1));
    assert_eq!(Coord::from_degrees(0.000_000_049), Coord(0));
    assert_eq!(Coord::from_degrees(-180.0), Coord(-1_800_000_000));
    assert_eq!(Coord::from_degrees(1e10), Coord(i32::MAX));
    assert_eq!(Coord::from_degrees(-1e10), Coord(i32::MIN));
    assert_eq!(Coord::from_degrees(f64::NAN), Coord(0));
    assert_eq!(Coord(569_496_000).degrees(), 56.9496);
    for raw in [-900_000_000, -1, 0, 1, 123_456_789, 1_800_000_000] {
        assert_eq!(Coord::from_degrees(Coord(raw).degrees()), Coord(raw));
    }
}

#[test]
fn heartbeat_status_contains() {
    let s = HeartbeatStatus(0x0037);
    assert!(s.contains(HeartbeatStatus::STRAP_CLOSED));
    assert!(s.contains(HeartbeatStatus::CASE_CLOSED | HeartbeatStatus::SKIN_CONTACT));
    assert!(!s.contains(HeartbeatStatus::CHARGING));
    assert!(s.contains(HeartbeatStatus::RF_HOME_PRESENT));
    assert!(s.contains(HeartbeatStatus::GNSS_FIX));
    assert!(!s.contains(HeartbeatStatus::MAINS_POWER));
    assert!(!s.contains(HeartbeatStatus::MOTION));
}
