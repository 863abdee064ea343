//! One client's monitor: event-time judgement that stays right when data arrives out of order.
//!
//! Observations in order are judged at once (the fast path). The monitor keeps a copy of the
//! state from a little earlier (the anchor) and the observations since it, so an observation
//! that arrives slightly out of order (a home unit's report overtaken by the tag's fix) is
//! judged by replaying from the anchor. Data older than the anchor, such as frames a tag held
//! through a coverage gap, needs the caller's help: the monitor says so ([`Outcome::late`]), and
//! the caller hands back a [`Checkpoint`] it kept and the stored observations since it
//! ([`ClientMonitor::rejudge`]). Either way, the episodes told are those that judging every
//! observation in event order would give, and a change is told as a change (updated, closed or
//! withdrawn), never as a second episode.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::book::Book;
use crate::episode::ConditionRef;
use crate::episode::{Episode, EpisodeChange, reconcile};
use crate::health::ArrivalHealth;
use crate::observation::Observation;
use crate::policy::{ClientId, CompiledPolicy};
use crate::state::{ClientState, ConditionState};
use crate::time::{Span, Timestamp};

/// The anchor trails the newest observation by at most this many observations (a tag's fixes
/// every 15 s and a home unit's report each minute make about seven in the span below)...
const BUFFER_MAX: usize = 7;
/// ...and by at most this much event time.
const BUFFER_SPAN: Span = Span::seconds(90);
/// How often (in event time) the monitor offers the caller a checkpoint to keep.
pub const CHECKPOINT_EVERY: Span = Span::hours(1);

/// A snapshot of a client's state, for the caller to keep and hand back to
/// [`ClientMonitor::rejudge`] when data older than the monitor's own copy arrives.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    pub client: ClientId,
    /// Every observation before this instant (in event order) was judged into it.
    pub at: Timestamp,
    /// Episodes that ended before this instant are settled: judging again from here cannot
    /// change them. It is `at`, or earlier while something that began before `at` is
    /// undecided (an absence whose end is not known yet, say).
    pub settled: Timestamp,
    pub policy_revision: u32,
    state: ClientState,
}

/// What judging one input gave.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub changes: Vec<EpisodeChange>,
    /// Checkpoints to keep, replacing any kept for the same instant.
    pub checkpoints: Vec<Checkpoint>,
    /// Observations older than a monitor's own copy, by client and device time: call
    /// [`ClientMonitor::rejudge`] from a checkpoint taken before that instant (`at` < it).
    pub late: Vec<(ClientId, Timestamp)>,
}

#[derive(Debug)]
pub struct ClientMonitor {
    policy: Arc<CompiledPolicy>,
    live: ClientState,
    anchor: ClientState,
    /// Observations judged into `live` but not into `anchor`, in event order.
    buffer: VecDeque<Observation>,
    told: Vec<Episode>,
    arrival: Vec<ArrivalHealth>,
    arrival_book: Book,
    arrival_told: Vec<Episode>,
    /// The caller's latest clock tick.
    horizon: Timestamp,
    /// The id the next new episode gets.
    next_id: u64,
    next_checkpoint: Timestamp,
}

impl ClientMonitor {
    pub fn new(policy: Arc<CompiledPolicy>) -> Self {
        let live = ClientState::new(&policy);
        ClientMonitor {
            anchor: live.clone(),
            live,
            // One more than the most it holds: an observation is added before the fold.
            buffer: VecDeque::with_capacity(BUFFER_MAX + 1),
            told: Vec::new(),
            arrival: policy
                .source
                .devices
                .iter()
                .map(|_| ArrivalHealth::default())
                .collect(),
            arrival_book: Book::default(),
            arrival_told: Vec::new(),
            horizon: Timestamp::MIN,
            next_id: 1,
            next_checkpoint: Timestamp::MIN,
            policy,
        }
    }

    pub fn policy(&self) -> &Arc<CompiledPolicy> {
        &self.policy
    }

    pub fn client(&self) -> ClientId {
        self.policy.client()
    }

