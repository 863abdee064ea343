//! What the judge keeps in the store, and how readers get it back: the episodes as last told
//! (with their state, order and policy revision), the checkpoints, which order and revision
//! judges each client, and the cursor of the last observation row judged.
//!
//! What one step of judging writes is gathered in `pending`.

use ingest::store::Telemetry;
use rules::observation::EvidenceRef;
use rules::{
    BreachKind, Checkpoint, ClientId, ConditionRef, Episode, EpisodeId, Severity, Timestamp,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use store::Store;

use crate::JudgeError;
use crate::error::corrupt;

type Tx = store::WriteTx;

/// Where an episode stands: pure, so it lives in `rules`; re-exported here for the judge's
/// readers.
pub use rules::EpisodeState;

/// A breach episode as stored: what the engine told last, the order and policy revision that
/// judged it, and its state.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StoredEpisode {
    /// The probation client in breach, by their id in the case records.
    pub client_id: i64,
    /// Unique within the client, never reused.
    pub episode_id: u64,
    /// The court order whose policy judged it.
    pub order_id: i64,
    /// The condition of the policy that is breached.
    pub condition: ConditionRef,
    /// What kind of breach or device fault.
    pub kind: BreachKind,
    /// How urgent the rules engine judged it.
    pub severity: Severity,
    /// Event time (device time).
    pub start: Timestamp,
    /// When it ended, by device time; none while it goes on.
    pub end: Option<Timestamp>,
    /// Open, closed, withdrawn or superseded.
    pub state: EpisodeState,
    /// The revision of the order's policy that judged it.
    pub policy_revision: u32,
    /// The observations that prove it (device, seq, device time).
    pub evidence: Vec<EvidenceRef>,
    /// When the judge last changed it, by its clock.
    pub updated: Timestamp,
}

impl StoredEpisode {
    /// The episode as the engine told it.
    pub fn episode(&self) -> Episode {
        Episode {
            id: EpisodeId(self.episode_id),
            client: self.client_id as ClientId,
            condition: self.condition.clone(),
            kind: self.kind,
            severity: self.severity,
            start: self.start,
            end: self.end,
            evidence: self.evidence.clone(),
            policy_revision: self.policy_revision,
        }
    }
}

pub(crate) const EPISODE_COLUMNS: &str = "client_id, episode_id, order_id, condition_ref, kind, severity, \
    start_ms, end_ms, state, policy_revision, evidence, updated_ms";

/// A client's episodes that overlap `[from_ms, to_ms)` (open ones reach on), in start order,
/// whatever their state.
pub async fn episodes(
    store: &Store,
    client_id: i64,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<StoredEpisode>, JudgeError> {
    // Bound, not a list of ids written in: one statement text, kept prepared.
    episodes_where(store, "client_id = $3", Some(client_id), from_ms, to_ms).await
}

/// The episodes of any of `clients` that overlap `[from_ms, to_ms)`, by client, then as
/// [`episodes`] orders them: a page of clients' states at once, in one statement.
pub async fn episodes_of_clients(
    store: &Store,
    clients: &[i64],
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<StoredEpisode>, JudgeError> {
    let clients = format!("client_id IN ({})", store::id_list(clients.iter().copied()));
    episodes_where(store, &clients, None, from_ms, to_ms).await
}

/// The episodes of the clients `which` names (`$3` bound to `client`, if given) that overlap
/// `[from_ms, to_ms)`, by client, start and id.
async fn episodes_where(
    store: &Store,
    which: &str,
    client: Option<i64>,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<StoredEpisode>, JudgeError> {
    let sql = format!(
        "SELECT {EPISODE_COLUMNS} FROM episodes
         WHERE {which} AND start_ms < $1 AND (end_ms IS NULL OR end_ms >= $2)
         ORDER BY client_id, start_ms, episode_id"
    );
    let mut query = sqlx::query(&sql).bind(to_ms).bind(from_ms);
    if let Some(client) = client {
        query = query.bind(client);
    }
    let rows = query.fetch_all(store.pool()).await?;
    rows.iter().map(stored_episode).collect()
}

/// One episode of a client.
/// Reads through a pool or a connection: the alerts read it in the judge's own transaction.
pub async fn episode<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    client_id: i64,
    episode_id: u64,
) -> Result<Option<StoredEpisode>, JudgeError> {
    let row = sqlx::query(&format!(
        "SELECT {EPISODE_COLUMNS} FROM episodes WHERE client_id = $1 AND episode_id = $2"
    ))
    .bind(client_id)
    .bind(db_u64(episode_id))
    .fetch_optional(db)
    .await?;
    row.as_ref().map(stored_episode).transpose()
}

/// Which order and policy revision judges a client, and from which observation row on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MonitorRecord {
    /// The probation client being judged.
    pub client_id: i64,
    /// The court order whose policy judges them.
    pub order_id: i64,
    /// The revision of that order's policy in force.
    pub policy_revision: u32,
    /// The last observation row committed before this revision took over: it judges the rows
    /// after it.
    pub first_row: i64,
    /// When the judge put this revision in force, by its clock.
    pub applied: Timestamp,
}

/// Every client being judged, by client id.
pub async fn monitors(store: &Store) -> Result<Vec<MonitorRecord>, JudgeError> {
    let rows = sqlx::query(
        "SELECT client_id, order_id, policy_revision, first_row, applied_ms FROM monitors
         ORDER BY client_id",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(MonitorRecord {
                client_id: row.try_get("client_id")?,
                order_id: row.try_get("order_id")?,
                policy_revision: revision(row.try_get("policy_revision")?)?,
                first_row: row.try_get("first_row")?,
                applied: Timestamp(row.try_get("applied_ms")?),
            })
        })
        .collect()
}

