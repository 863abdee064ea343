//! The platform every part of sargs that keeps data stands on: one database, SQLite or
//! PostgreSQL, opened once and shared.
//!
//! One `Store` serves both backends through sqlx's `Any` driver so that every query is written
//! once and both backends pass the same tests. The SQL sticks to what both understand
//! (`$N` placeholders, `ON CONFLICT`, 64-bit integers); the few DDL differences live in
//! [`schema`]. Each part that keeps tables here (ingest, cases, the judge, the alerts) owns them:
//! it brings them up to date with [`schema::apply`] and offers typed calls over them; no part
//! reads another's tables. What they share is here: the pool, the write turns that keep
//! SQLite's one writer fair, whether the storage takes writes, the ids, and the [`Clock`].
//! Device ids are `u64` on the wire and `BIGINT` in the database: they are stored bit-for-bit
//! as `i64` (see [`db_id`] / [`wire_id`]).

#![warn(missing_docs)]

mod checkpoint;
pub mod clock;
mod health;
mod ids;
pub mod schema;
#[cfg(feature = "test-support")]
pub mod testing;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Database, Executor, TransactionManager};
use tokio::sync::watch;

use checkpoint::Checkpointer;
pub use clock::{Clock, ManualClock, SystemClock};
use health::StorageHealth;
pub use health::{StorageFault, StorageState};
pub use ids::{db_id, id_list, unsigned_order, wire_id};

/// Which database a `Store` talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file: the embedded default.
    Sqlite,
    /// A PostgreSQL server: production.
    Postgres,
}

/// Where the data lives: a SQLite file in a data directory (the embedded default), or a database URL.
#[derive(Clone, Debug)]
pub enum StoreLocation {
    /// A directory holding the SQLite file ([`SQLITE_FILE`]), created if need be.
    DataDir(PathBuf),
    /// A `sqlite://` or `postgres://` URL.
    Url(String),
}

#[derive(Debug, thiserror::Error)]
/// Why the store could not be opened or could not do what was asked.
pub enum StoreError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why not.
        source: std::io::Error,
    },
    #[error("unsupported database URL (expected sqlite:// or postgres://): {0}")]
    /// A URL of another database than SQLite or PostgreSQL.
    UnsupportedUrl(String),
    #[error("cannot open database {target}: {source}")]
    /// The database could not be opened.
    Connect {
        /// The file or URL, without any password.
        target: String,
        /// Why.
        source: sqlx::Error,
    },
    #[error("database error: {0}")]
    /// A statement failed.
    Sql(#[from] sqlx::Error),
    #[error("stored value is invalid: {0}")]
    /// A stored value is not one the code ever writes.
    Corrupt(String),
    #[error("the database is busy: no turn to write within {0:?}")]
    /// This process's writers held the write turn too long.
    Busy(Duration),
    #[error("the database did not answer within {0:?}")]
    /// The database did not answer in time.
    NoAnswer(Duration),
}

impl StoreError {
    /// The storage's own refusal behind this error (full, unreachable, ...), not the request's
    /// fault: the API answers 503 for it, and the caller may try again.
    pub fn storage_fault(&self) -> Option<StorageFault> {
        match self {
            StoreError::Sql(error) | StoreError::Connect { source: error, .. } => {
                StorageFault::of(error)
            }
            StoreError::NoAnswer(_) => Some(StorageFault::Unreachable),
            StoreError::Busy(_) => Some(StorageFault::Exhausted),
            _ => None,
        }
    }
}

/// The database handle shared by ingest, the command line and the HTTP API.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// How many commits through this handle (and its clones) stored new observations, as ingest
    /// announces them: readers in the same process (the judge) wait on it instead of polling.
    commits: Arc<watch::Sender<u64>>,
    /// The process's writers' turns at SQLite's one write lock: see [`WriteTurns`].
    turns: WriteTurns,
    /// On SQLite, while any clone of the store is alive: see [`Checkpointer`].
    _checkpointer: Option<Arc<Checkpointer>>,
    /// Whether writes go through, from the outcome of the last write transaction.
    health: StorageHealth,
    /// A cap on the SQLite file in pages, for tests that fill the store (0: none ever set).
    size_cap_pages: Arc<std::sync::atomic::AtomicU64>,
    /// The time every part using this store goes by: the machine's, or a test's.
    clock: Arc<dyn Clock>,
}

/// SQLite has one writer at a time, and a writer that waits for the lock polls for it with
/// sleeps of up to 100 ms. Ingest's writer commits back to back under load and took the lock
/// again before any poller woke: the judge and the alerts starved for seconds (BENCHMARKS.md,
/// "Alert latency"). So within the process the writers take turns through one fair (FIFO)
/// queue before they touch the lock: a writer waits for at most the transactions queued ahead
/// of it, and SQLite's busy handler is left for other processes (the command line).
#[derive(Clone, Debug, Default)]
pub(crate) struct WriteTurns(Arc<tokio::sync::Mutex<()>>);