    /// Judges one observation of one of the client's devices (or a victim's device).
    pub fn observe(&mut self, obs: &Observation, out: &mut Outcome) {
        if let Some(index) = self.policy.device_index(obs.device) {
            self.arrival[index].on_arrival(&self.policy, obs, &mut self.arrival_book);
        }
        let key = obs.key();
        if key > self.live.frontier && obs.device_time >= self.live.cursor {
            self.live.observe(&self.policy, obs);
            self.buffer.push_back(obs.clone());
        } else if key > self.anchor.frontier && obs.device_time >= self.anchor.cursor {
            let at = self.buffer.partition_point(|o| o.key() < key);
            if self.buffer.get(at).is_none_or(|o| o.key() != key) {
                self.buffer.insert(at, obs.clone());
                self.replay_buffer();
            }
        } else if key != self.anchor.frontier {
            out.late.push((self.client(), obs.device_time));
        }
        self.fold(out);
        self.publish(out);
    }

    /// The caller's clock: judges the passing of time with no new data up to `now`.
    pub fn tick(&mut self, now: Timestamp, out: &mut Outcome) {
        self.horizon = self.horizon.max(now);
        for (index, arrival) in self.arrival.iter_mut().enumerate() {
            if arrival.deadline(&self.policy, index) <= now {
                arrival.on_tick(&self.policy, index, now, &mut self.arrival_book);
            }
        }
        self.publish(out);
    }

    /// Judges again from `checkpoint`, with every stored observation after it (in any order;
    /// duplicates are ignored). `known` are the episodes the caller holds that end at or after
    /// `checkpoint.settled` (or are open): the result is told as changes to them.
    pub fn rejudge(
        &mut self,
        checkpoint: &Checkpoint,
        observations: &[Observation],
        known: &[Episode],
        out: &mut Outcome,
    ) {
        let mut sorted: Vec<&Observation> = observations
            .iter()
            .filter(|o| o.key() > checkpoint.state.frontier && o.device_time >= checkpoint.at)
            .collect();
        sorted.sort_by_key(|o| o.key());
        sorted.dedup_by_key(|o| o.key());
        let mut state = checkpoint.state.clone();
        // Settled episodes are left out of `known`, and so out of the judgement.
        state.book.prune(checkpoint.settled);
        self.next_checkpoint = next_boundary(checkpoint.at);
        for obs in sorted {
            offer_checkpoint(&mut self.next_checkpoint, &self.policy, &state, out);
            state.observe(&self.policy, obs);
        }
        self.live = state;
        self.anchor = self.live.clone();
        self.buffer.clear();
        // The arrival-judged episodes are not judged again: they stay as told.
        self.told = known
            .iter()
            .filter(|e| !e.kind.judged_by_arrival())
            .cloned()
            .collect();
        self.publish_from(checkpoint.settled, out);
    }

    /// A checkpoint of the state before any observation has been judged.
    pub fn initial_checkpoint(&self) -> Checkpoint {
        Checkpoint {
            client: self.client(),
            at: Timestamp::MIN,
            settled: Timestamp::MIN,
            policy_revision: self.policy.revision(),
            state: ClientState::new(&self.policy),
        }
    }

    /// Each condition's state: compliant, breach or unknown.
    pub fn conditions(&self) -> Vec<(ConditionRef, ConditionState)> {
        let now = self.horizon.max(self.live.cursor);
        let mut view = self.live.clone();
        view.advance_to(&self.policy, now);
        let mut states = view.conditions(&self.policy, now);
        for (condition, state) in states.iter_mut() {
            if *state != ConditionState::Breach
                && self
                    .arrival_book
                    .episodes
                    .iter()
                    .any(|e| e.is_open() && e.condition == *condition)
            {
                // A device that is not heard from tells nothing.
                *state = ConditionState::Unknown;
            }
        }
        states
    }