pub(crate) async fn put_monitor(tx: &mut Tx, m: &MonitorRecord) -> Result<(), JudgeError> {
    sqlx::query(
        "INSERT INTO monitors (client_id, order_id, policy_revision, first_row, applied_ms)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (client_id) DO UPDATE SET order_id = excluded.order_id,
            policy_revision = excluded.policy_revision, first_row = excluded.first_row,
            applied_ms = excluded.applied_ms",
    )
    .bind(m.client_id)
    .bind(m.order_id)
    .bind(i64::from(m.policy_revision))
    .bind(m.first_row)
    .bind(m.applied.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The judgement of a client under `old` ends at `at`: its open episodes are superseded there,
/// its checkpoints (of no use to another revision) go, and so does its monitor record.
pub(crate) async fn end_monitor(
    tx: &mut Tx,
    old: &MonitorRecord,
    at: Timestamp,
) -> Result<u64, JudgeError> {
    let open: Vec<(i64,)> =
        sqlx::query_as("SELECT episode_id FROM episodes WHERE client_id = $1 AND state = $2")
            .bind(old.client_id)
            .bind(EpisodeState::Open.as_str())
            .fetch_all(&mut **tx)
            .await?;
    for (id,) in open {
        log_change(
            tx,
            old.client_id,
            EpisodeId(wire_u64(id)),
            EpisodeState::Superseded,
            at,
        )
        .await?;
    }
    let superseded = sqlx::query(
        "UPDATE episodes SET state = $1,
            end_ms = CASE WHEN start_ms > $2 THEN start_ms ELSE $2 END, updated_ms = $2
         WHERE client_id = $3 AND state = $4",
    )
    .bind(EpisodeState::Superseded.as_str())
    .bind(at.0)
    .bind(old.client_id)
    .bind(EpisodeState::Open.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM checkpoints WHERE client_id = $1")
        .bind(old.client_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM monitors WHERE client_id = $1")
        .bind(old.client_id)
        .execute(&mut **tx)
        .await?;
    Ok(superseded)
}

/// Notes in `episode_log` that an episode changed, in the transaction that changed it.
pub(crate) async fn log_change(
    tx: &mut Tx,
    client_id: i64,
    episode: EpisodeId,
    state: EpisodeState,
    at: Timestamp,
) -> Result<(), JudgeError> {
    sqlx::query(
        "INSERT INTO episode_log (client_id, episode_id, state, logged_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(client_id)
    .bind(db_u64(episode.0))
    .bind(state.as_str())
    .bind(at.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One change to an episode, as logged.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedChange {
    /// Its place in commit order.
    pub row: i64,
    /// The client whose episode changed.
    pub client_id: i64,
    /// The episode that changed, by its id within the client.
    pub episode_id: u64,
}

/// The episode changes logged after `row`, oldest first, at most `limit`; through a pool or a
/// connection, as [`episode`].
pub async fn changes_after<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
    row: i64,
    limit: u32,
) -> Result<Vec<LoggedChange>, JudgeError> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT row_id, client_id, episode_id FROM episode_log WHERE row_id > $1
         ORDER BY row_id LIMIT $2",
    )
    .bind(row)
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(row, client_id, episode_id)| LoggedChange {
            row,
            client_id,
            episode_id: wire_u64(episode_id),
        })
        .collect())
}

/// The last episode change logged (0 if none).
pub async fn last_change(store: &Store) -> Result<i64, JudgeError> {
    let (row,): (Option<i64>,) = sqlx::query_as("SELECT MAX(row_id) FROM episode_log")
        .fetch_one(store.pool())
        .await?;
    Ok(row.unwrap_or(0))
}

/// The judge's gauge for `/metrics`: observations committed and not yet recorded as judged.
/// The cursor is stored with every step that changes something and otherwise about once a
/// second, so a judge that keeps up shows a second's rows at most; one that falls behind, more
/// and more.
pub async fn metrics_text(telemetry: &Telemetry) -> Result<String, JudgeError> {
    let last = telemetry.last_observation_row().await?;
    let judged = cursor(telemetry.store()).await?.unwrap_or(last);
    Ok(format!(
        "# HELP sargs_judge_rows_behind Observations committed and not yet recorded as judged.\n\
         # TYPE sargs_judge_rows_behind gauge\n\
         sargs_judge_rows_behind {}\n",
        (last - judged).max(0)
    ))
}

/// The last observation row judged, if the judge ever ran on this store.
pub(crate) async fn cursor(store: &Store) -> Result<Option<i64>, JudgeError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT observation_row FROM judge_cursor WHERE id = 1")
            .fetch_optional(store.pool())
            .await?;
    Ok(row.map(|(r,)| r))
}

pub(crate) async fn set_cursor(tx: &mut Tx, row: i64, now: Timestamp) -> Result<(), JudgeError> {
    sqlx::query(
        "INSERT INTO judge_cursor (id, observation_row, updated_ms) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET observation_row = excluded.observation_row,
            updated_ms = excluded.updated_ms",
    )
    .bind(row)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The highest episode id ever issued to a client, whatever became of it.
pub(crate) async fn last_episode_id(store: &Store, client: i64) -> Result<EpisodeId, JudgeError> {
    let (last,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(episode_id) FROM episodes WHERE client_id = $1")
            .bind(client)
            .fetch_one(store.pool())
            .await?;
    Ok(EpisodeId(last.map_or(0, wire_u64)))
}

/// The episodes judged under a client's monitor that judging again from a checkpoint settled
/// at `settled` may change: open or closed (not withdrawn or superseded), ending at or after it.
pub(crate) async fn unsettled_episodes(
    store: &Store,
    m: &MonitorRecord,
    settled: Timestamp,
) -> Result<Vec<Episode>, JudgeError> {
    let rows = sqlx::query(&format!(
        "SELECT {EPISODE_COLUMNS} FROM episodes
         WHERE client_id = $1 AND order_id = $2 AND policy_revision = $3
           AND state IN ($4, $5) AND (end_ms IS NULL OR end_ms >= $6)
         ORDER BY episode_id"
    ))
    .bind(m.client_id)
    .bind(m.order_id)
    .bind(i64::from(m.policy_revision))
    .bind(EpisodeState::Open.as_str())
    .bind(EpisodeState::Closed.as_str())
    .bind(settled.0)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| stored_episode(row).map(|e| e.episode()))
        .collect()
}

/// The newest checkpoint of a client's monitor taken before `before`.
pub(crate) async fn checkpoint_before(
    store: &Store,
    m: &MonitorRecord,
    before: Timestamp,
) -> Result<Option<Checkpoint>, JudgeError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT checkpoint FROM checkpoints
         WHERE client_id = $1 AND order_id = $2 AND policy_revision = $3 AND until_ms < $4
         ORDER BY until_ms DESC LIMIT 1",
    )
    .bind(m.client_id)
    .bind(m.order_id)
    .bind(i64::from(m.policy_revision))
    .bind(before.0)
    .fetch_optional(store.pool())
    .await?;
    row.map(|(json,)| serde_json::from_str(&json).map_err(|e| corrupt("checkpoint", e)))
        .transpose()
}

