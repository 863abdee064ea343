//! What can go wrong with a case record, said so that an API can answer with a 4xx that names
//! the field and the reason, and a 500 only for the database itself.

use serde::Serialize;
use store::StoreError;

/// One thing wrong with a request: which field (a dotted path, `terms.zones[1].shape`) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldError {
    /// Which field, as a dotted path (`terms.zones[1].shape`).
    pub field: String,
    /// What is wrong with it, in English.
    pub reason: String,
    /// A stable name of the reason, where a user is to be told it in their own language (the
    /// console words it from its catalogs; `reason` is the English).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
}

impl FieldError {
    /// An error with no code: the English reason is all a user is told.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            reason: reason.into(),
            code: None,
        }
    }

    /// An error with a stable code, for a console to word in the user's language.
    pub fn coded(
        field: impl Into<String>,
        code: &'static str,
        reason: impl Into<String>,
    ) -> FieldError {
        FieldError {
            code: Some(code),
            ..FieldError::new(field, reason)
        }
    }
}

/// What went wrong with a case record: the request (a 4xx, naming the field) or the database.
#[derive(Debug, thiserror::Error)]
pub enum CasesError {
    /// The request is wrong; nothing was written.
    #[error("invalid: {}", reasons(.0))]
    Invalid(Vec<FieldError>),
    /// The request is well-formed and valid, but the records are not in a state that allows
    /// it: a name taken, a device fitted already, an order that is over. The same request may
    /// succeed once the records change (an API answers 409, not 422). Nothing was written.
    #[error("conflict: {}", reasons(.0))]
    Conflict(Vec<FieldError>),
    /// No such record.
    #[error("{what} {id} does not exist")]
    NotFound {
        /// What kind of record (`client`, `order`, ...).
        what: &'static str,
        /// The id asked for.
        id: i64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A query failed.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// A stored value that does not read back as it should.
    #[error("stored record is invalid: {0}")]
    Corrupt(String),
}

impl CasesError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> CasesError {
        CasesError::Invalid(vec![FieldError::new(field, reason)])
    }

    pub(crate) fn conflict(field: impl Into<String>, reason: impl Into<String>) -> CasesError {
        CasesError::Conflict(vec![FieldError::new(field, reason)])
    }

    pub(crate) fn check(errors: Vec<FieldError>) -> Result<(), CasesError> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CasesError::Invalid(errors))
        }
    }
}

/// `field: reason; field: reason`, for the log and the command line.
fn reasons(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A stored JSON document that no longer reads: the database was changed behind our back.
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> CasesError {
    CasesError::Corrupt(format!("{what}: {e}"))
}

/// A stored name of one of `all`, read back; any other is a corrupt record.
pub(crate) fn stored<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    what: &str,
    s: &str,
) -> Result<T, CasesError> {
    all.iter()
        .copied()
        .find(|&v| name(v) == s)
        .ok_or_else(|| corrupt(what, s))
}
