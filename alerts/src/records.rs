//! Alerts as stored, and how readers get them back: one alert, its history, its
//! notifications, lists filtered as the API asks, and the feed of events after an id.

use judge::EpisodeState;
use judge::records::{name, named};
use rules::{BreachKind, ConditionRef, KindClass, Severity, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use store::Store;

use crate::AlertsError;
use crate::channels::FailureReason;
use crate::lifecycle::{AlertAction, AlertState, AlertView, Resolution};

type Tx = store::WriteTx;

/// An alert as stored.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Alert {
    /// The alert's id.
    pub id: i64,
    /// The probation client in breach.
    pub client_id: i64,
    /// The court order breached.
    pub order_id: i64,
    /// The client's supervising officer and unit when it was raised (routing).
    pub officer_id: Option<i64>,
    /// The officer's unit when it was raised (routing).
    pub unit_id: Option<i64>,
    /// The condition of the order breached.
    pub condition: ConditionRef,
    /// What kind of breach, as of the episode carrying it.
    pub kind: BreachKind,
    /// The kind's class: the client's breach, a warning, or a device fault.
    pub class: KindClass,
    /// How urgent (the configured severity of the kind).
    pub severity: Severity,
    /// Open, acknowledged or resolved.
    pub state: AlertState,
    /// Of the episode that carries it now.
    pub episode_state: EpisodeState,
    /// Event time of the breach: from its first episode's start to its last one's end.
    pub start: Timestamp,
    /// When the breach ended; none while it goes on.
    pub end: Option<Timestamp>,
    /// When the alert was raised, by sargs' clock.
    pub raised: Timestamp,
    /// When it last changed, by sargs' clock.
    pub updated: Timestamp,
    /// Escalation level reached (0 officer and monitoring centre, 1 supervisor, 2 duty lead).
    pub level: u8,
    /// When it escalates next if nobody takes it; none if it does not.
    pub escalate_at: Option<Timestamp>,
    /// How it was resolved, once it is.
    pub resolution: Option<Resolution>,
    /// The user who has taken it in hand, if anyone has.
    pub assignee_id: Option<i64>,
    /// Their display name, as when they took it.
    pub assignee: Option<String>,
}

impl Alert {
    /// The alert as the lifecycle rules see it.
    pub fn view(&self) -> AlertView {
        AlertView {
            state: self.state,
            condition: self.condition.clone(),
            kind: self.kind,
            severity: self.severity,
            episode_state: self.episode_state,
            end: self.end,
            level: self.level,
            escalate_at: self.escalate_at,
        }
    }
}

/// One row of an alert's history, and one event of the live feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlertEvent {
    /// Increasing in commit order: the live feed's event id.
    pub id: i64,
    /// The alert it is about.
    pub alert_id: i64,
    /// When it happened, by sargs' clock.
    pub at: Timestamp,
    /// What happened: raised, escalated, acknowledged, resolved, ...
    pub action: AlertAction,
    /// The alert's state and level after it.
    pub state: AlertState,
    /// The escalation level after it.
    pub level: u8,
    /// Who: a user, or none for sargs itself.
    pub actor_id: Option<i64>,
    /// The name of who did it (a user's name, or `sargs`).
    pub actor: String,
    /// Their note; empty if none.
    pub note: String,
    /// The resolution given, if this event resolved the alert.
    pub resolution: Option<Resolution>,
}

/// A notification and how its delivery went.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Delivery {
    /// The delivery's id in the outbox.
    pub id: i64,
    /// The alert event it notifies of.
    pub event_id: i64,
    /// The outbox channel: `email`, `sms`, `webhook` or `wearer`.
    pub channel: String,
    /// The user notified, if a person.
    pub user_id: Option<i64>,
    /// Where it goes: an e-mail address, a phone number, a URL, or the tag.
    pub address: String,
    /// pending, sent or given_up.
    pub state: String,
    /// How many times sending was tried.
    pub attempts: u32,
    /// When the next try is due.
    pub next_attempt: Timestamp,
    /// Why the last try failed, if it did, as people are told it.
    pub failure: Option<FailureReason>,
    /// The last try's error as the channel met it, for a technician (it may name a URL).
    pub last_error: Option<String>,
    /// When it was queued.
    pub created: Timestamp,
    /// When it was sent or given up; none while pending.
    pub done: Option<Timestamp>,
}

