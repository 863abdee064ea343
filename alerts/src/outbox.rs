//! Sending what the outbox holds. One worker per channel, each with its own loop, so a dead
//! e-mail server delays only e-mail: never the webhook, the wearer, the judge or ingest. A
//! notification is marked sent only after its channel took it; a transient failure is tried
//! again with a growing delay, a permanent one (or too many attempts) is given up with the
//! reason (typed, for people: [`FailureReason`]; and the error's text, for a technician), and
//! both show on the alert (`records::deliveries`).
//!
//! Delivery is at least once: a crash between a send and its mark sends it again after the
//! restart, with the same idempotency key, so that receivers drop the repeat.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use store::Clock;
use store::Store;
use tokio::sync::Notify;

use crate::AlertsError;
use crate::channels::{Failure, FailureReason, Outgoing, SendError};

/// Something that sends one notification: a channel, or the wearer's tag.
pub trait Sink: Send + Sync + 'static {
    /// Sends `out`; an error is retried later, up to the configured number of attempts.
    fn send<'a>(
        &'a self,
        out: &'a Outgoing,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;
}

impl Sink for crate::channels::Channel {
    fn send<'a>(
        &'a self,
        out: &'a Outgoing,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>> {
        Box::pin(crate::channels::Channel::send(self, out))
    }
}

/// The delay before attempt `attempts + 1`: 5 s, doubling, at most 15 minutes.
pub fn backoff_ms(attempts: u32) -> i64 {
    let doubled = 5_000i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    doubled.min(15 * 60 * 1000)
}

/// Runs one channel's worker until the task is aborted.
pub(crate) async fn run_worker(
    store: Store,
    channel: &'static str,
    sink: Option<Arc<dyn Sink>>,
    clock: Arc<dyn Clock>,
    max_attempts: u32,
    wake: Arc<Notify>,
) {
    loop {
        let next = match send_due(
            &store,
            channel,
            sink.as_deref(),
            clock.as_ref(),
            max_attempts,
        )
        .await
        {
            Ok(next) => next,
            Err(_) if store.is_closed() => return,
            Err(error) if store.refusing_writes() => {
                tracing::debug!(channel, %error, "outbox waits while the storage refuses writes");
                None
            }
            Err(error) => {
                tracing::error!(channel, %error, "outbox failed; trying again");
                None
            }
        };
        let now = clock.now().0;
        let wait = next.map_or(1_000, |at| (at - now).clamp(0, 1_000));
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
        }
    }
}

/// Sends every notification of `channel` that is due; returns when the next one is due.
pub(crate) async fn send_due(
    store: &Store,
    channel: &str,
    sink: Option<&dyn Sink>,
    clock: &dyn Clock,
    max_attempts: u32,
) -> Result<Option<i64>, AlertsError> {
    loop {
        let now = clock.now();
        let rows = sqlx::query(
            "SELECT id, idempotency_key, address, subject, body, payload, attempts FROM outbox
             WHERE channel = $1 AND state = 'pending' AND next_attempt_ms <= $2
             ORDER BY id LIMIT 32",
        )
        .bind(channel)
        .bind(now.0)
        .fetch_all(store.pool())
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let attempts: i64 = row.try_get("attempts")?;
            let attempts = u32::try_from(attempts)
                .unwrap_or(u32::MAX)
                .saturating_add(1);
            let payload: String = row.try_get("payload")?;
            let out = Outgoing {
                id: row.try_get("id")?,
                idempotency_key: row.try_get("idempotency_key")?,
                address: row.try_get("address")?,
                subject: row.try_get("subject")?,
                text: row.try_get("body")?,
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            };
            let result = match sink {
                Some(sink) => sink.send(&out).await,
                None => Err(SendError::permanent(
                    FailureReason::ChannelNotConfigured,
                    format!("the {channel} channel is not configured"),
                )),
            };
            let done = clock.now();
            let (state, next, failure) = match result {
                Ok(()) => ("sent", done.0, None),
                Err(SendError::Transient(f)) if attempts < max_attempts => (
                    "pending",
                    done.0.saturating_add(backoff_ms(attempts)),
                    Some(f),
                ),
                Err(SendError::Transient(f)) => (
                    "given_up",
                    done.0,
                    Some(Failure {
                        detail: format!("{} (after {attempts} attempts)", f.detail),
                        ..f
                    }),
                ),
                Err(SendError::Permanent(f)) => ("given_up", done.0, Some(f)),
            };
            match &failure {
                None => tracing::debug!(channel, outbox_id = out.id, "notification sent"),
                Some(f) => {
                    tracing::warn!(channel, outbox_id = out.id, attempts, state, reason = ?f.reason, error = %f.detail, "notification not sent")
                }
            }
            let mut tx = store.begin_write().await?;
            sqlx::query(
                "UPDATE outbox SET state = $1, attempts = $2, next_attempt_ms = $3, last_error = $4,
                    failure = $5, done_ms = $6 WHERE id = $7",
            )
            .bind(state)
            .bind(i64::from(attempts))
            .bind(next)
            .bind(failure.as_ref().map(|f| f.detail.as_str()))
            .bind(failure.as_ref().map(|f| f.reason.to_stored()))
            .bind((state != "pending").then_some(done.0))
            .bind(out.id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        if rows.len() < 32 {
            break;
        }
    }
    let (next,): (Option<i64>,) = sqlx::query_as(
        "SELECT MIN(next_attempt_ms) FROM outbox WHERE channel = $1 AND state = 'pending'",
    )
    .bind(channel)
    .fetch_one(store.pool())
    .await?;
    Ok(next)
}
