//! The dated changes to a timetable as a policy writes them (authorised absences, extra curfew
//! periods), and what a curfew plan yields: windows, each with the origin that names it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::interval::Interval;
use crate::time::Timestamp;

/// Why an authorised absence was given.
#[derive(
    Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceReason {
    /// Working hours.
    Work,
    /// Attending court.
    Court,
    /// A hospital stay or visit.
    Hospital,
    /// A rehabilitation or treatment programme.
    Programme,
    /// Any other reason the officer accepted.
    #[default]
    Other,
}

/// A dated stretch during which the client is excused from curfew, as written in a policy file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorisedAbsence {
    /// The absence's name in the policy.
    pub id: String,
    /// When it starts, in ms since the epoch UTC.
    pub from: Timestamp,
    /// When it ends (exclusive), in ms since the epoch UTC.
    pub until: Timestamp,
    /// Why it was given, for the record.
    #[serde(default)]
    pub reason: AbsenceReason,
}

impl AuthorisedAbsence {
    /// The stretch of time it excuses.
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
    /// The period's name in the policy.
    pub id: String,
    /// When it starts, in ms since the epoch UTC.
    pub from: Timestamp,
    /// When it ends (exclusive), in ms since the epoch UTC.
    pub until: Timestamp,
    /// The name of the address the client must be at.
    pub address: String,
}

impl ExtraCurfew {
    /// The stretch of time the client must be at the address.
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
    pub(super) fn rank(self) -> u8 {
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
    /// The stretch of time, absences cut out.
    pub span: Interval,
    /// Which of the policy's addresses, by index.
    pub address: u16,
    /// What kind of period the window came from, to name it in breaches.
    pub origin: WindowOrigin,
}
