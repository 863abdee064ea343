//! From an observation as ingest stores it (frame type, flags, both times, the decoded payload
//! as JSON) to what the rules engine judges. Pure, so that every odd stored row can be tried
//! here: a row that cannot be read is skipped with a warning by the caller, never a panic.

use firmware_proto::{Flags, FrameType, HeartbeatStatus};
use ingest::store::StoredObservation;
use rules::observation::{FixSource, Heartbeat};
use rules::{DeviceEvent, Observation, Reading, Timestamp};
use serde::Deserialize;

/// Why a stored row cannot be judged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Malformed {
    #[error("frame type {0:#04x} is not one of the protocol's")]
    UnknownType(u8),
    #[error("a {0:?} frame travels to devices, not from them")]
    Downlink(FrameType),
    #[error("the {kind} fields cannot be read: {reason}")]
    Fields { kind: &'static str, reason: String },
    #[error("{field} is out of range: {value}")]
    OutOfRange { field: &'static str, value: String },
}

/// The observation a stored row is, `None` for a frame the engine has no condition for (an
/// alcohol test), or why the row cannot be judged.
pub fn observation_of(stored: &StoredObservation) -> Result<Option<Observation>, Malformed> {
    let frame_type =
        FrameType::from_u8(stored.frame_type).ok_or(Malformed::UnknownType(stored.frame_type))?;
    let reading = match frame_type {
        FrameType::Heartbeat => heartbeat(&stored.fields)?,
        FrameType::Location => location(&stored.fields)?,
        FrameType::Event => event(&stored.fields)?,
        FrameType::Presence => presence(&stored.fields)?,
        FrameType::Hello => Reading::Hello,
        FrameType::Alcohol => return Ok(None),
        FrameType::Ack
        | FrameType::Config
        | FrameType::NotifyWearer
        | FrameType::LocateNow
        | FrameType::Time => return Err(Malformed::Downlink(frame_type)),
    };
    Ok(Some(Observation {
        device: stored.device_id,
        seq: stored.seq,
        device_time: instant(stored.device_time_ms),
        received: instant(stored.received_at_ms),
        stored: stored.flags & Flags::STORED.bits() != 0,
        reading,
    }))
}

/// A stored time as the engine's instant. A device clock far off (the wire allows any u64) is
/// kept far off but within the engine's range, where it is judged only for arrival.
fn instant(ms: i64) -> Timestamp {
    Timestamp(ms.clamp(Timestamp::MIN.0, Timestamp::MAX.0))
}

fn fields<'a, T: Deserialize<'a>>(kind: &'static str, json: &'a str) -> Result<T, Malformed> {
    serde_json::from_str(json).map_err(|e| Malformed::Fields {
        kind,
        reason: e.to_string(),
    })
}

fn out_of_range(field: &'static str, value: impl ToString) -> Malformed {
    Malformed::OutOfRange {
        field,
        value: value.to_string(),
    }
}

/// HEARTBEAT as `firmware_proto` serialises it (other fields ignored).
#[derive(Deserialize)]
struct StoredHeartbeat {
    battery_percent: u8,
    status: u16,
}

fn heartbeat(json: &str) -> Result<Reading, Malformed> {
    let hb: StoredHeartbeat = fields("heartbeat", json)?;
    if hb.battery_percent > 100 {
        return Err(out_of_range("battery_percent", hb.battery_percent));
    }
    if hb.status & !HeartbeatStatus::DEFINED != 0 {
        return Err(out_of_range("status", hb.status));
    }
    let status = HeartbeatStatus(hb.status);
    Ok(Reading::Heartbeat(Heartbeat {
        battery_pct: hb.battery_percent,
        strap_closed: status.contains(HeartbeatStatus::STRAP_CLOSED),
        case_closed: status.contains(HeartbeatStatus::CASE_CLOSED),
        skin_contact: status.contains(HeartbeatStatus::SKIN_CONTACT),
        charging: status.contains(HeartbeatStatus::CHARGING),
        rf_home: status.contains(HeartbeatStatus::RF_HOME_PRESENT),
        gnss_fix: status.contains(HeartbeatStatus::GNSS_FIX),
        mains_power: status.contains(HeartbeatStatus::MAINS_POWER),
        motion: status.contains(HeartbeatStatus::MOTION),
    }))
}

#[derive(Deserialize)]
struct StoredLocation {
    lat: f64,
    lon: f64,
    accuracy_m: Option<u16>,
    source: String,
}

fn location(json: &str) -> Result<Reading, Malformed> {
    let fix: StoredLocation = fields("location", json)?;
    if !(-90.0..=90.0).contains(&fix.lat) {
        return Err(out_of_range("lat", fix.lat));
    }
    if !(-180.0..=180.0).contains(&fix.lon) {
        return Err(out_of_range("lon", fix.lon));
    }
    let source = match fix.source.as_str() {
        "gnss" => FixSource::Gnss,
        "wifi" => FixSource::Wifi,
        "cell" => FixSource::Cell,
        _ => return Err(out_of_range("source", fix.source)),
    };
    Ok(Reading::Location {
        lat: fix.lat,
        lon: fix.lon,
        accuracy_m: fix.accuracy_m.map(f64::from),
        source,
    })
}

/// EVENT by its code's number, so that a code this version does not name keeps it.
#[derive(Deserialize)]
struct StoredEvent {
    code_raw: u16,
    value: u16,
}

fn event(json: &str) -> Result<Reading, Malformed> {
    let event: StoredEvent = fields("event", json)?;
    Ok(Reading::Event {
        event: DeviceEvent::from_code(event.code_raw),
        value: event.value,
    })
}

#[derive(Deserialize)]
struct StoredPresence {
    tag_id: u64,
    in_range: bool,
}

fn presence(json: &str) -> Result<Reading, Malformed> {
    let p: StoredPresence = fields("presence", json)?;
    Ok(Reading::Presence {
        tag: p.tag_id,
        in_range: p.in_range,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use firmware_proto::{Coord, Event, EventCode, Location, LocationSource, Message, Presence};

    fn stored(frame_type: FrameType, flags: u8, fields: String) -> StoredObservation {
        StoredObservation {
            device_id: 1001,
            seq: 7,
            frame_type: frame_type.to_u8(),
            flags,
            device_time_ms: 1_000,
            received_at_ms: 2_000,
            via: "mqtt".into(),
            clock_skewed: false,
            fields,
            raw: Vec::new(),
        }
    }

    fn of(message: Message, frame_type: FrameType, flags: u8) -> Option<Observation> {
        observation_of(&stored(frame_type, flags, ingest::fields_json(&message)))
            .expect("a stored frame reads back")
    }

    #[test]
    fn every_uplink_frame_as_ingest_stores_it_reads_back() {
        let fix = Location {
            lat: Coord::from_degrees(56.9496),
            lon: Coord::from_degrees(24.1052),
            accuracy_m: Some(12),
            source: LocationSource::WiFi,
            satellites: 0,
            speed_cm_s: 0,
            heading_deg: None,
        };
        let obs = of(
            Message::Location(fix),
            FrameType::Location,
            Flags::STORED.bits(),
        )
        .expect("judged");
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

        let hb = firmware_proto::Heartbeat {
            battery_percent: 80,
            battery_mv: 3900,
            status: HeartbeatStatus(
                HeartbeatStatus::STRAP_CLOSED | HeartbeatStatus::RF_HOME_PRESENT,
            ),
            rssi_dbm: -70,
            temperature_c: 30,
        };
        let Some(Observation {
            reading: Reading::Heartbeat(h),
            stored: false,
            ..
        }) = of(Message::Heartbeat(hb), FrameType::Heartbeat, 0)
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
            of(Message::Event(strap), FrameType::Event, 0).map(|o| o.reading),
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
            of(Message::Event(unknown), FrameType::Event, 0).map(|o| o.reading),
            Some(Reading::Event {
                event: DeviceEvent::Other(0x0777),
                value: 3
            })
        );
        let presence = Presence {
            tag_id: u64::MAX,
            in_range: true,
            rssi_dbm: -50,
        };
        assert_eq!(
            of(Message::Presence(presence), FrameType::Presence, 0).map(|o| o.reading),
            Some(Reading::Presence {
                tag: u64::MAX,
                in_range: true
            })
        );
        let alcohol = stored(FrameType::Alcohol, 0, "{}".into());
        assert_eq!(observation_of(&alcohol), Ok(None));
    }

    #[test]
    fn malformed_rows_are_refused_with_the_reason() {
        let cases = [
            (
                stored(FrameType::Location, 0, "not json".into()),
                "location",
            ),
            (stored(FrameType::Location, 0, "{}".into()), "location"),
            (
                stored(
                    FrameType::Location,
                    0,
                    r#"{"lat":91.0,"lon":0.0,"accuracy_m":null,"source":"gnss"}"#.into(),
                ),
                "lat",
            ),
            (
                stored(
                    FrameType::Location,
                    0,
                    r#"{"lat":1.0,"lon":0.0,"accuracy_m":null,"source":"radar"}"#.into(),
                ),
                "source",
            ),
            (
                stored(
                    FrameType::Heartbeat,
                    0,
                    r#"{"battery_percent":101,"status":0}"#.into(),
                ),
                "battery_percent",
            ),
            (
                stored(
                    FrameType::Heartbeat,
                    0,
                    r#"{"battery_percent":50,"status":4096}"#.into(),
                ),
                "status",
            ),
            (
                stored(FrameType::Heartbeat, 0, r#"{"battery_percent":-1}"#.into()),
                "heartbeat",
            ),
            (
                stored(FrameType::Presence, 0, r#"{"tag_id":"x"}"#.into()),
                "presence",
            ),
            (stored(FrameType::Event, 0, "[]".into()), "event"),
            (stored(FrameType::Ack, 0, "{}".into()), "Ack"),
        ];
        for (row, names) in cases {
            let error = observation_of(&row).expect_err(&row.fields);
            assert!(
                error.to_string().contains(names),
                "{error} for {}",
                row.fields
            );
        }
        let mut unknown = stored(FrameType::Hello, 0, "{}".into());
        unknown.frame_type = 0x42;
        assert_eq!(observation_of(&unknown), Err(Malformed::UnknownType(0x42)));
    }

    #[test]
    fn a_device_clock_far_off_stays_within_the_engines_range() {
        let mut row = stored(FrameType::Hello, 0, "{}".into());
        row.device_time_ms = i64::MAX;
        let obs = observation_of(&row).expect("read").expect("judged");
        assert_eq!(obs.device_time, Timestamp::MAX);
        assert!(!obs.device_time_plausible());
    }
}
