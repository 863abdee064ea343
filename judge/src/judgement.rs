//! The judge's state and its steps, without the task around them: the rules engine with a
//! monitor per judged client, and for each what it is judged under ([`MonitorRecord`]). Each
//! step (a batch of observations, a tick, a changed policy) ends in one transaction; any error
//! leaves the store as the last good step left it, and the caller starts again from there
//! ([`Judgement::open`]), exactly as after a restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cases::Cases;
use ingest::store::Telemetry;
use rules::{ClientId, Engine, EpisodeChange, Observation, Outcome, Replay, ReplayStep, Timestamp};

use store::{Clock, Store};

use crate::JudgeError;
use crate::follower::EpisodeFollower;
use crate::observation::observation_of;
use crate::pending::Pending;
use crate::policies::{Orders, Wanted};
use crate::records::{self, MonitorRecord};
use ingest::store::StoredObservation;

pub(crate) struct Judgement {
    store: Store,
    /// The committed observations, read after the cursor.
    telemetry: Telemetry,
    cases: Cases,
    clock: Arc<dyn Clock>,
    engine: Engine,
    monitored: HashMap<ClientId, MonitorRecord>,
    orders: Orders,
    /// The last observation row judged.
    cursor: i64,
    /// When the cursor was last stored (it may run ahead of the stored one: [`CURSOR_EVERY`]).
    cursor_saved: Instant,
    /// The cursor as last stored.
    cursor_stored: i64,
    batch: u32,
    /// Takes the episode changes in the step's own transaction (the alerts).
    follower: Option<Arc<dyn EpisodeFollower>>,
}

/// A step that stores nothing else stores the cursor at most this often. Under load most
/// steps change nothing (fixes from devices nobody wears, clients keeping to their orders),
/// and on SQLite every write transaction waits its turn for the one write lock. Rows judged but
/// not yet recorded as judged are judged again after a crash, from the same stored state, to
/// the same result: what they changed in memory was never stored.
const CURSOR_EVERY: Duration = Duration::from_secs(1);

impl Judgement {
    /// Brings the judge's tables up to date, and every client's monitor back from what was
    /// stored: the policy each judged client had, the newest checkpoint of it judged again
    /// with the observations since, the episodes told. Then looks at the orders, in case one
    /// changed while the judge was not running.
    pub async fn open(
        store: Store,
        cases: Cases,
        telemetry: Telemetry,
        clock: Arc<dyn Clock>,
        batch: u32,
        follower: Option<Arc<dyn EpisodeFollower>>,
    ) -> Result<Judgement, JudgeError> {
        crate::schema::migrate(&store).await?;
        let cursor = match records::cursor(&store).await? {
            Some(row) => row,
            None => {
                // First start on this store: what was stored before is not judged (its
                // devices may have been worn by other clients then); all that comes after is.
                let last = telemetry.last_observation_row().await?;
                let mut tx = store.begin_write().await?;
                records::set_cursor(&mut tx, last, clock.now()).await?;
                tx.commit().await?;
                last
            }
        };
        let mut judgement = Judgement {
            store,
            telemetry,
            cases,
            clock,
            engine: Engine::new(),
            monitored: HashMap::new(),
            orders: Orders::default(),
            cursor,
            cursor_saved: Instant::now(),
            cursor_stored: cursor,
            batch: batch.max(1),
            follower,
        };
        let mut wanted = judgement.orders.refresh(&judgement.cases).await?;
        let mut changes = Vec::new();
        for record in records::monitors(&judgement.store).await? {
            let client = record.client_id as ClientId;
            match wanted.remove(&client) {
                Some(w) if (w.order, w.revision) == (record.order_id, record.policy_revision) => {
                    judgement.resume(record, w).await?;
                }
                other => {
                    // Changed while the judge was not running: the change takes effect now.
                    judgement.monitored.insert(client, record);
                    changes.push((client, other));
                }
            }
        }
        changes.extend(wanted.into_iter().map(|(client, w)| (client, Some(w))));
        judgement.change(changes).await?;
        Ok(judgement)
    }

