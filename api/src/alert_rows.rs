//! Alerts as people read them: each with its probation client's name and the time zone of the
//! order it is under. The queue, an alert's page and the live feed name the client and show
//! times in the order's zone; without these, the console loaded every client and order of the
//! service to find them, which at an agency's scale (10 000 clients) was most of a second on
//! every visit to the queue. Two statements for a page of alerts, whatever its size.

use std::collections::HashMap;

use alerts::records::Alert;
use rules::schedule::TimeZone;
use schemars::JsonSchema;
use serde::Serialize;

use crate::{ApiError, ApiState};

/// A probation client's name, as an alert shows it.
#[derive(Clone, Serialize, JsonSchema)]
pub struct ClientName {
    given_name: String,
    family_name: String,
}

/// An alert with its client's name and its order's time zone.
#[derive(Serialize, JsonSchema)]
pub struct NamedAlert {
    #[serde(flatten)]
    pub alert: Alert,
    /// The probation client the alert is about (none if their record is gone).
    client: Option<ClientName>,
    /// The time zone of the order, in which its times are shown (none if the order is gone).
    time_zone: Option<TimeZone>,
}

/// `alerts` with their clients' names and orders' time zones, in the same order. The caller has
/// checked already that each is in the care of whoever will see it.
pub async fn named(state: &ApiState, alerts: Vec<Alert>) -> Result<Vec<NamedAlert>, ApiError> {
    let mut client_ids: Vec<i64> = alerts.iter().map(|a| a.client_id).collect();
    let mut order_ids: Vec<i64> = alerts.iter().map(|a| a.order_id).collect();
    for ids in [&mut client_ids, &mut order_ids] {
        ids.sort_unstable();
        ids.dedup();
    }
    let names: HashMap<i64, ClientName> = state
        .cases
        .clients_by_ids(&client_ids)
        .await?
        .into_iter()
        .map(|c| {
            let name = ClientName {
                given_name: c.given_name,
                family_name: c.family_name,
            };
            (c.id, name)
        })
        .collect();
    let zones: HashMap<i64, TimeZone> = state
        .cases
        .orders_by_ids(&order_ids)
        .await?
        .into_iter()
        .map(|o| (o.id, o.terms.time_zone))
        .collect();
    Ok(alerts
        .into_iter()
        .map(|alert| NamedAlert {
            client: names.get(&alert.client_id).cloned(),
            time_zone: zones.get(&alert.order_id).copied(),
            alert,
        })
        .collect())
}

/// One alert with its client's name and its order's time zone.
pub async fn named_one(state: &ApiState, alert: Alert) -> Result<NamedAlert, ApiError> {
    let mut one = named(state, vec![alert]).await?;
    one.pop().ok_or(ApiError::Internal)
}
