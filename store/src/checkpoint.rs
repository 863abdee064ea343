//! SQLite's WAL copied back into the database by a task of its own, never by a commit.

use std::time::Duration;

use sqlx::AnyPool;

use super::WriteTurns;

/// SQLite copies the WAL back into the database (a checkpoint) in the commit that crosses
/// `wal_autocheckpoint`. Under load that is tens of MB written and synced while the committing
/// writer holds the write turn, and every other writer waited behind it, up to a second. Worse,
/// such a checkpoint never catches up with writers that commit back to back, and the WAL
/// starts again from its beginning only once all of it is copied: it grew without end (5.5 GB
/// in a minute of the foundation's load), and every read searched more of it (BENCHMARKS.md,
/// "Alert latency"). So commits never checkpoint; this task does, every [`CHECKPOINT_EVERY`]:
/// beside the writers (a PASSIVE checkpoint takes no write lock), and once the WAL has grown
/// past [`RESTART_WAL_AFTER`], again holding the write turn, for the little written meanwhile,
/// so that the WAL is copied whole and the next writer starts it again from the beginning.
#[derive(Debug)]
pub(crate) struct Checkpointer(tokio::task::JoinHandle<()>);

const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The WAL's size (in 4 KiB frames: 64 MiB) past which the checkpointer holds the writers off
/// to copy the rest and have the WAL start again; below it, it copies beside them.
const RESTART_WAL_AFTER: i64 = 16_384;

impl Checkpointer {
    pub(crate) fn start(pool: &AnyPool, turns: &WriteTurns) -> Checkpointer {
        let pool = pool.clone();
        let turns = turns.0.clone();
        Checkpointer(tokio::spawn(async move {
            let mut every = tokio::time::interval(CHECKPOINT_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            every.tick().await;
            loop {
                every.tick().await;
                // (busy, frames in the WAL, frames copied)
                let checkpoint = || {
                    sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                        .fetch_one(&pool)
                };
                let done = match checkpoint().await {
                    Ok((_, frames, _)) if frames > RESTART_WAL_AFTER => {
                        let _turn = turns.lock().await;
                        checkpoint().await
                    }
                    other => other,
                };
                match done {
                    Ok(_) => {}
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(error) => tracing::warn!(%error, "WAL checkpoint failed; trying again"),
                }
            }
        }))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}
