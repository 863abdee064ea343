//! Units, users, probation clients and victims.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use cases::{
    ClientChange, ClientFilter, NewClient, NewUnit, NewUser, NewVictim, Role, UnitChange,
    UserChange, VictimChange,
};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::access::{self, Scope};
use crate::error::{Body, PathParam, Query};
use crate::gate::{Answer, Caller};
use crate::{ApiError, ApiState};

/// A page of a list in id order.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// The last id of the previous page (0 for the first).
    #[serde(default)]
    pub after: i64,
    /// At most this many (1 to 500).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 500))]
    pub limit: i64,
}

pub fn default_limit() -> i64 {
    100
}

/// A page of 1 to 500 rows; any other size is refused, never clamped, so that a caller asking
/// for more is told so rather than silently given less.
pub fn check_limit(limit: i64) -> Result<(), ApiError> {
    if (1..=500).contains(&limit) {
        Ok(())
    } else {
        Err(ApiError::invalid("limit", "must be 1 to 500"))
    }
}

/// The ids a list showed, for the audit log.
pub fn ids(ids: impl Iterator<Item = i64>) -> String {
    let ids: Vec<String> = ids.map(|id| id.to_string()).collect();
    format!("ids {}", ids.join(","))
}

pub fn created(value: impl serde::Serialize) -> Answer {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

pub async fn list_units(State(state): State<ApiState>) -> Answer {
    Ok(Json(state.cases.units().await?).into_response())
}

pub async fn create_unit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewUnit>,
) -> Answer {
    created(state.cases.create_unit(&caller.actor, &new).await?)
}

pub async fn update_unit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    Body(change): Body<UnitChange>,
) -> Answer {
    Ok(Json(state.cases.update_unit(&caller.actor, id, &change).await?).into_response())
}

/// A page of users, found by name if asked.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// The last id of the previous page (0 for the first).
    #[serde(default)]
    after: i64,
    /// At most this many (1 to 500).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 500))]
    limit: i64,
    /// Only users whose user name or display name holds this (any case; 1 to 100 characters).
    q: Option<String>,
}

pub async fn list_users(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(page): Query<UserQuery>,
) -> Answer {
    crate::people::check_limit(page.limit)?;
    let search = page.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if search.is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::invalid("q", "must be at most 100 characters"));
    }
    let unit = match access::scope(&caller.actor) {
        Scope::Unit(unit) => Some(unit),
        _ => None,
    };
    let users = state
        .cases
        .users(unit, search, page.after, page.limit)
        .await?;
    state
        .cases
        .record_read(&caller.actor, "users", &ids(users.iter().map(|u| u.id)))
        .await?;
    Ok(Json(users).into_response())
}

pub async fn create_user(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewUser>,
) -> Answer {
    created(state.cases.create_user(&caller.actor, &new).await?)
}

pub async fn get_user(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let user = state.cases.user(id).await?;
    if let Scope::Unit(unit) = access::scope(&caller.actor)
        && !access::within(&state, user.unit_id, unit).await?
    {
        return Err(ApiError::Forbidden);
    }
    state
        .cases
        .record_read(&caller.actor, &format!("user/{id}"), "")
        .await?;
    Ok(Json(user).into_response())
}

