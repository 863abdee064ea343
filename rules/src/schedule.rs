//! Weekly timetables in local time, and curfew plans with dated changes.
//!
//! Court orders state curfews as wall-clock slots per weekday in the client's own time zone
//! ("every night from 21:00 to 07:00", "Saturdays 14:00 to 18:00"), while the engine judges
//! observations at UTC instants. This module turns the one into the other. The mapping is not a
//! fixed offset: on the night daylight saving starts some local times do not exist (the spring
//! gap), on the night it ends some happen twice (the autumn fold), so a nightly curfew is an hour
//! shorter or longer then; and zones differ in when and by how much they change (Lord Howe Island
//! moves by 30 minutes, southern summers straddle the new year, Chile changes at midnight).
//!
//! # From local time to instants
//!
//! An occurrence of a slot is computed per local date: the slot for `day` starts at its `start`
//! on a local date D of that weekday and ends at its `end` on D, or on D + 1 when it crosses
//! midnight (`end <= start`). Each end of it becomes an instant by one rule: a local time that
//! happens once is that instant; one that happens twice (in the fold) is its first, earlier
//! instant; one that does not happen (in the gap) is the instant the gap ends. Put another way,
//! a local time L becomes the first instant at which the wall clock reads L or later. In Riga,
//! where clocks go from 03:00 to 04:00 on 29 March 2026 and from 04:00 back to 03:00 on
//! 25 October 2026, 03:30 on 29 March is 04:00 local (01:00Z) and 03:30 on 25 October is the
//! summer-time 03:30 (00:30Z); a Saturday 21:00 to Sunday 07:00 curfew lasts 9 real hours on the
//! spring weekend and 11 on the autumn one. The rule never moves a later local time to an earlier
//! instant, so slots that do not overlap in local time never overlap as instants. A slot that
//! lies wholly inside a gap has no instants on that date and is skipped.
//!
//! # Curfew plans
//!
//! A [`CurfewPlan`] is a timetable (whose labels are address indexes) plus dated changes: extra
//! curfew periods (among them the first night after release) and authorised absences. It yields
//! [`CurfewWindow`]s: stretches of time during which the client must be at one address. Periods
//! at the same address that overlap or touch are one window; absences are cut out of windows.
//! A window can therefore be longer than any slot. To keep every answer bounded, a window is
//! followed at most [`MERGE_HORIZON`] (8 days) beyond the time asked about: a longer unbroken
//! window, such as a curfew whose slots cover the whole week, is reported cut short there, at the
//! edge of a slot or period.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset as _,
    TimeZone as _, Timelike, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::time::{Span, Timestamp};

/// How far beyond the instants asked about a chain of touching periods is followed to find where
/// its window starts and ends. See the module documentation.
pub const MERGE_HORIZON: Span = Span(8 * 86_400_000);

const DAY_MS: i64 = 86_400_000;
const WEEK_SECONDS: u32 = 7 * 86_400;
/// Every UTC offset in the tz database (local mean times included) is well under this.
const OFFSET_BOUND_MS: i64 = 26 * 3_600_000;
/// Instants are clamped to about ±250,000 years before they meet the calendar, so that date
/// arithmetic a few days either side stays inside chrono's range.
const CALENDAR_LIMIT_MS: i64 = 8_000_000_000_000_000;

/// A weekly slot in local wall-clock time. `end <= start` means it ends on the next day (it
/// crosses midnight); `end == start` is invalid.
///
/// In a policy file: `{ day = "mon", start = "21:00", end = "07:00" }`, with `day` one of `mon`,
/// `tue`, `wed`, `thu`, `fri`, `sat`, `sun` and times written `HH:MM` or `HH:MM:SS`. A slot
/// is shorter than a day; there is no `24:00` (a slot to midnight ends at `00:00`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklySlot {
    #[serde(with = "day_text")]
    #[schemars(schema_with = "crate::schema::weekday")]
    pub day: Weekday,
    #[serde(with = "clock_text")]
    #[schemars(schema_with = "crate::schema::clock")]
    pub start: NaiveTime,
    #[serde(with = "clock_text")]
    #[schemars(schema_with = "crate::schema::clock")]
    pub end: NaiveTime,
}

impl WeeklySlot {
    /// Whether the slot ends on the day after it starts.
    pub fn crosses_midnight(&self) -> bool {
        self.end <= self.start
    }

    /// Where the slot starts, in seconds from Monday 00:00.
    fn week_second(&self) -> u32 {
        self.day.num_days_from_monday() * 86_400 + self.start.num_seconds_from_midnight()
    }

    /// How long the slot lasts on the wall clock, in seconds (0 for an invalid slot).
    fn wall_seconds(&self) -> u32 {
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
mod clock_text {
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

    pub(super) fn parse(text: &str) -> Option<NaiveTime> {
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

/// A half-open interval of instants, `[start, end)`.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Interval {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Interval {
    pub fn new(start: Timestamp, end: Timestamp) -> Interval {
        Interval { start, end }
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }

    /// The length; zero when `end <= start`.
    pub fn len(&self) -> Span {
        Span(self.end.since(self.start).0.max(0))
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Whether the two share at least one instant.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", self.start, self.end)
    }
}

/// A slot as the timetable keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Slot {
    start: NaiveTime,
    end: NaiveTime,
    crosses_midnight: bool,
    label: u16,
}

/// A compiled weekly timetable: slots in local time, each with a label (for curfews, the index of
/// the address), in one time zone. Slots never overlap in local time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timetable {
    tz: Tz,
    /// Sorted by weekday (Monday first), then start.
    slots: Vec<Slot>,
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

/// Why an authorised absence was given.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceReason {
    Work,
    Court,
    Hospital,
    Programme,
    #[default]
    Other,
}

/// A dated stretch during which the client is excused from curfew, as written in a policy file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorisedAbsence {
    pub id: String,
    pub from: Timestamp,
    pub until: Timestamp,
    #[serde(default)]
    pub reason: AbsenceReason,
}

impl AuthorisedAbsence {
    pub fn span(&self) -> Interval {
        Interval::new(self.from, self.until)
    }
}

/// A dated curfew period on top of the weekly slots, as written in a policy file; `address` names
/// one of the policy's addresses. The first night after release is one of these too, in a field
/// of its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtraCurfew {
    pub id: String,
    pub from: Timestamp,
    pub until: Timestamp,
    pub address: String,
}

impl ExtraCurfew {
    pub fn span(&self) -> Interval {
        Interval::new(self.from, self.until)
    }
}

/// Where a curfew window comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WindowOrigin {
    /// A weekly slot.
    Weekly,
    /// An extra curfew period.
    Extra,
    /// The first night after release.
    FirstNight,
}

