//! Users: who does the monitoring (operators, officers, supervisors, technicians, courts,
//! administrators), each with one role (crate::actor). A password is kept only as its argon2
//! hash (crate::password), which no [`User`] carries and no log shows. Signing in and
//! credentials build on this, above it: crate::signin and crate::auth.

use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::audit::{AuditAction, changed_fields};
use crate::check::{exists, text};
use crate::error::{CasesError, FieldError};
use crate::{Cases, password};

/// A user as anyone may read it: never the password hash.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct User {
    /// The user's id in the case records.
    pub id: i64,
    /// The name they sign in with; unique, and never changed.
    pub username: String,
    /// The name shown to others.
    pub display_name: String,
    /// What they do, and so what they may see.
    pub role: Role,
    /// Their unit, if they have one.
    pub unit_id: Option<i64>,
    /// For a court's users: the court, as orders name it.
    pub court: Option<String>,
    /// A disabled user can neither sign in nor use their tokens.
    pub disabled: bool,
    /// Until when sign-in is locked after too many wrong passwords (ms since the epoch UTC);
    /// none when it is not locked now. An administrator may lift it ([`UserChange::unlock`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until_ms: Option<i64>,
}

/// A user acting from `origin`. Made here, beside [`User`], rather than beside [`Actor`]: who
/// acts is known below the users (crate::actor), and must not need them.
impl Actor {
    /// The actor a signed-in user acts as, from `origin` (the request's peer address).
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

/// A user to create.
#[derive(Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The name they sign in with; unique.
    pub username: String,
    /// The name shown to others.
    pub display_name: String,
    /// What they do, and so what they may see.
    pub role: Role,
    /// Their unit, if they have one.
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// For a court's users: the court, as orders name it.
    #[serde(default)]
    pub court: Option<String>,
    /// The first password; only its hash is kept.
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

/// A change to a user: only the fields given change. The username stays as made.
#[derive(Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// A new name shown to others.
    #[serde(default)]
    pub display_name: Option<String>,
    /// A new role: an officer or supervisor needs a unit, a court user a court. Nobody changes
    /// their own role (another administrator can).
    #[serde(default)]
    pub role: Option<Role>,
    /// The court of a court user (required when the role becomes court; cleared when it
    /// becomes another).
    #[serde(default)]
    pub court: Option<String>,
    /// A new unit.
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// Disables (true) or enables (false) the user's sign-in.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Lifts a lock-out now.
    #[serde(default)]
    pub unlock: bool,
    /// A new password; only its hash is kept.
    #[serde(default)]
    pub password: Option<String>,
}

/// Not derived: the password must never reach a log.
impl std::fmt::Debug for UserChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChange")
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("unit_id", &self.unit_id)
            .field("disabled", &self.disabled)
            .field("unlock", &self.unlock)
            .finish_non_exhaustive()
    }
}

