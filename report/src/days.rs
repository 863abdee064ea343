//! Per day of the period, in the order's time zone: the curfew hours required and how many were
//! kept (the evidence shows the probation client at the address), breached, away within the
//! grace the order allows, or unknown (no data: a communication gap, which is not a breach).
//!
//! Days are local calendar days, so the day clocks go forward is 23 hours long and the day they
//! go back 25 (in Europe/Riga). The curfew windows come from the rules engine's own plan (weekly
//! slots, extra periods and the first night, with authorised absences already cut out), never
//! from a second reading of the timetable here; the evidence is the rules engine's too
//! ([`rules::presence_evidence`]). A breach counts before evidence (the engine judged it), then
//! presence, then absence; what none covers has no data, so `kept + breach + grace + unknown =
//! required` by construction.

use chrono::{Days, MappedLocalTime, NaiveDate, TimeZone as _};
use chrono_tz::Tz;
use rules::Timestamp;
use rules::schedule::{CurfewPlan, Interval};
use serde::{Deserialize, Serialize};

/// A set of instants as sorted, disjoint, non-touching half-open `[start, end)` ms intervals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spans(Vec<(i64, i64)>);

impl Spans {
    /// The set of the given intervals: empty ones dropped, overlapping and touching ones merged.
    pub fn new(mut spans: Vec<(i64, i64)>) -> Spans {
        spans.retain(|(s, e)| s < e);
        spans.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        Spans(merged)
    }

    /// The set of the given intervals, as [`Spans::new`].
    pub fn of(intervals: impl IntoIterator<Item = Interval>) -> Spans {
        Spans::new(
            intervals
                .into_iter()
                .map(|i| (i.start.0, i.end.0))
                .collect(),
        )
    }

    /// The intervals, sorted and disjoint.
    pub fn as_slice(&self) -> &[(i64, i64)] {
        &self.0
    }

    /// How long the set covers, in ms.
    pub fn total(&self) -> i64 {
        self.0.iter().map(|(s, e)| e - s).sum()
    }

    /// The instants in both sets.
    pub fn intersect(&self, other: &Spans) -> Spans {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (self.0[i], other.0[j]);
            let (s, e) = (a.0.max(b.0), a.1.min(b.1));
            if s < e {
                out.push((s, e));
            }
            if a.1 < b.1 { i += 1 } else { j += 1 }
        }
        Spans(out)
    }

    /// The instants in this set and not in `other` (curfew time minus absences, say).
    pub fn subtract(&self, other: &Spans) -> Spans {
        let mut out = Vec::new();
        for &(s, e) in &self.0 {
            let mut from = s;
            for &(os, oe) in &other.0 {
                if oe <= from || os >= e {
                    continue;
                }
                if os > from {
                    out.push((from, os));
                }
                from = from.max(oe);
            }
            if from < e {
                out.push((from, e));
            }
        }
        Spans(out)
    }

    /// The instants of this set within `[from, to)`.
    pub fn clip(&self, from: i64, to: i64) -> Spans {
        self.intersect(&Spans(vec![(from, to)]))
    }
}

/// One local day of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Day {
    /// The local date.
    pub date: NaiveDate,
    /// How long the day is: 24 h, or 23 h / 25 h when the clocks change.
    pub length_ms: i64,
    /// The day's curfew hours: required, kept, in breach, excused or without data.
    #[serde(flatten)]
    pub hours: Hours,
}

/// The curfew time of a day, or of the whole period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Hours {
    /// Curfew time the order required (authorised absences cut out).
    pub required_ms: i64,
    /// Required time the evidence shows the client at the address, not in a breach.
    pub kept_ms: i64,
    /// Required time in a curfew breach.
    pub breach_ms: i64,
    /// Required time the evidence shows the client away, but not for long enough to breach
    /// (the order's grace: a few minutes late, say).
    pub grace_ms: i64,
    /// Required time with no evidence either way (a communication gap, or after the devices'
    /// last word), not in a breach: not counted either way.
    pub unknown_ms: i64,
    /// Curfew time excused by an authorised absence.
    pub excused_ms: i64,
}

impl std::ops::Add for &Hours {
    type Output = Hours;

    fn add(self, other: &Hours) -> Hours {
        Hours {
            required_ms: self.required_ms + other.required_ms,
            kept_ms: self.kept_ms + other.kept_ms,
            breach_ms: self.breach_ms + other.breach_ms,
            grace_ms: self.grace_ms + other.grace_ms,
            unknown_ms: self.unknown_ms + other.unknown_ms,
            excused_ms: self.excused_ms + other.excused_ms,
        }
    }
}

