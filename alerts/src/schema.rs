//! The alerts' tables, in the same store as the case records and the episodes. Append only:
//! never edit a migration that has shipped. Nothing here is ever deleted: an alert's history
//! is its rows in `alert_events`, and every notification stays in `outbox` with its outcome.
//!
//! - `alerts`: one per breach episode (or run of episodes: `lifecycle::continues`), its state
//!   with the people (and who has taken it), the escalation level reached and when the next is due (a timer that
//!   survives a restart because it is a row).
//! - `alert_episodes`: which episodes carry which alert.
//! - `alert_events`: every transition, with who and when; its ids are the live feed's.
//! - `outbox`: every notification, stored before it is sent, with attempts and outcome (an
//!   alert's, or a curfew reminder to the wearer): a failure's reason (`failure`, for people)
//!   beside its text (`last_error`, for a technician).
//! - `alert_contacts`: each user's channels (address, lowest severity, on or off).
//! - `alerts_cursor`: the last row of the judge's `episode_log` taken.
//! - `reminders_cursor`: how far ahead curfew starts have been looked for (`reminders`).
//! - `unit_alerting`: a unit's own alert settings (`units`).

use store::{Store, schema};

use crate::AlertsError;

const MIGRATIONS: &[&[&str]] = &[
    &[
        "CREATE TABLE IF NOT EXISTS alerts (
        id {id},
        client_id BIGINT NOT NULL,
        order_id BIGINT NOT NULL,
        officer_id BIGINT,
        unit_id BIGINT,
        condition_ref TEXT NOT NULL,
        kind TEXT NOT NULL,
        severity TEXT NOT NULL,
        state TEXT NOT NULL,
        episode_state TEXT NOT NULL,
        start_ms BIGINT NOT NULL,
        end_ms BIGINT,
        raised_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL,
        level BIGINT NOT NULL,
        escalate_at_ms BIGINT,
        resolution TEXT
    )",
        "CREATE INDEX IF NOT EXISTS alerts_by_client ON alerts (client_id, raised_ms)",
        "CREATE INDEX IF NOT EXISTS alerts_by_escalation ON alerts (escalate_at_ms)",
        "CREATE TABLE IF NOT EXISTS alert_episodes (
        client_id BIGINT NOT NULL,
        episode_id BIGINT NOT NULL,
        alert_id BIGINT NOT NULL REFERENCES alerts (id),
        PRIMARY KEY (client_id, episode_id)
    )",
        "CREATE TABLE IF NOT EXISTS alert_events (
        id {id},
        alert_id BIGINT NOT NULL REFERENCES alerts (id),
        at_ms BIGINT NOT NULL,
        action TEXT NOT NULL,
        state TEXT NOT NULL,
        level BIGINT NOT NULL,
        actor_id BIGINT,
        actor TEXT NOT NULL,
        note TEXT NOT NULL,
        resolution TEXT
    )",
        "CREATE INDEX IF NOT EXISTS alert_events_by_alert ON alert_events (alert_id, id)",
        // A notification belongs to an alert's event, or to none (a curfew reminder to the wearer).
        "CREATE TABLE IF NOT EXISTS outbox (
        id {id},
        alert_id BIGINT REFERENCES alerts (id),
        event_id BIGINT REFERENCES alert_events (id),
        channel TEXT NOT NULL,
        user_id BIGINT,
        address TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts BIGINT NOT NULL,
        next_attempt_ms BIGINT NOT NULL,
        last_error TEXT,
        created_ms BIGINT NOT NULL,
        done_ms BIGINT
    )",
        "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (channel, state, next_attempt_ms)",
        "CREATE INDEX IF NOT EXISTS outbox_by_alert ON outbox (alert_id)",
        "CREATE TABLE IF NOT EXISTS alert_contacts (
        user_id BIGINT NOT NULL,
        channel TEXT NOT NULL,
        address TEXT NOT NULL,
        min_severity TEXT NOT NULL,
        enabled BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL,
        PRIMARY KEY (user_id, channel)
    )",
        "CREATE TABLE IF NOT EXISTS alerts_cursor (
        id BIGINT PRIMARY KEY,
        episode_row BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL
    )",
        "CREATE TABLE IF NOT EXISTS reminders_cursor (
        id BIGINT PRIMARY KEY,
        until_ms BIGINT NOT NULL
    )",
    ],
    &[
        // The queue: most urgent first (a severity's rank beside its name, critical 4 to warning
        // 0), and who has taken an alert in hand.
        "ALTER TABLE alerts ADD COLUMN severity_rank BIGINT NOT NULL DEFAULT 0",
        "UPDATE alerts SET severity_rank = CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3
        WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END",
        "ALTER TABLE alerts ADD COLUMN assignee_id BIGINT",
        "ALTER TABLE alerts ADD COLUMN assignee TEXT",
        "CREATE INDEX IF NOT EXISTS alerts_by_urgency ON alerts (severity_rank DESC, raised_ms, id)",
        "CREATE INDEX IF NOT EXISTS alerts_by_state_urgency
        ON alerts (state, severity_rank DESC, raised_ms, id)",
        "CREATE INDEX IF NOT EXISTS alerts_by_state ON alerts (state, id)",
        // The queue's usual view: what is not resolved yet, a small part of all alerts.
        "CREATE INDEX IF NOT EXISTS alerts_unresolved_by_urgency
        ON alerts (severity_rank DESC, raised_ms, id) WHERE state <> 'resolved'",
        "CREATE INDEX IF NOT EXISTS alerts_by_assignee ON alerts (assignee_id, id)",
    ],
    &[
        // A unit's own alert settings (crate::units), as JSON: channels, escalation contacts
        // and times.
        "CREATE TABLE IF NOT EXISTS unit_alerting (
        unit_id BIGINT PRIMARY KEY,
        settings TEXT NOT NULL,
        updated_ms BIGINT NOT NULL
    )",
    ],
    &[
        // Why the last try failed, as people are told it (`channels::FailureReason`, JSON);
        // null where it was sent, or failed before reasons were stored (read as `other`).
        "ALTER TABLE outbox ADD COLUMN failure TEXT",
    ],
];

