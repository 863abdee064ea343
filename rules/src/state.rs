//! One client's judgement so far, in parts that each move forward in event time on their own.
//!
//! Zones and each device's health are fed by one device's own stream, which a device numbers and
//! sends in order (but after a coverage gap, which is the caller's re-judgement anyway), so these
//! parts only ever see their observations in order and need no earlier copy to replay from. The
//! curfew and victim proximity are fed by several devices (home unit and tag, tag and victim's
//! device) whose reports interleave on arrival: that part, the joint part, is the one the
//! monitor keeps an earlier copy of. Keeping one copy of the small part instead of two of the
//! whole state is most of what makes a client cheap to hold.
//!
//! Each part is a plain value, so a checkpoint is a clone.

use serde::{Deserialize, Serialize};

use crate::book::Book;
use crate::curfew::CurfewState;
use crate::episode::ConditionRef;
use crate::geometry::GeoPoint;
use crate::health::DeviceHealth;
use crate::input::{JointInput, Route};
use crate::observation::Observation;
use crate::policy::{Capabilities, CompiledPolicy};
use crate::prefetch;
use crate::progress::{Order, Progress, advance};
use crate::time::Timestamp;
use crate::zones::{ProximityState, ZoneState};

/// Compliant, breach, or unknown (no data): never just two.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionState {
    /// The condition is being kept.
    Compliant,
    /// The condition is breached.
    Breach,
    /// Too little data to say either way.
    Unknown,
}

/// The curfew and victim proximity: the part fed by several devices.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct JointState {
    pub progress: Progress,
    /// The episodes of the curfew and of proximity.
    pub book: Book,
    curfew: CurfewState,
    proximity: Vec<ProximityState>,
}

impl JointState {
    fn new(policy: &CompiledPolicy) -> Self {
        JointState {
            progress: Progress::START,
            book: Book::default(),
            curfew: CurfewState::default(),
            proximity: policy
                .source
                .proximity
                .iter()
                .map(|_| ProximityState::default())
                .collect(),
        }
    }

    pub fn advance_to(&mut self, policy: &CompiledPolicy, t: Timestamp) {
        let curfew = &mut self.curfew;
        let book = &mut self.book;
        advance(&mut self.progress, t, |due| {
            if let Some(due) = due
                && curfew.deadline(policy) <= due
            {
                curfew.on_deadline(policy, due, book);
            }
            curfew.deadline(policy)
        });
    }

    /// Judges an input that comes next for this part (and keeps in it what it worked out that
    /// judging it again would work out the same).
    pub fn observe(&mut self, policy: &CompiledPolicy, input: &mut JointInput) {
        let proof = input.proof();
        self.advance_to(policy, proof.device_time);
        self.progress.frontier = input.key();
        if input.worn {
            self.curfew.on_input(policy, input, &mut self.book);
        }
        let Some((at, accuracy)) = input.fix() else {
            return;
        };
        for (i, p) in self.proximity.iter_mut().enumerate() {
            if input.on_body {
                p.on_fix(policy, i, false, at, accuracy, proof, &mut self.book);
            } else if !input.worn && policy.proximity[i].victim_device == proof.device {
                p.on_fix(policy, i, true, at, accuracy, proof, &mut self.book);
            }
        }
    }

    pub fn settled_before(&self) -> Timestamp {
        self.book
            .open_since()
            .into_iter()
            .chain(self.curfew.pending_since())
            .chain(
                self.proximity
                    .iter()
                    .filter_map(ProximityState::pending_since),
            )
            .fold(self.progress.cursor, Timestamp::min)
    }

    pub fn prefetch(&self) {
        prefetch::slice(&self.proximity);
        prefetch::slice(&self.book.episodes);
    }

    pub fn heap_bytes(&self) -> usize {
        self.book.heap_bytes() + self.proximity.capacity() * std::mem::size_of::<ProximityState>()
    }
}

/// The zones, fed by the fixes of the client's tags.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ZonesPart {
    progress: Progress,
    zones: Vec<ZoneState>,
}

impl ZonesPart {
    fn deadline(&self) -> Timestamp {
        first_deadline(&self.zones)
    }

    fn advance_to(&mut self, policy: &CompiledPolicy, t: Timestamp, book: &mut Book) {
        let zones = &mut self.zones;
        advance(&mut self.progress, t, |due| {
            if let Some(due) = due {
                for (i, z) in zones.iter_mut().enumerate() {
                    z.on_deadline(policy, i, due, book);
                }
            }
            first_deadline(zones)
        });
    }
}

