//! From an observation as ingest stores it to what the rules engine judges. The row's raw frame
//! (the bytes exactly as the device sent them, header to CRC) is decoded again with
//! `firmware_proto`, and each message is mapped to the engine's reading by exhaustive matches
//! and struct patterns: a new frame type, a new event code or a renamed field is a compile error
//! here, not a row skipped at run time. Pure, so that every odd stored row can be tried here: a
//! row that cannot be read is skipped with a warning by the caller, never a panic.
//!
//! The MAC (when the frame carries one) is not verified: the judge holds no device keys, and
//! ingest verified it before storing the row. The CRC is checked, as part of decoding.

use firmware_proto::{
    Event, EventCode, Flags, FrameError, FrameType, Heartbeat as WireHeartbeat, HeartbeatStatus,
    Location, LocationSource, Message, Presence,
};
use ingest::store::StoredObservation;
use rules::observation::{FixSource, Heartbeat};
use rules::{DeviceEvent, Observation, Reading, Timestamp};

/// Why a stored row cannot be judged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Malformed {
    /// The row's frame type is none the protocol defines.
    #[error("frame type {0:#04x} is not one of the protocol's")]
    UnknownType(u8),
    /// The row's frame type is one sent to devices (a command), which says nothing about the client.
    #[error("a {0:?} frame travels to devices, not from them")]
    Downlink(FrameType),
    /// The raw bytes are not a frame the protocol accepts (`kind` is the row's frame type).
    #[error("the stored {kind} frame cannot be decoded: {error}")]
    Frame {
        /// The row's frame type, by name.
        kind: &'static str,
        /// Why the frame does not decode.
        error: FrameError,
    },
    /// The raw frame's header says otherwise than the row's columns.
    #[error("the stored frame's {field} is {frame}, its row's {row}")]
    Mismatch {
        /// Which header field differs (device, seq, ...).
        field: &'static str,
        /// Its value in the raw frame.
        frame: i128,
        /// Its value in the row.
        row: i128,
    },
}

/// The observation a stored row is, `None` for a frame the engine has no condition for (an
/// alcohol test), or why the row cannot be judged.
pub fn observation_of(stored: &StoredObservation) -> Result<Option<Observation>, Malformed> {
    let frame = firmware_proto::decode(&stored.raw).map_err(|error| match error {
        FrameError::UnknownType(t) => Malformed::UnknownType(t),
        error => Malformed::Frame {
            kind: FrameType::from_u8(stored.frame_type).map_or("unknown", FrameType::name),
            error,
        },
    })?;
    let h = frame.header;
    // The row's columns are what evidence and commit order refer to; raw bytes that say
    // otherwise belong to some other row.
    let device_time_ms = i64::try_from(h.time_ms).unwrap_or(i64::MAX);
    for (field, frame, row) in [
        (
            "device id",
            i128::from(h.device_id),
            i128::from(stored.device_id),
        ),
        ("seq", i128::from(h.seq), i128::from(stored.seq)),
        (
            "frame type",
            i128::from(h.frame_type.to_u8()),
            i128::from(stored.frame_type),
        ),
        (
            "flags",
            i128::from(h.flags.bits()),
            i128::from(stored.flags),
        ),
        (
            "device time",
            i128::from(device_time_ms),
            i128::from(stored.device_time_ms),
        ),
    ] {
        if frame != row {
            return Err(Malformed::Mismatch { field, frame, row });
        }
    }
    let reading = match frame.message {
        Message::Heartbeat(hb) => heartbeat(hb),
        Message::Location(fix) => location(fix),
        Message::Event(e) => event(e),
        Message::Presence(p) => presence(p),
        Message::Hello(_) => Reading::Hello,
        Message::Alcohol(_) => return Ok(None),
        Message::Ack(_)
        | Message::Config(_)
        | Message::NotifyWearer(_)
        | Message::LocateNow
        | Message::Time => return Err(Malformed::Downlink(h.frame_type)),
    };
    Ok(Some(Observation {
        device: h.device_id,
        seq: h.seq,
        device_time: instant(device_time_ms),
        received: instant(stored.received_at_ms),
        stored: h.flags.contains(Flags::STORED),
        reading,
    }))
}

