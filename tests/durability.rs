//! Acknowledged means durable: kill -9 the service while devices are sending, restart it, and
//! every frame any device saw acknowledged is stored; the devices' resends fill in the rest
//! without a single duplicate row. Also: holes in a device's sequence are reported and skipped.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use ingest::store::Telemetry;
use store::testing::test_databases;

const DEVICES: u64 = 20;
const FIRST_ID: u64 = 70_000;

#[tokio::test]
async fn kill_9_after_acks_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases().await {
        for id in FIRST_ID..FIRST_ID + DEVICES {
            register(&db.location, id, "gps-tag", Some(&KEY));
        }
        // A fixed broker port, so that the devices find the restarted service where they left it.
        let port = free_port();
        let listen = vec!["--mqtt-listen".to_string(), format!("127.0.0.1:{port}")];
        let mut service = Service::start(&db.location, &listen, dir.path());
        let mut devices = Vec::new();
        for id in FIRST_ID..FIRST_ID + DEVICES {
            devices.push(MqttDevice::connect(port, id, Some(KEY)).await);
        }
        // Each device sends 30 frames; the service dies in the middle of it.
        let mut acked_before_crash = HashMap::new();
        for round in 0..30u8 {
            for device in devices.iter_mut() {
                device.send(&[heartbeat(100 - round)]).await;
            }
            if round == 20 {
                // Make sure there is something acked to lose, then pull the plug.
                devices[0].wait_acked(1).await;
                for device in devices.iter_mut() {
                    for frame in device.downlinks_within(Duration::from_millis(20)).await {
                        let _ = device.session.handle_downlink(&frame, now_ms());
                    }
                }
                service.kill9();
                for device in &devices {
                    acked_before_crash
                        .insert(device.session.device_id(), device.session.acked_seq());
                }
            }
        }
        let acked_total: u32 = acked_before_crash.values().sum();
        assert!(acked_total > 0, "nothing was acked before the crash");
        // Every frame acked before the crash is on disk, before anything is resent.
        for (id, acked) in &acked_before_crash {
            let stored = stored_seqs(&db.location, *id).await;
            for seq in 1..=*acked {
                assert!(
                    stored.contains(&seq),
                    "{}: device {id} was acked through {acked} but seq {seq} is not stored",
                    db.name
                );
            }
        }

        // Restart on the same ports; the devices resend what is unacked until all is acked.
        let service = Service::start(&db.location, &listen, dir.path());
        // The devices' connections went down with the embedded broker: reconnect them.
        let mut reconnected = Vec::new();
        for old in devices {
            let id = old.session.device_id();
            let mut device = MqttDevice::connect(service.mqtt_port, id, Some(KEY)).await;
            device.session = old.into_session();
            reconnected.push(device);
        }
        for device in reconnected.iter_mut() {
            let later = now_ms() + 60_000; // past the resend timeout: everything unacked goes again
            for frame in device.session.poll_transmit(later, true) {
                device.publish(frame).await;
            }
            device.wait_acked(30).await;
        }
        for id in FIRST_ID..FIRST_ID + DEVICES {
            assert_eq!(
                stored_seqs(&db.location, id).await,
                (1..=30).collect::<Vec<_>>(),
                "{}: device {id}",
                db.name
            );
        }
        drop(service);
    }
}

#[tokio::test]
async fn a_hole_the_device_cannot_fill_is_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases().await {
        register(&db.location, 8008, "gps-tag", None);
        let service = Service::start(
            &db.location,
            &["--seq-gap-timeout".into(), "1".into()],
            dir.path(),
        );
        let mut device = MqttDevice::connect(service.mqtt_port, 8008, None).await;
        let now = now_ms();
        for b in [80, 79, 78, 77] {
            device.session.record(heartbeat(b), now);
        }
        let frames = device.session.poll_transmit(now, true);
        // Frame 2 never arrives (lost inside the device); 1, 3 and 4 do, and 3 keeps coming.
        for i in [0, 2, 3] {
            device.publish(frames[i].clone()).await;
        }
        device.wait_acked(1).await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        device.publish(frames[2].clone()).await;
        device.wait_acked(4).await;
        service.wait_metric("sargs_seq_gaps_total", 1.0).await;
        let store = Telemetry::open_at(&db.location).await.unwrap();
        let gaps = store.seq_gaps(8008).await.unwrap();
        assert_eq!(gaps.len(), 1, "{}", db.name);
        assert_eq!((gaps[0].first_seq, gaps[0].last_seq), (2, 2));
        // If the lost frame turns up after all, it is still stored.
        device.publish(frames[1].clone()).await;
        service.wait_metric("sargs_frames_stored_total", 4.0).await;
        assert_eq!(stored_seqs(&db.location, 8008).await, vec![1, 2, 3, 4]);
        store.store().close().await;
    }
}
