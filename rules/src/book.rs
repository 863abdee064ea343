//! The episodes a client's state has judged so far, kept beside the state itself so that a
//! snapshot of the state carries them and a replay from it judges them again.

use crate::episode::{BreachKind, ConditionRef, EVIDENCE_CAP, Episode, EpisodeId};
use crate::observation::{DeviceId, EvidenceRef};
use crate::policy::CompiledPolicy;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A condition of the policy, by index: cheap to compare on the hot path.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum CondKey {
    Curfew,
    Zone(u16),
    Proximity(u16),
    Device(DeviceId),
}

impl CondKey {
    fn to_ref(self, policy: &CompiledPolicy) -> ConditionRef {
        match self {
            CondKey::Curfew => ConditionRef::Curfew,
            CondKey::Zone(i) => ConditionRef::Zone {
                id: policy.source.zones[usize::from(i)].id.clone(),
            },
            CondKey::Proximity(i) => ConditionRef::Proximity {
                id: policy.source.proximity[usize::from(i)].id.clone(),
            },
            CondKey::Device(device) => ConditionRef::Device { device },
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Book {
    /// Open episodes, and closed ones not yet pruned.
    pub episodes: Vec<Episode>,
    keys: Vec<CondKey>,
}

impl Book {
    pub fn open(
        &mut self,
        policy: &CompiledPolicy,
        key: CondKey,
        kind: BreachKind,
        start: Timestamp,
        proof: &[EvidenceRef],
    ) {
        if self.current(key, kind).is_some() {
            return;
        }
        let condition = key.to_ref(policy);
        let mut episode = Episode {
            id: EpisodeId::UNTOLD,
            client: policy.client(),
            condition,
            kind,
            severity: kind.severity(),
            start,
            end: None,
            evidence: Vec::with_capacity(proof.len().min(EVIDENCE_CAP)),
            policy_revision: policy.revision(),
        };
        for p in proof {
            episode.add_evidence(*p);
        }
        // A client has an episode or two open at a time: grow by one, not to four.
        self.episodes.reserve_exact(1);
        self.keys.reserve_exact(1);
        self.episodes.push(episode);
        self.keys.push(key);
    }

    /// Takes back an episode told before a restart, as it was told.
    pub fn restore(&mut self, key: CondKey, episode: Episode) {
        self.episodes.push(episode);
        self.keys.push(key);
    }

    /// The open episode of this condition and kind family.
    pub fn current(&mut self, key: CondKey, kind: BreachKind) -> Option<&mut Episode> {
        let family = kind.family();
        self.keys
            .iter()
            .zip(self.episodes.iter_mut())
            .find(|(k, e)| **k == key && e.is_open() && e.kind.family() == family)
            .map(|(_, e)| e)
    }

    pub fn add_evidence(&mut self, key: CondKey, kind: BreachKind, proof: EvidenceRef) {
        if let Some(e) = self.current(key, kind) {
            e.add_evidence(proof);
        }
    }

    pub fn close(
        &mut self,
        key: CondKey,
        kind: BreachKind,
        end: Timestamp,
        proof: Option<EvidenceRef>,
    ) {
        if let Some(e) = self.current(key, kind) {
            e.end = Some(end.max(e.start));
            if let Some(p) = proof {
                e.add_evidence(p);
            }
        }
    }

    /// Removes the open episode: later data showed it was no breach.
    pub fn withdraw(&mut self, key: CondKey, kind: BreachKind) {
        let family = kind.family();
        if let Some(i) = self
            .keys
            .iter()
            .zip(&self.episodes)
            .position(|(k, e)| *k == key && e.is_open() && e.kind.family() == family)
        {
            self.episodes.remove(i);
            self.keys.remove(i);
        }
    }

    /// The earliest start of an open episode.
    pub fn open_since(&self) -> Option<Timestamp> {
        self.episodes
            .iter()
            .filter(|e| e.is_open())
            .map(|e| e.start)
            .min()
    }

    /// Forgets closed episodes that ended before `horizon`: they are settled and told.
    pub fn prune(&mut self, horizon: Timestamp) {
        self.prune_where(|_| horizon);
    }

    /// Forgets closed episodes that ended before the horizon `horizon_of` gives for them.
    pub fn prune_where(&mut self, horizon_of: impl Fn(&Episode) -> Timestamp) {
        let mut i = 0;
        while i < self.episodes.len() {
            let e = &self.episodes[i];
            if e.end.is_some_and(|end| end < horizon_of(e)) {
                self.episodes.remove(i);
                self.keys.remove(i);
            } else {
                i += 1;
            }
        }
        if self.episodes.is_empty() {
            self.episodes.shrink_to_fit();
            self.keys.shrink_to_fit();
        }
    }

    /// Whether every episode is of a condition `policy` has (a stored book, say).
    pub fn check(&self, policy: &CompiledPolicy) -> Result<(), &'static str> {
        if self.keys.len() != self.episodes.len() {
            return Err("episodes and their conditions do not pair up");
        }
        for key in &self.keys {
            let known = match *key {
                CondKey::Curfew => policy.curfew.is_some(),
                CondKey::Zone(i) => usize::from(i) < policy.zones.len(),
                CondKey::Proximity(i) => usize::from(i) < policy.source.proximity.len(),
                CondKey::Device(device) => policy.device_index(device).is_some(),
            };
            if !known {
                return Err("an episode of a condition the policy does not have");
            }
        }
        Ok(())
    }

    pub fn heap_bytes(&self) -> usize {
        self.episodes.capacity() * std::mem::size_of::<Episode>()
            + self.keys.capacity() * std::mem::size_of::<CondKey>()
            + self
                .episodes
                .iter()
                .map(|e| e.evidence.capacity() * std::mem::size_of::<EvidenceRef>())
                .sum::<usize>()
    }
}
