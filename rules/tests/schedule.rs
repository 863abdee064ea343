//! Property tests of `rules::schedule`: timetables against the plain definition of a weekly slot
//! in local time, and curfew plans against the periods they are made of.

use chrono::{Datelike, Days, NaiveDateTime, NaiveTime, Offset, TimeZone as _};
use proptest::prelude::*;
use rules::schedule::{
    CurfewPlan, Interval, ScheduleError, TimeZone, Timetable, WEEKDAYS, WeeklySlot, WindowOrigin,
};
use rules::{Span, Timestamp};

const ZONES: [&str; 7] = [
    "Europe/Riga",
    "UTC",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Santiago",
];

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// 2026-01-01T00:00:00Z.
const YEAR_START: i64 = 1_767_225_600_000;

fn minute(m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(m / 60 % 24, m % 60, 0).unwrap()
}

/// A slot from (day, start minute, length in minutes).
fn slot((day, start, length): (usize, u32, u32)) -> WeeklySlot {
    WeeklySlot {
        day: WEEKDAYS[day],
        start: minute(start),
        end: minute(start + length),
    }
}

/// An address index, mostly 0, so that periods at different addresses conflict now and then
/// rather than always.
fn address() -> impl Strategy<Value = u16> {
    prop_oneof![3 => Just(0u16), 1 => 0u16..3]
}

/// Up to six slots, kept only while they do not overlap, with labels 0 to 2.
fn slots() -> impl Strategy<Value = Vec<(WeeklySlot, u16)>> {
    prop::collection::vec((0usize..7, 0u32..1440, 1u32..1440, address()), 1..7).prop_map(|raw| {
        let mut kept: Vec<(WeeklySlot, u16)> = Vec::new();
        for (day, start, length, label) in raw {
            kept.push((slot((day, start, length)), label));
            if Timetable::new(TimeZone::default(), &kept).is_err() {
                kept.pop();
            }
        }
        kept
    })
}

fn zone() -> impl Strategy<Value = TimeZone> {
    prop::sample::select(ZONES.to_vec()).prop_map(|name| name.parse().unwrap())
}

fn instant() -> impl Strategy<Value = Timestamp> {
    (0..365 * DAY).prop_map(|ms| Timestamp(YEAR_START + ms))
}

fn wall(zone: TimeZone, t: Timestamp) -> NaiveDateTime {
    zone.0
        .from_utc_datetime(&t.to_utc().naive_utc())
        .naive_local()
}

fn offset_seconds(zone: TimeZone, t: Timestamp) -> i32 {
    zone.0
        .offset_from_utc_datetime(&t.to_utc().naive_utc())
        .fix()
        .local_minus_utc()
}

/// Whether the UTC offset is the same all through `[from, to]`, looked at every 15 minutes.
fn steady(zone: TimeZone, from: Timestamp, to: Timestamp) -> bool {
    let first = offset_seconds(zone, from);
    (from.0..=to.0)
        .step_by(15 * 60_000)
        .chain([to.0])
        .all(|ms| offset_seconds(zone, Timestamp(ms)) == first)
}

/// The label of the slot whose local wall-clock stretch holds the local time of `t`, by the
/// plain definition: a slot starts on a date of its weekday and ends the same day, or the next
/// when it crosses midnight.
fn by_definition(zone: TimeZone, slots: &[(WeeklySlot, u16)], t: Timestamp) -> Option<u16> {
    let local = wall(zone, t);
    slots.iter().find_map(|(slot, label)| {
        [0, 1].into_iter().find_map(|back| {
            let date = local.date().checked_sub_days(Days::new(back))?;
            if date.weekday() != slot.day {
                return None;
            }
            let start = date.and_time(slot.start);
            let end_date = if slot.end <= slot.start {
                date.succ_opt()?
            } else {
                date
            };
            let end = end_date.and_time(slot.end);
            (start <= local && local < end).then_some(*label)
        })
    })
}

