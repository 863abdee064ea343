//! Teltonika trackers over real TCP into the real writer, on SQLite and PostgreSQL: a tracker is
//! answered only after its records are committed, a record sent again is stored once, strangers
//! and broken input are refused and counted, slow connections are closed, and while the storage
//! refuses writes nothing is answered.

use std::time::Duration;

use bytes::Bytes;
use firmware_proto::Message;
use foreign_proto::teltonika::io::{
    IO_BATTERY_LEVEL, IO_BATTERY_VOLTAGE, IO_GNSS_HDOP, IO_MOVEMENT,
};
use foreign_proto::teltonika::{
    AvlRecord, Codec, GpsElement, IoValue, decode_record, encode_login, encode_packet,
};
use ingest::adapter::Adapter;
use ingest::store::Telemetry;
use ingest::{TeltonikaListener, TeltonikaOptions};
use store::testing::test_databases;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod support;
use support::{Adapted, Listening};

const IMEI: &str = "356307042441013";
const DEVICE: u64 = 7001;
const T0: u64 = 1_800_000_000_000;

fn record(at_ms: u64, lat: f64, battery: u64) -> AvlRecord {
    let fixed = |size, value| IoValue::Fixed { size, value };
    AvlRecord {
        timestamp_ms: at_ms,
        priority: 0,
        gps: GpsElement {
            longitude: (24.115 * 1e7) as i32,
            latitude: (lat * 1e7) as i32,
            altitude: 10,
            angle: 180,
            satellites: 8,
            speed: 4,
        },
        event_io: 0,
        io: vec![
            (IO_BATTERY_LEVEL, fixed(1, battery)),
            (IO_MOVEMENT, fixed(1, 1)),
            (IO_GNSS_HDOP, fixed(2, 9)),
            (IO_BATTERY_VOLTAGE, fixed(2, 4_010)),
        ],
        raw: Bytes::new(),
    }
}

async fn start(db: &store::testing::TestDb, tune: impl FnOnce(&mut TeltonikaOptions)) -> Listening {
    let identity = Adapter::Teltonika.identity(IMEI);
    let mut adapted = Adapted::start(db, &[(DEVICE, identity, None)]).await;
    let mut options = TeltonikaOptions::new("127.0.0.1:0".parse().expect("addr"));
    tune(&mut options);
    let listener = TeltonikaListener::bind(options).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (checked, store, metrics) = (
        adapted.checked.clone(),
        adapted.store.clone(),
        adapted.metrics.clone(),
    );
    adapted.run(listener.run(checked, store, metrics));
    Listening { adapted, addr }
}

async fn logged_in(addr: std::net::SocketAddr, imei: &str) -> (TcpStream, u8) {
    let mut tracker = TcpStream::connect(addr).await.expect("connect");
    tracker.write_all(&encode_login(imei)).await.expect("login");
    let mut answer = [0u8; 1];
    tracker
        .read_exact(&mut answer)
        .await
        .expect("login answered");
    (tracker, answer[0])
}

/// The four-byte answer to a packet, or None if the connection was closed unanswered.
async fn answer(tracker: &mut TcpStream) -> Option<u32> {
    let mut answer = [0u8; 4];
    match tokio::time::timeout(Duration::from_secs(20), tracker.read_exact(&mut answer)).await {
        Ok(Ok(_)) => Some(u32::from_be_bytes(answer)),
        Ok(Err(_)) => None,
        Err(_) => panic!("neither answered nor closed"),
    }
}

async fn observations(store: &Telemetry) -> Vec<ingest::store::StoredObservation> {
    store
        .observations_by_seq(DEVICE, 0, 1000)
        .await
        .expect("observations")
}

#[tokio::test]
async fn a_tracker_is_answered_after_the_commit_and_a_record_sent_again_is_stored_once() {
    for db in test_databases().await {
        let running = start(&db, |_| {}).await;
        let (mut tracker, accepted) = logged_in(running.addr, IMEI).await;
        assert_eq!(accepted, 0x01, "{}", db.name);
        let records = [record(T0, 56.947, 80), record(T0 + 30_000, 56.948, 79)];
        let packet = encode_packet(Codec::EightExtended, &records);
        // A keep-alive byte before it is skipped.
        tracker.write_all(&[0xFF]).await.expect("ping");
        tracker.write_all(&packet).await.expect("packet");
        assert_eq!(answer(&mut tracker).await, Some(2), "{}", db.name);

        // Answered: so committed. Each record is a HEARTBEAT and a LOCATION, numbered on.
        let stored = observations(&running.store).await;
        let seqs: Vec<u32> = stored.iter().map(|o| o.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4], "{}", db.name);
        assert!(stored.iter().all(|o| o.via == "teltonika"));
        let frame = firmware_proto::decode(&stored[1].raw).expect("a frame of ours");
        let Message::Location(fix) = frame.message else {
            panic!("{:?}", frame.message);
        };
        assert_eq!((fix.lat.degrees(), fix.accuracy_m), (56.947, Some(9)));
        assert_eq!(stored[1].device_time_ms, T0 as i64);
        let Message::Heartbeat(hb) = firmware_proto::decode(&stored[2].raw)
            .expect("frame")
            .message
        else {
            panic!("a heartbeat");
        };
        assert_eq!(hb.battery_percent, 79);
        // The record as the tracker sent it is kept, and reads again.
        let (adapter, kept) = running
            .store
            .foreign_record(DEVICE, T0 as i64)
            .await
            .expect("read")
            .expect("kept");
        assert_eq!(adapter, "teltonika");
        let read = decode_record(&kept).expect("a record");
        assert_eq!(
            (read.timestamp_ms, read.gps.latitude),
            (T0, records[0].gps.latitude)
        );

        // Not heard, it sends the same packet again: answered, stored once.
        tracker.write_all(&packet).await.expect("again");
        assert_eq!(answer(&mut tracker).await, Some(2));
        assert_eq!(observations(&running.store).await.len(), 4, "{}", db.name);
        // One new and one old: the new one numbered on from where it stopped.
        let mixed = encode_packet(
            Codec::Eight,
            &[records[1].clone(), record(T0 + 60_000, 56.949, 78)],
        );
        tracker.write_all(&mixed).await.expect("mixed");
        assert_eq!(answer(&mut tracker).await, Some(2));
        let seqs: Vec<u32> = observations(&running.store)
            .await
            .iter()
            .map(|o| o.seq)
            .collect();
        assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6], "{}", db.name);
        assert_eq!(
            running
                .store
                .device(DEVICE)
                .await
                .expect("device")
                .expect("registered")
                .last_via
                .as_deref(),
            Some("teltonika")
        );
    }
}

