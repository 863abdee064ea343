//! What can go wrong while judging: the database, the case records, or a stored value the judge
//! cannot read back. Bad observations are not errors: they are skipped with a warning.

use store::StoreError;

/// What went wrong while judging or reading episodes.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A query failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// Reading the case records (orders, policies) failed.
    #[error("case records: {0}")]
    Cases(#[from] cases::CasesError),
    /// A stored value the judge cannot read back.
    #[error("stored {what} is invalid: {reason}")]
    Corrupt {
        /// What kind of value (a condition, a breach kind, ...).
        what: &'static str,
        /// Why it cannot be read.
        reason: String,
    },
    /// The judge's task is no longer running, so it cannot answer.
    #[error("the judge has stopped")]
    Stopped,
    /// A step failed in the judge's task (told to a caller waiting on it); the task starts
    /// again from the store.
    #[error("judging failed: {0}")]
    Failed(String),
}

pub(crate) fn corrupt(what: &'static str, reason: impl std::fmt::Display) -> JudgeError {
    JudgeError::Corrupt {
        what,
        reason: reason.to_string(),
    }
}

impl From<rules::UnknownEpisodeState> for JudgeError {
    fn from(unknown: rules::UnknownEpisodeState) -> Self {
        corrupt("episode state", unknown.0)
    }
}
