//! Whether the store takes writes, as the service tells operators, devices and the console.
//!
//! An ACK promises that a frame is durable, so while the database refuses writes (a full disk, a
//! read-only file system, an I/O error, PostgreSQL down, out of space or refusing the service's
//! role) nothing may be acknowledged, and everyone who relies on the evidence must be told. The
//! store notes the outcome of every write transaction here: a refusal by the storage itself sets
//! the state, the next successful commit clears it. Errors that say something about the request
//! (a constraint, a bad value) are not storage faults and change nothing.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::watch;

use crate::Clock;

/// Why the storage refuses writes, in words an operator acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StorageFault {
    /// No room left: the disk, the file system, a tablespace or a configured size cap.
    Full,
    /// The file system or the database is read-only.
    ReadOnly,
    /// The operating system reported an I/O error.
    Io,
    /// The database cannot be reached or does not answer.
    Unreachable,
    /// The database refuses the service's role (a privilege was taken away).
    PermissionDenied,
    /// The database is out of another resource (memory, connections).
    Exhausted,
}

impl StorageFault {
    /// The label used in metrics and `/healthz`.
    pub fn label(self) -> &'static str {
        match self {
            StorageFault::Full => "full",
            StorageFault::ReadOnly => "read_only",
            StorageFault::Io => "io_error",
            StorageFault::Unreachable => "unreachable",
            StorageFault::PermissionDenied => "permission_denied",
            StorageFault::Exhausted => "exhausted",
        }
    }

    /// Every fault, for the metrics that count each.
    pub const ALL: [StorageFault; 6] = [
        StorageFault::Full,
        StorageFault::ReadOnly,
        StorageFault::Io,
        StorageFault::Unreachable,
        StorageFault::PermissionDenied,
        StorageFault::Exhausted,
    ];

    /// The storage fault behind a database error, if it is one.
    pub fn of(error: &sqlx::Error) -> Option<StorageFault> {
        match error {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) => {
                Some(StorageFault::Unreachable)
            }
            sqlx::Error::WorkerCrashed => Some(StorageFault::Io),
            sqlx::Error::Database(db) => db.code().and_then(|code| of_code(&code)),
            _ => None,
        }
    }
}

/// PostgreSQL's SQLSTATEs (always five characters), and SQLite's extended result codes (a number
/// of at most four digits whose low byte is the primary code).
fn of_code(code: &str) -> Option<StorageFault> {
    if let (true, Ok(sqlite)) = (code.len() < 5, code.parse::<i64>()) {
        return match sqlite & 0xff {
            13 => Some(StorageFault::Full),     // SQLITE_FULL
            8 => Some(StorageFault::ReadOnly),  // SQLITE_READONLY
            10 => Some(StorageFault::Io),       // SQLITE_IOERR
            14 => Some(StorageFault::Io),       // SQLITE_CANTOPEN
            7 => Some(StorageFault::Exhausted), // SQLITE_NOMEM
            _ => None,
        };
    }
    match code {
        "53100" => Some(StorageFault::Full), // disk_full
        "25006" => Some(StorageFault::ReadOnly),
        "58030" => Some(StorageFault::Io),
        "42501" => Some(StorageFault::PermissionDenied),
        _ if code.starts_with("53") => Some(StorageFault::Exhausted),
        // connection exceptions, shutting down, cannot connect now
        _ if code.starts_with("08") || code.starts_with("57P") => Some(StorageFault::Unreachable),
        _ => None,
    }
}

/// The storage's state as last seen by a write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StorageState {
    /// Writes go through.
    Accepting,
    /// Writes fail: since when (UTC, ms) and why; `detail` is the database's own words.
    Refusing {
        /// What kind of refusal.
        fault: StorageFault,
        /// Since when.
        since_ms: i64,
        /// The database's own words.
        detail: String,
    },
}

/// Shared by every clone of a store; cheap to read.
#[derive(Clone, Debug)]
pub(crate) struct StorageHealth {
    state: Arc<watch::Sender<StorageState>>,
    /// Tells since when the storage refuses writes.
    clock: Arc<dyn Clock>,
}

impl StorageHealth {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> StorageHealth {
        StorageHealth {
            state: Arc::new(watch::channel(StorageState::Accepting).0),
            clock,
        }
    }

    /// A write failed: if the storage refused it, the store is refusing from now on (the first
    /// refusal's time is kept while it lasts). Returns the fault, if it was one.
    pub(crate) fn failed(&self, error: &sqlx::Error) -> Option<StorageFault> {
        let fault = StorageFault::of(error)?;
        self.refused(fault, error.to_string());
        Some(fault)
    }

    /// The storage refused a write for `fault`, in the database's words `detail`.
    pub(crate) fn refused(&self, fault: StorageFault, detail: String) {
        self.state.send_if_modified(|state| match state {
            StorageState::Refusing {
                fault: known,
                detail: said,
                ..
            } if *known == fault => {
                *said = detail;
                false
            }
            _ => {
                let since_ms = match state {
                    StorageState::Refusing { since_ms, .. } => *since_ms,
                    StorageState::Accepting => self.clock.now().0,
                };
                *state = StorageState::Refusing {
                    fault,
                    since_ms,
                    detail,
                };
                true
            }
        });
    }

    /// A write transaction committed: the storage takes writes.
    pub(crate) fn committed(&self) {
        self.state.send_if_modified(|state| {
            let changed = *state != StorageState::Accepting;
            *state = StorageState::Accepting;
            changed
        });
    }

    pub(crate) fn state(&self) -> StorageState {
        self.state.borrow().clone()
    }

    pub(crate) fn watch(&self) -> watch::Receiver<StorageState> {
        self.state.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_codes_are_faults_and_request_codes_are_not() {
        assert_eq!(of_code("13"), Some(StorageFault::Full));
        // SQLITE_IOERR_WRITE, an extended code
        assert_eq!(of_code("778"), Some(StorageFault::Io));
        assert_eq!(of_code("8"), Some(StorageFault::ReadOnly));
        assert_eq!(of_code("53100"), Some(StorageFault::Full));
        assert_eq!(of_code("42501"), Some(StorageFault::PermissionDenied));
        assert_eq!(of_code("57P01"), Some(StorageFault::Unreachable));
        // a unique violation, a foreign key, a syntax error: the request's fault
        for code in ["2067", "787", "1", "23505", "23503", "42601"] {
            assert_eq!(of_code(code), None, "{code}");
        }
        assert_eq!(
            StorageFault::of(&sqlx::Error::PoolTimedOut),
            Some(StorageFault::Unreachable)
        );
        assert_eq!(StorageFault::of(&sqlx::Error::RowNotFound), None);
    }

    #[test]
    fn a_refusal_keeps_its_start_until_a_commit_clears_it() {
        let health = StorageHealth::new(Arc::new(crate::SystemClock));
        let full = sqlx::Error::PoolTimedOut;
        assert_eq!(health.failed(&full), Some(StorageFault::Unreachable));
        let StorageState::Refusing { since_ms, .. } = health.state() else {
            panic!("refusing expected");
        };
        assert_eq!(health.failed(&sqlx::Error::RowNotFound), None);
        assert!(
            matches!(health.state(), StorageState::Refusing { since_ms: s, .. } if s == since_ms)
        );
        health.committed();
        assert_eq!(health.state(), StorageState::Accepting);
    }
}