/// A stored time as the engine's instant. A device clock far off (the wire allows any u64) is
/// kept far off but within the engine's range, where it is judged only for arrival.
fn instant(ms: i64) -> Timestamp {
    Timestamp(ms.clamp(Timestamp::MIN.0, Timestamp::MAX.0))
}

// Each message is taken apart field by field (no `..`), so that a field added to or renamed in
// the protocol must be looked at here before the judge builds. Decoding has checked every range
// the protocol limits (battery %, status bits, coordinates, source, presence state).

fn heartbeat(hb: WireHeartbeat) -> Reading {
    let WireHeartbeat {
        battery_percent,
        battery_mv: _,
        status,
        rssi_dbm: _,
        temperature_c: _,
    } = hb;
    Reading::Heartbeat(Heartbeat {
        battery_pct: battery_percent,
        strap_closed: status.contains(HeartbeatStatus::STRAP_CLOSED),
        case_closed: status.contains(HeartbeatStatus::CASE_CLOSED),
        skin_contact: status.contains(HeartbeatStatus::SKIN_CONTACT),
        charging: status.contains(HeartbeatStatus::CHARGING),
        rf_home: status.contains(HeartbeatStatus::RF_HOME_PRESENT),
        gnss_fix: status.contains(HeartbeatStatus::GNSS_FIX),
        mains_power: status.contains(HeartbeatStatus::MAINS_POWER),
        motion: status.contains(HeartbeatStatus::MOTION),
    })
}

fn location(fix: Location) -> Reading {
    let Location {
        lat,
        lon,
        accuracy_m,
        source,
        satellites: _,
        speed_cm_s: _,
        heading_deg: _,
    } = fix;
    Reading::Location {
        lat: lat.degrees(),
        lon: lon.degrees(),
        accuracy_m: accuracy_m.map(f64::from),
        source: match source {
            LocationSource::Gnss => FixSource::Gnss,
            LocationSource::WiFi => FixSource::Wifi,
            LocationSource::Cell => FixSource::Cell,
        },
    }
}

fn event(event: Event) -> Reading {
    let Event { code, value } = event;
    Reading::Event {
        event: device_event(code),
        value,
    }
}

/// The engine's name for a protocol event code. The one place where the wire's event table
/// meets the engine's: the numbers live in `firmware_proto` alone, and a code added there fails
/// to compile here until the engine has a name for it. A code this version does not name keeps
/// its number.
pub fn device_event(code: EventCode) -> DeviceEvent {
    match code {
        EventCode::StrapOpened => DeviceEvent::StrapOpened,
        EventCode::StrapClosed => DeviceEvent::StrapClosed,
        EventCode::CaseOpened => DeviceEvent::CaseOpened,
        EventCode::CaseClosed => DeviceEvent::CaseClosed,
        EventCode::SkinContactLost => DeviceEvent::SkinContactLost,
        EventCode::SkinContactRestored => DeviceEvent::SkinContactRestored,
        EventCode::ChargerConnected => DeviceEvent::ChargerConnected,
        EventCode::ChargerDisconnected => DeviceEvent::ChargerDisconnected,
        EventCode::BatteryLow => DeviceEvent::BatteryLow,
        EventCode::BatteryCritical => DeviceEvent::BatteryCritical,
        EventCode::JammingSuspected => DeviceEvent::JammingSuspected,
        EventCode::ShieldingSuspected => DeviceEvent::ShieldingSuspected,
        EventCode::MainsPowerLost => DeviceEvent::MainsPowerLost,
        EventCode::MainsPowerRestored => DeviceEvent::MainsPowerRestored,
        EventCode::Reboot => DeviceEvent::Reboot,
        EventCode::ButtonPressed => DeviceEvent::ButtonPressed,
        EventCode::Unknown(code) => DeviceEvent::Other(code),
    }
}

fn presence(p: Presence) -> Reading {
    let Presence {
        tag_id,
        in_range,
        rssi_dbm: _,
    } = p;
    Reading::Presence {
        tag: tag_id,
        in_range,
    }
}

#[cfg(test)]
mod tests;
