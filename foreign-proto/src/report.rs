//! Reports from devices that do not speak sargs' protocol (Teltonika trackers, phones over
//! OsmAnd, positions forwarded by Traccar), in the one form every adapter gives, and their
//! transcription into the messages of our own protocol.
//!
//! Everything after ingest (the judge, alerts, reports, export) reads stored observations as
//! sargs frames. So each adapter's report is written down as the frames a tag would have sent
//! for it: a LOCATION for a position, a HEARTBEAT for a battery reading. The writer numbers
//! them (a device of another protocol has no sequence of ours) and stores the report's bytes as
//! the device sent them beside the transcription, for evidence. Pure: no I/O, no clock.

use bytes::Bytes;
use firmware_proto::{
    CLOCK_SKEW_LIMIT_MS, Coord, Flags, Heartbeat, HeartbeatStatus, Location, LocationSource,
    Message,
};

/// A position as another protocol gives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForeignFix {
    /// Latitude in degrees, within ±90.
    pub lat: f64,
    /// Longitude in degrees, within ±180.
    pub lon: f64,
    /// Radius in metres the position is good to, where the device says.
    pub accuracy_m: Option<f64>,
    /// How it was found.
    pub source: LocationSource,
    /// Satellites in use (0 where not said).
    pub satellites: u8,
    /// Speed in km/h, where said.
    pub speed_kmh: Option<f64>,
    /// Heading in degrees from north, where said.
    pub heading_deg: Option<f64>,
}

/// One report of a device of another protocol: what it measured at one time.
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignReport {
    /// When the device took it, by its clock: ms since the epoch, UTC.
    pub time_ms: i64,
    /// Where it was, if it knew.
    pub fix: Option<ForeignFix>,
    /// Battery charge in %, where said.
    pub battery_percent: Option<u8>,
    /// Battery voltage in mV, where said.
    pub battery_mv: Option<u16>,
    /// Whether it runs on external power (charging), where said.
    pub external_power: Option<bool>,
    /// Whether it moves, where said.
    pub moving: Option<bool>,
    /// The report as the device sent it: what evidence shows of it.
    pub record: Bytes,
}

/// Why a report cannot be written down as sargs frames.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ForeignError {
    /// A time before 1970 or past what the frame holds.
    #[error("a report time out of range")]
    Time,
    /// Latitude or longitude out of range, or not a number.
    #[error("a position out of range")]
    Position,
}

/// The messages a report is written down as, in order: a HEARTBEAT when the battery is known,
/// then a LOCATION when there is a position. A report with neither gives none, and is
/// acknowledged but stores nothing (a tracker's bare keep-alive).
///
/// A HEARTBEAT's strap, case and skin bits are clear: another protocol does not say them, and
/// the device's kind tells the judge that its heartbeats cannot evidence them.
pub fn transcribe(report: &ForeignReport) -> Result<Vec<Message>, ForeignError> {
    u64::try_from(report.time_ms).map_err(|_| ForeignError::Time)?;
    let mut messages = Vec::with_capacity(2);
    if let Some(battery_percent) = report.battery_percent {
        let mut status = 0;
        for (known, bit) in [
            (report.external_power, HeartbeatStatus::CHARGING),
            (report.moving, HeartbeatStatus::MOTION),
            (report.fix.map(|_| true), HeartbeatStatus::GNSS_FIX),
        ] {
            if known == Some(true) {
                status |= bit;
            }
        }
        messages.push(Message::Heartbeat(Heartbeat {
            battery_percent: battery_percent.min(100),
            battery_mv: report.battery_mv.unwrap_or(0),
            status: HeartbeatStatus(status),
            rssi_dbm: 0,
            temperature_c: 0,
        }));
    }
    if let Some(fix) = report.fix {
        messages.push(Message::Location(location(&fix)?));
    }
    Ok(messages)
}

fn location(fix: &ForeignFix) -> Result<Location, ForeignError> {
    let in_range = |v: f64, limit: f64| v.is_finite() && v.abs() <= limit;
    if !in_range(fix.lat, 90.0) || !in_range(fix.lon, 180.0) {
        return Err(ForeignError::Position);
    }
    // Unknown or absurd values are unknown, never a wrong number.
    let accuracy_m = fix
        .accuracy_m
        .filter(|a| a.is_finite() && *a >= 0.0)
        .map(|a| a.ceil().min(f64::from(u16::MAX - 1)) as u16);
    let speed_cm_s = fix
        .speed_kmh
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(0, |s| {
            (s * 100_000.0 / 3_600.0).round().min(f64::from(u16::MAX)) as u16
        });
    let heading_deg = fix
        .heading_deg
        .filter(|h| h.is_finite() && *h >= 0.0)
        .map(|h| (h.round() as u32 % 360) as u16);
    Ok(Location {
        lat: Coord::from_degrees(fix.lat),
        lon: Coord::from_degrees(fix.lon),
        accuracy_m,
        source: fix.source,
        satellites: fix.satellites,
        speed_cm_s,
        heading_deg,
    })
}

