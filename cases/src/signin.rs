//! Signing in with a name and a password, and the lock-out that stops guessing.
//!
//! Lock-out is kept per name tried, whether or not a user has it, so that an unknown name
//! answers exactly as a real one does (and costs as much: its password is checked against a
//! decoy hash). Each name may have [`MAX_FAILURES`] passwords checked in a window of
//! [`LOCKOUT_MS`]; the check that makes that many wrong ones locks the name for [`LOCKOUT_MS`],
//! during which nothing is checked and even the right password is refused.
//!
//! The count is claimed in the database before argon2 runs, by one conditional UPDATE that
//! raises it only while it is under the limit and the name is not locked: however many
//! sign-ins arrive at once, on one node or many, at most [`MAX_FAILURES`] passwords are checked
//! per window. A right password gives its own claim back, and is refused after all if a lock
//! began while it was being checked.
//!
//! A sign-in first takes a place in the bounded queue for password checks
//! (crate::password::ticket); when it is full the answer is [`Refusal::Busy`] at once, with
//! nothing claimed or counted.
//!
//! Refusals are counted per name, address and minute and written to the audit log as one entry
//! each when the minute is over ([`Cases::flush_sign_in_refusals`]), so a flood of wrong
//! passwords grows the append-only log by one entry per name, address and minute, not one per
//! attempt. Sign-ins are recorded one by one.

use std::sync::atomic::Ordering;

use store::WriteTx;

use crate::actor::Actor;
use crate::audit::{AuditAction, append};
use crate::auth::{CredentialKind, Issued, SESSION_MAX_MS, issue};
use crate::error::CasesError;
use crate::{Cases, password};

/// Passwords checked for one name in a window before it locks.
pub const MAX_FAILURES: i64 = 5;
/// The window in which [`MAX_FAILURES`] are counted, and how long a lock lasts: 15 minutes.
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;
/// Refusals are counted in minutes.
const MINUTE_MS: i64 = 60 * 1000;
/// No user name is longer; a longer name tried is counted under its first this many characters,
/// so a row costs what a real name's does.
const NAME_CHARS: usize = 64;

/// Why a sign-in was refused. Deliberately coarse: the name and the password are not told apart.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The name or the password is wrong (which, is not told).
    WrongNameOrPassword,
    /// Too many wrong passwords; try again after this instant.
    LockedOut {
        /// When the lock-out ends, in ms since the epoch UTC.
        until_ms: i64,
    },
    /// Too many sign-ins are waiting for their passwords to be checked; try again shortly.
    /// Nothing was checked or counted.
    Busy,
}

/// Refusals of one name from one address in one minute.
#[derive(Default)]
struct Tally {
    /// Passwords checked and found wrong.
    wrong: i64,
    /// Sign-ins refused because the name was locked.
    locked: i64,
    /// Locks begun.
    lockouts: i64,
}

fn minute_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(MINUTE_MS)
}

