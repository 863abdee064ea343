//! Storage tests, run on SQLite always and on PostgreSQL when SARGS_TEST_DATABASE_URL is set:
//! both backends must behave the same.

use std::sync::Arc;

use bytes::Bytes;
use ingest::store::{
    DeviceKind, DeviceUpdate, ObservationRow, SecurityEvent, SeqGap, Telemetry, UnknownSighting,
    WriteBatch,
};
use store::StoreLocation;
use store::testing::test_databases;

fn row(device_id: u64, seq: u32, device_time_ms: i64) -> ObservationRow {
    ObservationRow {
        device_id,
        seq,
        frame_type: 2,
        flags: 1,
        device_time_ms,
        received_at_ms: device_time_ms + 5,
        via: Arc::from("mqtt"),
        clock_skewed: false,
        fields: format!("{{\"seq\":{seq}}}"),
        raw: Bytes::from(vec![1, 2, 3, seq as u8]),
    }
}

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Telemetry, &'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in test_databases().await {
        let store = Telemetry::open_at(&db.location).await.expect("open store");
        test(store.clone(), db.name).await;
        store.store().close().await;
    }
}

#[tokio::test]
async fn devices_register_once_and_keep_their_keys() {
    each_backend(|store, backend| async move {
        let key = [7u8; 32];
        let added = store
            .register_devices(&[(1001, DeviceKind::GpsTag, Some(key))], 10)
            .await
            .unwrap();
        assert_eq!(added, 1, "{backend}");
        let d = store.device(1001).await.unwrap().expect("registered");
        assert_eq!(
            (d.id, d.kind, d.key, d.has_key),
            (1001, DeviceKind::GpsTag, Some(key), true)
        );
        // Registered again (another kind, no key): nothing new, and the first record stands.
        let again = store
            .register_devices(&[(1001, DeviceKind::RfTag, None)], 11)
            .await
            .unwrap();
        assert_eq!(again, 0, "{backend}");
        let d = store.device(1001).await.unwrap().expect("registered");
        assert_eq!(
            (d.kind, d.key),
            (DeviceKind::GpsTag, Some(key)),
            "{backend}"
        );
        // Ids above i64::MAX survive the trip through a signed column, and sort last.
        store
            .register_devices(&[(u64::MAX, DeviceKind::HomeUnit, None)], 12)
            .await
            .unwrap();
        store
            .register_devices(&[(5, DeviceKind::RfTag, None)], 13)
            .await
            .unwrap();
        let ids: Vec<u64> = store
            .devices()
            .await
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(ids, vec![5, 1001, u64::MAX], "{backend}");
        assert!(store.device(u64::MAX).await.unwrap().is_some());
        assert!(store.device(4).await.unwrap().is_none());
        let added = store
            .register_devices(
                &[(5, DeviceKind::RfTag, None), (6, DeviceKind::RfTag, None)],
                14,
            )
            .await
            .unwrap();
        assert_eq!(added, 1, "{backend}");
    })
    .await;
}

#[tokio::test]
async fn a_batch_is_stored_once_and_duplicates_are_ignored() {
    each_backend(|store, backend| async move {
        store
            .register_devices(&[(1, DeviceKind::GpsTag, None)], 0)
            .await
            .unwrap();
        let batch = WriteBatch {
            observations: vec![row(1, 1, 100), row(1, 2, 200), row(1, 2, 200)],
            devices: vec![DeviceUpdate {
                id: 1,
                acked_through: 2,
                down_seq: 1,
                last_seen_ms: 205,
                last_via: Arc::from("mqtt"),
                clock_offset_ms: Some(-5),
                clock_skewed: Some(false),
            }],
            ..WriteBatch::default()
        };
        let outcome = store.write_batch(&batch).await.unwrap();
        assert_eq!(outcome.inserted, 2, "{backend}");
        let again = store.write_batch(&batch).await.unwrap();
        assert_eq!(again.inserted, 0, "{backend}");
        assert_eq!(store.observation_count(Some(1)).await.unwrap(), 2);
        let device = store.device(1).await.unwrap().unwrap();
        assert_eq!(device.acked_through, 2);
        assert_eq!(device.last_seen_ms, Some(205));
        assert_eq!(device.clock_offset_ms, Some(-5));
        // A later update without a live frame keeps the last clock offset.
        let keep = WriteBatch {
            devices: vec![DeviceUpdate {
                clock_offset_ms: None,
                clock_skewed: None,
                ..batch.devices[0].clone()
            }],
            ..WriteBatch::default()
        };
        store.write_batch(&keep).await.unwrap();
        assert_eq!(
            store.device(1).await.unwrap().unwrap().clock_offset_ms,
            Some(-5)
        );
    })
    .await;
}

