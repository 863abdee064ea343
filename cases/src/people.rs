//! Units, users and probation clients: who the monitoring concerns and who does it.
//!
//! Only what the work needs is kept: a client's name, personal code, date of birth, addresses
//! (with the zone a GPS fix must be in to count as at home), phone, language and risk notes.
//! Victims are in `victims.rs`.

use chrono::{Datelike, NaiveDate};
use rules::geometry::{CompiledShape, ZoneShape};
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::audit::{AuditAction, append, changed_fields};
use crate::check::{exists, phone_error, text};
use crate::error::{CasesError, FieldError, corrupt};
use crate::{Cases, now_ms, password};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Unit {
    pub id: i64,
    pub name: String,
    /// The territorial unit a department belongs to.
    pub parent_id: Option<i64>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<i64>,
}

/// A change to a unit: only the fields given change.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitChange {
    #[serde(default)]
    pub name: Option<String>,
}

/// A user as anyone may read it: never the password hash.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<i64>,
    /// For a court's users: the court, as orders name it.
    pub court: Option<String>,
    pub disabled: bool,
}

/// A user acting from `origin`. Made here, beside [`User`], rather than beside [`Actor`]: who
/// acts is known below the users (crate::actor), and must not need them.
impl Actor {
    pub fn user(user: &User, origin: impl Into<String>) -> Actor {
        Actor {
            user_id: Some(user.id),
            username: user.username.clone(),
            role: Some(user.role),
            unit_id: user.unit_id,
            court: user.court.clone(),
            origin: origin.into(),
        }
    }
}

#[derive(Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub court: Option<String>,
    pub password: String,
}

/// Not derived: the password must never reach a log.
impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A change to a user: only the fields given change. The role and username stay as made.
#[derive(Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Lifts a lock-out now.
    #[serde(default)]
    pub unlock: bool,
    #[serde(default)]
    pub password: Option<String>,
}

/// Not derived: the password must never reach a log.
impl std::fmt::Debug for UserChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChange")
            .field("display_name", &self.display_name)
            .field("unit_id", &self.unit_id)
            .field("disabled", &self.disabled)
            .field("unlock", &self.unlock)
            .finish_non_exhaustive()
    }
}

/// A place a client lives or stays: the curfew timetable names it by `id`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientAddress {
    /// Short and stable, such as `home`.
    pub id: String,
    /// As written on the order.
    pub street: String,
    /// Where a GPS fix counts as at this address (a circle or polygon, GeoJSON coordinates).
    pub zone: ZoneShape,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Client {
    pub id: i64,
    pub personal_code: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: NaiveDate,
    pub phone: Option<String>,
    /// The language to speak to them in (`lv`, `ru`, `en`, ...).
    pub language: String,
    pub risk_notes: String,
    /// The supervising officer.
    pub officer_id: i64,
    pub unit_id: i64,
    pub addresses: Vec<ClientAddress>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub personal_code: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: NaiveDate,
    #[serde(default)]
    pub phone: Option<String>,
    pub language: String,
    #[serde(default)]
    pub risk_notes: String,
    pub officer_id: i64,
    #[serde(default)]
    pub addresses: Vec<ClientAddress>,
}

/// A change to a client's record: only the fields given change. A new officer brings the
/// client into the officer's unit; new addresses must keep every open order's terms valid.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientChange {
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub risk_notes: Option<String>,
    #[serde(default)]
    pub officer_id: Option<i64>,
    #[serde(default)]
    pub addresses: Option<Vec<ClientAddress>>,
}

/// A Latvian personal code: 11 digits, written `DDMMYY-NNNNN` (the hyphen optional); codes
/// issued since 2017 begin with 32 and carry no date.
fn personal_code_error(code: &str) -> Option<&'static str> {
    let digits: String = code.chars().filter(|c| *c != '-').collect();
    let hyphen_ok = match code.find('-') {
        None => true,
        Some(at) => at == 6 && code.matches('-').count() == 1,
    };
    if digits.len() != 11 || !digits.chars().all(|c| c.is_ascii_digit()) || !hyphen_ok {
        return Some("must be 11 digits, as DDMMYY-NNNNN");
    }
    None
}

