//! Alerts over HTTP: the queue (filtered, in the caller's care), one alert with its episodes,
//! evidence, history and deliveries, the people's transitions (taking one too) and each
//! user's channels. The live feed is `alert_feed`'s; the deliveries shown, `deliveries`'.

use std::sync::Arc;
use std::time::Duration;

use alerts::actions::Request;
use alerts::lifecycle::{AlertState, Resolution, TransitionError};
use alerts::notify::Contact;
use alerts::records::{self, Alert, AlertEvent, AlertFilter, Cursor, Order};
use alerts::{Alerts, AlertsError};
use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use cases::Actor;
use rules::{BreachKind, KindClass, Severity, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::access::{self, Scope};
use crate::alert_rows::{NamedAlert, named, named_one};
use crate::error::{Body, PathParam, Query};
use crate::gate::{Answer, Caller};
use crate::{ApiError, ApiState};

impl From<AlertsError> for ApiError {
    fn from(error: AlertsError) -> ApiError {
        match error {
            AlertsError::NotFound(id) => ApiError::NotFound(format!("alert {id}")),
            // Matched whole, so that a new refusal is sorted into one or the other here.
            AlertsError::Transition(refused) => match refused {
                TransitionError::NoteRequired => ApiError::invalid("note", "a note is required"),
                // The alert's state refuses it (already so, resolved, at the top level): the
                // same request may be right once the state changes.
                TransitionError::AlreadyIn(_)
                | TransitionError::Resolved
                | TransitionError::TopLevel => ApiError::conflict("state", refused.to_string()),
                // Who has it: the console asks before taking it over.
                TransitionError::TakenBy(_)
                | TransitionError::AlreadyYours
                | TransitionError::NotTaken => ApiError::conflict("assignee", refused.to_string()),
            },
            AlertsError::Invalid(reason) => match reason.split_once(": ") {
                Some((field, why)) => ApiError::invalid(field, why),
                None => ApiError::invalid("body", reason),
            },
            AlertsError::Fields(fields) => ApiError::Invalid(fields),
            AlertsError::Cases(e) => e.into(),
            // The database: a 503 while the storage does not answer, not a 500.
            AlertsError::Store(e) => e.into(),
            AlertsError::Sql(e) => store::StoreError::Sql(e).into(),
            AlertsError::Judge(e) => e.into(),
            other => {
                tracing::error!(error = %other, "alerts");
                ApiError::Internal
            }
        }
    }
}

pub(crate) fn running(state: &ApiState) -> Result<&Arc<Alerts>, ApiError> {
    state.alerts.as_ref().ok_or_else(|| {
        tracing::error!("alerts are not running");
        ApiError::Internal
    })
}

/// The clients whose alerts the caller may see: None for all.
pub(crate) async fn reach(state: &ApiState, actor: &Actor) -> Result<Option<Vec<i64>>, ApiError> {
    let (officer, unit) = match access::scope(actor) {
        Scope::All => return Ok(None),
        Scope::Officer(me) => (Some(me), None),
        Scope::Unit(unit) => (None, Some(unit)),
        Scope::Nobody => return Ok(Some(Vec::new())),
    };
    Ok(Some(client_ids(state, officer, unit).await?))
}

/// The ids of every client of an officer's caseload or a unit (and its departments), page by
/// page.
async fn client_ids(
    state: &ApiState,
    officer: Option<i64>,
    unit: Option<i64>,
) -> Result<Vec<i64>, ApiError> {
    let mut ids = Vec::new();
    let mut after = 0;
    loop {
        let filter = cases::ClientFilter {
            officer_id: officer,
            unit_id: unit,
            q: None,
        };
        let page = state.cases.clients(&filter, after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        ids.extend(page.iter().map(|c| c.id));
    }
    Ok(ids)
}

/// The alert, if its client is in the caller's care.
pub(crate) async fn alert_by_id(
    state: &ApiState,
    actor: &Actor,
    id: i64,
) -> Result<Alert, ApiError> {
    let alert = records::alert(&state.store, id).await?;
    access::client_by_id(state, actor, alert.client_id).await?;
    Ok(alert)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// Only alerts in this state.
    state: Option<AlertState>,
    /// Only alerts not resolved yet (open or acknowledged).
    #[serde(default)]
    unresolved: bool,
    /// Only alerts of this severity.
    severity: Option<Severity>,
    /// Only this client's alerts.
    client_id: Option<i64>,
    /// Only alerts raised for this officer's caseload.
    officer_id: Option<i64>,
    /// Only the alerts of this unit's clients (and its departments').
    unit_id: Option<i64>,
    /// Only alerts of this kind.
    kind: Option<BreachKind>,
    /// Only alerts of this class of kinds: breach, warning or device_fault.
    class: Option<KindClass>,
    /// Only alerts this user has taken.
    assignee_id: Option<i64>,
    /// Raised at or after this instant.
    from: Option<Timestamp>,
    /// Raised before this instant.
    to: Option<Timestamp>,
    /// The order: `newest` (the default: newest first, paged with `before`) or `severity`
    /// (critical first, then the oldest raised; paged with `cursor`).
    #[serde(default)]
    sort: Sort,
    /// Paging, newest first: ids below this (the last id of the previous page).
    before: Option<i64>,
    /// Paging by severity: the `Sargs-Next-Cursor` header of the previous page.
    cursor: Option<String>,
    /// At most this many (1 to 500).
    #[serde(default = "crate::people::default_limit")]
    #[schemars(range(min = 1, max = 500))]
    limit: i64,
}

/// The queue's orders.
#[derive(Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Newest first.
    #[default]
    Newest,
    /// Most urgent first: severity (critical first), then the oldest raised.
    Severity,
}

/// The header that carries the next page's cursor of a list by severity.
pub const NEXT_CURSOR: &str = "sargs-next-cursor";

pub async fn list_alerts(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<AlertQuery>,
) -> Answer {
    crate::people::check_limit(q.limit)?;
    let order = match (q.sort, q.before, &q.cursor) {
        (Sort::Newest, before, None) => Order::Newest { before },
        (Sort::Severity, None, cursor) => Order::Urgent {
            after: cursor.as_deref().map(Cursor::parse).transpose()?,
        },
        (Sort::Newest, _, Some(_)) => {
            return Err(ApiError::invalid("cursor", "only with sort=severity"));
        }
        (Sort::Severity, Some(_), _) => {
            return Err(ApiError::invalid("before", "only with sort=newest"));
        }
    };
    if q.unresolved && q.state == Some(AlertState::Resolved) {
        return Err(ApiError::invalid("unresolved", "not with state=resolved"));
    }
    let kinds = match (q.kind, q.class) {
        (Some(kind), Some(class)) if kind.class() != class => {
            return Err(ApiError::invalid("kind", "not of the class asked for"));
        }
        (Some(kind), _) => Some(vec![kind]),
        (None, Some(class)) => Some(alerts::queue::kinds_of(class)),
        (None, None) => None,
    };
    let mut clients = reach(&state, &caller.actor).await?;
    let narrow = |clients: Option<Vec<i64>>, only: Vec<i64>| match clients {
        None => Some(only),
        Some(mine) => Some(mine.into_iter().filter(|c| only.contains(c)).collect()),
    };
    if let Some(client) = q.client_id {
        clients = narrow(clients, vec![client]);
    }
    if let Some(unit) = q.unit_id {
        clients = narrow(clients, client_ids(&state, None, Some(unit)).await?);
    }
    let filter = AlertFilter {
        state: q.state,
        unresolved: q.unresolved,
        severity: q.severity,
        client_ids: clients,
        officer_id: q.officer_id,
        assignee_id: q.assignee_id,
        kinds,
        from_ms: q.from.map(|t| t.0),
        to_ms: q.to.map(|t| t.0),
    };
    let limit = q.limit as u32;
    let found = records::page(&state.store, &filter, order, limit).await?;
    let ids: Vec<String> = found.iter().map(|a| a.id.to_string()).collect();
    state
        .cases
        .record_read(&caller.actor, "alerts", &ids.join(","))
        .await?;
    let last = found.last().map(Cursor::after);
    let full = found.len() == limit as usize;
    let mut response = Json(named(&state, found).await?).into_response();
    // A full page by severity says where the next starts; a short one is the last.
    if let (Order::Urgent { .. }, Some(last)) = (order, last)
        && full
    {
        let cursor = last.to_string();
        if let Ok(value) = axum::http::HeaderValue::from_str(&cursor) {
            response.headers_mut().insert(NEXT_CURSOR, value);
        }
    }
    Ok(response)
}

/// One alert with its episodes (and their evidence), history and deliveries.
/// An alert with everything behind it.
#[derive(Serialize, JsonSchema)]
pub struct AlertDetail {
    alert: NamedAlert,
    /// The breach episodes that carried it, with their evidence.
    episodes: Vec<judge::records::StoredEpisode>,
    /// Its history, oldest first.
    events: Vec<AlertEvent>,
    /// The notifications sent about it and how their delivery went (as in its deliveries).
    deliveries: Vec<crate::deliveries::DeliveryShown>,
}

/// An alert after a person acted on it, and the event that recorded the act.
#[derive(Serialize, JsonSchema)]
pub struct AlertActed {
    alert: NamedAlert,
    event: AlertEvent,
}

pub async fn get_alert(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let alert = alert_by_id(&state, &caller.actor, id).await?;
    let mut episodes = Vec::new();
    for episode in records::episodes_of(&state.store, id).await? {
        if let Some(e) = judge::records::episode(state.store.pool(), alert.client_id, episode)
            .await
            .map_err(AlertsError::from)?
        {
            episodes.push(e);
        }
    }
    let events = records::events(&state.store, id).await?;
    let deliveries = crate::deliveries::of_alert(&state, id).await?;
    state
        .cases
        .record_read(&caller.actor, &format!("alert/{id}"), "")
        .await?;
    Ok(Json(AlertDetail {
        alert: named_one(&state, alert).await?,
        episodes,
        events,
        deliveries,
    })
    .into_response())
}

/// A note with a transition (optional when acknowledging).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertNote {
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertResolution {
    pub resolution: Resolution,
    pub note: String,
}

async fn act(state: &ApiState, caller: &Caller, id: i64, request: Request, note: &str) -> Answer {
    let alerts = running(state)?;
    let (alert, event) = alerts.act(&caller.actor, id, request, note).await?;
    let alert = named_one(state, alert).await?;
    Ok(Json(AlertActed { alert, event }).into_response())
}

pub async fn acknowledge(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    body: Result<Body<AlertNote>, ApiError>,
) -> Answer {
    alert_by_id(&state, &caller.actor, id).await?;
    let Body(b) = body?;
    act(&state, &caller, id, Request::Acknowledge, &b.note).await
}

pub async fn resolve(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    body: Result<Body<AlertResolution>, ApiError>,
) -> Answer {
    alert_by_id(&state, &caller.actor, id).await?;
    let Body(b) = body?;
    act(&state, &caller, id, Request::Resolve(b.resolution), &b.note).await
}

/// Escalates by hand: one level up, with a note saying why.
pub async fn escalate(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    body: Result<Body<AlertNote>, ApiError>,
) -> Answer {
    alert_by_id(&state, &caller.actor, id).await?;
    let Body(b) = body?;
    act(&state, &caller, id, Request::Escalate, &b.note).await
}

pub async fn add_note(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    body: Result<Body<AlertNote>, ApiError>,
) -> Answer {
    alert_by_id(&state, &caller.actor, id).await?;
    let Body(b) = body?;
    act(&state, &caller, id, Request::Note, &b.note).await
}

/// Taking an alert: with `over`, from whoever has taken it (the console asks first).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertTake {
    /// Take it over from somebody who has taken it; without it, that is a 409.
    #[serde(default)]
    pub over: bool,
    #[serde(default)]
    pub note: String,
}

