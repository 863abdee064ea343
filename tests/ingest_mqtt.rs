//! End to end over MQTT: `sargs serve` as a process, devices as MQTT clients speaking the tag
//! protocol, on the embedded broker and on a real Mosquitto, on SQLite and PostgreSQL.

mod common;

use common::*;
use firmware_proto::{DeviceKey, DownlinkEvent, Flags, Message};
use ingest::store::Telemetry;
use store::StoreLocation;
use store::testing::test_databases;

fn export_seqs(location: &StoreLocation, device: u64) -> Vec<u32> {
    let mut args = vec!["export".to_string(), "--device".into(), device.to_string()];
    args.extend(storage_flags(location));
    args.extend(["--format".into(), "csv".into()]);
    let csv = sargs_ok(&args);
    let mut seqs: Vec<u32> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1)?.parse().ok())
        .collect();
    seqs.sort_unstable();
    seqs
}

/// Duplicates and out-of-order frames are stored once; the ACK is cumulative and only covers
/// what is stored with nothing missing below it.
async fn duplicates_and_reordering(
    location: &StoreLocation,
    extra: &[String],
    broker_port: Option<u16>,
) {
    let dir = tempfile::tempdir().unwrap();
    register(location, 1001, "gps-tag", Some(&KEY));
    let service = Service::start(location, extra, dir.path());
    let port = broker_port.unwrap_or(service.mqtt_port);
    let mut device = MqttDevice::connect(port, 1001, Some(KEY)).await;

    let now = now_ms();
    for battery in [90, 89, 88, 87] {
        device.session.record(heartbeat(battery), now);
    }
    // Take the four frames and send them as a bad network would: 1, 3, 3, 4 first.
    let frames = device.session.poll_transmit(now, true);
    assert_eq!(frames.len(), 4);
    for i in [0, 2, 2, 3] {
        device.publish(frames[i].clone()).await;
    }
    service.wait_metric("sargs_frames_stored_total", 3.0).await;
    device.wait_acked(1).await;
    // Seq 2 is missing: nothing beyond 1 may be acknowledged yet.
    let held: Vec<_> = device
        .downlinks_within(std::time::Duration::from_millis(500))
        .await;
    for frame in &held {
        if let Ok(DownlinkEvent::Acked { acked_seq, .. }) =
            device.session.handle_downlink(frame, now_ms())
        {
            assert_eq!(acked_seq, 1, "acked past a missing frame");
        }
    }
    // Now 2 arrives, and 1 again: everything through 4 is acked.
    device.publish(frames[1].clone()).await;
    device.publish(frames[0].clone()).await;
    device.wait_acked(4).await;
    service
        .wait_metric("sargs_frames_duplicate_total", 2.0)
        .await;
    assert_eq!(export_seqs(location, 1001), vec![1, 2, 3, 4]);
    assert_eq!(service.metric("sargs_frames_stored_total").await, 4.0);
}

#[tokio::test]
async fn embedded_broker_stores_once_and_acks_cumulatively() {
    for db in test_databases().await {
        duplicates_and_reordering(&db.location, &[], None).await;
    }
}

#[tokio::test]
async fn external_mosquitto_works_the_same() {
    let mosquitto = Mosquitto::start();
    let url = format!("mqtt://127.0.0.1:{}", mosquitto.port);
    for db in test_databases().await {
        duplicates_and_reordering(
            &db.location,
            &["--mqtt-url".into(), url.clone()],
            Some(mosquitto.port),
        )
        .await;
    }
}

