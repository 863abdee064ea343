//! A changed order takes effect at once, without a restart: a variation of the curfew judges
//! the observations committed after it by the new curfew, under the new policy revision; the
//! breach open under the old revision is superseded at the instant of the change (and judged
//! afresh under the new one); an order that ends leaves the engine, noticed by the judge's own
//! periodic look at the orders; a variation the court set to take effect later is judged from
//! its date.

mod common;

use cases::OrderStatus;
use common::*;
use judge::EpisodeState;
use rules::{BreachKind, ConditionRef};
use store::Store;
use store::testing::test_databases;

#[tokio::test]
async fn a_variation_judges_what_comes_after_it_by_the_new_terms() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let judge = start(&store, &clock).await;
        let old_revision = w.cases.order(w.order).await.expect("order").policy_revision;

        // In the old town from 19:20 local: a breach open when the order is varied at 19:30.
        let mut before = walk(1, "2026-11-02T17:00:00Z", 20, Place::Home);
        before.extend(walk(21, "2026-11-02T17:20:00Z", 10, Place::OldTown));
        write(&w.telemetry, &before).await;
        judge.catch_up().await.expect("judged");
        let open = stored(&w).await;
        assert_eq!(open.len(), 1, "{}: {open:#?}", db.name);
        assert_eq!(open[0].state, EpisodeState::Open);

        // The court moves the curfew's start from 22:00 to 20:00 local.
        let change = at("2026-11-02T17:30:00Z");
        clock.set(change);
        let varied = w
            .cases
            .vary_order(&sys(), w.order, &terms("20:00"), "court decision", None)
            .await
            .expect("varied");
        assert!(varied.policy_revision > old_revision);
        judge.policy_changed(w.order);
        judge.catch_up().await.expect("judged");
        let monitors = judge::records::monitors(&store).await.expect("monitors");
        assert_eq!(monitors.len(), 1);
        assert_eq!(
            (
                monitors[0].order_id,
                monitors[0].policy_revision,
                monitors[0].applied
            ),
            (w.order, varied.policy_revision, change)
        );
        let superseded = judge
            .episode(w.client, open[0].episode_id)
            .await
            .expect("read")
            .expect("kept");
        assert_eq!(superseded.state, EpisodeState::Superseded);
        assert_eq!(superseded.end, Some(change));
        assert_eq!(superseded.policy_revision, old_revision);

        // Still in the old town for ten minutes, elsewhere from 19:40 local, home at 20:30:
        // by the new curfew, half an hour late.
        let mut after = walk(31, "2026-11-02T17:30:00Z", 10, Place::OldTown);
        after.extend(walk(41, "2026-11-02T17:40:00Z", 50, Place::Elsewhere));
        after.extend(walk(91, "2026-11-02T18:30:00Z", 30, Place::Home));
        write(&w.telemetry, &after).await;
        judge.catch_up().await.expect("judged");
        let episodes = stored(&w).await;
        assert_told_once(&episodes);
        let new: Vec<_> = episodes
            .iter()
            .filter(|e| e.policy_revision == varied.policy_revision)
            .cloned()
            .collect();
        assert_eq!(standing(&new), reference(&w, &after).await, "{}", db.name);
        assert_eq!(new.len(), 2, "{new:#?}");
        let zone = &new[0];
        assert_eq!(
            zone.condition,
            ConditionRef::Zone {
                id: "old-town".into()
            }
        );
        assert_eq!(
            (zone.start, zone.end),
            (change, Some(at("2026-11-02T17:40:00Z")))
        );
        assert!(zone.episode_id > superseded.episode_id, "ids go on");
        let curfew = &new[1];
        assert_eq!(
            (curfew.condition.clone(), curfew.kind),
            (ConditionRef::Curfew, BreachKind::LateArrival)
        );
        assert_eq!(
            (curfew.start, curfew.end),
            (at("2026-11-02T18:00:00Z"), Some(at("2026-11-02T18:30:00Z")))
        );
        assert!(new.iter().all(|e| e.order_id == w.order));
        judge.shutdown().await;
    }
}

