//! The JSON shape of messages and frames, which the engine stores and logs.
#![cfg(feature = "serde")]

mod common;

use common::{T0, unhex};
use firmware_proto::{Event, EventCode, Message, decode};
use serde_json::json;

#[test]
fn location_frame_serializes_with_degrees_and_type_tag() {
    let bytes = unhex(
        "0102050000000000000003e9000000020000019b76dae298001021f1d1c00e5e2960000c0109008c010e272f141fceda4bd31390",
    );
    let frame = decode(&bytes).unwrap();
    let value = serde_json::to_value(frame).unwrap();
    assert_eq!(
        value,
        json!({
            "header": {
                "frame_type": "location",
                "flags": 5,
                "device_id": 1001,
                "seq": 2,
                "time_ms": T0 + 15_000,
            },
            "message": {
                "type": "location",
                "lat": 56.9496,
                "lon": 24.1052,
                "accuracy_m": 12,
                "source": "gnss",
                "satellites": 9,
                "speed_cm_s": 140,
                "heading_deg": 270,
            },
            "mac": [0x27, 0x2f, 0x14, 0x1f, 0xce, 0xda, 0x4b, 0xd3],
        })
    );
}

#[test]
fn events_keep_unknown_codes() {
    let known = Message::Event(Event {
        code: EventCode::BatteryLow,
        value: 15,
    });
    assert_eq!(
        serde_json::to_value(known).unwrap(),
        json!({"type": "event", "code": "battery_low", "code_raw": 9, "value": 15})
    );
    let unknown = Message::Event(Event {
        code: EventCode::from_u16(0x0123),
        value: 1,
    });
    assert_eq!(
        serde_json::to_value(unknown).unwrap(),
        json!({"type": "event", "code": "unknown", "code_raw": 0x0123, "value": 1})
    );
}

#[test]
fn unit_messages_and_enums() {
    assert_eq!(
        serde_json::to_value(Message::LocateNow).unwrap(),
        json!({"type": "locate_now"})
    );
    let notify = Message::NotifyWearer(firmware_proto::NotifyWearer {
        pattern: firmware_proto::NotifyPattern::ShortVibration,
        message_id: 3,
    });
    assert_eq!(
        serde_json::to_value(notify).unwrap(),
        json!({"type": "notify_wearer", "pattern": "short_vibration", "message_id": 3})
    );
}