#[tokio::test]
async fn wrong_or_missing_macs_are_dropped_and_raised_as_security_events() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases().await {
        register(&db.location, 2002, "gps-tag", Some(&KEY));
        let service = Service::start(&db.location, &[], dir.path());
        // A device that signs with another key, and one that does not sign at all.
        let wrong: DeviceKey = [0x11; 32];
        let mut forger = MqttDevice::connect(service.mqtt_port, 2002, Some(wrong)).await;
        forger.send(&[heartbeat(50), heartbeat(49)]).await;
        let mut unsigned = MqttDevice::connect(service.mqtt_port, 2002, None).await;
        unsigned.send(&[heartbeat(48)]).await;
        service
            .wait_metric("sargs_frames_rejected_total{reason=\"mac_mismatch\"}", 2.0)
            .await;
        service
            .wait_metric("sargs_frames_rejected_total{reason=\"mac_missing\"}", 1.0)
            .await;
        assert!(
            forger
                .downlinks_within(std::time::Duration::from_millis(300))
                .await
                .is_empty()
        );
        assert_eq!(service.metric("sargs_frames_stored_total").await, 0.0);
        assert!(export_seqs(&db.location, 2002).is_empty());
        let store = Telemetry::open_at(&db.location).await.unwrap();
        let deadline = std::time::Instant::now() + WAIT;
        let events = loop {
            let events = store.security_events(2002).await.unwrap();
            if events.iter().map(|e| e.frames).sum::<i64>() >= 3
                || std::time::Instant::now() > deadline
            {
                break events;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let count = |reason: &str| {
            events
                .iter()
                .filter(|e| e.reason == reason)
                .map(|e| e.frames)
                .sum::<i64>()
        };
        assert_eq!(
            (count("mac_mismatch"), count("mac_missing")),
            (2, 1),
            "{}",
            db.name
        );
        // The genuine device is still served.
        let mut genuine = MqttDevice::connect(service.mqtt_port, 2002, Some(KEY)).await;
        genuine.send(&[heartbeat(47)]).await;
        genuine.wait_acked(1).await;
        store.store().close().await;
    }
}

#[tokio::test]
async fn bad_frames_unknown_devices_and_wrong_topics_are_counted_and_nothing_breaks() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases().await {
        register(&db.location, 3003, "home-unit", None);
        let service = Service::start(&db.location, &[], dir.path());
        let mut device = MqttDevice::connect(service.mqtt_port, 3003, None).await;
        let valid = {
            let now = now_ms();
            device.session.record(heartbeat(70), now);
            device.session.poll_transmit(now, true).remove(0)
        };
        let mut bad_crc = valid.clone();
        let last = bad_crc.len() - 1;
        bad_crc[last] ^= 0xff;
        let hostile: Vec<(&str, Vec<u8>)> = vec![
            ("em/v1/3003/up", vec![]),
            ("em/v1/3003/up", vec![0xff; 3]),
            ("em/v1/3003/up", vec![0; 2000]),
            ("em/v1/3003/up", valid[..valid.len() - 1].to_vec()),
            ("em/v1/3003/up", bad_crc),
            ("em/v1/4004/up", valid.clone()),
            ("em/v1/03003/up", valid.clone()),
        ];
        for (topic, bytes) in hostile {
            device.publish_raw(topic, bytes).await;
        }
        // A well-formed frame from a device nobody registered.
        let stranger = raw_frame(999_999, 1, now_ms(), Flags::ACK_REQUESTED, heartbeat(10));
        device.publish_raw("em/v1/999999/up", stranger).await;
        // And a downlink type sent upstream.
        let ack_upstream = raw_frame(
            3003,
            1,
            now_ms(),
            Flags::empty(),
            Message::Ack(firmware_proto::Ack { acked_seq: 1 }),
        );
        device.publish_raw("em/v1/3003/up", ack_upstream).await;

        service
            .wait_metric(
                "sargs_frames_rejected_total{reason=\"unknown_device\"}",
                1.0,
            )
            .await;
        service
            .wait_metric("sargs_frames_rejected_total{reason=\"downlink_type\"}", 1.0)
            .await;
        let m = service.metrics().await;
        let r = |reason: &str| {
            m.get(&format!(
                "sargs_frames_rejected_total{{reason=\"{reason}\"}}"
            ))
            .copied()
            .unwrap_or(0.0)
        };
        assert_eq!(r("too_short"), 2.0, "{}", db.name); // empty, 3 bytes
        assert_eq!(r("length_mismatch"), 1.0); // one byte cut off
        assert_eq!(r("too_long"), 1.0);
        assert_eq!(r("crc"), 1.0);
        assert_eq!(r("topic_mismatch"), 1.0);
        assert_eq!(r("bad_topic"), 1.0);
        // Each rejection is logged with its reason and, where the bytes carry one, the device id.
        let log = service.log_text();
        for expect in [
            "reason=\"crc\"",
            "reason=\"unknown_device\"",
            "device_id=999999",
            "device_id=3003 via=mqtt reason=\"topic_mismatch\"",
        ] {
            assert!(log.contains(expect), "{expect} not in the log:\n{log}");
        }
        // The service still stores and acks the real frame.
        device.publish(valid).await;
        device.wait_acked(1).await;
        let mut args = vec!["devices".to_string(), "unknown".into(), "--json".into()];
        args.extend(storage_flags(&db.location));
        let listed = sargs_ok(&args);
        assert!(listed.contains("999999"), "{listed}");
        assert_eq!(export_seqs(&db.location, 999_999), Vec::<u32>::new());
    }
}

#[tokio::test]
async fn a_late_stored_frame_is_kept_with_both_times_and_a_skewed_live_one_is_marked() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases().await {
        register(&db.location, 5005, "gps-tag", None);
        let service = Service::start(&db.location, &[], dir.path());
        let mut device = MqttDevice::connect(service.mqtt_port, 5005, None).await;
        let hour_ago = now_ms() - 3_600_000;
        // Recorded an hour ago while out of coverage: sent late with STORED; not skewed.
        device.session.record(heartbeat(60), hour_ago);
        assert!(device.session.poll_transmit(hour_ago, false).is_empty());
        for frame in device.session.poll_transmit(now_ms(), true) {
            device.publish(frame).await;
        }
        device.wait_acked(1).await;
        // A live frame an hour off: the device clock is skewed.
        let live = raw_frame(5005, 2, hour_ago, Flags::ACK_REQUESTED, heartbeat(59));
        device.publish(live).await;
        service
            .wait_metric("sargs_frames_clock_skewed_total", 1.0)
            .await;
        let mut args = vec![
            "export".to_string(),
            "--device".into(),
            "5005".into(),
            "--format".into(),
            "json".into(),
        ];
        args.extend(storage_flags(&db.location));
        let rows: serde_json::Value = serde_json::from_str(&sargs_ok(&args)).unwrap();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 2, "{}", db.name);
        assert_eq!(rows[0]["clock_skewed"], false);
        assert_eq!(
            rows[0]["flags"].as_u64().unwrap() & 2,
            2,
            "STORED flag kept"
        );
        assert_eq!(rows[1]["clock_skewed"], true);
        for row in rows {
            let lag =
                row["received_at_ms"].as_i64().unwrap() - row["device_time_ms"].as_i64().unwrap();
            assert!(lag > 3_000_000, "both times are kept: {row}");
        }
        assert_eq!(service.metric("sargs_frames_clock_skewed_total").await, 1.0);
    }
}
