//! OsmAnd's HTTP protocol, the wire format alone (issue 19's second adapter): how Traccar
//! Client on a phone, and many trackers, send a position as an HTTP request. This is how a
//! victim's phone becomes the victim's device. No I/O: the HTTP listener hands the request
//! over as plain data and answers 200 only once what it gave is committed.
//!
//! A request is a GET or POST whose query string, form body, or both, carry `id`, `timestamp`,
//! `lat`, `lon` and the rest, or a POST of Traccar Client's JSON (`{"location": {"timestamp",
//! "coords": {...}, "battery": {...}}, "device_id"}`, the client of 2025 built on a
//! background-geolocation library). A query already in the server URL configured on the phone
//! is kept by Traccar Client (the Android app appends its parameters to it, the current SDK
//! posts its form to it, the 2025 client posts its JSON to it): that is how a per-device
//! `token` rides along. The old iOS app replaces the URL's query, so it cannot carry one.
//! Traccar's own decoder (`OsmAndProtocolDecoder`) is the reference for what the parameters
//! mean; where it fills a gap (no time: its clock; no position: the last one) this refuses,
//! because a time or place made up here would be evidence of nothing.

mod params;

use bytes::Bytes;
use firmware_proto::LocationSource;
use serde::Deserialize;

use crate::fields::{in_range, iso8601_ms, knots_to_kmh, known, name, utc_date_time_ms};
use crate::{ForeignFix, ForeignReport};
use params::{Fields, TOKEN};

pub use params::MAX_PARAMETERS;

/// The longest body taken: Traccar Client's JSON is under 1 KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// The longest query string taken, in bytes: what common HTTP servers take in a request line.
pub const MAX_QUERY: usize = 8 * 1024;

/// The longest token taken, in characters.
pub const MAX_TOKEN_CHARS: usize = 128;

/// A request as the HTTP listener received it.
#[derive(Clone, Copy, Debug)]
pub struct OsmAndRequest<'a> {
    /// The method: `GET` or `POST`.
    pub method: &'a str,
    /// The query string after `?`, still percent-encoded (empty when there is none).
    pub query: &'a str,
    /// The `Content-Type` header's value, if sent.
    pub content_type: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
    /// The `Authorization` header's value, if sent.
    pub authorization: Option<&'a str>,
}

/// What a request says: whose it is, its token, and the report.
#[derive(Clone, Debug, PartialEq)]
pub struct OsmAndPosition {
    /// The device's id as sent (`id`, `deviceid` or the JSON's `device_id`).
    pub device: String,
    /// The shared secret it came with (query or form `token`, or `Authorization: Bearer`);
    /// the listener refuses a request whose token is not the device's.
    pub token: Option<String>,
    /// An alarm raised on the device (Traccar Client's SOS sends `sos`).
    pub alarm: Option<String>,
    /// The phone said its location is simulated (a mock location app): it is no position.
    pub mocked: bool,
    /// What was measured; its record is the query, content type and body as received, less
    /// any token, one per line.
    pub report: ForeignReport,
}