    /// A client's monitor back as it was: its policy, the ids issued, the newest checkpoint
    /// judged again with the observations after it up to the cursor, and what was judged by
    /// arrival.
    async fn resume(&mut self, record: MonitorRecord, w: Wanted) -> Result<(), JudgeError> {
        let client = record.client_id as ClientId;
        if let Err(error) = self.engine.add_client(w.policy.clone()) {
            tracing::error!(client_id = client, order_id = w.order, %error, "cannot judge the client");
            return Ok(());
        }
        self.monitored.insert(client, record);
        let last = records::last_episode_id(&self.store, record.client_id).await?;
        let mut pending = Pending::default();
        let _ = self.engine.resume_ids_after(client, last);
        // Judged again from the newest checkpoint, as if all after it came late.
        let replay = Replay::rejudge(client, Timestamp::MAX);
        self.replay(&mut pending, replay, self.cursor).await?;
        let mut heard = Vec::new();
        for device in &w.policy.source.devices {
            if let Some(at) = self
                .telemetry
                .device(device.id)
                .await?
                .and_then(|d| d.last_seen_ms)
            {
                heard.push((device.id, Timestamp(at)));
            }
        }
        let open: Vec<_> = records::unsettled_episodes(&self.store, &record, Timestamp::MAX)
            .await?
            .into_iter()
            .filter(|e| e.is_open() && e.kind.judged_by_arrival())
            .collect();
        let _ = self.engine.resume_arrival(client, &heard, &open);
        let now = self.clock.now();
        self.store_step(pending, None, now).await?;
        tracing::debug!(
            client_id = client,
            order_id = record.order_id,
            revision = record.policy_revision,
            "resumed"
        );
        Ok(())
    }

    /// Looks at the orders and gives every client whose policy changed a new monitor.
    pub async fn refresh_policies(&mut self) -> Result<(), JudgeError> {
        let mut wanted = self.orders.refresh(&self.cases).await?;
        let mut changes = Vec::new();
        for (&client, m) in &self.monitored {
            let w = wanted.remove(&client);
            let same = w
                .as_ref()
                .is_some_and(|w| (w.order, w.revision) == (m.order_id, m.policy_revision));
            if !same {
                changes.push((client, w));
            }
        }
        changes.extend(wanted.into_iter().map(|(client, w)| (client, Some(w))));
        self.change(changes).await
    }

    /// Clients' policies changed (or end, with `None`) now: each old monitor's open episodes
    /// are superseded at this instant, and a new monitor judges the observations committed
    /// from now on, with ids after every id its client was given. Every old monitor goes
    /// before any new one comes, so that a tag moved from one client to another is free.
    async fn change(&mut self, changes: Vec<(ClientId, Option<Wanted>)>) -> Result<(), JudgeError> {
        if changes.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let mut tx = self.store.begin_write().await?;
        let mut ended = Vec::new();
        for (client, _) in &changes {
            if let Some(old) = self.monitored.get(client) {
                let superseded = records::end_monitor(&mut tx, old, now).await?;
                tracing::info!(
                    client_id = client,
                    order_id = old.order_id,
                    revision = old.policy_revision,
                    superseded,
                    "policy ended"
                );
                ended.push(*client);
            }
        }
        tx.commit().await?;
        for client in ended {
            self.monitored.remove(&client);
            let _ = self.engine.remove_client(client);
        }
        let mut pending = Pending::default();
        let mut begun = Vec::new();
        for (client, w) in changes {
            let Some(w) = w else { continue };
            if let Err(error) = self.engine.add_client(w.policy.clone()) {
                tracing::error!(client_id = client, order_id = w.order, %error, "cannot judge the client");
                continue;
            }
            let record = MonitorRecord {
                client_id: client as i64,
                order_id: w.order,
                policy_revision: w.revision,
                first_row: self.cursor,
                applied: now,
            };
            let last = records::last_episode_id(&self.store, record.client_id).await?;
            let _ = self.engine.resume_ids_after(client, last);
            if let Some(first) = self.engine.monitor(client).map(|m| m.initial_checkpoint()) {
                pending.begin(record, first);
                begun.push(record);
            }
        }
        if let Err(error) = self.store_step(pending, None, now).await {
            for record in &begun {
                let _ = self.engine.remove_client(record.client_id as ClientId);
            }
            return Err(error);
        }
        for record in begun {
            tracing::info!(
                client_id = record.client_id,
                order_id = record.order_id,
                revision = record.policy_revision,
                "policy in force"
            );
            self.monitored.insert(record.client_id as ClientId, record);
        }
        Ok(())
    }

