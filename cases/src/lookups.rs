//! The case records other parts read inside their own transactions: whom a probation client is
//! in the care of, which users are active, who supervises a unit, which tag an order has fitted.
//!
//! The alerts raise an alert and choose its recipients in the judge's step, in one transaction
//! with the episode that caused it; they must read these facts in that transaction, not through
//! the pool. So these are free functions over a connection, and the SQL on the case tables stays
//! here, with the tables, instead of being written again by every part that needs a fact.

use sqlx::{Any, Executor};
use store::wire_id;

use crate::CasesError;

/// Who a probation client is in the care of now: their supervising officer and unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Carers {
    /// The supervising officer, if the client has one.
    pub officer_id: Option<i64>,
    /// The officer's unit.
    pub unit_id: Option<i64>,
}

/// The officer and unit a client is in the care of; none for a client not on record.
pub async fn carers<'e, E>(db: E, client_id: i64) -> Result<Carers, CasesError>
where
    E: Executor<'e, Database = Any>,
{
    let row: Option<(Option<i64>, Option<i64>)> =
        sqlx::query_as("SELECT officer_id, unit_id FROM clients WHERE id = $1")
            .bind(client_id)
            .fetch_optional(db)
            .await?;
    let (officer_id, unit_id) = row.unwrap_or_default();
    Ok(Carers {
        officer_id,
        unit_id,
    })
}

/// `user_id` if that user exists and is not disabled.
pub async fn active_user<'e, E>(db: E, user_id: Option<i64>) -> Result<Option<i64>, CasesError>
where
    E: Executor<'e, Database = Any>,
{
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE id = $1 AND disabled = 0")
        .bind(user_id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|(id,)| id))
}

/// The active user called `username`, if any.
pub async fn active_user_named<'e, E>(db: E, username: &str) -> Result<Option<i64>, CasesError>
where
    E: Executor<'e, Database = Any>,
{
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM users WHERE username = $1 AND disabled = 0")
            .bind(username)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(id,)| id))
}

/// The active supervisors of a unit: those of the unit itself and of its parent.
pub async fn unit_supervisors<'e, E>(db: E, unit_id: Option<i64>) -> Result<Vec<i64>, CasesError>
where
    E: Executor<'e, Database = Any>,
{
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM users WHERE role = 'supervisor' AND disabled = 0
         AND (unit_id = $1 OR unit_id = (SELECT parent_id FROM units WHERE id = $1))",
    )
    .bind(unit_id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The territorial unit a department belongs to; none for a territorial unit (or no unit).
pub async fn unit_parent<'e, E>(db: E, unit_id: i64) -> Result<Option<i64>, CasesError>
where
    E: Executor<'e, Database = Any>,
{
    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT parent_id FROM units WHERE id = $1")
        .bind(unit_id)
        .fetch_optional(db)
        .await?;
    Ok(row.and_then(|(parent,)| parent))
}

/// The tag fitted under an order now, if any: the newest fitting of a GPS or RF tag. Only our
/// own tags take a notice to the wearer (NOTIFY_WEARER); an off-the-shelf tracker does not
/// speak our protocol, so it is not the one to tell.
pub async fn fitted_tag<'e, E>(db: E, order_id: i64) -> Result<Option<u64>, CasesError>
where
    E: Executor<'e, Database = Any>,
{
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT a.device_id FROM assignments a JOIN inventory i ON i.device_id = a.device_id
         WHERE a.order_id = $1 AND a.removed_ms IS NULL AND i.kind IN ('gps-tag', 'rf-tag')
         ORDER BY a.installed_ms DESC LIMIT 1",
    )
    .bind(order_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(id,)| wire_id(id)))
}
