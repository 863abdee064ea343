//! The summaries given out, over HTTP: an order's list, a summary's signed PDF again byte for
//! byte, and a check of it against the stored data now.
//!
//! A court must be able to show which file it was given and whether the records still say the
//! same; these read the report's register ([`report::issued`]) and answer to exactly whoever
//! may read the summary's order (a court, of the orders it issued), as the report itself does.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use report::issued::{self, Issued};
use report::verify::{Change, SignatureCheck};
use schemars::JsonSchema;
use serde::Serialize;

use crate::access;
use crate::error::PathParam;
use crate::gate::{Answer, Caller};
use crate::reports::{answer, internal};
use crate::{ApiError, ApiState};

/// Whose key signed a summary.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// The key the service holds now.
    CurrentKey,
    /// A key the service held before (its certificate's fingerprint is not the present one's).
    EarlierKey,
}

/// A summary given out, as listed.
#[derive(Serialize, JsonSchema)]
pub struct SummaryShown {
    /// What the register holds of it.
    #[serde(flatten)]
    issued: Issued,
    /// The display name of who asked for it; none for sargs itself.
    issued_by_name: Option<String>,
    /// Whether the key the service holds now signed it.
    signature: KeyState,
}

pub async fn list(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    access::order_by_id(&state, &caller.actor, id).await?;
    let listed = issued::of_order(&state.store, id).await.map_err(answer)?;
    let current = state.signing.signer().fingerprint.clone();
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut shown = Vec::with_capacity(listed.len());
    for issued in listed {
        let issued_by_name = match issued.issued_by {
            Some(user) => Some(match names.get(&user) {
                Some(name) => name.clone(),
                None => {
                    let name = state.cases.user(user).await?.display_name;
                    names.insert(user, name.clone());
                    name
                }
            }),
            None => None,
        };
        let signature = if issued.signer_fingerprint == current {
            KeyState::CurrentKey
        } else {
            KeyState::EarlierKey
        };
        shown.push(SummaryShown {
            issued,
            issued_by_name,
            signature,
        });
    }
    state
        .cases
        .record_read(&caller.actor, &format!("order/{id}/summaries"), "")
        .await?;
    Ok(axum::Json(shown).into_response())
}

/// The summary and its bytes, if the caller may read its order.
async fn readable(
    state: &ApiState,
    caller: &Caller,
    id: i64,
) -> Result<(Issued, Vec<u8>), ApiError> {
    let (issued, pdf) = issued::with_pdf(&state.store, id)
        .await
        .map_err(answer)?
        .ok_or_else(|| ApiError::NotFound(format!("summary {id}")))?;
    access::order_by_id(state, &caller.actor, issued.order_id).await?;
    Ok((issued, pdf))
}

pub async fn pdf(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let (issued, pdf) = readable(&state, &caller, id).await?;
    state
        .cases
        .record_read(
            &caller.actor,
            &format!("summary/{id}/pdf"),
            &format!("order {}, sha256 {}", issued.order_id, issued.digest),
        )
        .await?;
    let name = format!(
        "attachment; filename=\"compliance-summary-{}-{}-{}.pdf\"",
        issued.order_id, issued.from, issued.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        pdf,
    )
        .into_response())
}

/// What the signature of the stored file showed, checked against the service's key now.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureState {
    /// Signed by the key the service holds now.
    Holds,
    /// Does not hold, or not by the service's key now (an earlier key's, say).
    Fails,
    /// The file carries no signature.
    Unsigned,
}

/// One thing that differs between the stored file and the stored data now.
#[derive(Serialize, JsonSchema)]
pub struct DifferenceShown {
    /// The report's part: `breaches`, `notes`, `nights`, `totals`, ..., or `signature` or
    /// `pages` for the file itself.
    section: String,
    /// Which record of a list, by its id (an episode's, a note's, a revision's number, a
    /// night's start); none for a part as a whole.
    record: Option<String>,
    /// What kind of difference.
    change: Change,
    /// The difference in words (English), as `sargs report verify` prints it.
    what: String,
}

/// The verdict on a stored summary.
#[derive(Serialize, JsonSchema)]
pub struct SummaryCheck {
    /// The summary checked.
    summary_id: i64,
    /// True when the signature holds by the service's key now, the pages are the JSON's, and
    /// the stored data give the same report.
    passes: bool,
    /// The signature, by the service's key now.
    signature: SignatureState,
    /// Whether the pages are what the file's JSON and signature give, byte for byte.
    pages_match_json: bool,
    /// The digest the file carries.
    file_digest: String,
    /// The digest of the report the stored data give now.
    stored_digest: Option<String>,
    /// Everything that differs or fails; empty when it passes.
    differences: Vec<DifferenceShown>,
}

fn shown(d: report::Difference) -> DifferenceShown {
    DifferenceShown {
        section: d.section,
        record: d.record,
        change: d.change,
        what: d.what,
    }
}

pub async fn check(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let (issued, pdf) = readable(&state, &caller, id).await?;
    let public = state.signing.public_key_pem().map_err(internal)?;
    let verdict = report::verify(
        &state.telemetry,
        &state.cases,
        &pdf,
        Some(report::seal::Trust::PublicKey(&public)),
    )
    .await
    .map_err(answer)?;
    let signature = match verdict.signature {
        SignatureCheck::Holds { .. } => SignatureState::Holds,
        SignatureCheck::Unsigned => SignatureState::Unsigned,
        SignatureCheck::Fails { .. } | SignatureCheck::NotChecked => SignatureState::Fails,
    };
    let checked = SummaryCheck {
        summary_id: id,
        passes: verdict.identical,
        signature,
        pages_match_json: verdict.pages_match_json.unwrap_or(false),
        file_digest: verdict.file_digest,
        stored_digest: verdict.stored_digest,
        differences: verdict.differences.into_iter().map(shown).collect(),
    };
    let detail = format!(
        "order {}, sha256 {}: {}",
        issued.order_id,
        issued.digest,
        if checked.passes {
            "the same".to_string()
        } else {
            format!("{} differences", checked.differences.len())
        }
    );
    state
        .cases
        .record_read(&caller.actor, &format!("summary/{id}/check"), &detail)
        .await?;
    Ok(axum::Json(checked).into_response())
}