    /// Judges the next batch of committed observations; false when there was none.
    pub async fn judge_batch(&mut self) -> Result<bool, JudgeError> {
        let started = Instant::now();
        // Under load most rows are of devices nobody is judged by: not even read whole.
        let engine = &self.engine;
        let (through, rows) = self
            .telemetry
            .observations_after(self.cursor, self.batch, |device| engine.concerns(device))
            .await?;
        let Some(through) = through else {
            return Ok(false);
        };
        let batch: Vec<Observation> = rows
            .iter()
            .filter_map(|r| readable(&r.observation, true))
            .collect();
        let read = started.elapsed();
        let mut out = Outcome::default();
        self.engine.observe_batch(&batch, &mut out);
        let mut pending = Pending::default();
        self.absorb(&mut pending, out, through).await?;
        let judged = started.elapsed();
        let stored = !pending.is_empty() || self.cursor_saved.elapsed() >= CURSOR_EVERY;
        if stored {
            self.store_step(pending, Some(through), self.clock.now())
                .await?;
            self.cursor_saved = Instant::now();
            self.cursor_stored = through;
        }
        self.cursor = through;
        // Where a step's time goes, for a judge that falls behind.
        tracing::trace!(
            through,
            wanted = batch.len(),
            read_us = read.as_micros() as u64,
            judged_us = judged.as_micros() as u64,
            step_us = started.elapsed().as_micros() as u64,
            stored,
            "step"
        );
        Ok(true)
    }

    /// Writes what a step produced (and the cursor, if given) in one transaction, in which the
    /// follower, if any, takes the episode changes the step logged.
    async fn store_step(
        &self,
        pending: Pending,
        cursor: Option<i64>,
        now: Timestamp,
    ) -> Result<(), JudgeError> {
        let follower = self.follower.as_deref();
        if pending.commit(&self.store, cursor, now, follower).await?
            && let Some(follower) = follower
        {
            follower.committed().await;
        }
        Ok(())
    }

    /// Stores the cursor (before a clean stop).
    pub async fn save_cursor(&mut self) -> Result<(), JudgeError> {
        self.store_step(Pending::default(), Some(self.cursor), self.clock.now())
            .await?;
        self.cursor_saved = Instant::now();
        self.cursor_stored = self.cursor;
        Ok(())
    }

    /// Stores the cursor when rows were judged since it was stored, over [`CURSOR_EVERY`] ago:
    /// so that the stored cursor (which `/metrics` reads) catches up once the judge is idle.
    pub async fn save_cursor_if_behind(&mut self) -> Result<(), JudgeError> {
        if self.cursor != self.cursor_stored && self.cursor_saved.elapsed() >= CURSOR_EVERY {
            self.save_cursor().await?;
        }
        Ok(())
    }

    /// The clock's tick: what the passing of time decides when nothing arrives.
    pub async fn tick(&mut self) -> Result<(), JudgeError> {
        let now = self.clock.now();
        let mut out = Outcome::default();
        self.engine.tick(now, &mut out);
        let mut pending = Pending::default();
        self.absorb(&mut pending, out, self.cursor).await?;
        if !pending.is_empty() {
            self.store_step(pending, None, now).await?;
        }
        Ok(())
    }