fn stored_episode(row: &sqlx::any::AnyRow) -> Result<StoredEpisode, JudgeError> {
    let text = |column: &str| -> Result<String, JudgeError> { Ok(row.try_get(column)?) };
    Ok(StoredEpisode {
        client_id: row.try_get("client_id")?,
        episode_id: wire_u64(row.try_get("episode_id")?),
        order_id: row.try_get("order_id")?,
        condition: serde_json::from_str(&text("condition_ref")?)
            .map_err(|e| corrupt("episode condition", e))?,
        kind: named(&text("kind")?, "episode kind")?,
        severity: named(&text("severity")?, "episode severity")?,
        start: Timestamp(row.try_get("start_ms")?),
        end: row.try_get::<Option<i64>, _>("end_ms")?.map(Timestamp),
        state: EpisodeState::parse(&text("state")?)?,
        policy_revision: revision(row.try_get("policy_revision")?)?,
        evidence: serde_json::from_str(&text("evidence")?)
            .map_err(|e| corrupt("episode evidence", e))?,
        updated: Timestamp(row.try_get("updated_ms")?),
    })
}

/// A unit enum's serde name (a kind, a severity), as stored.
/// A unit enum's serde name, as stored.
pub fn name<T: Serialize>(value: &T) -> Result<String, JudgeError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Err(corrupt("name", other)),
        Err(e) => Err(corrupt("name", e)),
    }
}

/// A unit enum back from its stored name.
pub fn named<T: for<'de> Deserialize<'de>>(s: &str, what: &'static str) -> Result<T, JudgeError> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|e| corrupt(what, e))
}

fn revision(stored: i64) -> Result<u32, JudgeError> {
    u32::try_from(stored).map_err(|e| corrupt("policy revision", e))
}

/// Episode ids and client ids are u64 in the engine, BIGINT in the store: the bits are kept.
pub(crate) fn db_u64(v: u64) -> i64 {
    store::db_id(v)
}

fn wire_u64(v: i64) -> u64 {
    store::wire_id(v)
}
