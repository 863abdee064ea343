//! The device inventory and which order each device is fitted under.
//!
//! A device is in stock, fitted, faulty, lost or retired. Fitting records the install time and
//! the technician; removal the time, who, and the state the device goes back to. A device is
//! fitted under at most one order at a time, and every fitting or removal moves the order's
//! policy revision on (the engine judges by the devices fitted now).

use firmware_proto::DeviceKind;
use rules::Timestamp;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use store::{StoreError, db_id, wire_id};

use crate::Cases;
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::check::text;
use crate::error::{CasesError, FieldError, corrupt, stored};
use crate::kinds::judged_as;
use crate::orders::order_head;
use crate::policy::bump_policy;

/// Where a device of the inventory is: on the shelf, on a client, or out of use.
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// On the shelf, ready to fit.
    InStock,
    /// Fitted under an order.
    Fitted,
    /// Broken: not to be fitted.
    Faulty,
    /// Missing: not returned or not found.
    Lost,
    /// Out of use for good.
    Retired,
}

impl DeviceStatus {
    const ALL: [DeviceStatus; 5] = [
        DeviceStatus::InStock,
        DeviceStatus::Fitted,
        DeviceStatus::Faulty,
        DeviceStatus::Lost,
        DeviceStatus::Retired,
    ];

    /// The status's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::InStock => "in_stock",
            DeviceStatus::Fitted => "fitted",
            DeviceStatus::Faulty => "faulty",
            DeviceStatus::Lost => "lost",
            DeviceStatus::Retired => "retired",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<DeviceStatus, CasesError> {
        stored(&DeviceStatus::ALL, DeviceStatus::as_str, "device status", s)
    }
}

/// A device of the inventory: tags, home units, GPS trackers and victims' devices (phones).
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct InventoryDevice {
    /// The device's id, as its frames carry it.
    pub device_id: u64,
    /// The maker's serial number, as printed on the device.
    pub serial: String,
    /// GPS tag, RF tag, home unit, GPS tracker or phone.
    pub kind: DeviceKind,
    /// The maker's model name.
    pub model: String,
    /// None where nobody can read it (a victim's own phone).
    pub firmware: Option<String>,
    /// Where the device is: in stock, fitted, faulty, lost or retired.
    pub status: DeviceStatus,
}

/// A device to add to the inventory; it starts in stock.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInventoryDevice {
    /// The device's id, as its frames carry it.
    pub device_id: u64,
    /// The maker's serial number, as printed on the device.
    pub serial: String,
    /// GPS tag, RF tag, home unit, GPS tracker or phone.
    pub kind: DeviceKind,
    /// The maker's model name.
    pub model: String,
    /// Absent or null where it is not known (a victim's own phone); never empty.
    #[serde(default)]
    pub firmware: Option<String>,
}

/// A change to a device in the inventory; only the fields given change.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryChange {
    /// The firmware after an update; absent or null leaves it as it is.
    #[serde(default)]
    pub firmware: Option<String>,
    /// A new status (not `fitted`: fitting does that); a fitted device must be removed first.
    #[serde(default)]
    pub status: Option<DeviceStatus>,
}

/// A device fitted under an order, from install to removal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Assignment {
    /// The fitting's id in the case records.
    pub id: i64,
    /// The device fitted.
    pub device_id: u64,
    /// The order it was fitted under.
    pub order_id: i64,
    /// For a home unit: the client's address it stands at.
    pub address: Option<String>,
    /// When it was installed.
    pub installed: Timestamp,
    /// The technician or officer who installed it.
    pub installed_by: Option<i64>,
    /// When it was removed; none while fitted.
    pub removed: Option<Timestamp>,
    /// Who removed it.
    pub removed_by: Option<i64>,
}

