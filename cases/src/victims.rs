//! Victims: the people a proximity condition protects. Only a contact, the device they carry and
//! the unit that looks after them are kept.
//!
//! A victim is in the care of the officer who registered them, of the supervisors of the unit
//! they were registered for (and of its territorial unit), and of whoever cares for a client
//! whose order names them; the API enforces it.

use firmware_proto::DeviceKind as InventoryKind;
use rules::policy::Capability;
use serde::{Deserialize, Serialize};
use store::{db_id, wire_id};

use crate::Cases;
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::check::{exists, phone_error, text};
use crate::error::{CasesError, FieldError, corrupt};
use crate::kinds::judged_as;
use crate::patch::applied;

/// A person protected by a proximity condition.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Victim {
    /// The victim's id in the case records.
    pub id: i64,
    /// Who to contact: the victim, or a person acting for them.
    pub contact_name: String,
    /// A phone number for the contact, if any.
    pub contact_phone: Option<String>,
    /// The device the victim carries, whose position a proximity condition keeps the client away from.
    pub device_id: Option<u64>,
    /// The unit they were registered for; none for a victim the centre registered without
    /// one (then only the orders naming them bring them into anyone's care).
    pub unit_id: Option<i64>,
    /// The user who registered them.
    pub registered_by: Option<i64>,
}

/// A victim to register.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVictim {
    /// Who to contact: the victim, or a person acting for them.
    pub contact_name: String,
    /// A phone number for the contact, if any.
    #[serde(default)]
    pub contact_phone: Option<String>,
    /// A device in the inventory that no other victim carries.
    #[serde(default)]
    pub device_id: Option<u64>,
    /// Default (through the API): the registering user's unit.
    #[serde(default)]
    pub unit_id: Option<i64>,
}

/// A change to a victim's record: only the fields given change, and a phone sent as `null` is
/// cleared. A new device moves the policy of every active order protecting them on.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VictimChange {
    /// A new contact name.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// A new contact phone number, or `null` to keep none.
    #[serde(default, deserialize_with = "crate::patch::nullable")]
    #[schemars(with = "Option<String>")]
    pub contact_phone: Option<Option<String>>,
    /// A new device for the victim to carry, from the inventory.
    #[serde(default)]
    pub device_id: Option<u64>,
}

