//! Court orders: what the court decided, revision by revision.
//!
//! An order names its court and case and belongs to one probation client. Its terms (the
//! decision's date and legal basis, the monitored period, the conditions the rules engine judges
//! and the other obligations) are kept per revision: a variation adds a revision and never
//! changes an old one, so every episode can be read against the terms that judged it. The
//! order's `policy_revision` counts every change to what the engine judges by (a variation, an
//! authorised absence, a device fitted or removed); it is what the policy and its episodes carry.
//! What the terms say is crate::terms; whether they compile against the records, crate::policy;
//! a variation, which may take effect on a later date the court set, crate::variation.

use rules::Timestamp;
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::changes::{self, TermsChange};
use crate::check::{exists, text};
use crate::error::{CasesError, FieldError, corrupt};
use crate::terms::{OrderStatus, OrderTerms};
use crate::{Cases, policy};

/// A court order to record, with its first terms.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// The probation client it is about.
    pub client_id: i64,
    /// The court that made it.
    pub court: String,
    /// The court's case number.
    pub case_number: String,
    /// What the order requires.
    pub terms: OrderTerms,
}

/// A court order for electronic monitoring, as of the revision in force now.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Order {
    /// The order's id in the case records.
    pub id: i64,
    /// The probation client it is about.
    pub client_id: i64,
    /// The court that made it.
    pub court: String,
    /// The court's case number.
    pub case_number: String,
    /// Active, suspended, revoked or ended.
    pub status: OrderStatus,
    /// The revision in force now, whose terms these are.
    pub revision: u32,
    /// The revision of the monitoring policy made from it: moves on with each change to what the
    /// policy would be (a variation, a fitting, an absence, a victim's new device); episodes carry it.
    pub policy_revision: u32,
    /// What the order requires, at the revision in force now.
    pub terms: OrderTerms,
    /// The next variation recorded to take effect later, if there is one.
    pub scheduled: Option<ScheduledRevision>,
}

/// A variation recorded to take effect on a date the court set, not yet in force.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ScheduledRevision {
    /// Its revision number.
    pub revision: u32,
    /// When it takes effect.
    pub takes_effect: Timestamp,
}

/// Which orders to list; every filter given must hold.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct OrderFilter {
    /// Orders about this client.
    pub client_id: Option<i64>,
    /// Orders in this status.
    pub status: Option<OrderStatus>,
    /// Orders this court issued.
    pub court: Option<String>,
    /// Orders of this officer's caseload.
    pub officer_id: Option<i64>,
    /// Orders of the clients of this unit and its departments.
    pub unit_id: Option<i64>,
    /// Orders whose latest terms protect this victim.
    pub victim_id: Option<i64>,
}

/// One revision of an order's terms: the first, or a variation by the court.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct OrderRevision {
    /// The revision number, from 1.
    pub revision: u32,
    /// What the order requires from this revision on.
    pub terms: OrderTerms,
    /// Why it was made, as recorded.
    pub reason: String,
    /// The user who recorded it.
    pub author_id: Option<i64>,
    /// When it was recorded, in ms since the epoch UTC.
    pub created_ms: i64,
    /// When it takes effect, as the court set it, in ms since the epoch UTC. A revision governs
    /// from the later of this and `created_ms`: what was judged before it was recorded stands.
    pub takes_effect_ms: i64,
    /// What it changed from the revision before (nothing for the first).
    pub changes: Vec<TermsChange>,
}

impl OrderRevision {
    /// From when it governs the order: the date the court set, or its recording if later.
    pub fn in_force_from(&self) -> i64 {
        self.takes_effect_ms.max(self.created_ms)
    }
}

