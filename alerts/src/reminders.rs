//! Reminding the wearer that their curfew starts soon ("curfew starts in 15 minutes"): a
//! NOTIFY_WEARER to the tag fitted under each active order, `before` ahead of every curfew
//! window of its policy (weekly slots, extra periods and the first night, less authorised
//! absences, in the order's time zone, as the rules engine plans them).
//!
//! How far ahead has been looked is a row (`reminders_cursor`), and each reminder's outbox key
//! names its order and window, so a restart neither repeats one nor skips one; a start after a
//! long stop does not send the reminders of windows already begun.

use std::collections::HashMap;

use cases::Cases;
use rules::Timestamp;
use rules::schedule::CurfewPlan;
use store::Store;

use crate::AlertsError;
use crate::config::AlertsConfig;
use crate::notify::{self, NewNotification, WEARER};

/// Each active order's curfew plan, compiled once per policy revision.
#[derive(Default)]
pub(crate) struct Reminders {
    plans: HashMap<i64, (u32, Option<CurfewPlan>)>,
}

impl Reminders {
    /// Stores the reminders of the windows that start between the last look and `before`
    /// from now; returns how many.
    pub async fn step(
        &mut self,
        store: &Store,
        cases: &Cases,
        config: &AlertsConfig,
        now: Timestamp,
    ) -> Result<usize, AlertsError> {
        let Some(reminder) = config.curfew_reminder.filter(|r| r.before > 0) else {
            return Ok(0);
        };
        let lead = i64::try_from(reminder.before)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        let until = Timestamp(now.0.saturating_add(lead));
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT until_ms FROM reminders_cursor WHERE id = 1")
                .fetch_optional(store.pool())
                .await?;
        // The first look, or one after a long stop: from now on, not for windows begun.
        let from = Timestamp(row.map_or(now.0, |(t,)| t.max(now.0)));
        if until <= from {
            return Ok(0);
        }
        let orders = cases.active_orders().await?;
        self.plans
            .retain(|id, _| orders.iter().any(|o| o.order_id == *id));
        let mut due = Vec::new();
        for cases::ActiveOrder {
            order_id: order,
            policy_revision: revision,
            ..
        } in orders
        {
            let stale = self.plans.get(&order).is_none_or(|(r, _)| *r != revision);
            if stale {
                let plan = match cases.policy(order).await? {
                    Some(policy) => match policy.compile() {
                        Ok(compiled) => compiled.curfew,
                        Err(error) => {
                            tracing::warn!(order_id = order, %error, "no curfew reminders: the policy does not compile");
                            None
                        }
                    },
                    None => None,
                };
                self.plans.insert(order, (revision, plan));
            }
            let Some((_, Some(plan))) = self.plans.get(&order) else {
                continue;
            };
            for window in plan.windows(from, until) {
                let start = window.span.start;
                if start > from && start <= until {
                    due.push((order, start));
                }
            }
        }
        let mut tx = cases.write().await?;
        let mut stored = 0;
        for (order, start) in due {
            let Some(device) = cases::lookups::fitted_tag(&mut *tx, order).await? else {
                continue;
            };
            let address = device.to_string();
            let payload =
                serde_json::json!({ "pattern": reminder.pattern, "message": reminder.message })
                    .to_string();
            let subject = format!("curfew reminder, order {order}");
            let text = format!("Curfew starts at {start} / mājas režīms sākas {start}");
            stored += notify::put(
                &mut tx,
                &NewNotification {
                    alert_id: None,
                    event_id: None,
                    key: format!("sargs-reminder-order-{order}-{}", start.0),
                    channel: WEARER,
                    user: None,
                    address: &address,
                    subject: &subject,
                    text: &text,
                    payload: &payload,
                    at: now,
                },
            )
            .await?;
        }
        sqlx::query(
            "INSERT INTO reminders_cursor (id, until_ms) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET until_ms = excluded.until_ms",
        )
        .bind(until.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if stored > 0 {
            tracing::info!(reminders = stored, "curfew reminders to wearers");
        }
        Ok(stored)
    }
}