type VictimRow = (
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

const VICTIM_SELECT: &str =
    "SELECT id, contact_name, contact_phone, device_id, unit_id, registered_by FROM victims";

/// The contact fields a new record and a change share.
fn contact_errors(name: Option<&str>, phone: Option<&str>, device: Option<u64>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(name) = name {
        text(&mut errors, "contact_name", name, 200);
    }
    if let Some(reason) = phone.and_then(phone_error) {
        errors.push(FieldError::coded("contact_phone", "phone_format", reason));
    }
    if device == Some(0) {
        errors.push(FieldError::coded(
            "device_id",
            "not_a_device",
            "0 is not a device",
        ));
    }
    errors
}

/// That `device` may be victim `id`'s (None: a new victim's): in the inventory, of a kind that
/// reports where it is (a phone, a GPS tag or tracker), and no other victim's. A device that
/// does not exist, or cannot locate itself, would leave the proximity condition watching nothing.
async fn device_free(
    tx: &mut sqlx::AnyConnection,
    device: u64,
    id: Option<i64>,
) -> Result<(), CasesError> {
    let known: Option<(String,)> =
        sqlx::query_as("SELECT kind FROM inventory WHERE device_id = $1")
            .bind(db_id(device))
            .fetch_optional(&mut *tx)
            .await?;
    let Some((kind,)) = known else {
        return Err(CasesError::invalid(
            "device_id",
            "no such device in the inventory",
        ));
    };
    let kind: InventoryKind = kind.parse().map_err(|e| corrupt("device kind", e))?;
    if !judged_as(kind).capabilities().can(Capability::Location) {
        return Err(CasesError::Invalid(vec![FieldError::coded(
            "device_id",
            "victim_device_without_location",
            format!(
                "a {kind} does not report where it is; a victim carries a phone, a GPS tag or a GPS tracker"
            ),
        )]));
    }
    let taken: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM victims WHERE device_id = $1 AND id <> $2")
            .bind(db_id(device))
            .bind(id.unwrap_or(0))
            .fetch_optional(&mut *tx)
            .await?;
    match taken {
        Some(_) => Err(CasesError::conflict(
            "device_id",
            "is another victim's device",
        )),
        None => Ok(()),
    }
}

impl Cases {
    /// Victims in id order after `after`.
    pub async fn victims(&self, after: i64, limit: i64) -> Result<Vec<Victim>, CasesError> {
        let rows: Vec<VictimRow> = sqlx::query_as(&format!(
            "{VICTIM_SELECT} WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after)
        .bind(limit.clamp(1, 500))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(victim_of).collect())
    }

    /// Registers a victim; audited.
    pub async fn create_victim(
        &self,
        actor: &Actor,
        new: &NewVictim,
    ) -> Result<Victim, CasesError> {
        let errors = contact_errors(
            Some(&new.contact_name),
            new.contact_phone.as_deref(),
            new.device_id,
        );
        CasesError::check(errors)?;
        let mut tx = self.write_as(actor).await?;
        if let Some(device) = new.device_id {
            device_free(&mut tx, device, None).await?;
        }
        if let Some(unit) = new.unit_id {
            exists(&mut tx, "units", "unit_id", unit).await?;
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO victims
                 (contact_name, contact_phone, device_id, created_ms, unit_id, registered_by)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&new.contact_name)
        .bind(new.contact_phone.as_deref())
        .bind(new.device_id.map(db_id))
        .bind(self.now_ms())
        .bind(new.unit_id)
        .bind(actor.user_id)
        .fetch_one(&mut *tx)
        .await?;
        let detail = new.unit_id.map(|u| format!("unit {u}")).unwrap_or_default();
        tx.commit(AuditAction::Create, &format!("victim/{id}"), &detail)
            .await?;
        Ok(Victim {
            id,
            contact_name: new.contact_name.clone(),
            contact_phone: new.contact_phone.clone(),
            device_id: new.device_id,
            unit_id: new.unit_id,
            registered_by: actor.user_id,
        })
    }

    /// Changes a victim's record. A new device is audited with the old and the new id, and
    /// every active order naming them gets a new policy revision, so that the judge watches the
    /// new device from now on.
    pub async fn update_victim(
        &self,
        actor: &Actor,
        id: i64,
        change: &VictimChange,
    ) -> Result<Victim, CasesError> {
        let errors = contact_errors(
            change.contact_name.as_deref(),
            change.contact_phone.as_ref().and_then(Option::as_deref),
            change.device_id,
        );
        CasesError::check(errors)?;
        let mut tx = self.write_as(actor).await?;
        let current = self.victim(id).await?;
        if let Some(device) = change.device_id {
            device_free(&mut tx, device, Some(id)).await?;
        }
        sqlx::query(
            "UPDATE victims SET contact_name = $1, contact_phone = $2, device_id = $3 WHERE id = $4",
        )
        .bind(change.contact_name.as_ref().unwrap_or(&current.contact_name))
        .bind(applied(&change.contact_phone, &current.contact_phone))
        .bind(change.device_id.or(current.device_id).map(db_id))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let mut detail = Vec::new();
        if change.contact_name.is_some() {
            detail.push("contact_name".to_string());
        }
        match &change.contact_phone {
            Some(None) => detail.push("contact_phone cleared".to_string()),
            Some(Some(_)) => detail.push("contact_phone".to_string()),
            None => {}
        }
        if let Some(device) = change.device_id.filter(|d| Some(*d) != current.device_id) {
            let was = current
                .device_id
                .map_or("none".to_string(), |d| d.to_string());
            detail.push(format!("device_id {was} -> {device}"));
            // The orders protecting this victim judge by the new device from now on.
            let protecting: Vec<(i64,)> = sqlx::query_as(
                "SELECT o.id FROM orders o
                 JOIN order_revisions r ON r.order_id = o.id AND r.revision = o.revision
                 WHERE o.status = 'active' AND r.terms LIKE $1",
            )
            .bind(crate::orders::naming_victim(id))
            .fetch_all(&mut *tx)
            .await?;
            for (order,) in protecting {
                crate::policy::bump_policy(&mut tx, order).await?;
            }
        }
        tx.commit(
            AuditAction::Update,
            &format!("victim/{id}"),
            &detail.join(", "),
        )
        .await?;
        self.victim(id).await
    }

    /// A victim's record; [`CasesError::NotFound`] if there is none.
    pub async fn victim(&self, id: i64) -> Result<Victim, CasesError> {
        let row: Option<VictimRow> = sqlx::query_as(&format!("{VICTIM_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(victim_of(
            row.ok_or(CasesError::NotFound { what: "victim", id })?,
        ))
    }
}

fn victim_of(
    (id, contact_name, contact_phone, device, unit_id, registered_by): VictimRow,
) -> Victim {
    Victim {
        id,
        contact_name,
        contact_phone,
        device_id: device.map(wire_id),
        unit_id,
        registered_by,
    }
}
