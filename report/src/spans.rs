//! Sets of instants as sorted, disjoint `[start, end)` intervals, and where a local date
//! starts: what the nights, the breach time and the curfew time are computed with. Kept apart
//! so each of those works on sets rather than on lists of episodes and windows.

use chrono::{MappedLocalTime, NaiveDate, TimeZone as _};
use chrono_tz::Tz;
use rules::schedule::Interval;

/// A set of instants as sorted, disjoint, non-touching half-open `[start, end)` ms intervals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spans(Vec<(i64, i64)>);

impl Spans {
    /// The set of the given intervals: empty ones dropped, overlapping and touching ones merged.
    pub fn new(mut spans: Vec<(i64, i64)>) -> Spans {
        spans.retain(|(s, e)| s < e);
        spans.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
        for (s, e) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        Spans(merged)
    }

    /// The set of the given intervals, as [`Spans::new`].
    pub fn of(intervals: impl IntoIterator<Item = Interval>) -> Spans {
        Spans::new(
            intervals
                .into_iter()
                .map(|i| (i.start.0, i.end.0))
                .collect(),
        )
    }

    /// The intervals, sorted and disjoint.
    pub fn as_slice(&self) -> &[(i64, i64)] {
        &self.0
    }

    /// How long the set covers, in ms.
    pub fn total(&self) -> i64 {
        self.0.iter().map(|(s, e)| e - s).sum()
    }

    /// The instants in both sets.
    pub fn intersect(&self, other: &Spans) -> Spans {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (self.0[i], other.0[j]);
            let (s, e) = (a.0.max(b.0), a.1.min(b.1));
            if s < e {
                out.push((s, e));
            }
            if a.1 < b.1 { i += 1 } else { j += 1 }
        }
        Spans(out)
    }

    /// The instants in this set and not in `other` (curfew time minus absences, say).
    pub fn subtract(&self, other: &Spans) -> Spans {
        let mut out = Vec::new();
        for &(s, e) in &self.0 {
            let mut from = s;
            for &(os, oe) in &other.0 {
                if oe <= from || os >= e {
                    continue;
                }
                if os > from {
                    out.push((from, os));
                }
                from = from.max(oe);
            }
            if from < e {
                out.push((from, e));
            }
        }
        Spans(out)
    }

    /// The instants of this set within `[from, to)`.
    pub fn clip(&self, from: i64, to: i64) -> Spans {
        self.intersect(&Spans(vec![(from, to)]))
    }
}

/// The first instant of a local date: midnight, or the end of a gap if midnight does not exist
/// there (zones that change at midnight), as the rules engine maps local times.
pub fn day_start(tz: Tz, date: NaiveDate) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&midnight) {
        MappedLocalTime::Single(t) | MappedLocalTime::Ambiguous(t, _) => t.timestamp_millis(),
        // In a gap: the wall clock jumps past midnight; the day starts when the gap ends, which
        // is the same instant in UTC as midnight read with the offset before the change.
        MappedLocalTime::None => {
            let before = tz.offset_from_utc_datetime(&midnight);
            let offset = chrono::Offset::fix(&before).local_minus_utc();
            midnight.and_utc().timestamp_millis() - i64::from(offset) * 1000
        }
    }
}
