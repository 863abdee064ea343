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
