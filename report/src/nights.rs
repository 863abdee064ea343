//! One row per curfew night: the curfew window (the plan's windows before absences and
//! suspensions are cut out, touching windows merged) that starts on a local date of the period,
//! counted whole even when it ends the next morning after the period's last day. A night that
//! started before the period's first day belongs to the previous period, so consecutive
//! summaries neither lose a night nor count one twice, and a night is never split at midnight
//! into two half-rows.
//!
//! The windows come from the rules engine's own plan (weekly slots, extra periods and the first
//! night), never from a second reading of the timetable here; the evidence is the rules
//! engine's too ([`rules::presence_evidence`]). Within a night, a breach counts before evidence
//! (the engine judged it), then presence, then absence; what none covers has no data, so
//! `kept + breach + grace + unknown = required` by construction, and the night's segments (what
//! a band chart draws) cover it exactly.

use chrono::NaiveDate;
use chrono_tz::Tz;
use rules::Timestamp;
use serde::{Deserialize, Serialize};

use crate::spans::{Spans, day_start};

/// One curfew night of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Night {
    /// The local date it starts on: the night's date.
    pub date: NaiveDate,
    /// The local date of its last instant (the next morning's, for a night crossing midnight).
    pub end_date: NaiveDate,
    /// When it starts.
    pub start: Timestamp,
    /// When it ends (the first instant after it).
    pub end: Timestamp,
    /// Its curfew hours: required, kept, in breach, away within grace, without data, excused.
    #[serde(flatten)]
    pub hours: Hours,
    /// The night from start to end as consecutive pieces, each with what it was: a band chart.
    pub segments: Vec<Segment>,
}

/// The curfew time of a night, or of the whole period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Hours {
    /// Curfew time the order required (authorised absences and suspensions cut out, and time
    /// not reached yet when the summary was made).
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

/// A piece of a night, `[start, end)`, and what it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Segment {
    /// Its first instant.
    pub start: Timestamp,
    /// The first instant after it.
    pub end: Timestamp,
    /// What it was.
    pub kind: SegmentKind,
}

/// What a piece of a night was; the first five are the night's [`Hours`] of the same names.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// At home, as the evidence shows.
    Kept,
    /// Away, within the order's grace.
    Grace,
    /// In a curfew breach.
    Breach,
    /// No evidence either way.
    Unknown,
    /// Excused by an authorised absence.
    Excused,
    /// Not required: the order was suspended (or no longer active) then.
    NotRequired,
    /// Not reached yet when the summary was made.
    NotReached,
}

/// What the nights are made from, all as instants.
#[derive(Clone, Debug, Default)]
pub struct NightInputs {
    /// The plan's curfew windows, whole, before absences and suspensions are cut out.
    pub windows: Spans,
    /// Curfew time the client had to keep: absences, suspensions and time not reached cut out.
    pub required: Spans,
    /// Curfew time excused by authorised absences.
    pub excused: Spans,
    /// Curfew breach episodes (not withdrawn).
    pub breach: Spans,
    /// When the evidence shows the client at the address of the window they were in...
    pub present: Spans,
    /// ...and when away from it.
    pub away: Spans,
    /// The first instant not reached yet when the summary was made (none if all was).
    pub reached: Option<i64>,
}

/// The nights that start within `[from_ms, to_ms)` (the period's local days), whole.
pub fn nights(tz: Tz, (from_ms, to_ms): (i64, i64), inputs: &NightInputs) -> Vec<Night> {
    inputs
        .windows
        .as_slice()
        .iter()
        .flat_map(|&(s, e)| rows(tz, s, e))
        .filter(|&(s, _)| s >= from_ms && s < to_ms)
        .map(|(s, e)| night(tz, (s, e), inputs))
        .collect()
}

/// A window as rows: itself, or, when it is longer than a day (a weekend's curfew, or the
/// whole day under home detention), one row per local day it covers, so that a court reads
/// a month of round-the-clock curfew day by day rather than as one row.
fn rows(tz: Tz, s: i64, e: i64) -> Vec<(i64, i64)> {
    const DAY: i64 = 24 * 3_600_000;
    if e - s <= DAY {
        return vec![(s, e)];
    }
    let mut out = Vec::new();
    let mut from = s;
    let mut date = local_date(tz, s);
    while from < e {
        let Some(next) = date.succ_opt() else { break };
        let until = day_start(tz, next).min(e);
        if until > from {
            out.push((from, until));
        }
        from = until.max(from);
        date = next;
    }
    out
}

/// The local date of an instant.
fn local_date(tz: Tz, t: i64) -> NaiveDate {
    Timestamp(t).to_utc().with_timezone(&tz).date_naive()
}