#[tokio::test]
async fn strangers_and_broken_input_are_refused_counted_and_never_answered() {
    for db in test_databases().await {
        let running = start(&db, |o| {
            o.login_timeout = Duration::from_millis(300);
            o.packet_timeout = Duration::from_millis(300);
            o.max_logins_waiting = 2;
        })
        .await;
        let rejected = |reason| {
            running
                .metrics
                .adapters
                .rejected(Adapter::Teltonika, reason)
        };

        // An IMEI no device is registered as: refused with 0x00, and listed.
        let (_, answer_byte) = logged_in(running.addr, "490154203237518").await;
        assert_eq!(answer_byte, 0x00);
        assert_eq!(rejected("unknown_imei"), 1, "{}", db.name);
        let mut listed = Vec::new();
        for _ in 0..100 {
            listed = running
                .store
                .unknown_devices(None, 10)
                .await
                .expect("unknown");
            if !listed.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            listed.first().map(|u| (u.id, u.last_via.as_str())),
            Some((490_154_203_237_518, "teltonika"))
        );

        // A packet with its CRC broken: the connection closes, unanswered.
        let (mut tracker, _) = logged_in(running.addr, IMEI).await;
        let mut broken = encode_packet(Codec::Eight, &[record(T0, 56.9, 50)]);
        let last = broken.len() - 1;
        broken[last] ^= 0x01;
        tracker.write_all(&broken).await.expect("send");
        assert_eq!(answer(&mut tracker).await, None);
        assert_eq!(rejected("crc"), 1);
        // A length beyond any packet, refused before it is waited for.
        let (mut tracker, _) = logged_in(running.addr, IMEI).await;
        tracker
            .write_all(&[0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF])
            .await
            .expect("send");
        assert_eq!(answer(&mut tracker).await, None);
        assert_eq!(rejected("data_length"), 1);
        // Half a packet, then nothing: closed when the packet's time is up.
        let (mut tracker, _) = logged_in(running.addr, IMEI).await;
        let packet = encode_packet(Codec::Eight, &[record(T0, 56.9, 50)]);
        tracker.write_all(&packet[..20]).await.expect("half");
        assert_eq!(answer(&mut tracker).await, None);
        assert_eq!(rejected("packet_timeout"), 1);
        // Connections that never log in: closed in time, and only so many may wait at once.
        let quiet: Vec<TcpStream> =
            futures::future::join_all((0..2).map(|_| TcpStream::connect(running.addr)))
                .await
                .into_iter()
                .map(|c| c.expect("connect"))
                .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut third = TcpStream::connect(running.addr).await.expect("connect");
        third.write_all(&encode_login(IMEI)).await.expect("login");
        let mut byte = [0u8; 1];
        assert!(
            third.read_exact(&mut byte).await.is_err(),
            "closed unanswered"
        );
        assert_eq!(rejected("logins_waiting"), 1);
        for mut waiting in quiet {
            assert!(waiting.read_exact(&mut byte).await.is_err());
        }
        assert_eq!(rejected("login_timeout"), 2);
        // Nothing of it was stored.
        assert!(observations(&running.store).await.is_empty());
        let rendered = running.metrics.render();
        assert!(
            rendered
                .contains("sargs_adapter_rejected_total{adapter=\"teltonika\",reason=\"crc\"} 1"),
            "{rendered}"
        );
    }
}

#[tokio::test]
async fn while_the_storage_refuses_writes_nothing_is_answered() {
    for db in test_databases().await {
        let running = start(&db, |o| o.answer_timeout = Duration::from_secs(1)).await;
        let storage = running.store.store();
        store::testing::refuse_writes(storage, "INSERT", "foreign_records").await;
        let packet = encode_packet(Codec::Eight, &[record(T0, 56.9, 50)]);
        let (mut tracker, _) = logged_in(running.addr, IMEI).await;
        tracker.write_all(&packet).await.expect("send");
        assert_eq!(
            answer(&mut tracker).await,
            None,
            "{}: not answered",
            db.name
        );
        assert!(observations(&running.store).await.is_empty());

        store::testing::allow_writes(storage, "foreign_records").await;
        // It logs in again and sends the record again: now stored, once, and answered.
        let (mut tracker, _) = logged_in(running.addr, IMEI).await;
        tracker.write_all(&packet).await.expect("again");
        assert_eq!(answer(&mut tracker).await, Some(1), "{}", db.name);
        let seqs: Vec<u32> = observations(&running.store)
            .await
            .iter()
            .map(|o| o.seq)
            .collect();
        assert_eq!(seqs, vec![1, 2], "{}: numbered once", db.name);
    }
}