impl WindowOrigin {
    /// Which origin names a window when several periods are in force at its start: the more
    /// specific one.
    fn rank(self) -> u8 {
        match self {
            WindowOrigin::Weekly => 0,
            WindowOrigin::Extra => 1,
            WindowOrigin::FirstNight => 2,
        }
    }
}

impl fmt::Display for WindowOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WindowOrigin::Weekly => "weekly curfew",
            WindowOrigin::Extra => "extra curfew",
            WindowOrigin::FirstNight => "first-night curfew",
        })
    }
}

/// A stretch of time during which the client must be at `address` (an index into the policy's
/// addresses), after authorised absences are cut out.
///
/// `origin` is that of the period in force at the window's start; when several are (a
/// first-night period and a weekly slot at the same address, say), the more specific one:
/// first night, then extra, then weekly.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurfewWindow {
    pub span: Interval,
    pub address: u16,
    pub origin: WindowOrigin,
}

/// A period during which the client must be at an address, before merging and absences.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Period {
    span: Interval,
    address: u16,
    origin: WindowOrigin,
}

/// A weekly timetable with dated changes: extra curfew periods and authorised absences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurfewPlan {
    timetable: Timetable,
    /// Sorted by start.
    extras: Vec<Period>,
    /// Sorted, disjoint and not touching.
    absences: Vec<Interval>,
    /// The last instant that any extra or absence reaches.
    dated_until: Timestamp,
}

impl CurfewPlan {
    /// `timetable` holds the weekly slots (labels are address indexes); `extras` are dated curfew
    /// periods with their address and origin; `absences` are cut out of every window.
    ///
    /// Errors: an extra or an absence that does not end after it starts; an extra that overlaps
    /// a weekly occurrence or another extra at a different address (the client cannot be in two
    /// places), checked over the extra's whole length, so the cost grows with it. Extras and
    /// weekly occurrences at the same address may overlap: they merge.
    pub fn new(
        timetable: Timetable,
        extras: Vec<(Interval, u16, WindowOrigin)>,
        absences: Vec<Interval>,
    ) -> Result<CurfewPlan, ScheduleError> {
        for (index, (span, _, origin)) in extras.iter().enumerate() {
            if span.is_empty() {
                return Err(ScheduleError::EmptyPeriod {
                    index,
                    origin: *origin,
                    span: *span,
                });
            }
        }
        for (index, span) in absences.iter().enumerate() {
            if span.is_empty() {
                return Err(ScheduleError::EmptyAbsence { index, span: *span });
            }
        }
        let mut numbered: Vec<(usize, Period)> = extras
            .into_iter()
            .map(|(span, address, origin)| Period {
                span,
                address,
                origin,
            })
            .enumerate()
            .collect();
        numbered.sort_by_key(|(_, p)| (p.span.start, p.span.end));
        for (i, (index, extra)) in numbered.iter().enumerate() {
            let conflict = |other: Period| ScheduleError::Conflict {
                index: *index,
                origin: extra.origin,
                span: extra.span,
                address: extra.address,
                other_origin: other.origin,
                other_span: other.span,
                other_address: other.address,
            };
            let elsewhere = timetable.slots.iter().any(|s| s.label != extra.address);
            if let Some((span, address)) = timetable
                .occurrences(extra.span.start, extra.span.end)
                .find(|(_, address)| elsewhere && *address != extra.address)
            {
                return Err(conflict(Period {
                    span,
                    address,
                    origin: WindowOrigin::Weekly,
                }));
            }
            if let Some((_, other)) = numbered[i + 1..]
                .iter()
                .take_while(|(_, other)| other.span.start < extra.span.end)
                .find(|(_, other)| other.address != extra.address)
            {
                return Err(conflict(*other));
            }
        }
        let extras: Vec<Period> = numbered.into_iter().map(|(_, p)| p).collect();

        let mut sorted = absences;
        sorted.sort();
        let mut merged: Vec<Interval> = Vec::with_capacity(sorted.len());
        for span in sorted {
            match merged.last_mut() {
                Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
                _ => merged.push(span),
            }
        }
        let dated_until = extras
            .iter()
            .map(|p| p.span.end)
            .chain(merged.iter().map(|a| a.end))
            .max()
            .unwrap_or(Timestamp::MIN);
        Ok(CurfewPlan {
            timetable,
            extras,
            absences: merged,
            dated_until,
        })
    }

    pub fn timetable(&self) -> &Timetable {
        &self.timetable
    }

    /// The windows that intersect `[from, to)`, in start order, not clipped. Periods at the same
    /// address that overlap or touch are one window (a slot ending at 07:00 and another starting
    /// at 07:00 at the same address join; at different addresses they stay apart). Windows are
    /// followed at most [`MERGE_HORIZON`] beyond the range (see the module documentation).
    pub fn windows(&self, from: Timestamp, to: Timestamp) -> Vec<CurfewWindow> {
        self.windows_within(
            from,
            to,
            from.saturating_sub(MERGE_HORIZON),
            to.saturating_add(MERGE_HORIZON),
        )
    }

    /// The window that contains `t`, if any, whole (up to [`MERGE_HORIZON`] either side of `t`).
    pub fn window_at(&self, t: Timestamp) -> Option<CurfewWindow> {
        self.windows(t, t.saturating_add(Span(1)))
            .into_iter()
            .find(|w| w.span.contains(t))
    }

    /// The first window that starts after `t` (strictly), with its end followed up to
    /// [`MERGE_HORIZON`] beyond its start. `None` when no window starts within three weeks after
    /// `t` or after the last dated change, whichever is later: an empty plan, or one whose weekly
    /// slots cover every instant at one address.
    pub fn next_window_after(&self, t: Timestamp) -> Option<CurfewWindow> {
        const ONE: Span = Span(1);
        let horizon = t.max(self.dated_until).saturating_add(Span(21 * DAY_MS));
        let weekly_starts_windows = self.timetable.always().is_none();
        // Windows can start only where a weekly occurrence or an extra starts, or an absence
        // ends. Candidates are taken in order after `after`; starts of occurrences and extras
        // are not looked for before `quiet_until`, inside a stretch where they cannot start one.
        let mut after = t;
        let mut quiet_until = t;
        loop {
            let skip_to = after.max(quiet_until);
            let weekly = weekly_starts_windows
                .then(|| self.timetable.next_occurrence_after(skip_to))
                .flatten()
                .map(|(span, _)| span.start);
            let extra = self
                .extras
                .get(self.extras.partition_point(|p| p.span.start <= skip_to))
                .map(|p| p.span.start);
            let absence_end = self
                .absences
                .get(self.absences.partition_point(|a| a.end <= after))
                .map(|a| a.end);
            let s = [weekly, extra, absence_end].into_iter().flatten().min()?;
            if s > horizon {
                return None;
            }
            if let Some(absence) = self.absence_at(s) {
                // Nothing starts until the absence ends, which is a candidate itself.
                after = absence.end.saturating_sub(ONE);
                continue;
            }
            let here = self.required_at(s);
            if here.is_some() && self.required_at(s.saturating_sub(ONE)) != here {
                return self
                    .windows_within(s, s.saturating_add(ONE), s, s.saturating_add(MERGE_HORIZON))
                    .into_iter()
                    .find(|w| w.span.start == s);
            }
            // Strictly inside an extra, only the end of an absence can start a window.
            if let Some(end) = self
                .extras
                .iter()
                .take_while(|p| p.span.start < s)
                .filter(|p| p.span.contains(s))
                .map(|p| p.span.end)
                .max()
            {
                quiet_until = quiet_until.max(end.saturating_sub(ONE));
            }
            after = s;
        }
    }

