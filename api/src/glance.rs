//! A probation client's state at a glance, for a caseload: in breach (a breach episode is open
//! now), compliant (judged now, with fresh data from every fitted device, no breach and no device
//! fault open), or unknown (no order in force, no device fitted, or a device fault: a device
//! silent past its communication-lost time, a flat battery, a wrong clock...). A device fault
//! never makes the state a breach: while a tag is silent nobody knows what its wearer does, and
//! the court summary counts those hours as no data too. Beside the state: the open breaches,
//! warnings and device faults, and the client's alerts nobody has resolved yet, so that a caseload
//! never shows "compliant" alone while an alert waits. And the order's conditions the devices
//! fitted cannot evidence (a GPS tracker has no strap sensor): unknown, never shown as fine,
//! whatever the state of the rest. Worked out here from the judge's episodes, ingest's
//! last-seen times and kinds, and the alerts, so every screen that shows it agrees.

use std::collections::HashMap;

use alerts::lifecycle::AlertState;
use alerts::records::AlertFilter;
use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use cases::kinds::NotEvidenced;
use cases::{Assignment, Client, Order, OrderStatus};
use firmware_proto::DeviceKind;
use ingest::store::DeviceRecord;
use judge::records::{EpisodeState, StoredEpisode};
use rules::schedule::TimeZone;
use rules::{BreachKind, KindClass, Timestamp};
use schemars::JsonSchema;
use serde::Serialize;

use crate::access;
use crate::error::{PathParam, Query};
use crate::gate::{Answer, Caller};
use crate::people::{self, ClientQuery};
use crate::{ApiError, ApiState};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Glance {
    Compliant,
    Breach,
    Unknown,
}

/// Why a client's state is unknown: nothing to judge by, or a device fault (named by its kind,
/// as the episodes name it).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Unknown {
    Setup(Setup),
    Fault(BreachKind),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Setup {
    NoOrderInForce,
    NoDeviceFitted,
}

/// An alert nobody has resolved yet, as a caseload lists it beside the state.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct OpenAlert {
    id: i64,
    kind: BreachKind,
    severity: rules::Severity,
    state: AlertState,
    raised: Timestamp,
}

/// A device fitted now, its kind, and when it was last heard.
#[derive(Serialize, JsonSchema)]
pub struct FittedDevice {
    pub(crate) device_id: u64,
    /// None only for a device the frame path has no record of.
    kind: Option<DeviceKind>,
    last_seen: Option<Timestamp>,
}

/// A probation client's state at a glance, with what it rests on.
#[derive(Serialize, JsonSchema)]
pub struct ClientGlance {
    client_id: i64,
    pub(crate) state: Glance,
    /// Why the state is unknown, when it is.
    unknown_because: Option<Unknown>,
    /// The order in force now, if any.
    pub(crate) order_id: Option<i64>,
    open_breaches: Vec<StoredEpisode>,
    open_warnings: Vec<StoredEpisode>,
    open_device_faults: Vec<StoredEpisode>,
    /// Alerts nobody has resolved yet, oldest first.
    open_alerts: Vec<OpenAlert>,
    pub(crate) devices: Vec<FittedDevice>,
    /// The order's conditions none of the devices fitted now can evidence (a GPS tracker: the
    /// strap, skin contact and case), with the kinds that cannot: their state is unknown,
    /// whatever the state above says of the rest.
    not_evidenced: Vec<NotEvidenced>,
}

/// The state from what is open now. Breaches decide first; then what is missing to judge by;
/// then device faults, the silence of a fitted device first (it hides everything else).
fn glance(
    in_force: bool,
    fitted: usize,
    silent: bool,
    breaches: &[StoredEpisode],
    faults: &[StoredEpisode],
) -> (Glance, Option<Unknown>) {
    let lost = silent
        || faults
            .iter()
            .any(|e| e.kind == BreachKind::CommunicationLost);
    let worst_fault = faults.iter().max_by_key(|e| e.severity).map(|e| e.kind);
    if !breaches.is_empty() {
        (Glance::Breach, None)
    } else if !in_force {
        (Glance::Unknown, Some(Unknown::Setup(Setup::NoOrderInForce)))
    } else if fitted == 0 {
        (Glance::Unknown, Some(Unknown::Setup(Setup::NoDeviceFitted)))
    } else if lost {
        (
            Glance::Unknown,
            Some(Unknown::Fault(BreachKind::CommunicationLost)),
        )
    } else if let Some(kind) = worst_fault {
        (Glance::Unknown, Some(Unknown::Fault(kind)))
    } else {
        (Glance::Compliant, None)
    }
}

