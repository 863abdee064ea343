//! The open alerts in the caller's care over a period: how many stood unresolved at each of a
//! number of instants, and of those how many were high or critical. For the supervisor's plot
//! of the night's load; the counting is the alerts crate's (`alerts::over_time`).

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use rules::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Query;
use crate::gate::{Answer, Caller};
use crate::{ApiError, ApiState};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadQuery {
    /// From this instant.
    from: Timestamp,
    /// To this instant (at most 92 days after `from`).
    to: Timestamp,
    /// At how many instants, evenly from `from` to `to` (2 to 500; default 97: every 15
    /// minutes over a day).
    #[serde(default = "default_points")]
    #[schemars(range(min = 2, max = 500))]
    points: u32,
}

fn default_points() -> u32 {
    97
}

/// The unresolved alerts at one instant.
#[derive(Serialize, JsonSchema)]
pub struct OpenAt {
    at: Timestamp,
    /// Raised by then and not resolved by then (acknowledged ones count).
    open: u64,
    /// Of those, the high and critical.
    urgent: u64,
}

/// How many alerts in the caller's care stood unresolved at each instant.
pub async fn open_over_time(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<LoadQuery>,
) -> Answer {
    crate::device_tools::check_period(q.from, q.to)?;
    if !(2..=500).contains(&q.points) {
        return Err(ApiError::invalid("points", "must be 2 to 500"));
    }
    let clients = crate::alerts::reach(&state, &caller.actor).await?;
    let found = alerts::over_time::open_over_time(
        &state.store,
        clients.as_deref(),
        q.from.0,
        q.to.0,
        q.points,
    )
    .await?;
    Ok(Json(
        found
            .into_iter()
            .map(|o| OpenAt {
                at: Timestamp(o.at_ms),
                open: o.open,
                urgent: o.urgent,
            })
            .collect::<Vec<_>>(),
    )
    .into_response())
}
