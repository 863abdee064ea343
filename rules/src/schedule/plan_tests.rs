//! Tests of curfew plans: absences cut out of windows, extras merging or conflicting, windows
//! followed to the horizon, and the ends of time.

use chrono::Weekday::*;

use super::plan::DAY_MS;
use super::test_support::*;
use super::*;
use crate::time::{Span, Timestamp};

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
    let extra = |start: &str, end: &str, address| (span(start, end), address, WindowOrigin::Extra);
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
