//! Positions and events from a Traccar server, the wire format alone (issue 19's third
//! adapter): an agency that already runs Traccar, with its hundreds of device protocols, feeds
//! sargs through Traccar's forwarding (`forward.type=json`: `{"position", "device"}` per
//! position; `event.forward.type=json`: `{"event", "position", "device"}` per event), and fills
//! a period it missed from Traccar's REST API (`GET /api/positions?deviceId=&from=&to=`, a JSON
//! array of positions). No I/O: the listener and the backfill client sit on top.
//!
//! Traccar acknowledges its devices before it stores, and forwards from memory: each position
//! once, or with `forward.retry.enable` a few times more (`forward.retry.count`, while fewer
//! than `forward.retry.limit` wait), and nothing survives its restart; events are not retried.
//! So a position can be lost between Traccar and sargs, and the same position can arrive twice
//! (retried after an answer was lost, or forwarded and then backfilled): each position has its
//! [`PositionKey`], on which the writer deduplicates.
//!
//! Field names and units are those of Traccar's model (`org.traccar.model.Position`, `Event`,
//! `Device`) as its Jackson mapper writes them: times in ISO 8601, speed in knots. A
//! position's attributes come from whichever protocol decoder made it, with units that vary
//! by protocol, so one that does not read is unknown; the fields Traccar itself writes are
//! read strictly.

use bytes::Bytes;
use firmware_proto::{Coord, LocationSource};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::fields::{iso8601_ms, knots_to_kmh, known, name, rfc3339};
use crate::{ForeignFix, ForeignReport};

/// The longest forwarded body taken: one position with its device, or one event, is a few KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// The longest page of the REST API taken. A position is about 500 bytes, so a page holds a
/// couple of thousand; the backfill asks for periods short enough, and halves one whose page
/// is longer.
pub const MAX_PAGE: usize = 1024 * 1024;

/// What makes a Traccar position the same one again, forwarded twice or forwarded and then
/// backfilled: the device's uniqueId, the fix time and the place (to the 1e-7 degree sargs
/// stores). Traccar's own position id is no key: a backfill from another server, or after a
/// restore, numbers them anew.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PositionKey {
    /// The device's `uniqueId`.
    pub unique_id: String,
    /// `fixTime`, ms since the epoch.
    pub fix_time_ms: i64,
    /// `latitude`.
    pub lat: Coord,
    /// `longitude`.
    pub lon: Coord,
}

/// A position Traccar sent.
#[derive(Clone, Debug, PartialEq)]
pub struct TraccarPosition {
    /// The key it is deduplicated on.
    pub key: PositionKey,
    /// What was measured, at `fixTime`; no fix when Traccar marks the position not valid.
    /// Its record is the position's JSON as Traccar wrote it.
    pub report: ForeignReport,
    /// The alarm the device raised with it (`attributes.alarm`: `sos`, `tampering`, `removing`...).
    pub alarm: Option<String>,
}

/// An event Traccar forwarded.
#[derive(Clone, Debug, PartialEq)]
pub struct TraccarEvent {
    /// The device's `uniqueId`.
    pub unique_id: String,
    /// Its `type` (`alarm`, `deviceOffline`, `geofenceEnter`...).
    pub kind: String,
    /// `eventTime`, ms since the epoch.
    pub time_ms: i64,
    /// For an `alarm` event, which alarm (`attributes.alarm`).
    pub alarm: Option<String>,
    /// The position it came with, if any (status events have none).
    pub position: Option<TraccarPosition>,
}

/// A page of the REST API: the positions that read, and the place in the page and the reason
/// of each that did not, so that one odd position does not stop a backfill.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// The positions, in Traccar's order (by fix time).
    pub positions: Vec<TraccarPosition>,
    /// The positions refused: their index in the page, and why.
    pub refused: Vec<(usize, TraccarError)>,
}

/// Why Traccar's JSON is not a position, event or page.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraccarError {
    /// Longer than [`MAX_BODY`] or [`MAX_PAGE`].
    #[error("{0} bytes, more than is taken")]
    TooLarge(usize),
    /// Text that is not UTF-8.
    #[error("text that is not UTF-8")]
    Utf8,
    /// Not JSON, or not of the shape Traccar writes.
    #[error("JSON that is not Traccar's (line {line}, column {column})")]
    Json {
        /// Where it stopped being so.
        line: usize,
        /// The column there.
        column: usize,
    },
    /// No device, or a device without its `uniqueId`.
    #[error("no device uniqueId")]
    NoUniqueId,
    /// A `uniqueId` that is empty, too long or not plain text.
    #[error("a uniqueId that is not one")]
    UniqueId,
    /// A position body without its position.
    #[error("no position")]
    NoPosition,
    /// A position or event that names another device than the one it came with.
    #[error("device {said} named where device {expected} was meant")]
    OtherDevice {
        /// The `deviceId` it names.
        said: i64,
        /// The device's `id`.
        expected: i64,
    },
    /// A position without its `fixTime`.
    #[error("no fixTime")]
    NoFixTime,
    /// A time that does not read, or lies before 1970 or after 9999.
    #[error("a time that does not read or is out of range")]
    Time,
    /// No latitude or longitude, or one out of range.
    #[error("no position, or one out of range")]
    Position,
    /// An event body without its event.
    #[error("no event")]
    NoEvent,
    /// An event without its type, or with one that is too long or not plain text.
    #[error("an event type that is not one")]
    EventType,
    /// An event without its time.
    #[error("no eventTime")]
    NoEventTime,
}

