//! Helpers shared by the schedule's tests: instants and intervals from text, slots and
//! timetables from short tables, expected windows.

use chrono::Weekday;

use super::interval::Interval;
use super::periods::{CurfewWindow, WindowOrigin};
use super::slot::{WeeklySlot, clock_text};
use super::timetable::Timetable;
use crate::time::Timestamp;

pub(super) fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

pub(super) fn span(start: &str, end: &str) -> Interval {
    Interval::new(at(start), at(end))
}

pub(super) fn slot(day: Weekday, start: &str, end: &str) -> WeeklySlot {
    WeeklySlot {
        day,
        start: clock_text::parse(start).unwrap(),
        end: clock_text::parse(end).unwrap(),
    }
}

pub(super) fn timetable(zone: &str, slots: &[(Weekday, &str, &str, u16)]) -> Timetable {
    let slots: Vec<_> = slots
        .iter()
        .map(|(day, start, end, label)| (slot(*day, start, end), *label))
        .collect();
    Timetable::new(zone.parse().unwrap(), &slots).unwrap()
}

pub(super) fn occurrences(t: &Timetable, from: &str, to: &str) -> Vec<(Interval, u16)> {
    t.occurrences(at(from), at(to)).collect()
}

pub(super) fn window(start: &str, end: &str, address: u16, origin: WindowOrigin) -> CurfewWindow {
    CurfewWindow {
        span: span(start, end),
        address,
        origin,
    }
}