    /// The address the client must be at, at instant `t`, before merging.
    fn required_at(&self, t: Timestamp) -> Option<u16> {
        if self.absence_at(t).is_some() {
            return None;
        }
        self.timetable
            .occurrence_at(t)
            .map(|(_, address)| address)
            .or_else(|| {
                self.extras
                    .iter()
                    .take_while(|p| p.span.start <= t)
                    .find(|p| p.span.contains(t))
                    .map(|p| p.address)
            })
    }

    fn absence_at(&self, t: Timestamp) -> Option<Interval> {
        self.absences
            .get(self.absences.partition_point(|a| a.end <= t))
            .filter(|a| a.contains(t))
            .copied()
    }

    /// The periods that intersect or touch `[from, to]`, in no particular order.
    fn periods_touching(&self, from: Timestamp, to: Timestamp) -> impl Iterator<Item = Period> {
        let weekly = self
            .timetable
            .occurrences(from.saturating_sub(Span(1)), to.saturating_add(Span(1)))
            .map(|(span, address)| Period {
                span,
                address,
                origin: WindowOrigin::Weekly,
            });
        let extras = self
            .extras
            .iter()
            .take_while(move |p| p.span.start <= to)
            .filter(move |p| p.span.end >= from)
            .copied();
        weekly.chain(extras)
    }

    /// The windows that intersect `[from, to)`, following chains of touching periods no further
    /// than `[reach_from, reach_to]`.
    fn windows_within(
        &self,
        from: Timestamp,
        to: Timestamp,
        reach_from: Timestamp,
        reach_to: Timestamp,
    ) -> Vec<CurfewWindow> {
        if from >= to {
            return Vec::new();
        }
        // Gather periods until none reaches beyond what has been looked at, or the reach ends.
        let (mut low, mut high) = (from, to);
        let mut periods: Vec<Period> = self.periods_touching(low, high).collect();
        loop {
            let want_low = periods
                .iter()
                .map(|p| p.span.start)
                .fold(low, Timestamp::min)
                .max(reach_from);
            let want_high = periods
                .iter()
                .map(|p| p.span.end)
                .fold(high, Timestamp::max)
                .min(reach_to);
            if want_low >= low && want_high <= high {
                break;
            }
            if want_low < low {
                periods.extend(self.periods_touching(want_low, low));
                low = want_low;
            }
            if want_high > high {
                periods.extend(self.periods_touching(high, want_high));
                high = want_high;
            }
            periods.sort_by_key(|p| (p.span, p.address, p.origin.rank()));
            periods.dedup();
        }
        periods.sort_by_key(|p| (p.span, p.address, p.origin.rank()));

        // Periods at different addresses never overlap, so in start order each period either
        // continues the current window or starts the next.
        let mut merged: Vec<(Interval, u16)> = Vec::new();
        for p in &periods {
            match merged.last_mut() {
                Some((span, address)) if *address == p.address && p.span.start <= span.end => {
                    span.end = span.end.max(p.span.end);
                }
                _ => merged.push((p.span, p.address)),
            }
        }

        let mut windows = Vec::new();
        let wanted = Interval::new(from, to);
        for (span, address) in merged {
            let mut push = |piece: Interval| {
                if piece.is_empty() || !piece.overlaps(&wanted) {
                    return;
                }
                let origin = periods
                    .iter()
                    .filter(|p| p.address == address && p.span.contains(piece.start))
                    .map(|p| p.origin)
                    .max_by_key(|o| o.rank())
                    .unwrap_or(WindowOrigin::Weekly);
                windows.push(CurfewWindow {
                    span: piece,
                    address,
                    origin,
                });
            };
            let first = self.absences.partition_point(|a| a.end <= span.start);
            let mut rest = span.start;
            for absence in self.absences[first..]
                .iter()
                .take_while(|a| a.start < span.end)
            {
                push(Interval::new(rest, absence.start));
                rest = rest.max(absence.end);
            }
            push(Interval::new(rest, span.end));
        }
        windows
    }
}