impl TraccarError {
    /// Every label, in the order of the variants: what metrics count refusals by.
    pub const LABELS: [&'static str; 13] = [
        "too_large",
        "utf8",
        "json",
        "no_unique_id",
        "unique_id",
        "no_position",
        "other_device",
        "no_fix_time",
        "time",
        "position",
        "no_event",
        "event_type",
        "no_event_time",
    ];

    /// The reason's name as metrics and logs label it.
    pub fn label(&self) -> &'static str {
        Self::LABELS[match self {
            TraccarError::TooLarge(_) => 0,
            TraccarError::Utf8 => 1,
            TraccarError::Json { .. } => 2,
            TraccarError::NoUniqueId => 3,
            TraccarError::UniqueId => 4,
            TraccarError::NoPosition => 5,
            TraccarError::OtherDevice { .. } => 6,
            TraccarError::NoFixTime => 7,
            TraccarError::Time => 8,
            TraccarError::Position => 9,
            TraccarError::NoEvent => 10,
            TraccarError::EventType => 11,
            TraccarError::NoEventTime => 12,
        }]
    }
}

/// A `forward.type=json` body: one position and its device.
pub fn decode_position(body: &[u8]) -> Result<TraccarPosition, TraccarError> {
    #[derive(Deserialize)]
    struct Body<'a> {
        #[serde(borrow)]
        position: Option<&'a RawValue>,
        device: Option<DeviceJson>,
    }
    let body: Body<'_> = json(text(body, MAX_BODY)?)?;
    let (unique_id, device_id) = device(body.device)?;
    let raw = body.position.ok_or(TraccarError::NoPosition)?;
    position(raw, &unique_id, device_id)
}

/// An `event.forward.type=json` body: one event, its device, and its position if it has one.
pub fn decode_event(body: &[u8]) -> Result<TraccarEvent, TraccarError> {
    #[derive(Deserialize)]
    struct Body<'a> {
        event: Option<EventJson>,
        #[serde(borrow)]
        position: Option<&'a RawValue>,
        device: Option<DeviceJson>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct EventJson {
        #[serde(rename = "type")]
        kind: Option<String>,
        event_time: Option<String>,
        /// Where Traccar 4 wrote an event's time.
        server_time: Option<String>,
        device_id: Option<i64>,
        attributes: Option<Attributes>,
    }
    let body: Body<'_> = json(text(body, MAX_BODY)?)?;
    let (unique_id, device_id) = device(body.device)?;
    let event = body.event.ok_or(TraccarError::NoEvent)?;
    same_device(event.device_id, device_id)?;
    let kind = event
        .kind
        .filter(|kind| name(kind).is_some())
        .ok_or(TraccarError::EventType)?;
    let time = event.event_time.or(event.server_time);
    let time_ms = time.ok_or(TraccarError::NoEventTime)?;
    let time_ms = iso8601_ms(&time_ms).ok_or(TraccarError::Time)?;
    let position = body
        .position
        .map(|raw| position(raw, &unique_id, device_id))
        .transpose()?;
    Ok(TraccarEvent {
        unique_id,
        kind,
        time_ms,
        alarm: event
            .attributes
            .and_then(|a| a.alarm.as_ref().and_then(alarm)),
        position,
    })
}

/// A page of `GET /api/positions?deviceId=&from=&to=` for the device whose Traccar `id` is
/// `device_id` and whose `uniqueId` is `unique_id` (the API's positions name only the id).
pub fn decode_page(body: &[u8], unique_id: &str, device_id: i64) -> Result<Page, TraccarError> {
    let unique_id = name(unique_id).ok_or(TraccarError::UniqueId)?;
    let raws: Vec<&RawValue> = json(text(body, MAX_PAGE)?)?;
    let mut page = Page {
        positions: Vec::with_capacity(raws.len()),
        refused: Vec::new(),
    };
    for (index, raw) in raws.into_iter().enumerate() {
        match position(raw, unique_id, Some(device_id)) {
            Ok(position) => page.positions.push(position),
            Err(error) => page.refused.push((index, error)),
        }
    }
    Ok(page)
}

