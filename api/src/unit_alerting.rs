//! A unit's alert settings: the channels its people are reached on, who besides its
//! supervisors hears of an escalated alert, and how long an alert waits before it escalates
//! (alerts::units). An administrator's.

use alerts::units::UnitAlerting;
use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};

use crate::alerts::running;
use crate::error::{Body, PathParam};
use crate::gate::{Answer, Caller};
use crate::{ApiError, ApiState};

/// That the unit exists: a 404 otherwise.
async fn unit(state: &ApiState, id: i64) -> Result<(), ApiError> {
    if state.cases.units().await?.iter().any(|u| u.id == id) {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!("unit {id}")))
    }
}

pub async fn get_settings(State(state): State<ApiState>, PathParam(id): PathParam<i64>) -> Answer {
    unit(&state, id).await?;
    Ok(Json(running(&state)?.unit_settings(id).await?).into_response())
}

pub async fn set_settings(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    body: Result<Body<UnitAlerting>, ApiError>,
) -> Answer {
    unit(&state, id).await?;
    let Body(settings) = body?;
    let alerts = running(&state)?;
    alerts
        .set_unit_settings(&caller.actor, id, &settings)
        .await?;
    Ok(Json(alerts.unit_settings(id).await?).into_response())
}
