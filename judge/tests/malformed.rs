//! Stored rows the engine cannot read (fields that are not JSON, an unknown frame type, a
//! latitude off the globe, a downlink frame, a heartbeat with undefined status bits) are
//! skipped with a warning: the judge neither stops nor panics, and judges the rows after them.

mod common;

use common::*;
use firmware_proto::FrameType;
use ingest::store::Store;
use ingest::store::testing::test_databases;
use judge::EpisodeState;
use rules::ConditionRef;

#[tokio::test]
async fn rows_that_cannot_be_read_are_skipped_and_the_rest_judged() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let judge = start(&store, &clock).await;

        let mut rows = walk(1, "2026-11-02T17:00:00Z", 10, Place::Home);
        let taken = at("2026-11-02T17:10:00Z");
        let bad = |seq: u32, frame_type: u8, fields: &str| {
            let mut row = fix(seq, taken, Place::OldTown, false);
            row.frame_type = frame_type;
            row.fields = fields.to_string();
            row
        };
        let location = FrameType::Location.to_u8();
        rows.push(bad(11, location, "{not json"));
        rows.push(bad(12, 0x42, "{}"));
        rows.push(bad(
            13,
            location,
            r#"{"lat":95.0,"lon":24.13,"accuracy_m":5,"source":"gnss"}"#,
        ));
        rows.push(bad(14, FrameType::Ack.to_u8(), r#"{"acked_seq":3}"#));
        rows.push(bad(
            15,
            FrameType::Heartbeat.to_u8(),
            r#"{"battery_percent":50,"status":65535}"#,
        ));
        rows.extend(walk(16, "2026-11-02T17:11:00Z", 10, Place::OldTown));
        write(&store, &rows).await;
        judge.catch_up().await.expect("judged");

        let episodes = stored(&w).await;
        assert_eq!(
            standing(&episodes),
            reference(&w, &rows).await,
            "{}",
            db.name
        );
        assert_eq!(episodes.len(), 1, "{episodes:#?}");
        let zone = &episodes[0];
        assert_eq!(
            (zone.condition.clone(), zone.state, zone.start),
            (
                ConditionRef::Zone {
                    id: "old-town".into()
                },
                EpisodeState::Open,
                at("2026-11-02T17:11:00Z")
            )
        );
        assert!(zone.evidence.iter().all(|e| e.seq >= 16), "{zone:#?}");

        // The judge went on past them: a later row is judged.
        write(&store, &walk(26, "2026-11-02T17:21:00Z", 3, Place::Home)).await;
        judge.catch_up().await.expect("judged");
        let closed = judge
            .episode(w.client, zone.episode_id)
            .await
            .expect("read")
            .expect("kept");
        assert_eq!(closed.state, EpisodeState::Closed, "{}", db.name);
        judge.shutdown().await;
    }
}