impl Cases {
    /// Creates a user; the password is kept only as an argon2 hash.
    pub async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<User, CasesError> {
        let mut errors = Vec::new();
        let name_ok = (3..=64).contains(&new.username.len())
            && new
                .username
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !name_ok {
            errors.push(FieldError::coded(
                "username",
                "username_format",
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
        role_errors(&mut errors, new.role, new.unit_id, new.court.as_deref());
        CasesError::check(errors)?;
        let hash = password::hash(&new.password).await?;
        let mut tx = self.write_as(actor).await?;
        if let Some(unit) = new.unit_id {
            exists(&mut tx, "units", "unit_id", unit).await?;
        }
        let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
            .bind(&new.username)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(CasesError::Conflict(vec![FieldError::coded(
                "username",
                "username_taken",
                "is taken",
            )]));
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
        .bind(self.now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let detail = format!("role {}", new.role.as_str());
        tx.commit(AuditAction::Create, &format!("user/{id}"), &detail)
            .await?;
        Ok(User {
            id,
            username: new.username.clone(),
            display_name: new.display_name.clone(),
            role: new.role,
            unit_id: new.unit_id,
            court: new.court.clone(),
            disabled: false,
            locked_until_ms: None,
        })
    }

    /// A user, by id; [`CasesError::NotFound`] if there is none.
    pub async fn user(&self, id: i64) -> Result<User, CasesError> {
        let row: Option<UserRow> = sqlx::query_as(&format!("{USER_SELECT} WHERE u.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        user_of(
            row.ok_or(CasesError::NotFound { what: "user", id })?,
            self.now_ms(),
        )
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
            errors.push(FieldError::coded(
                "disabled",
                "own_account",
                "you cannot disable your own account; another administrator can",
            ));
        }
        // Likewise their own role: the last administrator could make themselves an operator.
        let role = change.role.unwrap_or(current.role);
        if role != current.role && actor.user_id == Some(id) {
            errors.push(FieldError::coded(
                "role",
                "own_account",
                "you cannot change your own role; another administrator can",
            ));
        }
        // The court stays a court user's; another role has none.
        let court = match role {
            Role::Court => change.court.clone().or(current.court.clone()),
            _ if change.court.is_some() => change.court.clone(),
            _ => None,
        };
        let unit = change.unit_id.or(current.unit_id);
        if change.role.is_some() || change.court.is_some() {
            role_errors(&mut errors, role, unit, court.as_deref());
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
        let mut tx = self.write_as(actor).await?;
        if let Some(unit) = change.unit_id {
            exists(&mut tx, "units", "unit_id", unit).await?;
        }
        // A case manager with a caseload stays one until it is handed over: their clients'
        // alerts would otherwise go to someone who no longer manages cases.
        if current.role == Role::Officer && role != Role::Officer {
            let caseload: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM clients WHERE officer_id = $1 LIMIT 1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if caseload.is_some() {
                return Err(CasesError::Conflict(vec![FieldError::coded(
                    "role",
                    "has_caseload",
                    "the case manager has clients; hand them over first",
                )]));
            }
        }
        sqlx::query(
            "UPDATE users SET display_name = $1, unit_id = $2, disabled = $3,
                password_hash = COALESCE($4, password_hash), role = $5, court = $6
             WHERE id = $7",
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
        .bind(role.as_str())
        .bind(court.as_deref())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if change.unlock {
            unlock(&mut tx, &current.username).await?;
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
            .bind(self.now_ms())
            .bind(id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        }
        let detail = changed_fields(&[
            ("display_name", change.display_name.is_some()),
            ("role", change.role.is_some()),
            ("court", change.court.is_some()),
            ("unit_id", change.unit_id.is_some()),
            ("disabled", change.disabled.is_some()),
            ("unlock", change.unlock),
            ("password", change.password.is_some()),
        ]);
        tx.commit(AuditAction::Update, &format!("user/{id}"), &detail)
            .await?;
        self.user(id).await
    }

    /// Users in id order after `after`, of one unit and its departments if given, and whose
    /// user name or display name holds `search` (any case) if given.
    pub async fn users(
        &self,
        unit_id: Option<i64>,
        search: Option<&str>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<User>, CasesError> {
        let limit = usize::try_from(limit.clamp(1, 500)).unwrap_or(500);
        let sql = format!(
            "{USER_SELECT} WHERE u.id > $1
               AND ($2 IS NULL OR u.unit_id IN (SELECT id FROM units WHERE id = $2 OR parent_id = $2))
             ORDER BY u.id LIMIT $3"
        );
        let now = self.now_ms();
        let Some(search) = search.map(str::to_lowercase) else {
            let rows: Vec<UserRow> = sqlx::query_as(&sql)
                .bind(after)
                .bind(unit_id)
                .bind(i64::try_from(limit).unwrap_or(500))
                .fetch_all(self.pool())
                .await?;
            return rows.into_iter().map(|r| user_of(r, now)).collect();
        };
        // Names are matched here rather than in SQL, so that "bērziņa" finds "Bērziņa" on every
        // backend (SQLite lowercases ASCII only). An agency's users are hundreds: read in pages.
        let mut found = Vec::new();
        let mut at = after;
        loop {
            let rows: Vec<UserRow> = sqlx::query_as(&sql)
                .bind(at)
                .bind(unit_id)
                .bind(500_i64)
                .fetch_all(self.pool())
                .await?;
            let short = rows.len() < 500;
            for row in rows {
                at = row.0;
                if row.1.contains(&search) || row.2.to_lowercase().contains(&search) {
                    found.push(user_of(row, now)?);
                    if found.len() == limit {
                        return Ok(found);
                    }
                }
            }
            if short {
                return Ok(found);
            }
        }
    }
}

/// What is wrong with a user's role, unit and court together: an officer or supervisor
/// belongs to a unit, a court user names the court, and nobody else names one.
fn role_errors(errors: &mut Vec<FieldError>, role: Role, unit: Option<i64>, court: Option<&str>) {
    if matches!(role, Role::Officer | Role::Supervisor) && unit.is_none() {
        errors.push(FieldError::coded(
            "unit_id",
            "unit_required",
            "an officer or supervisor belongs to a unit",
        ));
    }
    match (court, role) {
        (None, Role::Court) => errors.push(FieldError::coded(
            "court",
            "court_required",
            "a court user names the court",
        )),
        (Some(court), Role::Court) => text(errors, "court", court, 200),
        (Some(_), _) => errors.push(FieldError::coded(
            "court",
            "court_only",
            "only a court user names a court",
        )),
        (None, _) => {}
    }
}

/// Lifts a lock-out of `username` (an administrator's unlock): its count starts again. The
/// lock-out is crate::signin's; lifting it is part of changing the user, so it is here.
pub(crate) async fn unlock(tx: &mut sqlx::AnyConnection, username: &str) -> Result<(), CasesError> {
    sqlx::query("DELETE FROM sign_in_guard WHERE username = $1")
        .bind(username)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

type UserRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    i64,
    Option<i64>,
);

/// A user with the lock on their name (crate::signin keeps it per name tried).
const USER_SELECT: &str =
    "SELECT u.id, u.username, u.display_name, u.role, u.unit_id, u.court, u.disabled,
            g.locked_until_ms
     FROM users u LEFT JOIN sign_in_guard g ON g.username = u.username";

/// A user as read at `now_ms`: a lock that has ended is none.
fn user_of(
    (id, username, display_name, role, unit_id, court, disabled, locked): UserRow,
    now_ms: i64,
) -> Result<User, CasesError> {
    Ok(User {
        id,
        username,
        display_name,
        role: Role::parse(&role)?,
        unit_id,
        court,
        disabled: disabled != 0,
        locked_until_ms: locked.filter(|&until| until > now_ms),
    })
}
