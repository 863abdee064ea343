//! Stored rows the engine cannot read (raw bytes that are not a frame, an unknown frame type, a
//! latitude off the globe, a downlink frame, a heartbeat with undefined status bits) are
//! skipped with a warning: the judge neither stops nor panics, and judges the rows after them.

mod common;

use bytes::Bytes;
use common::*;
use firmware_proto::{Ack, Flags, Heartbeat, HeartbeatStatus, Message};
use judge::EpisodeState;
use rules::{ConditionRef, Span};
use store::Store;
use store::testing::test_databases;

#[tokio::test]
async fn rows_that_cannot_be_read_are_skipped_and_the_rest_judged() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let judge = start(&store, &clock).await;

        let mut rows = walk(1, "2026-11-02T17:00:00Z", 10, Place::Home);
        let taken = at("2026-11-02T17:10:00Z");
        let odd = |seq: u32| fix(seq, taken, Place::OldTown, false);
        // Where the payload starts in a frame.
        let payload = firmware_proto::HEADER_LEN;
        let mut not_a_frame = odd(11);
        not_a_frame.raw = Bytes::from_static(b"{not a frame");
        rows.push(not_a_frame);
        let mut unknown_type = patched(odd(12), 1, &[0x42]);
        unknown_type.frame_type = 0x42;
        rows.push(unknown_type);
        rows.push(patched(odd(13), payload, &950_000_000i32.to_be_bytes()));
        let received = taken.saturating_add(Span::seconds(2));
        let ack = Message::Ack(Ack { acked_seq: 3 });
        rows.push(frame_row(14, taken, received, Flags::empty(), ack));
        let heartbeat = Message::Heartbeat(Heartbeat {
            battery_percent: 50,
            battery_mv: 3900,
            status: HeartbeatStatus(0),
            rssi_dbm: -70,
            temperature_c: 20,
        });
        let heartbeat = frame_row(15, taken, received, Flags::empty(), heartbeat);
        rows.push(patched(heartbeat, payload + 3, &[0xFF, 0xFF]));
        let reasons: Vec<String> = rows[10..]
            .iter()
            .map(
                |row| match judge::observation::observation_of(&stored_form(row)) {
                    Err(error) => error.to_string(),
                    Ok(read) => panic!("seq {} read as {read:?}", row.seq),
                },
            )
            .collect();
        for (reason, expected) in reasons
            .iter()
            .zip(["too short", "0x42", "lat", "Ack", "status"])
        {
            assert!(reason.contains(expected), "{reason}");
        }
        rows.extend(walk(16, "2026-11-02T17:11:00Z", 10, Place::OldTown));
        write(&w.telemetry, &rows).await;
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
        write(
            &w.telemetry,
            &walk(26, "2026-11-02T17:21:00Z", 3, Place::Home),
        )
        .await;
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
