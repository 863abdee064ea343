//! Court orders: made, varied, suspended or ended; their timetable as rows a person reads and
//! their zones as GeoJSON a map draws.

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use cases::{NewOrder, OrderFilter, OrderStatus, OrderTerms, Role};
use rules::geometry::ZoneShape;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::access::{self, Scope};
use crate::error::{Body, PathParam, Query};
use crate::gate::{Answer, Caller};
use crate::people::{created, default_limit, ids};
use crate::{ApiError, ApiState};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
    client_id: Option<i64>,
    status: Option<OrderStatus>,
    court: Option<String>,
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
    state.policy_changed(order.id);
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variation {
    terms: OrderTerms,
    /// Why: the court's decision that varied the order.
    reason: String,
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
        .vary_order(&caller.actor, id, &v.terms, &v.reason)
        .await?;
    state.policy_changed(id);
    created(order)
}

#[derive(Deserialize)]
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
    state.policy_changed(id);
    Ok(Json(order).into_response())
}

/// One weekly curfew slot as a person reads it.
#[derive(Serialize)]
struct TimetableRow {
    day: String,
    start: String,
    end: String,
    /// Ends on the next day.
    overnight: bool,
    address: String,
    street: Option<String>,
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
    Ok(Json(json!({ "time_zone": order.terms.time_zone, "slots": rows })).into_response())
}

/// A zone shape as a GeoJSON geometry. GeoJSON has no circle: a circle is a Point with its
/// radius in the feature's properties (`radius_m`), as map libraries expect.
fn geometry(shape: &ZoneShape) -> (Value, Option<f64>) {
    match shape {
        ZoneShape::Circle { centre, radius_m } => (
            json!({ "type": "Point", "coordinates": centre }),
            Some(*radius_m),
        ),
        ZoneShape::Polygon { coordinates } => (
            json!({ "type": "Polygon", "coordinates": coordinates }),
            None,
        ),
        ZoneShape::MultiPolygon { coordinates } => (
            json!({ "type": "MultiPolygon", "coordinates": coordinates }),
            None,
        ),
    }
}

fn feature(shape: &ZoneShape, mut properties: Value) -> Value {
    let (geometry, radius) = geometry(shape);
    if let Some(radius) = radius {
        properties["radius_m"] = json!(radius);
    }
    json!({ "type": "Feature", "geometry": geometry, "properties": properties })
}

pub async fn zones(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let order = access::order_by_id(&state, &caller.actor, id).await?;
    let client = state.cases.client(order.client_id).await?;
    let mut features: Vec<Value> = order
        .terms
        .zones
        .iter()
        .map(|z| {
            feature(
                &z.shape,
                json!({
                    "id": z.id, "role": "zone", "kind": z.kind,
                    "valid_from": z.valid_from, "valid_until": z.valid_until,
                    "schedule": z.schedule, "warning_buffer_m": z.warning_buffer_m,
                }),
            )
        })
        .collect();
    features.extend(client.addresses.iter().map(|a| {
        feature(
            &a.zone,
            json!({ "id": a.id, "role": "address", "street": a.street }),
        )
    }));
    state
        .cases
        .record_read(&caller.actor, &format!("order/{id}/zones"), "")
        .await?;
    let collection = json!({ "type": "FeatureCollection", "features": features });
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
        collection.to_string(),
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

/// Whether the live judge judges by the order's current policy yet: the revision it judges by
/// and since when. A change takes effect within moments; until then this shows the old one.
pub async fn monitoring(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    let order = access::order_by_id(&state, &caller.actor, id).await?;
    let monitors = judge::records::monitors(&state.store)
        .await
        .map_err(|error| {
            tracing::error!(%error, order_id = id, "reading the judge's monitors");
            ApiError::Internal
        })?;
    let current = monitors
        .into_iter()
        .find(|m| m.client_id == order.client_id && m.order_id == id);
    let in_force = current.is_some_and(|m| m.policy_revision == order.policy_revision);
    Ok(Json(json!({
        "order_id": id,
        "policy_revision": order.policy_revision,
        "judged_under": current.map(|m| m.policy_revision),
        "since": current.map(|m| m.applied),
        "in_force": in_force,
    }))
    .into_response())
}
