//! Instants and lengths of time as the engine counts them.
//!
//! The engine has no clock: every instant comes from an observation (device time, receive time)
//! or from the caller's tick. Instants are milliseconds since the Unix epoch in UTC, which is what
//! the tag protocol carries; in data files they are written as RFC 3339 (`2026-03-29T21:00:00Z`,
//! or with an offset), and lengths as `90s`, `5m`, `2h`, `1h30m` or `7d`.

use std::fmt;
use std::num::NonZeroI64;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

/// A length of time in milliseconds; never negative once validated.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span(pub i64);

impl Timestamp {
    /// The earliest instant the engine judges: a quarter of `i64`'s range, leaving room to add spans.
    pub const MIN: Timestamp = Timestamp(i64::MIN / 4);
    /// The latest instant the engine judges; stands in for "never" where an open end is compared.
    pub const MAX: Timestamp = Timestamp(i64::MAX / 4);

    /// The instant of a chrono UTC time.
    pub fn from_utc(t: DateTime<Utc>) -> Self {
        Timestamp(t.timestamp_millis())
    }

    /// The instant as a chrono UTC time; out-of-range instants clamp to chrono's limits.
    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0).unwrap_or(if self.0 < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        })
    }

    /// The instant `d` later, clamped at the end of `i64` rather than overflowing.
    pub fn saturating_add(self, d: Span) -> Timestamp {
        Timestamp(self.0.saturating_add(d.0))
    }

    /// The instant `d` earlier, clamped at the start of `i64` rather than overflowing.
    pub fn saturating_sub(self, d: Span) -> Timestamp {
        Timestamp(self.0.saturating_sub(d.0))
    }

    /// The span from `earlier` to `self` (negative when `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> Span {
        Span(self.0.saturating_sub(earlier.0))
    }
}

/// An instant as per-client state stores it: 8 bytes with a niche, so that `Option<CompactTime>`,
/// and `Option` of a struct holding one, need no tag word (`Option<Timestamp>` takes 16 bytes).
///
/// The niche is `i64::MIN`, far before [`Timestamp::MIN`], the earliest instant the engine
/// judges; that one value is stored as the next instant.
#[derive(Copy, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Timestamp", into = "Timestamp")]
pub(crate) struct CompactTime(NonZeroI64);

impl From<Timestamp> for CompactTime {
    fn from(t: Timestamp) -> CompactTime {
        CompactTime::new(t)
    }
}

impl From<CompactTime> for Timestamp {
    fn from(t: CompactTime) -> Timestamp {
        t.get()
    }
}

impl CompactTime {
    pub fn new(t: Timestamp) -> CompactTime {
        // Flipping the sign bit maps i64::MIN, and only it, to zero.
        let bits = t.0.max(i64::MIN + 1) ^ i64::MIN;
        CompactTime(NonZeroI64::new(bits).expect("only i64::MIN maps to zero"))
    }

    pub fn get(self) -> Timestamp {
        Timestamp(self.0.get() ^ i64::MIN)
    }
}

impl fmt::Debug for CompactTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.get(), f)
    }
}

impl Span {
    /// No time at all.
    pub const ZERO: Span = Span(0);

    /// A span of `s` seconds.
    pub const fn seconds(s: i64) -> Span {
        Span(s * 1000)
    }

    /// A span of `m` minutes.
    pub const fn minutes(m: i64) -> Span {
        Span(m * 60_000)
    }

    /// A span of `h` hours.
    pub const fn hours(h: i64) -> Span {
        Span(h * 3_600_000)
    }

    /// A span of `d` days of 24 hours (not calendar days across a clock change).
    pub const fn days(d: i64) -> Span {
        Span(d * 86_400_000)
    }

    /// The span in milliseconds.
    pub fn millis(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a time or a length could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeParseError {
    /// Not an RFC 3339 time; holds the text as given.
    #[error("`{0}` is not an RFC 3339 time such as 2026-03-29T21:00:00Z")]
    Instant(String),
    /// Not a length of time such as `90s` or `1h30m`; holds the text as given.
    #[error("`{0}` is not a length of time such as 90s, 5m, 2h, 1h30m or 7d")]
    Span(String),
}

impl FromStr for Timestamp {
    type Err = TimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Timestamp(t.timestamp_millis()))
            .map_err(|_| TimeParseError::Instant(s.to_owned()))
    }
}

impl FromStr for Span {
    type Err = TimeParseError;

