//! What one step of judging produced (episode changes, checkpoints, monitors begun), kept
//! aside until the step ends and then written in one transaction with the cursor
//! ([`Pending::commit`]), so that after a crash the store holds all of a step or none of it.
//! Judging late data again within the step reads the store with this step's writes over it.

use std::collections::{BTreeMap, HashMap};

use rules::{Checkpoint, ClientId, Episode, EpisodeChange, EpisodeId, Timestamp};
use store::Store;

use crate::JudgeError;
use crate::error::corrupt;
use crate::follower::{EpisodeFollower, follow_in_step};
use crate::records::{
    self, EPISODE_COLUMNS, EpisodeState, MonitorRecord, db_u64, name, put_monitor, set_cursor,
};

type Tx = store::WriteTx;

/// Hourly checkpoints are kept for this long behind a client's newest one (late data is
/// mostly hours late)...
const DENSE_FOR_MS: i64 = 48 * 3_600_000;
/// ...then one a day (the first taken in the day's first hour), and none older than the
/// oldest late data judged in event time (30 days) plus a day. The first checkpoint of a
/// revision, before any observation, is always kept: with nothing newer, late data is judged
/// again from it.
const KEPT_FOR_MS: i64 = 31 * 86_400_000;

/// What one step of judging produced, to be written in one transaction.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    episodes: BTreeMap<(ClientId, EpisodeId), (i64, Episode, EpisodeState)>,
    checkpoints: HashMap<ClientId, (MonitorRecord, BTreeMap<Timestamp, Checkpoint>)>,
    /// Stored checkpoints from this instant on are stale (taken without data that came late).
    stale_from: HashMap<ClientId, (MonitorRecord, Timestamp)>,
    /// Monitors begun in this step: their records and first checkpoints.
    begun: Vec<MonitorRecord>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.episodes.is_empty()
            && self.checkpoints.is_empty()
            && self.stale_from.is_empty()
            && self.begun.is_empty()
    }

    pub fn episode(&mut self, m: &MonitorRecord, change: EpisodeChange) {
        let state = EpisodeState::of(&change);
        let mut episode = match change {
            EpisodeChange::Opened(e)
            | EpisodeChange::Updated(e)
            | EpisodeChange::Closed(e)
            | EpisodeChange::Withdrawn(e) => e,
        };
        let key = (episode.client, episode.id);
        if state == EpisodeState::Withdrawn
            && let Some((_, before, _)) = self.episodes.get(&key)
        {
            // Told without its evidence: keep what it was told with.
            episode.evidence = before.evidence.clone();
        }
        self.episodes.insert(key, (m.order_id, episode, state));
    }

    /// A checkpoint to keep; it makes those kept from its instant on stale.
    pub fn checkpoint(&mut self, m: &MonitorRecord, checkpoint: Checkpoint) {
        self.stale_from(m, checkpoint.until);
        let (_, kept) = self
            .checkpoints
            .entry(checkpoint.client)
            .or_insert_with(|| (*m, BTreeMap::new()));
        kept.insert(checkpoint.until, checkpoint);
    }

    /// Checkpoints from `from` on were taken without data that came late: stale.
    pub fn stale_from(&mut self, m: &MonitorRecord, from: Timestamp) {
        let client = m.client_id as ClientId;
        let entry = self.stale_from.entry(client).or_insert((*m, from));
        entry.1 = entry.1.min(from);
        if let Some((_, kept)) = self.checkpoints.get_mut(&client) {
            kept.split_off(&from);
        }
    }

    /// The monitor's newest checkpoint before `before`, among those of this step and those
    /// stored and not made stale by it.
    pub async fn checkpoint_before(
        &self,
        store: &Store,
        m: &MonitorRecord,
        before: Timestamp,
    ) -> Result<Option<Checkpoint>, JudgeError> {
        let client = m.client_id as ClientId;
        let stale = self
            .stale_from
            .get(&client)
            .map_or(before, |(_, t)| before.min(*t));
        let pending = self
            .checkpoints
            .get(&client)
            .and_then(|(_, kept)| kept.range(..before).next_back())
            .map(|(_, c)| c.clone());
        if pending.is_some() {
            // Anything stored before `stale` is older than every checkpoint of this step.
            return Ok(pending);
        }
        records::checkpoint_before(store, m, stale).await
    }

    /// The monitor's unsettled episodes as stored, with this step's changes over them.
    pub async fn unsettled_episodes(
        &self,
        store: &Store,
        m: &MonitorRecord,
        settled: Timestamp,
    ) -> Result<Vec<Episode>, JudgeError> {
        let client = m.client_id as ClientId;
        let mut known: BTreeMap<EpisodeId, Episode> =
            records::unsettled_episodes(store, m, settled)
                .await?
                .into_iter()
                .map(|e| (e.id, e))
                .collect();
        let here = (client, EpisodeId(0))..=(client, EpisodeId(u64::MAX));
        for ((_, id), (_, episode, state)) in self.episodes.range(here) {
            let unsettled = episode.end.is_none_or(|end| end >= settled);
            if matches!(state, EpisodeState::Open | EpisodeState::Closed) && unsettled {
                known.insert(*id, episode.clone());
            } else {
                known.remove(id);
            }
        }
        Ok(known.into_values().collect())
    }

    pub fn begin(&mut self, m: MonitorRecord, first: Checkpoint) {
        self.begun.push(m);
        self.checkpoint(&m, first);
    }

    /// Writes it all, and the cursor if given, in one transaction, in which `follower` takes
    /// the episode changes logged. Whether the follower wrote what it took.
    pub async fn commit(
        self,
        store: &Store,
        cursor: Option<i64>,
        now: Timestamp,
        follower: Option<&dyn EpisodeFollower>,
    ) -> Result<bool, JudgeError> {
        let mut tx = store.begin_write().await?;
        for m in &self.begun {
            put_monitor(&mut tx, m).await?;
        }
        for (m, from) in self.stale_from.values() {
            sqlx::query(
                "DELETE FROM checkpoints
                 WHERE client_id = $1 AND order_id = $2 AND policy_revision = $3 AND until_ms >= $4",
            )
            .bind(m.client_id)
            .bind(m.order_id)
            .bind(i64::from(m.policy_revision))
            .bind(from.0)
            .execute(&mut *tx)
            .await?;
        }
        for (m, kept) in self.checkpoints.values() {
            for checkpoint in kept.values() {
                put_checkpoint(&mut tx, m, checkpoint).await?;
            }
            if let Some(newest) = kept.keys().next_back() {
                thin_checkpoints(&mut tx, m, *newest).await?;
            }
        }
        for (order, episode, state) in self.episodes.values() {
            put_episode(&mut tx, *order, episode, *state, now).await?;
            records::log_change(&mut tx, db_u64(episode.client), episode.id, *state, now).await?;
        }
        if let Some(row) = cursor {
            set_cursor(&mut tx, row, now).await?;
        }
        let followed = match follower {
            Some(follower) if !self.episodes.is_empty() => {
                follow_in_step(follower, &mut tx).await?
            }
            _ => false,
        };
        tx.commit().await?;
        Ok(followed)
    }
}

