//! Credentials: a password gives a console session (crate::signin); a user may also hold API
//! tokens for integrations. Both are bearer secrets that are shown once and stored only as
//! their SHA-256, so a copy of the database signs nobody in.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Cases;
use crate::actor::{Actor, Role};
use crate::audit::AuditAction;
use crate::check::text;
use crate::error::CasesError;
use crate::users::User;

/// A console session ends after this long unused (30 minutes) ...
pub const SESSION_IDLE_MS: i64 = 30 * 60 * 1000;
/// ... and after this long in any case (12 hours: one shift).
pub const SESSION_MAX_MS: i64 = 12 * 60 * 60 * 1000;
/// The longest an API token may live: a year.
pub const TOKEN_MAX_MS: i64 = 366 * 24 * 60 * 60 * 1000;
/// Last use is written at most this often, not on every request.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// A console session or an API token.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A console session, made by signing in.
    Session,
    /// A token for another system to call the API with.
    ApiToken,
}

impl CredentialKind {
    fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::ApiToken => "api_token",
        }
    }

    /// The secret's prefix tells a leaked one's kind at a glance (and to secret scanners).
    fn prefix(self) -> &'static str {
        match self {
            CredentialKind::Session => "sargs_s_",
            CredentialKind::ApiToken => "sargs_t_",
        }
    }
}

/// A session or token as its holder may list it: never the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Credential {
    /// The credential's id.
    pub id: i64,
    /// Session or API token.
    pub kind: CredentialKind,
    /// A name for it, to tell it from the holder's others.
    pub label: String,
    /// The user it acts as.
    pub user_id: i64,
    /// When it was issued, in ms since the epoch UTC.
    pub created_ms: i64,
    /// When it stops working, in ms since the epoch UTC.
    pub expires_ms: i64,
    /// When it was last used, in ms since the epoch UTC; written at most once a minute.
    pub last_used_ms: i64,
}

/// A credential just issued, with its secret: the only time the secret is seen.
#[derive(Clone, Serialize)]
pub struct Issued {
    /// The credential as listed.
    pub credential: Credential,
    /// The secret to present, with its kind's prefix; never stored, only its hash.
    pub secret: String,
    /// The user it acts as.
    pub user: User,
}

/// Not derived: the secret must never reach a log.
impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn new_secret(kind: CredentialKind) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{}{}", kind.prefix(), hex::encode(bytes))
}

