//! Why a timetable, a time zone or a curfew plan was refused, naming the slot, period or
//! absence at fault.

use super::interval::Interval;
use super::periods::WindowOrigin;
use super::slot::WeeklySlot;

/// Why a timetable, a time zone or a curfew plan was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// A weekly slot of no length.
    #[error("weekly slot {0} starts and ends at the same time")]
    EmptySlot(WeeklySlot),
    /// A weekly slot whose start or end is not a whole second.
    #[error("weekly slot {0} has a fraction of a second; slot times are whole seconds")]
    FractionalTime(WeeklySlot),
    /// Two weekly slots that overlap.
    #[error("weekly slots {0} and {1} overlap")]
    Overlap(WeeklySlot, WeeklySlot),
    /// A time zone name the time zone database does not know.
    #[error("unknown time zone `{0}`")]
    UnknownTimeZone(String),
    /// A dated curfew period that does not end after it starts.
    #[error("{origin} #{index} ({span}) does not end after it starts")]
    EmptyPeriod {
        /// Its position in the list given to [`CurfewPlan::new`](super::CurfewPlan::new).
        index: usize,
        /// Whether it is an extra period or the first night.
        origin: WindowOrigin,
        /// The period as written.
        span: Interval,
    },
    /// An authorised absence that does not end after it starts.
    #[error("authorised absence #{index} ({span}) does not end after it starts")]
    EmptyAbsence {
        /// Its position in the list of absences.
        index: usize,
        /// The absence as written.
        span: Interval,
    },
    /// A dated curfew period overlaps another period at a different address.
    #[error(
        "{origin} #{index} ({span}) at address #{address} overlaps the {other_origin} from \
         {other_span} at address #{other_address}: the client cannot be in two places at once"
    )]
    Conflict {
        /// The extra's position in the list given to [`CurfewPlan::new`].
        ///
        /// [`CurfewPlan::new`]: super::CurfewPlan::new
        index: usize,
        /// Whether the period is an extra period or the first night.
        origin: WindowOrigin,
        /// The period as written.
        span: Interval,
        /// The period's address, by index.
        address: u16,
        /// What the other period is: a weekly slot, another extra, or the first night.
        other_origin: WindowOrigin,
        /// The other period (for a weekly slot, the occurrence that overlaps).
        other_span: Interval,
        /// The other period's address, by index.
        other_address: u16,
    },
}