    /// Bytes this monitor holds for its client, not counting the shared policy.
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.live.heap_bytes()
            + self.anchor.heap_bytes()
            + self.buffer.capacity() * std::mem::size_of::<Observation>()
            + self.told.capacity() * std::mem::size_of::<Episode>()
            + self.arrival.capacity() * std::mem::size_of::<ArrivalHealth>()
            + self.arrival_book.heap_bytes()
            + self.arrival_told.capacity() * std::mem::size_of::<Episode>()
    }

    fn replay_buffer(&mut self) {
        let until = self.live.cursor;
        let mut state = self.anchor.clone();
        for obs in &self.buffer {
            state.observe(&self.policy, obs);
        }
        state.advance_to(&self.policy, until);
        self.live = state;
    }

    /// Moves the anchor forward over the oldest buffered observations.
    fn fold(&mut self, out: &mut Outcome) {
        while let Some(oldest) = self.buffer.front() {
            let span = self.live.cursor.since(oldest.device_time);
            if self.buffer.len() <= BUFFER_MAX && span <= BUFFER_SPAN {
                break;
            }
            if let Some(obs) = self.buffer.pop_front() {
                offer_checkpoint(&mut self.next_checkpoint, &self.policy, &self.anchor, out);
                self.anchor.observe(&self.policy, &obs);
            }
        }
    }

    /// Tells every change. Closed episodes are forgotten only after they were told, on both
    /// sides at once, so nothing judged is ever left untold.
    fn publish(&mut self, out: &mut Outcome) {
        self.publish_from(Timestamp::MIN, out);
    }

    /// Tells what changed in the episodes ending at or after `settled`.
    fn publish_from(&mut self, settled: Timestamp, out: &mut Outcome) {
        let horizon = self.horizon.max(self.live.cursor);
        if self.live.deadline(&self.policy) <= horizon {
            // Deadlines between the last observation and the caller's clock: judge them on a
            // copy, since an observation from that stretch may still arrive.
            let mut view = self.live.clone();
            view.advance_to(&self.policy, horizon);
            tell(
                &mut view.book.episodes,
                &mut self.told,
                settled,
                &mut self.next_id,
                &mut out.changes,
            );
        } else {
            tell(
                &mut self.live.book.episodes,
                &mut self.told,
                settled,
                &mut self.next_id,
                &mut out.changes,
            );
        }
        tell(
            &mut self.arrival_book.episodes,
            &mut self.arrival_told,
            Timestamp::MIN,
            &mut self.next_id,
            &mut out.changes,
        );
        let prune_before = self.anchor.settled_before();
        self.live.book.prune(prune_before);
        self.anchor.book.prune(prune_before);
        self.arrival_book
            .prune(self.horizon.saturating_sub(Span::hours(1)));
        self.told
            .retain(|e| e.end.is_none_or(|end| end >= prune_before));
        self.arrival_told.retain(|e| {
            e.end
                .is_none_or(|end| end >= self.horizon.saturating_sub(Span::hours(1)))
        });
    }
}

fn tell(
    judged: &mut [Episode],
    told: &mut Vec<Episode>,
    settled: Timestamp,
    next_id: &mut u64,
    out: &mut Vec<EpisodeChange>,
) {
    if judged.is_empty() && told.is_empty() {
        return;
    }
    let before = out.len();
    reconcile(judged, told, settled, next_id, out);
    if out.len() > before {
        *told = judged
            .iter()
            .filter(|e| e.end.is_none_or(|end| end >= settled))
            .cloned()
            .collect();
    }
}

fn next_boundary(t: Timestamp) -> Timestamp {
    let every = CHECKPOINT_EVERY.millis();
    Timestamp((t.0.div_euclid(every) + 1).saturating_mul(every))
}

/// Offers `state` as a checkpoint when it has reached the next hourly boundary.
fn offer_checkpoint(
    next: &mut Timestamp,
    policy: &CompiledPolicy,
    state: &ClientState,
    out: &mut Outcome,
) {
    if state.cursor < *next || state.cursor == Timestamp::MIN {
        return;
    }
    out.checkpoints.push(Checkpoint {
        client: policy.client(),
        at: state.cursor,
        settled: state.settled_before(),
        policy_revision: policy.revision(),
        state: state.clone(),
    });
    *next = next_boundary(state.cursor);
}
