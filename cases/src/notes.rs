//! What officers write down: notes on a client, and authorised absences from curfew (a work
//! shift, a court hearing, a hospital visit), each with its author and time. An absence moves
//! the order's policy revision on, since the engine judges the curfew by it.

use rules::Timestamp;
use rules::schedule::AbsenceReason;
use serde::{Deserialize, Serialize};

use crate::Cases;
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::check::exists;
use crate::error::{CasesError, FieldError};
use crate::orders::order_head;
use crate::policy::bump_policy;

/// An officer's note on a probation client: their words, kept as written.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Note {
    /// The note's id in the case records.
    pub id: i64,
    /// The client it is about.
    pub client_id: i64,
    /// The user who wrote it.
    pub author_id: i64,
    /// Their name as people know it (the user's display name), for whoever reads the note.
    pub author_name: String,
    /// The note as written (1 to 10 000 characters).
    pub text: String,
    /// When it was written, in ms since the epoch UTC.
    pub created_ms: i64,
}

/// A note to add on a client.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    /// The client it is about.
    pub client_id: i64,
    /// The note (1 to 10 000 characters).
    pub text: String,
}

/// An authorised absence from curfew: the client is excused for this stretch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Absence {
    /// The absence's id in the case records.
    pub id: i64,
    /// The order whose curfew it excuses.
    pub order_id: i64,
    /// When it starts.
    pub from: Timestamp,
    /// When it ends.
    pub until: Timestamp,
    /// Why it was given (work, court, hospital, programme, other).
    pub reason: AbsenceReason,
    /// The officer's details of it (where, who to ask).
    pub details: String,
    /// The user who authorised it.
    pub author_id: i64,
    /// When it was called off, if it was; a cancelled absence excuses nothing.
    pub cancelled_ms: Option<i64>,
    /// The user who called it off.
    pub cancelled_by: Option<i64>,
}

/// An absence to authorise: at most 7 days, on an order.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAbsence {
    /// The order whose curfew it excuses.
    pub order_id: i64,
    /// When it starts.
    pub from: Timestamp,
    /// When it ends; after it starts.
    pub until: Timestamp,
    /// Why it is given.
    pub reason: AbsenceReason,
    /// The officer's details of it (at most 2000 characters).
    #[serde(default)]
    pub details: String,
}

/// The longest single authorised absence (a hospital stay is a suspension instead).
const MAX_ABSENCE_MS: i64 = 7 * 24 * 3600 * 1000;

impl Cases {
    /// Adds a note on a client, by the acting user; audited.
    pub async fn add_note(&self, actor: &Actor, new: &NewNote) -> Result<Note, CasesError> {
        let author = author_of(actor)?;
        if new.text.trim().is_empty() || new.text.chars().count() > 10_000 {
            return Err(CasesError::Invalid(vec![FieldError::coded(
                "text",
                "text_length",
                "must be 1 to 10000 characters",
            )]));
        }
        let mut tx = self.write_as(actor).await?;
        exists(&mut tx, "clients", "client_id", new.client_id).await?;
        let created_ms = self.now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO notes (client_id, author_id, text, created_ms) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(new.client_id)
        .bind(author)
        .bind(&new.text)
        .bind(created_ms)
        .fetch_one(&mut *tx)
        .await?;
        let (author_name,): (String,) =
            sqlx::query_as("SELECT display_name FROM users WHERE id = $1")
                .bind(author)
                .fetch_one(&mut *tx)
                .await?;
        let subject = format!("client/{}/notes/{id}", new.client_id);
        tx.commit(AuditAction::Create, &subject, "").await?;
        Ok(Note {
            id,
            client_id: new.client_id,
            author_id: author,
            author_name,
            text: new.text.clone(),
            created_ms,
        })
    }

