//! End to end over a real serial line (a pty pair made by socat): a home unit relaying its
//! tag's frames, noise on the line, ACKs back on the same line, and the line going away and
//! coming back.

mod common;

use std::time::Duration;

use common::*;
use firmware_proto::{
    DeviceKey, DeviceSession, DownlinkEvent, Presence, SerialChunk, SerialCodec, SessionOptions,
};
use futures::{SinkExt, StreamExt};
use store::testing::test_databases;
use tokio_serial::{SerialPortBuilderExt, SerialStream};
use tokio_util::codec::Framed;

/// The key of the PROTOCOL.md MAC test vectors.
const VECTOR_KEY: DeviceKey = {
    let mut key = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        key[i] = i as u8;
        i += 1;
    }
    key
};
/// PROTOCOL.md: EVENT STRAP_OPENED of device 1001, seq 3, STORED, MAC, COBS-encoded.
const SERIAL_VECTOR: &str =
    "040103060101010101010303e9010102030107019b76daf62002040201010bc016b1548a2b8632b98f00";

fn open(path: &std::path::Path) -> Framed<SerialStream, SerialCodec> {
    let port = tokio_serial::new(path.to_string_lossy(), 115_200)
        .open_native_async()
        .expect("open the device side of the pty");
    Framed::new(port, SerialCodec::default())
}

/// Read ACKs from the line into the sessions until both are acked through `seqs`.
async fn wait_acks(
    line: &mut Framed<SerialStream, SerialCodec>,
    sessions: &mut [&mut DeviceSession],
    seqs: &[u32],
) {
    let deadline = std::time::Instant::now() + WAIT;
    while sessions
        .iter()
        .zip(seqs)
        .any(|(s, seq)| s.acked_seq() < *seq)
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let chunk = tokio::time::timeout(left, line.next())
            .await
            .expect("ACKs on the serial line in time")
            .expect("line open")
            .expect("read");
        let SerialChunk::Frame(bytes) = chunk else {
            continue;
        };
        let frame = firmware_proto::decode(&bytes).expect("a valid downlink frame");
        let session = sessions
            .iter_mut()
            .find(|s| s.device_id() == frame.header.device_id)
            .expect("an ACK for one of our devices");
        let event = session
            .handle_downlink(&bytes, now_ms())
            .expect("accepted downlink");
        assert!(matches!(event, DownlinkEvent::Acked { .. }), "{event:?}");
    }
}

#[tokio::test]
async fn frames_of_several_devices_on_one_noisy_line_are_stored_and_acked() {
    let dir = tempfile::tempdir().unwrap();
    for db in test_databases().await {
        register(&db.location, 1001, "gps-tag", Some(&VECTOR_KEY));
        register(&db.location, 5001, "home-unit", Some(&KEY));
        let mut pty = PtyPair::start(dir.path());
        let serial = vec![
            "--serial".to_string(),
            format!("{}@115200", pty.engine_side.display()),
        ];
        let service = Service::start(&db.location, &serial, dir.path());
        let mut line = open(&pty.device_side);

        // The PROTOCOL.md serial vector, byte for byte, after some line noise.
        let mut raw = vec![0x13, 0x37, 0xff, 0x00, 0x00];
        raw.extend(hex::decode(SERIAL_VECTOR).unwrap());
        line.get_mut().write_all_bytes(&raw).await;
        service.wait_metric("sargs_frames_stored_total", 1.0).await;
        assert!(service.metric("sargs_serial_noise_runs_total").await >= 1.0);

        // A home unit and its tag, through their sessions, with garbage between frames.
        let mut tag = DeviceSession::new(1001, Some(VECTOR_KEY), 4, SessionOptions::default());
        let mut unit = DeviceSession::new(5001, Some(KEY), 1, SessionOptions::default());
        let now = now_ms();
        for i in 0..5u8 {
            tag.record(heartbeat(90 - i), now);
            unit.record(
                firmware_proto::Message::Presence(Presence {
                    tag_id: 1001,
                    in_range: true,
                    rssi_dbm: -50,
                }),
                now,
            );
        }
        for (a, b) in tag
            .poll_transmit(now, true)
            .into_iter()
            .zip(unit.poll_transmit(now, true))
        {
            line.send(a.as_slice()).await.unwrap();
            line.get_mut()
                .write_all_bytes(&[0x03, 0x41, 0x42, 0x00])
                .await; // decodes, but is no frame
            line.send(b.as_slice()).await.unwrap();
        }
        // The tag's seqs 1..=3 predate this test (3 is the vector), so only the unit can be
        // acked in full; the tag is acked once the gap below its seq 3 is filled or given up.
        wait_acks(&mut line, &mut [&mut unit], &[5]).await;
        service.wait_metric("sargs_frames_stored_total", 11.0).await;
        assert!(
            service
                .metric("sargs_frames_rejected_total{reason=\"too_short\"}")
                .await
                >= 1.0
        );

        // The line goes away (adapter unplugged) and comes back at the same path.
        drop(line);
        pty.stop();
        tokio::time::sleep(Duration::from_millis(500)).await;
        pty = PtyPair::start_at(pty.engine_side.clone(), pty.device_side.clone());
        let mut line = open(&pty.device_side);
        service
            .wait_metric("sargs_serial_reconnects_total", 1.0)
            .await;
        // Frames sent while the engine reopens the line may be lost on the wire; the session
        // resends until acked, as a real device does.
        let deadline = std::time::Instant::now() + WAIT;
        unit.record(heartbeat(99), now_ms());
        loop {
            for frame in unit.poll_transmit(now_ms() + 20_000, true) {
                line.send(frame.as_slice()).await.unwrap();
            }
            let acked = tokio::time::timeout(
                Duration::from_secs(1),
                wait_acks(&mut line, &mut [&mut unit], &[6]),
            )
            .await;
            if acked.is_ok() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no ACK after the line came back\n{}",
                service.log_text()
            );
        }
        assert_eq!(unit.unacked(), 0, "{}", db.name);
        drop(service);
    }
}

#[tokio::test]
async fn serve_refuses_to_start_without_its_serial_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = sargs(&[
        "serve".into(),
        "--data-dir".into(),
        data.display().to_string(),
        "--mqtt-listen".into(),
        "127.0.0.1:0".into(),
        "--http".into(),
        "127.0.0.1:0".into(),
        "--serial".into(),
        "/dev/sargs-no-such-line".into(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot open serial line /dev/sargs-no-such-line"),
        "{stderr}"
    );
}

trait WriteAll {
    async fn write_all_bytes(&mut self, bytes: &[u8]);
}

impl WriteAll for SerialStream {
    async fn write_all_bytes(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.write_all(bytes).await.expect("write to the pty");
        self.flush().await.expect("flush");
    }
}