/// The flags a transcribed frame carries: STORED when the report is older than the clock-skew
/// limit when received. Another protocol says nothing of whether a report was held through a
/// coverage gap; an old report was, and must not mark the device's clock as skewed.
pub fn flags(report_time_ms: i64, received_at_ms: i64) -> Flags {
    if received_at_ms.saturating_sub(report_time_ms) > CLOCK_SKEW_LIMIT_MS {
        Flags::STORED
    } else {
        Flags::empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> ForeignReport {
        ForeignReport {
            time_ms: 1_800_000_000_000,
            fix: Some(ForeignFix {
                lat: 56.9470,
                lon: 24.1150,
                accuracy_m: Some(7.2),
                source: LocationSource::Gnss,
                satellites: 9,
                speed_kmh: Some(36.0),
                heading_deg: Some(359.6),
            }),
            battery_percent: Some(80),
            battery_mv: Some(4_010),
            external_power: Some(false),
            moving: Some(true),
            record: Bytes::from_static(b"raw"),
        }
    }

    #[test]
    fn a_report_becomes_a_heartbeat_and_a_location() {
        let messages = transcribe(&report()).expect("transcribed");
        let [Message::Heartbeat(hb), Message::Location(fix)] = messages.as_slice() else {
            panic!("{messages:?}");
        };
        assert_eq!((hb.battery_percent, hb.battery_mv), (80, 4_010));
        assert!(hb.status.contains(HeartbeatStatus::MOTION));
        assert!(hb.status.contains(HeartbeatStatus::GNSS_FIX));
        assert!(!hb.status.contains(HeartbeatStatus::CHARGING));
        assert_eq!((fix.lat, fix.lon), (Coord(569_470_000), Coord(241_150_000)));
        assert_eq!(
            fix.accuracy_m,
            Some(8),
            "rounded up, never better than said"
        );
        assert_eq!(fix.speed_cm_s, 1_000, "36 km/h");
        assert_eq!(fix.heading_deg, Some(0), "360 is north");
    }

    #[test]
    fn what_is_not_said_is_not_made_up() {
        let bare = ForeignReport {
            fix: None,
            battery_percent: None,
            ..report()
        };
        assert_eq!(transcribe(&bare), Ok(vec![]));
        let mut vague = report();
        vague.battery_percent = None;
        if let Some(fix) = vague.fix.as_mut() {
            fix.accuracy_m = Some(f64::NAN);
            fix.speed_kmh = Some(-1.0);
            fix.heading_deg = None;
        }
        let messages = transcribe(&vague).expect("transcribed");
        let [Message::Location(fix)] = messages.as_slice() else {
            panic!("{messages:?}");
        };
        assert_eq!(
            (fix.accuracy_m, fix.speed_cm_s, fix.heading_deg),
            (None, 0, None)
        );
    }

    #[test]
    fn impossible_values_are_refused() {
        for (lat, lon) in [
            (90.1, 0.0),
            (0.0, -180.5),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
        ] {
            let mut bad = report();
            if let Some(fix) = bad.fix.as_mut() {
                (fix.lat, fix.lon) = (lat, lon);
            }
            assert_eq!(transcribe(&bad), Err(ForeignError::Position), "{lat} {lon}");
        }
        let before_1970 = ForeignReport {
            time_ms: -1,
            ..report()
        };
        assert_eq!(transcribe(&before_1970), Err(ForeignError::Time));
    }

    #[test]
    fn old_reports_are_stored_ones() {
        let now = 1_800_000_000_000;
        assert_eq!(flags(now - 60_000, now), Flags::empty());
        assert_eq!(flags(now - CLOCK_SKEW_LIMIT_MS - 1, now), Flags::STORED);
        assert_eq!(
            flags(now + 3_600_000, now),
            Flags::empty(),
            "ahead: skewed, judged so"
        );
    }
}
