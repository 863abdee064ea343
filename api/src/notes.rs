//! Officers' notes on a client and authorised absences from curfew.

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use cases::{NewAbsence, NewNote};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::access;
use crate::error::{Body, PathParam, Query};
use crate::gate::{Answer, Caller};
use crate::people::created;
use crate::{ApiError, ApiState};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OfClient {
    /// The probation client.
    client_id: i64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OfOrder {
    /// The order.
    order_id: i64,
}

pub async fn list_notes(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<OfClient>,
) -> Answer {
    access::client_by_id(&state, &caller.actor, q.client_id).await?;
    let notes = state.cases.notes(q.client_id).await?;
    state
        .cases
        .record_read(&caller.actor, &format!("client/{}/notes", q.client_id), "")
        .await?;
    Ok(Json(notes).into_response())
}

pub async fn create_note(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewNote>,
) -> Answer {
    match access::client_by_id(&state, &caller.actor, new.client_id).await {
        Err(ApiError::NotFound(_)) => {
            return Err(ApiError::invalid("client_id", "no such probation client"));
        }
        other => other?,
    };
    created(state.cases.add_note(&caller.actor, &new).await?)
}

pub async fn list_absences(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<OfOrder>,
) -> Answer {
    access::order_by_id(&state, &caller.actor, q.order_id).await?;
    let absences = state.cases.absences(q.order_id).await?;
    state
        .cases
        .record_read(&caller.actor, &format!("order/{}/absences", q.order_id), "")
        .await?;
    Ok(Json(absences).into_response())
}

pub async fn create_absence(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewAbsence>,
) -> Answer {
    match access::order_by_id(&state, &caller.actor, new.order_id).await {
        Err(ApiError::NotFound(_)) => {
            return Err(ApiError::invalid("order_id", "no such order"));
        }
        other => other?,
    };
    let absence = state.cases.add_absence(&caller.actor, &new).await?;
    created(absence)
}

/// Calls an absence off: kept on record, marked, and no longer excusing the client.
pub async fn cancel_absence(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let order = state.cases.absence_order(id).await?;
    access::order_by_id(&state, &caller.actor, order).await?;
    let absence = state.cases.cancel_absence(&caller.actor, id).await?;
    Ok(Json(absence).into_response())
}