#[tokio::test]
async fn the_window_state_comes_back_after_a_restart() {
    each_backend(|store, backend| async move {
        store
            .register_devices(&[(9, DeviceKind::GpsTag, None)], 0)
            .await
            .unwrap();
        let batch = WriteBatch {
            observations: vec![row(9, 1, 1), row(9, 2, 2), row(9, 4, 4), row(9, 7, 7)],
            devices: vec![DeviceUpdate {
                id: 9,
                acked_through: 2,
                down_seq: 3,
                last_seen_ms: 1,
                last_via: Arc::from("mqtt"),
                clock_offset_ms: None,
                clock_skewed: None,
            }],
            ..WriteBatch::default()
        };
        store.write_batch(&batch).await.unwrap();
        let state = store.device_window(9).await.unwrap().unwrap();
        assert_eq!(state.acked_through, 2, "{backend}");
        assert_eq!(state.down_seq, 3);
        assert_eq!(
            state.stored_above.iter().copied().collect::<Vec<_>>(),
            vec![4, 7]
        );
        assert!(store.device_window(10).await.unwrap().is_none());
        store
            .register_devices(&[(11, DeviceKind::RfTag, None)], 0)
            .await
            .unwrap();
        let some = store.device_windows(Some(&[9, 10, 11])).await.unwrap();
        assert_eq!(
            some.keys()
                .copied()
                .collect::<std::collections::BTreeSet<_>>(),
            [9, 11].into()
        );
        assert_eq!(some[&9], state);
        assert_eq!(store.device_windows(None).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn history_pages_in_device_time_order() {
    each_backend(|store, backend| async move {
        store
            .register_devices(&[(3, DeviceKind::GpsTag, None)], 0)
            .await
            .unwrap();
        // Seq order differs from time order (late frames), and two share a time.
        let times = [(1, 500), (2, 100), (3, 300), (4, 300), (5, 200), (6, 900)];
        let batch = WriteBatch {
            observations: times.iter().map(|(s, t)| row(3, *s, *t)).collect(),
            ..WriteBatch::default()
        };
        store.write_batch(&batch).await.unwrap();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .observations_page(3, 100, 900, after, 2)
                .await
                .unwrap();
            seen.extend(page.iter().map(|o| (o.seq, o.device_time_ms)));
            match page.last() {
                Some(last) if page.len() == 2 => after = Some((last.device_time_ms, last.seq)),
                _ => break,
            }
        }
        assert_eq!(
            seen,
            vec![(2, 100), (5, 200), (3, 300), (4, 300), (1, 500)],
            "{backend}"
        );
        let one = &store.observations_page(3, 0, 1000, None, 1).await.unwrap()[0];
        assert_eq!(one.raw, vec![1, 2, 3, 2]);
        assert_eq!(one.fields, "{\"seq\":2}");
        assert_eq!(one.via, "mqtt");
    })
    .await;
}

/// The latest observation of a frame type for a set of devices at once is each device's own,
/// as asked one by one: by device time (a late frame with a lower seq still counts), the frame
/// type kept apart, an id above i64::MAX as any other, a device with none or not registered
/// left out.
#[tokio::test]
async fn the_latest_fields_of_many_devices_are_each_one_s_own() {
    each_backend(|store, backend| async move {
        let big = u64::MAX - 1;
        let devices = [(3, DeviceKind::GpsTag, None), (4, DeviceKind::GpsTag, None)];
        store.register_devices(&devices, 0).await.unwrap();
        store
            .register_devices(
                &[
                    (big, DeviceKind::GpsTag, None),
                    (5, DeviceKind::GpsTag, None),
                ],
                0,
            )
            .await
            .unwrap();
        let of_type = |device, seq, at, frame_type| ObservationRow {
            frame_type,
            ..row(device, seq, at)
        };
        let batch = WriteBatch {
            observations: vec![
                of_type(3, 1, 100, 2),
                of_type(3, 2, 900, 2),
                of_type(3, 3, 500, 2),
                of_type(3, 4, 950, 1),
                of_type(4, 1, 300, 2),
                of_type(big, 7, 700, 2),
                of_type(5, 1, 100, 1),
            ],
            ..WriteBatch::default()
        };
        store.write_batch(&batch).await.unwrap();
        let mut many = store.latest_fields_of(&[3, 4, 5, big, 6], 2).await.unwrap();
        many.sort();
        let expected = vec![
            (3, 900, "{\"seq\":2}".to_string()),
            (4, 300, "{\"seq\":1}".to_string()),
            (big, 700, "{\"seq\":7}".to_string()),
        ];
        assert_eq!(many, expected, "{backend}");
        for (device, at, fields) in &expected {
            assert_eq!(
                store.latest_fields(*device, 2).await.unwrap(),
                Some((*at, fields.clone())),
                "{backend}: {device}"
            );
        }
        assert_eq!(store.latest_fields(5, 2).await.unwrap(), None, "{backend}");
        assert_eq!(
            store.latest_fields_of(&[], 2).await.unwrap(),
            vec![],
            "{backend}"
        );
        let found = store.devices_by_ids(&[4, big, 6]).await.unwrap();
        let mut ids: Vec<u64> = found.iter().map(|d| d.id).collect();
        ids.sort();
        assert_eq!(ids, [4, big], "{backend}");
    })
    .await;
}

#[tokio::test]
async fn unknown_devices_security_events_and_gaps_are_kept() {
    each_backend(|store, backend| async move {
        let sighting = |at_ms, frames| UnknownSighting {
            id: 777,
            at_ms,
            frames,
            via: Arc::from("serial:/dev/ttyS0"),
        };
        let batch = WriteBatch {
            unknown: vec![sighting(10, 3)],
            security: vec![SecurityEvent {
                device_id: 1,
                at_ms: 11,
                reason: "mac_mismatch".into(),
                frames: 2,
                via: "mqtt".into(),
            }],
            gaps: vec![SeqGap {
                device_id: 1,
                first_seq: 5,
                last_seq: 9,
                detected_at_ms: 12,
            }],
            ..WriteBatch::default()
        };
        store.write_batch(&batch).await.unwrap();
        store
            .write_batch(&WriteBatch {
                unknown: vec![sighting(20, 2)],
                ..WriteBatch::default()
            })
            .await
            .unwrap();
        let unknown = store.unknown_devices(None, 500).await.unwrap();
        assert_eq!(unknown.len(), 1, "{backend}");
        assert_eq!(
            (
                unknown[0].first_seen_ms,
                unknown[0].last_seen_ms,
                unknown[0].frames
            ),
            (10, 20, 5)
        );
        assert_eq!(store.security_events(1).await.unwrap(), batch.security);
        assert_eq!(store.seq_gaps(1).await.unwrap(), batch.gaps);
    })
    .await;
}

#[tokio::test]
async fn opening_twice_migrates_once_and_bad_locations_are_clear_errors() {
    for db in test_databases().await {
        let first = Telemetry::open_at(&db.location).await.unwrap();
        first
            .register_devices(&[(1, DeviceKind::GpsTag, None)], 0)
            .await
            .unwrap();
        let second = Telemetry::open_at(&db.location).await.unwrap();
        assert!(second.device(1).await.unwrap().is_some(), "{}", db.name);
        first.store().close().await;
        second.store().close().await;
    }
    let error = Telemetry::open_at(&StoreLocation::Url("mysql://x/y".into()))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("unsupported database URL"),
        "{error}"
    );
    let error = Telemetry::open_at(&StoreLocation::DataDir("/proc/sargs-cannot-be-here".into()))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("cannot create data directory"),
        "{error}"
    );
    let error = Telemetry::open_at(&StoreLocation::Url(
        "postgres://nobody:secret@127.0.0.1:1/none".into(),
    ))
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("cannot open database"), "{error}");
    assert!(!error.contains("secret"), "the password leaked: {error}");
}