impl Assignment {
    /// The part of `[from, to)` (milliseconds) during which this fitting was on, if any: what a
    /// device sent then belongs to the order it was fitted under, and to nobody else's.
    pub fn within(&self, from: i64, to: i64) -> Option<(i64, i64)> {
        let s = from.max(self.installed.0);
        let e = to.min(self.removed.map_or(i64::MAX, |t| t.0));
        (s < e).then_some((s, e))
    }
}

impl Cases {
    /// Adds a device to the inventory and, in the same transaction, `link` registers it with the
    /// frame path (its kind and key in ingest's tables): a device is in both or in neither.
    /// The registry is the cases'; the frame path's own table is ingest's, written by `link`
    /// on this transaction's connection, so that the crates stay apart and the step is one.
    pub async fn add_inventory_device<L>(
        &self,
        actor: &Actor,
        new: &NewInventoryDevice,
        link: L,
    ) -> Result<InventoryDevice, CasesError>
    where
        L: AsyncFnOnce(&mut AnyConnection) -> Result<(), StoreError>,
    {
        let mut errors = Vec::new();
        if new.device_id == 0 {
            errors.push(FieldError::coded(
                "device_id",
                "not_a_device",
                "0 is not a device",
            ));
        }
        text(&mut errors, "serial", &new.serial, 100);
        text(&mut errors, "model", &new.model, 100);
        if let Some(firmware) = &new.firmware {
            text(&mut errors, "firmware", firmware, 100);
        }
        CasesError::check(errors)?;
        let mut tx = self.write_as(actor).await?;
        let taken: Option<(i64,)> =
            sqlx::query_as("SELECT device_id FROM inventory WHERE device_id = $1 OR serial = $2")
                .bind(db_id(new.device_id))
                .bind(&new.serial)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((id,)) = taken {
            let field = if wire_id(id) == new.device_id {
                "device_id"
            } else {
                "serial"
            };
            return Err(CasesError::conflict(field, "is in the inventory already"));
        }
        sqlx::query(
            "INSERT INTO inventory (device_id, serial, kind, model, firmware, status, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(db_id(new.device_id))
        .bind(&new.serial)
        .bind(new.kind.as_str())
        .bind(&new.model)
        .bind(new.firmware.as_deref())
        .bind(DeviceStatus::InStock.as_str())
        .bind(self.now_ms())
        .execute(&mut *tx)
        .await?;
        link(&mut tx).await?;
        let subject = format!("device/{}", new.device_id);
        tx.commit(AuditAction::Create, &subject, "").await?;
        self.inventory_device(new.device_id).await
    }

    /// A device of the inventory, by id; [`CasesError::NotFound`] if there is none.
    pub async fn inventory_device(&self, device: u64) -> Result<InventoryDevice, CasesError> {
        let row: Option<InventoryRow> =
            sqlx::query_as(&format!("{INVENTORY_SELECT} WHERE device_id = $1"))
                .bind(db_id(device))
                .fetch_optional(self.pool())
                .await?;
        inventory_of(row.ok_or(CasesError::NotFound {
            what: "device",
            id: db_id(device),
        })?)
    }

    /// Fits a device in stock under an order (a home unit at one of the client's addresses).
    pub async fn fit_device(
        &self,
        actor: &Actor,
        order: i64,
        device: u64,
        address: Option<&str>,
        at: Timestamp,
    ) -> Result<Assignment, CasesError> {
        let current = self.inventory_device(device).await.map_err(|e| match e {
            CasesError::NotFound { .. } => {
                CasesError::invalid("device_id", "is not in the inventory")
            }
            other => other,
        })?;
        // What a probation client wears, or a home unit at their address: a phone is a
        // victim's, for proximity, and tells nothing a fitted device must.
        let judged = judged_as(current.kind);
        if !judged.on_body() && judged != rules::policy::DeviceKind::HomeUnit {
            return Err(CasesError::Invalid(vec![FieldError::coded(
                "device_id",
                "not_fitted_to_clients",
                format!(
                    "a {} is a victim's device; a probation client wears a tag or a GPS tracker",
                    current.kind
                ),
            )]));
        }
        let mut tx = self.write_as(actor).await?;
        let (client, status, _) = order_head(&mut tx, order).await?;
        if status.is_final() {
            return Err(CasesError::conflict(
                "order_id",
                format!("the order is {}", status.as_str()),
            ));
        }
        let fitted: Option<(i64,)> = sqlx::query_as(
            "SELECT order_id FROM assignments WHERE device_id = $1 AND removed_ms IS NULL",
        )
        .bind(db_id(device))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((other,)) = fitted {
            return Err(CasesError::conflict(
                "device_id",
                format!("is fitted under order {other}; remove it first"),
            ));
        }
        if current.status != DeviceStatus::InStock {
            return Err(CasesError::conflict(
                "device_id",
                format!("is {}, not in stock", current.status.as_str()),
            ));
        }
        match (current.kind, address) {
            (DeviceKind::HomeUnit, None) => {
                return Err(CasesError::invalid(
                    "address",
                    "a home unit stands at one of the client's addresses",
                ));
            }
            (DeviceKind::HomeUnit, Some(label)) => {
                let client = self.client(client).await?;
                if !client.addresses.iter().any(|a| a.id == label) {
                    return Err(CasesError::invalid(
                        "address",
                        "is not one of the client's addresses",
                    ));
                }
            }
            (_, Some(_)) => {
                return Err(CasesError::invalid(
                    "address",
                    "only a home unit stands at an address",
                ));
            }
            (_, None) => {}
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO assignments (device_id, order_id, address, installed_ms, installed_by)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(db_id(device))
        .bind(order)
        .bind(address)
        .bind(at.0)
        .bind(actor.user_id)
        .fetch_one(&mut *tx)
        .await?;
        set_status(&mut tx, device, DeviceStatus::Fitted).await?;
        bump_policy(&mut tx, order).await?;
        let detail = format!("fitted under order {order}");
        tx.commit(AuditAction::Update, &format!("device/{device}"), &detail)
            .await?;
        Ok(Assignment {
            id,
            device_id: device,
            order_id: order,
            address: address.map(str::to_owned),
            installed: at,
            installed_by: actor.user_id,
            removed: None,
            removed_by: None,
        })
    }

    /// Removes a fitted device; it goes back in stock, or is marked faulty or lost.
    pub async fn remove_device(
        &self,
        actor: &Actor,
        device: u64,
        at: Timestamp,
        then: DeviceStatus,
    ) -> Result<(), CasesError> {
        if matches!(then, DeviceStatus::Fitted) {
            return Err(CasesError::invalid(
                "status",
                "a removed device is not fitted",
            ));
        }
        let mut tx = self.write_as(actor).await?;
        let open: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT id, order_id, installed_ms FROM assignments WHERE device_id = $1 AND removed_ms IS NULL",
        )
        .bind(db_id(device))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, order, installed)) = open else {
            return Err(CasesError::conflict("device_id", "is not fitted"));
        };
        if at.0 < installed {
            return Err(CasesError::invalid(
                "removed",
                "must not be before the device was fitted",
            ));
        }
        sqlx::query("UPDATE assignments SET removed_ms = $1, removed_by = $2 WHERE id = $3")
            .bind(at.0)
            .bind(actor.user_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        set_status(&mut tx, device, then).await?;
        bump_policy(&mut tx, order).await?;
        let detail = format!("removed from order {order}, now {}", then.as_str());
        tx.commit(AuditAction::Update, &format!("device/{device}"), &detail)
            .await?;
        Ok(())
    }

