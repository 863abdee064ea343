//! What the judge asks of the orders: which are active, with their policy revisions
//! ([`Cases::active_orders`], cheap enough to ask every second), and the policy an order is
//! judged by now ([`Cases::policy`]): the span in force now of the order's policy history
//! (crate::history), so that the judge and the court summary read one history.

use rules::policy::MonitoringPolicy;

use crate::Cases;
use crate::error::{CasesError, corrupt};
use crate::history::{Window, history_in};

/// An active order as the judge looks at it: when `policy_revision` has not moved since it
/// last looked, the policy is the same.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ActiveOrder {
    /// The order.
    pub order_id: i64,
    /// The probation client it is about.
    pub client_id: i64,
    /// The revision of its policy now.
    pub policy_revision: u32,
}

impl Cases {
    /// Every active order, by id.
    pub async fn active_orders(&self) -> Result<Vec<ActiveOrder>, CasesError> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT id, client_id, policy_revision FROM orders WHERE status = 'active' ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(order_id, client_id, revision)| {
                Ok(ActiveOrder {
                    order_id,
                    client_id,
                    policy_revision: u32::try_from(revision)
                        .map_err(|e| corrupt("policy revision", e))?,
                })
            })
            .collect()
    }

    /// The policy the rules engine judges an order by now: None while the order is not active
    /// or no tag is fitted under it. The terms in force now with the devices fitted and the
    /// authorised absences not called off, stamped with the order's policy revision: the span
    /// of [`Cases::policy_history`] that holds now, read in one transaction.
    pub async fn policy(&self, order: i64) -> Result<Option<MonitoringPolicy>, CasesError> {
        let now_ms = self.now_ms();
        let mut tx = self.pool().begin().await?;
        let spans = history_in(&mut tx, order, Window::InForce { now_ms }).await?;
        tx.commit().await?;
        Ok(spans
            .into_iter()
            .next_back()
            .filter(|span| span.judged())
            .map(|span| span.policy))
    }
}