pub async fn update_user(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    Body(change): Body<UserChange>,
) -> Answer {
    let user = state
        .cases
        .update_user(&caller.actor, id, &change, Some(caller.credential))
        .await?;
    Ok(Json(user).into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientQuery {
    /// The last id of the previous page (0 for the first).
    #[serde(default)]
    after: i64,
    /// At most this many (1 to 500).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 500))]
    limit: i64,
    /// Only this officer's caseload.
    officer_id: Option<i64>,
    /// Only this unit's clients (and its departments').
    unit_id: Option<i64>,
    /// Only clients whose name holds every word of this (any case, any order), or whose
    /// personal code or court case number holds it; at most 100 characters and 6 words.
    #[serde(default)]
    q: Option<String>,
}

impl ClientQuery {
    pub fn page(&self) -> (i64, i64) {
        (self.after, self.limit)
    }
}

/// Whom of the clients asked for the caller may list: the filter narrowed to their care, or
/// None when the unit asked for is outside it (nothing of it is theirs to list).
pub async fn clients_in_care(
    state: &ApiState,
    caller: &Caller,
    q: &ClientQuery,
) -> Result<Option<ClientFilter>, ApiError> {
    let (officer_id, unit_id) = match access::scope(&caller.actor) {
        Scope::All => (q.officer_id, q.unit_id),
        Scope::Officer(me) => (Some(me), q.unit_id),
        Scope::Unit(unit) => match q.unit_id {
            None => (q.officer_id, Some(unit)),
            Some(asked) if access::within(state, Some(asked), unit).await? => {
                (q.officer_id, Some(asked))
            }
            Some(_) => return Ok(None),
        },
        Scope::Nobody => return Err(ApiError::Forbidden),
    };
    Ok(Some(ClientFilter {
        officer_id,
        unit_id,
        q: q.q.clone(),
    }))
}

pub async fn list_clients(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ClientQuery>,
) -> Answer {
    crate::people::check_limit(q.limit)?;
    // The caller's scope narrows whatever filter they asked for.
    let Some(filter) = clients_in_care(&state, &caller, &q).await? else {
        return Ok(Json(Vec::<()>::new()).into_response());
    };
    let clients = state.cases.clients(&filter, q.after, q.limit).await?;
    state
        .cases
        .record_read(&caller.actor, "clients", &ids(clients.iter().map(|c| c.id)))
        .await?;
    Ok(Json(clients).into_response())
}

pub async fn create_client(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewClient>,
) -> Answer {
    // An officer registers clients into their own caseload; a supervisor into their unit.
    // Another's caseload is outside their care: a 403, as for any record there.
    match access::scope(&caller.actor) {
        Scope::Officer(me) if new.officer_id != me => return Err(ApiError::Forbidden),
        Scope::Unit(unit) => {
            let officer_unit = state
                .cases
                .user(new.officer_id)
                .await
                .ok()
                .and_then(|u| u.unit_id);
            if !access::within(&state, officer_unit, unit).await? {
                return Err(ApiError::Forbidden);
            }
        }
        _ => {}
    }
    created(state.cases.create_client(&caller.actor, &new).await?)
}

pub async fn get_client(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let client = access::client_by_id(&state, &caller.actor, id).await?;
    state
        .cases
        .record_read(&caller.actor, &format!("client/{id}"), "")
        .await?;
    Ok(Json(client).into_response())
}

pub async fn update_client(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    body: Result<Body<ClientChange>, ApiError>,
) -> Answer {
    // The row first: a stranger learns nothing from how their body was wrong.
    access::client_by_id(&state, &caller.actor, id).await?;
    let Body(change) = body?;
    // Handing a client over to another officer stays inside the caller's unit.
    if let Some(officer) = change.officer_id
        && !matches!(access::scope(&caller.actor), Scope::All)
    {
        // An officer hands over within their unit; a supervisor within theirs and its departments.
        let to = state.cases.user(officer).await.ok();
        let ok = match (&to, access::scope(&caller.actor), caller.actor.unit_id) {
            (Some(u), Scope::Unit(unit), _) => {
                u.role == Role::Officer && access::within(&state, u.unit_id, unit).await?
            }
            (Some(u), _, Some(mine)) => u.role == Role::Officer && u.unit_id == Some(mine),
            _ => false,
        };
        if !ok {
            return Err(ApiError::invalid(
                "officer_id",
                "must be an officer of your unit",
            ));
        }
    }
    let client = state
        .cases
        .update_client(&caller.actor, id, &change)
        .await?;
    Ok(Json(client).into_response())
}

pub async fn list_victims(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(page): Query<Page>,
) -> Answer {
    crate::people::check_limit(page.limit)?;
    let victims = state.cases.victims(page.after, page.limit).await?;
    state
        .cases
        .record_read(&caller.actor, "victims", &ids(victims.iter().map(|v| v.id)))
        .await?;
    Ok(Json(victims).into_response())
}

/// Registers a victim for a unit in the caller's care (by default their own): the registering
/// officer and the unit's supervisors may then name them in their clients' orders.
pub async fn create_victim(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(mut new): Body<NewVictim>,
) -> Answer {
    let in_care = match (access::scope(&caller.actor), new.unit_id) {
        (Scope::All, _) => true,
        (Scope::Officer(_), asked) => asked.is_none() || asked == caller.actor.unit_id,
        (Scope::Unit(unit), Some(asked)) => access::within(&state, Some(asked), unit).await?,
        (Scope::Unit(_), None) => true,
        (Scope::Nobody, _) => false,
    };
    // Like any record outside one's care.
    if !in_care {
        return Err(ApiError::Forbidden);
    }
    if !matches!(access::scope(&caller.actor), Scope::All) {
        new.unit_id = new.unit_id.or(caller.actor.unit_id);
    }
    created(state.cases.create_victim(&caller.actor, &new).await?)
}

pub async fn update_victim(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    body: Result<Body<VictimChange>, ApiError>,
) -> Answer {
    access::victim_by_id(&state, &caller.actor, id).await?;
    let Body(change) = body?;
    let victim = state
        .cases
        .update_victim(&caller.actor, id, &change)
        .await?;
    Ok(Json(victim).into_response())
}

pub async fn get_victim(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let victim = access::victim_by_id(&state, &caller.actor, id).await?;
    state
        .cases
        .record_read(&caller.actor, &format!("victim/{id}"), "")
        .await?;
    Ok(Json(victim).into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeRange {
    /// Episodes ending at or after this instant (or still open).
    from: rules::Timestamp,
    /// Episodes starting before this instant.
    to: rules::Timestamp,
}

/// A client's breach episodes overlapping a time range (event time), every state: open,
/// closed, withdrawn (later data showed none) and superseded (the order changed meanwhile).
pub async fn episodes(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    Query(range): Query<EpisodeRange>,
) -> Answer {
    access::client_by_id(&state, &caller.actor, id).await?;
    if range.to <= range.from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    let mut found = judge::records::episodes(&state.store, id, range.from.0, range.to.0)
        .await
        .inspect_err(|error| tracing::debug!(%error, client_id = id, "reading episodes"))?;
    // A court sees what its own orders judged.
    if caller.actor.is(Role::Court) {
        let filter = cases::OrderFilter {
            client_id: Some(id),
            court: caller.actor.court.clone(),
            ..cases::OrderFilter::default()
        };
        let mine: Vec<i64> = state
            .cases
            .orders(&filter, 0, 500)
            .await?
            .iter()
            .map(|o| o.id)
            .collect();
        found.retain(|e| mine.contains(&e.order_id));
    }
    let detail = format!("{} to {}", range.from, range.to);
    state
        .cases
        .record_read(&caller.actor, &format!("client/{id}/episodes"), &detail)
        .await?;
    Ok(Json(found).into_response())
}