    /// Every device fitted under an order, now or before, in the order they were fitted.
    pub async fn assignments(&self, order: i64) -> Result<Vec<Assignment>, CasesError> {
        self.fittings("order_id", &[order]).await
    }

    /// Every device fitted under any of `orders`, in the order they were fitted: the devices of
    /// a page of clients at once.
    pub async fn assignments_of_orders(
        &self,
        orders: &[i64],
    ) -> Result<Vec<Assignment>, CasesError> {
        self.fittings("order_id", orders).await
    }

    /// Every order a device was fitted under, in the order it was fitted.
    pub async fn device_assignments(&self, device: u64) -> Result<Vec<Assignment>, CasesError> {
        self.fittings("device_id", &[db_id(device)]).await
    }

    /// A device's firmware after an update, or its status (faulty, lost, retired, back in
    /// stock) while it is not fitted; fitting and removal have their own calls.
    pub async fn update_inventory_device(
        &self,
        actor: &Actor,
        device: u64,
        change: &InventoryChange,
    ) -> Result<InventoryDevice, CasesError> {
        let mut errors = Vec::new();
        if let Some(firmware) = &change.firmware {
            text(&mut errors, "firmware", firmware, 100);
        }
        if change.status == Some(DeviceStatus::Fitted) {
            errors.push(FieldError::coded(
                "status",
                "fitted_by_fitting",
                "a device is fitted by a fitting",
            ));
        }
        CasesError::check(errors)?;
        let mut tx = self.write_as(actor).await?;
        let current = self.inventory_device(device).await?;
        if change.status.is_some() && current.status == DeviceStatus::Fitted {
            return Err(CasesError::conflict(
                "status",
                "the device is fitted; remove it first",
            ));
        }
        sqlx::query("UPDATE inventory SET firmware = $1, status = $2 WHERE device_id = $3")
            .bind(change.firmware.as_deref().or(current.firmware.as_deref()))
            .bind(change.status.unwrap_or(current.status).as_str())
            .bind(db_id(device))
            .execute(&mut *tx)
            .await?;
        let detail = match (change.status, &change.firmware) {
            (Some(status), _) => format!("status {}", status.as_str()),
            (None, Some(_)) => "firmware".to_string(),
            (None, None) => String::new(),
        };
        tx.commit(AuditAction::Update, &format!("device/{device}"), &detail)
            .await?;
        self.inventory_device(device).await
    }