pub(crate) const ALERT_COLUMNS: &str = "id, client_id, order_id, officer_id, unit_id, condition_ref, \
    kind, severity, state, episode_state, start_ms, end_ms, raised_ms, updated_ms, level, \
    escalate_at_ms, resolution, assignee_id, assignee";

const EVENT_COLUMNS: &str =
    "id, alert_id, at_ms, action, state, level, actor_id, actor, note, resolution";

fn corrupt(what: &str, reason: impl std::fmt::Display) -> AlertsError {
    AlertsError::Invalid(format!("stored {what} is invalid: {reason}"))
}

pub(crate) fn alert_from(row: &AnyRow) -> Result<Alert, AlertsError> {
    let condition: String = row.try_get("condition_ref")?;
    let state: String = row.try_get("state")?;
    let resolution: Option<String> = row.try_get("resolution")?;
    let level: i64 = row.try_get("level")?;
    let kind: BreachKind = named(&row.try_get::<String, _>("kind")?, "kind")?;
    Ok(Alert {
        id: row.try_get("id")?,
        client_id: row.try_get("client_id")?,
        order_id: row.try_get("order_id")?,
        officer_id: row.try_get("officer_id")?,
        unit_id: row.try_get("unit_id")?,
        condition: serde_json::from_str(&condition).map_err(|e| corrupt("condition", e))?,
        kind,
        class: kind.class(),
        severity: named(&row.try_get::<String, _>("severity")?, "severity")?,
        state: AlertState::parse(&state).ok_or_else(|| corrupt("alert state", &state))?,
        episode_state: EpisodeState::parse(&row.try_get::<String, _>("episode_state")?)
            .map_err(judge::JudgeError::from)?,
        start: Timestamp(row.try_get("start_ms")?),
        end: row.try_get::<Option<i64>, _>("end_ms")?.map(Timestamp),
        raised: Timestamp(row.try_get("raised_ms")?),
        updated: Timestamp(row.try_get("updated_ms")?),
        level: u8::try_from(level).map_err(|e| corrupt("level", e))?,
        escalate_at: row
            .try_get::<Option<i64>, _>("escalate_at_ms")?
            .map(Timestamp),
        resolution: resolution
            .map(|r| Resolution::parse(&r).ok_or_else(|| corrupt("resolution", r)))
            .transpose()?,
        assignee_id: row.try_get("assignee_id")?,
        assignee: row.try_get("assignee")?,
    })
}

fn event_from(row: &AnyRow) -> Result<AlertEvent, AlertsError> {
    let action: String = row.try_get("action")?;
    let state: String = row.try_get("state")?;
    let resolution: Option<String> = row.try_get("resolution")?;
    let level: i64 = row.try_get("level")?;
    Ok(AlertEvent {
        id: row.try_get("id")?,
        alert_id: row.try_get("alert_id")?,
        at: Timestamp(row.try_get("at_ms")?),
        action: AlertAction::parse(&action).ok_or_else(|| corrupt("alert action", &action))?,
        state: AlertState::parse(&state).ok_or_else(|| corrupt("alert state", &state))?,
        level: u8::try_from(level).map_err(|e| corrupt("level", e))?,
        actor_id: row.try_get("actor_id")?,
        actor: row.try_get("actor")?,
        note: row.try_get("note")?,
        resolution: resolution
            .map(|r| Resolution::parse(&r).ok_or_else(|| corrupt("resolution", r)))
            .transpose()?,
    })
}

/// One alert, by id; [`AlertsError::NotFound`] if there is none.
pub async fn alert(store: &Store, id: i64) -> Result<Alert, AlertsError> {
    alert_in(store.pool(), id).await
}

/// One alert, read through a pool or inside a transaction.
pub(crate) async fn alert_in<'e, E>(db: E, id: i64) -> Result<Alert, AlertsError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .ok_or(AlertsError::NotFound(id))?;
    alert_from(&row)
}

