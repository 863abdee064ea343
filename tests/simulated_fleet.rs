//! The simulator drives the running service as a fleet would: GPS tags and home units with
//! coverage gaps, over MQTT and over a serial line. Every frame a device recorded ends up
//! acknowledged and stored exactly once.

mod common;

use common::*;
use ingest::store::Telemetry;
use store::StoreLocation;
use store::testing::test_databases;

fn simulate(location: &StoreLocation, transport: &[String], first_id: u64) -> serde_json::Value {
    let mut args = vec![
        "simulate".to_string(),
        "--register".into(),
        "--devices=24".into(),
        "--duration=6".into(),
        "--location-interval-ms=200".into(),
        "--gap-rate=600".into(),
        "--seed=11".into(),
        format!("--first-id={first_id}"),
        "--json".into(),
    ];
    args.extend(storage_flags(location));
    args.extend(transport.iter().cloned());
    let out = sargs_ok(&args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("simulate --json printed {out}: {e}"))
}

async fn check_stored(location: &StoreLocation, report: &serde_json::Value, first_id: u64) {
    assert_eq!(report["lost"], 0, "{report}");
    assert_eq!(report["unacked_at_end"], 0, "{report}");
    assert!(
        report["gaps"].as_u64().unwrap() > 0,
        "the run had coverage gaps: {report}"
    );
    let recorded = report["recorded"].as_u64().unwrap();
    assert!(recorded > 100, "{report}");
    let store = Telemetry::open_at(location).await.unwrap();
    let mut stored = 0;
    for id in first_id..first_id + 24 {
        stored += store.observation_count(Some(id)).await.unwrap();
    }
    assert_eq!(stored, recorded, "every recorded frame stored exactly once");
    store.store().close().await;
}

#[tokio::test]
async fn a_fleet_over_mqtt_with_coverage_gaps_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases().await {
        let service = Service::start(&db.location, &[], dir.path());
        let url = format!("--mqtt-url=mqtt://127.0.0.1:{}", service.mqtt_port);
        let report = simulate(&db.location, &[url], 40_000);
        check_stored(&db.location, &report, 40_000).await;
        let m = service.metrics().await;
        assert_eq!(
            m["sargs_frames_stored_total"],
            report["recorded"].as_f64().unwrap()
        );
        assert!(m["sargs_acks_sent_total"] > 0.0);
    }
}

#[tokio::test]
async fn a_fleet_on_a_serial_line_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases().await {
        let pty = PtyPair::start(dir.path());
        let serial = vec![
            "--serial".to_string(),
            pty.engine_side.display().to_string(),
        ];
        let _service = Service::start(&db.location, &serial, dir.path());
        let line = format!("--serial={}", pty.device_side.display());
        let report = simulate(&db.location, &[line], 50_000);
        check_stored(&db.location, &report, 50_000).await;
    }
}

/// The engine's commands reach simulated devices: a GPS tag answers LOCATE_NOW with a LOCATION
/// at once, and counts NOTIFY_WEARER (the report says so). The engine runs in this process so
/// the test can hold its `Downlink`.
#[tokio::test]
async fn simulated_tags_answer_locate_now_and_take_notifications() {
    use std::sync::Arc;
    use std::time::Duration;

    use firmware_proto::DeviceKind;
    use ingest::{DownlinkCommand, Ingest, IngestConfig, NotifyPattern};

    const FIRST_ID: u64 = 60_000;
    for db in test_databases().await {
        let store = Telemetry::open_at(&db.location).await.unwrap();
        let broker = ingest::broker::start("127.0.0.1:0".parse().unwrap()).unwrap();
        let config = IngestConfig {
            broker: ingest::mqtt::BrokerAddress {
                host: "127.0.0.1".into(),
                port: broker.port(),
            },
            client_id: format!("sargs-test-{}", now_ms()),
            serial: Vec::new(),
            writer: ingest::writer::WriterOptions::default(),
            channel_capacity: 1024,
            connect_patience: Duration::from_secs(10),
            teltonika: None,
            osmand: None,
            traccar: None,
        };
        let engine = Ingest::start(store.clone(), config, Arc::new(Default::default()))
            .await
            .unwrap();
        let mut args = vec![
            "simulate".to_string(),
            "--register".into(),
            "--devices=3".into(),
            "--duration=12".into(),
            "--location-interval-ms=5000".into(),
            "--seed=21".into(),
            format!("--first-id={FIRST_ID}"),
            format!("--mqtt-url=mqtt://127.0.0.1:{}", broker.port()),
            "--json".into(),
        ];
        args.extend(storage_flags(&db.location));
        let run = tokio::task::spawn_blocking(move || sargs_ok(&args));

        // Wait for a GPS tag of the fleet to be heard, then command it.
        let deadline = std::time::Instant::now() + WAIT;
        let tag = loop {
            assert!(std::time::Instant::now() < deadline, "no tag heard in time");
            let mut heard = None;
            for id in FIRST_ID..FIRST_ID + 3 {
                if let Ok(Some(d)) = store.device(id).await
                    && d.kind == DeviceKind::GpsTag
                    && d.last_via.is_some()
                {
                    heard = Some(id);
                    break;
                }
            }
            if let Some(id) = heard {
                break id;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let downlink = engine.downlink();
        let asked_ms = chrono::Utc::now().timestamp_millis();
        downlink
            .send(tag, DownlinkCommand::LocateNow)
            .await
            .expect("LOCATE_NOW sent");
        downlink
            .send(
                tag,
                DownlinkCommand::NotifyWearer {
                    pattern: NotifyPattern::ShortVibration,
                    message_id: 3,
                },
            )
            .await
            .expect("NOTIFY_WEARER sent");

        let out = run.await.unwrap();
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report["locate_requests"], 1, "{report}");
        assert_eq!(report["notifications"], 1, "{report}");
        assert_eq!(report["downlink_rejected"], 0, "{report}");
        assert_eq!(report["lost"], 0, "{report}");
        // The answer: a LOCATION taken within moments of the request.
        let fixes = store
            .observations_page(tag, asked_ms, asked_ms + 2_000, None, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|o| o.frame_type == firmware_proto::FrameType::Location as u8)
            .count();
        assert!(fixes >= 1, "{}: no LOCATION answered LOCATE_NOW", db.name);
        engine.shutdown().await;
        store.store().close().await;
    }
}
