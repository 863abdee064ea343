//! Confirmed changes of side, for zones and victim proximity.
//!
//! GPS drift at a boundary is the most common source of false alarms in general-purpose
//! trackers. A fix here decides something only when its whole accuracy circle is on one side;
//! a change of side needs several such fixes in a row (or one side held for a dwell time); and
//! once in breach, the way back needs a margin beyond the edge (hysteresis).

use crate::book::{Book, CondKey};
use crate::episode::BreachKind;
use crate::observation::{CompactRef, EvidenceRef};
use crate::policy::{CompiledPolicy, Confirmation};
use crate::time::{CompactTime, Timestamp};
use serde::{Deserialize, Serialize};

/// What one fix (or pair of fixes) says about a condition.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Violating,
    Compliant,
    Undecided,
}

/// What a fix says about the warning band.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum WarningVerdict {
    Within,
    Clear,
    Undecided,
}

/// One per zone and proximity rule in each copy of a client's state, so it holds the compact
/// forms of times and evidence, whose `Option`s need no tag.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct SideTracker {
    pub in_breach: bool,
    /// The first fix of a run suggesting a change of side, and the run's length.
    run_first: Option<CompactRef>,
    run_len: u8,
    last_violation: Option<CompactTime>,
    last_decisive: Option<CompactTime>,
    warning_open: bool,
}

/// The condition a tracker judges, and the kinds it raises.
#[derive(Copy, Clone)]
pub(crate) struct Tracked<'a> {
    pub policy: &'a CompiledPolicy,
    pub key: CondKey,
    pub breach: BreachKind,
    pub warning: BreachKind,
    pub confirm: &'a Confirmation,
}

impl SideTracker {
    /// Takes one decisive-or-not verdict at `t`, with the observations behind it.
    pub fn decide(
        &mut self,
        c: Tracked<'_>,
        verdict: Verdict,
        t: Timestamp,
        proof: &[EvidenceRef],
        book: &mut Book,
    ) {
        let violating = match verdict {
            Verdict::Undecided => return,
            Verdict::Violating => true,
            Verdict::Compliant => false,
        };
        self.last_decisive = Some(CompactTime::new(t));
        if violating == self.in_breach {
            self.run_first = None;
            self.run_len = 0;
            if violating {
                self.last_violation = Some(CompactTime::new(t));
                for p in proof {
                    book.add_evidence(c.key, c.breach, *p);
                }
            }
            return;
        }
        let first = self
            .run_first
            .get_or_insert(CompactRef::new(proof[0]))
            .get();
        self.run_len = self.run_len.saturating_add(1);
        let dwelt = c.confirm.dwell.millis() > 0 && t.since(first.device_time) >= c.confirm.dwell;
        if self.run_len < c.confirm.fixes && !dwelt {
            return;
        }
        self.run_first = None;
        self.run_len = 0;
        if violating {
            self.close_warning(c, first.device_time, book);
            let mut evidence = vec![first];
            evidence.extend_from_slice(proof);
            book.open(c.policy, c.key, c.breach, first.device_time, &evidence);
            self.in_breach = true;
            self.last_violation = Some(CompactTime::new(t));
        } else {
            // After a long silence the breach is known to have lasted until the last
            // violating fix, not until the first compliant one.
            let end = match self.last_violation.map(CompactTime::get) {
                Some(last) if first.device_time.since(last) <= c.confirm.unknown_after => {
                    first.device_time
                }
                Some(last) => last,
                None => first.device_time,
            };
            book.close(c.key, c.breach, end, proof.first().copied());
            self.in_breach = false;
        }
    }

    /// Opens or closes the warning; a warning never coexists with the breach it warns of.
    pub fn warn(
        &mut self,
        c: Tracked<'_>,
        verdict: WarningVerdict,
        t: Timestamp,
        proof: &[EvidenceRef],
        book: &mut Book,
    ) {
        if self.in_breach {
            return;
        }
        match verdict {
            WarningVerdict::Within if !self.warning_open => {
                book.open(c.policy, c.key, c.warning, t, proof);
                self.warning_open = true;
            }
            WarningVerdict::Clear if self.warning_open => {
                book.close(c.key, c.warning, t, proof.first().copied());
                self.warning_open = false;
            }
            _ => {}
        }
    }

    fn close_warning(&mut self, c: Tracked<'_>, at: Timestamp, book: &mut Book) {
        if self.warning_open {
            book.close(c.key, c.warning, at, None);
            self.warning_open = false;
        }
    }

    /// The condition stops applying at `at` (a zone's schedule or validity ends).
    pub fn stop(&mut self, c: Tracked<'_>, at: Timestamp, book: &mut Book) {
        self.close_warning(c, at, book);
        if self.in_breach {
            book.close(c.key, c.breach, at, None);
        }
        *self = SideTracker::default();
    }

    /// The first fix of an unconfirmed change of side: an episode confirmed later starts there.
    pub fn pending_since(&self) -> Option<Timestamp> {
        self.run_first.map(|f| f.get().device_time)
    }

    /// Whether the last decisive verdict is too old to say anything.
    pub fn is_unknown(&self, now: Timestamp, unknown_after: crate::time::Span) -> bool {
        self.last_decisive
            .is_none_or(|t| now.since(t.get()) > unknown_after)
    }
}