/// Why a request is not an OsmAnd position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OsmAndError {
    /// A method other than GET or POST.
    #[error("only GET and POST carry a position")]
    Method,
    /// The query string is longer than [`MAX_QUERY`].
    #[error("a query of {0} bytes")]
    QueryTooLong(usize),
    /// The body is longer than [`MAX_BODY`].
    #[error("a body of {0} bytes")]
    BodyTooLarge(usize),
    /// More than [`MAX_PARAMETERS`] parameters.
    #[error("more than {MAX_PARAMETERS} parameters")]
    TooManyParameters,
    /// A broken percent escape, or a control character.
    #[error("a parameter is not percent-encoded text")]
    Encoding,
    /// Text that is not UTF-8.
    #[error("text that is not UTF-8")]
    Utf8,
    /// A body that is neither a form nor JSON, or a content type that is not one line.
    #[error("a body that is neither a form nor JSON")]
    ContentType,
    /// A JSON body that is not Traccar Client's.
    #[error("JSON that is not Traccar Client's (line {line}, column {column})")]
    Json {
        /// Where it stopped being so.
        line: usize,
        /// The column there.
        column: usize,
    },
    /// An `Authorization` header that is not `Bearer` and a token.
    #[error("an Authorization header that is not a bearer token")]
    Authorization,
    /// A token that is empty, longer than [`MAX_TOKEN_CHARS`] or not printable ASCII.
    #[error("a token that is not one")]
    Token,
    /// No device id.
    #[error("no device id")]
    NoId,
    /// A device id that is empty, too long or not plain text.
    #[error("a device id that is not one")]
    Id,
    /// No time.
    #[error("no time")]
    NoTime,
    /// A time that does not read, or lies before 1970 or after 9999.
    #[error("a time that does not read or is out of range")]
    Time,
    /// No position, and none said to be missing (`valid=false`).
    #[error("no position")]
    NoPosition,
    /// Latitude or longitude out of range.
    #[error("a position out of range")]
    Position,
    /// A parameter that does not read as what it is (a number, true or false, ...).
    #[error("{0} does not read")]
    Value(&'static str),
    /// A parameter given twice, or under two names, with different values.
    #[error("{0} given twice, differently")]
    Conflict(&'static str),
}

impl OsmAndError {
    /// Every label, in the order of the variants: what metrics count refusals by.
    pub const LABELS: [&'static str; 18] = [
        "method",
        "query_too_long",
        "body_too_large",
        "too_many_parameters",
        "encoding",
        "utf8",
        "content_type",
        "json",
        "authorization",
        "token",
        "no_id",
        "id",
        "no_time",
        "time",
        "no_position",
        "position",
        "value",
        "conflict",
    ];

    /// The reason's name as metrics and logs label it.
    pub fn label(&self) -> &'static str {
        Self::LABELS[match self {
            OsmAndError::Method => 0,
            OsmAndError::QueryTooLong(_) => 1,
            OsmAndError::BodyTooLarge(_) => 2,
            OsmAndError::TooManyParameters => 3,
            OsmAndError::Encoding => 4,
            OsmAndError::Utf8 => 5,
            OsmAndError::ContentType => 6,
            OsmAndError::Json { .. } => 7,
            OsmAndError::Authorization => 8,
            OsmAndError::Token => 9,
            OsmAndError::NoId => 10,
            OsmAndError::Id => 11,
            OsmAndError::NoTime => 12,
            OsmAndError::Time => 13,
            OsmAndError::NoPosition => 14,
            OsmAndError::Position => 15,
            OsmAndError::Value(_) => 16,
            OsmAndError::Conflict(_) => 17,
        }]
    }
}

/// The report and identity a request carries.
pub fn decode(request: &OsmAndRequest<'_>) -> Result<OsmAndPosition, OsmAndError> {
    if !matches!(request.method, "GET" | "POST") {
        return Err(OsmAndError::Method);
    }
    if request.query.len() > MAX_QUERY {
        return Err(OsmAndError::QueryTooLong(request.query.len()));
    }
    if request.body.len() > MAX_BODY {
        return Err(OsmAndError::BodyTooLarge(request.body.len()));
    }
    let content_type = request.content_type.unwrap_or("");
    if content_type.chars().any(char::is_control) {
        return Err(OsmAndError::ContentType);
    }
    let header_token = request.authorization.map(bearer).transpose()?;
    let body = std::str::from_utf8(request.body).map_err(|_| OsmAndError::Utf8)?;
    let query = params::pairs(request.query)?;
    let mut record = params::without_token(&query);
    let mut fields = Fields::default();
    let mut said = if is_json(content_type) {
        fields.take(query)?;
        record = [record.as_str(), content_type, body].join("\n");
        let mut said = json(request.body)?;
        // The query is read beside JSON only for the token, and for an id that must agree.
        if let Some(id) = fields.get("id")
            && said.id.as_deref().is_some_and(|json_id| json_id != id)
        {
            return Err(OsmAndError::Conflict("id"));
        }
        said.token = fields.get(TOKEN).map(str::to_string);
        said
    } else {
        let form = if body.is_empty() {
            Vec::new()
        } else if is_form(content_type) {
            params::pairs(body)?
        } else {
            return Err(OsmAndError::ContentType);
        };
        if query.len() + form.len() > MAX_PARAMETERS {
            return Err(OsmAndError::TooManyParameters);
        }
        if !form.is_empty() {
            record = [record.as_str(), content_type, &params::without_token(&form)].join("\n");
        }
        fields.take(query)?;
        fields.take(form)?;
        Said::of(&fields)?
    };
    said.token = match (said.token.take().map(token).transpose()?, header_token) {
        (Some(a), Some(b)) if a != b => return Err(OsmAndError::Conflict(TOKEN)),
        (a, b) => a.or(b),
    };
    said.finish(Bytes::from(record))
}