/// What the days are made from, all as instants.
#[derive(Clone, Debug, Default)]
pub struct DayInputs {
    /// Curfew windows the client had to keep (absences cut out), within the monitored period.
    pub required: Spans,
    /// Curfew time excused by authorised absences.
    pub excused: Spans,
    /// Curfew breach episodes (not withdrawn).
    pub breach: Spans,
    /// When the evidence shows the client at the address of the window they were in...
    pub present: Spans,
    /// ...and when away from it.
    pub away: Spans,
}

/// The first instant of a local date: midnight, or the end of a gap if midnight does not exist
/// there (zones that change at midnight), as the rules engine maps local times.
pub fn day_start(tz: Tz, date: NaiveDate) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&midnight) {
        MappedLocalTime::Single(t) | MappedLocalTime::Ambiguous(t, _) => t.timestamp_millis(),
        // In a gap: the wall clock jumps past midnight; the day starts when the gap ends, which
        // is the same instant in UTC as midnight read with the offset before the change.
        MappedLocalTime::None => {
            let before = tz.offset_from_utc_datetime(&midnight);
            let offset = chrono::Offset::fix(&before).local_minus_utc();
            midnight.and_utc().timestamp_millis() - i64::from(offset) * 1000
        }
    }
}

/// The days from `from` to `to` inclusive.
pub fn days(tz: Tz, from: NaiveDate, to: NaiveDate, inputs: &DayInputs) -> Vec<Day> {
    let breach = inputs.breach.intersect(&inputs.required);
    let kept = inputs.present.intersect(&inputs.required).subtract(&breach);
    let grace = inputs
        .away
        .intersect(&inputs.required)
        .subtract(&breach)
        .subtract(&kept);
    let mut out = Vec::new();
    let mut date = from;
    while date <= to {
        let Some(next) = date.checked_add_days(Days::new(1)) else {
            break;
        };
        let (s, e) = (day_start(tz, date), day_start(tz, next));
        let required_ms = inputs.required.clip(s, e).total();
        let kept_ms = kept.clip(s, e).total();
        let breach_ms = breach.clip(s, e).total();
        let grace_ms = grace.clip(s, e).total();
        out.push(Day {
            date,
            length_ms: e - s,
            hours: Hours {
                required_ms,
                kept_ms,
                breach_ms,
                grace_ms,
                unknown_ms: required_ms - kept_ms - breach_ms - grace_ms,
                excused_ms: inputs.excused.clip(s, e).total(),
            },
        });
        date = next;
    }
    out
}

