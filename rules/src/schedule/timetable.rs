//! From local time to instants: the order's time zone, and the compiled weekly timetable whose
//! slots become intervals by the one rule of the module documentation ([`super`]), across
//! daylight-saving gaps and folds.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset as _,
    TimeZone as _, Timelike,
};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::ScheduleError;
use super::interval::Interval;
use super::slot::WeeklySlot;
use crate::time::Timestamp;

const WEEK_SECONDS: u32 = 7 * 86_400;
/// Every UTC offset in the tz database (local mean times included) is well under this.
const OFFSET_BOUND_MS: i64 = 26 * 3_600_000;
/// Instants are clamped to about ±250,000 years before they meet the calendar, so that date
/// arithmetic a few days either side stays inside chrono's range.
const CALENDAR_LIMIT_MS: i64 = 8_000_000_000_000_000;

/// An IANA time zone such as `Europe/Riga`, written by its name; the default is Europe/Riga.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TimeZone(pub Tz);

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(chrono_tz::Europe::Riga)
    }
}

impl FromStr for TimeZone {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<Tz>()
            .map(TimeZone)
            .map_err(|_| ScheduleError::UnknownTimeZone(s.to_owned()))
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A slot as the timetable keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Slot {
    start: NaiveTime,
    end: NaiveTime,
    crosses_midnight: bool,
    pub(super) label: u16,
}

/// A compiled weekly timetable: slots in local time, each with a label (for curfews, the index of
/// the address), in one time zone. Slots never overlap in local time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timetable {
    tz: Tz,
    /// Sorted by weekday (Monday first), then start.
    pub(super) slots: Vec<Slot>,
    /// For each weekday, Monday first, the slots that start on it.
    by_day: [Range<usize>; 7],
    /// The label, when the slots cover the whole week with one label.
    always: Option<u16>,
}

impl Timetable {
    /// Compiles the slots. Errors: a slot that starts and ends at the same time, or has a time
    /// with a fraction of a second; two slots that overlap in local time, whatever their labels
    /// (the error names the first pair found).
    pub fn new(tz: TimeZone, slots: &[(WeeklySlot, u16)]) -> Result<Timetable, ScheduleError> {
        for (slot, _) in slots {
            if slot.start == slot.end {
                return Err(ScheduleError::EmptySlot(slot.clone()));
            }
            if slot.start.nanosecond() != 0 || slot.end.nanosecond() != 0 {
                return Err(ScheduleError::FractionalTime(slot.clone()));
            }
        }
        let mut sorted: Vec<&(WeeklySlot, u16)> = slots.iter().collect();
        sorted.sort_by_key(|(slot, _)| slot.week_second());
        // Each slot is shorter than a day, so an overlap anywhere shows between neighbours in
        // start order, going round the week (a lone slot meets itself a week later).
        let next_ones = sorted.iter().cycle().skip(1);
        for (i, ((slot, _), (next, _))) in sorted.iter().zip(next_ones).enumerate() {
            let wrap = if i + 1 == sorted.len() {
                WEEK_SECONDS
            } else {
                0
            };
            if slot.week_second() + slot.wall_seconds() > next.week_second() + wrap {
                return Err(ScheduleError::Overlap(slot.clone(), next.clone()));
            }
        }
        let first_label = sorted.first().map(|(_, label)| *label);
        let covered: u32 = sorted.iter().map(|(slot, _)| slot.wall_seconds()).sum();
        let always = first_label.filter(|first| {
            covered == WEEK_SECONDS && sorted.iter().all(|(_, label)| label == first)
        });
        let by_day = std::array::from_fn(|d| {
            let d = d as u32;
            let day_of = |(slot, _): &&(WeeklySlot, u16)| slot.day.num_days_from_monday();
            sorted.partition_point(|s| day_of(s) < d)..sorted.partition_point(|s| day_of(s) <= d)
        });
        let slots = sorted
            .iter()
            .map(|(slot, label)| Slot {
                start: slot.start,
                end: slot.end,
                crosses_midnight: slot.crosses_midnight(),
                label: *label,
            })
            .collect();
        Ok(Timetable {
            tz: tz.0,
            slots,
            by_day,
            always,
        })
    }

    /// The time zone the timetable's local times are in.
    pub fn time_zone(&self) -> TimeZone {
        TimeZone(self.tz)
    }

    /// Whether there are no slots at all.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The label, when the slots cover the whole week, every instant, with one label.
    pub fn always(&self) -> Option<u16> {
        self.always
    }

