//! An order's monitoring policy over time ([`Cases::policy_history`]): the one place that says
//! which policy the rules engine judged an order by, and when. The judge takes the policy in
//! force now from it ([`Cases::policy`], the last span) and the court summary every span of its
//! period, so the summary shows what was judged live and cannot drift from it.
//!
//! Each span holds, from its start, what the records said from that instant on:
//! - the terms of the latest revision in force by then: a variation governs from the date the
//!   court set for it or from its recording, whichever is later (crate::variation); the first
//!   revision holds from the start of time;
//! - the order's status then (from the audit log's status changes; active until the first;
//!   now, the order's own);
//! - the devices fitted then, each with its real id and its kind from the inventory, a home
//!   unit with the address it stands at (fitted from `installed`, until `removed`);
//! - the authorised absences recorded by then and not called off by then. An absence called off
//!   excused the client until its cancellation was recorded, and nothing after; one recorded
//!   after its own time excused nothing before it was recorded: the judge had judged that time
//!   already without it, and its breaches stand.
//!
//! Not kept over time: the client's addresses and the victims' devices are taken as they are
//! now; each change of them moves the policy revision on, but the records keep no history of
//! their old values.

use firmware_proto::DeviceKind as InventoryKind;
use rules::Timestamp;
use rules::policy::MonitoringPolicy;
use rules::schedule::{AbsenceReason, AuthorisedAbsence};
use store::wire_id;

use crate::Cases;
use crate::error::{CasesError, corrupt};
use crate::kinds::judged_as;
use crate::orders::{order_in, revisions_on, status_changes_on};
use crate::policy::{Fitted, assemble, client_addresses};
use crate::terms::OrderStatus;

/// One stretch of an order's policy history, over which nothing the policy is made of changed.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicySpan {
    /// When the span starts.
    pub from: Timestamp,
    /// The next change, or [`Timestamp::MAX`] when nothing changes after it (a variation
    /// recorded to take effect later is a change to come).
    pub until: Timestamp,
    /// The order's status over the span; nothing is judged unless active.
    pub status: OrderStatus,
    /// The order's revision whose terms these are.
    pub revision: u32,
    /// The order's policy revision, for the span in force now; the records do not keep which
    /// value the counter had before (the judge's monitor records do, for what it applied).
    pub policy_revision: Option<u32>,
    /// The policy, with the devices fitted and the absences authorised over the span. Its
    /// `revision` is `policy_revision`, or 0 for a span before the one in force now.
    pub policy: MonitoringPolicy,
}

impl PolicySpan {
    /// The judge judges by it: the order is active and a device the client wears (a tag or a
    /// tracker) is fitted.
    pub fn judged(&self) -> bool {
        self.status == OrderStatus::Active && self.policy.devices.iter().any(|d| d.kind.on_body())
    }
}

/// A fitting as the history reads it.
struct Fitting {
    device: Fitted,
    installed: i64,
    removed: Option<i64>,
}

/// An absence as the history reads it: when it was recorded and called off.
struct Recorded {
    absence: AuthorisedAbsence,
    created: i64,
    cancelled: Option<i64>,
}

impl Cases {
    /// The order's monitoring policy over `[from, until)`, span by span (see the module's
    /// doc), all read in one transaction. The spans are in time order and adjoin; the first
    /// starts at `from`, the last ends at `until`, or at [`Timestamp::MAX`] when nothing
    /// changes after it.
    pub async fn policy_history(
        &self,
        order: i64,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<PolicySpan>, CasesError> {
        let mut tx = self.pool().begin().await?;
        let window = Window::Range {
            from,
            until,
            now_ms: self.now_ms(),
        };
        let spans = history_in(&mut tx, order, window).await?;
        tx.commit().await?;
        Ok(spans)
    }
}

/// Which part of the history to read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Window {
    /// The spans over `[from, until)`, now being `now_ms` (the span holding it is the one whose
    /// policy revision is known).
    Range {
        from: Timestamp,
        until: Timestamp,
        now_ms: i64,
    },
    /// The one span the judge judges by now: at `now_ms`, or at the last fitting, removal,
    /// absence or status change if one was recorded for a later instant (recorded facts count
    /// at once, as they always have); a variation only from its date.
    InForce { now_ms: i64 },
}

