//! Where an episode's evidence skips a device's seqs, the summary says why, from what the
//! device sent: a zone breach judged live by the judge, whose evidence skips a heartbeat, a
//! frame never received, a fix too inaccurate to place, fixes that did not decide, and a long
//! run of lost frames (listed up to the cap, the rest counted).

mod common;

use common::{Month, Place, TAG_A, at, fix};
use firmware_proto::{Coord, Flags, Heartbeat, HeartbeatStatus, Location, LocationSource, Message};
use ingest::store::ObservationRow;
use report::gaps::{FixSide, LISTED_PER_GAP, SkipReason};
use rules::{ConditionRef, Span};
use store::testing::test_databases;

/// Frame `seq` of tag A carrying `message`, taken `minute` minutes after 11:00Z on 5 November.
fn row(seq: u32, minute: i64, message: &Message) -> ObservationRow {
    let taken = at("2026-11-05T11:00:00Z").saturating_add(Span::minutes(minute));
    testkit::stored_row(
        TAG_A,
        seq,
        Flags::ACK_REQUESTED,
        taken.0,
        taken.0 + 2_000,
        message,
    )
}

/// A fix of tag A at `place`, `minute` minutes after 11:00Z.
fn at_place(seq: u32, minute: i64, place: Place) -> ObservationRow {
    let taken = at("2026-11-05T11:00:00Z").saturating_add(Span::minutes(minute));
    fix(TAG_A, seq, taken, place)
}

#[tokio::test]
async fn the_seqs_an_episodes_evidence_skips_are_explained() {
    let heartbeat = Message::Heartbeat(Heartbeat {
        battery_percent: 80,
        battery_mv: 3_900,
        status: HeartbeatStatus(
            HeartbeatStatus::STRAP_CLOSED
                | HeartbeatStatus::CASE_CLOSED
                | HeartbeatStatus::SKIN_CONTACT,
        ),
        rssi_dbm: -70,
        temperature_c: 30,
    });
    // In the middle of the old town (radius 200 m), but ±500 m: it could be either side.
    let vague = Message::Location(Location {
        lat: Coord::from_degrees(56.9600),
        lon: Coord::from_degrees(24.1300),
        accuracy_m: Some(500),
        source: LocationSource::Gnss,
        satellites: 4,
        speed_cm_s: 0,
        heading_deg: None,
    });
    for db in test_databases().await {
        let m = Month::new(&db.location).await;
        m.now("2026-11-01T10:00:00Z").await;
        m.cases
            .fit_device(&m.officer, m.order, TAG_A, None, at("2026-11-01T10:00:00Z"))
            .await
            .expect("tag A fitted");
        m.now("2026-11-05T11:00:00Z").await;
        // Thursday 5th, daytime: into the old town (confirmed by the second fix), a heartbeat,
        // seq 14 lost, a vague fix, one fix outside (not confirmed), back in; then 27 frames
        // lost, still in; out for good (confirmed by the second fix).
        let mut rows = vec![
            at_place(10, 0, Place::Home),
            at_place(11, 1, Place::OldTown),
            at_place(12, 2, Place::OldTown),
            row(13, 3, &heartbeat),
            row(15, 5, &vague),
            at_place(16, 6, Place::Elsewhere),
            at_place(17, 7, Place::OldTown),
            at_place(45, 8, Place::OldTown),
            at_place(46, 9, Place::Elsewhere),
            at_place(47, 10, Place::Elsewhere),
        ];
        rows.sort_by_key(|r| r.seq);
        m.commit(TAG_A, &rows).await;
        m.now("2026-11-05T12:00:00Z").await;
        m.judge.catch_up().await.expect("judged");

        let report = m
            .summary("2026-11-05", "2026-11-05", m.telemetry.store().now())
            .await;
        let zone = report
            .breaches
            .iter()
            .find(|e| matches!(e.condition, ConditionRef::Zone { .. }))
            .expect("the old town breach");
        let seqs: Vec<u32> = zone.evidence.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [11, 12, 17, 45, 47], "{}", db.name);
        assert_eq!(zone.start, at("2026-11-05T11:01:00Z"), "{}", db.name);

        let gaps: Vec<(u32, u32, u32)> = zone
            .evidence_gaps
            .iter()
            .map(|g| (g.after_seq, g.before_seq, g.more))
            .collect();
        let listed = LISTED_PER_GAP;
        assert_eq!(
            gaps,
            [(12, 17, 0), (17, 45, 27 - listed), (45, 47, 0)],
            "{}",
            db.name
        );
        let reasons: Vec<(u32, SkipReason)> = zone.evidence_gaps[0]
            .skipped
            .iter()
            .map(|s| (s.seq, s.reason.clone()))
            .collect();
        let SkipReason::TooInaccurate {
            accuracy_m,
            limit_m,
        } = reasons[2].1
        else {
            panic!("{}: seq 15 is too inaccurate: {reasons:?}", db.name);
        };
        assert_eq!(accuracy_m, 500.0);
        // The edge is 200 m from the fix: the most its accuracy could have been.
        assert!((limit_m - 200.0).abs() < 1.0, "{}: {limit_m}", db.name);
        assert_eq!(
            reasons,
            [
                (
                    13,
                    SkipReason::NotAFix {
                        frame_type: "heartbeat".into()
                    }
                ),
                (14, SkipReason::NotReceived),
                (
                    15,
                    SkipReason::TooInaccurate {
                        accuracy_m,
                        limit_m
                    }
                ),
                (
                    16,
                    SkipReason::DidNotDecide {
                        accuracy_m: 10.0,
                        side: FixSide::Outside
                    }
                ),
            ],
            "{}",
            db.name
        );
        let lost = &zone.evidence_gaps[1].skipped;
        assert_eq!(lost.len(), listed as usize, "{}", db.name);
        assert!(
            lost.iter()
                .zip(18..)
                .all(|(s, seq)| s.seq == seq && s.reason == SkipReason::NotReceived),
            "{}: {lost:?}",
            db.name
        );
        assert!(
            matches!(
                zone.evidence_gaps[2].skipped[0].reason,
                SkipReason::DidNotDecide {
                    side: FixSide::Outside,
                    ..
                }
            ),
            "{}",
            db.name
        );
        // The gaps read back from the JSON as they were written.
        let back: report::Report =
            serde_json::from_value(report::json::canonical(&report).expect("canonical"))
                .expect("reads back");
        assert_eq!(back, report, "{}", db.name);
        m.judge.shutdown().await;
    }
}
