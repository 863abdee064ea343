//! Variations: the court varies an order from a date it sets, which may be later than the
//! variation is recorded (a decision of the 3rd that tightens the curfew from the 10th).
//!
//! A variation is a new revision of the order's terms with the instant it takes effect. It
//! governs from the later of that instant and its recording: the judge never judged the past by
//! terms nobody had recorded, so a date in the past takes effect at once, and the record keeps
//! the date the court set. Revisions take effect in their order: one may not take effect before
//! one recorded earlier. Until its date, a variation is scheduled ([`crate::ScheduledRevision`]):
//! the order's terms and policy are those in force, and the policy history
//! ([`Cases::policy_history`]) changes at the date, so the court summary follows it. At the
//! date, [`Cases::bring_variations_into_force`] (the judge calls it at each look at the
//! orders) makes it the order's revision and moves the policy revision on, which tells the
//! judge to judge by it.

use rules::Timestamp;

use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::error::{CasesError, FieldError};
use crate::orders::{Order, RevisionRecord, insert_revision, order_head, revision_of};
use crate::terms::OrderTerms;
use crate::{Cases, policy};

impl Cases {
    /// A variation: new terms as a new revision, taking effect at `takes_effect` (the date the
    /// court set; at once when absent or past). A revoked or ended order cannot be varied.
    pub async fn vary_order(
        &self,
        actor: &Actor,
        id: i64,
        terms: &OrderTerms,
        reason: &str,
        takes_effect: Option<Timestamp>,
    ) -> Result<Order, CasesError> {
        let now = self.now_ms();
        let takes_effect = takes_effect.map_or(now, |t| t.0);
        let mut errors = terms.errors();
        if reason.trim().is_empty() {
            errors.push(FieldError::coded(
                "reason",
                "required",
                "a variation says why",
            ));
        }
        if takes_effect >= terms.ends.0 {
            errors.push(FieldError::coded(
                "takes_effect",
                "after_period_end",
                "must be before the monitored period ends (terms.ends)",
            ));
        }
        CasesError::check(errors)?;
        let mut tx = self.write_as(actor).await?;
        let (client_id, status, _) = order_head(&mut tx, id).await?;
        if status.is_final() {
            return Err(CasesError::conflict(
                "status",
                format!("a {} order cannot be varied", status.as_str()),
            ));
        }
        policy::check_terms(&mut tx, client_id, terms).await?;
        let (latest, latest_takes_effect, latest_created): (i64, Option<i64>, i64) =
            sqlx::query_as(
                "SELECT revision, takes_effect_ms, created_ms FROM order_revisions
                 WHERE order_id = $1 ORDER BY revision DESC LIMIT 1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let latest_from = latest_takes_effect.map_or(latest_created, |t| t.max(latest_created));
        let from = takes_effect.max(now);
        if from < latest_from {
            return Err(CasesError::conflict(
                "takes_effect",
                format!(
                    "must not be before {}, when revision {latest} takes effect",
                    Timestamp(latest_from)
                ),
            ));
        }
        let next = latest + 1;
        insert_revision(
            &mut tx,
            RevisionRecord {
                order: id,
                revision: next,
                terms,
                reason,
                author: actor.user_id,
                at: now,
                takes_effect,
            },
        )
        .await?;
        let detail = if takes_effect <= now {
            sqlx::query(
                "UPDATE orders SET revision = $1, policy_revision = policy_revision + 1 WHERE id = $2",
            )
            .bind(next)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            tx.policy_changes();
            format!("revision {next}")
        } else {
            format!("revision {next}, takes effect {}", Timestamp(takes_effect))
        };
        tx.commit(AuditAction::Update, &format!("order/{id}"), &detail)
            .await?;
        self.order(id).await
    }

    /// Makes every variation whose date has come the revision of its order (the latest, if
    /// several have come), moving the order's policy revision on so that the judge judges by
    /// it. Orders revoked or ended are left as they are. Returns each order changed with the
    /// revision now in force. Cheap when nothing is due: one read.
    pub async fn bring_variations_into_force(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(i64, u32)>, CasesError> {
        let now = self.now_ms();
        let due: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT o.id, MAX(r.revision) FROM orders o
             JOIN order_revisions r ON r.order_id = o.id AND r.revision > o.revision
             WHERE r.takes_effect_ms <= $1 AND o.status IN ('active', 'suspended')
             GROUP BY o.id ORDER BY o.id",
        )
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        let mut changed = Vec::with_capacity(due.len());
        for (order, revision) in due {
            let mut tx = self.write_as(actor).await?;
            // Another node, or an immediate variation, may have moved it on meanwhile.
            let moved = sqlx::query(
                "UPDATE orders SET revision = $1, policy_revision = policy_revision + 1
                 WHERE id = $2 AND revision < $1",
            )
            .bind(revision)
            .bind(order)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 0 {
                continue;
            }
            tx.policy_changes();
            tx.commit(
                AuditAction::Update,
                &format!("order/{order}"),
                &format!("revision {revision} in force"),
            )
            .await?;
            changed.push((order, revision_of(revision)?));
        }
        Ok(changed)
    }
}
