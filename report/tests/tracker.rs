//! A summary of an order under which the client wore an off-the-shelf GPS tracker for part of
//! the period: its heartbeats, whose strap, case and skin bits are clear because its protocol
//! does not say them, are judged for what it can tell (no strap breach), and the summary states
//! that the strap, skin contact and case were unknown from its fitting on, in the JSON, the
//! export and the PDF's words; a period before it says nothing of the kind, and its JSON is as
//! a summary made before trackers existed.

mod common;

use cases::DeviceStatus;
use cases::NewInventoryDevice;
use common::{Month, Place, TAG_A, at};
use firmware_proto::{DeviceKind, Flags, Heartbeat, HeartbeatStatus, Message};
use ingest::store::register_in;
use rules::policy::Watched;
use rules::{BreachKind, Span};
use store::testing::test_databases;

const TRACKER: u64 = 3001;

/// The tracker's heartbeat as its adapter writes it down: moving, a fix, its battery.
fn heartbeat(seq: u32, taken: rules::Timestamp) -> ingest::store::ObservationRow {
    let message = Message::Heartbeat(Heartbeat {
        battery_percent: 70,
        battery_mv: 3800,
        status: HeartbeatStatus(HeartbeatStatus::MOTION | HeartbeatStatus::GNSS_FIX),
        rssi_dbm: 0,
        temperature_c: 0,
    });
    let received = taken.saturating_add(Span::seconds(2));
    testkit::stored_row(TRACKER, seq, Flags::empty(), taken.0, received.0, &message)
}

#[tokio::test]
async fn a_trackers_conditions_are_stated_unknown_from_its_fitting_on() {
    for db in test_databases().await {
        let name = db.name;
        let mut m = Month::new(&db.location).await;
        m.cases
            .add_inventory_device(
                &cases::Actor::system("tracker test"),
                &NewInventoryDevice {
                    device_id: TRACKER,
                    serial: "GT-3001".into(),
                    kind: DeviceKind::GpsTracker,
                    model: "FMB920".into(),
                    firmware: None,
                },
                async |conn| {
                    let tracker = [(TRACKER, DeviceKind::GpsTracker, None)];
                    register_in(conn, &tracker, 0).await.map(drop)
                },
            )
            .await
            .expect("the tracker in the inventory");
        m.now("2026-11-01T10:00:00Z").await;
        m.cases
            .fit_device(&m.officer, m.order, TAG_A, None, at("2026-11-01T10:00:00Z"))
            .await
            .expect("tag A fitted");
        m.walk(TAG_A, "2026-11-03T19:00:00Z", 30, Place::Home).await;
        // The 10th at noon, local 14:00: the tag is taken off and the tracker put on.
        m.now("2026-11-10T12:00:00Z").await;
        m.cases
            .remove_device(
                &m.officer,
                TAG_A,
                at("2026-11-10T12:00:00Z"),
                DeviceStatus::InStock,
            )
            .await
            .expect("tag A removed");
        m.cases
            .fit_device(
                &m.officer,
                m.order,
                TRACKER,
                None,
                at("2026-11-10T12:00:00Z"),
            )
            .await
            .expect("the tracker fitted");
        // The tracker at home that night, a fix and a heartbeat each minute.
        m.now("2026-11-10T19:30:00Z").await;
        let from = at("2026-11-10T19:30:00Z");
        let mut rows = Vec::new();
        for i in 0..120 {
            let t = from.saturating_add(Span::minutes(i));
            let seq = 2 * i as u32 + 1;
            rows.push(heartbeat(seq, t));
            rows.push(common::fix(TRACKER, seq + 1, t, Place::Home));
        }
        m.commit(TRACKER, &rows).await;
        m.now("2026-11-16T12:00:00Z").await;
        m.judge.catch_up().await.expect("judged");

        let summary = m
            .summary("2026-11-01", "2026-11-15", at("2026-11-16T12:00:00Z"))
            .await;
        assert!(
            summary.breaches.iter().all(|e| !matches!(
                e.kind,
                BreachKind::StrapOpened | BreachKind::CaseOpened | BreachKind::SkinContactLost
            )),
            "{name}: {:?}",
            summary.breaches
        );
        let stated: Vec<(Watched, String, String)> = summary
            .not_evidenced
            .iter()
            .map(|p| (p.condition, p.from.to_string(), p.until.to_string()))
            .collect();
        let (fitted, end) = (
            at("2026-11-10T12:00:00Z").to_string(),
            // The period ends at the 16th's local midnight.
            at("2026-11-15T22:00:00Z").to_string(),
        );
        assert_eq!(
            stated,
            [
                (Watched::Strap, fitted.clone(), end.clone()),
                (Watched::SkinContact, fitted.clone(), end.clone()),
                (Watched::Case, fitted, end),
            ],
            "{name}"
        );
        assert!(
            summary
                .not_evidenced
                .iter()
                .all(|p| p.kinds == [DeviceKind::GpsTracker] && p.devices == [TRACKER]),
            "{name}: {:?}",
            summary.not_evidenced
        );
        let json = serde_json::to_value(&summary).expect("JSON");
        assert_eq!(
            json["not_evidenced"][0]["condition"], "strap",
            "{name}: {}",
            json["not_evidenced"]
        );
        assert_eq!(
            json["not_evidenced"][0]["kinds"][0], "gps-tracker",
            "{name}"
        );
        let (export, _) = report::export::export(&summary).expect("the export");
        assert_eq!(
            export.not_evidenced[0].words, "Strap state: unknown — a GPS tracker cannot tell",
            "{name}"
        );
        assert_eq!(export.not_evidenced[2].condition, "case", "{name}");

        // Before the tracker: nothing unknown, and no such part in the JSON at all.
        let before = m
            .summary("2026-11-01", "2026-11-05", at("2026-11-16T12:00:00Z"))
            .await;
        assert_eq!(before.not_evidenced, [], "{name}");
        let json = serde_json::to_value(&before).expect("JSON");
        assert!(json.get("not_evidenced").is_none(), "{name}");
    }
}
