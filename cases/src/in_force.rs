//! The policy an order is judged by now ([`Cases::policy`]): none unless the order is active
//! and a tag is fitted under it; else its latest terms with the devices fitted now and the
//! authorised absences not called off, stamped with the order's policy revision, all read in
//! one transaction. It reads the orders, the fittings and the absences, so it sits above them;
//! the compiling is crate::policy's, below them.

use firmware_proto::DeviceKind as InventoryKind;
use rules::policy::{DeviceKind, MonitoringPolicy};
use rules::schedule::AuthorisedAbsence;
use store::wire_id;

use crate::Cases;
use crate::error::{CasesError, corrupt};
use crate::policy::{Fitted, assemble, client_addresses};
use crate::terms::OrderStatus;

impl Cases {
    /// The policy the rules engine judges an order by now: None while the order is not active
    /// or no tag is fitted under it.
    pub async fn policy(&self, order: i64) -> Result<Option<MonitoringPolicy>, CasesError> {
        let mut tx = self.pool().begin().await?;
        // Read in the transaction: the order, its fittings and its absences as one state.
        let current = crate::orders::order_in(&mut tx, order).await?;
        if current.status != OrderStatus::Active {
            return Ok(None);
        }
        let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT a.device_id, i.kind, a.address FROM assignments a
             JOIN inventory i ON i.device_id = a.device_id
             WHERE a.order_id = $1 AND a.removed_ms IS NULL ORDER BY a.installed_ms, a.id",
        )
        .bind(order)
        .fetch_all(&mut *tx)
        .await?;
        let mut fitted = Vec::with_capacity(rows.len());
        for (device, kind, address) in rows {
            let kind: InventoryKind = kind.parse().map_err(|e| corrupt("device kind", e))?;
            fitted.push(Fitted {
                device: wire_id(device),
                kind: match kind {
                    InventoryKind::GpsTag | InventoryKind::RfTag => DeviceKind::Tag,
                    InventoryKind::HomeUnit => DeviceKind::HomeUnit,
                },
                address,
            });
        }
        if !fitted.iter().any(|f| f.kind == DeviceKind::Tag) {
            return Ok(None);
        }
        let absences = crate::notes::absences_on(&mut tx, order)
            .await?
            .into_iter()
            .filter(|a| a.cancelled_ms.is_none())
            .map(|a| AuthorisedAbsence {
                id: format!("absence-{}", a.id),
                from: a.from,
                until: a.until,
                reason: a.reason,
            })
            .collect();
        let addresses = client_addresses(&mut tx, current.client_id).await?;
        let policy = assemble(
            &mut tx,
            current.client_id,
            current.policy_revision,
            &current.terms,
            &addresses,
            &fitted,
            absences,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(policy))
    }
}