/// The curfew windows of `plan` within `[from, to)`, clipped to it.
pub fn windows(plan: &CurfewPlan, from: i64, to: i64) -> Spans {
    Spans::of(
        plan.windows(Timestamp(from), Timestamp(to))
            .into_iter()
            .map(|w| w.span),
    )
    .clip(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rules::schedule::{TimeZone, Timetable, WeeklySlot, WindowOrigin};

    const H: i64 = 3_600_000;

    fn riga() -> Tz {
        TimeZone::default().0
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32) -> i64 {
        date(y, m, d)
            .and_hms_opt(h, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    /// Every night 21:00 to 07:00 in Riga.
    fn nightly(absences: Vec<Interval>) -> CurfewPlan {
        let slots: Vec<(WeeklySlot, u16)> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| {
                let slot: WeeklySlot = serde_json::from_value(
                    serde_json::json!({"day": d, "start": "21:00", "end": "07:00"}),
                )
                .unwrap();
                (slot, 0)
            })
            .collect();
        let timetable = Timetable::new(TimeZone::default(), &slots).unwrap();
        CurfewPlan::new(
            timetable,
            Vec::<(Interval, u16, WindowOrigin)>::new(),
            absences,
        )
        .unwrap()
    }

    fn required(plan: &CurfewPlan, from: NaiveDate, to: NaiveDate) -> Spans {
        let s = day_start(riga(), from);
        let e = day_start(riga(), to.succ_opt().unwrap());
        windows(plan, s, e)
    }

    #[test]
    fn spring_and_autumn_days_are_23_and_25_hours() {
        let inputs = DayInputs::default();
        let spring = days(riga(), date(2026, 3, 29), date(2026, 3, 29), &inputs);
        assert_eq!(spring[0].length_ms, 23 * H);
        let autumn = days(riga(), date(2026, 10, 25), date(2026, 10, 25), &inputs);
        assert_eq!(autumn[0].length_ms, 25 * H);
        let plain = days(riga(), date(2026, 5, 5), date(2026, 5, 5), &inputs);
        assert_eq!(plain[0].length_ms, 24 * H);
    }

    #[test]
    fn a_slot_crossing_midnight_counts_on_both_days() {
        let plan = nightly(vec![]);
        let (from, to) = (date(2026, 5, 5), date(2026, 5, 6));
        let required = required(&plan, from, to);
        let inputs = DayInputs {
            present: required.clone(),
            required,
            ..DayInputs::default()
        };
        let d = days(riga(), from, to, &inputs);
        // 00:00-07:00 and 21:00-24:00 each day.
        assert_eq!(d[0].hours.required_ms, 10 * H);
        assert_eq!(d[1].hours.required_ms, 10 * H);
        assert_eq!(d[0].hours.kept_ms, 10 * H);
    }

    #[test]
    fn curfew_nights_shrink_and_grow_with_the_clocks() {
        let plan = nightly(vec![]);
        // Sunday 29 March 2026: 00:00-07:00 local is 6 real hours, then 21:00-24:00.
        let day = date(2026, 3, 29);
        let inputs = DayInputs {
            required: required(&plan, day, day),
            ..DayInputs::default()
        };
        assert_eq!(days(riga(), day, day, &inputs)[0].hours.required_ms, 9 * H);
        // Sunday 25 October 2026: 00:00-07:00 local is 8 real hours.
        let day = date(2026, 10, 25);
        let inputs = DayInputs {
            required: required(&plan, day, day),
            ..DayInputs::default()
        };
        assert_eq!(days(riga(), day, day, &inputs)[0].hours.required_ms, 11 * H);
    }

    #[test]
    fn an_authorised_absence_is_not_required() {
        // Out 05:00-07:00 local (02:00-04:00Z in summer) on 6 May: a work shift.
        let absence = Interval::new(Timestamp(utc(2026, 5, 6, 2)), Timestamp(utc(2026, 5, 6, 4)));
        let plan = nightly(vec![absence]);
        let day = date(2026, 5, 6);
        let inputs = DayInputs {
            required: required(&plan, day, day),
            excused: Spans::of([absence]),
            ..DayInputs::default()
        };
        let d = &days(riga(), day, day, &inputs)[0];
        assert_eq!(d.hours.required_ms, 8 * H);
        assert_eq!(d.hours.excused_ms, 2 * H);
    }

    #[test]
    fn kept_is_what_the_evidence_shows_and_the_rest_no_data() {
        let plan = nightly(vec![]);
        let day = date(2026, 5, 6);
        let at = |h: i64| utc(2026, 5, 6, 0) + h * H / 4;
        // Local = UTC + 3 h. Present 21:00-22:30 local (18:00-19:30Z) and 23:30-24:00; a breach
        // 22:00-23:00 local (19:00-20:00Z, the present evidence before it is overruled); away
        // 23:00-23:15 local within the grace; 23:15-23:30 and all the morning no evidence.
        let inputs = DayInputs {
            required: required(&plan, day, day),
            breach: Spans::new(vec![(at(4 * 19), at(4 * 20))]),
            present: Spans::new(vec![
                (at(4 * 18), at(4 * 19 + 2)),
                (at(4 * 20 + 2), at(4 * 21)),
            ]),
            away: Spans::new(vec![(at(4 * 20), at(4 * 20 + 1))]),
            ..DayInputs::default()
        };
        let d = &days(riga(), day, day, &inputs)[0];
        assert_eq!(d.hours.required_ms, 10 * H);
        assert_eq!(d.hours.breach_ms, H);
        assert_eq!(d.hours.kept_ms, H + H / 2);
        assert_eq!(d.hours.grace_ms, H / 4);
        // The morning's 7 h, and 23:15-23:30.
        assert_eq!(d.hours.unknown_ms, 7 * H + H / 4);
    }

    fn spans() -> impl Strategy<Value = Spans> {
        prop::collection::vec((0i64..200, 1i64..50), 0..6).prop_map(|v| {
            Spans::new(
                v.into_iter()
                    .map(|(s, l)| (s * H / 4, (s + l) * H / 4))
                    .collect(),
            )
        })
    }

    proptest! {
        /// Whatever the windows, breaches and evidence: kept + breach + grace + unknown =
        /// required, and none is negative or beyond what was required.
        #[test]
        fn the_parts_add_up(
            required in spans(),
            breach in spans(),
            present in spans(),
            away in spans(),
        ) {
            let from = date(1970, 1, 1);
            let inputs = DayInputs { required, breach, present, away, ..DayInputs::default() };
            for d in days(chrono_tz::UTC, from, date(1970, 1, 4), &inputs) {
                prop_assert_eq!(d.hours.kept_ms + d.hours.breach_ms + d.hours.grace_ms + d.hours.unknown_ms, d.hours.required_ms);
                prop_assert!(d.hours.kept_ms >= 0 && d.hours.breach_ms >= 0 && d.hours.grace_ms >= 0);
                prop_assert!(d.hours.unknown_ms >= 0);
                prop_assert!(d.hours.required_ms <= d.length_ms);
            }
        }
    }
}
