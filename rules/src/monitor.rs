//! One client's monitor: event-time judgement that stays right when data arrives out of order.
//!
//! Observations in order are judged at once (the fast path). Zones and device health are each fed
//! by one device's own stream, in order (see the private `state` module). The curfew and proximity
//! are fed by several devices, whose reports overtake one another on arrival: for them the monitor
//! keeps a copy of their part from a little earlier (the anchor) and the observations since it, so
//! a home unit's report overtaken by the tag's fix is judged by replaying from the anchor. Data
//! older than that, such as frames a tag held through a coverage gap, needs the caller's help: the
//! monitor says so ([`Outcome::late`]), and the caller hands back a [`Checkpoint`] it kept and the
//! stored observations since it ([`ClientMonitor::rejudge`]). Either way, the episodes told are
//! those that judging every observation in event order would give, and a change is told as a change
//! (updated, closed or withdrawn), never as a second episode.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::book::{Book, CondKey};
use crate::episode::ConditionRef;
use crate::episode::{Episode, EpisodeChange, EpisodeId, Told, reconcile};
use crate::health::ArrivalHealth;
use crate::input::{JointInput, Route};
use crate::observation::{DeviceId, Observation};
use crate::policy::{ClientId, CompiledPolicy, DeviceKind};
use crate::prefetch;
use crate::progress::Order;
use crate::state::{ClientState, ConditionState, JointState};
use crate::time::{Span, Timestamp};

pub use crate::checkpoint::{Checkpoint, CheckpointError};

/// The anchor trails the newest observation by at most this many observations (a tag's fixes
/// every 15 s and a home unit's report each minute make about seven in the span below)...
const BUFFER_MAX: usize = 7;
/// ...and by at most this much event time.
const BUFFER_SPAN: Span = Span::seconds(90);
/// How often (in event time) the monitor offers the caller a checkpoint to keep.
pub const CHECKPOINT_EVERY: Span = Span::hours(1);

/// What judging one input gave.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// What changed in the client's episodes, for the caller to store in order.
    pub changes: Vec<EpisodeChange>,
    /// Checkpoints to keep, replacing any kept for the same instant.
    pub checkpoints: Vec<Checkpoint>,
    /// Observations older than a monitor's own copy, by client and device time: call
    /// [`ClientMonitor::rejudge`] from a checkpoint taken before that instant (`until` < it).
    pub late: Vec<(ClientId, Timestamp)>,
}

/// One probation client's judgement: the live state under their policy, the recent observations
/// that late data may reorder, and what the caller has been told of their episodes.
#[derive(Debug)]
pub struct ClientMonitor {
    policy: Arc<CompiledPolicy>,
    live: ClientState,
    /// The joint part (curfew, proximity) as it was before the buffered observations.
    anchor: JointState,
    /// What the joint part took from the observations judged into `live` but not into
    /// `anchor`, in event order.
    buffer: VecDeque<JointInput>,
    /// What the caller was told of the zones and device health, and of the joint part.
    told_solo: Vec<Told>,
    told_joint: Vec<Told>,
    arrival: Vec<ArrivalHealth>,
    arrival_book: Book,
    arrival_told: Vec<Told>,
    /// The caller's latest clock tick.
    horizon: Timestamp,
    /// The id the next new episode gets.
    next_id: u64,
    next_checkpoint: Timestamp,
}