/// The alerts of any of `clients` that are open or acknowledged, by client, oldest first.
async fn open_alerts(
    state: &ApiState,
    clients: &[i64],
) -> Result<HashMap<i64, Vec<OpenAlert>>, ApiError> {
    let mut out: HashMap<i64, Vec<OpenAlert>> = HashMap::new();
    if clients.is_empty() {
        return Ok(out);
    }
    let filter = AlertFilter {
        unresolved: true,
        client_ids: Some(clients.to_vec()),
        ..AlertFilter::default()
    };
    let mut before = None;
    loop {
        let page = alerts::records::list(&state.store, &filter, before, 500)
            .await
            .inspect_err(|error| tracing::debug!(%error, "reading open alerts"))?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        for a in page {
            out.entry(a.client_id).or_default().push(OpenAlert {
                id: a.id,
                kind: a.kind,
                severity: a.severity,
                state: a.state,
                raised: a.raised,
            });
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|a| a.id);
    }
    Ok(out)
}

pub async fn client_state(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    access::client_by_id(&state, &caller.actor, id).await?;
    let (glance, _) = glance_of(&state, id, state.store.now().0).await?;
    state
        .cases
        .record_read(&caller.actor, &format!("client/{id}/state"), "")
        .await?;
    Ok(Json(glance).into_response())
}

/// A probation client of a caseload's page, with their state at a glance.
#[derive(Serialize, JsonSchema)]
pub struct CaseloadRow {
    client: Client,
    state: ClientGlance,
}

/// A page of the clients in the caller's care (by officer, unit, search, as `GET /clients`),
/// each with their state at a glance: one request for a caseload's page rather than one per
/// client.
pub async fn caseload(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ClientQuery>,
) -> Answer {
    let (after, limit) = q.page();
    people::check_limit(limit)?;
    let Some(filter) = people::clients_in_care(&state, &caller, &q).await? else {
        return Ok(Json(Vec::<()>::new()).into_response());
    };
    let clients = state.cases.clients(&filter, after, limit).await?;
    let ids: Vec<i64> = clients.iter().map(|c| c.id).collect();
    let glances = glances_of(&state, &ids, state.store.now().0).await?;
    let rows: Vec<CaseloadRow> = clients
        .into_iter()
        .zip(glances)
        .map(|(client, (glance, _))| CaseloadRow {
            client,
            state: glance,
        })
        .collect();
    let shown = people::ids(rows.iter().map(|r| r.client.id));
    state
        .cases
        .record_read(&caller.actor, "caseload", &shown)
        .await?;
    Ok(Json(rows).into_response())
}

/// A client's state at `now` (the caller's access checked already), with the time zone of the
/// order in force, if any.
pub(crate) async fn glance_of(
    state: &ApiState,
    id: i64,
    now: i64,
) -> Result<(ClientGlance, Option<TimeZone>), ApiError> {
    glances_of(state, &[id], now)
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("client {id}")))
}

