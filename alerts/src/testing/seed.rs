//! Alerts written straight into the alerts crate's tables, for tests that need many of them
//! (a queue with ties of severity and raising time) without a breach episode behind each.

use judge::EpisodeState;
use judge::records::name;
use rules::{BreachKind, ConditionRef, Severity, Timestamp};
use store::Store;

use crate::AlertsError;
use crate::lifecycle::{AlertAction, AlertState};
use crate::records::{self, By};

/// An alert to write.
#[derive(Clone, Debug)]
pub struct SeedAlert {
    /// Its probation client.
    pub client_id: i64,
    /// Its order.
    pub order_id: i64,
    /// Its kind.
    pub kind: BreachKind,
    /// Its severity (not always the kind's: the configuration may re-map it).
    pub severity: Severity,
    /// Its state.
    pub state: AlertState,
    /// When it was raised.
    pub raised: Timestamp,
}

/// Writes an alert and its `raised` event, in one transaction; returns its id.
pub async fn seed_alert(store: &Store, seed: &SeedAlert) -> Result<i64, AlertsError> {
    let mut tx = store.begin_write().await?;
    let condition = serde_json::to_string(&ConditionRef::Curfew)
        .map_err(|e| AlertsError::Invalid(format!("condition: {e}")))?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO alerts (client_id, order_id, condition_ref, kind, severity, state,
            episode_state, start_ms, raised_ms, updated_ms, level, severity_rank)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8, 0, $9) RETURNING id",
    )
    .bind(seed.client_id)
    .bind(seed.order_id)
    .bind(condition)
    .bind(name(&seed.kind)?)
    .bind(name(&seed.severity)?)
    .bind(seed.state.as_str())
    .bind(EpisodeState::Open.as_str())
    .bind(seed.raised.0)
    .bind(crate::queue::rank(seed.severity))
    .fetch_one(&mut *tx)
    .await?;
    let alert = records::alert_in(&mut *tx, id).await?;
    records::insert_event(
        &mut tx,
        &alert,
        AlertAction::Raised,
        &By::sargs(),
        "",
        seed.raised,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
