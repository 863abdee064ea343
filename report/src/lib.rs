//! The court compliance summary ("pārskats par pienākumu izpildi") of one order over a period:
//! what the order required, per curfew night the hours required and kept, every breach with the
//! observations behind it and how it was resolved, device faults and communication gaps (which
//! are not breaches), the conditions the devices worn could not evidence, officers' notes, and
//! the policy revisions used.
//!
//! Courts receive it as evidence, so it is reproducible: built only from stored data
//! ([`model`]), written as canonical JSON ([`json`]) whose SHA-256 is its digest, and rendered
//! to a PDF that is a pure function of that JSON ([`pdf`]), which carries the JSON inside it so
//! that [`verify()`] can build the report again from the store and say what differs. Every
//! signed PDF given out is kept, as given, in the register of issued summaries ([`issued`]).
#![warn(missing_docs)]

pub mod breach_time;
mod curfew;
pub mod export;
pub mod file;
pub mod gaps;
pub mod issued;
pub mod json;
pub mod model;
pub mod nights;
pub mod pdf;
pub mod seal;
pub mod spans;
mod text;
pub mod unevidenced;
pub mod verify;

pub use model::{Lang, Params, Report, build};
pub use verify::{Difference, Verdict, verify};

/// The PDF of a report, sealed with `key`, and its digest.
pub fn to_pdf(report: &Report, key: &seal::SigningKey) -> Result<(Vec<u8>, String), ReportError> {
    let (document, digest) = json::document(report)?;
    let seal = key
        .sign(&document)
        .map_err(|e| ReportError::Pdf(format!("signing: {e}")))?;
    Ok((pdf::render(report, &document, &digest, &seal)?, digest))
}

/// Why a report could not be built, checked or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The request is wrong (dates, period, language).
    #[error("{0}")]
    Invalid(String),
    /// The order (or another record asked for) does not exist.
    #[error("{0} does not exist")]
    NotFound(String),
    /// Reading the case records failed.
    #[error("case records: {0}")]
    Cases(cases::CasesError),
    /// Reading the episodes failed.
    #[error("episodes: {0}")]
    Judge(#[from] judge::JudgeError),
    /// Reading the alerts failed.
    #[error("alerts: {0}")]
    Alerts(#[from] alerts::AlertsError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Stored data that no longer reads as it should.
    #[error("stored record is invalid: {0}")]
    Corrupt(String),
    /// A file that is not a sargs compliance summary, or not one as it was written.
    #[error("{0}")]
    NotAReport(String),
    /// The PDF could not be written.
    #[error("writing the PDF: {0}")]
    Pdf(String),
}