/// A request again from its record ([`ForeignReport::record`]), as stored evidence is read:
/// the same device and report, without the token it no longer holds.
pub fn decode_record(record: &[u8]) -> Result<OsmAndPosition, OsmAndError> {
    let text = std::str::from_utf8(record).map_err(|_| OsmAndError::Utf8)?;
    let mut lines = text.splitn(3, '\n');
    let query = lines.next().unwrap_or("");
    let content_type = lines.next();
    let body = lines.next().unwrap_or("");
    decode(&OsmAndRequest {
        method: "POST",
        query,
        content_type,
        body: body.as_bytes(),
        authorization: None,
    })
}

fn is_json(content_type: &str) -> bool {
    media_type(content_type) == "application/json"
}

/// A form body is taken under its own type or under none; a body of another type is no form
/// (Traccar reads any body as one, and a mistyped client would be read by guesswork).
fn is_form(content_type: &str) -> bool {
    matches!(
        media_type(content_type).as_str(),
        "" | "application/x-www-form-urlencoded"
    )
}

/// The media type without its parameters (`; charset=utf-8`), in lower case.
fn media_type(content_type: &str) -> String {
    let media = content_type.split(';').next().unwrap_or("");
    media.trim().to_ascii_lowercase()
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(header: &str) -> Result<String, OsmAndError> {
    match header.trim().split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => token(rest.trim().into()),
        _ => Err(OsmAndError::Authorization),
    }
}

fn token(text: String) -> Result<String, OsmAndError> {
    let fits =
        (1..=MAX_TOKEN_CHARS).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
    if fits {
        Ok(text)
    } else {
        Err(OsmAndError::Token)
    }
}

/// What a request says, each part read but not yet checked against the others.
#[derive(Default)]
struct Said {
    id: Option<String>,
    token: Option<String>,
    time_ms: Option<i64>,
    lat: Option<f64>,
    lon: Option<f64>,
    accuracy_m: Option<f64>,
    speed_kmh: Option<f64>,
    heading_deg: Option<f64>,
    battery_percent: Option<u8>,
    charging: Option<bool>,
    moving: Option<bool>,
    valid: Option<bool>,
    mocked: Option<bool>,
    alarm: Option<String>,
}

impl Said {
    /// From query or form parameters.
    fn of(fields: &Fields) -> Result<Said, OsmAndError> {
        let read = |name| fields.get(name).map(|v| number(name, v)).transpose();
        let read_flag = |name| fields.get(name).map(|v| flag(name, v)).transpose();
        let (mut lat, mut lon) = (read("lat")?, read("lon")?);
        if let Some(location) = fields.get("location") {
            let (a, b) = location
                .split_once(',')
                .ok_or(OsmAndError::Value("location"))?;
            let (a, b) = (number("location", a)?, number("location", b)?);
            if lat.is_some_and(|lat| lat != a) || lon.is_some_and(|lon| lon != b) {
                return Err(OsmAndError::Conflict("location"));
            }
            (lat, lon) = (Some(a), Some(b));
        }
        // Read only to refuse a request that garbles them: sargs' LOCATION holds neither.
        read("altitude")?;
        read("hdop")?;
        let battery_percent = read("batt")?
            .map(|p| {
                (0.0..=100.0)
                    .contains(&p)
                    .then(|| p.round() as u8)
                    .ok_or(OsmAndError::Value("batt"))
            })
            .transpose()?;
        Ok(Said {
            id: fields.get("id").map(str::to_string),
            token: fields.get(TOKEN).map(str::to_string),
            time_ms: fields.get("timestamp").map(time).transpose()?,
            lat,
            lon,
            accuracy_m: known(read("accuracy")?),
            // In knots, as Traccar Client sends it and Traccar reads it.
            speed_kmh: known(read("speed")?).map(knots_to_kmh),
            heading_deg: known(read("bearing")?),
            battery_percent,
            charging: read_flag("charge")?,
            moving: read_flag("motion")?,
            valid: read_flag("valid")?,
            mocked: read_flag("mock")?,
            alarm: fields.get("alarm").map(alarm).transpose()?,
        })
    }

    /// The position, once the parts are checked against each other.
    fn finish(self, record: Bytes) -> Result<OsmAndPosition, OsmAndError> {
        let device = self.id.ok_or(OsmAndError::NoId)?;
        name(&device).ok_or(OsmAndError::Id)?;
        let time_ms = self.time_ms.ok_or(OsmAndError::NoTime)?;
        let mocked = self.mocked == Some(true);
        // A fix the device says it has not (or made up) is no position; its battery counts.
        let no_fix = self.valid == Some(false) || mocked;
        let fix = match (self.lat, self.lon) {
            (None, None) if no_fix => None,
            (Some(lat), Some(lon)) => {
                if !(lat.abs() <= 90.0 && lon.abs() <= 180.0) {
                    return Err(OsmAndError::Position);
                }
                (!no_fix).then_some(ForeignFix {
                    lat,
                    lon,
                    accuracy_m: self.accuracy_m,
                    // OsmAnd does not say how a phone found itself; its accuracy tells how well.
                    source: LocationSource::Gnss,
                    satellites: 0,
                    speed_kmh: self.speed_kmh,
                    heading_deg: self.heading_deg,
                })
            }
            _ => return Err(OsmAndError::NoPosition),
        };
        Ok(OsmAndPosition {
            device,
            token: self.token,
            alarm: self.alarm,
            mocked,
            report: ForeignReport {
                time_ms,
                fix,
                battery_percent: self.battery_percent,
                battery_mv: None,
                external_power: self.charging,
                moving: self.moving,
                record,
            },
        })
    }
}