impl Cases {
    /// Records an order and its first revision, once its terms compile into a policy against
    /// the client's addresses and the victims named.
    pub async fn create_order(&self, actor: &Actor, new: &NewOrder) -> Result<Order, CasesError> {
        let mut errors = new.terms.errors();
        text(&mut errors, "court", &new.court, 200);
        text(&mut errors, "case_number", &new.case_number, 200);
        CasesError::check(errors)?;
        let mut tx = self.write_as(actor).await?;
        exists(&mut tx, "clients", "client_id", new.client_id).await?;
        policy::check_terms(&mut tx, new.client_id, &new.terms).await?;
        let taken: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM orders WHERE court = $1 AND case_number = $2")
                .bind(&new.court)
                .bind(&new.case_number)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(CasesError::Conflict(vec![FieldError::coded(
                "case_number",
                "case_taken",
                "this court's case has an order",
            )]));
        }
        let now = self.now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO orders (client_id, court, case_number, status, revision, policy_revision, created_ms)
             VALUES ($1, $2, $3, $4, 1, 1, $5) RETURNING id",
        )
        .bind(new.client_id)
        .bind(&new.court)
        .bind(&new.case_number)
        .bind(OrderStatus::Active.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        insert_revision(
            &mut tx,
            RevisionRecord {
                order: id,
                revision: 1,
                terms: &new.terms,
                reason: "order made",
                author: actor.user_id,
                at: now,
                takes_effect: now,
            },
        )
        .await?;
        tx.policy_changes();
        tx.commit(AuditAction::Create, &format!("order/{id}"), "")
            .await?;
        self.order(id).await
    }

    /// Suspends, resumes, revokes or ends monitoring under an order.
    pub async fn set_order_status(
        &self,
        actor: &Actor,
        id: i64,
        status: OrderStatus,
    ) -> Result<Order, CasesError> {
        let mut tx = self.write_as(actor).await?;
        let (_, now, _) = order_head(&mut tx, id).await?;
        if now.is_final() && now != status {
            return Err(CasesError::conflict(
                "status",
                format!("the order is {} already", now.as_str()),
            ));
        }
        sqlx::query(
            "UPDATE orders SET status = $1, policy_revision = policy_revision + 1 WHERE id = $2",
        )
        .bind(status.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.policy_changes();
        let detail = format!("status {}", status.as_str());
        tx.commit(AuditAction::Update, &format!("order/{id}"), &detail)
            .await?;
        self.order(id).await
    }

    /// An order, as of its latest revision; [`CasesError::NotFound`] if there is none.
    pub async fn order(&self, id: i64) -> Result<Order, CasesError> {
        let mut conn = self.pool().acquire().await?;
        order_on(&mut conn, id).await
    }

    /// Orders matching every filter given, in id order after `after`.
    pub async fn orders(
        &self,
        filter: &OrderFilter,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Order>, CasesError> {
        let rows: Vec<OrderRow> = sqlx::query_as(&format!(
            "{ORDER_SELECT} JOIN clients c ON c.id = o.client_id
             WHERE o.id > $1 AND ($2 IS NULL OR o.client_id = $2) AND ($3 IS NULL OR o.status = $3)
               AND ($4 IS NULL OR o.court = $4) AND ($5 IS NULL OR c.officer_id = $5)
               AND ($6 IS NULL OR c.unit_id IN (SELECT id FROM units WHERE id = $6 OR parent_id = $6)) AND ($7 IS NULL OR r.terms LIKE $7)
             ORDER BY o.id LIMIT $8"
        ))
        .bind(after)
        .bind(filter.client_id)
        .bind(filter.status.map(OrderStatus::as_str))
        .bind(filter.court.as_deref())
        .bind(filter.officer_id)
        .bind(filter.unit_id)
        .bind(filter.victim_id.map(naming_victim))
        .bind(limit.clamp(1, 500))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(order_of).collect()
    }

    /// When the order's status changed and to what, oldest first. Read from the audit log, where
    /// `set_order_status` appends each change in the transaction that makes it; the order row
    /// keeps only the latest.
    pub async fn order_status_changes(
        &self,
        id: i64,
    ) -> Result<Vec<(Timestamp, OrderStatus)>, CasesError> {
        let mut conn = self.pool().acquire().await?;
        status_changes_on(&mut conn, id).await
    }

    /// Every revision of an order, first to latest.
    pub async fn order_revisions(&self, id: i64) -> Result<Vec<OrderRevision>, CasesError> {
        let mut conn = self.pool().acquire().await?;
        revisions_on(&mut conn, id).await
    }
}

/// When the order's status changed and to what, oldest first, as `conn` sees it. Read from the
/// audit log, where `set_order_status` appends each change in the transaction that makes it;
/// the order row keeps only the latest.
pub(crate) async fn status_changes_on(
    conn: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<Vec<(Timestamp, OrderStatus)>, CasesError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT at_ms, detail FROM audit_log
         WHERE subject = $1 AND action = $2 AND detail LIKE 'status %' ORDER BY seq",
    )
    .bind(format!("order/{id}"))
    .bind(AuditAction::Update.as_str())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(at, detail)| {
            let status = OrderStatus::parse(detail.trim_start_matches("status "))?;
            Ok((Timestamp(at), status))
        })
        .collect()
}

