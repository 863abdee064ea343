//! One client's judgement so far: every condition's state at one instant of event time.
//!
//! A `ClientState` moves forward only: observations in event order, and the deadlines between
//! them (a window opens, evidence stops counting, a grace period runs out). It is a plain value,
//! so the monitor can keep a copy to replay from when data arrives out of order, and the caller
//! can store one as a checkpoint.

use serde::{Deserialize, Serialize};

use crate::book::Book;
use crate::curfew::CurfewState;
use crate::episode::ConditionRef;
use crate::health::DeviceHealth;
use crate::observation::{EventKey, Observation};
use crate::policy::{CompiledPolicy, DeviceKind};
use crate::time::Timestamp;
use crate::zones::{ProximityState, ZoneState};

/// Compliant, breach, or unknown (no data): never just two.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionState {
    Compliant,
    Breach,
    Unknown,
}

#[derive(Clone, Debug)]
pub(crate) struct ClientState {
    /// Judged up to here, in event time.
    pub cursor: Timestamp,
    /// The last observation judged.
    pub frontier: EventKey,
    pub book: Book,
    curfew: CurfewState,
    zones: Vec<ZoneState>,
    proximity: Vec<ProximityState>,
    devices: Vec<DeviceHealth>,
}

impl ClientState {
    pub fn new(policy: &CompiledPolicy) -> Self {
        ClientState {
            cursor: Timestamp::MIN,
            frontier: EventKey {
                time: Timestamp::MIN,
                device: 0,
                seq: 0,
            },
            book: Book::default(),
            curfew: CurfewState::default(),
            zones: policy.zones.iter().map(|_| ZoneState::new()).collect(),
            proximity: policy
                .source
                .proximity
                .iter()
                .map(|_| ProximityState::default())
                .collect(),
            devices: policy
                .source
                .devices
                .iter()
                .map(|_| DeviceHealth::default())
                .collect(),
        }
    }

    /// The earliest instant at which something changes with no new observation.
    pub fn deadline(&self, policy: &CompiledPolicy) -> Timestamp {
        let mut d = self.curfew.deadline(policy);
        for z in &self.zones {
            d = d.min(z.deadline());
        }
        for h in &self.devices {
            d = d.min(h.deadline(policy));
        }
        d
    }

    /// Nothing judged after this state can change an episode that ended before the instant
    /// returned: the cursor, or earlier while an episode is open or an absence, a change of
    /// side or a motion window is pending (each can still end, or start, in the past).
    pub fn settled_before(&self) -> Timestamp {
        let pending = self
            .book
            .open_since()
            .into_iter()
            .chain(self.curfew.pending_since())
            .chain(self.zones.iter().filter_map(ZoneState::pending_since))
            .chain(
                self.proximity
                    .iter()
                    .filter_map(ProximityState::pending_since),
            )
            .chain(self.devices.iter().filter_map(DeviceHealth::pending_since));
        pending.fold(self.cursor, Timestamp::min)
    }

    /// Judges the passing of time up to `t`: every deadline at or before it, in order.
    pub fn advance_to(&mut self, policy: &CompiledPolicy, t: Timestamp) {
        if self.cursor == Timestamp::MIN {
            // A new state starts at its first instant, not at the beginning of time.
            self.cursor = t;
        }
        loop {
            let due = self.deadline(policy).max(self.cursor);
            if due > t {
                break;
            }
            self.cursor = due;
            if self.curfew.deadline(policy) <= due {
                self.curfew.on_deadline(policy, due, &mut self.book);
            }
            for (i, z) in self.zones.iter_mut().enumerate() {
                z.on_deadline(policy, i, due, &mut self.book);
            }
            for (i, h) in self.devices.iter_mut().enumerate() {
                if h.deadline(policy) <= due {
                    h.on_deadline(policy, policy.source.devices[i].id, due, &mut self.book);
                }
            }
            if self.deadline(policy) <= due {
                // Every handler moves its own deadline past `due`; this is a guard, not a path.
                break;
            }
        }
        self.cursor = self.cursor.max(t);
    }

    /// Judges one observation, which must come after every one judged so far.
    pub fn observe(&mut self, policy: &CompiledPolicy, obs: &Observation) {
        self.advance_to(policy, obs.device_time);
        self.frontier = obs.key();
        if let Some(index) = policy.device_index(obs.device) {
            let from_tag = policy.source.devices[index].kind == DeviceKind::Tag;
            self.curfew
                .on_observation(policy, obs, from_tag, &mut self.book);
            self.devices[index].on_observation(policy, obs, from_tag, &mut self.book);
            if from_tag && let Some((at, accuracy)) = obs.fix() {
                let proof = obs.evidence();
                for (i, z) in self.zones.iter_mut().enumerate() {
                    z.on_fix(policy, i, at, accuracy, proof, &mut self.book);
                }
                for (i, p) in self.proximity.iter_mut().enumerate() {
                    p.on_fix(policy, i, false, at, accuracy, proof, &mut self.book);
                }
            }
        } else if let Some((at, accuracy)) = obs.fix() {
            let proof = obs.evidence();
            for (i, p) in self.proximity.iter_mut().enumerate() {
                if policy.source.proximity[i].victim_device == obs.device {
                    p.on_fix(policy, i, true, at, accuracy, proof, &mut self.book);
                }
            }
        }
    }

    /// Each condition's state at `now` (at or after the cursor).
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
            out.push((
                ConditionRef::Curfew,
                state(self.curfew.is_breach(), self.curfew.is_unknown(now)),
            ));
        }
        for (i, z) in self.zones.iter().enumerate() {
            out.push((
                ConditionRef::Zone {
                    id: policy.source.zones[i].id.clone(),
                },
                state(z.is_breach(), z.is_unknown(policy, i, now)),
            ));
        }
        for (i, p) in self.proximity.iter().enumerate() {
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

    /// Bytes this state holds on the heap (its inline size is counted by its owner).
    pub fn heap_bytes(&self) -> usize {
        self.book.heap_bytes()
            + self.zones.capacity() * std::mem::size_of::<ZoneState>()
            + self.proximity.capacity() * std::mem::size_of::<ProximityState>()
            + self.devices.capacity() * std::mem::size_of::<DeviceHealth>()
    }
}