/// How long a writer waits for its turn before it fails, as SQLite's own `busy_timeout`.
const TURN_WAIT: Duration = Duration::from_secs(15);

/// A transaction that writes, holding the process's write turn (on SQLite) until it commits
/// or is dropped. It derefs to the connection, like `sqlx::Transaction`: `&mut *tx`.
///
/// Unlike `sqlx::Transaction`, a connection whose COMMIT failed never goes back to the pool.
/// After a failed COMMIT (a full disk) the connection may still be inside its transaction, or
/// sqlx may believe it is: the next "transaction" on it would then be a savepoint that commits
/// nothing, and an ACK sent after it would promise a frame that is never stored. Such a
/// connection is closed instead; the database rolls back whatever it held.
#[derive(Debug)]
pub struct WriteTx {
    // Declared first, so it ends (or is rolled back) before the turn passes on.
    conn: PoolConnection<Any>,
    open: bool,
    health: StorageHealth,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

type AnyTransactions = <Any as Database>::TransactionManager;

impl WriteTx {
    /// Commits, noting the outcome in the storage's health; a connection whose COMMIT failed
    /// is closed, never reused.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let committed = AnyTransactions::commit(&mut self.conn).await;
        self.open = false;
        match &committed {
            Ok(()) => self.health.committed(),
            Err(error) => {
                self.conn.close_on_drop();
                self.health.failed(error);
            }
        }
        committed
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            // Rolled back before the connection is used again; should that fail, the pool
            // closes the connection rather than hand it out (`before_acquire` in `Store::open`).
            AnyTransactions::start_rollback(&mut self.conn);
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

/// The file name of the SQLite database inside `--data-dir`.
pub const SQLITE_FILE: &str = "sargs.db";

impl Store {
    /// Open (creating if needed) the database. Each part that keeps tables in it brings them up
    /// to date itself ([`schema::apply`]).
    pub async fn open(location: &StoreLocation) -> Result<Store, StoreError> {
        Store::open_with_clock(location, Arc::new(SystemClock)).await
    }