/// The alert an episode carries, if any.
pub(crate) async fn alert_of_episode(
    tx: &mut Tx,
    client_id: i64,
    episode_id: u64,
) -> Result<Option<Alert>, AlertsError> {
    let row = sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE id =
           (SELECT alert_id FROM alert_episodes WHERE client_id = $1 AND episode_id = $2)"
    ))
    .bind(client_id)
    .bind(store::db_id(episode_id))
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(alert_from).transpose()
}

/// A client's newest unresolved alert of a condition and kind: what a new episode may carry on.
pub(crate) async fn latest_unresolved(
    tx: &mut Tx,
    client_id: i64,
    condition: &str,
    kind: &str,
) -> Result<Option<Alert>, AlertsError> {
    let row = sqlx::query(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts
         WHERE client_id = $1 AND condition_ref = $2 AND kind = $3 AND state <> $4
         ORDER BY id DESC LIMIT 1"
    ))
    .bind(client_id)
    .bind(condition)
    .bind(kind)
    .bind(AlertState::Resolved.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(alert_from).transpose()
}

/// An alert's episode ids, oldest first.
pub async fn episodes_of(store: &Store, alert_id: i64) -> Result<Vec<u64>, AlertsError> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT episode_id FROM alert_episodes WHERE alert_id = $1 ORDER BY episode_id",
    )
    .bind(alert_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(id,)| store::wire_id(id)).collect())
}

/// An alert's history, oldest first.
pub async fn events(store: &Store, alert_id: i64) -> Result<Vec<AlertEvent>, AlertsError> {
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM alert_events WHERE alert_id = $1 ORDER BY id"
    ))
    .bind(alert_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(event_from).collect()
}

/// Events after `after` (the live feed), oldest first, at most `limit`, with their alerts as
/// they are now.
pub async fn feed_after(
    store: &Store,
    after: i64,
    limit: u32,
) -> Result<Vec<(AlertEvent, Alert)>, AlertsError> {
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM alert_events WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    let mut alerts = std::collections::HashMap::new();
    let mut feed = Vec::with_capacity(rows.len());
    for row in &rows {
        let event = event_from(row)?;
        let alert = match alerts.get(&event.alert_id) {
            Some(a) => a,
            None => {
                let a = alert(store, event.alert_id).await?;
                alerts.entry(event.alert_id).or_insert(a)
            }
        };
        feed.push((event, alert.clone()));
    }
    Ok(feed)
}

/// The newest event id (0 if none): where a new live feed starts.
pub async fn last_event(store: &Store) -> Result<i64, AlertsError> {
    let (id,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM alert_events")
        .fetch_one(store.pool())
        .await?;
    Ok(id.unwrap_or(0))
}

/// An alert's notifications, oldest first.
pub async fn deliveries(store: &Store, alert_id: i64) -> Result<Vec<Delivery>, AlertsError> {
    let rows = sqlx::query(
        "SELECT id, event_id, channel, user_id, address, state, attempts, next_attempt_ms,
                failure, last_error, created_ms, done_ms
         FROM outbox WHERE alert_id = $1 ORDER BY id",
    )
    .bind(alert_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let attempts: i64 = row.try_get("attempts")?;
            let failure: Option<String> = row.try_get("failure")?;
            let last_error: Option<String> = row.try_get("last_error")?;
            // A failure stored before reasons were has its text alone.
            let failed = failure.is_some() || last_error.is_some();
            Ok(Delivery {
                id: row.try_get("id")?,
                event_id: row.try_get("event_id")?,
                channel: row.try_get("channel")?,
                user_id: row.try_get("user_id")?,
                address: row.try_get("address")?,
                state: row.try_get("state")?,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                next_attempt: Timestamp(row.try_get("next_attempt_ms")?),
                failure: failed.then(|| FailureReason::from_stored(failure.as_deref())),
                last_error,
                created: Timestamp(row.try_get("created_ms")?),
                done: row.try_get::<Option<i64>, _>("done_ms")?.map(Timestamp),
            })
        })
        .collect()
}

