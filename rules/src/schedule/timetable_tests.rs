//! Tests of timetables: slots crossing midnight, daylight-saving gaps and folds in several
//! zones, and the timetables and time zones that are refused.

use chrono::NaiveTime;
use chrono::Weekday::{self, *};

use super::test_support::*;
use super::*;
use crate::time::Span;

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
