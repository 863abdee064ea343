//! The curfew plan: a timetable with its dated changes, merged into the windows during which the
//! client must be at one address, with absences cut out and long windows followed no further
//! than [`MERGE_HORIZON`].

use super::error::ScheduleError;
use super::interval::Interval;
use super::periods::{CurfewWindow, WindowOrigin};
use super::timetable::Timetable;
use crate::time::{Span, Timestamp};

/// How far beyond the instants asked about a chain of touching periods is followed to find where
/// its window starts and ends. See the module documentation.
pub const MERGE_HORIZON: Span = Span(8 * 86_400_000);

pub(super) const DAY_MS: i64 = 86_400_000;

/// A period during which the client must be at an address, before merging and absences.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct Period {
    span: Interval,
    address: u16,
    origin: WindowOrigin,
}

/// A weekly timetable with dated changes: extra curfew periods and authorised absences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurfewPlan {
    timetable: Timetable,
    /// Sorted by start.
    extras: Vec<Period>,
    /// Sorted, disjoint and not touching.
    absences: Vec<Interval>,
    /// The last instant that any extra or absence reaches.
    dated_until: Timestamp,
}

impl CurfewPlan {
    /// `timetable` holds the weekly slots (labels are address indexes); `extras` are dated curfew
    /// periods with their address and origin; `absences` are cut out of every window.
    ///
    /// Errors: an extra or an absence that does not end after it starts; an extra that overlaps
    /// a weekly occurrence or another extra at a different address (the client cannot be in two
    /// places), checked over the extra's whole length, so the cost grows with it. Extras and
    /// weekly occurrences at the same address may overlap: they merge.
    pub fn new(
        timetable: Timetable,
        extras: Vec<(Interval, u16, WindowOrigin)>,
        absences: Vec<Interval>,
    ) -> Result<CurfewPlan, ScheduleError> {
        for (index, (span, _, origin)) in extras.iter().enumerate() {
            if span.is_empty() {
                return Err(ScheduleError::EmptyPeriod {
                    index,
                    origin: *origin,
                    span: *span,
                });
            }
        }
        for (index, span) in absences.iter().enumerate() {
            if span.is_empty() {
                return Err(ScheduleError::EmptyAbsence { index, span: *span });
            }
        }
        let mut numbered: Vec<(usize, Period)> = extras
            .into_iter()
            .map(|(span, address, origin)| Period {
                span,
                address,
                origin,
            })
            .enumerate()
            .collect();
        numbered.sort_by_key(|(_, p)| (p.span.start, p.span.end));
        for (i, (index, extra)) in numbered.iter().enumerate() {
            let conflict = |other: Period| ScheduleError::Conflict {
                index: *index,
                origin: extra.origin,
                span: extra.span,
                address: extra.address,
                other_origin: other.origin,
                other_span: other.span,
                other_address: other.address,
            };
            let elsewhere = timetable.slots.iter().any(|s| s.label != extra.address);
            if let Some((span, address)) = timetable
                .occurrences(extra.span.start, extra.span.end)
                .find(|(_, address)| elsewhere && *address != extra.address)
            {
                return Err(conflict(Period {
                    span,
                    address,
                    origin: WindowOrigin::Weekly,
                }));
            }
            if let Some((_, other)) = numbered[i + 1..]
                .iter()
                .take_while(|(_, other)| other.span.start < extra.span.end)
                .find(|(_, other)| other.address != extra.address)
            {
                return Err(conflict(*other));
            }
        }
        let extras: Vec<Period> = numbered.into_iter().map(|(_, p)| p).collect();

        let mut sorted = absences;
        sorted.sort();
        let mut merged: Vec<Interval> = Vec::with_capacity(sorted.len());
        for span in sorted {
            match merged.last_mut() {
                Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
                _ => merged.push(span),
            }
        }
        let dated_until = extras
            .iter()
            .map(|p| p.span.end)
            .chain(merged.iter().map(|a| a.end))
            .max()
            .unwrap_or(Timestamp::MIN);
        Ok(CurfewPlan {
            timetable,
            extras,
            absences: merged,
            dated_until,
        })
    }

    /// The weekly slots the plan was built from.
    pub fn timetable(&self) -> &Timetable {
        &self.timetable
    }

    /// The windows that intersect `[from, to)`, in start order, not clipped. Periods at the same
    /// address that overlap or touch are one window (a slot ending at 07:00 and another starting
    /// at 07:00 at the same address join; at different addresses they stay apart). Windows are
    /// followed at most [`MERGE_HORIZON`] beyond the range (see the module documentation).
    pub fn windows(&self, from: Timestamp, to: Timestamp) -> Vec<CurfewWindow> {
        self.windows_within(
            from,
            to,
            from.saturating_sub(MERGE_HORIZON),
            to.saturating_add(MERGE_HORIZON),
        )
    }

    /// The window that contains `t`, if any, whole (up to [`MERGE_HORIZON`] either side of `t`).
    pub fn window_at(&self, t: Timestamp) -> Option<CurfewWindow> {
        self.windows(t, t.saturating_add(Span(1)))
            .into_iter()
            .find(|w| w.span.contains(t))
    }

