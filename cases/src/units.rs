//! Units: the probation service's territorial units and their departments, two levels, so
//! that a supervisor of a unit sees exactly it and its departments. Users and clients belong to
//! one.

use serde::{Deserialize, Serialize};

use crate::Cases;
use crate::actor::Actor;
use crate::audit::{AuditAction, changed_fields};
use crate::check::{exists, text};
use crate::error::{CasesError, FieldError};

/// Unit names are unique.
fn name_taken() -> CasesError {
    CasesError::Conflict(vec![FieldError::coded(
        "name",
        "name_taken",
        "a unit of this name exists",
    )])
}

/// A unit of the probation service: a territorial unit, or one of its departments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Unit {
    /// The unit's id in the case records.
    pub id: i64,
    /// The unit's name.
    pub name: String,
    /// The territorial unit a department belongs to.
    pub parent_id: Option<i64>,
}

/// A unit to create.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    /// The unit's name (at most 200 characters).
    pub name: String,
    /// The territorial unit it is a department of; none for a territorial unit.
    #[serde(default)]
    pub parent_id: Option<i64>,
}

/// A change to a unit: only the fields given change.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitChange {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// Makes it a department of this territorial unit (0: a territorial unit again). A unit
    /// with departments of its own cannot become one.
    #[serde(default)]
    pub parent_id: Option<i64>,
}

/// That `parent` may be the territorial unit of a department (of unit `child`, if it exists
/// already): a unit, not a department itself, nor the unit.
async fn parent_errors(
    tx: &mut sqlx::AnyConnection,
    parent: i64,
    child: Option<i64>,
) -> Result<(), CasesError> {
    if Some(parent) == child {
        return Err(coded(
            "parent_id",
            "parent_self",
            "a unit is not its own department",
        ));
    }
    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT parent_id FROM units WHERE id = $1")
        .bind(parent)
        .fetch_optional(&mut *tx)
        .await?;
    match row {
        None => return Err(coded("parent_id", "no_such_record", "no such unit")),
        // Territorial units and their departments: two levels, so that a supervisor of a
        // unit sees exactly it and its departments.
        Some((Some(_),)) => {
            return Err(coded(
                "parent_id",
                "parent_is_department",
                "is a department; a department has no departments",
            ));
        }
        Some((None,)) => {}
    }
    if let Some(child) = child {
        let departments: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM units WHERE parent_id = $1 LIMIT 1")
                .bind(child)
                .fetch_optional(&mut *tx)
                .await?;
        if departments.is_some() {
            return Err(CasesError::Conflict(vec![FieldError::coded(
                "parent_id",
                "has_departments",
                "the unit has departments; it stays a territorial unit",
            )]));
        }
    }
    Ok(())
}

fn coded(field: &str, code: &'static str, reason: &str) -> CasesError {
    CasesError::Invalid(vec![FieldError::coded(field, code, reason)])
}

impl Cases {
    /// Creates a unit; audited.
    pub async fn create_unit(&self, actor: &Actor, new: &NewUnit) -> Result<Unit, CasesError> {
        let mut errors = Vec::new();
        text(&mut errors, "name", &new.name, 200);
        CasesError::check(errors)?;
        let mut tx = self.write_as(actor).await?;
        if let Some(parent) = new.parent_id {
            parent_errors(&mut tx, parent, None).await?;
        }
        let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM units WHERE name = $1")
            .bind(&new.name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(name_taken());
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO units (name, parent_id, created_ms) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&new.name)
        .bind(new.parent_id)
        .bind(self.now_ms())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit(AuditAction::Create, &format!("unit/{id}"), "")
            .await?;
        Ok(Unit {
            id,
            name: new.name.clone(),
            parent_id: new.parent_id,
        })
    }

    /// Changes a unit's name; audited.
    pub async fn update_unit(
        &self,
        actor: &Actor,
        id: i64,
        change: &UnitChange,
    ) -> Result<Unit, CasesError> {
        let mut errors = Vec::new();
        if let Some(name) = &change.name {
            text(&mut errors, "name", name, 200);
        }
        CasesError::check(errors)?;
        let mut tx = self.write_as(actor).await?;
        exists(&mut tx, "units", "id", id)
            .await
            .map_err(|_| CasesError::NotFound { what: "unit", id })?;
        if let Some(name) = &change.name {
            let taken: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM units WHERE name = $1 AND id <> $2")
                    .bind(name)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(name_taken());
            }
            sqlx::query("UPDATE units SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(parent) = change.parent_id {
            if parent != 0 {
                parent_errors(&mut tx, parent, Some(id)).await?;
            }
            sqlx::query("UPDATE units SET parent_id = $1 WHERE id = $2")
                .bind((parent != 0).then_some(parent))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let detail = changed_fields(&[
            ("name", change.name.is_some()),
            ("parent_id", change.parent_id.is_some()),
        ]);
        tx.commit(AuditAction::Update, &format!("unit/{id}"), &detail)
            .await?;
        self.units()
            .await?
            .into_iter()
            .find(|u| u.id == id)
            .ok_or(CasesError::NotFound { what: "unit", id })
    }

    /// Every unit, by id.
    pub async fn units(&self) -> Result<Vec<Unit>, CasesError> {
        let rows: Vec<(i64, String, Option<i64>)> =
            sqlx::query_as("SELECT id, name, parent_id FROM units ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, parent_id)| Unit {
                id,
                name,
                parent_id,
            })
            .collect())
    }
}
