//! What can go wrong in the alerts: the database, a stored value that cannot be read back, or
//! a person's request that the lifecycle refuses.

use store::StoreError;

use crate::lifecycle::TransitionError;

#[derive(Debug, thiserror::Error)]
pub enum AlertsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Judge(#[from] judge::JudgeError),
    #[error("case records: {0}")]
    Cases(#[from] cases::CasesError),
    #[error("no alert {0}")]
    NotFound(i64),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("{0}")]
    Invalid(String),
    #[error("the alerts have stopped")]
    Stopped,
}
