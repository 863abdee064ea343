//! A SQLite store that fills up under the writer, on every machine: the store's page cap
//! (SQLite's `max_page_count`) stands in for a full disk, with the same SQLITE_FULL. While it
//! is full no ACK is sent, the store says it refuses writes, and frames are held; once the
//! cap is lifted the held frames are committed and acknowledged without any help, and every
//! frame the device saw acknowledged is stored exactly once. (tests/storage_faults.rs does
//! the same through the whole service on a real full file system and on PostgreSQL.)

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use firmware_proto::{DeviceSession, SessionOptions};
use ingest::check::Checker;
use ingest::metrics::Metrics;
use ingest::source::Via;
use ingest::store::{DeviceKind, Telemetry};
use ingest::writer::{Writer, WriterOptions};
use store::{StorageFault, StorageState, StoreLocation};
use support::{FakeMqtt, checked, now_ms};

const DEVICE: u64 = 7001;
const WAIT: Duration = Duration::from_secs(20);

/// Applies every ACK the writer sent so far to the device's session.
fn take_acks(mqtt: &FakeMqtt, session: &mut DeviceSession) {
    let sent: Vec<_> = std::mem::take(&mut *mqtt.sent.lock().expect("lock"));
    for (device, frame) in sent {
        assert_eq!(device, DEVICE);
        session
            .handle_downlink(&frame, now_ms())
            .expect("a valid ACK");
    }
}

async fn stored(store: &Telemetry) -> Vec<u32> {
    let mut seqs: Vec<u32> = store
        .observations_page(DEVICE, i64::MIN, i64::MAX, None, 10_000)
        .await
        .expect("read back")
        .iter()
        .map(|o| o.seq)
        .collect();
    seqs.sort_unstable();
    seqs
}

#[tokio::test]
async fn a_full_sqlite_store_holds_frames_unacknowledged_and_takes_them_when_it_has_room() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Telemetry::open_at(&StoreLocation::DataDir(dir.path().join("data")))
        .await
        .expect("open");
    let now = i64::try_from(now_ms()).unwrap_or_default();
    store
        .register_devices(&[(DEVICE, DeviceKind::GpsTag, None)], now)
        .await
        .expect("register");
    let metrics = Arc::new(Metrics::default());
    let mqtt = FakeMqtt::default();
    let writer = Writer::new(
        store.clone(),
        metrics.clone(),
        WriterOptions::default(),
        mqtt.clone(),
    );
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let writing = tokio::spawn(writer.run(rx));
    let mut checker = Checker::new(store.clone(), metrics.clone());
    let mut session = DeviceSession::new(DEVICE, None, 1, SessionOptions::default());
    let via = Via::Mqtt {
        topic_device: Some(DEVICE),
    };
    let mut recorded = 0u32;
    let mut send = async |session: &mut DeviceSession, recorded: &mut u32| {
        for item in checked(&mut checker, session, via.clone()).await {
            tx.send(item).await.expect("writer running");
        }
        *recorded += 1;
    };
    let wait_acked = async |session: &mut DeviceSession, seq: u32| {
        let deadline = Instant::now() + WAIT;
        while session.acked_seq() < seq {
            assert!(Instant::now() < deadline, "acked {}", session.acked_seq());
            tokio::time::sleep(Duration::from_millis(20)).await;
            take_acks(&mqtt, session);
        }
    };

    for _ in 0..20 {
        send(&mut session, &mut recorded).await;
    }
    wait_acked(&mut session, 20).await;
    assert_eq!(store.store().storage_state(), StorageState::Accepting);

    // No page more than the store has now: the next commits that need one fail.
    let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count")
        .fetch_one(store.store().pool())
        .await
        .expect("page count");
    store
        .store()
        .cap_sqlite_size(Some(u32::try_from(pages).expect("pages")));
    let deadline = Instant::now() + WAIT;
    while store.store().storage_state() == StorageState::Accepting {
        assert!(Instant::now() < deadline, "the store never filled");
        for _ in 0..20 {
            send(&mut session, &mut recorded).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let StorageState::Refusing { fault, detail, .. } = store.store().storage_state() else {
        unreachable!("refusing");
    };
    assert_eq!(fault, StorageFault::Full, "{detail}");
    // Whatever was acknowledged up to now is stored; from now on nothing more is acknowledged.
    take_acks(&mqtt, &mut session);
    let acked_when_full = session.acked_seq();
    assert_eq!(
        stored(&store).await,
        (1..=acked_when_full).collect::<Vec<_>>()
    );
    for _ in 0..50 {
        send(&mut session, &mut recorded).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    take_acks(&mqtt, &mut session);
    assert_eq!(
        session.acked_seq(),
        acked_when_full,
        "acknowledged while full"
    );
    assert!(
        metrics
            .commit_failures
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );

    // Room again: the held frames are committed and acknowledged, with nobody resending.
    store.store().cap_sqlite_size(None);
    wait_acked(&mut session, recorded).await;
    assert_eq!(store.store().storage_state(), StorageState::Accepting);
    assert_eq!(stored(&store).await, (1..=recorded).collect::<Vec<_>>());

    drop(tx);
    writing
        .await
        .expect("the writer ends when its channel closes");
    store.store().close().await;
}
