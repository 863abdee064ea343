//! The curfew: being at the address during the order's windows.
//!
//! Presence is a belief built from evidence, each piece counting for a while: the home unit's
//! PRESENCE reports, the tag hearing its home unit, and GPS fixes wholly inside or wholly
//! outside the address's zone. When no evidence counts, presence is unknown: a coverage gap is
//! a communication problem, not an absence.
//!
//! Within a window, an absence runs from the first instant the client is known to be away until
//! they are known to be back; stretches of no data between two pieces of absence evidence belong
//! to the absence, but the absence ends at the last instant it was known. It is a breach when it
//! lasts longer than the grace for its kind, which is only certain once it ends: a late arrival
//! (away at the start), an early departure (away at the end), an absence during the curfew (left
//! and came back), or away for the entire curfew.

use crate::book::{Book, CondKey};
use crate::episode::BreachKind;
use crate::geometry::Side;
use crate::input::{JointEvidence, JointInput, Route};
use crate::observation::{CompactRef, EvidenceRef, Observation};
use crate::policy::{CompiledPolicy, CurfewGrace};
use crate::schedule::{CurfewWindow, Interval};
use crate::time::{Span, Timestamp};
use serde::{Deserialize, Serialize};

/// The latest evidence of presence at one address.
#[derive(Copy, Clone, Debug, Serialize, Deserialize)]
struct Belief {
    address: u16,
    present: bool,
    until: Timestamp,
    proof: CompactRef,
}

/// An absence within the current window.
#[derive(Copy, Clone, Debug, Serialize, Deserialize)]
struct AbsenceRun {
    start: Timestamp,
    /// The last instant the absence was known.
    known_until: Timestamp,
    first: CompactRef,
    latest: CompactRef,
    episode: bool,
}

impl AbsenceRun {
    fn proof(&self) -> [EvidenceRef; 2] {
        [self.first.get(), self.latest.get()]
    }
}

/// Where the state is among the windows: one value, since a window entered is the only one that
/// matters until it ends, and the next is looked up only then.
#[derive(Copy, Clone, Debug, Default, Serialize, Deserialize)]
enum Phase {
    /// The next window is not looked up yet.
    #[default]
    NotLookedUp,
    /// Outside any window: the next one, or none when there is none.
    Between(Option<CurfewWindow>),
    In(CurfewWindow),
}

/// In each copy of a client's state, so it holds evidence in compact form, which leaves its
/// `Option`s no tag word.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct CurfewState {
    belief: Option<Belief>,
    phase: Phase,
    run: Option<AbsenceRun>,
}

const KEY: CondKey = CondKey::Curfew;

impl CurfewState {
    /// The earliest instant after which something changes without new evidence.
    pub fn deadline(&self, policy: &CompiledPolicy) -> Timestamp {
        let mut d = match self.phase {
            Phase::In(w) => w.span.end,
            Phase::NotLookedUp => Timestamp::MIN,
            Phase::Between(Some(next)) => next.span.start,
            Phase::Between(None) => Timestamp::MAX,
        };
        if let Some(b) = self.belief {
            d = d.min(b.until);
        }
        if let (Some(run), Some(window)) = (self.run, self.window())
            && !run.episode
        {
            let grace = provisional_grace(&policy.grace, run.start == window.span.start);
            d = d.min(run.start.saturating_add(grace).saturating_add(Span(1)));
        }
        d
    }

    /// Handles whatever falls due at `t`, which is never past the deadline.
    pub fn on_deadline(&mut self, policy: &CompiledPolicy, t: Timestamp, book: &mut Book) {
        if self.belief.is_some_and(|b| b.until <= t) {
            self.belief = None;
        }
        if let Some(window) = self.window()
            && window.span.end <= t
        {
            self.finish_run(policy, window, window.span.end, None, book);
            self.phase = Phase::NotLookedUp;
        }
        if let Phase::NotLookedUp = self.phase {
            self.phase = Phase::Between(window_from(policy, t));
        }
        if let Phase::Between(Some(next)) = self.phase
            && next.span.start <= t
        {
            self.enter(next);
        }
        self.check_grace(policy, t, book);
    }

    fn enter(&mut self, window: CurfewWindow) {
        self.phase = Phase::In(window);
        self.run = match self.belief {
            Some(b) if b.address == window.address && !b.present => Some(AbsenceRun {
                start: window.span.start,
                known_until: b.until,
                first: b.proof,
                latest: b.proof,
                episode: false,
            }),
            _ => None,
        };
    }

