//! The checking stage against a real store: registration is looked up, cached, and bounded.

use std::sync::Arc;

use bytes::Bytes;
use firmware_proto::{Flags, FrameType, Header, Heartbeat, HeartbeatStatus, Message};
use ingest::check::{Checked, Checker};
use ingest::metrics::{Metrics, RejectReason};
use ingest::source::{Inbound, Via};
use ingest::store::{DeviceKind, Telemetry};
use store::testing::test_databases;

fn heartbeat_from(device_id: u64) -> Inbound {
    let frame = firmware_proto::encode_to_vec(
        &Header {
            frame_type: FrameType::Heartbeat,
            flags: Flags::ACK_REQUESTED,
            device_id,
            seq: 1,
            time_ms: 1_767_225_600_000,
        },
        &Message::Heartbeat(Heartbeat {
            battery_percent: 50,
            battery_mv: 3800,
            status: HeartbeatStatus(1),
            rssi_dbm: -60,
            temperature_c: 20,
        }),
        None,
    )
    .expect("encode");
    Inbound {
        bytes: Bytes::from(frame),
        via: Via::Mqtt {
            topic_device: Some(device_id),
        },
        received_at_ms: 1_767_225_600_000,
    }
}

#[tokio::test]
async fn a_flood_of_invented_ids_does_not_grow_the_cache_without_bound() {
    for db in test_databases().await {
        let store = Telemetry::open_at(&db.location).await.unwrap();
        store
            .register_devices(&[(1, DeviceKind::GpsTag, None)], 0)
            .await
            .unwrap();
        let metrics = Arc::new(Metrics::default());
        let mut checker = Checker::new(store.clone(), metrics.clone()).with_unknown_limit(10);
        assert!(matches!(
            checker.check(heartbeat_from(1)).await.unwrap(),
            Some(Checked::Accepted(_))
        ));
        for id in 1000..1100 {
            let checked = checker.check(heartbeat_from(id)).await.unwrap();
            assert!(matches!(checked, Some(Checked::Unknown { device_id, .. }) if device_id == id));
            assert!(
                checker.cached_ids() <= 11,
                "{}: {} ids cached",
                db.name,
                checker.cached_ids()
            );
        }
        assert_eq!(metrics.rejected(RejectReason::UnknownDevice), 100);
        // The registered device stays cached and accepted throughout.
        assert!(matches!(
            checker.check(heartbeat_from(1)).await.unwrap(),
            Some(Checked::Accepted(_))
        ));
        // A device registered while running is accepted once the negative cache expires.
        store
            .register_devices(&[(1050, DeviceKind::GpsTag, None)], 0)
            .await
            .unwrap();
        let mut later = heartbeat_from(1050);
        later.received_at_ms += 5_000;
        assert!(matches!(
            checker.check(later).await.unwrap(),
            Some(Checked::Accepted(_))
        ));
        store.store().close().await;
    }
}