#[tokio::test]
async fn an_order_that_ends_leaves_the_engine_without_being_told() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let judge = start(&store, &clock).await;
        write(
            &w.telemetry,
            &walk(1, "2026-11-02T17:00:00Z", 10, Place::OldTown),
        )
        .await;
        judge.catch_up().await.expect("judged");
        assert_eq!(stored(&w).await[0].state, EpisodeState::Open, "{}", db.name);

        let ended = at("2026-11-02T17:15:00Z");
        clock.set(ended);
        w.cases
            .set_order_status(&sys(), w.order, OrderStatus::Ended)
            .await
            .expect("ended");
        // No policy_changed: the judge's periodic look at the orders finds it.
        eventually("the client is no longer judged", || async {
            judge::records::monitors(&store)
                .await
                .expect("monitors")
                .is_empty()
        })
        .await;
        let episodes = stored(&w).await;
        assert_eq!(episodes.len(), 1);
        assert_eq!(
            (episodes[0].state, episodes[0].end),
            (EpisodeState::Superseded, Some(ended))
        );

        // Fixes after the end are stored but judge nobody.
        write(
            &w.telemetry,
            &walk(11, "2026-11-02T17:20:00Z", 10, Place::OldTown),
        )
        .await;
        judge.catch_up().await.expect("judged");
        assert_eq!(stored(&w).await, episodes, "{}", db.name);
        judge.shutdown().await;
    }
}

fn sys() -> cases::Actor {
    cases::Actor::system("judge test")
}

/// A variation the court set to take effect later is judged from its date, not from its
/// recording: before the date the client is judged by the old curfew, and at the first look
/// after it (no restart, nothing told) by the new one, under a new policy revision.
#[tokio::test]
async fn a_variation_scheduled_for_later_is_judged_from_its_date() {
    for db in test_databases().await {
        let clock = clock();
        // The case records read the same clock: it decides when the date has come.
        let store = Store::open_with_clock(&db.location, std::sync::Arc::new(clock.clone()))
            .await
            .expect("store");
        let w = world(store.clone()).await;
        let judge = start(&store, &clock).await;
        let old_revision = w.cases.order(w.order).await.expect("order").policy_revision;

        // At 19:00 local the court's variation is recorded: the curfew from 20:00 instead of
        // 22:00, taking effect at 19:30 local.
        clock.set(at("2026-11-02T17:00:00Z"));
        let takes_effect = at("2026-11-02T17:30:00Z");
        let scheduled = w
            .cases
            .vary_order(
                &sys(),
                w.order,
                &terms("20:00"),
                "court decision",
                Some(takes_effect),
            )
            .await
            .expect("scheduled");
        assert_eq!(scheduled.policy_revision, old_revision, "{}", db.name);
        assert_eq!(
            scheduled.scheduled.map(|s| s.takes_effect),
            Some(takes_effect)
        );

        // Out until 19:30 local: still judged by the old terms.
        write(
            &w.telemetry,
            &walk(1, "2026-11-02T17:00:00Z", 30, Place::Elsewhere),
        )
        .await;
        clock.set(at("2026-11-02T17:29:00Z"));
        judge.catch_up().await.expect("judged");
        let monitors = judge::records::monitors(&store).await.expect("monitors");
        assert_eq!(monitors[0].policy_revision, old_revision, "{}", db.name);

        // The date comes: the judge's own look at the orders brings the variation in.
        clock.set(takes_effect);
        eventually("the client is judged by the variation", || async {
            judge::records::monitors(&store)
                .await
                .expect("monitors")
                .first()
                .is_some_and(|m| m.policy_revision == old_revision + 1)
        })
        .await;
        let order = w.cases.order(w.order).await.expect("order");
        assert_eq!((order.revision, order.scheduled), (2, None), "{}", db.name);

        // Out until 21:00 local, then home: an hour late by the new curfew (by the old one,
        // home an hour early).
        let mut after = walk(31, "2026-11-02T17:30:00Z", 90, Place::Elsewhere);
        after.extend(walk(121, "2026-11-02T19:00:00Z", 30, Place::Home));
        write(&w.telemetry, &after).await;
        clock.set(at("2026-11-02T19:30:00Z"));
        judge.catch_up().await.expect("judged");
        let late: Vec<_> = stored(&w)
            .await
            .into_iter()
            .filter(|e| e.condition == ConditionRef::Curfew)
            .collect();
        assert_eq!(late.len(), 1, "{}: {late:#?}", db.name);
        assert_eq!(
            (
                late[0].kind,
                late[0].start,
                late[0].end,
                late[0].policy_revision
            ),
            (
                BreachKind::LateArrival,
                at("2026-11-02T18:00:00Z"),
                Some(at("2026-11-02T19:00:00Z")),
                old_revision + 1
            ),
            "{}",
            db.name
        );
        judge.shutdown().await;
    }
}
