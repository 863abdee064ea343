//! The simulator drives the running service as a fleet would: GPS tags and home units with
//! coverage gaps, over MQTT and over a serial line. Every frame a device recorded ends up
//! acknowledged and stored exactly once.

mod common;

use common::*;
use ingest::store::testing::test_databases;
use ingest::store::{Store, StoreLocation};

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
    let store = Store::open(location).await.unwrap();
    let mut stored = 0;
    for id in first_id..first_id + 24 {
        stored += store.observation_count(Some(id)).await.unwrap();
    }
    assert_eq!(stored, recorded, "every recorded frame stored exactly once");
    store.close().await;
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
