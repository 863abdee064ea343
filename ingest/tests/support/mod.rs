//! What the ingest tests share: a device's heartbeat, frames checked as the pipeline would,
//! and an MQTT downlink that keeps what the writer sends.

#![allow(dead_code)] // each test file uses part of this

use std::sync::Arc;

use firmware_proto::{DeviceSession, Heartbeat, HeartbeatStatus, Message};

pub fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default()
}

pub fn heartbeat(battery_percent: u8) -> Message {
    Message::Heartbeat(Heartbeat {
        battery_percent,
        battery_mv: 3900,
        status: HeartbeatStatus(0x0007),
        rssi_dbm: -70,
        temperature_c: 30,
    })
}

/// An MQTT downlink that keeps what it is given, or refuses it as a full queue would.
#[derive(Clone, Default)]
pub struct FakeMqtt {
    pub sent: Arc<std::sync::Mutex<Vec<(u64, bytes::Bytes)>>>,
    pub full: Arc<std::sync::atomic::AtomicBool>,
}

impl ingest::writer::MqttDownlink for FakeMqtt {
    fn try_send(&self, device_id: u64, frame: bytes::Bytes) -> bool {
        if self.full.load(std::sync::atomic::Ordering::Relaxed) {
            return false;
        }
        match self.sent.lock() {
            Ok(mut sent) => {
                sent.push((device_id, frame));
                true
            }
            Err(_) => false,
        }
    }
}

/// A frame of `session`'s device, checked as the pipeline would, arriving by `via`.
pub async fn checked(
    checker: &mut ingest::check::Checker,
    session: &mut DeviceSession,
    via: ingest::source::Via,
) -> Vec<ingest::check::Checked> {
    let now = now_ms();
    session.record(heartbeat(50), now);
    let mut out = Vec::new();
    for frame in session.poll_transmit(now, true) {
        let inbound = ingest::source::Inbound {
            bytes: bytes::Bytes::from(frame),
            via: via.clone(),
            received_at_ms: i64::try_from(now).unwrap_or_default(),
        };
        if let Some(c) = checker.check(inbound).await.expect("look-up") {
            out.push(c);
        }
    }
    out
}

/// A store with devices of another protocol registered under their identities, and a writer
/// running on it, for the adapters' tests: their listeners hand it reports through `checked`.
/// Every task stops when it is dropped.
pub struct Adapted {
    pub store: ingest::store::Telemetry,
    pub metrics: Arc<ingest::metrics::Metrics>,
    pub checked: tokio::sync::mpsc::Sender<ingest::check::Checked>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Adapted {
    /// `devices`: (id, identity, hash of its token).
    pub async fn start(
        db: &store::testing::TestDb,
        devices: &[(u64, String, Option<String>)],
    ) -> Adapted {
        let store = store::Store::open(&db.location).await.expect("store");
        let store = ingest::store::Telemetry::open(store)
            .await
            .expect("telemetry");
        let mut tx = store.store().begin_write().await.expect("tx");
        for (id, identity, hash) in devices {
            let kind = firmware_proto::DeviceKind::GpsTag;
            ingest::store::register_in(&mut tx, &[(*id, kind, None)], 0)
                .await
                .expect("register");
            let set = ingest::store::set_identity_in(&mut tx, *id, identity, hash.as_deref());
            assert!(set.await.expect("identity"));
        }
        tx.commit().await.expect("commit");
        let metrics = Arc::new(ingest::metrics::Metrics::default());
        let writer = ingest::writer::Writer::new(
            store.clone(),
            metrics.clone(),
            ingest::writer::WriterOptions::default(),
            FakeMqtt::default(),
        );
        let (checked, intake) = tokio::sync::mpsc::channel(1024);
        Adapted {
            store,
            metrics,
            checked,
            tasks: vec![tokio::spawn(writer.run(intake))],
        }
    }

    /// Runs `listener` beside the writer, until this is dropped.
    pub fn run(&mut self, listener: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.push(tokio::spawn(listener));
    }
}

impl Drop for Adapted {
    fn drop(&mut self) {
        self.tasks.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

/// An adapter's listener running beside the writer, and where it listens.
pub struct Listening {
    pub adapted: Adapted,
    pub addr: std::net::SocketAddr,
}

impl std::ops::Deref for Listening {
    type Target = Adapted;
    fn deref(&self) -> &Adapted {
        &self.adapted
    }
}