pub use crate::queue::{AlertFilter, Cursor, Order, list, page};

/// Who made a change: a user, or sargs itself (`None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct By {
    /// The user, or none for sargs itself.
    pub user_id: Option<i64>,
    /// The name shown in the alert's history.
    pub name: String,
}

impl By {
    /// The actor of what sargs does by itself (raising, escalating, following episodes).
    pub fn sargs() -> By {
        By {
            user_id: None,
            name: "sargs".into(),
        }
    }
}

/// Appends one event to an alert's history (and the live feed), with the alert's state and
/// level after it.
pub(crate) async fn insert_event(
    tx: &mut Tx,
    alert: &Alert,
    action: AlertAction,
    by: &By,
    note: &str,
    at: Timestamp,
) -> Result<AlertEvent, AlertsError> {
    let resolution = alert.resolution.filter(|_| action == AlertAction::Resolved);
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO alert_events (alert_id, at_ms, action, state, level, actor_id, actor, note, resolution)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(alert.id)
    .bind(at.0)
    .bind(action.as_str())
    .bind(alert.state.as_str())
    .bind(i64::from(alert.level))
    .bind(by.user_id)
    .bind(&by.name)
    .bind(note)
    .bind(resolution.map(Resolution::as_str))
    .fetch_one(&mut **tx)
    .await?;
    Ok(AlertEvent {
        id,
        alert_id: alert.id,
        at,
        action,
        state: alert.state,
        level: alert.level,
        actor_id: by.user_id,
        actor: by.name.clone(),
        note: note.to_string(),
        resolution,
    })
}

/// Writes an alert's changeable fields back.
pub(crate) async fn update_alert(tx: &mut Tx, alert: &Alert) -> Result<(), AlertsError> {
    sqlx::query(
        "UPDATE alerts SET kind = $1, severity = $2, state = $3, episode_state = $4, end_ms = $5,
            updated_ms = $6, level = $7, escalate_at_ms = $8, resolution = $9,
            severity_rank = $10, assignee_id = $11, assignee = $12
         WHERE id = $13",
    )
    .bind(name(&alert.kind)?)
    .bind(name(&alert.severity)?)
    .bind(alert.state.as_str())
    .bind(alert.episode_state.as_str())
    .bind(alert.end.map(|t| t.0))
    .bind(alert.updated.0)
    .bind(i64::from(alert.level))
    .bind(alert.escalate_at.map(|t| t.0))
    .bind(alert.resolution.map(Resolution::as_str))
    .bind(crate::queue::rank(alert.severity))
    .bind(alert.assignee_id)
    .bind(alert.assignee.as_deref())
    .bind(alert.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Alerts by state and notifications by channel and state, in Prometheus' text format: a dead
/// channel shows as notifications piling up `pending` or `given_up`.
pub async fn metrics_text(store: &Store) -> Result<String, AlertsError> {
    let alerts: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM alerts GROUP BY state ORDER BY state")
            .fetch_all(store.pool())
            .await?;
    let outbox: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT channel, state, COUNT(*) FROM outbox GROUP BY channel, state ORDER BY channel, state",
    )
    .fetch_all(store.pool())
    .await?;
    let behind =
        judge::records::last_change(store).await? - crate::follow::cursor(store.pool()).await?;
    let mut text = format!(
        "# HELP sargs_alerts_changes_behind Episode changes logged by the judge and not yet taken by the alerts.\n\
         # TYPE sargs_alerts_changes_behind gauge\n\
         sargs_alerts_changes_behind {}\n",
        behind.max(0)
    );
    text += "# HELP sargs_alerts Alerts by state.\n# TYPE sargs_alerts gauge\n";
    for (state, n) in alerts {
        text += &format!("sargs_alerts{{state=\"{state}\"}} {n}\n");
    }
    text += "# HELP sargs_notifications Notifications by channel and delivery state.\n\
             # TYPE sargs_notifications gauge\n";
    for (channel, state, n) in outbox {
        text += &format!("sargs_notifications{{channel=\"{channel}\",state=\"{state}\"}} {n}\n");
    }
    Ok(text)
}
