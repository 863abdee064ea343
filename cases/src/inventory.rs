//! The device inventory as a technician looks through it: a page at a time with filters and a
//! search, and the firmware across the fleet (which versions are out there, on how many devices,
//! in which state), so that an update can be planned and checked. Apart from `devices`, which
//! changes the inventory.

use std::collections::BTreeMap;

use firmware_proto::DeviceKind;
use serde::Serialize;
use store::db_id;

use crate::Cases;
use crate::devices::{DeviceStatus, INVENTORY_SELECT, InventoryDevice, InventoryRow, inventory_of};
use crate::error::{CasesError, corrupt};
use crate::search::containing;

/// Which devices a page of the inventory holds.
#[derive(Clone, Debug, Default)]
pub struct InventoryFilter {
    /// Only devices in this state.
    pub status: Option<DeviceStatus>,
    /// Only devices of this kind.
    pub kind: Option<DeviceKind>,
    /// Only devices whose serial, model or firmware holds this text (any case), or whose id it
    /// is.
    pub q: Option<String>,
}

/// One firmware version of one model, and how many devices run it, by state.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FirmwareCount {
    /// GPS tag, RF tag, home unit, GPS tracker or phone.
    pub kind: DeviceKind,
    /// The maker's model name.
    pub model: String,
    /// The version; none where nobody can read it (a victim's own phone).
    pub firmware: Option<String>,
    /// Devices with it.
    pub devices: u64,
    /// Of those, how many are in each state.
    pub by_status: BTreeMap<DeviceStatus, u64>,
}

impl Cases {
    /// Devices in the inventory in id order after `after`, as `filter` says.
    pub async fn inventory(
        &self,
        filter: &InventoryFilter,
        after: u64,
        limit: i64,
    ) -> Result<Vec<InventoryDevice>, CasesError> {
        // In the wire's unsigned order, so that every device is on some page.
        let high = store::unsigned_order("device_id");
        let after = db_id(after);
        let q = filter
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_lowercase);
        let id = q.as_deref().and_then(|q| q.parse::<u64>().ok()).map(db_id);
        let like = q.as_deref().map(containing);
        let rows: Vec<InventoryRow> = sqlx::query_as(&format!(
            "{INVENTORY_SELECT} WHERE ({high} > $1 OR ({high} = $1 AND device_id > $2))
             AND ($3 IS NULL OR status = $3)
             AND ($4 IS NULL OR kind = $4)
             AND ($5 IS NULL OR LOWER(serial) LIKE $5 ESCAPE '\\' OR LOWER(model) LIKE $5 ESCAPE '\\'
                  OR LOWER(firmware) LIKE $5 ESCAPE '\\' OR device_id = $6)
             ORDER BY {high}, device_id LIMIT $7"
        ))
        .bind(i64::from(after < 0))
        .bind(after)
        .bind(filter.status.map(DeviceStatus::as_str))
        .bind(filter.kind.map(DeviceKind::as_str))
        .bind(like)
        .bind(id)
        .bind(limit.clamp(1, 500))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(inventory_of).collect()
    }

    /// Every firmware version of every model in the inventory, with its devices by state; the
    /// most widespread first.
    pub async fn firmware_across_fleet(&self) -> Result<Vec<FirmwareCount>, CasesError> {
        let rows: Vec<(String, String, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT kind, model, firmware, status, COUNT(*) FROM inventory
             GROUP BY kind, model, firmware, status",
        )
        .fetch_all(self.pool())
        .await?;
        let mut found: BTreeMap<(String, String, Option<String>), FirmwareCount> = BTreeMap::new();
        for (kind, model, firmware, status, n) in rows {
            let n = u64::try_from(n).map_err(|e| corrupt("device count", e))?;
            let status = DeviceStatus::parse(&status)?;
            let entry = found
                .entry((kind.clone(), model.clone(), firmware.clone()))
                .or_insert(FirmwareCount {
                    kind: kind.parse().map_err(|e| corrupt("device kind", e))?,
                    model,
                    firmware,
                    devices: 0,
                    by_status: BTreeMap::new(),
                });
            entry.devices += n;
            *entry.by_status.entry(status).or_default() += n;
        }
        let mut out: Vec<FirmwareCount> = found.into_values().collect();
        out.sort_by(|a, b| {
            b.devices
                .cmp(&a.devices)
                .then_with(|| a.model.cmp(&b.model))
        });
        Ok(out)
    }
}
