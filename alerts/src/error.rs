//! What can go wrong in the alerts: the database, a stored value that cannot be read back, or
//! a person's request that the lifecycle refuses.

use store::StoreError;

use crate::lifecycle::TransitionError;

/// What went wrong with an alert or the alerts' task.
#[derive(Debug, thiserror::Error)]
pub enum AlertsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A query failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// Reading the episodes failed.
    #[error(transparent)]
    Judge(#[from] judge::JudgeError),
    /// Reading the case records failed.
    #[error("case records: {0}")]
    Cases(#[from] cases::CasesError),
    /// There is no alert with this id.
    #[error("no alert {0}")]
    NotFound(i64),
    /// A person's request is not allowed in the alert's state.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// A request that cannot be carried out (a note too long, say); the text says why.
    #[error("{0}")]
    Invalid(String),
    /// A request whose fields are wrong, each named with why (and a code for the console).
    #[error("invalid: {0:?}")]
    Fields(Vec<cases::FieldError>),
    /// The alerts' task is no longer running, so it cannot answer.
    #[error("the alerts have stopped")]
    Stopped,
}
