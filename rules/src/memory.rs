//! A complete caller of the engine that keeps everything in memory: the observations (stored
//! once per device and seq), the checkpoints, and the episodes as last told.
//!
//! It is what the scenario suite and the property tests drive, and the reference for a caller
//! backed by a database: on late data it answers [`Replay`]'s asks (the newest checkpoint
//! before it, the stored observations since, the unsettled episodes) from memory, exactly as
//! the judge answers them from the database.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::engine::{Engine, EngineError};
use crate::episode::{Episode, EpisodeChange, EpisodeId};
use crate::monitor::{Checkpoint, Outcome};
use crate::observation::{DeviceId, Observation};
use crate::policy::{ClientId, CompiledPolicy};
use crate::replay::{Replay, ReplayStep};
use crate::time::Timestamp;

/// An engine with its storage in memory: keeps observations, checkpoints and episodes, and
/// replays late data itself, as the judge does with the database.
#[derive(Debug, Default)]
pub struct MemoryJudge {
    engine: Engine,
    stored: HashSet<(DeviceId, u32)>,
    observations: HashMap<DeviceId, Vec<Observation>>,
    checkpoints: HashMap<ClientId, BTreeMap<Timestamp, Checkpoint>>,
    episodes: HashMap<ClientId, BTreeMap<EpisodeId, Episode>>,
    /// Every change told, in order.
    pub log: Vec<EpisodeChange>,
    /// How many times late data made the engine judge again from a checkpoint.
    pub rejudgements: usize,
}

impl MemoryJudge {
    /// An empty judge, monitoring nobody.
    pub fn new() -> Self {
        MemoryJudge::default()
    }

    /// Starts monitoring a client under a compiled policy, keeping its first checkpoint.
    pub fn add_client(&mut self, policy: Arc<CompiledPolicy>) -> Result<(), EngineError> {
        let client = policy.client();
        self.engine.add_client(policy)?;
        if let Some(monitor) = self.engine.monitor(client) {
            let first = monitor.initial_checkpoint();
            self.checkpoints
                .entry(client)
                .or_default()
                .insert(first.until, first);
        }
        Ok(())
    }

    /// The engine inside, to look at its monitors.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Stores an observation (once) and judges it. Returns whether it was new.
    pub fn observe(&mut self, obs: Observation) -> bool {
        if !self.stored.insert((obs.device, obs.seq)) {
            return false;
        }
        let mut out = Outcome::default();
        self.engine.observe(&obs, &mut out);
        self.observations.entry(obs.device).or_default().push(obs);
        self.absorb(out);
        true
    }

    /// The caller's clock, moved to `now`: judges the silence up to it (communication lost), with no new data.
    pub fn tick(&mut self, now: Timestamp) {
        let mut out = Outcome::default();
        self.engine.tick(now, &mut out);
        self.absorb(out);
    }

    /// The client's episodes as last told, in start order.
    pub fn episodes(&self, client: ClientId) -> Vec<Episode> {
        let mut all: Vec<Episode> = self
            .episodes
            .get(&client)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        all.sort_by(|a, b| (a.start, &a.condition, a.kind).cmp(&(b.start, &b.condition, b.kind)));
        all
    }

    /// Keeps what the engine told, and pumps the replay of late data (the loop is
    /// [`Replay`]'s; here only the fetching, from memory).
    fn absorb(&mut self, out: Outcome) {
        let mut replay = Replay::new(out);
        while let Some(step) = replay.next(&self.engine) {
            match step {
                ReplayStep::Told {
                    changes,
                    checkpoints,
                } => self.keep(changes, checkpoints),
                ReplayStep::Checkpoint(ask) => {
                    let found = self.checkpoints.get_mut(&ask.client).and_then(|kept| {
                        // Checkpoints that judged anything from `before` on were taken without
                        // the late data: stale. The replay offers new ones.
                        kept.split_off(&ask.before);
                        kept.range(..ask.before).next_back().map(|(_, c)| c.clone())
                    });
                    replay.found(&self.engine, found);
                }
                ReplayStep::Rows(ask) => {
                    let mut observations = Vec::new();
                    for (device, from) in &ask.devices {
                        if let Some(stored) = self.observations.get(device) {
                            observations
                                .extend(stored.iter().filter(|o| o.device_time >= *from).cloned());
                        }
                    }
                    let known: Vec<Episode> = self
                        .episodes
                        .get(&ask.client)
                        .map(|m| {
                            m.values()
                                .filter(|e| e.end.is_none_or(|end| end >= ask.settled))
                                .cloned()
                                .collect()
                        })
                        .unwrap_or_default();
                    self.rejudgements += 1;
                    // The client is known to the engine and the checkpoint is its own: this
                    // cannot fail.
                    let _ = replay.feed(&mut self.engine, &observations, &known);
                }
            }
        }
    }

    fn keep(&mut self, changes: Vec<EpisodeChange>, checkpoints: Vec<Checkpoint>) {
        for change in changes {
            let episode = change.episode();
            let book = self.episodes.entry(episode.client).or_default();
            match &change {
                EpisodeChange::Withdrawn(e) => {
                    book.remove(&e.id);
                }
                _ => {
                    book.insert(episode.id, episode.clone());
                }
            }
            self.log.push(change);
        }
        for checkpoint in checkpoints {
            let kept = self.checkpoints.entry(checkpoint.client).or_default();
            // A checkpoint judged again replaces those after it, which may be stale.
            kept.split_off(&checkpoint.until);
            kept.insert(checkpoint.until, checkpoint);
        }
    }
}
