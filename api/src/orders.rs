//! Court orders: made, varied, suspended or ended; their timetable as rows a person reads and
//! their zones as GeoJSON a map draws.

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use cases::{NewOrder, OrderFilter, OrderStatus, OrderTerms, Role};
use rules::Timestamp;
use rules::geometry::ZoneShape;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::access::{self, Scope};
use crate::error::{Body, PathParam, Query};
use crate::gate::{Answer, Caller};
use crate::people::{created, default_limit, ids};
use crate::{ApiError, ApiState};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// The last id of the previous page (0 for the first).
    #[serde(default)]
    after: i64,
    /// At most this many (1 to 500).
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 500))]
    limit: i64,
    /// Only this client's orders.
    client_id: Option<i64>,
    /// Only orders in this status.
    status: Option<OrderStatus>,
    /// Only this court's orders.
    court: Option<String>,
    /// Only orders whose current terms protect this victim (a proximity condition).
    victim_id: Option<i64>,
}

/// A technician's search for the order to fit a device under.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToFitQuery {
    /// A court case number, or a probation client's name or part of it (2 to 100 characters).
    q: String,
    /// At most this many (1 to 50).
    #[serde(default = "default_to_fit")]
    #[schemars(range(min = 1, max = 50))]
    limit: usize,
}

fn default_to_fit() -> usize {
    20
}

/// The orders in force whose case number or client's name holds the query: what a technician
/// needs to fit a device on the right person, and nothing of where that person is.
pub async fn orders_to_fit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ToFitQuery>,
) -> Answer {
    if !(1..=50).contains(&q.limit) {
        return Err(ApiError::invalid("limit", "must be 1 to 50"));
    }
    let found = state.cases.orders_to_fit(&q.q, q.limit).await?;
    let detail = format!("{:?}: {}", q.q, ids(found.iter().map(|o| o.order_id)));
    state
        .cases
        .record_read(&caller.actor, "orders/to-fit", &detail)
        .await?;
    Ok(Json(found).into_response())
}

pub async fn list_orders(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<OrderQuery>,
) -> Answer {
    crate::people::check_limit(q.limit)?;
    let mut filter = OrderFilter {
        client_id: q.client_id,
        status: q.status,
        court: q.court,
        victim_id: q.victim_id,
        ..OrderFilter::default()
    };
    match access::scope(&caller.actor) {
        Scope::All => {}
        Scope::Officer(me) => filter.officer_id = Some(me),
        Scope::Unit(unit) => filter.unit_id = Some(unit),
        Scope::Nobody if caller.actor.is(Role::Court) => {
            // A court sees its own orders whatever court it asked for.
            if filter.court.is_some() && filter.court != caller.actor.court {
                return Ok(Json(Vec::<()>::new()).into_response());
            }
            filter.court = caller.actor.court.clone();
        }
        Scope::Nobody => return Err(ApiError::Forbidden),
    }
    let orders = state.cases.orders(&filter, q.after, q.limit).await?;
    state
        .cases
        .record_read(&caller.actor, "orders", &ids(orders.iter().map(|o| o.id)))
        .await?;
    Ok(Json(orders).into_response())
}

pub async fn create_order(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewOrder>,
) -> Answer {
    match state.cases.client(new.client_id).await {
        Ok(client) => access::client(&state, &caller.actor, &client).await?,
        Err(cases::CasesError::NotFound { .. }) => {
            return Err(ApiError::invalid("client_id", "no such probation client"));
        }
        Err(other) => return Err(other.into()),
    }
    access::victims_named(&state, &caller.actor, &new.terms).await?;
    let order = state.cases.create_order(&caller.actor, &new).await?;
    created(order)
}

pub async fn get_order(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let order = access::order_by_id(&state, &caller.actor, id).await?;
    state
        .cases
        .record_read(&caller.actor, &format!("order/{id}"), "")
        .await?;
    Ok(Json(order).into_response())
}

