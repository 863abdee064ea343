//! What the text protocols (OsmAnd from phones, Traccar's JSON) write alike: times in ISO 8601,
//! names (device identities, alarms, event types), and measurements that use a negative number
//! for "not known". One reading of each, so that a phone and a Traccar server are held to the
//! same rules.

use chrono::{DateTime, NaiveDateTime, SecondsFormat};

/// The longest name taken, in characters: a device identity (an OsmAnd id, a Traccar
/// uniqueId: an IMEI is 15 digits, Traccar Client makes up 8; this leaves room for names an
/// agency chooses), an alarm (`sos`) or an event type (`geofenceEnter`). It keeps what is
/// looked up and logged small.
pub const MAX_NAME_CHARS: usize = 64;

/// The latest time taken: the end of year 9999, past which ISO 8601 needs more digits and a
/// device's clock is wrong in any case.
pub(crate) const MAX_TIME_MS: i64 = 253_402_300_799_999;

/// The longest time text read; the longest ISO 8601 form with nanoseconds and an offset is 35.
const MAX_TIME_CHARS: usize = 40;

/// `ms` when it lies between 1970 and [`MAX_TIME_MS`].
pub(crate) fn in_range(ms: i64) -> Option<i64> {
    (0..=MAX_TIME_MS).contains(&ms).then_some(ms)
}

/// An ISO 8601 time with its offset, as ms since the epoch: RFC 3339 (`Z` or `+02:00`, as
/// phones send) or the `+0000` that Traccar's JSON wrote before Jackson 2.11. A time without
/// an offset is refused, as Traccar refuses it: its zone would be a guess.
pub(crate) fn iso8601_ms(text: &str) -> Option<i64> {
    if text.len() > MAX_TIME_CHARS {
        return None;
    }
    let time = DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()?;
    in_range(time.timestamp_millis())
}

/// OsmAnd's `yyyy-MM-dd HH:mm:ss`, read as UTC (Traccar reads it in its server's zone, which
/// a phone cannot know; UTC is what the devices that send it mean).
pub(crate) fn utc_date_time_ms(text: &str) -> Option<i64> {
    if text.len() > MAX_TIME_CHARS {
        return None;
    }
    let time = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    in_range(time.and_utc().timestamp_millis())
}

/// `ms` in RFC 3339 with milliseconds and `Z`, as Traccar's REST API takes its `from` and `to`.
pub(crate) fn rfc3339(ms: i64) -> Option<String> {
    let time = DateTime::from_timestamp_millis(in_range(ms)?)?;
    Some(time.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// A name as given, if it is one: not empty, at most [`MAX_NAME_CHARS`], no control
/// characters and no blanks around it (which would make two registrations of one device look
/// different).
pub fn name(text: &str) -> Option<&str> {
    let fits = !text.is_empty()
        && text.chars().count() <= MAX_NAME_CHARS
        && !text.chars().any(char::is_control)
        && text.trim() == text;
    fits.then_some(text)
}

/// A speed, heading or accuracy where known: phones and Traccar write a negative number
/// (`-1`) for "not known"; it stays unknown rather than becoming a wrong number.
pub(crate) fn known(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite() && *v >= 0.0)
}

/// Knots, the unit of Traccar and of OsmAnd's query `speed`, to km/h.
pub(crate) fn knots_to_kmh(knots: f64) -> f64 {
    knots * 1.852
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_iso_forms_devices_and_traccar_write_are_read() {
        // 2025-06-15T13:45:12.862Z, Traccar Client's JSON (Traccar's OsmAnd decoder test).
        let phone = 1_749_995_112_862;
        assert_eq!(iso8601_ms("2025-06-15T13:45:12.862Z"), Some(phone));
        assert_eq!(iso8601_ms("2025-06-15T15:45:12.862+02:00"), Some(phone));
        assert_eq!(iso8601_ms("2025-06-15T13:45:12.862+0000"), Some(phone));
        assert_eq!(iso8601_ms("2016-01-27T18:55:47Z"), Some(1_453_920_947_000));
        assert_eq!(
            iso8601_ms("2018-09-14T15:34:17.000+0000"),
            Some(1_536_939_257_000)
        );
        for refused in [
            "2025-06-15T13:45:12.862",
            "2025-06-15",
            "yesterday",
            "",
            "1969-12-31T23:59:59Z",
            "2025-13-15T13:45:12Z",
            "2025-06-15T13:45:12.8620000000000000000000000000000000000000Z",
        ] {
            assert_eq!(iso8601_ms(refused), None, "{refused}");
        }
    }

    #[test]
    fn the_plain_form_is_utc() {
        assert_eq!(
            utc_date_time_ms("2014-06-04 09:10:11"),
            Some(1_401_873_011_000)
        );
        assert_eq!(utc_date_time_ms("2014-06-04T09:10:11"), None);
        assert_eq!(utc_date_time_ms("2014-06-04 25:10:11"), None);
    }

    #[test]
    fn a_time_written_reads_back() {
        for ms in [0, 1_749_995_112_862, MAX_TIME_MS] {
            let text = rfc3339(ms).expect("in range");
            assert_eq!(iso8601_ms(&text), Some(ms), "{text}");
        }
        assert_eq!(rfc3339(-1), None);
        assert_eq!(rfc3339(MAX_TIME_MS + 1), None);
        assert_eq!(
            rfc3339(1_401_873_011_000).as_deref(),
            Some("2014-06-04T09:10:11.000Z")
        );
    }

    #[test]
    fn names_are_bounded_and_plain() {
        assert_eq!(name("356307042441013"), Some("356307042441013"));
        assert_eq!(name(&"ā".repeat(64)).map(str::len), Some(128));
        for refused in ["", " 123", "123 ", "12\n3", "\u{0}", &"1".repeat(65)] {
            assert_eq!(name(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn negative_measurements_are_unknown() {
        assert_eq!(known(Some(-1.0)), None);
        assert_eq!(known(Some(f64::NAN)), None);
        assert_eq!(known(None), None);
        assert_eq!(known(Some(0.0)), Some(0.0));
        assert!((knots_to_kmh(10.0) - 18.52).abs() < 1e-9);
    }
}
