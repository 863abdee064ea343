//! Following the judge: every episode change logged (`judge::records::changes_after`) is taken
//! after the last row taken, and turned into alert changes, events and notifications in one
//! transaction with the new cursor. A crash leaves all of a batch or none of it, so no episode
//! change is missed and none raises a second alert.

use std::collections::BTreeSet;

use cases::Cases;
use judge::StoredEpisode;
use judge::records::name;
use rules::Timestamp;
use store::Store;

use crate::AlertsError;
use crate::config::AlertsConfig;
use crate::lifecycle::{self, AlertAction, AlertState, EpisodeDecision, EpisodeView};
use crate::notify::{self, Wanted};
use crate::records::{self, Alert, By};

type Tx = store::WriteTx;

/// Takes up to `limit` logged episode changes in a transaction of its own; returns how many
/// were taken. Looks first without a write turn: most of the time the judge's step has taken
/// them already ([`crate::JudgeFollower`]), or there are none.
pub(crate) async fn take(
    store: &Store,
    cases: &Cases,
    config: &AlertsConfig,
    wanted: Wanted,
    now: Timestamp,
    limit: u32,
) -> Result<usize, AlertsError> {
    if judge::records::last_change(store).await? <= cursor(store.pool()).await? {
        return Ok(0);
    }
    let mut tx = cases.write().await?;
    let taken = take_in(&mut tx, config, wanted, now, limit).await?;
    tx.commit().await?;
    Ok(taken)
}

/// Takes up to `limit` logged episode changes in `tx`, which must be one of the case records'
/// writers ([`Cases::join_writers`]); returns how many were taken.
pub(crate) async fn take_in(
    tx: &mut Tx,
    config: &AlertsConfig,
    wanted: Wanted,
    now: Timestamp,
    limit: u32,
) -> Result<usize, AlertsError> {
    let cursor = cursor(&mut **tx).await?;
    let changes = judge::records::changes_after(&mut **tx, cursor, limit).await?;
    let Some(last) = changes.last().map(|c| c.row) else {
        return Ok(0);
    };
    // Several changes to one episode in a batch are one: its state now.
    let touched: BTreeSet<(i64, u64)> = changes
        .iter()
        .map(|c| (c.client_id, c.episode_id))
        .collect();
    let mut episodes = Vec::with_capacity(touched.len());
    for (client, id) in touched {
        match judge::records::episode(&mut **tx, client, id).await? {
            Some(e) => episodes.push(e),
            None => tracing::warn!(
                client_id = client,
                episode_id = id,
                "a logged episode is not stored"
            ),
        }
    }
    for episode in &episodes {
        apply(tx, episode, config, wanted, now).await?;
    }
    sqlx::query(
        "INSERT INTO alerts_cursor (id, episode_row, updated_ms) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET episode_row = excluded.episode_row,
            updated_ms = excluded.updated_ms",
    )
    .bind(last)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(changes.len())
}

/// The last episode change taken (0 before the first).
pub(crate) async fn cursor<'c>(
    db: impl sqlx::Executor<'c, Database = sqlx::Any>,
) -> Result<i64, AlertsError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT episode_row FROM alerts_cursor WHERE id = 1")
        .fetch_optional(db)
        .await?;
    Ok(row.map_or(0, |(r,)| r))
}

fn view(e: &StoredEpisode) -> EpisodeView {
    EpisodeView {
        condition: e.condition.clone(),
        kind: e.kind,
        start: e.start,
        end: e.end,
        state: e.state,
    }
}