impl Cases {
    /// Issues an API token for the acting user, living until `expires_ms` (at most a year).
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        label: &str,
        expires_ms: i64,
    ) -> Result<Issued, CasesError> {
        let mut errors = Vec::new();
        text(&mut errors, "label", label, 100);
        let now = self.now_ms();
        if expires_ms <= now || expires_ms > now + TOKEN_MAX_MS {
            errors.push(crate::FieldError::coded(
                "expires",
                "expires_range",
                "must be in the future and within a year",
            ));
        }
        CasesError::check(errors)?;
        let Some(user_id) = actor.user_id else {
            return Err(CasesError::invalid("user", "only a user holds tokens"));
        };
        let user = self.user(user_id).await?;
        let mut tx = self.write_as(actor).await?;
        let issued = issue(
            &mut tx,
            &user,
            CredentialKind::ApiToken,
            label,
            expires_ms,
            self.now_ms(),
        )
        .await?;
        tx.commit(
            AuditAction::Create,
            &format!("token/{}", issued.credential.id),
            label,
        )
        .await?;
        Ok(issued)
    }

    /// The user a secret signs in, if it is a live credential of an enabled user.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<(User, i64)>, CasesError> {
        let now = self.now_ms();
        let row: Option<(i64, i64, String, i64, i64)> = sqlx::query_as(
            "SELECT c.id, c.user_id, c.kind, c.expires_ms, c.last_used_ms FROM credentials c
             JOIN users u ON u.id = c.user_id
             WHERE c.token_hash = $1 AND c.revoked_ms IS NULL AND u.disabled = 0",
        )
        .bind(token_hash(secret))
        .fetch_optional(self.pool())
        .await?;
        let Some((id, user_id, kind, expires_ms, last_used_ms)) = row else {
            return Ok(None);
        };
        if ended(&kind, expires_ms, last_used_ms, now) {
            return Ok(None);
        }
        if now - last_used_ms > TOUCH_EVERY_MS {
            // Recording the use is a write, and the storage may be refusing writes (a full
            // disk, privileges revoked): the user must still sign in then, to be told so. Not
            // recording it can only end the session sooner, never keep it alive.
            let touched = sqlx::query("UPDATE credentials SET last_used_ms = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(self.pool())
                .await;
            if let Err(error) = touched {
                tracing::warn!(credential = id, %error, "the credential's use was not recorded");
            }
        }
        Ok(Some((self.user(user_id).await?, id)))
    }

    /// The user credential `id` signs in, if it is still live (not revoked, expired or idle,
    /// the user not disabled), without counting as a use: how a long answer (the live feed)
    /// re-checks the credential it began with, which must not keep an idle session alive.
    pub async fn live_credential(&self, id: i64) -> Result<Option<User>, CasesError> {
        let row: Option<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT c.user_id, c.kind, c.expires_ms, c.last_used_ms FROM credentials c
             JOIN users u ON u.id = c.user_id
             WHERE c.id = $1 AND c.revoked_ms IS NULL AND u.disabled = 0",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some((user, kind, expires_ms, last_used_ms))
                if !ended(&kind, expires_ms, last_used_ms, self.now_ms()) =>
            {
                Ok(Some(self.user(user).await?))
            }
            _ => Ok(None),
        }
    }

    /// Ends a session or revokes a token of the acting user (an admin may revoke anyone's).
    pub async fn revoke(&self, actor: &Actor, credential: i64) -> Result<(), CasesError> {
        let mut tx = self.write_as(actor).await?;
        let owner: Option<(i64, String)> = sqlx::query_as(
            "SELECT user_id, kind FROM credentials WHERE id = $1 AND revoked_ms IS NULL",
        )
        .bind(credential)
        .fetch_optional(&mut *tx)
        .await?;
        let not_found = CasesError::NotFound {
            what: "credential",
            id: credential,
        };
        let Some((owner, kind)) = owner else {
            return Err(not_found);
        };
        if Some(owner) != actor.user_id && !actor.is(Role::Admin) {
            return Err(not_found);
        }
        sqlx::query("UPDATE credentials SET revoked_ms = $1 WHERE id = $2")
            .bind(self.now_ms())
            .bind(credential)
            .execute(&mut *tx)
            .await?;
        let action = if kind == CredentialKind::Session.as_str() {
            AuditAction::Logout
        } else {
            AuditAction::Update
        };
        tx.commit(action, &format!("token/{credential}"), "revoked")
            .await?;
        Ok(())
    }

    /// A user's live sessions and tokens.
    pub async fn credentials(&self, user_id: i64) -> Result<Vec<Credential>, CasesError> {
        let rows: Vec<(i64, String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT id, kind, label, created_ms, expires_ms, last_used_ms FROM credentials
             WHERE user_id = $1 AND revoked_ms IS NULL AND expires_ms > $2 ORDER BY id",
        )
        .bind(user_id)
        .bind(self.now_ms())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(id, kind, label, created_ms, expires_ms, last_used_ms)| {
                Ok(Credential {
                    id,
                    kind: crate::error::stored(
                        &[CredentialKind::Session, CredentialKind::ApiToken],
                        CredentialKind::as_str,
                        "credential kind",
                        &kind,
                    )?,
                    label,
                    user_id,
                    created_ms,
                    expires_ms,
                    last_used_ms,
                })
            })
            .collect()
    }
}

pub(crate) async fn issue(
    tx: &mut sqlx::AnyConnection,
    user: &User,
    kind: CredentialKind,
    label: &str,
    expires_ms: i64,
    now: i64,
) -> Result<Issued, CasesError> {
    let secret = new_secret(kind);
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO credentials (token_hash, user_id, kind, label, created_ms, expires_ms, last_used_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING id",
    )
    .bind(token_hash(&secret))
    .bind(user.id)
    .bind(kind.as_str())
    .bind(label)
    .bind(now)
    .bind(expires_ms)
    .fetch_one(&mut *tx)
    .await?;
    Ok(Issued {
        credential: Credential {
            id,
            kind,
            label: label.to_string(),
            user_id: user.id,
            created_ms: now,
            expires_ms,
            last_used_ms: now,
        },
        secret,
        user: user.clone(),
    })
}

/// Whether a credential of `kind` has ended by time: past its expiry, or a session unused for
/// longer than the idle limit.
fn ended(kind: &str, expires_ms: i64, last_used_ms: i64, now: i64) -> bool {
    let idle = kind == CredentialKind::Session.as_str() && now - last_used_ms > SESSION_IDLE_MS;
    expires_ms <= now || idle
}
