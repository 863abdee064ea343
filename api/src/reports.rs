//! The court compliance summary over HTTP: the same document `sargs report` writes, as a PDF
//! or as the exchange JSON, for whoever may read the order (a court, of the orders it issued).
//! Every signed PDF given out is recorded in the report's register ([`report::issued`]), so
//! that the same file can be given again and checked later (`crate::summaries`).

use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use report::{Lang, Params, ReportError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access;
use crate::error::{PathParam, Query};
use crate::gate::{Answer, Caller};
use crate::{ApiError, ApiState};

#[derive(Copy, Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The signed PDF for the court.
    #[default]
    Pdf,
    /// The exchange JSON the PDF carries: what its digest is of.
    Json,
    /// The figures for case systems (E-lieta): local times with offsets beside UTC, codes beside
    /// words (docs/case-export.schema.json).
    Case,
}

/// What a JSON answer is: the exchange document, or the case-system export.
pub fn report_json(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let exchange = generator.subschema_for::<report::json::ExchangeDocument>();
    let case = generator.subschema_for::<report::export::CaseExport>();
    schemars::json_schema!({ "anyOf": [exchange, case] })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The first day, in the order's time zone.
    from: NaiveDate,
    /// The last day, inclusive.
    to: NaiveDate,
    /// The document's language.
    #[serde(default = "latvian")]
    lang: Lang,
    /// A signed PDF (default), the exchange JSON, or the case-system export.
    #[serde(default)]
    format: Format,
}

fn latvian() -> Lang {
    Lang::Lv
}

pub async fn order_report(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    query: Result<Query<ReportQuery>, ApiError>,
) -> Answer {
    // The row first: a stranger learns nothing from how their query was wrong.
    access::order_by_id(&state, &caller.actor, id).await?;
    let Query(q) = query?;
    let params = Params {
        order_id: id,
        from: q.from,
        to: q.to,
        lang: q.lang,
        as_of: Some(state.store.now()),
    };
    let built = report::build(&state.telemetry, &state.cases, &params)
        .await
        .map_err(answer)?;
    let (bytes, digest, kind, issued) = match q.format {
        Format::Pdf => {
            let (pdf, digest) = report::to_pdf(&built, &state.signing).map_err(answer)?;
            let signer = state.signing.signer();
            let issued = report::issued::record(
                &state.store,
                &report::issued::NewIssued {
                    // As the report keeps them: as_of only while its period had not ended.
                    params: &built.params,
                    digest: &digest,
                    signer_fingerprint: &signer.fingerprint,
                    issued_by: caller.actor.user_id,
                    pdf: &pdf,
                },
            )
            .await
            .map_err(answer)?;
            (pdf, digest, "application/pdf", Some(issued.id))
        }
        Format::Json => {
            let (json, digest) = report::json::document(&built).map_err(answer)?;
            (json, digest, "application/json", None)
        }
        Format::Case => {
            let (export, bytes) = report::export::export(&built).map_err(answer)?;
            (bytes, export.summary_digest, "application/json", None)
        }
    };
    let mut detail = format!("{} to {}, sha256 {digest}", q.from, q.to);
    if let Some(issued) = issued {
        detail.push_str(&format!(", issued summary {issued}"));
    }
    state
        .cases
        .record_read(&caller.actor, &format!("order/{id}/report"), &detail)
        .await?;
    let extension = match q.format {
        Format::Pdf => "pdf",
        Format::Json => "json",
        Format::Case => "case.json",
    };
    let name = format!(
        "attachment; filename=\"compliance-summary-{id}-{}-{}.{extension}\"",
        q.from, q.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

/// The key summaries are signed with, for courts to check them by.
#[derive(Serialize, JsonSchema)]
pub struct SigningKeyShown {
    /// The signature's algorithm: `Ed25519` or `ECDSA P-256 SHA-256`.
    algorithm: String,
    /// The signer's certificate, PEM: what a PDF carries as `signer-certificate.pem`.
    certificate_pem: String,
    /// The public key, PEM: what `sargs report verify --public-key` and openssl take.
    public_key_pem: String,
    /// The certificate's SHA-256 fingerprint, as `openssl x509 -fingerprint -sha256` prints it.
    fingerprint_sha256: String,
    /// Who the certificate names.
    subject: String,
}

pub async fn signing_key(State(state): State<ApiState>) -> Answer {
    let key = &state.signing;
    let signer = key.signer().clone();
    Ok(axum::Json(SigningKeyShown {
        algorithm: key.algorithm().into(),
        certificate_pem: key.certificate_pem().to_string(),
        public_key_pem: key.public_key_pem().map_err(internal)?,
        fingerprint_sha256: signer.fingerprint,
        subject: signer.subject,
    })
    .into_response())
}

pub(crate) fn internal(error: report::seal::SealError) -> ApiError {
    tracing::error!(%error, "the signing key");
    ApiError::Internal
}

pub(crate) fn answer(error: ReportError) -> ApiError {
    match error {
        ReportError::Invalid(reason) => ApiError::invalid("to", reason),
        ReportError::NotFound(what) => ApiError::NotFound(what),
        // The database: a 503 while the storage does not answer, not a 500.
        ReportError::Cases(e) => e.into(),
        ReportError::Judge(e) => e.into(),
        ReportError::Alerts(e) => e.into(),
        ReportError::Store(e) => e.into(),
        other => {
            tracing::error!(error = %other, "compliance summary");
            ApiError::Internal
        }
    }
}