    /// The first window that starts after `t` (strictly), with its end followed up to
    /// [`MERGE_HORIZON`] beyond its start. `None` when no window starts within three weeks after
    /// `t` or after the last dated change, whichever is later: an empty plan, or one whose weekly
    /// slots cover every instant at one address.
    pub fn next_window_after(&self, t: Timestamp) -> Option<CurfewWindow> {
        const ONE: Span = Span(1);
        let horizon = t.max(self.dated_until).saturating_add(Span(21 * DAY_MS));
        let weekly_starts_windows = self.timetable.always().is_none();
        // Windows can start only where a weekly occurrence or an extra starts, or an absence
        // ends. Candidates are taken in order after `after`; starts of occurrences and extras
        // are not looked for before `quiet_until`, inside a stretch where they cannot start one.
        let mut after = t;
        let mut quiet_until = t;
        loop {
            let skip_to = after.max(quiet_until);
            let weekly = weekly_starts_windows
                .then(|| self.timetable.next_occurrence_after(skip_to))
                .flatten()
                .map(|(span, _)| span.start);
            let extra = self
                .extras
                .get(self.extras.partition_point(|p| p.span.start <= skip_to))
                .map(|p| p.span.start);
            let absence_end = self
                .absences
                .get(self.absences.partition_point(|a| a.end <= after))
                .map(|a| a.end);
            let s = [weekly, extra, absence_end].into_iter().flatten().min()?;
            if s > horizon {
                return None;
            }
            if let Some(absence) = self.absence_at(s) {
                // Nothing starts until the absence ends, which is a candidate itself.
                after = absence.end.saturating_sub(ONE);
                continue;
            }
            let here = self.required_at(s);
            if here.is_some() && self.required_at(s.saturating_sub(ONE)) != here {
                return self
                    .windows_within(s, s.saturating_add(ONE), s, s.saturating_add(MERGE_HORIZON))
                    .into_iter()
                    .find(|w| w.span.start == s);
            }
            // Strictly inside an extra, only the end of an absence can start a window.
            if let Some(end) = self
                .extras
                .iter()
                .take_while(|p| p.span.start < s)
                .filter(|p| p.span.contains(s))
                .map(|p| p.span.end)
                .max()
            {
                quiet_until = quiet_until.max(end.saturating_sub(ONE));
            }
            after = s;
        }
    }

    /// The address the client must be at, at instant `t`, before merging.
    fn required_at(&self, t: Timestamp) -> Option<u16> {
        if self.absence_at(t).is_some() {
            return None;
        }
        self.timetable
            .occurrence_at(t)
            .map(|(_, address)| address)
            .or_else(|| {
                self.extras
                    .iter()
                    .take_while(|p| p.span.start <= t)
                    .find(|p| p.span.contains(t))
                    .map(|p| p.address)
            })
    }

    fn absence_at(&self, t: Timestamp) -> Option<Interval> {
        self.absences
            .get(self.absences.partition_point(|a| a.end <= t))
            .filter(|a| a.contains(t))
            .copied()
    }

    /// The periods that intersect or touch `[from, to]`, in no particular order.
    fn periods_touching(&self, from: Timestamp, to: Timestamp) -> impl Iterator<Item = Period> {
        let weekly = self
            .timetable
            .occurrences(from.saturating_sub(Span(1)), to.saturating_add(Span(1)))
            .map(|(span, address)| Period {
                span,
                address,
                origin: WindowOrigin::Weekly,
            });
        let extras = self
            .extras
            .iter()
            .take_while(move |p| p.span.start <= to)
            .filter(move |p| p.span.end >= from)
            .copied();
        weekly.chain(extras)
    }

    /// The windows that intersect `[from, to)`, following chains of touching periods no further
    /// than `[reach_from, reach_to]`.
    fn windows_within(
        &self,
        from: Timestamp,
        to: Timestamp,
        reach_from: Timestamp,
        reach_to: Timestamp,
    ) -> Vec<CurfewWindow> {
        if from >= to {
            return Vec::new();
        }
        // Gather periods until none reaches beyond what has been looked at, or the reach ends.
        let (mut low, mut high) = (from, to);
        let mut periods: Vec<Period> = self.periods_touching(low, high).collect();
        loop {
            let want_low = periods
                .iter()
                .map(|p| p.span.start)
                .fold(low, Timestamp::min)
                .max(reach_from);
            let want_high = periods
                .iter()
                .map(|p| p.span.end)
                .fold(high, Timestamp::max)
                .min(reach_to);
            if want_low >= low && want_high <= high {
                break;
            }
            if want_low < low {
                periods.extend(self.periods_touching(want_low, low));
                low = want_low;
            }
            if want_high > high {
                periods.extend(self.periods_touching(high, want_high));
                high = want_high;
            }
            periods.sort_by_key(|p| (p.span, p.address, p.origin.rank()));
            periods.dedup();
        }
        periods.sort_by_key(|p| (p.span, p.address, p.origin.rank()));

        // Periods at different addresses never overlap, so in start order each period either
        // continues the current window or starts the next.
        let mut merged: Vec<(Interval, u16)> = Vec::new();
        for p in &periods {
            match merged.last_mut() {
                Some((span, address)) if *address == p.address && p.span.start <= span.end => {
                    span.end = span.end.max(p.span.end);
                }
                _ => merged.push((p.span, p.address)),
            }
        }

        let mut windows = Vec::new();
        let wanted = Interval::new(from, to);
        for (span, address) in merged {
            let mut push = |piece: Interval| {
                if piece.is_empty() || !piece.overlaps(&wanted) {
                    return;
                }
                let origin = periods
                    .iter()
                    .filter(|p| p.address == address && p.span.contains(piece.start))
                    .map(|p| p.origin)
                    .max_by_key(|o| o.rank())
                    .unwrap_or(WindowOrigin::Weekly);
                windows.push(CurfewWindow {
                    span: piece,
                    address,
                    origin,
                });
            };
            let first = self.absences.partition_point(|a| a.end <= span.start);
            let mut rest = span.start;
            for absence in self.absences[first..]
                .iter()
                .take_while(|a| a.start < span.end)
            {
                push(Interval::new(rest, absence.start));
                rest = rest.max(absence.end);
            }
            push(Interval::new(rest, span.end));
        }
        windows
    }
}