    /// A client's notes, oldest first.
    pub async fn notes(&self, client: i64) -> Result<Vec<Note>, CasesError> {
        let rows: Vec<(i64, i64, i64, String, String, i64)> = sqlx::query_as(
            "SELECT n.id, n.client_id, n.author_id, u.display_name, n.text, n.created_ms
             FROM notes n JOIN users u ON u.id = n.author_id
             WHERE n.client_id = $1 ORDER BY n.created_ms, n.id",
        )
        .bind(client)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, client_id, author_id, author_name, text, created_ms)| Note {
                    id,
                    client_id,
                    author_id,
                    author_name,
                    text,
                    created_ms,
                },
            )
            .collect())
    }

    /// Authorises an absence from an order's curfew, moving the order's policy on; audited.
    pub async fn add_absence(
        &self,
        actor: &Actor,
        new: &NewAbsence,
    ) -> Result<Absence, CasesError> {
        let author = author_of(actor)?;
        let mut errors = Vec::new();
        if new.until <= new.from {
            errors.push(FieldError::coded(
                "until",
                "until_before_from",
                "must be after from",
            ));
        } else if new.until.0.saturating_sub(new.from.0) > MAX_ABSENCE_MS {
            errors.push(FieldError::coded(
                "until",
                "absence_too_long",
                "an absence lasts at most 7 days",
            ));
        }
        if new.details.chars().count() > 2000 {
            errors.push(FieldError::coded(
                "details",
                "details_length",
                "must be at most 2000 characters",
            ));
        }
        CasesError::check(errors)?;
        let mut tx = self.write_as(actor).await?;
        let (_, status, _) = order_head(&mut tx, new.order_id).await?;
        if status.is_final() {
            return Err(CasesError::Conflict(vec![FieldError::coded(
                "order_id",
                "order_over",
                format!("the order is {}", status.as_str()),
            )]));
        }
        let reason = serde_json::to_value(new.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO absences (order_id, from_ms, until_ms, reason, details, author_id, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.order_id)
        .bind(new.from.0)
        .bind(new.until.0)
        .bind(reason)
        .bind(&new.details)
        .bind(author)
        .bind(self.now_ms())
        .fetch_one(&mut *tx)
        .await?;
        bump_policy(&mut tx, new.order_id).await?;
        let subject = format!("order/{}/absences/{id}", new.order_id);
        tx.commit(AuditAction::Create, &subject, "").await?;
        Ok(Absence {
            id,
            order_id: new.order_id,
            from: new.from,
            until: new.until,
            reason: new.reason,
            details: new.details.clone(),
            author_id: author,
            cancelled_ms: None,
            cancelled_by: None,
        })
    }

    /// Calls an absence off (the shift was cancelled, the hearing moved): it stays on record,
    /// marked, and no longer excuses the client; the order's policy moves on.
    pub async fn cancel_absence(&self, actor: &Actor, id: i64) -> Result<Absence, CasesError> {
        let by = author_of(actor)?;
        let mut tx = self.write_as(actor).await?;
        let row: Option<(i64, Option<i64>)> =
            sqlx::query_as("SELECT order_id, cancelled_ms FROM absences WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let (order, cancelled) = row.ok_or(CasesError::NotFound {
            what: "absence",
            id,
        })?;
        if cancelled.is_some() {
            return Err(CasesError::Conflict(vec![FieldError::coded(
                "absence",
                "cancelled_already",
                "is cancelled already",
            )]));
        }
        sqlx::query("UPDATE absences SET cancelled_ms = $1, cancelled_by = $2 WHERE id = $3")
            .bind(self.now_ms())
            .bind(by)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        bump_policy(&mut tx, order).await?;
        let subject = format!("order/{order}/absences/{id}");
        tx.commit(AuditAction::Update, &subject, "cancelled")
            .await?;
        self.absences(order)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(CasesError::NotFound {
                what: "absence",
                id,
            })
    }

    /// The order an absence belongs to.
    pub async fn absence_order(&self, id: i64) -> Result<i64, CasesError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT order_id FROM absences WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row
            .ok_or(CasesError::NotFound {
                what: "absence",
                id,
            })?
            .0)
    }

    /// An order's authorised absences, cancelled ones included, by start.
    pub async fn absences(&self, order: i64) -> Result<Vec<Absence>, CasesError> {
        let mut conn = self.pool().acquire().await?;
        absences_on(&mut conn, order).await
    }
}

/// Notes and absences are a person's word: sargs itself writes none.
fn author_of(actor: &Actor) -> Result<i64, CasesError> {
    actor
        .user_id
        .ok_or_else(|| CasesError::invalid("author", "must be a user"))
}

/// An order's absences as `conn` sees them (inside a transaction, as the policy reads them).
pub(crate) async fn absences_on(
    conn: &mut sqlx::AnyConnection,
    order: i64,
) -> Result<Vec<Absence>, CasesError> {
    type Row = (
        i64,
        i64,
        i64,
        i64,
        String,
        String,
        i64,
        Option<i64>,
        Option<i64>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, order_id, from_ms, until_ms, reason, details, author_id, cancelled_ms,
                cancelled_by
         FROM absences WHERE order_id = $1 ORDER BY from_ms, id",
    )
    .bind(order)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(
            |(
                id,
                order_id,
                from,
                until,
                reason,
                details,
                author_id,
                cancelled_ms,
                cancelled_by,
            )| {
                Ok(Absence {
                    id,
                    order_id,
                    from: Timestamp(from),
                    until: Timestamp(until),
                    reason: serde_json::from_value(serde_json::Value::String(reason.clone()))
                        .map_err(|e| crate::error::corrupt("absence reason", e))?,
                    details,
                    author_id,
                    cancelled_ms,
                    cancelled_by,
                })
            },
        )
        .collect()
}