fn sorted_and_disjoint(spans: &[Interval]) -> bool {
    spans.iter().all(|s| s.start < s.end) && spans.windows(2).all(|w| w[0].end <= w[1].start)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn instants_lie_in_the_slots_their_wall_clock_reads(
        zone in zone(),
        slots in slots(),
        instants in prop::collection::vec(instant(), 20),
    ) {
        let timetable = Timetable::new(zone, &slots).unwrap();
        for t in instants {
            let two_hours = Span(2 * HOUR);
            if !steady(zone, t.saturating_sub(two_hours), t.saturating_add(two_hours)) {
                continue;
            }
            prop_assert_eq!(
                timetable.occurrence_at(t).map(|(_, label)| label),
                by_definition(zone, &slots, t),
                "at {} (local {})", t, wall(zone, t)
            );
        }
    }

    #[test]
    fn occurrences_agree_with_each_other(
        zone in zone(),
        slots in slots(),
        t in instant(),
        length in 1..20 * DAY,
    ) {
        let timetable = Timetable::new(zone, &slots).unwrap();
        let to = Timestamp(t.0 + length);
        let all: Vec<(Interval, u16)> = timetable.occurrences(t, to).collect();
        let spans: Vec<Interval> = all.iter().map(|(span, _)| *span).collect();
        prop_assert!(sorted_and_disjoint(&spans), "{:?}", spans);
        prop_assert!(spans.iter().all(|s| s.start < to && s.end > t));

        let week = Span(8 * DAY);
        let around: Vec<(Interval, u16)> =
            timetable.occurrences(t.saturating_sub(week), t.saturating_add(week)).collect();
        prop_assert_eq!(
            timetable.occurrence_at(t),
            around.iter().copied().find(|(span, _)| span.contains(t))
        );
        prop_assert_eq!(
            timetable.next_occurrence_after(t),
            around.iter().copied().find(|(span, _)| span.start > t)
        );
        // Every occurrence in a long range is found again when asked about one instant of it.
        for (span, label) in &all {
            prop_assert_eq!(timetable.occurrence_at(span.start), Some((*span, *label)));
            let last = Timestamp(span.end.0 - 1);
            prop_assert_eq!(timetable.occurrence_at(last), Some((*span, *label)));
        }
    }

    #[test]
    fn a_steady_week_holds_the_slots_total(zone in zone(), slots in slots(), t in instant()) {
        let timetable = Timetable::new(zone, &slots).unwrap();
        let end = Timestamp(t.0 + 7 * DAY);
        prop_assume!(steady(zone, Timestamp(t.0 - DAY), Timestamp(end.0 + DAY)));
        let held: i64 = timetable
            .occurrences(t, end)
            .map(|(span, _)| span.end.min(end).0 - span.start.max(t).0)
            .sum();
        let wanted: i64 = slots
            .iter()
            .map(|(slot, _)| {
                let length = slot.end.signed_duration_since(slot.start).num_milliseconds();
                if length > 0 { length } else { length + DAY }
            })
            .sum();
        prop_assert_eq!(held, wanted);
    }

    #[test]
    fn timetables_refuse_exactly_the_overlapping_slots(
        raw in prop::collection::vec((0usize..7, 0u32..1440, 1u32..1440), 1..5),
    ) {
        let slots: Vec<(WeeklySlot, u16)> = raw.iter().map(|r| (slot(*r), 0)).collect();
        let mut covered = vec![0u8; 7 * 1440];
        for (day, start, length) in &raw {
            for m in 0..*length {
                covered[((*day as u32 * 1440 + start + m) % (7 * 1440)) as usize] += 1;
            }
        }
        let overlapping = covered.iter().any(|n| *n > 1);
        match Timetable::new(TimeZone::default(), &slots) {
            Ok(_) => prop_assert!(!overlapping),
            Err(ScheduleError::Overlap(a, b)) => {
                prop_assert!(overlapping);
                prop_assert!(slots.iter().any(|(s, _)| *s == a));
                prop_assert!(slots.iter().any(|(s, _)| *s == b));
            }
            Err(other) => prop_assert!(false, "{}", other),
        }
    }

    #[test]
    fn plans_require_what_their_periods_require(
        zone in zone(),
        slots in slots(),
        base in instant(),
        extras in prop::collection::vec((-3 * DAY..3 * DAY, 60_000..2 * DAY, address(), any::<bool>()), 0..4),
        absences in prop::collection::vec((-3 * DAY..3 * DAY, 60_000..DAY), 0..4),
        offsets in prop::collection::vec(-4 * DAY..4 * DAY, 12),
    ) {
        let timetable = Timetable::new(zone, &slots).unwrap();
        let extras: Vec<(Interval, u16, WindowOrigin)> = extras
            .into_iter()
            .map(|(at, length, address, first)| {
                let origin = if first { WindowOrigin::FirstNight } else { WindowOrigin::Extra };
                (Interval::new(Timestamp(base.0 + at), Timestamp(base.0 + at + length)), address, origin)
            })
            .collect();
        let absences: Vec<Interval> = absences
            .into_iter()
            .map(|(at, length)| Interval::new(Timestamp(base.0 + at), Timestamp(base.0 + at + length)))
            .collect();

        // Contradictions, found directly.
        let weekly: Vec<(Interval, u16)> = timetable
            .occurrences(Timestamp(base.0 - 6 * DAY), Timestamp(base.0 + 6 * DAY))
            .collect();
        let contradictory = extras.iter().any(|(span, address, _)| {
            weekly.iter().any(|(w, a)| a != address && w.overlaps(span))
                || extras.iter().any(|(e, a, _)| a != address && e.overlaps(span))
        });
        let plan = match CurfewPlan::new(timetable.clone(), extras.clone(), absences.clone()) {
            Ok(plan) => plan,
            Err(err) => {
                prop_assert!(matches!(err, ScheduleError::Conflict { .. }), "{}", err);
                prop_assert!(contradictory, "{}", err);
                return Ok(());
            }
        };
        prop_assert!(!contradictory);

        let required = |t: Timestamp| -> Option<u16> {
            if absences.iter().any(|a| a.contains(t)) {
                return None;
            }
            timetable
                .occurrence_at(t)
                .map(|(_, address)| address)
                .or_else(|| extras.iter().find(|(e, _, _)| e.contains(t)).map(|(_, a, _)| *a))
        };

        let (from, to) = (Timestamp(base.0 - 4 * DAY), Timestamp(base.0 + 4 * DAY));
        let windows = plan.windows(from, to);
        let spans: Vec<Interval> = windows.iter().map(|w| w.span).collect();
        prop_assert!(sorted_and_disjoint(&spans), "{:?}", windows);
        for pair in windows.windows(2) {
            prop_assert!(
                pair[0].span.end < pair[1].span.start || pair[0].address != pair[1].address,
                "{:?} and {:?} should be one window", pair[0], pair[1]
            );
        }
        for w in &windows {
            prop_assert_eq!(required(w.span.start), Some(w.address));
            prop_assert_eq!(required(Timestamp(w.span.end.0 - 1)), Some(w.address));
            prop_assert_ne!(required(Timestamp(w.span.start.0 - 1)), Some(w.address));
            prop_assert_ne!(required(w.span.end), Some(w.address));
        }

        let mut moments: Vec<Timestamp> = offsets.iter().map(|o| Timestamp(base.0 + o)).collect();
        // The edges of every period, and either side of them.
        for edge in weekly
            .iter()
            .map(|(s, _)| *s)
            .chain(extras.iter().map(|(s, _, _)| *s))
            .chain(absences.iter().copied())
            .flat_map(|s| [s.start, s.end])
        {
            moments.extend([Timestamp(edge.0 - 1), edge]);
        }
        for t in moments {
            let at = plan.window_at(t);
            prop_assert_eq!(at.map(|w| w.address), required(t), "at {}", t);
            if let Some(w) = at {
                prop_assert!(w.span.contains(t));
                if w.span.len() < Span(7 * DAY) {
                    let found = plan
                        .windows(Timestamp(t.0 - DAY), Timestamp(t.0 + DAY))
                        .into_iter()
                        .find(|v| v.span.contains(t));
                    prop_assert_eq!(Some(w), found);
                }
            }
            let next = plan.next_window_after(t);
            let expected = plan
                .windows(t, Timestamp(t.0 + 30 * DAY))
                .into_iter()
                .find(|w| w.span.start > t);
            prop_assert_eq!(next.map(|w| (w.span.start, w.address)), expected.map(|w| (w.span.start, w.address)));
            if let (Some(next), Some(expected)) = (next, expected)
                && expected.span.len() < Span(7 * DAY)
            {
                prop_assert_eq!(next, expected);
            }
        }
    }
}