/// An order's revisions, oldest first, as `conn` sees them.
pub(crate) async fn revisions_on(
    conn: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<Vec<OrderRevision>, CasesError> {
    /// Revision, terms, reason, author, recorded, takes effect.
    type Row = (i64, String, String, Option<i64>, i64, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT revision, terms, reason, author_id, created_ms, takes_effect_ms FROM order_revisions
         WHERE order_id = $1 ORDER BY revision",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Err(CasesError::NotFound { what: "order", id });
    }
    let mut revisions: Vec<OrderRevision> = Vec::with_capacity(rows.len());
    for (revision, terms, reason, author_id, created_ms, takes_effect) in rows {
        let terms: OrderTerms =
            serde_json::from_str(&terms).map_err(|e| corrupt("order terms", e))?;
        let changes = revisions
            .last()
            .map_or_else(Vec::new, |before| changes::changes(&before.terms, &terms));
        revisions.push(OrderRevision {
            revision: revision_of(revision)?,
            terms,
            reason,
            author_id,
            created_ms,
            takes_effect_ms: takes_effect.unwrap_or(created_ms),
            changes,
        });
    }
    Ok(revisions)
}

async fn order_on(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Order, CasesError> {
    let row: Option<OrderRow> = sqlx::query_as(&format!("{ORDER_SELECT} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    order_of(row.ok_or(CasesError::NotFound { what: "order", id })?)
}

/// A LIKE pattern for terms that protect a victim: the terms are serde_json's compact text,
/// in which a proximity condition names its victim exactly so.
pub(crate) fn naming_victim(victim: i64) -> String {
    format!("%\"victim_id\":{victim},%")
}

/// An order as a transaction sees it.
pub(crate) async fn order_in(tx: &mut sqlx::AnyConnection, id: i64) -> Result<Order, CasesError> {
    order_on(tx, id).await
}

/// An order's client, status and latest revision, read in the transaction that changes it.
pub(crate) async fn order_head(
    tx: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<(i64, OrderStatus, i64), CasesError> {
    let row: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT client_id, status, revision FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let (client, status, revision) = row.ok_or(CasesError::NotFound { what: "order", id })?;
    Ok((client, OrderStatus::parse(&status)?, revision))
}

/// One revision to record: its terms, why, who, when, and from when it governs.
pub(crate) struct RevisionRecord<'a> {
    pub order: i64,
    pub revision: i64,
    pub terms: &'a OrderTerms,
    pub reason: &'a str,
    pub author: Option<i64>,
    pub at: i64,
    pub takes_effect: i64,
}

pub(crate) async fn insert_revision(
    tx: &mut sqlx::AnyConnection,
    r: RevisionRecord<'_>,
) -> Result<(), CasesError> {
    let json = serde_json::to_string(r.terms).map_err(|e| corrupt("order terms", e))?;
    sqlx::query(
        "INSERT INTO order_revisions
         (order_id, revision, terms, reason, author_id, created_ms, takes_effect_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.order)
    .bind(r.revision)
    .bind(json)
    .bind(r.reason)
    .bind(r.author)
    .bind(r.at)
    .bind(r.takes_effect)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The order with the terms in force, and the first revision recorded to take effect later
/// (revisions take effect in their order, so it has the earliest date of those pending).
pub(crate) const ORDER_SELECT: &str = "SELECT o.id, o.client_id, o.court, o.case_number, o.status, o.revision,
    o.policy_revision, r.terms,
    (SELECT MIN(p.revision) FROM order_revisions p WHERE p.order_id = o.id AND p.revision > o.revision),
    (SELECT MIN(p.takes_effect_ms) FROM order_revisions p WHERE p.order_id = o.id AND p.revision > o.revision)
    FROM orders o
    JOIN order_revisions r ON r.order_id = o.id AND r.revision = o.revision";

pub(crate) type OrderRow = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    String,
    Option<i64>,
    Option<i64>,
);

pub(crate) fn order_of(row: OrderRow) -> Result<Order, CasesError> {
    let (id, client_id, court, case_number, status, revision, policy_revision, terms, next, at) =
        row;
    let scheduled = match (next, at) {
        (Some(revision), Some(at)) => Some(ScheduledRevision {
            revision: revision_of(revision)?,
            takes_effect: Timestamp(at),
        }),
        _ => None,
    };
    Ok(Order {
        id,
        client_id,
        court,
        case_number,
        status: OrderStatus::parse(&status)?,
        revision: revision_of(revision)?,
        policy_revision: revision_of(policy_revision)?,
        terms: serde_json::from_str(&terms).map_err(|e| corrupt("order terms", e))?,
        scheduled,
    })
}

pub(crate) fn revision_of(stored: i64) -> Result<u32, CasesError> {
    u32::try_from(stored).map_err(|e| corrupt("revision", e))
}