pub async fn list_revisions(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    access::order_by_id(&state, &caller.actor, id).await?;
    let revisions = state.cases.order_revisions(id).await?;
    state
        .cases
        .record_read(&caller.actor, &format!("order/{id}/revisions"), "")
        .await?;
    Ok(Json(revisions).into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variation {
    terms: OrderTerms,
    /// Why: the court's decision that varied the order.
    reason: String,
    /// When the variation takes effect, as the court set it (RFC 3339); absent, or past: at
    /// once. Until then the order is judged by the revision in force, and the order shows this
    /// one as scheduled.
    #[serde(default)]
    takes_effect: Option<Timestamp>,
}

pub async fn vary_order(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    body: Result<Body<Variation>, ApiError>,
) -> Answer {
    // The row first: a stranger learns nothing from how their body was wrong.
    access::order_by_id(&state, &caller.actor, id).await?;
    let Body(v) = body?;
    access::victims_named(&state, &caller.actor, &v.terms).await?;
    let order = state
        .cases
        .vary_order(&caller.actor, id, &v.terms, &v.reason, v.takes_effect)
        .await?;
    created(order)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    status: OrderStatus,
}

pub async fn set_status(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
    body: Result<Body<StatusChange>, ApiError>,
) -> Answer {
    access::order_by_id(&state, &caller.actor, id).await?;
    let Body(change) = body?;
    let order = state
        .cases
        .set_order_status(&caller.actor, id, change.status)
        .await?;
    Ok(Json(order).into_response())
}

/// One weekly curfew slot as a person reads it.
#[derive(Serialize, JsonSchema)]
pub struct TimetableRow {
    /// mon to sun.
    day: String,
    /// HH:MM, local time in the order's time zone.
    start: String,
    end: String,
    /// Ends on the next day.
    overnight: bool,
    address: String,
    street: Option<String>,
}

/// An order's weekly curfew slots, Monday first.
#[derive(Serialize, JsonSchema)]
pub struct Timetable {
    time_zone: rules::schedule::TimeZone,
    slots: Vec<TimetableRow>,
}

pub async fn timetable(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let order = access::order_by_id(&state, &caller.actor, id).await?;
    let client = state.cases.client(order.client_id).await?;
    let mut rows = Vec::new();
    for per_address in order.terms.curfew.iter().flat_map(|c| &c.timetable) {
        let street = client
            .addresses
            .iter()
            .find(|a| a.id == per_address.address)
            .map(|a| a.street.clone());
        for slot in &per_address.slots {
            // The slot's own serde form is the readable one: "mon", "21:00".
            let json = serde_json::to_value(slot).unwrap_or(Value::Null);
            let text = |key: &str| json[key].as_str().unwrap_or_default().to_string();
            rows.push((
                slot.day.num_days_from_monday(),
                slot.start,
                TimetableRow {
                    day: text("day"),
                    start: text("start"),
                    end: text("end"),
                    overnight: slot.crosses_midnight(),
                    address: per_address.address.clone(),
                    street: street.clone(),
                },
            ));
        }
    }
    rows.sort_by_key(|(day, start, _)| (*day, *start));
    state
        .cases
        .record_read(&caller.actor, &format!("order/{id}/timetable"), "")
        .await?;
    let rows: Vec<TimetableRow> = rows.into_iter().map(|(_, _, row)| row).collect();
    Ok(Json(Timetable {
        time_zone: order.terms.time_zone,
        slots: rows,
    })
    .into_response())
}

/// A GeoJSON geometry (RFC 7946), `[lon, lat]`.
#[derive(Serialize, JsonSchema)]
#[serde(tag = "type")]
pub enum Geometry {
    Point {
        coordinates: [f64; 2],
    },
    Polygon {
        coordinates: Vec<Vec<[f64; 2]>>,
    },
    MultiPolygon {
        coordinates: Vec<Vec<Vec<[f64; 2]>>>,
    },
}

/// What a feature is: one of the order's zones, or one of the client's addresses.
#[derive(Serialize, JsonSchema)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum FeatureRole {
    Zone {
        id: String,
        kind: rules::policy::ZoneKind,
        valid_from: Option<rules::Timestamp>,
        valid_until: Option<rules::Timestamp>,
        schedule: Vec<rules::schedule::WeeklySlot>,
        warning_buffer_m: Option<f64>,
    },
    Address {
        id: String,
        street: String,
    },
}

#[derive(Serialize, JsonSchema)]
pub struct FeatureProperties {
    #[serde(flatten)]
    role: FeatureRole,
    /// A circle's radius: GeoJSON has no circle, so a circle is a Point with its radius here,
    /// as map libraries expect.
    #[serde(skip_serializing_if = "Option::is_none")]
    radius_m: Option<f64>,
}

#[derive(Serialize, JsonSchema)]
pub enum FeatureType {
    Feature,
}

#[derive(Serialize, JsonSchema)]
pub struct Feature {
    #[serde(rename = "type")]
    kind: FeatureType,
    geometry: Geometry,
    properties: FeatureProperties,
}

#[derive(Serialize, JsonSchema)]
pub enum CollectionType {
    FeatureCollection,
}

/// An order's zones and its client's addresses, as a GeoJSON FeatureCollection a map draws.
#[derive(Serialize, JsonSchema)]
pub struct ZoneMap {
    #[serde(rename = "type")]
    kind: CollectionType,
    features: Vec<Feature>,
}

fn feature(shape: &ZoneShape, role: FeatureRole) -> Feature {
    let (geometry, radius_m) = match shape {
        ZoneShape::Circle { centre, radius_m } => (
            Geometry::Point {
                coordinates: *centre,
            },
            Some(*radius_m),
        ),
        ZoneShape::Polygon { coordinates } => (
            Geometry::Polygon {
                coordinates: coordinates.clone(),
            },
            None,
        ),
        ZoneShape::MultiPolygon { coordinates } => (
            Geometry::MultiPolygon {
                coordinates: coordinates.clone(),
            },
            None,
        ),
    };
    Feature {
        kind: FeatureType::Feature,
        geometry,
        properties: FeatureProperties { role, radius_m },
    }
}

pub async fn zones(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let order = access::order_by_id(&state, &caller.actor, id).await?;
    let client = state.cases.client(order.client_id).await?;
    let mut features: Vec<Feature> = order
        .terms
        .zones
        .iter()
        .map(|z| {
            feature(
                &z.shape,
                FeatureRole::Zone {
                    id: z.id.clone(),
                    kind: z.kind,
                    valid_from: z.valid_from,
                    valid_until: z.valid_until,
                    schedule: z.schedule.clone(),
                    warning_buffer_m: z.warning_buffer_m,
                },
            )
        })
        .collect();
    features.extend(client.addresses.iter().map(|a| {
        feature(
            &a.zone,
            FeatureRole::Address {
                id: a.id.clone(),
                street: a.street.clone(),
            },
        )
    }));
    state
        .cases
        .record_read(&caller.actor, &format!("order/{id}/zones"), "")
        .await?;
    let collection = ZoneMap {
        kind: CollectionType::FeatureCollection,
        features,
    };
    Ok((
        [(axum::http::header::CONTENT_TYPE, GEO_JSON)],
        Json(collection),
    )
        .into_response())
}

pub async fn fittings(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    access::order_by_id(&state, &caller.actor, id).await?;
    Ok(Json(state.cases.assignments(id).await?).into_response())
}

pub const GEO_JSON: &str = "application/geo+json";

/// Whether live judgement judges by the order's current policy revision yet.
#[derive(Serialize, JsonSchema)]
pub struct Monitoring {
    order_id: i64,
    /// The order's current policy revision.
    policy_revision: u32,
    /// The revision the live judge judges by; none while it judges none of this order.
    judged_under: Option<u32>,
    /// Since when it judges by that one.
    since: Option<rules::Timestamp>,
    /// Whether that is the current one.
    in_force: bool,
}

/// Whether the live judge judges by the order's current policy yet: the revision it judges by
/// and since when. A change takes effect within moments; until then this shows the old one.
pub async fn monitoring(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let order = access::order_by_id(&state, &caller.actor, id).await?;
    let monitors = judge::records::monitors(&state.store).await.inspect_err(
        |error| tracing::debug!(%error, order_id = id, "reading the judge's monitors"),
    )?;
    let current = monitors
        .into_iter()
        .find(|m| m.client_id == order.client_id && m.order_id == id);
    let in_force = current.is_some_and(|m| m.policy_revision == order.policy_revision);
    Ok(Json(Monitoring {
        order_id: id,
        policy_revision: order.policy_revision,
        judged_under: current.map(|m| m.policy_revision),
        since: current.map(|m| m.applied),
        in_force,
    })
    .into_response())
}
