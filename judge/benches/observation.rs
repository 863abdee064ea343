//! The judge's per-row cost before the rules engine: a stored observation as the engine's
//! observation, decoded from the row's raw frame (`observation_of`, now) against read back
//! from the row's JSON fields (the judge until issue 16, copied below as the baseline).
//!
//! Run: `cargo bench -p judge --bench observation`.
//!
//! The rows are a fleet's mix as ingest stores them, every frame with its MAC: per 32 rows, 20
//! LOCATION, 6 PRESENCE, 3 HEARTBEAT, 2 EVENT and 1 HELLO (GPS tags reporting every 15–60 s and
//! a heartbeat every 300 s, home units a presence every 60 s, events rare).

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use firmware_proto::{
    Coord, DeviceKey, Event, EventCode, Flags, Header, Heartbeat, HeartbeatStatus, Hello, Location,
    LocationSource, Message, Presence,
};
use ingest::store::StoredObservation;
use judge::observation::observation_of;
use rules::Observation;

const ROWS: usize = 1024;

fn message(i: usize) -> Message {
    let wiggle = (i % 97) as f64 * 1e-4;
    match i % 32 {
        0..20 => Message::Location(Location {
            lat: Coord::from_degrees(56.9496 + wiggle),
            lon: Coord::from_degrees(24.1052 - wiggle),
            accuracy_m: Some(5 + (i % 30) as u16),
            source: LocationSource::Gnss,
            satellites: 9,
            speed_cm_s: 140,
            heading_deg: Some((i % 360) as u16),
        }),
        20..26 => Message::Presence(Presence {
            tag_id: 1001 + (i % 7) as u64,
            in_range: !i.is_multiple_of(5),
            rssi_dbm: -48,
        }),
        26..29 => Message::Heartbeat(Heartbeat {
            battery_percent: 87,
            battery_mv: 3950,
            status: HeartbeatStatus(0x0037),
            rssi_dbm: -71,
            temperature_c: 31,
        }),
        29..31 => Message::Event(Event {
            code: EventCode::from_u16(1 + (i % 17) as u16),
            value: 0,
        }),
        _ => Message::Hello(Hello {
            hardware_model: 0x0A01,
            firmware_major: 1,
            firmware_minor: 4,
            firmware_patch: 2,
            config_revision: 7,
            frames_buffered: 0,
        }),
    }
}

/// The rows as ingest's writer stores them: header fields, the payload as JSON, the raw frame.
fn rows() -> Vec<StoredObservation> {
    let key: DeviceKey = core::array::from_fn(|i| i as u8);
    (0..ROWS)
        .map(|i| {
            let message = message(i);
            let header = Header {
                frame_type: message.frame_type(),
                flags: if i.is_multiple_of(11) {
                    Flags::STORED | Flags::ACK_REQUESTED
                } else {
                    Flags::ACK_REQUESTED
                },
                device_id: 1001 + (i % 7) as u64,
                seq: 1 + i as u32,
                time_ms: 1_767_225_600_000 + 15_000 * i as u64,
            };
            let raw =
                firmware_proto::encode_to_vec(&header, &message, Some(&key)).expect("encodes");
            let frame = firmware_proto::decode(&raw).expect("decodes");
            StoredObservation {
                device_id: header.device_id,
                seq: header.seq,
                frame_type: header.frame_type.to_u8(),
                flags: frame.header.flags.bits(),
                device_time_ms: header.time_ms as i64,
                received_at_ms: header.time_ms as i64 + 2_000,
                via: "mqtt".into(),
                clock_skewed: false,
                fields: ingest::fields_json(&message),
                raw,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rows = rows();
    let judged = |of: fn(&StoredObservation) -> Option<Observation>| -> Vec<Option<Observation>> {
        rows.iter().map(of).collect()
    };
    let from_raw = judged(|r| observation_of(r).expect("judged"));
    let from_json = judged(|r| baseline::observation_of(r).expect("judged"));
    assert_eq!(from_raw, from_json, "both read the same observations");
    assert_eq!(from_raw.iter().filter(|o| o.is_some()).count(), ROWS);

    let mut group = c.benchmark_group("observation_of");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("json fields (before)", |b| {
        b.iter(|| {
            for row in &rows {
                black_box(baseline::observation_of(black_box(row)).ok());
            }
        })
    });
    group.bench_function("raw frame (now)", |b| {
        b.iter(|| {
            for row in &rows {
                black_box(observation_of(black_box(row)).ok());
            }
        })
    });
    group.finish();
}

/// `judge/src/observation.rs` as it was before issue 16 (at 658c03b), but for the error type
/// (a string here) and `DeviceEvent::from_code`, since deleted, which is replaced by the same
/// lookup through firmware-proto's table.
mod baseline {
    use firmware_proto::{EventCode, Flags, FrameType, HeartbeatStatus};
    use ingest::store::StoredObservation;
    use rules::observation::{FixSource, Heartbeat};
    use rules::{Observation, Reading, Timestamp};
    use serde::Deserialize;

    type Malformed = String;

    pub fn observation_of(stored: &StoredObservation) -> Result<Option<Observation>, Malformed> {
        let frame_type = FrameType::from_u8(stored.frame_type)
            .ok_or_else(|| format!("unknown type {}", stored.frame_type))?;
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
            | FrameType::Time => return Err(format!("downlink {frame_type:?}")),
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

    fn instant(ms: i64) -> Timestamp {
        Timestamp(ms.clamp(Timestamp::MIN.0, Timestamp::MAX.0))
    }

    fn fields<'a, T: Deserialize<'a>>(kind: &'static str, json: &'a str) -> Result<T, Malformed> {
        serde_json::from_str(json).map_err(|e| format!("{kind}: {e}"))
    }

    fn out_of_range(field: &'static str, value: impl ToString) -> Malformed {
        format!("{field} out of range: {}", value.to_string())
    }

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

    #[derive(Deserialize)]
    struct StoredEvent {
        code_raw: u16,
        value: u16,
    }

    fn event(json: &str) -> Result<Reading, Malformed> {
        let event: StoredEvent = fields("event", json)?;
        Ok(Reading::Event {
            event: judge::observation::device_event(EventCode::from_u16(event.code_raw)),
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
