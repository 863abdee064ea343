//! What people do to alerts (acknowledge, resolve, add a note, ask the tag for a fix), and
//! what sargs does to those left unacknowledged (escalate). Each is one transaction: the
//! alert, its event, its notifications and the audit entry land together or not at all.

use cases::{Actor, AuditAction, Cases};
use rules::Timestamp;
use store::Store;

use crate::AlertsError;
use crate::config::AlertsConfig;
use crate::lifecycle::{self, AlertAction, AlertState, Resolution, TransitionError};
use crate::notify::{self, Contact, Wanted};
use crate::records::{self, Alert, AlertEvent, By};

/// The most characters a note may have.
pub const NOTE_MAX: usize = 4000;

/// Who acts, by the name people know them by: a user's display name (their login name only
/// if they have none), `sargs` for sargs itself.
async fn by(cases: &Cases, actor: &Actor) -> Result<By, AlertsError> {
    let name = match actor.user_id {
        Some(id) => {
            let user = cases.user(id).await?;
            if user.display_name.trim().is_empty() {
                user.username
            } else {
                user.display_name
            }
        }
        None => actor.username.clone(),
    };
    Ok(By {
        user_id: actor.user_id,
        name,
    })
}

fn check_note(note: &str) -> Result<(), AlertsError> {
    if note.chars().count() > NOTE_MAX {
        return Err(AlertsError::Invalid(format!(
            "note: at most {NOTE_MAX} characters"
        )));
    }
    Ok(())
}

/// What a person asks of an alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Take the alert in hand: it stops escalating.
    Acknowledge,
    /// Close the alert with this outcome; final.
    Resolve(Resolution),
    /// Add a note to the alert's history without changing its state.
    Note,
    /// One level up now, without waiting for the timer.
    Escalate,
    /// Recorded after the tag was asked for a fix (the caller sends the command).
    LocateRequested,
    /// Take the alert: it is the caller's to handle. Taking one somebody else has taken needs
    /// `over` (the console asks first).
    Take {
        /// Take it over from whoever has it.
        over: bool,
    },
    /// Let the alert go, whoever had taken it.
    Release,
}

/// What every change needs: the records, the configuration, the channels in use.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The case records: who supervises the client, who to notify.
    pub cases: &'a Cases,
    /// The alerts configuration (escalation, wearer notices, ...).
    pub config: &'a AlertsConfig,
    /// The outgoing channels configured, so that nothing is queued for one that is off.
    pub wanted: Wanted,
}

/// Applies a person's request, with their note. Returns the alert after and its new event.
pub async fn act(
    ctx: Ctx<'_>,
    actor: &Actor,
    alert_id: i64,
    request: Request,
    note: &str,
    now: Timestamp,
) -> Result<(Alert, AlertEvent), AlertsError> {
    check_note(note)?;
    let Ctx {
        cases,
        config,
        wanted,
    } = ctx;
    let by = by(cases, actor).await?;
    let mut tx = cases.write().await?;
    let mut alert = records::alert_in(&mut *tx, alert_id).await?;
    let action = match request {
        Request::Acknowledge => {
            alert.state = lifecycle::transition(alert.state, AlertState::Acknowledged, note)?;
            alert.escalate_at = None;
            AlertAction::Acknowledged
        }
        Request::Resolve(resolution) => {
            alert.state = lifecycle::transition(alert.state, AlertState::Resolved, note)?;
            alert.escalate_at = None;
            alert.resolution = Some(resolution);
            AlertAction::Resolved
        }
        Request::Note => {
            if note.trim().is_empty() {
                return Err(lifecycle::TransitionError::NoteRequired.into());
            }
            AlertAction::Noted
        }
        Request::Escalate => {
            alert.level = lifecycle::escalate_by_hand(alert.state, alert.level, note)?;
            // An open alert goes on escalating from its new level; an acknowledged one does not.
            alert.escalate_at = match alert.state {
                AlertState::Open => {
                    let unit = crate::units::config_for(&mut tx, alert.unit_id, config).await?;
                    lifecycle::next_escalation(alert.severity, alert.level, now, &unit)
                }
                _ => None,
            };
            AlertAction::Escalated
        }
        Request::LocateRequested => AlertAction::LocateRequested,
        Request::Take { over } => {
            let action = take(&alert, by.user_id, over)?;
            alert.assignee_id = by.user_id;
            alert.assignee = Some(by.name.clone());
            action
        }
        Request::Release => {
            if alert.assignee_id.is_none() {
                return Err(lifecycle::TransitionError::NotTaken.into());
            }
            alert.assignee_id = None;
            alert.assignee = None;
            AlertAction::Released
        }
    };
    alert.updated = now;
    records::update_alert(&mut tx, &alert).await?;
    let event = records::insert_event(&mut tx, &alert, action, &by, note, now).await?;
    notify::enqueue(&mut tx, &alert, &event, config, wanted).await?;
    cases::append_audit(
        &mut tx,
        actor,
        now,
        AuditAction::Update,
        &format!("alert/{alert_id}"),
        action.as_str(),
    )
    .await?;
    tx.commit().await?;
    Ok((alert, event))
}

