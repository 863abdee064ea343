//! The one late-data replay loop, as a state machine its caller pumps.
//!
//! Data older than a monitor's own copy is judged again from a checkpoint the caller kept, with
//! the observations the caller stored since ([`crate::monitor`]). What to do, in which order, is
//! the same for every caller: take in what was told; for the first client with late data, judge
//! again from the newest checkpoint before its earliest late instant, feeding the stored
//! observations of each of its devices from the instant that checkpoint needs them; take in what
//! that told; until no late data is left. Only where the checkpoints, observations and episodes
//! are kept differs (memory in [`crate::memory`], the database in the judge). So [`Replay`] holds
//! the loop and asks ([`ReplayStep`]); the caller only fetches what is asked and feeds it back,
//! as with quinn-proto's connection: no I/O in here, and an async caller simply awaits between
//! the asks.
//!
//! ```text
//! let mut replay = Replay::new(outcome);
//! while let Some(step) = replay.next(&engine) {
//!     match step {
//!         ReplayStep::Told { changes, checkpoints } => keep them,
//!         ReplayStep::Checkpoint(ask) => replay.found(&engine, newest kept checkpoint before ask.before),
//!         ReplayStep::Rows(ask) => replay.feed(&mut engine, &stored observations, &known episodes),
//!     }
//! }
//! ```

use crate::engine::{Engine, EngineError};
use crate::episode::{Episode, EpisodeChange};
use crate::monitor::{Checkpoint, Outcome};
use crate::observation::{DeviceId, Observation};
use crate::policy::ClientId;
use crate::time::Timestamp;

/// Late data of a client: judge it again from its newest checkpoint before `before`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayRequest {
    /// The probation client whose late data it is.
    pub client: ClientId,
    /// The earliest late instant. Checkpoints kept from it on were taken without the late data:
    /// stale, the replay offers new ones.
    pub before: Timestamp,
}

/// The stored data a replay from a checkpoint needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowsRequest {
    /// The probation client being replayed.
    pub client: ClientId,
    /// Each device the client wears or watches, and the device time from which its stored
    /// observations are needed.
    pub devices: Vec<(DeviceId, Timestamp)>,
    /// The client's episodes told that were not settled at this instant (open, or ended at or
    /// after it), as last told.
    pub settled: Timestamp,
}

/// What the replay asks of its caller next.
#[derive(Debug)]
pub enum ReplayStep {
    /// Keep these (changes first), as from any outcome; then ask again.
    Told {
        /// The episode changes to store, in order.
        changes: Vec<EpisodeChange>,
        /// The new checkpoints to keep.
        checkpoints: Vec<Checkpoint>,
    },
    /// Answer with [`Replay::found`]: the newest checkpoint kept with `until` before
    /// `before`, or none.
    Checkpoint(ReplayRequest),
    /// Answer with [`Replay::feed`]: the stored observations and the unsettled episodes.
    Rows(RowsRequest),
}

#[derive(Debug, Default)]
enum Stage {
    #[default]
    Free,
    Find(ReplayRequest),
    /// Boxed: a checkpoint holds a client's whole state.
    Fetch(Box<Checkpoint>, RowsRequest),
}

/// The replay of what one step of judging told. See the module docs.
#[derive(Debug, Default)]
pub struct Replay {
    out: Outcome,
    stage: Stage,
}

impl Outcome {
    /// The next replay the late data asks for: the first client with late data, from its
    /// earliest late instant; that client's entries leave [`Outcome::late`], the others stay.
    pub fn next_replay(&mut self) -> Option<ReplayRequest> {
        let &(client, _) = self.late.first()?;
        let mut before = Timestamp::MAX;
        self.late.retain(|&(c, t)| {
            if c == client {
                before = before.min(t);
            }
            c != client
        });
        Some(ReplayRequest { client, before })
    }
}

impl Replay {
    /// The replay of an outcome of [`Engine::observe`], [`Engine::observe_batch`] or
    /// [`Engine::tick`].
    pub fn new(out: Outcome) -> Replay {
        Replay {
            out,
            stage: Stage::Free,
        }
    }

    /// A client judged again from its newest checkpoint before `before`, first thing (a
    /// monitor resumed after a restart judges from its newest checkpoint: `Timestamp::MAX`).
    pub fn rejudge(client: ClientId, before: Timestamp) -> Replay {
        Replay {
            out: Outcome::default(),
            stage: Stage::Find(ReplayRequest { client, before }),
        }
    }

    /// What to do next; `None` once all is told and no late data is left. Until answered, an
    /// ask is asked again.
    pub fn next(&mut self, engine: &Engine) -> Option<ReplayStep> {
        loop {
            match &self.stage {
                Stage::Find(ask) => return Some(ReplayStep::Checkpoint(*ask)),
                Stage::Fetch(_, rows) => return Some(ReplayStep::Rows(rows.clone())),
                Stage::Free => {}
            }
            if !self.out.changes.is_empty() || !self.out.checkpoints.is_empty() {
                return Some(ReplayStep::Told {
                    changes: std::mem::take(&mut self.out.changes),
                    checkpoints: std::mem::take(&mut self.out.checkpoints),
                });
            }
            let ask = self.out.next_replay()?;
            // Late data comes from the engine's monitors; one removed since has nothing to
            // judge again.
            if engine.monitor(ask.client).is_some() {
                self.stage = Stage::Find(ask);
            }
        }
    }

    /// The answer to [`ReplayStep::Checkpoint`]. With none, the late data cannot be judged
    /// again (the caller may say so) and the replay goes on with the rest.
    pub fn found(&mut self, engine: &Engine, checkpoint: Option<Checkpoint>) {
        self.stage = Stage::Free;
        let Some(checkpoint) = checkpoint else {
            return;
        };
        let Some(monitor) = engine.monitor(checkpoint.client) else {
            return;
        };
        let policy = monitor.policy();
        let devices = policy
            .source
            .devices
            .iter()
            .map(|d| d.id)
            .chain(policy.source.proximity.iter().map(|p| p.victim_device))
            .map(|device| (device, checkpoint.replay_from(policy, device)))
            .collect();
        let rows = RowsRequest {
            client: checkpoint.client,
            devices,
            settled: checkpoint.settled,
        };
        self.stage = Stage::Fetch(Box::new(checkpoint), rows);
    }

    /// Gives up what was asked: that client's late data is not judged again now, and the
    /// replay goes on with the rest.
    pub fn skip(&mut self) {
        self.stage = Stage::Free;
    }

    /// The answer to [`ReplayStep::Rows`]: judges the client again from the checkpoint with
    /// `observations` (in any order, duplicates allowed) and `known` episodes. An error (a
    /// checkpoint that does not fit the client's policy) leaves the client as it was, and the
    /// replay goes on with the rest. Fed without a [`ReplayStep::Rows`] asked, does nothing.
    pub fn feed(
        &mut self,
        engine: &mut Engine,
        observations: &[Observation],
        known: &[Episode],
    ) -> Result<(), EngineError> {
        let Stage::Fetch(checkpoint, _) = std::mem::take(&mut self.stage) else {
            return Ok(());
        };
        engine.rejudge(&checkpoint, observations, known, &mut self.out)
    }
}
