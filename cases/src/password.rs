//! Passwords: what a new one must be, and hashing and checking them with argon2.
//!
//! argon2 is slow on purpose (tens of milliseconds of one core, and 19 MiB), so it never runs
//! on the async workers that also carry ingest's ACKs: every hash and check goes to tokio's
//! blocking threads, at most one fewer than the cores at a time, and the rest wait their turn;
//! so a flood of sign-ins slows sign-ins, not devices. Sign-ins waiting are bounded too: past
//! [`CHECKS_PER_THREAD`] per thread a sign-in is turned away at once ([`ticket`]).
//!
//! A new password is refused, before anything costly is done with it, when it is shorter than
//! [`MIN_PASSWORD_CHARS`] or longer than [`MAX_PASSWORD_BYTES`]; then when zxcvbn's estimate
//! of how guessable it is scores below 3 (of 0..=4), or when it holds the user name or the
//! display name. Each refusal has a stable code that the console words in its own languages.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::error::{CasesError, FieldError, corrupt};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted, in bytes: checked before any hashing or estimating, so a
/// megabyte of password costs nothing to refuse.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// The least zxcvbn score (0 to 4) accepted: 3 is "safely unguessable: moderate protection
/// from an offline slow-hash scenario" (fewer than 10^10 guesses would not find it).
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// What is wrong with a new password for the user `username` called `display_name`, if
/// anything: pushed on `errors` under `field`, with a code for the console's catalogs.
pub(crate) fn policy_errors(
    errors: &mut Vec<FieldError>,
    field: &str,
    password: &str,
    username: &str,
    display_name: &str,
) {
    // The cheap checks first, and the estimator only on a password of sane size.
    if password.len() > MAX_PASSWORD_BYTES {
        errors.push(FieldError::coded(
            field,
            "password_too_long",
            format!("must be at most {MAX_PASSWORD_BYTES} bytes"),
        ));
        return;
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(FieldError::coded(
            field,
            "password_too_short",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
        return;
    }
    let lower = password.to_lowercase();
    // The display name whole and each of its words: "Ilze Ozola" is in "ozola2024!Ilze".
    let names = std::iter::once(username)
        .chain(std::iter::once(display_name))
        .chain(display_name.split_whitespace())
        .map(str::trim)
        .filter(|n| n.chars().count() >= 3);
    if names
        .clone()
        .any(|name| lower.contains(&name.to_lowercase()))
    {
        errors.push(FieldError::coded(
            field,
            "password_contains_name",
            "must not contain the user name or the display name",
        ));
        return;
    }
    let inputs: Vec<&str> = names.collect();
    if zxcvbn::zxcvbn(password, &inputs).score() < MIN_SCORE {
        errors.push(FieldError::coded(
            field,
            "password_weak",
            "is too easy to guess: use a longer phrase of unrelated words",
        ));
    }
}

/// The blocking threads argon2 may use at once: one fewer than the cores (at least one), so
/// that the async workers always have a core.
struct Pool {
    threads: Semaphore,
    /// Sign-in checks holding a [`Ticket`]: running or waiting their turn.
    checks: AtomicUsize,
    most_checks: usize,
}

/// Sign-in checks let wait per thread: about half a second of argon2 each. Beyond that a
/// sign-in is refused at once rather than queued, so a flood cannot pile up waiting requests
/// (and their connections) without end.
const CHECKS_PER_THREAD: usize = 32;

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let threads = cores.saturating_sub(1).max(1);
        Pool {
            threads: Semaphore::new(threads),
            checks: AtomicUsize::new(0),
            most_checks: threads * CHECKS_PER_THREAD,
        }
    })
}

/// A place in the queue for a sign-in's password check, given back when dropped.
pub(crate) struct Ticket(());

impl Drop for Ticket {
    fn drop(&mut self) {
        pool().checks.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A place for one password check, or None when as many are already running or waiting as
/// the pool may queue.
pub(crate) fn ticket() -> Option<Ticket> {
    let pool = pool();
    let taken = pool
        .checks
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n < pool.most_checks).then_some(n + 1)
        })
        .is_ok();
    // Made only when taken: a Ticket made and dropped would give back a place never taken.
    taken.then(|| Ticket(()))
}

/// Runs `work` on a blocking thread when the pool has room.
async fn on_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CasesError> {
    let _permit = pool()
        .threads
        .acquire()
        .await
        .map_err(|e| CasesError::Corrupt(format!("the password pool closed: {e}")))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| CasesError::Corrupt(format!("password hashing failed: {e}")))
}

/// The argon2 hash of a new password, with a fresh salt.
pub(crate) async fn hash(password: &str) -> Result<String, CasesError> {
    let password = password.to_string();
    on_pool(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| CasesError::Corrupt(format!("cannot hash a password: {e}")))
    })
    .await?
}

/// A hash to check against when there is no user, so that a wrong name costs what a wrong
/// password does.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"no such user, no such password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Whether `password` is the one hashed in `hash`; with no hash (no such user), a check as
/// costly against a decoy, which never matches. A password longer than any accepted is wrong
/// without being hashed. The ticket is the check's place in the queue.
pub(crate) async fn matches(
    _ticket: Ticket,
    hash: Option<String>,
    password: &str,
) -> Result<bool, CasesError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Ok(false);
    }
    let password = password.to_string();
    on_pool(move || {
        let real = hash.is_some();
        let hash = hash.as_deref().unwrap_or_else(|| decoy());
        let parsed = PasswordHash::new(hash).map_err(|e| corrupt("password hash", e))?;
        let right = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(real && right)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(password: &str) -> Vec<&'static str> {
        let mut errors = Vec::new();
        policy_errors(
            &mut errors,
            "password",
            password,
            "ilze.ozola",
            "Ilze Ozola",
        );
        errors.into_iter().filter_map(|e| e.code).collect()
    }

    #[test]
    fn the_check_queue_is_bounded() {
        let mut held = Vec::new();
        while let Some(place) = ticket() {
            held.push(place);
            assert!(
                held.len() <= pool().most_checks,
                "never more than the bound"
            );
        }
        assert_eq!(held.len(), pool().most_checks);
        assert!(
            ticket().is_none(),
            "a sign-in past the bound is turned away"
        );
        held.pop();
        assert!(ticket().is_some(), "a place given back is taken again");
    }

    #[test]
    fn the_policy_says_why() {
        assert_eq!(codes("short"), ["password_too_short"]);
        assert_eq!(codes(&"x".repeat(1_000_000)), ["password_too_long"]);
        assert_eq!(
            codes(&"ā".repeat(MAX_PASSWORD_BYTES / 2 + 1)),
            ["password_too_long"]
        );
        assert_eq!(codes("aaaaaaaaaaaa"), ["password_weak"]);
        assert_eq!(codes("password1234"), ["password_weak"]);
        assert_eq!(codes("ILZE.OZOLA-likes-tea"), ["password_contains_name"]);
        assert_eq!(codes("tea with Ozola at nine"), ["password_contains_name"]);
        assert!(codes("correct horse battery").is_empty());
        assert!(codes("granite tulip seventy ferry").is_empty());
    }
}
