//! Why a timetable, a time zone or a curfew plan was refused, naming the slot, period or
//! absence at fault.

use super::interval::Interval;
use super::periods::WindowOrigin;
use super::slot::WeeklySlot;

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
        ///
        /// [`CurfewPlan::new`]: super::CurfewPlan::new
        index: usize,
        origin: WindowOrigin,
        span: Interval,
        address: u16,
        other_origin: WindowOrigin,
        other_span: Interval,
        other_address: u16,
    },
}