/// Brings the alert tables up to date: the alerts task does at its start, and readers of a
/// store it may never have run on (the compliance summaries) do too.
pub async fn migrate(store: &Store) -> Result<(), AlertsError> {
    schema::apply(store, "alerts_schema_migrations", MIGRATIONS).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{AlertFilter, Order, page};

    /// Alerts stored before the queue's migration get their severity's rank from it, so that
    /// they sort among the new ones.
    #[tokio::test]
    async fn alerts_stored_before_the_queue_sort_by_severity_after_it() {
        for db in store::testing::test_databases().await {
            let store = Store::open(&db.location).await.unwrap();
            backfilled(&store).await;
        }
    }

    /// A failure stored before reasons were reads as `other`, with its text; a notification
    /// sent then reads without a failure.
    #[tokio::test]
    async fn failures_stored_before_reasons_read_as_other() {
        for db in store::testing::test_databases().await {
            let store = Store::open(&db.location).await.unwrap();
            schema::apply(&store, "alerts_schema_migrations", &MIGRATIONS[..3])
                .await
                .unwrap();
            let (alert,): (i64,) = sqlx::query_as(
                "INSERT INTO alerts (client_id, order_id, condition_ref, kind, severity, state,
                    episode_state, start_ms, raised_ms, updated_ms, level)
                 VALUES (1, 1, '{\"condition\":\"curfew\"}', 'late_arrival', 'high', 'open',
                    'open', 0, 0, 0, 0) RETURNING id",
            )
            .fetch_one(store.pool())
            .await
            .unwrap();
            let (event,): (i64,) = sqlx::query_as(
                "INSERT INTO alert_events (alert_id, at_ms, action, state, level, actor, note)
                 VALUES ($1, 0, 'raised', 'open', 0, 'sargs', '') RETURNING id",
            )
            .bind(alert)
            .fetch_one(store.pool())
            .await
            .unwrap();
            for (key, state, error) in [
                (
                    "a",
                    "given_up",
                    Some("permanent failure: 550 no such mailbox"),
                ),
                ("b", "sent", None),
            ] {
                sqlx::query(
                    "INSERT INTO outbox (alert_id, event_id, channel, address, idempotency_key,
                        subject, body, payload, state, attempts, next_attempt_ms, last_error,
                        created_ms)
                     VALUES ($1, $2, 'email', 'a@b.lv', $3, 's', 'b', '{}', $4, 1, 0, $5, 0)",
                )
                .bind(alert)
                .bind(event)
                .bind(key)
                .bind(state)
                .bind(error)
                .execute(store.pool())
                .await
                .unwrap();
            }
            migrate(&store).await.unwrap();
            let found = crate::records::deliveries(&store, alert).await.unwrap();
            let read: Vec<_> = found
                .iter()
                .map(|d| (d.failure, d.last_error.as_deref()))
                .collect();
            assert_eq!(
                read,
                [
                    (
                        Some(crate::channels::FailureReason::Other),
                        Some("permanent failure: 550 no such mailbox")
                    ),
                    (None, None),
                ],
                "{}",
                db.name
            );
        }
    }

    async fn backfilled(store: &Store) {
        let store = store.clone();
        schema::apply(&store, "alerts_schema_migrations", &MIGRATIONS[..1])
            .await
            .unwrap();
        for (severity, raised) in [
            ("low", 1),
            ("critical", 3),
            ("warning", 0),
            ("high", 2),
            ("medium", 4),
            ("critical", 2),
        ] {
            sqlx::query(
                "INSERT INTO alerts (client_id, order_id, condition_ref, kind, severity, state,
                    episode_state, start_ms, raised_ms, updated_ms, level)
                 VALUES (1, 1, '{\"condition\":\"curfew\"}', 'late_arrival', $1, 'open', 'open', $2, $2, $2, 0)",
            )
            .bind(severity)
            .bind(raised)
            .execute(store.pool())
            .await
            .unwrap();
        }
        migrate(&store).await.unwrap();
        let found = page(
            &store,
            &AlertFilter::default(),
            Order::Urgent { after: None },
            10,
        )
        .await
        .unwrap();
        let order: Vec<(String, i64)> = found
            .iter()
            .map(|a| (judge::records::name(&a.severity).unwrap(), a.raised.0))
            .collect();
        let want: Vec<(String, i64)> = [
            ("critical", 2),
            ("critical", 3),
            ("high", 2),
            ("medium", 4),
            ("low", 1),
            ("warning", 0),
        ]
        .iter()
        .map(|(s, r)| (s.to_string(), *r))
        .collect();
        assert_eq!(order, want);
        assert!(found.iter().all(|a| a.assignee.is_none()));
    }
}
