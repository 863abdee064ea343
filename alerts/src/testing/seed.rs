//! Alerts written straight into the alerts crate's tables, for tests that need many of them
//! (a queue with ties of severity and raising time) without a breach episode behind each.

use judge::EpisodeState;
use judge::records::name;
use rules::{BreachKind, ConditionRef, Severity, Timestamp};
use store::Store;

use crate::AlertsError;
use crate::channels::FailureReason;
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
    Ok(seed_alerts(store, std::slice::from_ref(seed)).await?[0])
}

/// Writes many alerts and their `raised` events in one transaction (a benchmark's thousands,
/// without a commit each); returns their ids in order.
pub async fn seed_alerts(store: &Store, seeds: &[SeedAlert]) -> Result<Vec<i64>, AlertsError> {
    let condition = serde_json::to_string(&ConditionRef::Curfew)
        .map_err(|e| AlertsError::Invalid(format!("condition: {e}")))?;
    let mut tx = store.begin_write().await?;
    let mut ids = Vec::with_capacity(seeds.len());
    for seed in seeds {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO alerts (client_id, order_id, condition_ref, kind, severity, state,
                episode_state, start_ms, raised_ms, updated_ms, level, severity_rank)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8, 0, $9) RETURNING id",
        )
        .bind(seed.client_id)
        .bind(seed.order_id)
        .bind(&condition)
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
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// A notification to write, as the outbox would hold it after trying.
#[derive(Clone, Debug)]
pub struct SeedDelivery<'a> {
    /// The alert it is about.
    pub alert_id: i64,
    /// `email`, `sms`, `webhook` or `wearer`.
    pub channel: &'a str,
    /// The person notified, if one.
    pub user_id: Option<i64>,
    /// Where it went.
    pub address: &'a str,
    /// `pending`, `sent` or `given_up`.
    pub state: &'a str,
    /// Why the last try failed, as people are told it.
    pub failure: Option<FailureReason>,
    /// The last try's error, as the channel met it.
    pub last_error: Option<&'a str>,
    /// When it was queued.
    pub at: Timestamp,
}

/// Writes a notification of the alert's latest event; returns its id.
pub async fn seed_delivery(store: &Store, d: &SeedDelivery<'_>) -> Result<i64, AlertsError> {
    let mut tx = store.begin_write().await?;
    let (event_id,): (i64,) =
        sqlx::query_as("SELECT MAX(id) FROM alert_events WHERE alert_id = $1")
            .bind(d.alert_id)
            .fetch_one(&mut *tx)
            .await?;
    let done = (d.state != "pending").then_some(d.at.0 + 1000);
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO outbox (alert_id, event_id, channel, user_id, address, idempotency_key,
            subject, body, payload, state, attempts, next_attempt_ms, last_error, failure,
            created_ms, done_ms)
         VALUES ($1, $2, $3, $4, $5, $6, 'subject', 'body', '{}', $7, 1, $8, $9, $10, $8, $11)
         RETURNING id",
    )
    .bind(d.alert_id)
    .bind(event_id)
    .bind(d.channel)
    .bind(d.user_id)
    .bind(d.address)
    .bind(format!(
        "seed-{}-{}-{}-{}",
        d.alert_id, event_id, d.channel, d.address
    ))
    .bind(d.state)
    .bind(d.at.0)
    .bind(d.last_error)
    .bind(d.failure.map(FailureReason::to_stored))
    .bind(done)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}