/// Whether `me` may take the alert, and as what: taken, or taken over from somebody else
/// (only when asked to). A resolved alert is nobody's to take.
fn take(alert: &Alert, me: Option<i64>, over: bool) -> Result<AlertAction, TransitionError> {
    if alert.state == AlertState::Resolved {
        return Err(TransitionError::Resolved);
    }
    match alert.assignee_id {
        None => Ok(AlertAction::Taken),
        Some(them) if Some(them) == me => Err(TransitionError::AlreadyYours),
        Some(_) if over => Ok(AlertAction::TakenOver),
        Some(_) => Err(TransitionError::TakenBy(
            alert.assignee.clone().unwrap_or_default(),
        )),
    }
}

/// Escalates every open alert whose time has come, one level each; returns how many.
pub(crate) async fn escalate_due(
    store: &Store,
    ctx: Ctx<'_>,
    now: Timestamp,
) -> Result<usize, AlertsError> {
    let Ctx {
        cases,
        config,
        wanted,
    } = ctx;
    let due: Vec<(i64,)> = sqlx::query_as(
        "SELECT id FROM alerts WHERE escalate_at_ms IS NOT NULL AND escalate_at_ms <= $1
           AND state = $2 ORDER BY escalate_at_ms LIMIT 500",
    )
    .bind(now.0)
    .bind(AlertState::Open.as_str())
    .fetch_all(store.pool())
    .await?;
    let mut escalated = 0;
    for (id,) in due {
        let mut tx = cases.write().await?;
        let mut alert = records::alert_in(&mut *tx, id).await?;
        // Acknowledged or escalated by another step since the look above.
        let still_due =
            alert.state == AlertState::Open && alert.escalate_at.is_some_and(|t| t.0 <= now.0);
        if !still_due {
            continue;
        }
        alert.level = alert.level.saturating_add(1).min(lifecycle::TOP_LEVEL);
        let unit = crate::units::config_for(&mut tx, alert.unit_id, config).await?;
        alert.escalate_at = lifecycle::next_escalation(alert.severity, alert.level, now, &unit);
        alert.updated = now;
        records::update_alert(&mut tx, &alert).await?;
        let event = records::insert_event(
            &mut tx,
            &alert,
            AlertAction::Escalated,
            &By::sargs(),
            "",
            now,
        )
        .await?;
        let sent = notify::enqueue(&mut tx, &alert, &event, config, wanted).await?;
        tx.commit().await?;
        tracing::info!(
            alert_id = id,
            client_id = alert.client_id,
            level = alert.level,
            notifications = sent,
            "alert escalated"
        );
        escalated += 1;
    }
    Ok(escalated)
}

/// Replaces a user's channels, after checking each address.
pub async fn set_contacts(
    cases: &Cases,
    actor: &Actor,
    user_id: i64,
    contacts: &[Contact],
    now: Timestamp,
) -> Result<(), AlertsError> {
    for (i, c) in contacts.iter().enumerate() {
        c.check()
            .map_err(|reason| AlertsError::Invalid(format!("contacts[{i}].address: {reason}")))?;
        if contacts[..i].iter().any(|o| o.channel == c.channel) {
            return Err(AlertsError::Invalid(format!(
                "contacts[{i}].channel: given twice"
            )));
        }
    }
    let mut tx = cases.write().await?;
    notify::set_contacts(&mut tx, user_id, contacts, now).await?;
    cases::append_audit(
        &mut tx,
        actor,
        now,
        AuditAction::Update,
        &format!("user/{user_id}/contacts"),
        "contacts",
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
