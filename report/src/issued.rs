//! The register of issued summaries: every signed PDF the service gave out, kept with its bytes.
//!
//! A court must be able to say which summary it was given and get that very file again, and
//! the service must be able to check later whether the stored data still give what it said:
//! a summary built again today may differ (a note written since, a late observation), so the
//! file given out is kept as it was, byte for byte, beside who asked for it and when, its
//! digest and the fingerprint of the certificate whose key signed it (a key may be replaced;
//! summaries signed by the earlier one stay valid and must be told apart).
//!
//! Kept in the report's own table `issued_summaries` (append only; never edit a migration that
//! has shipped). Times are milliseconds since the epoch (UTC); the period's days are the
//! order's local dates, as `YYYY-MM-DD`.

use chrono::NaiveDate;
use rules::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;
use store::{Store, schema};

use crate::ReportError;
use crate::model::{Lang, Params};

const MIGRATIONS: &[&[&str]] = &[&[
    "CREATE TABLE IF NOT EXISTS issued_summaries (
        id {id},
        order_id BIGINT NOT NULL,
        from_day TEXT NOT NULL,
        to_day TEXT NOT NULL,
        lang TEXT NOT NULL,
        as_of_ms BIGINT,
        digest TEXT NOT NULL,
        signer_fingerprint TEXT NOT NULL,
        issued_ms BIGINT NOT NULL,
        issued_by BIGINT,
        size_bytes BIGINT NOT NULL,
        pdf {blob} NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS issued_summaries_by_order ON issued_summaries (order_id, id)",
]];

/// Brings the register's table up to date.
pub async fn migrate(store: &Store) -> Result<(), ReportError> {
    schema::apply(store, "report_schema_migrations", MIGRATIONS).await?;
    Ok(())
}

/// A signed summary to record as given out.
#[derive(Debug)]
pub struct NewIssued<'a> {
    /// The parameters the summary was built with (as the report keeps them: `as_of` only
    /// while its period had not ended).
    pub params: &'a Params,
    /// The digest of the summary's report.
    pub digest: &'a str,
    /// The SHA-256 fingerprint of the certificate whose key signed it.
    pub signer_fingerprint: &'a str,
    /// The user who asked for it; none for sargs itself.
    pub issued_by: Option<i64>,
    /// The signed PDF, as given.
    pub pdf: &'a [u8],
}

/// A summary given out, without its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Issued {
    /// The register's id of it.
    pub id: i64,
    /// The order it is about.
    pub order_id: i64,
    /// The first local day covered.
    pub from: NaiveDate,
    /// The last local day covered (inclusive).
    pub to: NaiveDate,
    /// The document's language.
    pub lang: Lang,
    /// When it was made, if its period had not ended then (verified as of that instant).
    pub as_of: Option<Timestamp>,
    /// The digest of its report (SHA-256, hex).
    pub digest: String,
    /// The SHA-256 fingerprint of the signer's certificate.
    pub signer_fingerprint: String,
    /// When it was given out.
    pub issued_at: Timestamp,
    /// Who asked for it (a user id); none for sargs itself.
    pub issued_by: Option<i64>,
    /// The PDF's size in bytes.
    pub size_bytes: i64,
}

impl Issued {
    /// The parameters to build or verify the same report with.
    pub fn params(&self) -> Params {
        Params {
            order_id: self.order_id,
            from: self.from,
            to: self.to,
            lang: self.lang,
            as_of: self.as_of,
        }
    }
}

/// A register row as stored, in the order of [`COLUMNS`].
#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    order_id: i64,
    from_day: String,
    to_day: String,
    lang: String,
    as_of_ms: Option<i64>,
    digest: String,
    signer_fingerprint: String,
    issued_ms: i64,
    issued_by: Option<i64>,
    size_bytes: i64,
}

/// A row with the PDF's bytes.
#[derive(sqlx::FromRow)]
struct RowWithPdf {
    #[sqlx(flatten)]
    row: Row,
    pdf: Vec<u8>,
}

const COLUMNS: &str = "id, order_id, from_day, to_day, lang, as_of_ms, digest, \
                       signer_fingerprint, issued_ms, issued_by, size_bytes";

fn issued_of(row: Row) -> Result<Issued, ReportError> {
    let id = row.id;
    let day = |text: &str| {
        text.parse::<NaiveDate>()
            .map_err(|_| ReportError::Corrupt(format!("issued summary {id}: day {text:?}")))
    };
    Ok(Issued {
        id,
        order_id: row.order_id,
        from: day(&row.from_day)?,
        to: day(&row.to_day)?,
        lang: Lang::parse(&row.lang).ok_or_else(|| {
            ReportError::Corrupt(format!("issued summary {id}: lang {:?}", row.lang))
        })?,
        as_of: row.as_of_ms.map(Timestamp),
        digest: row.digest,
        signer_fingerprint: row.signer_fingerprint,
        issued_at: Timestamp(row.issued_ms),
        issued_by: row.issued_by,
        size_bytes: row.size_bytes,
    })
}

/// Records a summary as given out now; what the register holds of it.
pub async fn record(store: &Store, new: &NewIssued<'_>) -> Result<Issued, ReportError> {
    let now = store.now();
    let size = i64::try_from(new.pdf.len())
        .map_err(|_| ReportError::Invalid("the PDF is too large to record".into()))?;
    let mut tx = store.begin_write().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO issued_summaries (order_id, from_day, to_day, lang, as_of_ms, digest,
            signer_fingerprint, issued_ms, issued_by, size_bytes, pdf)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(new.params.order_id)
    .bind(new.params.from.to_string())
    .bind(new.params.to.to_string())
    .bind(new.params.lang.as_str())
    .bind(new.params.as_of.map(|t| t.0))
    .bind(new.digest)
    .bind(new.signer_fingerprint)
    .bind(now.0)
    .bind(new.issued_by)
    .bind(size)
    .bind(new.pdf)
    .fetch_one(&mut *tx)
    .await
    .map_err(store::StoreError::from)?;
    tx.commit().await.map_err(store::StoreError::from)?;
    Ok(Issued {
        id,
        order_id: new.params.order_id,
        from: new.params.from,
        to: new.params.to,
        lang: new.params.lang,
        as_of: new.params.as_of,
        digest: new.digest.to_string(),
        signer_fingerprint: new.signer_fingerprint.to_string(),
        issued_at: now,
        issued_by: new.issued_by,
        size_bytes: size,
    })
}

/// The summaries given out of an order, newest first, without their bytes.
pub async fn of_order(store: &Store, order_id: i64) -> Result<Vec<Issued>, ReportError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM issued_summaries WHERE order_id = $1 ORDER BY id DESC"
    ))
    .bind(order_id)
    .fetch_all(store.pool())
    .await
    .map_err(store::StoreError::from)?;
    rows.into_iter().map(issued_of).collect()
}

/// One summary given out, with the PDF's bytes as given; none if there is no such id.
pub async fn with_pdf(store: &Store, id: i64) -> Result<Option<(Issued, Vec<u8>)>, ReportError> {
    let row: Option<RowWithPdf> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, pdf FROM issued_summaries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(store.pool())
    .await
    .map_err(store::StoreError::from)?;
    row.map(|r| Ok((issued_of(r.row)?, r.pdf))).transpose()
}
