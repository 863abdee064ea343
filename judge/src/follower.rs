//! A follower of the episode log that writes in the judge's own transaction.
//!
//! The alerts follow what the judge logs. Taking the changes in a transaction of their own
//! costs them a second turn at SQLite's one write lock, which under load is a wait behind
//! ingest's commits of a few hundred milliseconds between an episode being judged and its
//! alert. So a step that logs changes lets the follower take them in its own transaction,
//! inside a savepoint: the alert commits with the episode behind it. A follower that fails
//! there only has its own writes rolled back; the step commits, and the follower takes the
//! changes later in a transaction of its own, as without it.

use std::future::Future;
use std::pin::Pin;

use store::WriteTx;

/// A boxed future, so that the follower can be held as a trait object.
pub type FollowFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a follower's failure inside a step is: logged, never the step's failure.
pub type FollowError = Box<dyn std::error::Error + Send + Sync>;

/// What follows the episode log inside the judge's steps (the alerts): it takes each step's
/// changes in the step's own transaction, so an episode is never stored without its follow-up.
pub trait EpisodeFollower: Send + Sync {
    /// Takes the episode changes logged so far, this step's included, in the step's
    /// transaction `tx`.
    fn follow_in<'a>(&'a self, tx: &'a mut WriteTx) -> FollowFuture<'a, Result<(), FollowError>>;

    /// The step's transaction has committed what `follow_in` wrote.
    fn committed(&self) -> FollowFuture<'_, ()>;
}

/// Runs `follower` in `tx` within a savepoint; whether it wrote anything that stays.
pub(crate) async fn follow_in_step(
    follower: &dyn EpisodeFollower,
    tx: &mut WriteTx,
) -> Result<bool, sqlx::Error> {
    sqlx::query("SAVEPOINT episode_follower")
        .execute(&mut **tx)
        .await?;
    match follower.follow_in(tx).await {
        Ok(()) => {
            sqlx::query("RELEASE SAVEPOINT episode_follower")
                .execute(&mut **tx)
                .await?;
            Ok(true)
        }
        Err(error) => {
            tracing::warn!(%error, "the episode follower failed in a judge step; it takes the changes later");
            sqlx::query("ROLLBACK TO SAVEPOINT episode_follower")
                .execute(&mut **tx)
                .await?;
            sqlx::query("RELEASE SAVEPOINT episode_follower")
                .execute(&mut **tx)
                .await?;
            Ok(false)
        }
    }
}