    /// Whole numbers with units d, h, m, s, ms, largest first: `1h30m`, `90s`, `250ms`, `0s`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TimeParseError::Span(s.to_owned());
        let text = s.trim();
        if text.is_empty() {
            return Err(bad());
        }
        let mut rest = text;
        let mut total: i64 = 0;
        let mut last_unit = i64::MAX;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 12 {
                return Err(bad());
            }
            let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            let (unit, len) = if rest.starts_with("ms") {
                (1, 2)
            } else {
                match rest.bytes().next() {
                    Some(b'd') => (86_400_000, 1),
                    Some(b'h') => (3_600_000, 1),
                    Some(b'm') => (60_000, 1),
                    Some(b's') => (1000, 1),
                    _ => return Err(bad()),
                }
            };
            if unit >= last_unit {
                return Err(bad());
            }
            last_unit = unit;
            rest = &rest[len..];
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(bad)?;
        }
        Ok(Span(total))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0;
        if ms < 0 {
            f.write_str("-")?;
            ms = -ms;
        }
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, name) in [
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1000, "s"),
            (1, "ms"),
        ] {
            if ms >= unit {
                write!(f, "{}{name}", ms / unit)?;
                ms %= unit;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// An RFC 3339 string within years 0 to 9999 (all that RFC 3339 can write), else milliseconds
/// since the epoch as a number, so that every instant reads back as it was (a stored
/// checkpoint holds `Timestamp::MIN` and `MAX` as "never").
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use chrono::Datelike;
        match DateTime::from_timestamp_millis(self.0) {
            Some(t) if (0..=9999).contains(&t.year()) => s.collect_str(self),
            _ => s.serialize_i64(self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Instant;
        impl serde::de::Visitor<'_> for Instant {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an RFC 3339 time such as 2026-03-29T21:00:00Z, or milliseconds since 1970",
                )
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
                // A query string carries every value as text: milliseconds come as digits.
                let digits = text.strip_prefix('-').unwrap_or(text);
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    return text
                        .parse()
                        .map(Timestamp)
                        .map_err(|_| E::custom("milliseconds beyond the range of an instant"));
                }
                text.parse().map_err(E::custom)
            }

            fn visit_i64<E: serde::de::Error>(self, ms: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(ms))
            }

            fn visit_u64<E: serde::de::Error>(self, ms: u64) -> Result<Timestamp, E> {
                i64::try_from(ms)
                    .map(Timestamp)
                    .map_err(|_| E::custom("milliseconds beyond the range of an instant"))
            }
        }
        d.deserialize_any(Instant)
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Milliseconds read the same as a JSON number or as text (a query string's only form).
    #[test]
    fn milliseconds_read_from_text_too() {
        let read = |v: serde_json::Value| serde_json::from_value::<Timestamp>(v).ok();
        assert_eq!(read(serde_json::json!("597")), Some(Timestamp(597)));
        assert_eq!(read(serde_json::json!("-1")), Some(Timestamp(-1)));
        assert_eq!(read(serde_json::json!(597)), Some(Timestamp(597)));
        assert_eq!(read(serde_json::json!("99999999999999999999")), None);
        assert_eq!(read(serde_json::json!("-")), None);
        assert_eq!(read(serde_json::json!("")), None);
    }

    #[test]
    fn every_instant_reads_back_as_it_was() {
        for t in [
            Timestamp::MIN,
            Timestamp::MAX,
            Timestamp(0),
            Timestamp(-1),
            "2026-03-29T00:59:59.999Z".parse().expect("a time"),
            "9999-12-31T23:59:59.999Z".parse().expect("a time"),
        ] {
            let text = serde_json::to_string(&t).expect("serialises");
            let back: Timestamp = serde_json::from_str(&text).expect("reads back");
            assert_eq!(back, t, "{text}");
        }
        assert_eq!(
            serde_json::to_string(&Timestamp(0)).expect("serialises"),
            "\"1970-01-01T00:00:00Z\""
        );
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("18446744073709551615").is_err());
    }

    #[test]
    fn spans_read_and_print() {
        for (text, ms) in [
            ("90s", 90_000),
            ("5m", 300_000),
            ("1h30m", 5_400_000),
            ("7d", 604_800_000),
            ("250ms", 250),
            ("0s", 0),
        ] {
            assert_eq!(text.parse::<Span>(), Ok(Span(ms)), "{text}");
        }
        assert_eq!(Span(5_400_000).to_string(), "1h30m");
        assert_eq!(Span(90_000).to_string(), "1m30s");
    }

    #[test]
    fn bad_spans_are_errors() {
        for text in [
            "",
            "5",
            "m",
            "5x",
            "-5m",
            "30m1h",
            "5m5m",
            "1.5h",
            "99999999999999d",
            " ",
        ] {
            assert!(text.parse::<Span>().is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn instants_take_offsets() {
        let t: Timestamp = "2026-03-29T03:30:00+03:00".parse().unwrap();
        assert_eq!(t.to_string(), "2026-03-29T00:30:00Z");
        assert!("2026-03-29 03:30".parse::<Timestamp>().is_err());
        assert!("yesterday".parse::<Timestamp>().is_err());
    }

    #[test]
    fn compact_times_round_trip() {
        for ms in [
            0,
            -1,
            1,
            1_774_818_000_000,
            i64::MIN + 1,
            i64::MAX,
            Timestamp::MIN.0,
            Timestamp::MAX.0,
        ] {
            assert_eq!(CompactTime::new(Timestamp(ms)).get(), Timestamp(ms));
        }
        assert_eq!(
            CompactTime::new(Timestamp(i64::MIN)).get(),
            Timestamp(i64::MIN + 1)
        );
        assert_eq!(size_of::<Option<CompactTime>>(), 8);
    }

    proptest! {
        #[test]
        fn span_text_round_trips(ms in 0i64..10_000_000_000_000) {
            prop_assert_eq!(Span(ms).to_string().parse::<Span>(), Ok(Span(ms)));
        }

        #[test]
        fn instant_text_round_trips(ms in -60_000_000_000_000i64..200_000_000_000_000) {
            prop_assert_eq!(Timestamp(ms).to_string().parse::<Timestamp>(), Ok(Timestamp(ms)));
        }
    }
}