/// The states of `clients` at `now` (the caller's access checked already), in the same order,
/// each with the time zone of the order in force: a few statements for a whole page, whatever
/// its size, as each owner crate answers for a set of ids.
pub(crate) async fn glances_of(
    state: &ApiState,
    clients: &[i64],
    now: i64,
) -> Result<Vec<(ClientGlance, Option<TimeZone>)>, ApiError> {
    let mut in_force: HashMap<i64, Order> = HashMap::new();
    for order in state
        .cases
        .orders_of_clients(clients, OrderStatus::Active)
        .await?
    {
        // The first in id order, as a client has one order in force at a time.
        if order.terms.starts.0 <= now && now < order.terms.ends.0 {
            in_force.entry(order.client_id).or_insert(order);
        }
    }
    let mut open: HashMap<i64, Vec<StoredEpisode>> = HashMap::new();
    for e in judge::records::episodes_of_clients(&state.store, clients, now, now + 1)
        .await
        .inspect_err(|error| tracing::debug!(%error, "reading episodes"))?
    {
        if e.state == EpisodeState::Open {
            open.entry(e.client_id).or_default().push(e);
        }
    }
    let orders: Vec<i64> = in_force.values().map(|o| o.id).collect();
    let fitted: Vec<Assignment> = state
        .cases
        .assignments_of_orders(&orders)
        .await?
        .into_iter()
        .filter(|a| a.removed.is_none())
        .collect();
    let ids: Vec<u64> = fitted.iter().map(|a| a.device_id).collect();
    let heard: HashMap<u64, DeviceRecord> = state
        .telemetry
        .devices_by_ids(&ids)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let mut alerts = open_alerts(state, clients).await?;
    let mut out = Vec::with_capacity(clients.len());
    for &id in clients {
        let order = in_force.remove(&id);
        let (mut breaches, mut warnings, mut faults) = (Vec::new(), Vec::new(), Vec::new());
        for e in open.remove(&id).unwrap_or_default() {
            match e.kind.class() {
                KindClass::Breach => breaches.push(e),
                KindClass::Warning => warnings.push(e),
                KindClass::DeviceFault => faults.push(e),
            }
        }
        let mut devices = Vec::new();
        let mut silent = false;
        let mut not_evidenced = Vec::new();
        if let Some(order) = &order {
            let health = &order.terms.health;
            for a in fitted.iter().filter(|a| a.order_id == order.id) {
                let seen = heard.get(&a.device_id);
                let last_seen = seen.and_then(|d| d.last_seen_ms);
                let kind = seen.map(|d| d.kind);
                let patience = match kind {
                    Some(DeviceKind::HomeUnit) => health.comm_lost_home_unit.0,
                    _ => health.comm_lost_tag.0,
                };
                silent |= last_seen.is_none_or(|t| now - t > patience);
                devices.push(FittedDevice {
                    device_id: a.device_id,
                    kind,
                    last_seen: last_seen.map(Timestamp),
                });
            }
            let kinds = devices.iter().filter_map(|d| d.kind);
            not_evidenced = cases::kinds::not_evidenced(order.terms.watches(), kinds);
        }
        let (glance, unknown) = glance(order.is_some(), devices.len(), silent, &breaches, &faults);
        let zone = order.as_ref().map(|o| o.terms.time_zone);
        out.push((
            ClientGlance {
                client_id: id,
                state: glance,
                unknown_because: unknown,
                order_id: order.map(|o| o.id),
                open_breaches: breaches,
                open_warnings: warnings,
                open_device_faults: faults,
                open_alerts: alerts.remove(&id).unwrap_or_default(),
                devices,
                not_evidenced,
            },
            zone,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rules::ConditionRef;

    fn open(kind: BreachKind) -> StoredEpisode {
        StoredEpisode {
            client_id: 1,
            episode_id: 1,
            order_id: 1,
            condition: ConditionRef::Device { device: 1001 },
            kind,
            severity: kind.severity(),
            start: Timestamp(0),
            end: None,
            state: EpisodeState::Open,
            policy_revision: 1,
            evidence: Vec::new(),
            updated: Timestamp(0),
        }
    }

    fn fault(kind: BreachKind) -> (Glance, Option<Unknown>) {
        (Glance::Unknown, Some(Unknown::Fault(kind)))
    }

    #[test]
    fn breaches_decide_then_what_is_missing_then_the_worst_fault() {
        use BreachKind::*;
        let strap = [open(StrapOpened)];
        let faults = [open(BatteryLow), open(BatteryCritical), open(ClockSkewed)];
        // A breach is a breach whatever else is open or missing.
        assert_eq!(
            glance(true, 1, true, &strap, &faults),
            (Glance::Breach, None)
        );
        assert_eq!(glance(false, 0, false, &strap, &[]), (Glance::Breach, None));
        // Nothing to judge by comes before a fault.
        assert_eq!(
            glance(false, 1, true, &[], &faults),
            (Glance::Unknown, Some(Unknown::Setup(Setup::NoOrderInForce)))
        );
        assert_eq!(
            glance(true, 0, false, &[], &faults),
            (Glance::Unknown, Some(Unknown::Setup(Setup::NoDeviceFitted)))
        );
        // Silence hides everything else, whether the episode is open yet or not.
        assert_eq!(
            glance(true, 1, true, &[], &faults),
            fault(CommunicationLost)
        );
        assert_eq!(
            glance(
                true,
                1,
                false,
                &[],
                &[open(BatteryLow), open(CommunicationLost)]
            ),
            fault(CommunicationLost)
        );
        // Otherwise the most severe fault; with none, compliant.
        assert_eq!(glance(true, 1, false, &[], &faults), fault(BatteryCritical));
        assert_eq!(
            glance(true, 1, false, &[], &[open(NotCharged)]),
            fault(NotCharged)
        );
        assert_eq!(glance(true, 1, false, &[], &[]), (Glance::Compliant, None));
    }

    #[test]
    fn the_reason_is_named_as_the_episodes_name_it() {
        let named = |u: Unknown| serde_json::to_value(u).expect("serialises");
        assert_eq!(
            named(Unknown::Fault(BreachKind::CommunicationLost)),
            "communication_lost"
        );
        assert_eq!(
            named(Unknown::Setup(Setup::NoDeviceFitted)),
            "no_device_fitted"
        );
    }
}