impl Cases {
    /// Checks a password and opens a console session. `origin` is where the request came from,
    /// for the audit log.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        origin: &str,
    ) -> Result<Result<Issued, Refusal>, CasesError> {
        let name: String = username.chars().take(NAME_CHARS).collect();
        // A place in the check queue first: a sign-in turned away claims nothing.
        let Some(ticket) = password::ticket() else {
            return Ok(Err(Refusal::Busy));
        };
        self.flush_ended_sign_in_refusals().await?;
        if let Some(until_ms) = self.claim_check(&name, origin).await? {
            return Ok(Err(Refusal::LockedOut { until_ms }));
        }
        let row: Option<(i64, String, i64)> =
            sqlx::query_as("SELECT id, password_hash, disabled FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(self.pool())
                .await?;
        // A disabled user is no user: checked against the decoy, never right.
        let user = row.filter(|&(_, _, disabled)| disabled == 0);
        let hash = user.as_ref().map(|(_, hash, _)| hash.clone());
        let right = password::matches(ticket, hash, password).await?;
        match user.filter(|_| right) {
            Some((id, _, _)) => self.signed_in(id, &name, origin).await,
            None => self.wrong_password(&name, origin).await,
        }
    }

    /// Claims one password check for `name`; if its window is used up or it is locked, the
    /// instant to try again after instead (and the refusal is counted).
    async fn claim_check(&self, name: &str, origin: &str) -> Result<Option<i64>, CasesError> {
        let now = self.now_ms();
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "INSERT INTO sign_in_guard (username, window_start_ms, attempts) VALUES ($1, $2, 0)
             ON CONFLICT (username) DO NOTHING",
        )
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // One statement, so that no two sign-ins can both take the last check; an ended window
        // starts again at this one.
        let claimed: Option<(i64,)> = sqlx::query_as(
            "UPDATE sign_in_guard SET
                window_start_ms = CASE WHEN window_start_ms <= $2 THEN $3 ELSE window_start_ms END,
                attempts = CASE WHEN window_start_ms <= $2 THEN 1 ELSE attempts + 1 END
             WHERE username = $1
               AND (locked_until_ms IS NULL OR locked_until_ms <= $3)
               AND (attempts < $4 OR window_start_ms <= $2)
             RETURNING attempts",
        )
        .bind(name)
        .bind(now - LOCKOUT_MS)
        .bind(now)
        .bind(MAX_FAILURES)
        .fetch_optional(&mut *tx)
        .await?;
        let refused = match claimed {
            Some(_) => None,
            None => {
                let until_ms = lock_in_force(&mut tx, name, now)
                    .await?
                    // The window is used up by checks still running; the lock they will set
                    // ends about a lock-out from now.
                    .unwrap_or(now + LOCKOUT_MS);
                let locked = Tally {
                    locked: 1,
                    ..Tally::default()
                };
                tally(&mut tx, name, origin, now, &locked).await?;
                Some(until_ms)
            }
        };
        tx.commit().await?;
        Ok(refused)
    }

    async fn wrong_password(
        &self,
        name: &str,
        origin: &str,
    ) -> Result<Result<Issued, Refusal>, CasesError> {
        let now = self.now_ms();
        let mut tx = self.store.begin_write().await?;
        // The check that used up the window locks the name (once: a lock in force stays).
        let locked: Option<(i64,)> = sqlx::query_as(
            "UPDATE sign_in_guard SET locked_until_ms = $2
             WHERE username = $1 AND attempts >= $3
               AND (locked_until_ms IS NULL OR locked_until_ms <= $4)
             RETURNING locked_until_ms",
        )
        .bind(name)
        .bind(now + LOCKOUT_MS)
        .bind(MAX_FAILURES)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let counts = Tally {
            wrong: 1,
            lockouts: i64::from(locked.is_some()),
            ..Tally::default()
        };
        tally(&mut tx, name, origin, now, &counts).await?;
        tx.commit().await?;
        Ok(Err(match locked {
            Some((until_ms,)) => Refusal::LockedOut { until_ms },
            None => Refusal::WrongNameOrPassword,
        }))
    }

    async fn signed_in(
        &self,
        user_id: i64,
        name: &str,
        origin: &str,
    ) -> Result<Result<Issued, Refusal>, CasesError> {
        let now = self.now_ms();
        let user = self.user(user_id).await?;
        let mut tx = self.write().await?;
        // Gives this check's claim back, unless a lock began while it ran.
        let released: Option<(i64,)> = sqlx::query_as(
            "UPDATE sign_in_guard SET attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
             WHERE username = $1 AND (locked_until_ms IS NULL OR locked_until_ms <= $2)
             RETURNING attempts",
        )
        .bind(name)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if released.is_none()
            && let Some(until_ms) = lock_in_force(&mut tx, name, now).await?
        {
            let locked = Tally {
                locked: 1,
                ..Tally::default()
            };
            tally(&mut tx, name, origin, now, &locked).await?;
            tx.commit().await?;
            return Ok(Err(Refusal::LockedOut { until_ms }));
        }
        let issued = issue(
            &mut tx,
            &user,
            CredentialKind::Session,
            "console",
            now + SESSION_MAX_MS,
            now,
        )
        .await?;
        append(
            &mut tx,
            &Actor::user(&user, origin),
            rules::Timestamp(now),
            AuditAction::Login,
            "session",
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(issued))
    }

    /// Writes the refusals counted in every minute that began before `before_ms` to the audit
    /// log, one entry per name, address and minute, and forgets the lock-out counts whose
    /// window and lock have ended. The counts wait in the database until then, so a restart
    /// loses none. Returns the entries written.
    pub async fn flush_sign_in_refusals(&self, before_ms: i64) -> Result<usize, CasesError> {
        let now = self.now_ms();
        let mut tx = self.write().await?;
        let rows: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT username, origin, minute_ms, wrong, locked, lockouts FROM sign_in_refusals
             WHERE minute_ms < $1 ORDER BY minute_ms, username, origin",
        )
        .bind(before_ms)
        .fetch_all(&mut *tx)
        .await?;
        for (username, origin, minute_ms, wrong, locked, lockouts) in &rows {
            // Nobody is signed in: the entry names the name tried, under no user id.
            let actor = Actor {
                username: username.clone(),
                ..Actor::system(origin.clone())
            };
            let minute = chrono::DateTime::from_timestamp_millis(*minute_ms)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            let detail = format!(
                "refused in the minute from {minute}: {wrong} wrong, {locked} while locked out, \
                 {lockouts} lock-outs begun"
            );
            append(
                &mut tx,
                &actor,
                self.store.now(),
                AuditAction::LoginRefused,
                "session",
                &detail,
            )
            .await?;
        }
        sqlx::query("DELETE FROM sign_in_refusals WHERE minute_ms < $1")
            .bind(before_ms)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM sign_in_guard WHERE window_start_ms <= $1
               AND (locked_until_ms IS NULL OR locked_until_ms <= $2)",
        )
        .bind(now - LOCKOUT_MS)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Writes the refusals of the minutes that have ended ([`Cases::flush_sign_in_refusals`]),
    /// at most once a minute per process: each sign-in calls it, and sargs each minute.
    pub async fn flush_ended_sign_in_refusals(&self) -> Result<(), CasesError> {
        let minute = minute_of(self.now_ms());
        if self.refusals_flushed.swap(minute, Ordering::Relaxed) < minute {
            self.flush_sign_in_refusals(minute).await?;
        }
        Ok(())
    }
}

/// When the lock on `name` ends, if one is in force.
async fn lock_in_force(tx: &mut WriteTx, name: &str, now: i64) -> Result<Option<i64>, CasesError> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT locked_until_ms FROM sign_in_guard WHERE username = $1")
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.and_then(|(until,)| until).filter(|&until| until > now))
}

async fn tally(
    tx: &mut WriteTx,
    name: &str,
    origin: &str,
    now: i64,
    counts: &Tally,
) -> Result<(), CasesError> {
    sqlx::query(
        "INSERT INTO sign_in_refusals (username, origin, minute_ms, wrong, locked, lockouts)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (username, origin, minute_ms) DO UPDATE SET
            wrong = sign_in_refusals.wrong + excluded.wrong,
            locked = sign_in_refusals.locked + excluded.locked,
            lockouts = sign_in_refusals.lockouts + excluded.lockouts",
    )
    .bind(name)
    .bind(origin)
    .bind(minute_of(now))
    .bind(counts.wrong)
    .bind(counts.locked)
    .bind(counts.lockouts)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