/// The query of the REST API's page of one device's positions with fix times from `from_ms`
/// to `to_ms`, both included (Traccar's `BETWEEN`): what the backfill asks for.
pub fn page_query(device_id: i64, from_ms: i64, to_ms: i64) -> Result<String, TraccarError> {
    if from_ms > to_ms {
        return Err(TraccarError::Time);
    }
    let from = rfc3339(from_ms).ok_or(TraccarError::Time)?;
    let to = rfc3339(to_ms).ok_or(TraccarError::Time)?;
    Ok(format!("deviceId={device_id}&from={from}&to={to}"))
}

/// The text of a body no longer than `limit`.
fn text(body: &[u8], limit: usize) -> Result<&str, TraccarError> {
    if body.len() > limit {
        return Err(TraccarError::TooLarge(body.len()));
    }
    std::str::from_utf8(body).map_err(|_| TraccarError::Utf8)
}

fn json<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, TraccarError> {
    serde_json::from_str(text).map_err(|e| TraccarError::Json {
        line: e.line(),
        column: e.column(),
    })
}

/// `org.traccar.model.Device`, the fields read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceJson {
    id: Option<i64>,
    unique_id: Option<String>,
}

/// The device's `uniqueId` and Traccar `id`.
fn device(device: Option<DeviceJson>) -> Result<(String, Option<i64>), TraccarError> {
    let device = device.ok_or(TraccarError::NoUniqueId)?;
    let unique_id = device.unique_id.ok_or(TraccarError::NoUniqueId)?;
    name(&unique_id).ok_or(TraccarError::UniqueId)?;
    Ok((unique_id, device.id))
}

fn same_device(said: Option<i64>, expected: Option<i64>) -> Result<(), TraccarError> {
    match (said, expected) {
        (Some(said), Some(expected)) if said != expected => {
            Err(TraccarError::OtherDevice { said, expected })
        }
        _ => Ok(()),
    }
}

/// `org.traccar.model.Position`, the fields read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PositionJson {
    device_id: Option<i64>,
    fix_time: Option<String>,
    valid: Option<bool>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    /// Knots.
    speed: Option<f64>,
    course: Option<f64>,
    /// Metres; 0 when the device did not say (Traccar's default).
    accuracy: Option<f64>,
    attributes: Option<Attributes>,
}

/// The attributes read, of a position or an event.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Attributes {
    /// Per cent.
    battery_level: Option<Value>,
    charge: Option<Value>,
    motion: Option<Value>,
    /// Satellites in use.
    sat: Option<Value>,
    alarm: Option<Value>,
}

fn position(
    raw: &RawValue,
    unique_id: &str,
    device_id: Option<i64>,
) -> Result<TraccarPosition, TraccarError> {
    let json: PositionJson = json(raw.get())?;
    same_device(json.device_id, device_id)?;
    let fix_time = json.fix_time.ok_or(TraccarError::NoFixTime)?;
    let fix_time_ms = iso8601_ms(&fix_time).ok_or(TraccarError::Time)?;
    let (Some(lat), Some(lon)) = (json.latitude, json.longitude) else {
        return Err(TraccarError::Position);
    };
    if !(lat.abs() <= 90.0 && lon.abs() <= 180.0) {
        return Err(TraccarError::Position);
    }
    let attributes = json.attributes;
    let attribute = |pick: fn(&Attributes) -> &Option<Value>| {
        attributes.as_ref().and_then(|a| pick(a).as_ref())
    };
    let satellites = attribute(|a| &a.sat)
        .and_then(Value::as_u64)
        .map_or(0, |sat| u8::try_from(sat).unwrap_or(u8::MAX));
    // Traccar writes `valid` always; one that does not say it is valid is no position.
    let fix = (json.valid == Some(true)).then_some(ForeignFix {
        lat,
        lon,
        accuracy_m: json.accuracy.filter(|a| *a > 0.0 && a.is_finite()),
        // Traccar does not say how a device found itself.
        source: LocationSource::Gnss,
        satellites,
        speed_kmh: known(json.speed).map(knots_to_kmh),
        heading_deg: known(json.course),
    });
    let battery_percent = attribute(|a| &a.battery_level)
        .and_then(Value::as_f64)
        .filter(|p| (0.0..=100.0).contains(p))
        .map(|p| p.round() as u8);
    Ok(TraccarPosition {
        key: PositionKey {
            unique_id: unique_id.to_string(),
            fix_time_ms,
            lat: Coord::from_degrees(lat),
            lon: Coord::from_degrees(lon),
        },
        report: ForeignReport {
            time_ms: fix_time_ms,
            fix,
            battery_percent,
            battery_mv: None,
            external_power: attribute(|a| &a.charge).and_then(Value::as_bool),
            moving: attribute(|a| &a.motion).and_then(Value::as_bool),
            record: Bytes::copy_from_slice(raw.get().as_bytes()),
        },
        alarm: attribute(|a| &a.alarm).and_then(alarm),
    })
}

/// An alarm as Traccar writes it: a word, or several joined by commas.
fn alarm(value: &Value) -> Option<String> {
    value.as_str().and_then(name).map(str::to_string)
}

#[cfg(test)]
mod tests;
