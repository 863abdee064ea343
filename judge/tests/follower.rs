//! A follower of the episode log takes a step's changes in the step's own transaction, where
//! it sees them before they commit; one that fails there has its own writes rolled back and
//! does not stop the judge. On SQLite, and on PostgreSQL when SARGS_TEST_DATABASE_URL names a
//! server.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use judge::EpisodeFollower;
use judge::EpisodeState;
use judge::follower::{FollowError, FollowFuture};
use store::testing::test_databases;
use store::{Store, WriteTx};

/// Notes how many changes were logged each time it is called, and its commits.
#[derive(Default)]
struct Counting {
    seen: std::sync::Mutex<Vec<usize>>,
    committed: AtomicUsize,
}

impl EpisodeFollower for Counting {
    fn follow_in<'a>(&'a self, tx: &'a mut WriteTx) -> FollowFuture<'a, Result<(), FollowError>> {
        Box::pin(async move {
            let logged = judge::records::changes_after(&mut **tx, 0, 10_000).await?;
            self.seen.lock().map_err(|_| "poisoned")?.push(logged.len());
            Ok(())
        })
    }

    fn committed(&self) -> FollowFuture<'_, ()> {
        self.committed.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
}

/// Deletes every stored episode, then fails.
#[derive(Default)]
struct Failing {
    committed: AtomicUsize,
}

impl EpisodeFollower for Failing {
    fn follow_in<'a>(&'a self, tx: &'a mut WriteTx) -> FollowFuture<'a, Result<(), FollowError>> {
        Box::pin(async move {
            sqlx::query("DELETE FROM episodes")
                .execute(&mut **tx)
                .await?;
            Err("the follower refuses".into())
        })
    }

    fn committed(&self) -> FollowFuture<'_, ()> {
        self.committed.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {})
    }
}

#[tokio::test]
async fn a_follower_takes_each_steps_changes_in_the_steps_transaction() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let follower = Arc::new(Counting::default());
        let judge = start_followed(&store, &clock, Some(follower.clone())).await;
        write(&w.telemetry, &evening()).await;
        judge.catch_up().await.expect("judged");

        let logged = judge::records::last_change(&store).await.expect("log");
        let seen = follower.seen.lock().expect("seen").clone();
        assert!(logged > 0, "{}", db.name);
        // Called only by steps that logged changes, each seeing its own before they commit.
        assert!(!seen.is_empty(), "{}", db.name);
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "{}: {seen:?}",
            db.name
        );
        assert_eq!(
            seen.last().copied(),
            usize::try_from(logged).ok(),
            "{}",
            db.name
        );
        assert_eq!(
            follower.committed.load(Ordering::SeqCst),
            seen.len(),
            "{}",
            db.name
        );
        assert_eq!(stored(&w).await.len(), 2, "{}", db.name);
        judge.shutdown().await;
    }
}

#[tokio::test]
async fn a_failing_follower_loses_its_own_writes_not_the_steps() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let follower = Arc::new(Failing::default());
        let judge = start_followed(&store, &clock, Some(follower.clone())).await;
        write(&w.telemetry, &evening()).await;
        judge.catch_up().await.expect("judged despite the follower");

        let episodes = stored(&w).await;
        assert_eq!(episodes.len(), 2, "{}: {episodes:#?}", db.name);
        assert!(
            episodes.iter().all(|e| e.state == EpisodeState::Closed),
            "{}",
            db.name
        );
        assert!(judge::records::last_change(&store).await.expect("log") > 0);
        assert_eq!(follower.committed.load(Ordering::SeqCst), 0, "{}", db.name);
        judge.shutdown().await;
    }
}
