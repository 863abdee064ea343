//! The judge's tables, in the same store as the telemetry and the case records. Append only:
//! never edit a migration that has shipped.
//!
//! - `episodes`: every breach episode told, under its id (unique per client), with the order
//!   and policy revision that judged it, its evidence (JSON) and its state.
//! - `checkpoints`: the engine's snapshots of a client's state, per order and policy revision,
//!   to judge late data again from and to resume from after a restart.
//! - `monitors`: which order and policy revision judges each client now, and the last
//!   observation row committed before that revision took over (it judges the rows after).
//! - `judge_cursor`: the last observation row judged, advanced in the same transaction as the
//!   episodes and checkpoints it produced, so a restart neither skips nor repeats a row.
//! - `episode_log`: every change to an episode, numbered in commit order, written in the
//!   transaction that made it: what the alerts follow.
//!
//! Times are milliseconds since the epoch (UTC).

use store::{Store, schema};

use crate::JudgeError;

const MIGRATIONS: &[&[&str]] = &[
    &[
        "CREATE TABLE IF NOT EXISTS episodes (
        client_id BIGINT NOT NULL,
        episode_id BIGINT NOT NULL,
        order_id BIGINT NOT NULL,
        condition_ref TEXT NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        start_ms BIGINT NOT NULL,
        end_ms BIGINT,
        state TEXT NOT NULL,
        policy_revision BIGINT NOT NULL,
        evidence TEXT NOT NULL,
        updated_ms BIGINT NOT NULL,
        PRIMARY KEY (client_id, episode_id)
    )",
        "CREATE INDEX IF NOT EXISTS episodes_by_start ON episodes (client_id, start_ms)",
        "CREATE TABLE IF NOT EXISTS checkpoints (
        client_id BIGINT NOT NULL,
        order_id BIGINT NOT NULL,
        policy_revision BIGINT NOT NULL,
        until_ms BIGINT NOT NULL,
        settled_ms BIGINT NOT NULL,
        checkpoint TEXT NOT NULL,
        PRIMARY KEY (client_id, order_id, policy_revision, until_ms)
    )",
        "CREATE TABLE IF NOT EXISTS monitors (
        client_id BIGINT PRIMARY KEY,
        order_id BIGINT NOT NULL,
        policy_revision BIGINT NOT NULL,
        first_row BIGINT NOT NULL,
        applied_ms BIGINT NOT NULL
    )",
        "CREATE TABLE IF NOT EXISTS judge_cursor (
        id BIGINT PRIMARY KEY,
        observation_row BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL
    )",
    ],
    &[
        // Every change to an episode, in commit order (one judge writes), for the alerts to
        // follow after the last row they took, as the judge follows the observations.
        "CREATE TABLE IF NOT EXISTS episode_log (
        row_id {id},
        client_id BIGINT NOT NULL,
        episode_id BIGINT NOT NULL,
        state TEXT NOT NULL,
        logged_ms BIGINT NOT NULL
    )",
    ],
];

/// Brings the judge's tables up to date (the alerts, which read them, call it too).
pub async fn migrate(store: &Store) -> Result<(), JudgeError> {
    schema::apply(store, "judge_schema_migrations", MIGRATIONS).await?;
    Ok(())
}
