//! The compliance rules engine: judges each probation client's observations against their
//! monitoring policy, in event time, and yields breach episodes. Pure: no I/O, no clock.

pub mod geometry;
pub mod schedule;
pub mod time;

pub use time::{Span, Timestamp};