    /// The window the state is in.
    fn window(&self) -> Option<CurfewWindow> {
        match self.phase {
            Phase::In(w) => Some(w),
            _ => None,
        }
    }

    /// The address whose presence matters now: the current window's, else the next one's.
    fn relevant_address(&self) -> Option<u16> {
        match self.phase {
            Phase::In(w) | Phase::Between(Some(w)) => Some(w.address),
            _ => None,
        }
    }

    /// An input from one of the client's own devices.
    pub fn on_input(&mut self, policy: &CompiledPolicy, input: &mut JointInput, book: &mut Book) {
        let Some(address) = self.relevant_address() else {
            return;
        };
        let Some(present) = evidence(policy, address, input) else {
            return;
        };
        let valid_for = valid_for(&policy.grace, input);
        let proof = input.proof();
        let t = proof.device_time;
        self.belief = Some(Belief {
            address,
            present,
            until: t.saturating_add(valid_for),
            proof: CompactRef::new(proof),
        });
        let Some(window) = self.window().filter(|w| w.span.start <= t) else {
            return;
        };
        if present {
            if let Some(run) = self.run {
                let end = t.min(run.known_until);
                self.finish_run(policy, window, end, Some(proof), book);
            }
        } else {
            let run = self.run.get_or_insert(AbsenceRun {
                start: t,
                known_until: t,
                first: CompactRef::new(proof),
                latest: CompactRef::new(proof),
                episode: false,
            });
            run.known_until = run.known_until.max(t.saturating_add(valid_for));
            run.latest = CompactRef::new(proof);
            if run.episode {
                book.add_evidence(KEY, BreachKind::LateArrival, proof);
            }
            self.check_grace(policy, t, book);
        }
    }

    /// Opens the episode once an ongoing absence has outlasted its provisional grace.
    fn check_grace(&mut self, policy: &CompiledPolicy, t: Timestamp, book: &mut Book) {
        let (Some(window), Some(run)) = (self.window(), self.run.as_mut()) else {
            return;
        };
        if run.episode {
            return;
        }
        let at_start = run.start == window.span.start;
        let grace = provisional_grace(&policy.grace, at_start);
        if t.min(run.known_until).since(run.start) > grace {
            let kind = if at_start {
                BreachKind::LateArrival
            } else {
                BreachKind::AbsentDuringCurfew
            };
            book.open(policy, KEY, kind, run.start, &run.proof());
            run.episode = true;
        }
    }

    /// Ends the absence at `end`; decides its kind and whether it was a breach at all.
    fn finish_run(
        &mut self,
        policy: &CompiledPolicy,
        window: CurfewWindow,
        end: Timestamp,
        proof: Option<EvidenceRef>,
        book: &mut Book,
    ) {
        let Some(run) = self.run.take() else { return };
        let end = end.min(run.known_until).max(run.start);
        let at_start = run.start == window.span.start;
        let at_end = end >= window.span.end;
        let g = &policy.grace;
        let (kind, grace) = match (at_start, at_end) {
            (true, true) => (
                BreachKind::AbsentEntireCurfew,
                g.late_arrival.min(g.early_departure),
            ),
            (true, false) => (BreachKind::LateArrival, g.late_arrival),
            (false, true) => (BreachKind::EarlyDeparture, g.early_departure),
            (false, false) => (BreachKind::AbsentDuringCurfew, g.absence),
        };
        let breach = end.since(run.start) > grace;
        match (run.episode, breach) {
            (true, true) => {
                if let Some(e) = book.current(KEY, kind) {
                    e.kind = kind;
                    e.severity = kind.severity();
                }
                book.close(KEY, kind, end, proof);
            }
            (true, false) => book.withdraw(KEY, kind),
            (false, true) => {
                book.open(policy, KEY, kind, run.start, &run.proof());
                book.close(KEY, kind, end, proof);
            }
            (false, false) => {}
        }
    }

    /// The start of an absence still running: its episode (if any) is not decided yet.
    pub fn pending_since(&self) -> Option<Timestamp> {
        self.run.map(|r| r.start)
    }

    pub fn is_breach(&self) -> bool {
        self.run.is_some_and(|r| r.episode)
    }

    /// In a window with no evidence that counts.
    pub fn is_unknown(&self, now: Timestamp) -> bool {
        self.window().is_some() && self.belief.is_none_or(|b| b.until <= now) && !self.is_breach()
    }
}