/// Why a timetable, a time zone or a curfew plan was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("weekly slot {0} starts and ends at the same time")]
    EmptySlot(WeeklySlot),
    #[error("weekly slot {0} has a fraction of a second; slot times are whole seconds")]
    FractionalTime(WeeklySlot),
    #[error("weekly slots {0} and {1} overlap")]
    Overlap(WeeklySlot, WeeklySlot),
    #[error("unknown time zone `{0}`")]
    UnknownTimeZone(String),
    #[error("{origin} #{index} ({span}) does not end after it starts")]
    EmptyPeriod {
        index: usize,
        origin: WindowOrigin,
        span: Interval,
    },
    #[error("authorised absence #{index} ({span}) does not end after it starts")]
    EmptyAbsence { index: usize, span: Interval },
    #[error(
        "{origin} #{index} ({span}) at address #{address} overlaps the {other_origin} from \
         {other_span} at address #{other_address}: the client cannot be in two places at once"
    )]
    Conflict {
        /// The extra's position in the list given to [`CurfewPlan::new`].
        index: usize,
        origin: WindowOrigin,
        span: Interval,
        address: u16,
        other_origin: WindowOrigin,
        other_span: Interval,
        other_address: u16,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use Weekday::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn span(start: &str, end: &str) -> Interval {
        Interval::new(at(start), at(end))
    }

    fn slot(day: Weekday, start: &str, end: &str) -> WeeklySlot {
        WeeklySlot {
            day,
            start: clock_text::parse(start).unwrap(),
            end: clock_text::parse(end).unwrap(),
        }
    }

    fn timetable(zone: &str, slots: &[(Weekday, &str, &str, u16)]) -> Timetable {
        let slots: Vec<_> = slots
            .iter()
            .map(|(day, start, end, label)| (slot(*day, start, end), *label))
            .collect();
        Timetable::new(zone.parse().unwrap(), &slots).unwrap()
    }

    fn occurrences(t: &Timetable, from: &str, to: &str) -> Vec<(Interval, u16)> {
        t.occurrences(at(from), at(to)).collect()
    }

    fn window(start: &str, end: &str, address: u16, origin: WindowOrigin) -> CurfewWindow {
        CurfewWindow {
            span: span(start, end),
            address,
            origin,
        }
    }

    #[test]
    fn a_slot_crossing_midnight_ends_the_next_day() {
        // Riga in winter is UTC+2.
        let t = timetable("Europe/Riga", &[(Mon, "21:00", "07:00", 0)]);
        let night = span("2026-01-12T19:00:00Z", "2026-01-13T05:00:00Z");
        assert_eq!(
            occurrences(&t, "2026-01-12T00:00:00Z", "2026-01-14T00:00:00Z"),
            [(night, 0)]
        );
        // Not clipped to the range asked about.
        assert_eq!(
            occurrences(&t, "2026-01-13T04:00:00Z", "2026-01-13T04:00:01Z"),
            [(night, 0)]
        );
        assert_eq!(
            t.occurrence_at(at("2026-01-12T19:00:00Z")),
            Some((night, 0))
        );
        assert_eq!(
            t.occurrence_at(at("2026-01-13T04:59:59Z")),
            Some((night, 0))
        );
        assert_eq!(t.occurrence_at(at("2026-01-13T05:00:00Z")), None);
        assert_eq!(t.occurrence_at(at("2026-01-12T18:59:59Z")), None);
        assert_eq!(
            t.next_occurrence_after(at("2026-01-12T18:59:59Z")),
            Some((night, 0))
        );
        assert_eq!(
            t.next_occurrence_after(at("2026-01-12T19:00:00Z")),
            Some((span("2026-01-19T19:00:00Z", "2026-01-20T05:00:00Z"), 0))
        );
        assert_eq!(night.len(), Span::hours(10));
    }

    #[test]
    fn several_slots_on_one_day_come_in_order() {
        let t = timetable(
            "UTC",
            &[
                (Wed, "20:00", "23:00", 0),
                (Wed, "06:00", "08:00", 0),
                (Wed, "12:00", "13:30", 1),
            ],
        );
        // 2026-01-14 is a Wednesday.
        assert_eq!(
            occurrences(&t, "2026-01-14T00:00:00Z", "2026-01-15T00:00:00Z"),
            [
                (span("2026-01-14T06:00:00Z", "2026-01-14T08:00:00Z"), 0),
                (span("2026-01-14T12:00:00Z", "2026-01-14T13:30:00Z"), 1),
                (span("2026-01-14T20:00:00Z", "2026-01-14T23:00:00Z"), 0),
            ]
        );
        assert_eq!(
            t.next_occurrence_after(at("2026-01-14T06:30:00Z")),
            Some((span("2026-01-14T12:00:00Z", "2026-01-14T13:30:00Z"), 1))
        );
        assert_eq!(t.occurrence_at(at("2026-01-14T10:00:00Z")), None);
    }

    #[test]
    fn different_addresses_on_different_days() {
        let t = timetable(
            "UTC",
            &[(Fri, "22:00", "08:00", 0), (Sat, "22:00", "08:00", 1)],
        );
        // 2026-01-16 is a Friday.
        assert_eq!(
            occurrences(&t, "2026-01-16T00:00:00Z", "2026-01-18T00:00:00Z"),
            [
                (span("2026-01-16T22:00:00Z", "2026-01-17T08:00:00Z"), 0),
                (span("2026-01-17T22:00:00Z", "2026-01-18T08:00:00Z"), 1),
            ]
        );
        assert_eq!(
            t.occurrence_at(at("2026-01-18T07:00:00Z")).map(|o| o.1),
            Some(1)
        );
    }

    #[test]
    fn riga_spring_gap_and_autumn_fold() {
        let night = timetable("Europe/Riga", &[(Sat, "21:00", "07:00", 0)]);
        let small_hours = timetable("Europe/Riga", &[(Sun, "03:30", "05:00", 1)]);
        // Spring: 03:00 EET (01:00Z) becomes 04:00 EEST on Sunday 29 March.
        let (from, to) = ("2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z");
        let spring = occurrences(&night, from, to);
        // 21:00 EET to 07:00 EEST: 9 hours.
        assert_eq!(
            spring,
            [(span("2026-03-28T19:00:00Z", "2026-03-29T04:00:00Z"), 0)]
        );
        assert_eq!(spring[0].0.len(), Span::hours(9));
        // 03:30 does not exist: it is 04:00 EEST, the end of the gap.
        assert_eq!(
            occurrences(&small_hours, from, to),
            [(span("2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"), 1)]
        );
        assert_eq!(small_hours.occurrence_at(at("2026-03-29T00:59:59Z")), None);
        // Autumn: 04:00 EEST (01:00Z) becomes 03:00 EET on Sunday 25 October.
        let (from, to) = ("2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z");
        let autumn = occurrences(&night, from, to);
        // 21:00 EEST to 07:00 EET: 11 hours.
        assert_eq!(
            autumn,
            [(span("2026-10-24T18:00:00Z", "2026-10-25T05:00:00Z"), 0)]
        );
        assert_eq!(autumn[0].0.len(), Span::hours(11));
        // 03:30 happens twice: the first, summer-time 03:30 counts.
        let repeated = span("2026-10-25T00:30:00Z", "2026-10-25T03:00:00Z");
        assert_eq!(occurrences(&small_hours, from, to), [(repeated, 1)]);
        // The second 03:15 (EET, 01:15Z) is inside the slot that began at the first 03:30.
        assert_eq!(
            small_hours.occurrence_at(at("2026-10-25T01:15:00Z")),
            Some((repeated, 1))
        );
        // A slot ending in the fold ends at the first occurrence of its end.
        let early = timetable("Europe/Riga", &[(Sun, "01:00", "03:30", 0)]);
        assert_eq!(
            occurrences(&early, from, to),
            [(span("2026-10-24T22:00:00Z", "2026-10-25T00:30:00Z"), 0)]
        );
        assert_eq!(early.occurrence_at(at("2026-10-25T00:45:00Z")), None);
    }

    #[test]
    fn a_slot_inside_the_gap_is_skipped() {
        let t = timetable("Europe/Riga", &[(Sun, "03:10", "03:50", 0)]);
        assert_eq!(
            occurrences(&t, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"),
            []
        );
        assert_eq!(t.occurrence_at(at("2026-03-29T01:00:00Z")), None);
        assert_eq!(
            t.next_occurrence_after(at("2026-03-28T00:00:00Z")),
            Some((span("2026-04-05T00:10:00Z", "2026-04-05T00:50:00Z"), 0))
        );
        // A slot that starts in the gap and ends after it starts at the end of the gap.
        let t = timetable("Europe/Riga", &[(Sun, "03:10", "04:30", 0)]);
        assert_eq!(
            occurrences(&t, "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z"),
            [(span("2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"), 0)]
        );
    }

    #[test]
    fn new_york_changes_at_two_in_the_morning() {
        let night = timetable("America/New_York", &[(Sat, "22:00", "06:00", 0)]);
        // Spring, Sunday 8 March: 02:00 EST (07:00Z) becomes 03:00 EDT; 7 hours.
        assert_eq!(
            occurrences(&night, "2026-03-07T12:00:00Z", "2026-03-08T12:00:00Z"),
            [(span("2026-03-08T03:00:00Z", "2026-03-08T10:00:00Z"), 0)]
        );
        // Autumn, Sunday 1 November: 02:00 EDT (06:00Z) becomes 01:00 EST; 9 hours.
        assert_eq!(
            occurrences(&night, "2026-10-31T12:00:00Z", "2026-11-01T12:00:00Z"),
            [(span("2026-11-01T02:00:00Z", "2026-11-01T11:00:00Z"), 0)]
        );
        let small_hours = timetable("America/New_York", &[(Sun, "02:30", "04:00", 0)]);
        assert_eq!(
            occurrences(&small_hours, "2026-03-07T12:00:00Z", "2026-03-08T12:00:00Z"),
            [(span("2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"), 0)]
        );
        let repeated = timetable("America/New_York", &[(Sun, "01:30", "03:00", 0)]);
        assert_eq!(
            occurrences(&repeated, "2026-10-31T12:00:00Z", "2026-11-01T12:00:00Z"),
            [(span("2026-11-01T05:30:00Z", "2026-11-01T08:00:00Z"), 0)]
        );
    }

    #[test]
    fn lord_howe_moves_by_half_an_hour() {
        // Standard time is UTC+10:30, summer time UTC+11. Summer starts on Sunday 4 October
        // 2026 at 02:00 (15:30Z on the 3rd), when clocks go to 02:30.
        let night = timetable("Australia/Lord_Howe", &[(Sat, "21:00", "07:00", 0)]);
        let spring = occurrences(&night, "2026-10-03T00:00:00Z", "2026-10-04T00:00:00Z");
        assert_eq!(
            spring,
            [(span("2026-10-03T10:30:00Z", "2026-10-03T20:00:00Z"), 0)]
        );
        assert_eq!(spring[0].0.len(), Span::minutes(9 * 60 + 30));
        let gap = timetable("Australia/Lord_Howe", &[(Sun, "02:10", "03:00", 0)]);
        assert_eq!(
            occurrences(&gap, "2026-10-03T00:00:00Z", "2026-10-04T00:00:00Z"),
            [(span("2026-10-03T15:30:00Z", "2026-10-03T16:00:00Z"), 0)]
        );
        // Summer ends on Sunday 5 April 2026 at 02:00 (15:00Z on the 4th), when clocks go back
        // to 01:30: 01:45 happens twice and the first counts.
        let fold = timetable("Australia/Lord_Howe", &[(Sun, "01:45", "03:00", 0)]);
        let autumn = occurrences(&fold, "2026-04-04T00:00:00Z", "2026-04-05T00:00:00Z");
        assert_eq!(
            autumn,
            [(span("2026-04-04T14:45:00Z", "2026-04-04T16:30:00Z"), 0)]
        );
        assert_eq!(autumn[0].0.len(), Span::minutes(105));
    }

    #[test]
    fn bad_timetables_are_refused() {
        let refused = |slots: &[(Weekday, &str, &str)]| {
            let slots: Vec<_> = slots
                .iter()
                .map(|(day, start, end)| (slot(*day, start, end), 0))
                .collect();
            Timetable::new(TimeZone::default(), &slots)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused(&[(Mon, "21:00", "21:00")]),
            "weekly slot mon 21:00–21:00 starts and ends at the same time"
        );
        assert_eq!(
            refused(&[(Tue, "06:00", "08:00"), (Mon, "21:00", "07:00")]),
            "weekly slots mon 21:00–07:00 and tue 06:00–08:00 overlap"
        );
        // Round the end of the week, and at different addresses all the same.
        let slots = [
            (slot(Mon, "00:30", "02:00"), 0),
            (slot(Sun, "23:00", "01:00"), 1),
        ];
        assert_eq!(
            Timetable::new(TimeZone::default(), &slots).unwrap_err(),
            ScheduleError::Overlap(slot(Sun, "23:00", "01:00"), slot(Mon, "00:30", "02:00"))
        );
        assert_eq!(
            refused(&[(Wed, "10:00", "12:00"), (Wed, "10:00", "11:00")]),
            "weekly slots wed 10:00–12:00 and wed 10:00–11:00 overlap"
        );
        let fraction = WeeklySlot {
            day: Fri,
            start: NaiveTime::from_hms_milli_opt(10, 0, 0, 500).unwrap(),
            end: NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
        };
        assert_eq!(
            Timetable::new(TimeZone::default(), &[(fraction.clone(), 0)]),
            Err(ScheduleError::FractionalTime(fraction))
        );
        // Touching slots are fine, round the week too.
        let touching = timetable(
            "UTC",
            &[
                (Sun, "21:00", "07:00", 0),
                (Mon, "07:00", "09:00", 0),
                (Sat, "12:00", "21:00", 1),
                (Sun, "12:00", "21:00", 1),
            ],
        );
        assert_eq!(touching.always(), None);
        assert!(!touching.is_empty());
    }

    #[test]
    fn time_zones_are_checked() {
        assert_eq!(
            "Mars/Base".parse::<TimeZone>().unwrap_err().to_string(),
            "unknown time zone `Mars/Base`"
        );
        assert_eq!(
            "Pacific/Chatham".parse::<TimeZone>(),
            Ok(TimeZone(chrono_tz::Pacific::Chatham))
        );
        assert_eq!(TimeZone::default().to_string(), "Europe/Riga");
        let err = serde_json::from_str::<TimeZone>("\"Mars/Base\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown time zone `Mars/Base`"),
            "{err}"
        );
        let zone: TimeZone = serde_json::from_str("\"America/Santiago\"").unwrap();
        assert_eq!(
            serde_json::to_string(&zone).unwrap(),
            "\"America/Santiago\""
        );
        assert!("europe/riga".parse::<TimeZone>().is_err());
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Slots {
        zone: TimeZone,
        slots: Vec<WeeklySlot>,
    }

    #[test]
    fn slots_read_and_write() {
        let text = r#"
            zone = "Europe/Riga"
            slots = [
                { day = "mon", start = "21:00", end = "07:00" },
                { day = "sun", start = "12:00:30", end = "13:00" },
            ]
        "#;
        let read: Slots = toml::from_str(text).unwrap();
        assert_eq!(
            read,
            Slots {
                zone: TimeZone::default(),
                slots: vec![slot(Mon, "21:00", "07:00"), slot(Sun, "12:00:30", "13:00")],
            }
        );
        assert_eq!(
            read.slots[1].start,
            NaiveTime::from_hms_opt(12, 0, 30).unwrap()
        );
        let again: Slots = toml::from_str(&toml::to_string(&read).unwrap()).unwrap();
        assert_eq!(again, read);
        let json = serde_json::to_string(&read.slots[0]).unwrap();
        assert_eq!(json, r#"{"day":"mon","start":"21:00","end":"07:00"}"#);
        assert_eq!(
            serde_json::from_str::<WeeklySlot>(&json).unwrap(),
            read.slots[0]
        );
        assert_eq!(read.slots[1].to_string(), "sun 12:00:30–13:00");
    }

    #[test]
    fn bad_slots_are_errors() {
        let read = |text: &str| {
            toml::from_str::<WeeklySlot>(text)
                .map_err(|e| e.to_string())
                .err()
                .unwrap_or_else(|| panic!("{text:?} accepted"))
        };
        for time in [
            "25:00", "24:00", "21:60", "7:00", "07:00:60", "07-00", "0700", "07:00:0", " 07:00", "",
        ] {
            let err = read(&format!(
                "day = \"mon\"\nstart = \"{time}\"\nend = \"08:00\""
            ));
            assert!(err.contains("is not a time of day"), "{time:?}: {err}");
        }
        for day in ["monday?", "Mon", "monday", "mo", "8"] {
            let err = read(&format!(
                "day = \"{day}\"\nstart = \"07:00\"\nend = \"08:00\""
            ));
            assert!(err.contains("is not a day"), "{day:?}: {err}");
        }
        assert!(read("day = \"mon\"\nstart = \"07:00\"").contains("missing field `end`"));
        assert!(read("start = \"07:00\"\nend = \"08:00\"").contains("missing field `day`"));
        assert!(
            read("day = \"mon\"\nstart = \"07:00\"\nend = \"08:00\"\naddress = \"home\"")
                .contains("unknown field `address`")
        );
        assert!(read("day = 1\nstart = \"07:00\"\nend = \"08:00\"").contains("string"));
    }

    #[test]
    fn absences_and_extras_read_and_write() {
        let absence: AuthorisedAbsence = toml::from_str(
            r#"
            id = "a1"
            from = "2026-03-02T08:00:00+02:00"
            until = "2026-03-02T17:00:00+02:00"
            reason = "programme"
            "#,
        )
        .unwrap();
        assert_eq!(absence.reason, AbsenceReason::Programme);
        assert_eq!(
            absence.span(),
            span("2026-03-02T06:00:00Z", "2026-03-02T15:00:00Z")
        );
        let again: AuthorisedAbsence =
            serde_json::from_str(&serde_json::to_string(&absence).unwrap()).unwrap();
        assert_eq!(again, absence);
        let plain: AuthorisedAbsence = serde_json::from_str(
            r#"{"id":"a2","from":"2026-03-02T08:00:00Z","until":"2026-03-02T09:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(plain.reason, AbsenceReason::Other);
        for bad in [
            r#"{"id":"a2","from":"2026-03-02T08:00:00Z","until":"2026-03-02T09:00:00Z","reason":"party"}"#,
            r#"{"id":"a2","from":"2026-03-02T08:00:00Z","until":"2026-03-02T09:00:00Z","note":"x"}"#,
            r#"{"id":"a2","from":"2026-03-02T08:00:00Z"}"#,
            r#"{"id":"a2","from":"2026-03-02 08:00","until":"2026-03-02T09:00:00Z"}"#,
        ] {
            assert!(
                serde_json::from_str::<AuthorisedAbsence>(bad).is_err(),
                "{bad}"
            );
        }
        let extra: ExtraCurfew = toml::from_str(
            r#"
            id = "first-night"
            from = "2026-03-02T18:00:00Z"
            until = "2026-03-03T07:00:00Z"
            address = "home"
            "#,
        )
        .unwrap();
        assert_eq!(extra.span().len(), Span::hours(13));
        let again: ExtraCurfew = toml::from_str(&toml::to_string(&extra).unwrap()).unwrap();
        assert_eq!(again, extra);
        assert!(
            toml::from_str::<ExtraCurfew>(
                "id = \"x\"\nfrom = \"2026-03-02T18:00:00Z\"\nuntil = \"2026-03-03T07:00:00Z\""
            )
            .unwrap_err()
            .to_string()
            .contains("missing field `address`")
        );
        assert!(
            toml::from_str::<ExtraCurfew>(
                "id = \"x\"\nfrom = \"2026-03-02T18:00:00Z\"\nuntil = \"2026-03-03T07:00:00Z\"\naddress = \"home\"\nreason = \"work\""
            )
            .unwrap_err()
            .to_string()
            .contains("unknown field `reason`")
        );
    }

    /// Mondays and Tuesdays 21:00 to 07:00 at home (address 0), in UTC.
    fn two_nights() -> Timetable {
        timetable(
            "UTC",
            &[(Mon, "21:00", "07:00", 0), (Tue, "21:00", "07:00", 0)],
        )
    }

    #[test]
    fn absences_split_and_remove_windows() {
        // 2026-01-12 is a Monday.
        let plan = CurfewPlan::new(
            two_nights(),
            Vec::new(),
            vec![
                span("2026-01-12T23:00:00Z", "2026-01-13T01:00:00Z"),
                // Two absences that overlap, together covering Tuesday night.
                span("2026-01-13T20:00:00Z", "2026-01-14T02:00:00Z"),
                span("2026-01-14T01:00:00Z", "2026-01-14T08:00:00Z"),
            ],
        )
        .unwrap();
        let split = [
            window(
                "2026-01-12T21:00:00Z",
                "2026-01-12T23:00:00Z",
                0,
                WindowOrigin::Weekly,
            ),
            window(
                "2026-01-13T01:00:00Z",
                "2026-01-13T07:00:00Z",
                0,
                WindowOrigin::Weekly,
            ),
        ];
        assert_eq!(
            plan.windows(at("2026-01-12T00:00:00Z"), at("2026-01-15T00:00:00Z")),
            split
        );
        assert_eq!(plan.window_at(at("2026-01-12T22:00:00Z")), Some(split[0]));
        assert_eq!(plan.window_at(at("2026-01-13T00:00:00Z")), None);
        assert_eq!(plan.window_at(at("2026-01-13T06:59:59Z")), Some(split[1]));
        assert_eq!(plan.window_at(at("2026-01-13T22:00:00Z")), None);
        assert_eq!(
            plan.next_window_after(at("2026-01-12T21:00:00Z")),
            Some(split[1])
        );
        assert_eq!(
            plan.next_window_after(at("2026-01-13T01:00:00Z")),
            Some(window(
                "2026-01-19T21:00:00Z",
                "2026-01-20T07:00:00Z",
                0,
                WindowOrigin::Weekly
            ))
        );
    }

    #[test]
    fn the_first_night_merges_with_the_weekly_slot_at_the_same_address() {
        let plan = CurfewPlan::new(
            two_nights(),
            vec![(
                span("2026-01-12T15:00:00Z", "2026-01-12T22:00:00Z"),
                0,
                WindowOrigin::FirstNight,
            )],
            Vec::new(),
        )
        .unwrap();
        let first = window(
            "2026-01-12T15:00:00Z",
            "2026-01-13T07:00:00Z",
            0,
            WindowOrigin::FirstNight,
        );
        assert_eq!(
            plan.windows(at("2026-01-12T00:00:00Z"), at("2026-01-13T00:00:00Z")),
            [first]
        );
        // Whole, whichever end it is asked about from.
        assert_eq!(plan.window_at(at("2026-01-13T06:00:00Z")), Some(first));
        assert_eq!(
            plan.next_window_after(at("2026-01-12T00:00:00Z")),
            Some(first)
        );
        assert_eq!(
            plan.next_window_after(at("2026-01-12T15:00:00Z")),
            Some(window(
                "2026-01-13T21:00:00Z",
                "2026-01-14T07:00:00Z",
                0,
                WindowOrigin::Weekly
            ))
        );
        // After an absence over the first evening, the window starts at 21:30, when both the
        // first-night period and the weekly slot are in force: the first night names it.
        let plan = CurfewPlan::new(
            two_nights(),
            vec![(
                span("2026-01-12T15:00:00Z", "2026-01-12T22:00:00Z"),
                0,
                WindowOrigin::FirstNight,
            )],
            vec![span("2026-01-12T15:00:00Z", "2026-01-12T21:30:00Z")],
        )
        .unwrap();
        assert_eq!(
            plan.window_at(at("2026-01-12T23:00:00Z")),
            Some(window(
                "2026-01-12T21:30:00Z",
                "2026-01-13T07:00:00Z",
                0,
                WindowOrigin::FirstNight
            ))
        );
    }

    #[test]
    fn extras_elsewhere_may_not_overlap() {
        let extra =
            |start: &str, end: &str, address| (span(start, end), address, WindowOrigin::Extra);
        let err = CurfewPlan::new(
            two_nights(),
            vec![extra("2026-01-12T18:00:00Z", "2026-01-12T21:00:01Z", 1)],
            Vec::new(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "extra curfew #0 (2026-01-12T18:00:00Z to 2026-01-12T21:00:01Z) at address #1 \
             overlaps the weekly curfew from 2026-01-12T21:00:00Z to 2026-01-13T07:00:00Z at \
             address #0: the client cannot be in two places at once"
        );
        let err = CurfewPlan::new(
            timetable("UTC", &[]),
            vec![
                extra("2026-02-01T10:00:00Z", "2026-02-03T10:00:00Z", 0),
                extra("2026-01-01T10:00:00Z", "2026-01-03T10:00:00Z", 1),
                extra("2026-02-02T10:00:00Z", "2026-02-02T12:00:00Z", 0),
                extra("2026-02-03T09:00:00Z", "2026-02-04T12:00:00Z", 1),
            ],
            Vec::new(),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                ScheduleError::Conflict {
                    index: 0,
                    other_address: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        // Ending where a slot elsewhere starts is fine, and the two stay apart.
        let plan = CurfewPlan::new(
            two_nights(),
            vec![extra("2026-01-12T18:00:00Z", "2026-01-12T21:00:00Z", 1)],
            Vec::new(),
        )
        .unwrap();
        assert_eq!(
            plan.windows(at("2026-01-12T00:00:00Z"), at("2026-01-13T00:00:00Z")),
            [
                window(
                    "2026-01-12T18:00:00Z",
                    "2026-01-12T21:00:00Z",
                    1,
                    WindowOrigin::Extra
                ),
                window(
                    "2026-01-12T21:00:00Z",
                    "2026-01-13T07:00:00Z",
                    0,
                    WindowOrigin::Weekly
                ),
            ]
        );
        assert_eq!(
            plan.next_window_after(at("2026-01-12T18:00:00Z"))
                .map(|w| w.address),
            Some(0)
        );
    }

    #[test]
    fn a_window_can_start_where_an_extra_elsewhere_ends() {
        // A weekly slot at address 1 inside an extra at address 1, and the Monday night at
        // home starting as the extra ends.
        let t = timetable(
            "UTC",
            &[
                (Mon, "19:00", "20:00", 1),
                (Mon, "21:00", "07:00", 0),
                (Tue, "21:00", "07:00", 0),
            ],
        );
        let plan = CurfewPlan::new(
            t,
            vec![(
                span("2026-01-12T18:00:00Z", "2026-01-12T21:00:00Z"),
                1,
                WindowOrigin::Extra,
            )],
            Vec::new(),
        )
        .unwrap();
        assert_eq!(
            plan.window_at(at("2026-01-12T19:30:00Z")),
            Some(window(
                "2026-01-12T18:00:00Z",
                "2026-01-12T21:00:00Z",
                1,
                WindowOrigin::Extra
            ))
        );
        assert_eq!(
            plan.next_window_after(at("2026-01-12T18:30:00Z")),
            Some(window(
                "2026-01-12T21:00:00Z",
                "2026-01-13T07:00:00Z",
                0,
                WindowOrigin::Weekly
            ))
        );
    }

    #[test]
    fn empty_periods_are_refused() {
        let moment = span("2026-01-12T18:00:00Z", "2026-01-12T18:00:00Z");
        assert_eq!(
            CurfewPlan::new(
                two_nights(),
                vec![(moment, 0, WindowOrigin::FirstNight)],
                Vec::new()
            )
            .unwrap_err()
            .to_string(),
            "first-night curfew #0 (2026-01-12T18:00:00Z to 2026-01-12T18:00:00Z) does not end \
             after it starts"
        );
        let backwards = span("2026-01-12T18:00:00Z", "2026-01-12T17:00:00Z");
        assert_eq!(
            CurfewPlan::new(two_nights(), Vec::new(), vec![moment, backwards]).unwrap_err(),
            ScheduleError::EmptyAbsence {
                index: 0,
                span: moment
            }
        );
    }

    #[test]
    fn touching_slots_at_one_address_join() {
        let joined = timetable(
            "UTC",
            &[(Sun, "21:00", "07:00", 0), (Mon, "07:00", "09:00", 0)],
        );
        let plan = CurfewPlan::new(joined, Vec::new(), Vec::new()).unwrap();
        // 2026-01-11 is a Sunday.
        let whole = window(
            "2026-01-11T21:00:00Z",
            "2026-01-12T09:00:00Z",
            0,
            WindowOrigin::Weekly,
        );
        assert_eq!(
            plan.windows(at("2026-01-12T08:00:00Z"), at("2026-01-12T08:00:01Z")),
            [whole]
        );
        assert_eq!(plan.window_at(at("2026-01-11T21:00:00Z")), Some(whole));
        assert_eq!(plan.window_at(at("2026-01-12T08:59:59Z")), Some(whole));
        assert_eq!(
            plan.next_window_after(at("2026-01-11T20:00:00Z")),
            Some(whole)
        );
        assert_eq!(
            plan.next_window_after(at("2026-01-11T21:00:00Z"))
                .map(|w| w.span.start),
            Some(at("2026-01-18T21:00:00Z"))
        );
        let apart = timetable(
            "UTC",
            &[(Sun, "21:00", "07:00", 0), (Mon, "07:00", "09:00", 1)],
        );
        let plan = CurfewPlan::new(apart, Vec::new(), Vec::new()).unwrap();
        assert_eq!(
            plan.windows(at("2026-01-12T06:00:00Z"), at("2026-01-12T08:00:00Z")),
            [
                window(
                    "2026-01-11T21:00:00Z",
                    "2026-01-12T07:00:00Z",
                    0,
                    WindowOrigin::Weekly
                ),
                window(
                    "2026-01-12T07:00:00Z",
                    "2026-01-12T09:00:00Z",
                    1,
                    WindowOrigin::Weekly
                ),
            ]
        );
        assert_eq!(
            plan.next_window_after(at("2026-01-12T06:00:00Z"))
                .map(|w| w.address),
            Some(1)
        );
    }

    #[test]
    fn a_curfew_that_never_lets_up_is_cut_at_the_horizon() {
        let days = [Mon, Tue, Wed, Thu, Fri, Sat, Sun];
        let slots: Vec<_> = days
            .iter()
            .flat_map(|day| [(*day, "00:00", "12:00", 0), (*day, "12:00", "00:00", 0)])
            .collect();
        let always = timetable("Europe/Riga", &slots);
        assert_eq!(always.always(), Some(0));
        let plan = CurfewPlan::new(always.clone(), Vec::new(), Vec::new()).unwrap();
        let t = at("2026-03-29T01:30:00Z");
        let w = plan.window_at(t).unwrap();
        assert!(w.span.start <= t.saturating_sub(MERGE_HORIZON), "{w:?}");
        assert!(w.span.end >= t.saturating_add(MERGE_HORIZON), "{w:?}");
        assert_eq!(plan.windows(t, t.saturating_add(Span::hours(1))).len(), 1);
        assert_eq!(plan.next_window_after(t), None);
        // Until an absence ends.
        let absence = span("2026-04-10T08:00:00Z", "2026-04-10T17:00:00Z");
        let plan = CurfewPlan::new(always, Vec::new(), vec![absence]).unwrap();
        let next = plan.next_window_after(t).unwrap();
        assert_eq!(next.span.start, absence.end);
        assert!(next.span.len() >= MERGE_HORIZON);
        assert_eq!(plan.window_at(at("2026-04-10T12:00:00Z")), None);
        assert_eq!(
            plan.window_at(at("2026-04-10T07:59:59Z"))
                .map(|w| w.span.end),
            Some(absence.start)
        );
    }

    #[test]
    fn a_long_extra_does_not_slow_the_search() {
        let plan = CurfewPlan::new(
            two_nights(),
            vec![(
                span("2026-01-01T00:00:00Z", "2126-01-01T00:00:00Z"),
                0,
                WindowOrigin::Extra,
            )],
            vec![span("2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z")],
        );
        // Checking a century of weekly slots against the extra is the slow part, and it is
        // done once.
        let plan = plan.unwrap();
        assert_eq!(
            plan.next_window_after(at("2026-01-10T00:00:00Z"))
                .map(|w| w.span.start),
            Some(at("2026-02-02T00:00:00Z"))
        );
        // 2125-12-31 is a Monday: that night joins the extra, Tuesday's is the next window.
        assert_eq!(
            plan.next_window_after(at("2026-02-03T00:00:00Z")),
            Some(window(
                "2126-01-01T21:00:00Z",
                "2126-01-02T07:00:00Z",
                0,
                WindowOrigin::Weekly
            ))
        );
    }

    #[test]
    fn empty_plans_have_no_windows() {
        let plan = CurfewPlan::new(timetable("UTC", &[]), Vec::new(), Vec::new()).unwrap();
        let t = at("2026-01-12T00:00:00Z");
        assert_eq!(plan.window_at(t), None);
        assert_eq!(plan.next_window_after(t), None);
        assert!(plan.windows(t, Timestamp(t.0 + 30 * DAY_MS)).is_empty());
        assert!(plan.timetable().is_empty());
        assert_eq!(plan.timetable().next_occurrence_after(t), None);
    }

    #[test]
    fn the_ends_of_time_do_not_panic() {
        let t = timetable("Pacific/Chatham", &[(Sun, "21:00", "07:00", 0)]);
        for instant in [
            Timestamp::MIN,
            Timestamp(i64::MIN),
            Timestamp::MAX,
            Timestamp(i64::MAX),
        ] {
            let _ = t.occurrence_at(instant);
            let _ = t.next_occurrence_after(instant);
            let _ = t
                .occurrences(instant, instant.saturating_add(Span(7 * DAY_MS)))
                .count();
            let plan = CurfewPlan::new(t.clone(), Vec::new(), Vec::new()).unwrap();
            let _ = plan.window_at(instant);
            let _ = plan.next_window_after(instant);
        }
    }
}