/// A finite number.
fn number(name: &'static str, text: &str) -> Result<f64, OsmAndError> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or(OsmAndError::Value(name))
}

/// `true` or `1`, `false` or `0` (Traccar takes `1` for `valid`, and any case).
fn flag(name: &'static str, text: &str) -> Result<bool, OsmAndError> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(OsmAndError::Value(name)),
    }
}

fn alarm(text: &str) -> Result<String, OsmAndError> {
    name(text)
        .map(str::to_string)
        .ok_or(OsmAndError::Value("alarm"))
}

/// OsmAnd's `timestamp`: seconds or, from 2^31 up, milliseconds since the epoch (Traccar's
/// rule); ISO 8601 with its offset; or `yyyy-MM-dd HH:mm:ss` in UTC.
fn time(text: &str) -> Result<i64, OsmAndError> {
    let ms = match text.parse::<i64>() {
        Ok(seconds) if seconds < i64::from(i32::MAX) => seconds.checked_mul(1000),
        Ok(ms) => Some(ms),
        Err(_) if text.contains('T') => iso8601_ms(text),
        Err(_) => utc_date_time_ms(text),
    };
    ms.and_then(in_range).ok_or(OsmAndError::Time)
}

/// Traccar Client's JSON body.
#[derive(Deserialize)]
struct JsonRequest {
    location: Option<JsonLocation>,
    device_id: Option<String>,
}

#[derive(Deserialize)]
struct JsonLocation {
    timestamp: Option<String>,
    coords: Option<JsonCoords>,
    is_moving: Option<bool>,
    battery: Option<JsonBattery>,
    mock: Option<bool>,
    alarm: Option<String>,
}

#[derive(Deserialize)]
struct JsonCoords {
    latitude: Option<f64>,
    longitude: Option<f64>,
    accuracy: Option<f64>,
    /// In m/s, -1 when not known.
    speed: Option<f64>,
    /// -1 when not known.
    heading: Option<f64>,
}

#[derive(Deserialize)]
struct JsonBattery {
    /// 0 to 1, -1 when not known.
    level: Option<f64>,
    is_charging: Option<bool>,
}

/// What Traccar Client's JSON says (the `extras`, `activity` and the rest are kept in the
/// record and not read).
fn json(body: &[u8]) -> Result<Said, OsmAndError> {
    let request: JsonRequest = serde_json::from_slice(body).map_err(|e| OsmAndError::Json {
        line: e.line(),
        column: e.column(),
    })?;
    let Some(location) = request.location else {
        return Err(OsmAndError::NoTime);
    };
    let time_ms = location
        .timestamp
        .map(|t| iso8601_ms(&t).ok_or(OsmAndError::Time))
        .transpose()?;
    let battery = location.battery;
    let battery_percent = battery
        .as_ref()
        .and_then(|b| b.level)
        .filter(|level| *level >= 0.0)
        .map(|level| {
            (level <= 1.0)
                .then(|| (level * 100.0).round() as u8)
                .ok_or(OsmAndError::Value("battery.level"))
        })
        .transpose()?;
    let coords = location.coords;
    Ok(Said {
        id: request.device_id,
        time_ms,
        lat: coords.as_ref().and_then(|c| c.latitude),
        lon: coords.as_ref().and_then(|c| c.longitude),
        accuracy_m: known(coords.as_ref().and_then(|c| c.accuracy)),
        speed_kmh: known(coords.as_ref().and_then(|c| c.speed)).map(|mps| mps * 3.6),
        heading_deg: known(coords.as_ref().and_then(|c| c.heading)),
        battery_percent,
        charging: battery.and_then(|b| b.is_charging),
        moving: location.is_moving,
        mocked: location.mock,
        alarm: location.alarm.as_deref().map(alarm).transpose()?,
        ..Said::default()
    })
}

#[cfg(test)]
mod tests;