fn provisional_grace(g: &CurfewGrace, at_start: bool) -> Span {
    if at_start { g.late_arrival } else { g.absence }
}

/// The window at `t`, else the next one, within the monitored period and cut to it.
fn window_from(policy: &CompiledPolicy, t: Timestamp) -> Option<CurfewWindow> {
    let plan = policy.curfew.as_ref()?;
    let period = policy.period;
    let from = t.max(period.start);
    if from >= period.end {
        return None;
    }
    let mut w = plan
        .window_at(from)
        .or_else(|| plan.next_window_after(from))?;
    if w.span.start >= period.end {
        return None;
    }
    w.span.start = w.span.start.max(period.start);
    w.span.end = w.span.end.min(period.end);
    (w.span.end > from).then_some(w)
}

/// How long a piece of evidence counts: a fix less long than a home unit's report.
fn valid_for(grace: &CurfewGrace, input: &JointInput) -> Span {
    match input.evidence {
        JointEvidence::Fix { .. } => grace.fix_valid_for,
        _ => grace.presence_valid_for,
    }
}

/// A stretch of time the evidence puts the probation client at an address, or away from it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PresenceEvidence {
    /// The address's index in the policy.
    pub address: u16,
    /// Whether the evidence puts the client at the address (rather than away from it).
    pub present: bool,
    /// The stretch of time the evidence covers.
    pub span: Interval,
}

/// What the evidence among `observations` (in any order, duplicates allowed) says of presence at
/// each of the policy's addresses, in windows or not: every piece the curfew is judged by (the
/// home unit's PRESENCE reports, a tag hearing its home unit, a tag's fix wholly inside or
/// outside the address), each counting from its device time for as long as it does in the
/// judgement, or until the next piece about the same address. So a summary can count curfew
/// time as kept only where the evidence shows the client at home, never merely because no
/// breach was found. Sorted by address, then time; spans of one address never overlap.
pub fn presence_evidence(
    policy: &CompiledPolicy,
    observations: &[Observation],
) -> Vec<PresenceEvidence> {
    let mut sorted: Vec<&Observation> = observations.iter().collect();
    sorted.sort_by_key(|o| o.key());
    sorted.dedup_by_key(|o| o.key());
    let count = u16::try_from(policy.addresses.len()).unwrap_or(u16::MAX);
    let mut open: Vec<Option<PresenceEvidence>> = vec![None; usize::from(count)];
    let mut out = Vec::new();
    for obs in sorted {
        let Some(mut input) = Route::of(policy, obs).joint.filter(|i| i.worn) else {
            continue;
        };
        let t = obs.device_time;
        for address in 0..count {
            let Some(present) = evidence(policy, address, &mut input) else {
                continue;
            };
            let slot = &mut open[usize::from(address)];
            if let Some(mut before) = slot.take() {
                before.span.end = before.span.end.min(t);
                if !before.span.is_empty() {
                    out.push(before);
                }
            }
            *slot = Some(PresenceEvidence {
                address,
                present,
                span: Interval::new(t, t.saturating_add(valid_for(&policy.grace, &input))),
            });
        }
    }
    out.extend(open.into_iter().flatten());
    // Merged where one piece runs on into the next that says the same.
    out.sort_by_key(|e| (e.address, e.span.start));
    let mut merged: Vec<PresenceEvidence> = Vec::with_capacity(out.len());
    for e in out {
        match merged.last_mut() {
            Some(last)
                if last.address == e.address
                    && last.present == e.present
                    && last.span.end >= e.span.start =>
            {
                last.span.end = last.span.end.max(e.span.end);
            }
            _ => merged.push(e),
        }
    }
    merged
}

/// What an input says about presence at `address`: `Some(true)` there, `Some(false)` away.
fn evidence(policy: &CompiledPolicy, address: u16, input: &mut JointInput) -> Option<bool> {
    let place = policy.addresses.get(usize::from(address))?;
    match input.evidence {
        JointEvidence::Presence { in_range } => {
            (place.home_unit == Some(input.proof().device)).then_some(in_range)
        }
        JointEvidence::RfHome(in_range) if place.home_unit.is_some() && input.on_body => {
            Some(in_range)
        }
        JointEvidence::Fix { .. } if input.on_body => {
            match input.address_side(address, &place.shape)? {
                Side::Inside => Some(true),
                Side::Outside => Some(false),
                Side::Uncertain => None,
            }
        }
        _ => None,
    }
}
