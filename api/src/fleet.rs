//! The fleet map's rows (GET /fleet): a page of the probation clients in the caller's care,
//! each with their state at a glance and the last fix of their fitted devices, in one request,
//! so that the fleet map of a caseload of hundreds, or of the whole service, is a handful of
//! requests and not two for every client.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use firmware_proto::FrameType;
use rules::Timestamp;
use rules::schedule::TimeZone;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::{self, Scope};
use crate::error::Query;
use crate::gate::{Answer, Caller};
use crate::glance::{Glance, glances_of};
use crate::people::{check_limit, default_limit, ids};
use crate::{ApiError, ApiState};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetQuery {
    /// The last client id of the previous page (0 for the first).
    #[serde(default)]
    after: i64,
    /// At most this many clients (1 to 500).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 500))]
    limit: i64,
}

/// A position fix as the device reported it.
#[derive(Serialize, JsonSchema, Debug, PartialEq)]
pub struct Fix {
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
    /// When it was taken, by the device's clock.
    time: Timestamp,
}

/// One client on the fleet map.
#[derive(Serialize, JsonSchema)]
pub struct FleetRow {
    client_id: i64,
    given_name: String,
    family_name: String,
    /// Their state at a glance, as GET /clients/{id}/state has it.
    state: Glance,
    /// The order in force now, if any, and its time zone.
    order_id: Option<i64>,
    time_zone: Option<TimeZone>,
    /// The newest fix of their fitted devices, if any was ever heard.
    last_fix: Option<Fix>,
}

/// The fix in a location frame's stored fields; none if they hold no position.
fn fix_of(time_ms: i64, fields: &str) -> Option<Fix> {
    let v: serde_json::Value = serde_json::from_str(fields).ok()?;
    Some(Fix {
        lat: v.get("lat")?.as_f64()?,
        lon: v.get("lon")?.as_f64()?,
        accuracy_m: v.get("accuracy_m").and_then(serde_json::Value::as_f64),
        time: Timestamp(time_ms),
    })
}

pub async fn fleet(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<FleetQuery>,
) -> Answer {
    check_limit(q.limit)?;
    if q.after < 0 {
        return Err(ApiError::invalid("after", "must be 0 or a client id"));
    }
    let (officer, unit) = match access::scope(&caller.actor) {
        Scope::All => (None, None),
        Scope::Officer(me) => (Some(me), None),
        Scope::Unit(unit) => (None, Some(unit)),
        Scope::Nobody => return Err(ApiError::Forbidden),
    };
    let filter = cases::ClientFilter {
        officer_id: officer,
        unit_id: unit,
        q: None,
    };
    let clients = state.cases.clients(&filter, q.after, q.limit).await?;
    let client_ids: Vec<i64> = clients.iter().map(|c| c.id).collect();
    let glances = glances_of(&state, &client_ids, state.store.now().0).await?;
    let devices: Vec<u64> = glances
        .iter()
        .flat_map(|(g, _)| g.devices.iter().map(|d| d.device_id))
        .collect();
    let mut fixes: HashMap<u64, Fix> = HashMap::new();
    for (device, at, fields) in state
        .telemetry
        .latest_fields_of(&devices, FrameType::Location.to_u8())
        .await?
    {
        if let Some(fix) = fix_of(at, &fields) {
            fixes.insert(device, fix);
        }
    }
    let mut rows = Vec::with_capacity(clients.len());
    for (client, (glance, time_zone)) in clients.iter().zip(glances) {
        // The newest of their fitted devices' fixes.
        let last_fix = glance
            .devices
            .iter()
            .filter_map(|d| fixes.remove(&d.device_id))
            .max_by_key(|f| f.time.0);
        rows.push(FleetRow {
            client_id: client.id,
            given_name: client.given_name.clone(),
            family_name: client.family_name.clone(),
            state: glance.state,
            order_id: glance.order_id,
            time_zone,
            last_fix,
        });
    }
    state
        .cases
        .record_read(&caller.actor, "fleet", &ids(client_ids.into_iter()))
        .await?;
    Ok(Json(rows).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fix_is_read_from_a_location_frame_s_fields_and_nothing_else() {
        let fix = fix_of(
            7,
            r#"{"lat":56.95,"lon":24.1,"accuracy_m":10,"source":"gnss"}"#,
        );
        assert_eq!(
            fix,
            Some(Fix {
                lat: 56.95,
                lon: 24.1,
                accuracy_m: Some(10.0),
                time: Timestamp(7)
            })
        );
        assert_eq!(fix_of(7, r#"{"lat":56.95}"#), None);
        assert_eq!(fix_of(7, "not json"), None);
        assert_eq!(fix_of(7, "{}"), None);
    }
}
