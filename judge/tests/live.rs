//! Observations written into the store as the ingest writer writes them are judged as they are
//! committed: a client who enters the exclusion zone and comes home late on a curfew night has
//! both breaches stored, with their evidence and the policy revision of the order; the judge
//! wakes on the commits by itself. On SQLite, and on PostgreSQL when SARGS_TEST_DATABASE_URL
//! names a server.

mod common;

use common::*;
use judge::EpisodeState;
use rules::{BreachKind, ConditionRef, Severity};
use store::Store;
use store::testing::test_databases;

#[tokio::test]
async fn committed_observations_become_stored_episodes() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let revision = w.cases.order(w.order).await.expect("order").policy_revision;
        let clock = clock();
        let judge = start(&store, &clock).await;
        let rows = evening();
        write(&w.telemetry, &rows).await;

        // No catch_up: the commits wake the judge.
        eventually("both breaches are stored and closed", || async {
            let episodes = stored(&w).await;
            episodes.len() == 2 && episodes.iter().all(|e| e.state == EpisodeState::Closed)
        })
        .await;
        let episodes = stored(&w).await;
        let zone = &episodes[0];
        assert_eq!(
            zone.condition,
            ConditionRef::Zone {
                id: "old-town".into()
            },
            "{}",
            db.name
        );
        assert_eq!(
            (zone.kind, zone.severity),
            (BreachKind::ExclusionZoneEntered, Severity::Critical)
        );
        assert_eq!(zone.start, at("2026-11-02T18:00:00Z"));
        assert_eq!(zone.end, Some(at("2026-11-02T18:30:00Z")));
        assert!(!zone.evidence.is_empty());
        assert!(zone.evidence.iter().all(|e| e.device == TAG));
        assert_eq!(zone.evidence[0].seq, 61, "the first fix inside proves it");

        let curfew = &episodes[1];
        assert_eq!(curfew.condition, ConditionRef::Curfew);
        assert_eq!(curfew.kind, BreachKind::LateArrival);
        assert_eq!(curfew.start, at("2026-11-02T20:00:00Z"));
        assert_eq!(curfew.end, Some(at("2026-11-02T21:00:00Z")));
        assert!(!curfew.evidence.is_empty());

        for e in &episodes {
            assert_eq!((e.order_id, e.policy_revision), (w.order, revision));
            assert_eq!(e.client_id, w.client);
            let one = judge
                .episode(w.client, e.episode_id)
                .await
                .expect("read")
                .expect("found");
            assert_eq!(&one, e);
        }
        assert_eq!(
            standing(&episodes),
            reference(&w, &rows).await,
            "{}",
            db.name
        );

        // Readers ask by time: the zone breach alone overlaps 19:00 to 20:00 local.
        let early = judge
            .episodes(
                w.client,
                at("2026-11-02T17:00:00Z").0,
                at("2026-11-02T18:15:00Z").0,
            )
            .await
            .expect("read");
        assert_eq!(early.len(), 1);
        assert_eq!(early[0].episode_id, zone.episode_id);
        let json = serde_json::to_value(&early[0]).expect("serialises");
        assert_eq!(json["state"], "closed");
        assert_eq!(json["condition"]["id"], "old-town");
        judge.shutdown().await;
    }
}