async fn put_checkpoint(
    tx: &mut Tx,
    m: &MonitorRecord,
    checkpoint: &Checkpoint,
) -> Result<(), JudgeError> {
    let json = serde_json::to_string(checkpoint).map_err(|e| corrupt("checkpoint", e))?;
    sqlx::query(
        "INSERT INTO checkpoints (client_id, order_id, policy_revision, until_ms, settled_ms, checkpoint)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (client_id, order_id, policy_revision, until_ms)
         DO UPDATE SET settled_ms = excluded.settled_ms, checkpoint = excluded.checkpoint",
    )
    .bind(m.client_id)
    .bind(m.order_id)
    .bind(i64::from(checkpoint.policy_revision))
    .bind(checkpoint.until.0)
    .bind(checkpoint.settled.0)
    .bind(json)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Keeps a client's checkpoints few: see [`DENSE_FOR_MS`] and [`KEPT_FOR_MS`].
async fn thin_checkpoints(
    tx: &mut Tx,
    m: &MonitorRecord,
    newest: Timestamp,
) -> Result<(), JudgeError> {
    sqlx::query(
        "DELETE FROM checkpoints
         WHERE client_id = $1 AND order_id = $2 AND policy_revision = $3 AND until_ms > $4
           AND (until_ms < $5 OR (until_ms < $6 AND until_ms % 86400000 >= 3600000))",
    )
    .bind(m.client_id)
    .bind(m.order_id)
    .bind(i64::from(m.policy_revision))
    .bind(Timestamp::MIN.0)
    .bind(newest.0.saturating_sub(KEPT_FOR_MS))
    .bind(newest.0.saturating_sub(DENSE_FOR_MS))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn put_episode(
    tx: &mut Tx,
    order: i64,
    e: &Episode,
    state: EpisodeState,
    now: Timestamp,
) -> Result<(), JudgeError> {
    let condition = serde_json::to_string(&e.condition).map_err(|x| corrupt("condition", x))?;
    let evidence = serde_json::to_string(&e.evidence).map_err(|x| corrupt("evidence", x))?;
    sqlx::query(&format!(
        "INSERT INTO episodes ({EPISODE_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (client_id, episode_id) DO UPDATE SET
            condition_ref = excluded.condition_ref, kind = excluded.kind,
            severity = excluded.severity, start_ms = excluded.start_ms,
            end_ms = excluded.end_ms, state = excluded.state,
            policy_revision = excluded.policy_revision,
            evidence = CASE WHEN excluded.state = $13 THEN episodes.evidence
                            ELSE excluded.evidence END,
            updated_ms = excluded.updated_ms"
    ))
    .bind(db_u64(e.client))
    .bind(db_u64(e.id.0))
    .bind(order)
    .bind(condition)
    .bind(name(&e.kind)?)
    .bind(name(&e.severity)?)
    .bind(e.start.0)
    .bind(e.end.map(|t| t.0))
    .bind(state.as_str())
    .bind(i64::from(e.policy_revision))
    .bind(evidence)
    .bind(now.0)
    .bind(EpisodeState::Withdrawn.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