fn night(tz: Tz, (s, e): (i64, i64), inputs: &NightInputs) -> Night {
    let reached = inputs.reached.unwrap_or(e).clamp(s, e);
    let whole = Spans::new(vec![(s, reached)]);
    let required = inputs.required.intersect(&whole);
    let breach = inputs.breach.intersect(&required);
    let kept = inputs.present.intersect(&required).subtract(&breach);
    let grace = inputs
        .away
        .intersect(&required)
        .subtract(&breach)
        .subtract(&kept);
    let unknown = required.subtract(&breach).subtract(&kept).subtract(&grace);
    let excused = inputs.excused.intersect(&whole).subtract(&required);
    let not_required = whole.subtract(&required).subtract(&excused);
    let not_reached = Spans::new(vec![(reached, e)]);
    let mut segments: Vec<Segment> = [
        (SegmentKind::Kept, &kept),
        (SegmentKind::Grace, &grace),
        (SegmentKind::Breach, &breach),
        (SegmentKind::Unknown, &unknown),
        (SegmentKind::Excused, &excused),
        (SegmentKind::NotRequired, &not_required),
        (SegmentKind::NotReached, &not_reached),
    ]
    .into_iter()
    .flat_map(|(kind, spans)| {
        spans.as_slice().iter().map(move |&(start, end)| Segment {
            start: Timestamp(start),
            end: Timestamp(end),
            kind,
        })
    })
    .collect();
    segments.sort_by_key(|p| p.start);
    Night {
        date: local_date(tz, s),
        end_date: local_date(tz, e - 1),
        start: Timestamp(s),
        end: Timestamp(e),
        hours: Hours {
            required_ms: required.total(),
            kept_ms: kept.total(),
            breach_ms: breach.total(),
            grace_ms: grace.total(),
            unknown_ms: unknown.total(),
            excused_ms: excused.total(),
        },
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spans::day_start;
    use proptest::prelude::*;
    use rules::schedule::{CurfewPlan, Interval, TimeZone, Timetable, WeeklySlot, WindowOrigin};

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

    /// Every night from `start` to `end` local time in Riga, less `absences`.
    fn nightly(start: &str, end: &str, absences: Vec<Interval>) -> CurfewPlan {
        let slots: Vec<(WeeklySlot, u16)> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| {
                let slot: WeeklySlot = serde_json::from_value(
                    serde_json::json!({"day": d, "start": start, "end": end}),
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

    /// The local days `from` to `to` as instants.
    fn period(from: NaiveDate, to: NaiveDate) -> (i64, i64) {
        (
            day_start(riga(), from),
            day_start(riga(), to.succ_opt().unwrap()),
        )
    }

    /// The plan's windows over the period and a day either side, whole.
    fn windows(plan: &CurfewPlan, (from, to): (i64, i64)) -> Spans {
        Spans::of(
            plan.windows(Timestamp(from - 24 * H), Timestamp(to + 24 * H))
                .into_iter()
                .map(|w| w.span),
        )
    }

    /// The nights of `plan` over the period, all required and none with evidence.
    fn plain_nights(plan: &CurfewPlan, from: NaiveDate, to: NaiveDate) -> Vec<Night> {
        let p = period(from, to);
        let windows = windows(plan, p);
        let inputs = NightInputs {
            required: windows.clone(),
            windows,
            ..NightInputs::default()
        };
        nights(riga(), p, &inputs)
    }

    #[test]
    fn a_window_longer_than_a_day_is_one_row_per_local_day() {
        let tz = riga();
        // Friday 20:00 to Monday 06:00 local, over the spring clock change (2026-03-29).
        let s = utc(2026, 3, 27, 18);
        let e = utc(2026, 3, 30, 3);
        let days = rows(tz, s, e);
        assert_eq!(days.first().map(|r| r.0), Some(s));
        assert_eq!(days.last().map(|r| r.1), Some(e));
        assert!(days.windows(2).all(|w| w[0].1 == w[1].0), "{days:?}");
        let dates: Vec<NaiveDate> = days.iter().map(|r| local_date(tz, r.0)).collect();
        assert_eq!(
            dates,
            vec![
                date(2026, 3, 27),
                date(2026, 3, 28),
                date(2026, 3, 29),
                date(2026, 3, 30)
            ]
        );
        // The day the clocks go forward is 23 hours.
        assert_eq!(days[2].1 - days[2].0, 23 * H);
        // A night of 8 hours stays one row.
        assert_eq!(rows(tz, utc(2026, 3, 27, 20), utc(2026, 3, 28, 4)).len(), 1);
    }

    #[test]
    fn three_dates_of_a_22_to_06_curfew_are_three_nights_with_the_clocks_changing() {
        let plan = nightly("22:00", "06:00", vec![]);
        for (from, lengths) in [
            // The clocks go forward at 03:00 on Sunday 29 March 2026: the night that ends
            // that morning is 7 hours.
            (date(2026, 3, 27), [8 * H, 7 * H, 8 * H]),
            (date(2026, 3, 28), [7 * H, 8 * H, 8 * H]),
            // Sunday 25 October 2026: back at 04:00, so the night before is 9 hours.
            (date(2026, 10, 23), [8 * H, 9 * H, 8 * H]),
            (date(2026, 5, 5), [8 * H, 8 * H, 8 * H]),
        ] {
            let to = from.checked_add_days(chrono::Days::new(2)).unwrap();
            let n = plain_nights(&plan, from, to);
            assert_eq!(n.len(), 3, "{from}: {n:#?}");
            let got: Vec<i64> = n.iter().map(|n| n.hours.required_ms).collect();
            assert_eq!(got, lengths, "{from}");
            assert_eq!(n[0].date, from);
            assert_eq!(n[2].end_date, to.succ_opt().unwrap());
            // Counted whole: the last ends the morning after the period.
            assert!(n[2].end.0 > period(from, to).1);
        }
    }

    #[test]
    fn a_night_started_before_the_period_belongs_to_the_previous_one() {
        let plan = nightly("22:00", "06:00", vec![]);
        let first = plain_nights(&plan, date(2026, 5, 1), date(2026, 5, 2));
        let second = plain_nights(&plan, date(2026, 5, 3), date(2026, 5, 4));
        // The night of the 2nd ends on the 3rd's morning, in the first summary only.
        assert_eq!(first.last().map(|n| n.date), Some(date(2026, 5, 2)));
        assert_eq!(second.first().map(|n| n.date), Some(date(2026, 5, 3)));
        assert_eq!(first.len() + second.len(), 4);
    }

    #[test]
    fn an_absence_is_excused_and_a_suspension_not_required() {
        // Out 03:00-05:00 local on 6 May (00:00-02:00Z): a work shift; suspended from 23:00
        // local on the 6th (20:00Z) to the end of that night.
        let absence = Interval::new(Timestamp(utc(2026, 5, 6, 0)), Timestamp(utc(2026, 5, 6, 2)));
        let with = nightly("22:00", "06:00", vec![absence]);
        let without = nightly("22:00", "06:00", vec![]);
        let p = period(date(2026, 5, 5), date(2026, 5, 6));
        let whole = windows(&without, p);
        let inactive = Spans::new(vec![(utc(2026, 5, 6, 20), utc(2026, 5, 7, 3))]);
        let required = windows(&with, p).subtract(&inactive);
        let inputs = NightInputs {
            excused: whole.subtract(&inactive).subtract(&required),
            required,
            windows: whole,
            ..NightInputs::default()
        };
        let n = nights(riga(), p, &inputs);
        assert_eq!(n[0].hours.required_ms, 6 * H);
        assert_eq!(n[0].hours.excused_ms, 2 * H);
        assert_eq!(n[1].hours.required_ms, H);
        let kinds: Vec<SegmentKind> = n[1].segments.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [SegmentKind::Unknown, SegmentKind::NotRequired]);
    }

    #[test]
    fn time_not_reached_is_neither_required_nor_missing() {
        let plan = nightly("22:00", "06:00", vec![]);
        let p = period(date(2026, 5, 5), date(2026, 5, 5));
        let windows = windows(&plan, p);
        // Made at 01:00 local (22:00Z): three hours reached, five not.
        let inputs = NightInputs {
            required: windows.clip(i64::MIN, utc(2026, 5, 5, 22)),
            windows,
            reached: Some(utc(2026, 5, 5, 22)),
            ..NightInputs::default()
        };
        let n = &nights(riga(), p, &inputs)[0];
        assert_eq!(n.hours.required_ms, 3 * H);
        assert_eq!(n.hours.unknown_ms, 3 * H);
        assert_eq!(
            n.segments.last().map(|s| s.kind),
            Some(SegmentKind::NotReached)
        );
    }

    #[test]
    fn kept_is_what_the_evidence_shows_and_the_rest_no_data() {
        let plan = nightly("21:00", "07:00", vec![]);
        let p = period(date(2026, 5, 6), date(2026, 5, 6));
        let at = |quarter: i64| utc(2026, 5, 6, 0) + quarter * H / 4;
        // Local = UTC + 3 h. Present 21:00-22:30 local (18:00-19:30Z) and 23:30-24:00; a breach
        // 22:00-23:00 local (the present evidence in it overruled); away 23:00-23:15 within the
        // grace; 23:15-23:30 and all the morning no evidence.
        let windows = windows(&plan, p);
        let inputs = NightInputs {
            required: windows.clone(),
            windows,
            breach: Spans::new(vec![(at(4 * 19), at(4 * 20))]),
            present: Spans::new(vec![
                (at(4 * 18), at(4 * 19 + 2)),
                (at(4 * 20 + 2), at(4 * 21)),
            ]),
            away: Spans::new(vec![(at(4 * 20), at(4 * 20 + 1))]),
            ..NightInputs::default()
        };
        let n = &nights(riga(), p, &inputs)[0];
        assert_eq!(n.hours.required_ms, 10 * H);
        assert_eq!(n.hours.breach_ms, H);
        assert_eq!(n.hours.kept_ms, H + H / 2);
        assert_eq!(n.hours.grace_ms, H / 4);
        // The morning's 7 h, and 23:15-23:30.
        assert_eq!(n.hours.unknown_ms, 7 * H + H / 4);
        let kinds: Vec<SegmentKind> = n.segments.iter().map(|s| s.kind).collect();
        use SegmentKind::*;
        assert_eq!(kinds, [Kept, Breach, Grace, Unknown, Kept, Unknown]);
    }

    fn spans() -> impl Strategy<Value = Spans> {
        prop::collection::vec((0i64..400, 1i64..50), 0..6).prop_map(|v| {
            Spans::new(
                v.into_iter()
                    .map(|(s, l)| (s * H / 4, (s + l) * H / 4))
                    .collect(),
            )
        })
    }

    fn inputs() -> impl Strategy<Value = NightInputs> {
        (
            spans(),
            spans(),
            spans(),
            spans(),
            spans(),
            spans(),
            prop::option::of(0i64..400),
        )
            .prop_map(|(windows, cut, excused, breach, present, away, reached)| {
                let reached = reached.map(|q| q * H / 4);
                let upto = reached.unwrap_or(i64::MAX);
                let required = windows.subtract(&cut).clip(i64::MIN, upto);
                NightInputs {
                    excused: excused
                        .intersect(&windows)
                        .subtract(&required)
                        .clip(i64::MIN, upto),
                    required,
                    windows,
                    breach,
                    present,
                    away,
                    reached,
                }
            })
    }

    proptest! {
        /// Whatever the windows, breaches and evidence, per night: kept + breach + grace +
        /// unknown = required, none negative, and required within the night.
        #[test]
        fn the_parts_add_up(inputs in inputs()) {
            for n in nights(chrono_tz::UTC, (0, 100 * H), &inputs) {
                let h = &n.hours;
                prop_assert_eq!(h.kept_ms + h.breach_ms + h.grace_ms + h.unknown_ms, h.required_ms);
                prop_assert!(h.kept_ms >= 0 && h.breach_ms >= 0 && h.grace_ms >= 0);
                prop_assert!(h.unknown_ms >= 0 && h.excused_ms >= 0);
                prop_assert!(h.required_ms + h.excused_ms <= n.end.0 - n.start.0);
            }
        }

        /// A night's segments follow each other from its start to its end, with no gap or
        /// overlap, and those of each kind sum to the night's hours of that kind.
        #[test]
        fn segments_cover_the_night(inputs in inputs()) {
            for n in nights(chrono_tz::UTC, (0, 100 * H), &inputs) {
                let mut at = n.start;
                for s in &n.segments {
                    prop_assert_eq!(s.start, at);
                    prop_assert!(s.end > s.start);
                    at = s.end;
                }
                prop_assert_eq!(at, n.end);
                let sum = |kind: SegmentKind| -> i64 {
                    n.segments.iter().filter(|s| s.kind == kind).map(|s| s.end.0 - s.start.0).sum()
                };
                let h = &n.hours;
                prop_assert_eq!(sum(SegmentKind::Kept), h.kept_ms);
                prop_assert_eq!(sum(SegmentKind::Grace), h.grace_ms);
                prop_assert_eq!(sum(SegmentKind::Breach), h.breach_ms);
                prop_assert_eq!(sum(SegmentKind::Unknown), h.unknown_ms);
                prop_assert_eq!(sum(SegmentKind::Excused), h.excused_ms);
                prop_assert_eq!(
                    h.required_ms + h.excused_ms + sum(SegmentKind::NotRequired) + sum(SegmentKind::NotReached),
                    n.end.0 - n.start.0
                );
            }
        }
    }
}