#[tokio::test]
async fn observations_are_read_back_in_commit_order_after_a_row() {
    each_backend(|store, backend| async move {
        let mut commits = store.store().watch_commits();
        assert_eq!(store.last_observation_row().await.unwrap(), 0, "{backend}");
        // Two commits; the second brings a frame held through a gap (an early device time)
        // and a duplicate, which is not a new row.
        for seqs in [
            &[(1, 500), (2, 600)][..],
            &[(9, 100), (3, 700), (1, 500)][..],
        ] {
            let batch = WriteBatch {
                observations: seqs.iter().map(|(s, t)| row(4, *s, *t)).collect(),
                ..WriteBatch::default()
            };
            store.write_batch(&batch).await.unwrap();
            assert!(commits.has_changed().unwrap(), "{backend}");
            commits.mark_unchanged();
        }
        let all = |after, limit| store.observations_after(after, limit, |_| true);
        let (through, every) = all(0, 100).await.unwrap();
        let seqs: Vec<u32> = every.iter().map(|c| c.observation.seq).collect();
        assert_eq!(seqs, vec![1, 2, 9, 3], "{backend}");
        assert!(every.windows(2).all(|w| w[0].row < w[1].row), "{backend}");
        let last = store.last_observation_row().await.unwrap();
        assert_eq!(last, every[3].row, "{backend}");
        assert_eq!(through, Some(last), "{backend}");

        let (through, rest) = all(every[1].row, 1).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].observation.seq, 9, "{backend}");
        assert_eq!(through, Some(rest[0].row), "{backend}");
        let (through, none) = all(last, 100).await.unwrap();
        assert!(none.is_empty() && through.is_none(), "{backend}");
        let all = every;

        // Only the devices wanted are read whole, few (row by row) or most (the span), and
        // the last row looked at is told either way.
        let mixed = WriteBatch {
            observations: (0..9)
                .map(|i| {
                    row(
                        if i % 3 == 0 { 5 } else { 6 },
                        100 + i,
                        1_000 + i64::from(i),
                    )
                })
                .collect(),
            ..WriteBatch::default()
        };
        store.write_batch(&mixed).await.unwrap();
        commits.mark_unchanged();
        let end = store.last_observation_row().await.unwrap();
        for (device, count) in [(5, 3), (6, 6)] {
            let (through, rows) = store
                .observations_after(last, 100, |d| d == device)
                .await
                .unwrap();
            assert_eq!(through, Some(end), "{backend}");
            assert_eq!(rows.len(), count, "{backend} device {device}");
            assert!(rows.iter().all(|r| r.observation.device_id == device));
            assert!(rows.windows(2).all(|w| w[0].row < w[1].row), "{backend}");
        }
        let (through, rows) = store.observations_after(last, 4, |_| false).await.unwrap();
        assert!(
            rows.is_empty() && through.is_some_and(|t| t < end),
            "{backend}"
        );

        // A device's rows from a device time on, within a span of rows, in device-time order.
        let some = store
            .device_observations_committed(4, 150, all[0].row, last)
            .await
            .unwrap();
        let seqs: Vec<u32> = some.iter().map(|c| c.observation.seq).collect();
        assert_eq!(seqs, vec![2, 3], "{backend}");

        // A batch of duplicates only is no news.
        let again = WriteBatch {
            observations: vec![row(4, 1, 500)],
            ..WriteBatch::default()
        };
        store.write_batch(&again).await.unwrap();
        assert!(!commits.has_changed().unwrap(), "{backend}");
    })
    .await;
}