/// One episode as it stands now, applied to its alert.
async fn apply(
    tx: &mut Tx,
    episode: &StoredEpisode,
    config: &AlertsConfig,
    wanted: Wanted,
    now: Timestamp,
) -> Result<(), AlertsError> {
    let seen = view(episode);
    let sargs = By::sargs();
    if let Some(mut alert) =
        records::alert_of_episode(tx, episode.client_id, episode.episode_id).await?
    {
        if latest_episode(tx, alert.id).await? != Some(episode.episode_id) {
            // An earlier episode of a continued alert: the alert follows its latest one.
            return Ok(());
        }
        let EpisodeDecision::Follow {
            action,
            severity,
            stop_escalating,
        } = lifecycle::on_episode(Some(&alert.view()), &seen, now, config)
        else {
            return Ok(());
        };
        alert.kind = episode.kind;
        alert.class = episode.kind.class();
        alert.severity = severity;
        alert.end = episode.end;
        alert.episode_state = episode.state;
        alert.updated = now;
        if stop_escalating {
            alert.escalate_at = None;
        }
        records::update_alert(tx, &alert).await?;
        if let Some(action) = action {
            let event = records::insert_event(tx, &alert, action, &sargs, "", now).await?;
            notify::enqueue(tx, &alert, &event, config, wanted).await?;
        }
        return Ok(());
    }
    let condition = serde_json::to_string(&episode.condition)
        .map_err(|e| AlertsError::Invalid(e.to_string()))?;
    let kind = name(&episode.kind)?;
    if let Some(mut alert) =
        records::latest_unresolved(tx, episode.client_id, &condition, &kind).await?
        && lifecycle::continues(&alert.view(), &seen, config)
    {
        link(tx, &alert, episode).await?;
        alert.end = episode.end;
        alert.episode_state = episode.state;
        alert.updated = now;
        records::update_alert(tx, &alert).await?;
        let event =
            records::insert_event(tx, &alert, AlertAction::Continued, &sargs, "", now).await?;
        notify::enqueue(tx, &alert, &event, config, wanted).await?;
        return Ok(());
    }
    let cases::lookups::Carers {
        officer_id,
        unit_id,
    } = cases::lookups::carers(&mut **tx, episode.client_id).await?;
    // The unit's own escalation times, if it has them.
    let unit_config = crate::units::config_for(tx, unit_id, config).await?;
    let EpisodeDecision::Raise {
        severity,
        escalate_at,
    } = lifecycle::on_episode(None, &seen, now, &unit_config)
    else {
        return Ok(());
    };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO alerts (client_id, order_id, officer_id, unit_id, condition_ref, kind,
            severity, state, episode_state, start_ms, end_ms, raised_ms, updated_ms, level,
            escalate_at_ms, severity_rank)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, 0, $13, $14)
         RETURNING id",
    )
    .bind(episode.client_id)
    .bind(episode.order_id)
    .bind(officer_id)
    .bind(unit_id)
    .bind(&condition)
    .bind(&kind)
    .bind(name(&severity)?)
    .bind(AlertState::Open.as_str())
    .bind(episode.state.as_str())
    .bind(episode.start.0)
    .bind(episode.end.map(|t| t.0))
    .bind(now.0)
    .bind(escalate_at.map(|t| t.0))
    .bind(crate::queue::rank(severity))
    .fetch_one(&mut **tx)
    .await?;
    let alert = Alert {
        id,
        client_id: episode.client_id,
        order_id: episode.order_id,
        officer_id,
        unit_id,
        condition: episode.condition.clone(),
        kind: episode.kind,
        class: episode.kind.class(),
        severity,
        state: AlertState::Open,
        episode_state: episode.state,
        start: episode.start,
        end: episode.end,
        raised: now,
        updated: now,
        level: 0,
        escalate_at,
        resolution: None,
        assignee_id: None,
        assignee: None,
    };
    link(tx, &alert, episode).await?;
    let event = records::insert_event(tx, &alert, AlertAction::Raised, &sargs, "", now).await?;
    let sent = notify::enqueue(tx, &alert, &event, config, wanted).await?;
    tracing::info!(
        alert_id = id,
        client_id = episode.client_id,
        episode_id = episode.episode_id,
        kind = %kind,
        notifications = sent,
        "alert raised"
    );
    Ok(())
}

async fn link(tx: &mut Tx, alert: &Alert, episode: &StoredEpisode) -> Result<(), AlertsError> {
    sqlx::query("INSERT INTO alert_episodes (client_id, episode_id, alert_id) VALUES ($1, $2, $3)")
        .bind(episode.client_id)
        .bind(store::db_id(episode.episode_id))
        .bind(alert.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn latest_episode(tx: &mut Tx, alert_id: i64) -> Result<Option<u64>, AlertsError> {
    let (id,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(episode_id) FROM alert_episodes WHERE alert_id = $1")
            .bind(alert_id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(id.map(store::wire_id))
}