impl ClientMonitor {
    /// A monitor of the policy's client with nothing judged and nothing told yet.
    pub fn new(policy: Arc<CompiledPolicy>) -> Self {
        let live = ClientState::new(&policy);
        ClientMonitor {
            anchor: live.joint.clone(),
            live,
            // One more than the most it holds: an observation is added before the fold.
            buffer: VecDeque::with_capacity(BUFFER_MAX + 1),
            told_solo: Vec::new(),
            told_joint: Vec::new(),
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

    /// The compiled policy the client is judged under.
    pub fn policy(&self) -> &Arc<CompiledPolicy> {
        &self.policy
    }

    /// The probation client this monitor judges.
    pub fn client(&self) -> ClientId {
        self.policy.client()
    }

    /// Judges one observation of one of the client's devices (or a victim's device).
    pub fn observe(&mut self, obs: &Observation, out: &mut Outcome) {
        let route = Route::of(&self.policy, obs);
        self.observe_routed(obs, &route, out);
    }

    /// As [`Self::observe`], with the sender's index among the client's devices and its kind
    /// known to the caller (the engine's routing table), so the policy's device list is not
    /// read for every observation.
    pub(crate) fn observe_from(
        &mut self,
        obs: &Observation,
        device: Option<(usize, DeviceKind)>,
        out: &mut Outcome,
    ) {
        let route = Route::of_device(&self.policy, obs, device);
        self.observe_routed(obs, &route, out);
    }

    fn observe_routed(&mut self, obs: &Observation, route: &Route, out: &mut Outcome) {
        if let Some(index) = route.device {
            self.arrival[index].on_arrival(&self.policy, obs, &mut self.arrival_book);
        }
        if obs.device_time_plausible() {
            self.judge(obs, route, out);
        }
        self.fold();
        self.offer_checkpoint(out);
        self.publish(out);
    }

    fn judge(&mut self, obs: &Observation, route: &Route, out: &mut Outcome) {
        match (self.live.solo_order(obs, route), self.joint_step(route)) {
            (Order::Late, _) | (_, JointStep::Late) => {
                out.late.push((self.client(), obs.device_time));
            }
            (Order::Duplicate, _) | (_, JointStep::Duplicate) => {}
            (Order::Next, step) => {
                self.live.observe_solo(&self.policy, obs, route);
                match step {
                    JointStep::Live(mut input) => {
                        self.live.joint.observe(&self.policy, &mut input);
                        self.buffer.push_back(input);
                    }
                    JointStep::Replay(at, input) => {
                        self.buffer.insert(at, input);
                        self.replay_buffer();
                    }
                    JointStep::None | JointStep::Late | JointStep::Duplicate => {}
                }
            }
        }
    }

    /// Where what an observation tells the joint part goes.
    fn joint_step(&self, route: &Route) -> JointStep {
        let Some(input) = route.joint else {
            return JointStep::None;
        };
        let key = input.key();
        match self.live.joint.progress.order(key) {
            Order::Next => JointStep::Live(input),
            Order::Duplicate => JointStep::Duplicate,
            Order::Late => match self.anchor.progress.order(key) {
                Order::Next => {
                    let at = self.buffer.partition_point(|i| i.key() < key);
                    if self.buffer.get(at).is_some_and(|i| i.key() == key) {
                        JointStep::Duplicate
                    } else {
                        JointStep::Replay(at, input)
                    }
                }
                Order::Duplicate => JointStep::Duplicate,
                Order::Late => JointStep::Late,
            },
        }
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

    /// Judges again from `checkpoint`, with every stored observation of the client's devices
    /// (and victims' devices) from [`Checkpoint::replay_from`] on, in any order; duplicates and
    /// observations judged into the checkpoint already are ignored. `known` are the episodes
    /// the caller holds that end at or after `checkpoint.settled` (or are open): the result is
    /// told as changes to them.
    pub fn rejudge(
        &mut self,
        checkpoint: &Checkpoint,
        observations: &[Observation],
        known: &[Episode],
        out: &mut Outcome,
    ) -> Result<(), CheckpointError> {
        if checkpoint.client != self.client() {
            return Err(CheckpointError::OtherClient {
                checkpoint: checkpoint.client,
                monitor: self.client(),
            });
        }
        if checkpoint.policy_revision != self.policy.revision() {
            return Err(CheckpointError::OtherRevision {
                checkpoint: checkpoint.policy_revision,
                monitor: self.policy.revision(),
            });
        }
        checkpoint
            .state
            .check(&self.policy)
            .map_err(CheckpointError::Malformed)?;
        let mut sorted: Vec<&Observation> = observations
            .iter()
            .filter(|o| o.device_time_plausible())
            .collect();
        sorted.sort_by_key(|o| o.key());
        sorted.dedup_by_key(|o| o.key());
        let mut state = checkpoint.state.clone();
        // Each part's settled episodes are left out of the judgement and of what was told. The
        // caller's `known` holds them all from the earliest part's instant on.
        let joint_settled = state.joint.settled_before();
        state.joint.book.prune(joint_settled);
        state.prune_solo_settled(&self.policy);
        self.next_checkpoint = next_boundary(checkpoint.until);
        for obs in sorted {
            state.observe(&self.policy, obs);
            if state.until() >= self.next_checkpoint {
                self.next_checkpoint = next_boundary(state.until());
                out.checkpoints.push(self.checkpoint_of(state.clone()));
            }
        }
        self.anchor = state.joint.clone();
        self.live = state;
        self.buffer.clear();
        // The arrival-judged episodes are not judged again: they stay as told.
        let (joint, solo): (Vec<Episode>, Vec<Episode>) = known
            .iter()
            .filter(|e| !e.kind.judged_by_arrival())
            .cloned()
            .partition(|e| is_joint(&e.condition));
        let ends_after = |e: &Episode, t: Timestamp| e.end.is_none_or(|end| end >= t);
        self.told_joint = joint
            .iter()
            .filter(|e| ends_after(e, joint_settled))
            .map(Told::of)
            .collect();
        self.told_solo = solo
            .iter()
            .filter(|e| ends_after(e, checkpoint.state.solo_settled(&self.policy, &e.condition)))
            .map(Told::of)
            .collect();
        self.publish(out);
        Ok(())
    }

    /// After a restart: ids up to `last` were issued before, so new episodes get later ones.
    pub fn resume_ids_after(&mut self, last: EpisodeId) {
        self.next_id = self.next_id.max(last.0.saturating_add(1));
    }

    /// After a restart, what was judged by arrival, which no checkpoint holds: when each of the
    /// client's devices was last heard from (`last_received`), and the arrival-judged episodes
    /// (communication lost, clock skewed) told before and still open, so that a device silent
    /// across the restart is still found silent, and one heard again closes the episode told
    /// before instead of leaving it open. Other devices and other episodes are ignored.
    pub fn resume_arrival(&mut self, last_received: &[(DeviceId, Timestamp)], open: &[Episode]) {
        for &(device, at) in last_received {
            if let Some(index) = self.policy.device_index(device) {
                self.arrival[index].resume(at);
            }
        }
        for episode in open {
            let ConditionRef::Device { device } = episode.condition else {
                continue;
            };
            let restorable = episode.is_open()
                && episode.kind.judged_by_arrival()
                && episode.client == self.client()
                && self.policy.device_index(device).is_some()
                && !self.arrival_told.iter().any(|t| t.episode.id == episode.id);
            if restorable {
                self.arrival_book
                    .restore(CondKey::Device(device), episode.clone());
                self.arrival_told.push(Told::of(episode));
            }
        }
        self.next_id = self.next_id.max(
            open.iter()
                .map(|e| e.id.0.saturating_add(1))
                .max()
                .unwrap_or(1),
        );
    }

    /// A checkpoint of the state before any observation has been judged.
    pub fn initial_checkpoint(&self) -> Checkpoint {
        self.checkpoint_of(ClientState::new(&self.policy))
    }

    /// Each condition's state: compliant, breach or unknown.
    pub fn conditions(&self) -> Vec<(ConditionRef, ConditionState)> {
        let now = self.horizon.max(self.live.until());
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

    /// Fetches ahead the monitor itself: the first step of judging a batch.
    pub(crate) fn prefetch_monitor(&self) {
        prefetch::range(self as *const Self, std::mem::size_of::<Self>());
    }

    /// Fetches ahead what the monitor points to that judging `obs` reads (sent by the client's
    /// device `device`, else by a victim's): the policy's first lines and the state's parts the
    /// observation feeds. The monitor must have been fetched. Only what is needed: with many
    /// clients the memory system, not the core, sets the pace, and every line counts.
    pub(crate) fn prefetch_state(&self, obs: &Observation, device: Option<(usize, DeviceKind)>) {
        let tag_fix = is_tag_fix(obs, device);
        let index = device.map(|(i, _)| i);
        self.live.prefetch(index, tag_fix);
        self.anchor.prefetch();
        // The slot the observation goes to, and the oldest, which the anchor takes next.
        if let Some(oldest) = self.buffer.front() {
            prefetch::range(oldest, std::mem::size_of::<JointInput>());
        }
        if let Some(newest) = self.buffer.back() {
            prefetch::range(newest, 2 * std::mem::size_of::<JointInput>());
        }
        if let Some(arrival) = index.and_then(|i| self.arrival.get(i)) {
            prefetch::range(arrival, std::mem::size_of::<ArrivalHealth>());
        }
        prefetch::slice(&self.told_solo);
        prefetch::slice(&self.told_joint);
        let policy = &*self.policy;
        // The first lines hold all of the policy that every observation reads.
        prefetch::range(policy, std::mem::offset_of!(CompiledPolicy, curfew));
    }

    /// Fetches ahead what the policy points to that judging `obs` reads: the zones' hot lines and
    /// the address (a tag's fix), the proximity rules. The policy's first lines must have been
    /// fetched.
    pub(crate) fn prefetch_policy(&self, obs: &Observation, device: Option<(usize, DeviceKind)>) {
        let policy = &*self.policy;
        if is_tag_fix(obs, device) {
            prefetch::slice(&policy.hot_zones);
            for address in &policy.addresses {
                // The shape comes first, its boxes and frame at the start.
                prefetch::range(address, 2 * 64);
            }
        } else if device.is_some() {
            prefetch::slice(&policy.addresses);
            prefetch::slice(&policy.source.devices);
        }
        prefetch::slice(&policy.proximity);
    }

    /// Fetches ahead the zones and polygons that judging `obs` will read beyond their hot lines
    /// (those whose boxes do not decide it). The zones' hot lines must have been fetched.
    pub(crate) fn prefetch_shapes(&self, obs: &Observation, device: Option<(usize, DeviceKind)>) {
        let policy = &*self.policy;
        if is_tag_fix(obs, device)
            && let Some((at, accuracy)) = obs.fix()
        {
            for (hot, zone) in policy.hot_zones.iter().zip(&policy.zones) {
                hot.prefetch_for(zone, at, accuracy);
            }
        }
    }

    /// Bytes this monitor holds for its client, not counting the shared policy.
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.live.heap_bytes()
            + self.anchor.heap_bytes()
            + self.buffer.capacity() * std::mem::size_of::<JointInput>()
            + (self.told_solo.capacity()
                + self.told_joint.capacity()
                + self.arrival_told.capacity())
                * std::mem::size_of::<Told>()
            + self.arrival.capacity() * std::mem::size_of::<ArrivalHealth>()
            + self.arrival_book.heap_bytes()
    }

    fn replay_buffer(&mut self) {
        let until = self.live.joint.progress.cursor;
        let mut joint = self.anchor.clone();
        for input in &mut self.buffer {
            joint.observe(&self.policy, input);
        }
        joint.advance_to(&self.policy, until);
        self.live.joint = joint;
    }

    /// Moves the anchor forward over the oldest buffered observations.
    fn fold(&mut self) {
        while let Some(oldest) = self.buffer.front() {
            let span = self.live.joint.progress.cursor.since(oldest.key().time);
            if self.buffer.len() <= BUFFER_MAX && span <= BUFFER_SPAN {
                break;
            }
            if let Some(mut input) = self.buffer.pop_front() {
                self.anchor.observe(&self.policy, &mut input);
            }
        }
    }

    /// Offers the state as it stands outside the replay window (the live zones and device
    /// health, which are never replayed, and the anchor) once it has passed the next hourly
    /// boundary.
    fn offer_checkpoint(&mut self, out: &mut Outcome) {
        let until = self.live.until();
        if until < self.next_checkpoint {
            return;
        }
        self.next_checkpoint = next_boundary(until);
        let state = self.live.with_joint(&self.anchor);
        out.checkpoints.push(self.checkpoint_of(state));
    }

    fn checkpoint_of(&self, state: ClientState) -> Checkpoint {
        Checkpoint {
            client: self.client(),
            until: state.until(),
            settled: state.settled_before(),
            policy_revision: self.policy.revision(),
            state,
        }
    }

    /// Tells every change. Closed episodes are forgotten only after they were told, on both
    /// sides at once, so nothing judged is ever left untold.
    fn publish(&mut self, out: &mut Outcome) {
        let settled = Timestamp::MIN;
        let horizon = self.horizon.max(self.live.until());
        let mut view;
        let judged = if self.live.deadline(&self.policy) <= horizon {
            // Deadlines between the last observation and the caller's clock: judge them on a
            // copy, since an observation from that stretch may still arrive.
            view = self.live.clone();
            view.advance_to(&self.policy, horizon);
            &mut view
        } else {
            &mut self.live
        };
        let changes = &mut out.changes;
        tell(
            &mut judged.book.episodes,
            &mut self.told_solo,
            settled,
            &mut self.next_id,
            changes,
        );
        tell(
            &mut judged.joint.book.episodes,
            &mut self.told_joint,
            settled,
            &mut self.next_id,
            changes,
        );
        tell(
            &mut self.arrival_book.episodes,
            &mut self.arrival_told,
            Timestamp::MIN,
            &mut self.next_id,
            changes,
        );
        // The joint part may still be replayed from the anchor; the others only from a
        // checkpoint, so what they closed before their own cursor is final.
        let joint_settled = self.anchor.settled_before();
        self.live.joint.book.prune(joint_settled);
        self.anchor.book.prune(joint_settled);
        self.told_joint
            .retain(|t| t.episode.end.is_none_or(|end| end >= joint_settled));
        self.live.prune_solo(&self.policy);
        let (policy, live) = (&self.policy, &self.live);
        self.told_solo.retain(|t| {
            let e = &t.episode;
            e.end
                .is_none_or(|end| end >= live.solo_cursor(policy, &e.condition))
        });
        let recent = self.horizon.saturating_sub(Span::hours(1));
        self.arrival_book.prune(recent);
        self.arrival_told
            .retain(|t| t.episode.end.is_none_or(|end| end >= recent));
    }
}

/// Where what an observation tells the joint part goes.
enum JointStep {
    /// It tells the joint part nothing.
    None,
    /// After everything the live part judged: judge it there.
    Live(JointInput),
    /// Within the buffer, at this place: judge again from the anchor.
    Replay(usize, JointInput),
    Duplicate,
    /// Before the anchor: the caller's re-judgement.
    Late,
}

/// Whether `obs` is a fix from a device the client wears (a GPS tag, a tracker), which feeds
/// the zones.
fn is_tag_fix(obs: &Observation, device: Option<(usize, DeviceKind)>) -> bool {
    device.is_some_and(|(_, kind)| kind.locates_client()) && obs.fix().is_some()
}

/// Conditions judged in the joint part.
fn is_joint(condition: &ConditionRef) -> bool {
    matches!(
        condition,
        ConditionRef::Curfew | ConditionRef::Proximity { .. }
    )
}

fn tell(
    judged: &mut [Episode],
    told: &mut Vec<Told>,
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
            .map(Told::of)
            .collect();
        told.shrink_to_fit();
    }
}

fn next_boundary(t: Timestamp) -> Timestamp {
    let every = CHECKPOINT_EVERY.millis();
    Timestamp((t.0.div_euclid(every) + 1).saturating_mul(every))
}
