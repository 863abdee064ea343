//! A weekly slot as a policy writes it: a weekday and two wall-clock times, read, written and
//! described in JSON Schema as `mon`…`sun` and `HH:MM` or `HH:MM:SS`, and the days of the week
//! in timetable order. Kept apart from the timetable because this is the text an admin writes
//! and reads back.

use std::fmt;

use chrono::{NaiveTime, Timelike, Weekday};
use schemars::{Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A weekly slot in local wall-clock time. `end <= start` means it ends on the next day (it
/// crosses midnight); `end == start` is invalid.
///
/// In a policy file: `{ day = "mon", start = "21:00", end = "07:00" }`, with `day` one of `mon`,
/// `tue`, `wed`, `thu`, `fri`, `sat`, `sun` and times written `HH:MM` or `HH:MM:SS`. A slot
/// is shorter than a day; there is no `24:00` (a slot to midnight ends at `00:00`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklySlot {
    /// The day the slot starts on.
    #[serde(with = "day_text")]
    #[schemars(schema_with = "weekday")]
    pub day: Weekday,
    /// The local time it starts.
    #[serde(with = "clock_text")]
    #[schemars(schema_with = "clock")]
    pub start: NaiveTime,
    /// The local time it ends; earlier than `start` for a slot past midnight.
    #[serde(with = "clock_text")]
    #[schemars(schema_with = "clock")]
    pub end: NaiveTime,
}

impl WeeklySlot {
    /// Whether the slot ends on the day after it starts.
    pub fn crosses_midnight(&self) -> bool {
        self.end <= self.start
    }

    /// Where the slot starts, in seconds from Monday 00:00.
    pub(super) fn week_second(&self) -> u32 {
        self.day.num_days_from_monday() * 86_400 + self.start.num_seconds_from_midnight()
    }

    /// How long the slot lasts on the wall clock, in seconds (0 for an invalid slot).
    pub(super) fn wall_seconds(&self) -> u32 {
        let (start, end) = (
            self.start.num_seconds_from_midnight(),
            self.end.num_seconds_from_midnight(),
        );
        if end >= start {
            end - start
        } else {
            end + 86_400 - start
        }
    }
}

impl fmt::Display for WeeklySlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}–{}",
            day_text::name(self.day),
            clock_text::Clock(self.start),
            clock_text::Clock(self.end)
        )
    }
}

/// The days of the week, Monday first, as timetables list them.
pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// Weekdays as `mon` … `sun`.
mod day_text {
    use super::*;

    pub(super) fn name(day: Weekday) -> &'static str {
        match day {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    pub(super) fn serialize<S: Serializer>(day: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(name(*day))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let text = String::deserialize(d)?;
        WEEKDAYS
            .into_iter()
            .find(|day| name(*day) == text)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{text}` is not a day: expected mon, tue, wed, thu, fri, sat or sun"
                ))
            })
    }
}

/// Times of day as `HH:MM` or `HH:MM:SS`.
pub(super) mod clock_text {
    use super::*;

    /// Shows a time as `HH:MM`, or `HH:MM:SS` when it has seconds.
    pub(super) struct Clock(pub(super) NaiveTime);

    impl fmt::Display for Clock {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let t = self.0;
            write!(f, "{:02}:{:02}", t.hour(), t.minute())?;
            if t.second() != 0 {
                write!(f, ":{:02}", t.second())?;
            }
            Ok(())
        }
    }

    pub(in crate::schedule) fn parse(text: &str) -> Option<NaiveTime> {
        let bytes = text.as_bytes();
        let two = |at: usize| -> Option<u32> {
            match *bytes.get(at..at + 2)? {
                [a @ b'0'..=b'9', b @ b'0'..=b'9'] => {
                    Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
                }
                _ => None,
            }
        };
        let second = match bytes.len() {
            5 => 0,
            8 if bytes[5] == b':' => two(6)?,
            _ => return None,
        };
        if bytes[2] != b':' {
            return None;
        }
        NaiveTime::from_hms_opt(two(0)?, two(3)?, second)
    }

    pub(super) fn serialize<S: Serializer>(time: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&Clock(*time))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a time of day such as 21:00 or 07:30:00"
            ))
        })
    }
}

/// A weekly slot's day, `mon` to `sun`.
fn weekday(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] })
}

/// A wall-clock time, `HH:MM` or `HH:MM:SS`.
fn clock(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        "examples": ["22:00"]
    })
}