    async fn fittings(&self, column: &str, ids: &[i64]) -> Result<Vec<Assignment>, CasesError> {
        type Row = (
            i64,
            i64,
            i64,
            Option<String>,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        // `column` is one of two fixed names, never input.
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT id, device_id, order_id, address, installed_ms, installed_by, removed_ms, removed_by
             FROM assignments WHERE {column} IN ({}) ORDER BY installed_ms, id",
            store::id_list(ids.iter().copied())
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, device, order_id, address, installed, installed_by, removed, removed_by)| {
                    Assignment {
                        id,
                        device_id: wire_id(device),
                        order_id,
                        address,
                        installed: Timestamp(installed),
                        installed_by,
                        removed: removed.map(Timestamp),
                        removed_by,
                    }
                },
            )
            .collect())
    }
}

pub(crate) const INVENTORY_SELECT: &str =
    "SELECT device_id, serial, kind, model, firmware, status FROM inventory";

pub(crate) type InventoryRow = (i64, String, String, String, Option<String>, String);

pub(crate) fn inventory_of(
    (id, serial, kind, model, firmware, status): InventoryRow,
) -> Result<InventoryDevice, CasesError> {
    Ok(InventoryDevice {
        device_id: wire_id(id),
        serial,
        kind: kind.parse().map_err(|e| corrupt("device kind", e))?,
        model,
        firmware,
        status: DeviceStatus::parse(&status)?,
    })
}

async fn set_status(
    tx: &mut sqlx::AnyConnection,
    device: u64,
    status: DeviceStatus,
) -> Result<(), CasesError> {
    sqlx::query("UPDATE inventory SET status = $1 WHERE device_id = $2")
        .bind(status.as_str())
        .bind(db_id(device))
        .execute(&mut *tx)
        .await?;
    Ok(())
}
