//! Half-open stretches of instants, `[start, end)`: what timetables, plans and their errors are
//! made of.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::{Span, Timestamp};

/// A half-open interval of instants, `[start, end)`.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Interval {
    /// The first instant in it.
    pub start: Timestamp,
    /// The first instant after it.
    pub end: Timestamp,
}

impl Interval {
    /// The interval `[start, end)`; not checked, so possibly empty.
    pub fn new(start: Timestamp, end: Timestamp) -> Interval {
        Interval { start, end }
    }

    /// Whether `t` falls within it (the end excluded).
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }

    /// The length; zero when `end <= start`.
    pub fn len(&self) -> Span {
        Span(self.end.since(self.start).0.max(0))
    }

    /// Whether it holds no instant at all.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Whether the two share at least one instant.
    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {}", self.start, self.end)
    }
}
