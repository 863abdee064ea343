//! A change to an order made through `Cases` alone wakes the judge: no handler tells it, and
//! its periodic look at the orders is an hour away, yet the change is in force at the next
//! catch-up (a variation, an absence recorded, a tag removed).

mod common;

use std::sync::Arc;
use std::time::Duration;

use cases::{Actor, DeviceStatus, NewAbsence};
use common::*;
use judge::{Judge, JudgeOptions};
use store::Store;
use store::testing::test_databases;

/// The judge of `w`'s store, woken by `w.cases`, looking at the orders on its own only hourly.
async fn start_woken(w: &World, clock: &store::ManualClock) -> Judge {
    Judge::start(
        w.store.clone(),
        JudgeOptions {
            clock: Arc::new(clock.clone()),
            tick_every: Duration::from_secs(3600),
            batch: 16,
            follower: None,
            cases: Some(w.cases.clone()),
            telemetry: Some(w.telemetry.clone()),
        },
    )
    .await
    .expect("the judge starts")
}

/// The (order, policy revision) the judge judges the client by now.
async fn in_force(store: &Store) -> Vec<(i64, u32)> {
    judge::records::monitors(store)
        .await
        .expect("monitors")
        .iter()
        .map(|m| (m.order_id, m.policy_revision))
        .collect()
}

#[tokio::test]
async fn a_change_made_through_cases_alone_is_in_force_at_once() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let judge = start_woken(&w, &clock).await;
        judge.catch_up().await.expect("judged");
        let first = w.cases.order(w.order).await.expect("order").policy_revision;
        assert_eq!(in_force(&store).await, [(w.order, first)], "{}", db.name);

        let varied = w
            .cases
            .vary_order(&sys(), w.order, &terms("20:00"), "court decision", None)
            .await
            .expect("varied");
        judge.catch_up().await.expect("judged");
        assert_eq!(
            in_force(&store).await,
            [(w.order, varied.policy_revision)],
            "{}: a variation",
            db.name
        );

        let officer = w.cases.user(w.officer).await.expect("officer");
        w.cases
            .add_absence(
                &Actor::user(&officer, "judge test"),
                &NewAbsence {
                    order_id: w.order,
                    from: at("2026-11-09T20:00:00Z"),
                    until: at("2026-11-10T02:00:00Z"),
                    reason: rules::schedule::AbsenceReason::Work,
                    details: String::new(),
                },
            )
            .await
            .expect("absence");
        judge.catch_up().await.expect("judged");
        let now = w.cases.order(w.order).await.expect("order").policy_revision;
        assert!(now > varied.policy_revision);
        assert_eq!(
            in_force(&store).await,
            [(w.order, now)],
            "{}: an absence",
            db.name
        );

        w.cases
            .remove_device(
                &sys(),
                TAG,
                at("2026-11-02T16:30:00Z"),
                DeviceStatus::InStock,
            )
            .await
            .expect("removed");
        judge.catch_up().await.expect("judged");
        assert!(
            in_force(&store).await.is_empty(),
            "{}: no tag, nobody judged",
            db.name
        );
        judge.shutdown().await;
    }
}

fn sys() -> Actor {
    Actor::system("judge test")
}