/// Which of the parts other than the joint one judges a condition.
#[derive(Copy, Clone, PartialEq, Eq)]
enum SoloPart {
    Zones,
    Device(usize),
}

/// The part judging `condition`; none for a device the policy does not have.
fn solo_part(policy: &CompiledPolicy, condition: &ConditionRef) -> Option<SoloPart> {
    match condition {
        ConditionRef::Device { device } => policy.device_index(*device).map(SoloPart::Device),
        _ => Some(SoloPart::Zones),
    }
}

fn solo_cursor(zones: &ZonesPart, devices: &[DevicePart], part: Option<SoloPart>) -> Timestamp {
    match part {
        Some(SoloPart::Zones) => zones.progress.cursor,
        Some(SoloPart::Device(i)) => devices[i].progress.cursor,
        None => Timestamp::MIN,
    }
}

fn first_deadline(zones: &[ZoneState]) -> Timestamp {
    zones
        .iter()
        .map(ZoneState::deadline)
        .min()
        .unwrap_or(Timestamp::MAX)
}

/// One device's health, fed by that device's own observations.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct DevicePart {
    progress: Progress,
    health: DeviceHealth,
}

impl DevicePart {
    fn advance_to(&mut self, policy: &CompiledPolicy, index: usize, t: Timestamp, book: &mut Book) {
        let health = &mut self.health;
        advance(&mut self.progress, t, |due| {
            if let Some(due) = due
                && health.deadline(policy) <= due
            {
                // Read only here: the device list is another line to wait for.
                let device = policy.source.devices[index].id;
                health.on_deadline(policy, device, due, book);
            }
            health.deadline(policy)
        });
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ClientState {
    zones: ZonesPart,
    devices: Vec<DevicePart>,
    /// The episodes of the zones and of device health.
    pub book: Book,
    pub joint: JointState,
}

impl ClientState {
    pub fn new(policy: &CompiledPolicy) -> Self {
        ClientState {
            zones: ZonesPart {
                progress: Progress::START,
                zones: policy.zones.iter().map(|_| ZoneState::new()).collect(),
            },
            devices: policy
                .source
                .devices
                .iter()
                .map(|_| DevicePart {
                    progress: Progress::START,
                    health: DeviceHealth::default(),
                })
                .collect(),
            book: Book::default(),
            joint: JointState::new(policy),
        }
    }

    /// Whether this state (a stored checkpoint's, say) fits `policy`: one part per zone, device
    /// and proximity condition, and episodes of conditions the policy has.
    pub fn check(&self, policy: &CompiledPolicy) -> Result<(), &'static str> {
        if self.zones.zones.len() != policy.zones.len() {
            return Err("not one state per zone");
        }
        if self.devices.len() != policy.source.devices.len() {
            return Err("not one state per device");
        }
        if self.joint.proximity.len() != policy.source.proximity.len() {
            return Err("not one state per proximity condition");
        }
        self.book.check(policy)?;
        self.joint.book.check(policy)
    }

    /// This state with another joint part: the monitor's earlier copy of it.
    pub fn with_joint(&self, joint: &JointState) -> Self {
        ClientState {
            zones: self.zones.clone(),
            devices: self.devices.clone(),
            book: self.book.clone(),
            joint: joint.clone(),
        }
    }

    /// Where `obs` stands against the parts other than the joint one that it feeds: `Next` when
    /// it feeds none of them.
    pub fn solo_order(&self, obs: &Observation, route: &Route) -> Order {
        let mut order = Order::Next;
        let mut take = |o: Order| {
            order = match (order, o) {
                (Order::Late, _) | (_, Order::Late) => Order::Late,
                (Order::Duplicate, _) | (_, Order::Duplicate) => Order::Duplicate,
                _ => Order::Next,
            }
        };
        if let Some(i) = route.device {
            take(self.devices[i].progress.order(obs.key()));
        }
        if route.feeds_zones() {
            take(self.zones.progress.order(obs.key()));
        }
        order
    }

    /// Judges `obs` in the parts other than the joint one, which must all take it next.
    pub fn observe_solo(&mut self, policy: &CompiledPolicy, obs: &Observation, route: &Route) {
        if let Some(i) = route.device {
            self.judge_device(policy, i, obs, route.can);
        }
        if route.feeds_zones()
            && let Some(fix) = route.fix
        {
            self.judge_zones(policy, obs, fix);
        }
    }

    /// Judges `obs` in every part for which it comes next; the others have judged it already.
    pub fn observe(&mut self, policy: &CompiledPolicy, obs: &Observation) {
        let route = Route::of(policy, obs);
        if let Some(i) = route.device
            && self.devices[i].progress.order(obs.key()) == Order::Next
        {
            self.judge_device(policy, i, obs, route.can);
        }
        if route.feeds_zones()
            && let Some(fix) = route.fix
            && self.zones.progress.order(obs.key()) == Order::Next
        {
            self.judge_zones(policy, obs, fix);
        }
        if let Some(mut input) = route.joint
            && self.joint.progress.order(input.key()) == Order::Next
        {
            self.joint.observe(policy, &mut input);
        }
    }

    fn judge_device(
        &mut self,
        policy: &CompiledPolicy,
        i: usize,
        obs: &Observation,
        can: Capabilities,
    ) {
        let part = &mut self.devices[i];
        part.advance_to(policy, i, obs.device_time, &mut self.book);
        part.progress.frontier = obs.key();
        part.health.on_observation(policy, obs, can, &mut self.book);
    }

    fn judge_zones(
        &mut self,
        policy: &CompiledPolicy,
        obs: &Observation,
        (at, accuracy): (GeoPoint, f64),
    ) {
        self.zones
            .advance_to(policy, obs.device_time, &mut self.book);
        self.zones.progress.frontier = obs.key();
        let proof = obs.evidence();
        for (i, z) in self.zones.zones.iter_mut().enumerate() {
            z.on_fix(policy, i, at, accuracy, proof, &mut self.book);
        }
    }

    /// The earliest instant at which something changes with no new observation.
    pub fn deadline(&self, policy: &CompiledPolicy) -> Timestamp {
        self.devices
            .iter()
            .map(|d| d.health.deadline(policy))
            .fold(self.zones.deadline(), Timestamp::min)
            .min(self.joint.curfew.deadline(policy))
    }

    /// Judges the passing of time up to `t` in every part.
    pub fn advance_to(&mut self, policy: &CompiledPolicy, t: Timestamp) {
        self.zones.advance_to(policy, t, &mut self.book);
        for (i, d) in self.devices.iter_mut().enumerate() {
            d.advance_to(policy, i, t, &mut self.book);
        }
        self.joint.advance_to(policy, t);
    }

    fn parts(&self) -> impl Iterator<Item = &Progress> {
        std::iter::once(&self.zones.progress)
            .chain(self.devices.iter().map(|d| &d.progress))
            .chain(std::iter::once(&self.joint.progress))
    }

    /// The newest observation any part has judged.
    pub fn until(&self) -> Timestamp {
        self.parts()
            .map(|p| p.frontier.time)
            .max()
            .unwrap_or(Timestamp::MIN)
    }

    /// Every observation of `device` from this instant on that the parts take may not have
    /// been judged yet; those before it have been.
    pub fn replay_from(&self, policy: &CompiledPolicy, device: u64) -> Timestamp {
        let from = |p: &Progress| {
            if p.has_judged() {
                p.frontier.time
            } else {
                Timestamp::MIN
            }
        };
        let mut t = from(&self.joint.progress);
        if let Some(i) = policy.device_index(device) {
            t = t.min(from(&self.devices[i].progress));
            if policy.source.devices[i].kind.locates_client() {
                t = t.min(from(&self.zones.progress));
            }
        }
        t
    }

    /// Nothing judged after this state can change an episode that ended before the instant
    /// returned: the parts' cursors, or earlier while an episode is open or an absence, a
    /// change of side or a motion window is pending (each can still end, or start, in the past).
    pub fn settled_before(&self) -> Timestamp {
        self.book
            .open_since()
            .into_iter()
            .chain(self.zones.zones.iter().filter_map(ZoneState::pending_since))
            .chain(self.devices.iter().filter_map(|d| d.health.pending_since()))
            .chain(self.parts().map(|p| p.cursor))
            .fold(self.joint.settled_before(), Timestamp::min)
    }

    /// The instant up to which the zones or device health part that judges `key` has gone:
    /// episodes of it closed before then are final, since those parts are never judged again
    /// but from a checkpoint.
    pub fn solo_cursor(&self, policy: &CompiledPolicy, condition: &ConditionRef) -> Timestamp {
        solo_cursor(&self.zones, &self.devices, solo_part(policy, condition))
    }

    /// Forgets the zone and device episodes closed before their part's cursor, once told.
    pub fn prune_solo(&mut self, policy: &CompiledPolicy) {
        let (zones, devices) = (&self.zones, &self.devices);
        self.book
            .prune_where(|e| solo_cursor(zones, devices, solo_part(policy, &e.condition)));
    }

    /// Judging again from this state cannot change an episode of the zones or device-health
    /// part judging `condition` that ended before the instant returned: the part's cursor, or
    /// earlier while one of its episodes is open or a change is pending (a zone exit confirmed
    /// later ends at its first compliant fix, before the cursor).
    pub fn solo_settled(&self, policy: &CompiledPolicy, condition: &ConditionRef) -> Timestamp {
        self.part_settled(policy, solo_part(policy, condition))
    }

    fn part_settled(&self, policy: &CompiledPolicy, part: Option<SoloPart>) -> Timestamp {
        let open = self
            .book
            .episodes
            .iter()
            .filter(|e| e.is_open() && solo_part(policy, &e.condition) == part)
            .map(|e| e.start);
        let pending = match part {
            Some(SoloPart::Zones) => self
                .zones
                .zones
                .iter()
                .filter_map(ZoneState::pending_since)
                .min(),
            Some(SoloPart::Device(i)) => self.devices[i].health.pending_since(),
            None => None,
        };
        open.chain(pending).fold(
            solo_cursor(&self.zones, &self.devices, part),
            Timestamp::min,
        )
    }

    /// Forgets the zone and device episodes that ended before [`Self::solo_settled`].
    pub fn prune_solo_settled(&mut self, policy: &CompiledPolicy) {
        let zones = self.part_settled(policy, Some(SoloPart::Zones));
        let devices: Vec<Timestamp> = (0..self.devices.len())
            .map(|i| self.part_settled(policy, Some(SoloPart::Device(i))))
            .collect();
        self.book
            .prune_where(|e| match solo_part(policy, &e.condition) {
                Some(SoloPart::Zones) => zones,
                Some(SoloPart::Device(i)) => devices[i],
                None => Timestamp::MIN,
            });
    }

    /// Each condition's state at `now` (at or after every part's cursor).
    pub fn conditions(
        &self,
        policy: &CompiledPolicy,
        now: Timestamp,
    ) -> Vec<(ConditionRef, ConditionState)> {
        let state = |breach: bool, unknown: bool| {
            if breach {
                ConditionState::Breach
            } else if unknown {
                ConditionState::Unknown
            } else {
                ConditionState::Compliant
            }
        };
        let mut out = Vec::new();
        if policy.curfew.is_some() {
            let curfew = &self.joint.curfew;
            out.push((
                ConditionRef::Curfew,
                state(curfew.is_breach(), curfew.is_unknown(now)),
            ));
        }
        for (i, z) in self.zones.zones.iter().enumerate() {
            out.push((
                ConditionRef::Zone {
                    id: policy.source.zones[i].id.clone(),
                },
                state(z.is_breach(), z.is_unknown(policy, i, now)),
            ));
        }
        for (i, p) in self.joint.proximity.iter().enumerate() {
            out.push((
                ConditionRef::Proximity {
                    id: policy.source.proximity[i].id.clone(),
                },
                state(p.is_breach(), p.is_unknown(policy, i, now)),
            ));
        }
        for device in &policy.source.devices {
            let breach =
                self.book.episodes.iter().any(|e| {
                    e.is_open() && e.condition == ConditionRef::Device { device: device.id }
                });
            out.push((
                ConditionRef::Device { device: device.id },
                state(breach, false),
            ));
        }
        out
    }

    /// Fetches ahead what judging an observation reads of this state's heap: the sending
    /// device's part (`device`), the zones (`fix` from a tag), the episodes and the joint part.
    pub fn prefetch(&self, device: Option<usize>, zones: bool) {
        if zones {
            prefetch::slice(&self.zones.zones);
        }
        if let Some(part) = device.and_then(|i| self.devices.get(i)) {
            prefetch::range(part, std::mem::size_of::<DevicePart>());
        }
        prefetch::slice(&self.book.episodes);
        self.joint.prefetch();
    }

    /// Bytes this state holds on the heap (its inline size is counted by its owner).
    pub fn heap_bytes(&self) -> usize {
        self.book.heap_bytes()
            + self.joint.heap_bytes()
            + self.zones.zones.capacity() * std::mem::size_of::<ZoneState>()
            + self.devices.capacity() * std::mem::size_of::<DevicePart>()
    }
}