/// On SQLite commits leave the WAL alone (`wal_autocheckpoint = 0`); the store's checkpointer
/// copies it into the database beside the writers, once a second.
#[tokio::test]
async fn the_checkpointer_copies_the_wal_into_the_database() {
    let dbs = test_databases().await;
    let Some(StoreLocation::DataDir(data)) = dbs.first().map(|db| &db.location) else {
        panic!("the first test database is SQLite's");
    };
    let store = Telemetry::open_at(&StoreLocation::DataDir(data.clone()))
        .await
        .unwrap();
    let batch = WriteBatch {
        observations: (1..=5_000).map(|s| row(7, s, i64::from(s))).collect(),
        ..WriteBatch::default()
    };
    store.write_batch(&batch).await.unwrap();
    // 5 000 rows with their indexes take well over 400 kB; only a checkpoint puts them in the
    // database file. Up to 20 s for a task that runs every second.
    let file = data.join(store::SQLITE_FILE);
    let mut size = 0;
    for _ in 0..200 {
        size = std::fs::metadata(&file).unwrap().len();
        if size > 400_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(size > 400_000, "the database file is {size} bytes");
    let (through, rows) = store.observations_after(0, 10_000, |_| true).await.unwrap();
    assert_eq!(rows.len(), 5_000);
    assert!(through.is_some());
    store.store().close().await;
}