    /// As [`Store::open`], with `clock` the time that every part using the store goes by (the
    /// records' times, the judge's ticks, when the storage began refusing writes): a test sets
    /// it instead of waiting for it.
    pub async fn open_with_clock(
        location: &StoreLocation,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (url, target) = match location {
            StoreLocation::DataDir(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                    path: dir.clone(),
                    source,
                })?;
                let file = dir.join(SQLITE_FILE);
                (sqlite_url(&file), file.display().to_string())
            }
            StoreLocation::Url(url) => (url.clone(), redact_url(url)),
        };
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(&url)));
        };
        let options = AnyConnectOptions::from_str(&url).map_err(|source| StoreError::Connect {
            target: target.clone(),
            source,
        })?;
        // One direct attempt first: the pool would retry a refused connection until its
        // acquire timeout, and start-up should say at once that the database is unreachable.
        AnyConnection::connect_with(&options)
            .await
            .map_err(|source| StoreError::Connect {
                target: target.clone(),
                source,
            })?
            .close()
            .await?;
        let pool = AnyPoolOptions::new()
            // SQLite: one writer at a time, but readers beside it (WAL), and under load every
            // part reads at once: ingest's writer, the checkpointer, the judge, the alerts and
            // their feeds, the API. With 4, the judge's and the feed's reads queued for one.
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 8,
            })
            .acquire_timeout(Duration::from_secs(30))
            // A connection still inside a transaction (its ROLLBACK failed after a failed
            // statement or COMMIT) is closed, never handed out: work on it would only be a
            // savepoint of a transaction nobody commits.
            .before_acquire(|conn, _meta| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; FULL makes every commit
                        // survive power loss, which is what an ACK to a device promises.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA busy_timeout = 15000").await?;
                        // The observation indexes are clustered by device, so a batch from many
                        // devices dirties an index page per device: keep the hot pages cached
                        // (64 MiB).
                        conn.execute("PRAGMA cache_size = -65536").await?;
                        // The store's checkpointer copies the WAL back, not the commits.
                        conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                        // A WAL started again keeps no more than this on disk.
                        conn.execute("PRAGMA journal_size_limit = 67108864").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect { target, source })?;
        let turns = WriteTurns::default();
        let store = Store {
            pool: pool.clone(),
            backend,
            commits: Arc::new(watch::channel(0).0),
            turns: turns.clone(),
            _checkpointer: (backend == Backend::Sqlite)
                .then(|| Arc::new(Checkpointer::start(&pool, &turns))),
            health: StorageHealth::new(clock.clone()),
            size_cap_pages: Arc::default(),
            clock,
        };
        Ok(store)
    }

    /// A transaction that writes, in its turn (see [`WriteTurns`]). On SQLite it takes the
    /// write lock at once (`BEGIN IMMEDIATE`: a deferred transaction that reads, then writes,
    /// fails when another wrote in between).
    pub async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let turn = self.write_turn().await?;
        let begun = async {
            let mut conn = self.pool.acquire().await?;
            self.apply_size_cap(&mut conn).await?;
            let begin = match self.backend {
                Backend::Sqlite => Some("BEGIN IMMEDIATE".into()),
                Backend::Postgres => None,
            };
            AnyTransactions::begin(&mut conn, begin).await?;
            Ok::<_, sqlx::Error>(conn)
        }
        .await;
        match begun {
            Ok(conn) => Ok(WriteTx {
                conn,
                open: true,
                health: self.health.clone(),
                _turn: turn,
            }),
            Err(error) => {
                self.health.failed(&error);
                Err(error.into())
            }
        }
    }

    /// Whether the storage takes writes, as the last write transaction found.
    pub fn storage_state(&self) -> StorageState {
        self.health.state()
    }

    /// Whether the storage refuses writes now. The parts that retry a failed step (the judge,
    /// the alerts) log their failures quietly then: ingest's rate-limited line already says it.
    pub fn refusing_writes(&self) -> bool {
        matches!(self.health.state(), StorageState::Refusing { .. })
    }

    /// Changes whenever the storage starts or stops refusing writes.
    pub fn watch_storage(&self) -> watch::Receiver<StorageState> {
        self.health.watch()
    }

    /// A write outside a [`WriteTx`] failed: note it if the storage refused it.
    pub fn write_failed(&self, error: &sqlx::Error) -> Option<StorageFault> {
        self.health.failed(error)
    }

    /// A write did not finish within `waited`: the database does not answer.
    pub fn write_stalled(&self, waited: Duration) {
        self.health.refused(
            StorageFault::Unreachable,
            format!("no answer to a write within {waited:?}"),
        );
    }

    /// Caps the SQLite file at `pages` pages from the next write transaction on (`None`: no
    /// cap), so that a test can fill the store where it cannot mount a small file system.
    #[cfg(feature = "test-support")]
    pub fn cap_sqlite_size(&self, pages: Option<u32>) {
        // SQLite's own largest page count stands for "no cap".
        let pages = pages.map_or(u64::from(u32::MAX - 1), u64::from);
        self.size_cap_pages
            .store(pages, std::sync::atomic::Ordering::Relaxed);
    }

    /// `max_page_count` is a setting of each connection, so it is set on the one about to write.
    async fn apply_size_cap(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let pages = self
            .size_cap_pages
            .load(std::sync::atomic::Ordering::Relaxed);
        if pages > 0 && self.backend == Backend::Sqlite {
            conn.execute(format!("PRAGMA max_page_count = {pages}").as_str())
                .await?;
        }
        Ok(())
    }

    /// This process's turn to write, on SQLite (PostgreSQL has no one write lock): held while
    /// writing, outside a [`WriteTx`] too (ingest's batches, single statements).
    pub async fn write_turn(&self) -> Result<Option<tokio::sync::OwnedMutexGuard<()>>, StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(None);
        }
        tokio::time::timeout(TURN_WAIT, self.turns.0.clone().lock_owned())
            .await
            .map(Some)
            .map_err(|_| StoreError::Busy(TURN_WAIT))
    }

    /// Changes each time a commit through this store stores new observations. Commits made by
    /// another process are not seen: a reader that must see them also polls.
    pub fn watch_commits(&self) -> watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// Tells the readers waiting on [`Store::watch_commits`] that new observations are committed.
    pub fn announce_commit(&self) {
        self.commits.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The time now, by this store's clock.
    pub fn now(&self) -> rules::Timestamp {
        self.clock.now()
    }

    /// This store's clock, for the parts that keep it (the judge ticks the engine with it).
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for the parts that keep tables in the store, each for its own.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection: the service is stopping.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether [`Store::close`] was called: the service is stopping, and the tasks that still
    /// use the store end quietly instead of logging its refusals as failures.
    pub fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }
}

fn sqlite_url(file: &Path) -> String {
    format!("sqlite://{}?mode=rwc", file.display())
}

/// A database URL fit for logs and error messages: any password is replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://sargs:hunter2@db:5432/sargs"),
            "postgres://sargs:***@db:5432/sargs"
        );
        assert_eq!(redact_url("postgres://db/sargs"), "postgres://db/sargs");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