/// Takes an alert: the caller's to handle, shown to everyone (by display name) and recorded.
pub async fn take(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    body: Result<Body<AlertTake>, ApiError>,
) -> Answer {
    alert_by_id(&state, &caller.actor, id).await?;
    let Body(b) = body?;
    act(&state, &caller, id, Request::Take { over: b.over }, &b.note).await
}

/// Lets an alert go, whoever had taken it; recorded.
pub async fn release(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    alert_by_id(&state, &caller.actor, id).await?;
    act(&state, &caller, id, Request::Release, "").await
}

async fn contacts_of(state: &ApiState, id: i64) -> Answer {
    state.cases.user(id).await?;
    let found = alerts::notify::contacts(state.store.pool(), id).await?;
    Ok(Json(found).into_response())
}

/// Asks the alert's tag for a fix now (LOCATE_NOW), and records that on the alert.
pub async fn locate(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let alert = alert_by_id(&state, &caller.actor, id).await?;
    let Some(device) = alerts::notify::alert_device(state.store.pool(), &alert).await? else {
        return Err(ApiError::conflict(
            "alert",
            "no tag is fitted under its order",
        ));
    };
    let downlink = state.downlink.as_ref().ok_or_else(|| {
        tracing::error!("no downlink to devices");
        ApiError::Internal
    })?;
    let sent = tokio::time::timeout(
        Duration::from_secs(10),
        downlink.send(device, ingest::DownlinkCommand::LocateNow),
    )
    .await
    .map_err(|_| ApiError::invalid("device", "the command could not be queued in time"))?
    .map_err(|e| ApiError::invalid("device", e.to_string()))?;
    tracing::info!(device_id = device, seq = sent.seq, via = %sent.via, alert_id = id, "location requested");
    // The note is the tag's number alone: a console words it in its user's language.
    act(
        &state,
        &caller,
        id,
        Request::LocateRequested,
        &device.to_string(),
    )
    .await
}

/// A user's channels (the route is an administrator's).
pub async fn get_contacts(State(state): State<ApiState>, PathParam(id): PathParam<i64>) -> Answer {
    contacts_of(&state, id).await
}

pub async fn get_own_contacts(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
) -> Answer {
    contacts_of(&state, me(&caller)?).await
}

fn me(caller: &Caller) -> Result<i64, ApiError> {
    caller.actor.user_id.ok_or(ApiError::Forbidden)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    pub contacts: Vec<Contact>,
}

async fn put_contacts(state: &ApiState, actor: &Actor, id: i64, body: Contacts) -> Answer {
    state.cases.user(id).await?;
    if body.contacts.len() > 8 {
        return Err(ApiError::invalid("contacts", "at most 8"));
    }
    running(state)?
        .set_contacts(actor, id, &body.contacts)
        .await?;
    contacts_of(state, id).await
}

pub async fn set_contacts(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    Body(body): Body<Contacts>,
) -> Answer {
    put_contacts(&state, &caller.actor, id, body).await
}

pub async fn set_own_contacts(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(body): Body<Contacts>,
) -> Answer {
    put_contacts(&state, &caller.actor, me(&caller)?, body).await
}