    /// Takes in what the engine told, judging again from a checkpoint where data came late.
    /// `through`: the last row judged so far.
    async fn absorb(
        &mut self,
        pending: &mut Pending,
        out: Outcome,
        through: i64,
    ) -> Result<(), JudgeError> {
        self.replay(pending, Replay::new(out), through).await
    }

    /// Pumps a replay: the loop is `rules::Replay`'s (as for `rules::memory::MemoryJudge`);
    /// here only the fetching, from the store with this step's writes over it. A client's
    /// observations are those its monitor judged: rows after the monitor's first, up to
    /// `through`.
    async fn replay(
        &mut self,
        pending: &mut Pending,
        mut replay: Replay,
        through: i64,
    ) -> Result<(), JudgeError> {
        while let Some(step) = replay.next(&self.engine) {
            match step {
                ReplayStep::Told {
                    changes,
                    checkpoints,
                } => {
                    for change in changes {
                        let client = change.episode().client;
                        let Some(m) = self.monitored.get(&client) else {
                            continue;
                        };
                        log_change(&change, m);
                        pending.episode(m, change);
                    }
                    for checkpoint in checkpoints {
                        if let Some(m) = self.monitored.get(&checkpoint.client) {
                            pending.checkpoint(m, checkpoint);
                        }
                    }
                }
                ReplayStep::Checkpoint(ask) => {
                    let Some(m) = self.monitored.get(&ask.client).copied() else {
                        replay.skip();
                        continue;
                    };
                    if ask.before < Timestamp::MAX {
                        // Checkpoints that judged anything from `before` on were taken
                        // without the late data: stale. The replay offers new ones.
                        pending.stale_from(&m, ask.before);
                    }
                    let found = pending
                        .checkpoint_before(&self.store, &m, ask.before)
                        .await?;
                    if found.is_none() {
                        tracing::warn!(
                            client_id = ask.client,
                            "no checkpoint to judge late data again from"
                        );
                    }
                    replay.found(&self.engine, found);
                }
                ReplayStep::Rows(ask) => {
                    let Some(m) = self.monitored.get(&ask.client).copied() else {
                        replay.skip();
                        continue;
                    };
                    let mut observations = Vec::new();
                    for (device, from) in &ask.devices {
                        let rows = self
                            .telemetry
                            .device_observations_committed(*device, from.0, m.first_row, through)
                            .await?;
                        observations
                            .extend(rows.iter().filter_map(|r| readable(&r.observation, false)));
                    }
                    let known = pending
                        .unsettled_episodes(&self.store, &m, ask.settled)
                        .await?;
                    if let Err(error) = replay.feed(&mut self.engine, &observations, &known) {
                        // A stored checkpoint that does not fit the policy: a bug or a
                        // tampered store.
                        tracing::error!(client_id = ask.client, %error, "cannot judge again from the checkpoint");
                    }
                }
            }
        }
        Ok(())
    }
}

/// The observation a stored row is, or None (with a warning, the first time it is read).
fn readable(stored: &StoredObservation, first_time: bool) -> Option<Observation> {
    match observation_of(stored) {
        Ok(obs) => obs,
        Err(error) => {
            if first_time {
                tracing::warn!(
                    device_id = stored.device_id,
                    seq = stored.seq,
                    %error,
                    "stored observation skipped"
                );
            }
            None
        }
    }
}

fn log_change(change: &EpisodeChange, m: &MonitorRecord) {
    let e = change.episode();
    let what = match change {
        EpisodeChange::Opened(_) => "opened",
        EpisodeChange::Updated(_) => "updated",
        EpisodeChange::Closed(_) => "closed",
        EpisodeChange::Withdrawn(_) => "withdrawn",
    };
    tracing::info!(
        client_id = e.client,
        order_id = m.order_id,
        episode_id = e.id.0,
        kind = ?e.kind,
        revision = e.policy_revision,
        "episode {what}"
    );
}