/// The personal code as stored: with the hyphen, so one person has one spelling.
fn normal_personal_code(code: &str) -> String {
    let digits: String = code.chars().filter(|c| *c != '-').collect();
    format!("{}-{}", &digits[..6], &digits[6..])
}

/// The addresses' ids are unique labels and their zones compile.
pub(crate) fn address_errors(addresses: &[ClientAddress]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, a) in addresses.iter().enumerate() {
        let at = format!("addresses[{i}]");
        text(&mut errors, &format!("{at}.id"), &a.id, 40);
        if !seen.insert(a.id.as_str()) {
            errors.push(FieldError::new(format!("{at}.id"), "is listed twice"));
        }
        text(&mut errors, &format!("{at}.street"), &a.street, 300);
        if let Err(e) = CompiledShape::compile(&a.zone) {
            errors.push(FieldError::new(format!("{at}.zone"), e.to_string()));
        }
    }
    errors
}

impl Cases {
    pub async fn create_unit(&self, actor: &Actor, new: &NewUnit) -> Result<Unit, CasesError> {
        let mut errors = Vec::new();
        text(&mut errors, "name", &new.name, 200);
        CasesError::check(errors)?;
        let mut tx = self.write().await?;
        if let Some(parent) = new.parent_id {
            // Territorial units and their departments: two levels, so that a supervisor of a
            // unit sees exactly it and its departments.
            let row: Option<(Option<i64>,)> =
                sqlx::query_as("SELECT parent_id FROM units WHERE id = $1")
                    .bind(parent)
                    .fetch_optional(&mut *tx)
                    .await?;
            match row {
                None => return Err(CasesError::invalid("parent_id", "no such unit")),
                Some((Some(_),)) => {
                    return Err(CasesError::invalid(
                        "parent_id",
                        "is a department; a department has no departments",
                    ));
                }
                Some((None,)) => {}
            }
        }
        let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM units WHERE name = $1")
            .bind(&new.name)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(CasesError::conflict("name", "a unit of this name exists"));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO units (name, parent_id, created_ms) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&new.name)
        .bind(new.parent_id)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            AuditAction::Create,
            &format!("unit/{id}"),
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(Unit {
            id,
            name: new.name.clone(),
            parent_id: new.parent_id,
        })
    }

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
        let mut tx = self.write().await?;
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
                return Err(CasesError::conflict("name", "a unit of this name exists"));
            }
            sqlx::query("UPDATE units SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        append(
            &mut tx,
            actor,
            AuditAction::Update,
            &format!("unit/{id}"),
            "name",
        )
        .await?;
        tx.commit().await?;
        self.units()
            .await?
            .into_iter()
            .find(|u| u.id == id)
            .ok_or(CasesError::NotFound { what: "unit", id })
    }

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

    /// Creates a user; the password is kept only as an argon2 hash.
    pub async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<User, CasesError> {
        let mut errors = Vec::new();
        let name_ok = (3..=64).contains(&new.username.len())
            && new
                .username
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !name_ok {
            errors.push(FieldError::new(
                "username",
                "must be 3 to 64 of a-z, 0-9, '.', '_' and '-'",
            ));
        }
        text(&mut errors, "display_name", &new.display_name, 200);
        password::policy_errors(
            &mut errors,
            "password",
            &new.password,
            &new.username,
            &new.display_name,
        );
        let needs_unit = matches!(new.role, Role::Officer | Role::Supervisor);
        if needs_unit && new.unit_id.is_none() {
            errors.push(FieldError::new(
                "unit_id",
                "an officer or supervisor belongs to a unit",
            ));
        }
        match (&new.court, new.role) {
            (None, Role::Court) => {
                errors.push(FieldError::new("court", "a court user names the court"))
            }
            (Some(court), Role::Court) => text(&mut errors, "court", court, 200),
            (Some(_), _) => {
                errors.push(FieldError::new("court", "only a court user names a court"))
            }
            (None, _) => {}
        }
        CasesError::check(errors)?;
        let hash = password::hash(&new.password).await?;
        let mut tx = self.write().await?;
        if let Some(unit) = new.unit_id {
            exists(&mut tx, "units", "unit_id", unit).await?;
        }
        let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
            .bind(&new.username)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(CasesError::conflict("username", "is taken"));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO users (username, display_name, role, unit_id, court, password_hash, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&new.username)
        .bind(&new.display_name)
        .bind(new.role.as_str())
        .bind(new.unit_id)
        .bind(new.court.as_deref())
        .bind(&hash)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let detail = format!("role {}", new.role.as_str());
        append(
            &mut tx,
            actor,
            AuditAction::Create,
            &format!("user/{id}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(User {
            id,
            username: new.username.clone(),
            display_name: new.display_name.clone(),
            role: new.role,
            unit_id: new.unit_id,
            court: new.court.clone(),
            disabled: false,
        })
    }

    pub async fn user(&self, id: i64) -> Result<User, CasesError> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, username, display_name, role, unit_id, court, disabled FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        user_of(row.ok_or(CasesError::NotFound { what: "user", id })?)
    }

    pub async fn create_client(
        &self,
        actor: &Actor,
        new: &NewClient,
    ) -> Result<Client, CasesError> {
        let mut errors = Vec::new();
        if let Some(reason) = personal_code_error(&new.personal_code) {
            errors.push(FieldError::new("personal_code", reason));
        }
        let today = chrono::Utc::now().date_naive();
        if new.birth_date > today || new.birth_date.year() < 1900 {
            errors.push(FieldError::new(
                "birth_date",
                "must be a past date after 1900",
            ));
        }
        errors.extend(client_field_errors(&ClientChange {
            given_name: Some(new.given_name.clone()),
            family_name: Some(new.family_name.clone()),
            phone: new.phone.clone(),
            language: Some(new.language.clone()),
            risk_notes: Some(new.risk_notes.clone()),
            officer_id: None,
            addresses: None,
        }));
        errors.extend(address_errors(&new.addresses));
        CasesError::check(errors)?;
        let code = normal_personal_code(&new.personal_code);
        let addresses =
            serde_json::to_string(&new.addresses).map_err(|e| corrupt("addresses", e))?;
        let mut tx = self.write().await?;
        let unit_id = officer_unit(&mut tx, new.officer_id).await?;
        let taken: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM clients WHERE personal_code = $1")
                .bind(&code)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(CasesError::conflict(
                "personal_code",
                "a probation client with this personal code is registered",
            ));
        }
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO clients (personal_code, given_name, family_name, birth_date, phone, language,
                                  risk_notes, officer_id, unit_id, addresses, created_ms, updated_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        )
        .bind(&code)
        .bind(&new.given_name)
        .bind(&new.family_name)
        .bind(new.birth_date.to_string())
        .bind(new.phone.as_deref())
        .bind(&new.language)
        .bind(&new.risk_notes)
        .bind(new.officer_id)
        .bind(unit_id)
        .bind(&addresses)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            AuditAction::Create,
            &format!("client/{id}"),
            "",
        )
        .await?;
        tx.commit().await?;
        self.client(id).await
    }

    /// Changes a client's record. New addresses must keep the terms of every order not yet
    /// ended valid (a curfew names them); they move the policy of an active order on.
    pub async fn update_client(
        &self,
        actor: &Actor,
        id: i64,
        change: &ClientChange,
    ) -> Result<Client, CasesError> {
        let mut errors = client_field_errors(change);
        if let Some(addresses) = &change.addresses {
            errors.extend(address_errors(addresses));
        }
        CasesError::check(errors)?;
        let mut tx = self.write().await?;
        let current = self.client(id).await?;
        let unit_id = match change.officer_id {
            Some(officer) => officer_unit(&mut tx, officer).await?,
            None => current.unit_id,
        };
        let addresses = change.addresses.as_ref().unwrap_or(&current.addresses);
        let addresses_json =
            serde_json::to_string(addresses).map_err(|e| corrupt("addresses", e))?;
        sqlx::query(
            "UPDATE clients SET given_name = $1, family_name = $2, phone = $3, language = $4,
                risk_notes = $5, officer_id = $6, unit_id = $7, addresses = $8, updated_ms = $9
             WHERE id = $10",
        )
        .bind(change.given_name.as_ref().unwrap_or(&current.given_name))
        .bind(change.family_name.as_ref().unwrap_or(&current.family_name))
        .bind(change.phone.as_ref().or(current.phone.as_ref()))
        .bind(change.language.as_ref().unwrap_or(&current.language))
        .bind(change.risk_notes.as_ref().unwrap_or(&current.risk_notes))
        .bind(change.officer_id.unwrap_or(current.officer_id))
        .bind(unit_id)
        .bind(&addresses_json)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if change.addresses.is_some() {
            crate::policy::recheck_orders(&mut tx, id).await?;
        }
        let detail = changed_fields(&[
            ("given_name", change.given_name.is_some()),
            ("family_name", change.family_name.is_some()),
            ("phone", change.phone.is_some()),
            ("language", change.language.is_some()),
            ("risk_notes", change.risk_notes.is_some()),
            ("officer_id", change.officer_id.is_some()),
            ("addresses", change.addresses.is_some()),
        ]);
        append(
            &mut tx,
            actor,
            AuditAction::Update,
            &format!("client/{id}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        self.client(id).await
    }

    /// Changes a user: name, unit, enabled, a new password, a lock lifted. `changed_with` is
    /// the session or token the change came with, if any (not a command on the server).
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: i64,
        change: &UserChange,
        changed_with: Option<i64>,
    ) -> Result<User, CasesError> {
        let current = self.user(id).await?;
        let mut errors = Vec::new();
        if let Some(name) = &change.display_name {
            text(&mut errors, "display_name", name, 200);
        }
        // Only an administrator changes users, so one who disabled themselves could be the
        // last: nobody could then sign in to enable anyone. Another administrator may.
        if change.disabled == Some(true) && actor.user_id == Some(id) {
            errors.push(FieldError::new(
                "disabled",
                "you cannot disable your own account; another administrator can",
            ));
        }
        if let Some(new) = &change.password {
            let display_name = change
                .display_name
                .as_deref()
                .unwrap_or(&current.display_name);
            password::policy_errors(
                &mut errors,
                "password",
                new,
                &current.username,
                display_name,
            );
        }
        CasesError::check(errors)?;
        let hash = match &change.password {
            Some(new) => Some(password::hash(new).await?),
            None => None,
        };
        let mut tx = self.write().await?;
        if let Some(unit) = change.unit_id {
            exists(&mut tx, "units", "unit_id", unit).await?;
        }
        sqlx::query(
            "UPDATE users SET display_name = $1, unit_id = $2, disabled = $3,
                password_hash = COALESCE($4, password_hash)
             WHERE id = $5",
        )
        .bind(
            change
                .display_name
                .as_ref()
                .unwrap_or(&current.display_name),
        )
        .bind(change.unit_id.or(current.unit_id))
        .bind(i64::from(change.disabled.unwrap_or(current.disabled)))
        .bind(hash)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if change.unlock {
            crate::signin::unlock(&mut tx, &current.username).await?;
        }
        if change.disabled == Some(true) || change.password.is_some() {
            // A disabled user or a changed password ends every session and token at once, but for
            // the one a user changes their own password with: whoever holds it could set the
            // password, so ending it would protect nothing, and it would lock them out were the
            // new one mistyped (or set by a program). Ids start at 1: 0 keeps none.
            let keep = if actor.user_id == Some(id) {
                changed_with.unwrap_or(0)
            } else {
                0
            };
            sqlx::query(
                "UPDATE credentials SET revoked_ms = $1
                 WHERE user_id = $2 AND revoked_ms IS NULL AND id <> $3",
            )
            .bind(now_ms())
            .bind(id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        }
        let detail = changed_fields(&[
            ("display_name", change.display_name.is_some()),
            ("unit_id", change.unit_id.is_some()),
            ("disabled", change.disabled.is_some()),
            ("unlock", change.unlock),
            ("password", change.password.is_some()),
        ]);
        append(
            &mut tx,
            actor,
            AuditAction::Update,
            &format!("user/{id}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        self.user(id).await
    }

    /// Users in id order after `after`, of one unit and its departments if given.
    pub async fn users(
        &self,
        unit_id: Option<i64>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<User>, CasesError> {
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT id, username, display_name, role, unit_id, court, disabled FROM users
             WHERE id > $1 AND ($2 IS NULL OR unit_id IN (SELECT id FROM units WHERE id = $2 OR parent_id = $2))
             ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(unit_id)
        .bind(limit.clamp(1, 500))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(user_of).collect()
    }

    pub async fn client(&self, id: i64) -> Result<Client, CasesError> {
        let row: Option<ClientRow> = sqlx::query_as(&format!("{CLIENT_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        client_of(row.ok_or(CasesError::NotFound { what: "client", id })?)
    }

    /// Clients in id order after `after`, at most `limit`, of one officer, or of one unit and its
    /// departments, if given.
    pub async fn clients(
        &self,
        officer_id: Option<i64>,
        unit_id: Option<i64>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Client>, CasesError> {
        let rows: Vec<ClientRow> = sqlx::query_as(&format!(
            "{CLIENT_SELECT} WHERE id > $1 AND ($2 IS NULL OR officer_id = $2)
               AND ($3 IS NULL OR unit_id IN (SELECT id FROM units WHERE id = $3 OR parent_id = $3))
             ORDER BY id LIMIT $4"
        ))
        .bind(after)
        .bind(officer_id)
        .bind(unit_id)
        .bind(limit.clamp(1, 500))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(client_of).collect()
    }
}

/// The fields a client's record shares between making and changing it.
fn client_field_errors(c: &ClientChange) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(name) = &c.given_name {
        text(&mut errors, "given_name", name, 200);
    }
    if let Some(name) = &c.family_name {
        text(&mut errors, "family_name", name, 200);
    }
    if let Some(reason) = c.phone.as_deref().and_then(phone_error) {
        errors.push(FieldError::new("phone", reason));
    }
    if let Some(language) = &c.language {
        let ok =
            (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
        if !ok {
            errors.push(FieldError::new(
                "language",
                "must be a language code such as lv, ru or en",
            ));
        }
    }
    if c.risk_notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > 4000)
    {
        errors.push(FieldError::new(
            "risk_notes",
            "must be at most 4000 characters",
        ));
    }
    errors
}

/// The unit of a supervising probation officer, who must be one.
async fn officer_unit(tx: &mut sqlx::AnyConnection, officer: i64) -> Result<i64, CasesError> {
    let row: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT role, unit_id FROM users WHERE id = $1 AND disabled = 0")
            .bind(officer)
            .fetch_optional(&mut *tx)
            .await?;
    match row {
        Some((role, Some(unit))) if role == Role::Officer.as_str() => Ok(unit),
        _ => Err(CasesError::invalid(
            "officer_id",
            "must be a supervising probation officer",
        )),
    }
}

type UserRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    i64,
);

fn user_of(
    (id, username, display_name, role, unit_id, court, disabled): UserRow,
) -> Result<User, CasesError> {
    Ok(User {
        id,
        username,
        display_name,
        role: Role::parse(&role)?,
        unit_id,
        court,
        disabled: disabled != 0,
    })
}

const CLIENT_SELECT: &str = "SELECT id, personal_code, given_name, family_name, birth_date, phone,
    language, risk_notes, officer_id, unit_id, addresses FROM clients";

type ClientRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    String,
);

fn client_of(row: ClientRow) -> Result<Client, CasesError> {
    let (
        id,
        personal_code,
        given_name,
        family_name,
        birth,
        phone,
        language,
        risk_notes,
        officer_id,
        unit_id,
        addresses,
    ) = row;
    Ok(Client {
        id,
        personal_code,
        given_name,
        family_name,
        birth_date: birth.parse().map_err(|e| corrupt("birth date", e))?,
        phone,
        language,
        risk_notes,
        officer_id,
        unit_id,
        addresses: serde_json::from_str(&addresses).map_err(|e| corrupt("addresses", e))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_codes() {
        for good in ["010190-12345", "01019012345", "321234-56789"] {
            assert_eq!(personal_code_error(good), None, "{good}");
        }
        for bad in [
            "",
            "0101901234",
            "010190-1234x",
            "0101-9012345",
            "010190--12345",
            "010190-123456",
        ] {
            assert!(personal_code_error(bad).is_some(), "{bad}");
        }
        assert_eq!(normal_personal_code("01019012345"), "010190-12345");
    }
}
