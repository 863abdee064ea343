//! A probation client's state at a glance, for a caseload: in breach (an episode is open now),
//! compliant (judged now, with fresh data from every fitted device and nothing open), or
//! unknown (no order in force, no device fitted, or a device silent past its
//! communication-lost time). Worked out here from the judge's episodes and ingest's last-seen
//! times, so every screen that shows it agrees.

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use cases::{OrderFilter, OrderStatus};
use ingest::store::DeviceKind;
use judge::records::EpisodeState;
use rules::Timestamp;
use serde::Serialize;

use crate::access;
use crate::error::PathParam;
use crate::gate::{Answer, Caller};
use crate::{ApiError, ApiState};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Glance {
    Compliant,
    Breach,
    Unknown,
}

/// Why a client's state is unknown.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unknown {
    NoOrderInForce,
    NoDeviceFitted,
    DeviceSilent,
}

pub async fn client_state(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    access::client_by_id(&state, &caller.actor, id).await?;
    let now = chrono::Utc::now().timestamp_millis();
    let filter = OrderFilter {
        client_id: Some(id),
        status: Some(OrderStatus::Active),
        ..OrderFilter::default()
    };
    let order = state
        .cases
        .orders(&filter, 0, 500)
        .await?
        .into_iter()
        .find(|o| o.terms.starts.0 <= now && now < o.terms.ends.0);
    let open: Vec<_> = judge::records::episodes(&state.store, id, now, now + 1)
        .await
        .map_err(|error| {
            tracing::error!(%error, client_id = id, "reading episodes");
            ApiError::Internal
        })?
        .into_iter()
        .filter(|e| e.state == EpisodeState::Open)
        .collect();
    let mut devices = Vec::new();
    let mut silent = false;
    if let Some(order) = &order {
        let health = &order.terms.health;
        for fitted in state.cases.assignments(order.id).await? {
            if fitted.removed.is_some() {
                continue;
            }
            let seen = state.store.device(fitted.device_id).await?;
            let last_seen = seen.as_ref().and_then(|d| d.last_seen_ms);
            let patience = match seen.map(|d| d.kind) {
                Some(DeviceKind::HomeUnit) => health.comm_lost_home_unit.0,
                _ => health.comm_lost_tag.0,
            };
            silent |= last_seen.is_none_or(|t| now - t > patience);
            devices.push(serde_json::json!({
                "device_id": fitted.device_id,
                "last_seen": last_seen.map(Timestamp),
            }));
        }
    }
    let (glance, unknown) = match (&order, open.is_empty()) {
        (_, false) => (Glance::Breach, None),
        (None, true) => (Glance::Unknown, Some(Unknown::NoOrderInForce)),
        (Some(_), true) if devices.is_empty() => (Glance::Unknown, Some(Unknown::NoDeviceFitted)),
        (Some(_), true) if silent => (Glance::Unknown, Some(Unknown::DeviceSilent)),
        (Some(_), true) => (Glance::Compliant, None),
    };
    state
        .cases
        .record_read(&caller.actor, &format!("client/{id}/state"), "")
        .await?;
    Ok(Json(serde_json::json!({
        "client_id": id,
        "state": glance,
        "unknown_because": unknown,
        "order_id": order.map(|o| o.id),
        "open_episodes": open,
        "devices": devices,
    }))
    .into_response())
}