    /// The occurrences that intersect `[from, to)`, as instants with their label, in start order
    /// and not clipped to the range. They never overlap. The cost is linear in the length of the
    /// range, and the iterator is lazy.
    pub fn occurrences(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Iterator<Item = (Interval, u16)> {
        let first = self.local_date(from).checked_sub_days(Days::new(2));
        let last = self.local_date(to).checked_add_days(Days::new(2));
        self.occurrences_on_dates(first, last)
            .filter(move |(span, _)| span.start < to && span.end > from)
    }

    /// The occurrence that contains `t`, if any.
    pub fn occurrence_at(&self, t: Timestamp) -> Option<(Interval, u16)> {
        let day = self.local_date(t);
        self.occurrences_on_dates(
            day.checked_sub_days(Days::new(2)),
            day.checked_add_days(Days::new(2)),
        )
        .take_while(|(span, _)| span.start <= t)
        .find(|(span, _)| span.contains(t))
    }

    /// The first occurrence that starts after `t` (strictly). `None` only for an empty timetable
    /// (or at the end of the calendar).
    pub fn next_occurrence_after(&self, t: Timestamp) -> Option<(Interval, u16)> {
        if self.slots.is_empty() {
            return None;
        }
        // A slot can come out empty on a date with a gap, never two weeks running.
        let first = self.local_date(t).checked_sub_days(Days::new(2));
        let last = first.and_then(|d| d.checked_add_days(Days::new(23)));
        self.occurrences_on_dates(first, last)
            .find(|(span, _)| span.start > t)
    }

    /// The occurrences of slots on local dates `first..=last`, in start order; none when either
    /// end is off the calendar.
    fn occurrences_on_dates(
        &self,
        first: Option<NaiveDate>,
        last: Option<NaiveDate>,
    ) -> impl Iterator<Item = (Interval, u16)> {
        let dates = match (first, last) {
            (Some(first), Some(last)) => Some(first.iter_days().take_while(move |d| *d <= last)),
            _ => None,
        };
        dates.into_iter().flatten().flat_map(move |date| {
            let range = self.by_day[date.weekday().num_days_from_monday() as usize].clone();
            self.slots
                .get(range)
                .unwrap_or_default()
                .iter()
                .filter_map(move |slot| self.occurrence(date, slot))
        })
    }

    /// The occurrence of `slot` that starts on local date `date`, unless it is empty.
    fn occurrence(&self, date: NaiveDate, slot: &Slot) -> Option<(Interval, u16)> {
        let end_date = if slot.crosses_midnight {
            date.succ_opt()?
        } else {
            date
        };
        let start = self.instant_of(date.and_time(slot.start))?;
        let end = self.instant_of(end_date.and_time(slot.end))?;
        (start < end).then_some((Interval { start, end }, slot.label))
    }

    /// The first instant at which the wall clock reads `local` or later: the instant itself, the
    /// earlier of two in a fold, the end of the gap for a time in a gap.
    fn instant_of(&self, local: NaiveDateTime) -> Option<Timestamp> {
        match self.tz.from_local_datetime(&local) {
            MappedLocalTime::Single(t) => Some(Timestamp(t.timestamp_millis())),
            MappedLocalTime::Ambiguous(a, b) => {
                Some(Timestamp(a.timestamp_millis().min(b.timestamp_millis())))
            }
            MappedLocalTime::None => self.gap_end(local),
        }
    }

    /// For a local time in a gap, the instant the gap ends: the first instant whose wall clock
    /// reads `local` or later, found by bisection within a day either side.
    fn gap_end(&self, local: NaiveDateTime) -> Option<Timestamp> {
        let target = local.and_utc().timestamp_millis();
        // The wall clock reads before `target` at `low` and at or after it at `high`.
        let mut low = target.checked_sub(OFFSET_BOUND_MS)?;
        let mut high = target.checked_add(OFFSET_BOUND_MS)?;
        if self.wall_ms(high)? < target {
            return None;
        }
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if self.wall_ms(mid)? >= target {
                high = mid;
            } else {
                low = mid;
            }
        }
        Some(Timestamp(high))
    }

    /// The wall-clock reading at instant `ms`, as milliseconds of a naive epoch.
    fn wall_ms(&self, ms: i64) -> Option<i64> {
        let utc = DateTime::from_timestamp_millis(ms)?.naive_utc();
        let offset = self
            .tz
            .offset_from_utc_datetime(&utc)
            .fix()
            .local_minus_utc();
        ms.checked_add(i64::from(offset) * 1000)
    }

    /// The local date at instant `t` (clamped to the calendar's safe range).
    fn local_date(&self, t: Timestamp) -> NaiveDate {
        let t = Timestamp(t.0.clamp(-CALENDAR_LIMIT_MS, CALENDAR_LIMIT_MS));
        self.tz
            .from_utc_datetime(&t.to_utc().naive_utc())
            .naive_local()
            .date()
    }
}
