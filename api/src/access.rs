//! Row checks: which clients, orders and victims a caller may see or change.
//!
//! An administrator and the monitoring centre see every client; an officer their own caseload;
//! a supervisor the clients of their unit and its departments (victims: see [`victim`]); a court the orders it issued and their clients; a
//! technician no client at all (devices only). A row outside the caller's care is a 403, the
//! same answer as a route their role may not use.

use cases::{Actor, Assignment, Client, Order, OrderFilter, OrderTerms, Role, Victim};

use crate::{ApiError, ApiState};

/// Whose clients a caller may list: all, or those of one officer, or of one unit and its
/// departments.
pub enum Scope {
    All,
    Officer(i64),
    Unit(i64),
    Nobody,
}

/// Whether `unit` is `scope` or one of its departments.
pub async fn within(state: &ApiState, unit: Option<i64>, scope: i64) -> Result<bool, ApiError> {
    let Some(unit) = unit else {
        return Ok(false);
    };
    if unit == scope {
        return Ok(true);
    }
    let units = state.cases.units().await?;
    Ok(units
        .iter()
        .any(|u| u.id == unit && u.parent_id == Some(scope)))
}

pub fn scope(actor: &Actor) -> Scope {
    match (actor.role, actor.user_id, actor.unit_id) {
        (Some(Role::Admin | Role::Operator), _, _) => Scope::All,
        (Some(Role::Officer), Some(me), _) => Scope::Officer(me),
        (Some(Role::Supervisor), _, Some(unit)) => Scope::Unit(unit),
        _ => Scope::Nobody,
    }
}

/// Whether the caller may see (and, where their role may change records, change) this client.
pub async fn client(state: &ApiState, actor: &Actor, client: &Client) -> Result<(), ApiError> {
    let allowed = match scope(actor) {
        Scope::All => true,
        Scope::Officer(me) => client.officer_id == me,
        Scope::Unit(unit) => within(state, Some(client.unit_id), unit).await?,
        Scope::Nobody => match (actor.role, &actor.court) {
            (Some(Role::Court), Some(court)) => {
                let filter = OrderFilter {
                    client_id: Some(client.id),
                    court: Some(court.clone()),
                    ..OrderFilter::default()
                };
                !state.cases.orders(&filter, 0, 1).await?.is_empty()
            }
            _ => false,
        },
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Whether the caller may see this order: a court its own; others as its client.
pub async fn order(state: &ApiState, actor: &Actor, order: &Order) -> Result<(), ApiError> {
    if actor.is(Role::Court) {
        return if actor.court.as_deref() == Some(order.court.as_str()) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        };
    }
    let owner = state.cases.client(order.client_id).await?;
    client(state, actor, &owner).await
}

/// The order, if the caller may see it.
pub async fn order_by_id(state: &ApiState, actor: &Actor, id: i64) -> Result<Order, ApiError> {
    let found = state.cases.order(id).await?;
    order(state, actor, &found).await?;
    Ok(found)
}

/// The client, if the caller may see it.
pub async fn client_by_id(state: &ApiState, actor: &Actor, id: i64) -> Result<Client, ApiError> {
    let found = state.cases.client(id).await?;
    client(state, actor, &found).await?;
    Ok(found)
}

/// Whether this victim is in the caller's care, to see, change or name in an order: the centre
/// always (an operator only reads, by the route table); the officer who registered them; a
/// supervisor if they were registered for their unit or a department of it; and an officer or
/// supervisor if an order of a client in their care names them. Nobody else.
pub async fn victim(state: &ApiState, actor: &Actor, victim: &Victim) -> Result<(), ApiError> {
    let mut filter = OrderFilter {
        victim_id: Some(victim.id),
        ..OrderFilter::default()
    };
    match scope(actor) {
        Scope::All => return Ok(()),
        Scope::Officer(me) => {
            if victim.registered_by == Some(me) {
                return Ok(());
            }
            filter.officer_id = Some(me);
        }
        Scope::Unit(unit) => {
            if within(state, victim.unit_id, unit).await? {
                return Ok(());
            }
            filter.unit_id = Some(unit);
        }
        Scope::Nobody => return Err(ApiError::Forbidden),
    }
    if state.cases.orders(&filter, 0, 1).await?.is_empty() {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

/// The victim, if the caller may see it.
pub async fn victim_by_id(state: &ApiState, actor: &Actor, id: i64) -> Result<Victim, ApiError> {
    let found = state.cases.victim(id).await?;
    victim(state, actor, &found).await?;
    Ok(found)
}

/// That every victim `terms` name is in the caller's care: naming a victim in an order lets
/// whoever cares for its client see and change the victim, so it needs care of them already.
/// A victim that does not exist gets the same answer, so ids cannot be probed.
pub async fn victims_named(
    state: &ApiState,
    actor: &Actor,
    terms: &OrderTerms,
) -> Result<(), ApiError> {
    for (i, p) in terms.proximity.iter().enumerate() {
        match victim_by_id(state, actor, p.victim_id).await {
            Ok(_) => {}
            Err(ApiError::Forbidden | ApiError::NotFound(_)) => {
                let field = format!("terms.proximity[{i}].victim_id");
                return Err(ApiError::invalid(&field, "no such victim in your care"));
            }
            Err(other) => return Err(other),
        }
    }
    Ok(())
}

/// When the caller may see what a device sent, in device time.
pub enum Track {
    /// Always: the centre.
    Always,
    /// Only while fitted under these fittings (orders in the caller's care), in time order:
    /// what it sent fitted to someone else's client is not theirs.
    Within(Vec<Assignment>),
}

impl Track {
    /// The parts of `[from, to)` the caller may see, in time order.
    pub fn clip(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        match self {
            Track::Always => vec![(from, to)],
            Track::Within(fittings) => fittings.iter().filter_map(|f| f.within(from, to)).collect(),
        }
    }
}

/// When the caller may see where this device was: the centre always; an officer or supervisor
/// while it was fitted under an order of a client in their care (a 403 if it never was).
pub async fn device_track(state: &ApiState, actor: &Actor, device: u64) -> Result<Track, ApiError> {
    if matches!(scope(actor), Scope::All) {
        return Ok(Track::Always);
    }
    let mut mine = Vec::new();
    for fitting in state.cases.device_assignments(device).await? {
        match order_by_id(state, actor, fitting.order_id).await {
            Ok(_) => mine.push(fitting),
            Err(ApiError::Forbidden) => {}
            Err(other) => return Err(other),
        }
    }
    if mine.is_empty() {
        return Err(ApiError::Forbidden);
    }
    // In the order fitted; a device is fitted under one order at a time, so they do not overlap.
    Ok(Track::Within(mine))
}