/// The history as `conn` sees it, over `window`.
pub(crate) async fn history_in(
    conn: &mut sqlx::AnyConnection,
    order: i64,
    window: Window,
) -> Result<Vec<PolicySpan>, CasesError> {
    let current = order_in(conn, order).await?;
    let revisions = revisions_on(conn, order).await?;
    let statuses = status_changes_on(conn, order).await?;
    let fittings = fittings_on(conn, order).await?;
    let absences = absences_on(conn, order).await?;
    let addresses = client_addresses(conn, current.client_id).await?;

    // Every instant at which the policy changed: the facts recorded, then the variations.
    let mut changes: Vec<i64> = statuses.iter().map(|(at, _)| at.0).collect();
    for f in &fittings {
        changes.push(f.installed);
        changes.extend(f.removed);
    }
    for a in &absences {
        changes.push(a.created);
        changes.extend(a.cancelled);
    }
    let (from, until, now_ms) = match window {
        Window::Range {
            from,
            until,
            now_ms,
        } => (from, until, now_ms),
        Window::InForce { now_ms } => {
            let at = changes.iter().copied().fold(now_ms, i64::max);
            (Timestamp(at), Timestamp(at.saturating_add(1)), at)
        }
    };
    changes.extend(revisions.iter().skip(1).map(|r| r.in_force_from()));
    let last_change = changes.iter().copied().max();
    let mut cuts: Vec<i64> = changes
        .into_iter()
        .filter(|&t| t > from.0 && t < until.0)
        .collect();
    cuts.push(from.0);
    cuts.sort_unstable();
    cuts.dedup();

    let mut spans = Vec::with_capacity(cuts.len());
    for (i, &at) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).copied().unwrap_or(until.0);
        if at >= end {
            continue;
        }
        // Nothing changes after the last span; the span holding now is the one in force.
        let last = last_change.is_none_or(|last| at >= last);
        let now = at <= now_ms && (last || now_ms < end);
        let terms = revisions
            .iter()
            .rev()
            .find(|r| r.in_force_from() <= at)
            .or(revisions.first())
            .ok_or(CasesError::NotFound {
                what: "order",
                id: order,
            })?;
        // Now, the order row's own; before, the last change recorded by then.
        let status = match now {
            true => current.status,
            false => statuses
                .iter()
                .rev()
                .find(|(t, _)| t.0 <= at)
                .map_or(OrderStatus::Active, |(_, s)| *s),
        };
        let fitted: Vec<Fitted> = fittings
            .iter()
            .filter(|f| f.installed <= at && f.removed.is_none_or(|r| r > at))
            .map(|f| f.device.clone())
            .collect();
        let excusing = absences
            .iter()
            .filter(|a| a.created <= at && a.cancelled.is_none_or(|c| c > at))
            .map(|a| a.absence.clone())
            .collect();
        let policy_revision = now.then_some(current.policy_revision);
        let policy = assemble(
            conn,
            current.client_id,
            policy_revision.unwrap_or(0),
            &terms.terms,
            &addresses,
            &fitted,
            excusing,
        )
        .await?;
        spans.push(PolicySpan {
            from: Timestamp(at),
            until: if last { Timestamp::MAX } else { Timestamp(end) },
            status,
            revision: terms.revision,
            policy_revision,
            policy,
        });
    }
    Ok(spans)
}

/// Every device fitted under the order, now or before, with its kind from the inventory.
async fn fittings_on(
    conn: &mut sqlx::AnyConnection,
    order: i64,
) -> Result<Vec<Fitting>, CasesError> {
    /// Device, inventory kind, address, installed, removed.
    type Row = (i64, String, Option<String>, i64, Option<i64>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.device_id, i.kind, a.address, a.installed_ms, a.removed_ms FROM assignments a
         JOIN inventory i ON i.device_id = a.device_id
         WHERE a.order_id = $1 ORDER BY a.installed_ms, a.id",
    )
    .bind(order)
    .fetch_all(&mut *conn)
    .await?;
    let mut fittings = Vec::with_capacity(rows.len());
    for (device, kind, address, installed, removed) in rows {
        let kind: InventoryKind = kind.parse().map_err(|e| corrupt("device kind", e))?;
        fittings.push(Fitting {
            device: Fitted {
                device: wire_id(device),
                kind: judged_as(kind),
                address,
            },
            installed,
            removed,
        });
    }
    Ok(fittings)
}

/// Every absence recorded under the order, with when it was recorded and called off.
async fn absences_on(
    conn: &mut sqlx::AnyConnection,
    order: i64,
) -> Result<Vec<Recorded>, CasesError> {
    let rows: Vec<(i64, i64, i64, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, from_ms, until_ms, reason, created_ms, cancelled_ms
         FROM absences WHERE order_id = $1 ORDER BY from_ms, id",
    )
    .bind(order)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(id, from, until, reason, created, cancelled)| {
            let reason: AbsenceReason = serde_json::from_value(serde_json::Value::String(reason))
                .map_err(|e| corrupt("absence reason", e))?;
            Ok(Recorded {
                absence: AuthorisedAbsence {
                    id: format!("absence-{id}"),
                    from: Timestamp(from),
                    until: Timestamp(until),
                    reason,
                },
                created,
                cancelled,
            })
        })
        .collect()
}
