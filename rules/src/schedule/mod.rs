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
//!
//! # Modules
//!
//! * `slot`: a weekly slot as a policy writes it (`mon 21:00–07:00`), and the days of the week.
//! * `interval`: half-open stretches of instants, which every answer here is made of.
//! * `timetable`: the time zone and the compiled weekly timetable, from local time to instants.
//! * `periods`: the dated changes as written (absences, extra curfews) and the windows a plan
//!   yields.
//! * `plan`: the curfew plan, which merges all of them into windows.
//! * `error`: why any of them was refused.

mod error;
mod interval;
mod periods;
mod plan;
mod slot;
mod timetable;

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod timetable_tests;
#[cfg(test)]
mod written_tests;

pub use error::ScheduleError;
pub use interval::Interval;
pub use periods::{AbsenceReason, AuthorisedAbsence, CurfewWindow, ExtraCurfew, WindowOrigin};
pub use plan::{CurfewPlan, MERGE_HORIZON};
pub use slot::{WEEKDAYS, WeeklySlot};
pub use timetable::{TimeZone, Timetable};
