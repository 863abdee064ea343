//! Commands to devices through a running `Ingest` (embedded broker, real store; SQLite always,
//! PostgreSQL when SARGS_TEST_DATABASE_URL is set): numbered after the device's ACKs, persisted
//! before they leave, MAC'd with the device's key, sent on the transport the device was last
//! heard on (MQTT or a serial line), and refused with a typed error when they cannot be.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use firmware_proto::{
    DeviceKey, DeviceSession, DownlinkEvent, Flags, FrameType, Message, NotifyWearer, SerialChunk,
    SerialCodec, SessionOptions,
};
use futures::{SinkExt, StreamExt};
use ingest::mqtt::BrokerAddress;
use ingest::serial::SerialSpec;
use ingest::store::{DeviceKind, Telemetry};
use ingest::writer::WriterOptions;
use ingest::{DownlinkCommand, DownlinkError, Ingest, IngestConfig, NotifyPattern};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use store::StoreLocation;
use store::testing::test_databases;
use tokio::sync::mpsc;

mod support;

use support::{FakeMqtt, checked, heartbeat, now_ms};

const WAIT: Duration = Duration::from_secs(20);
const KEY: DeviceKey = [0x5a; 32];

fn config(broker: std::net::SocketAddr, serial: Vec<SerialSpec>) -> IngestConfig {
    IngestConfig {
        broker: BrokerAddress {
            host: broker.ip().to_string(),
            port: broker.port(),
        },
        client_id: format!("sargs-test-{}", now_ms()),
        serial,
        writer: WriterOptions::default(),
        channel_capacity: 1024,
        connect_patience: Duration::from_secs(10),
        teltonika: None,
        osmand: None,
        traccar: None,
    }
}

async fn start(location: &StoreLocation, serial: Vec<SerialSpec>) -> (Telemetry, Ingest, u16) {
    let store = Telemetry::open_at(location).await.expect("open store");
    let broker = ingest::broker::start("127.0.0.1:0".parse().expect("address")).expect("broker");
    let ingest = Ingest::start(
        store.clone(),
        config(broker, serial),
        Arc::new(ingest::metrics::Metrics::default()),
    )
    .await
    .expect("ingest starts");
    (store, ingest, broker.port())
}

/// A device on MQTT: its session, and the frames on its downlink topic.
struct MqttDevice {
    session: DeviceSession,
    client: AsyncClient,
    downlink: mpsc::UnboundedReceiver<Vec<u8>>,
    task: tokio::task::JoinHandle<()>,
}

async fn drive(
    mut eventloop: EventLoop,
    tx: mpsc::UnboundedSender<Vec<u8>>,
    subscribed: tokio::sync::oneshot::Sender<()>,
) {
    let mut subscribed = Some(subscribed);
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if tx.send(p.payload.to_vec()).is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                if let Some(s) = subscribed.take() {
                    let _ = s.send(());
                }
            }
            Ok(_) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

impl MqttDevice {
    async fn connect(port: u16, session: DeviceSession) -> MqttDevice {
        let id = session.device_id();
        let mut options =
            MqttOptions::new(format!("test-device-{id}-{}", now_ms()), "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(30));
        let (client, eventloop) = AsyncClient::new(options, 1024);
        let (tx, downlink) = mpsc::unbounded_channel();
        let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
        client
            .subscribe(format!("em/v1/{id}/down"), QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        let task = tokio::spawn(drive(eventloop, tx, subscribed_tx));
        tokio::time::timeout(WAIT, subscribed)
            .await
            .expect("SUBACK in time")
            .expect("driver alive");
        MqttDevice {
            session,
            client,
            downlink,
            task,
        }
    }

    async fn send(&mut self, messages: &[Message]) {
        let now = now_ms();
        for m in messages {
            self.session.record(*m, now);
        }
        for frame in self.session.poll_transmit(now, true) {
            self.client
                .publish(
                    format!("em/v1/{}/up", self.session.device_id()),
                    QoS::AtLeastOnce,
                    false,
                    frame,
                )
                .await
                .expect("publish");
        }
    }

    async fn next_downlink(&mut self) -> Vec<u8> {
        tokio::time::timeout(WAIT, self.downlink.recv())
            .await
            .expect("a downlink frame in time")
            .expect("driver alive")
    }

    /// Apply downlinks until everything sent is acked; returns the last ACK's downlink seq.
    async fn wait_all_acked(&mut self) -> u32 {
        let mut last = 0;
        while self.session.unacked() > 0 {
            let bytes = self.next_downlink().await;
            let frame = firmware_proto::decode(&bytes).expect("decodable downlink");
            let event = self
                .session
                .handle_downlink(&bytes, now_ms())
                .expect("accepted downlink");
            assert!(matches!(event, DownlinkEvent::Acked { .. }), "{event:?}");
            last = frame.header.seq;
        }
        last
    }

    /// The next downlink frame: checks it with the device's session and returns its seq and
    /// what it asked.
    async fn command(&mut self) -> (u32, DownlinkEvent, Flags) {
        let bytes = self.next_downlink().await;
        let frame = firmware_proto::decode(&bytes).expect("decodable downlink");
        let event = self
            .session
            .handle_downlink(&bytes, now_ms())
            .expect("accepted (MAC verified, seq above the last)");
        (frame.header.seq, event, frame.header.flags)
    }
}

impl Drop for MqttDevice {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn commands_go_out_on_mqtt_after_the_acks_and_their_seq_survives_a_restart() {
    for db in test_databases().await {
        let backend = db.name;
        let store = Telemetry::open_at(&db.location).await.expect("open store");
        let now = i64::try_from(now_ms()).unwrap_or_default();
        store
            .register_devices(&[(1001, DeviceKind::GpsTag, Some(KEY))], now)
            .await
            .expect("register");
        store
            .register_devices(&[(1002, DeviceKind::GpsTag, None)], now)
            .await
            .expect("register");
        store.store().close().await;

        let (store, ingest, port) = start(&db.location, Vec::new()).await;
        let downlink = ingest.downlink();
        let session = DeviceSession::new(1001, Some(KEY), 1, SessionOptions::default());
        let mut device = MqttDevice::connect(port, session).await;
        device.send(&[heartbeat(90), heartbeat(89)]).await;
        let last_ack = device.wait_all_acked().await;
        assert!(last_ack >= 1, "{backend}");

        let sent = downlink
            .send(
                1001,
                DownlinkCommand::NotifyWearer {
                    pattern: NotifyPattern::LongVibration,
                    message_id: 7,
                },
            )
            .await
            .expect("notify sent");
        assert_eq!((sent.seq, sent.via.as_str()), (last_ack + 1, "mqtt"));
        let (seq, event, flags) = device.command().await;
        assert_eq!(seq, last_ack + 1, "{backend}");
        assert!(flags.contains(Flags::MAC), "a keyed device gets a MAC");
        assert_eq!(
            event,
            DownlinkEvent::Notify(NotifyWearer {
                pattern: NotifyPattern::LongVibration,
                message_id: 7,
            })
        );

        let sent = downlink
            .send(1001, DownlinkCommand::LocateNow)
            .await
            .expect("locate sent");
        assert_eq!(sent.seq, last_ack + 2);
        let (seq, event, _) = device.command().await;
        assert_eq!((seq, event), (last_ack + 2, DownlinkEvent::LocateNow));
        // Persisted.
        let window = store.device_window(1001).await.expect("window");
        assert_eq!(window.map(|w| w.down_seq), Some(last_ack + 2), "{backend}");

        // The answer to LOCATE_NOW comes in as any frame, and its ACK follows the commands.
        device.send(&[heartbeat(88)]).await;
        let ack = device.wait_all_acked().await;
        assert_eq!(ack, last_ack + 3, "{backend}");

        // Unknown and never-heard devices.
        assert!(matches!(
            downlink.send(4242, DownlinkCommand::LocateNow).await,
            Err(DownlinkError::UnknownDevice(4242))
        ));
        assert!(matches!(
            downlink.send(1002, DownlinkCommand::LocateNow).await,
            Err(DownlinkError::NoRoute(1002))
        ));

        // A restart: the new writer has not heard the device, finds it by its stored route,
        // and goes on after the persisted seq.
        ingest.shutdown().await;
        assert!(matches!(
            downlink.send(1001, DownlinkCommand::LocateNow).await,
            Err(DownlinkError::Stopped)
        ));
        let session = std::mem::replace(
            &mut device.session,
            DeviceSession::new(1, None, 1, SessionOptions::default()),
        );
        drop(device);
        store.store().close().await;
        let (store, ingest, port) = start(&db.location, Vec::new()).await;
        let mut device = MqttDevice::connect(port, session).await;
        let sent = ingest
            .downlink()
            .send(
                1001,
                DownlinkCommand::NotifyWearer {
                    pattern: NotifyPattern::Beep,
                    message_id: 65_535,
                },
            )
            .await
            .expect("sent after restart");
        assert_eq!(sent.seq, last_ack + 4, "{backend}: never reused");
        let (seq, event, _) = device.command().await;
        assert_eq!(seq, last_ack + 4);
        assert!(matches!(event, DownlinkEvent::Notify(_)), "{event:?}");
        // And ACKs after it go on from there.
        device.send(&[heartbeat(87)]).await;
        assert_eq!(device.wait_all_acked().await, last_ack + 5, "{backend}");
        ingest.shutdown().await;
        store.store().close().await;
    }
}

/// Two linked pseudo-terminals from socat: what is written to one is read from the other.
struct PtyPair {
    child: Child,
    engine_side: PathBuf,
    device_side: PathBuf,
}

impl PtyPair {
    fn start(dir: &Path) -> PtyPair {
        let engine_side = dir.join("engine-tty");
        let device_side = dir.join("device-tty");
        let child = Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", engine_side.display()))
            .arg(format!("pty,raw,echo=0,link={}", device_side.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat is installed (.ci/run installs it)");
        let deadline = Instant::now() + WAIT;
        while !(engine_side.exists() && device_side.exists()) {
            assert!(Instant::now() < deadline, "socat made no pty pair");
            std::thread::sleep(Duration::from_millis(20));
        }
        PtyPair {
            child,
            engine_side,
            device_side,
        }
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The next frame on the device's side of a serial line, skipping noise.
async fn next_frame(
    line: &mut tokio_util::codec::Framed<tokio_serial::SerialStream, SerialCodec>,
) -> bytes::Bytes {
    loop {
        let chunk = tokio::time::timeout(WAIT, line.next())
            .await
            .expect("a frame on the line in time")
            .expect("line open")
            .expect("read");
        if let SerialChunk::Frame(bytes) = chunk {
            return bytes;
        }
    }
}

#[tokio::test]
async fn a_device_heard_on_a_serial_line_gets_its_command_on_that_line() {
    use tokio_serial::SerialPortBuilderExt;

    for db in test_databases().await {
        let dir = tempfile::tempdir().expect("temporary directory");
        let pty = PtyPair::start(dir.path());
        let store = Telemetry::open_at(&db.location).await.expect("open store");
        let now = i64::try_from(now_ms()).unwrap_or_default();
        store
            .register_devices(&[(5001, DeviceKind::HomeUnit, Some(KEY))], now)
            .await
            .expect("register");
        store.store().close().await;
        let spec = SerialSpec {
            path: pty.engine_side.clone(),
            baud: 115_200,
        };
        let (store, ingest, _) = start(&db.location, vec![spec]).await;
        let port = tokio_serial::new(pty.device_side.to_string_lossy(), 115_200)
            .open_native_async()
            .expect("open the device side");
        let mut line = tokio_util::codec::Framed::new(port, SerialCodec::default());
        let mut unit = DeviceSession::new(5001, Some(KEY), 1, SessionOptions::default());
        unit.record(heartbeat(100), now_ms());
        for frame in unit.poll_transmit(now_ms(), true) {
            line.send(frame.as_slice()).await.expect("write");
        }
        let ack = next_frame(&mut line).await;
        assert!(matches!(
            unit.handle_downlink(&ack, now_ms()),
            Ok(DownlinkEvent::Acked { acked_seq: 1, .. })
        ));
        let sent = ingest
            .downlink()
            .send(5001, DownlinkCommand::LocateNow)
            .await
            .expect("sent");
        let label = format!("serial:{}", pty.engine_side.display());
        assert_eq!((sent.seq, sent.via), (2, label), "{}", db.name);
        let bytes = next_frame(&mut line).await;
        let frame = firmware_proto::decode(&bytes).expect("decodable");
        assert_eq!(
            (frame.header.frame_type, frame.header.seq),
            (FrameType::LocateNow, 2)
        );
        assert_eq!(
            unit.handle_downlink(&bytes, now_ms()),
            Ok(DownlinkEvent::LocateNow)
        );
        ingest.shutdown().await;
        store.store().close().await;
    }
}

#[tokio::test]
async fn a_command_that_cannot_be_queued_still_uses_its_seq() {
    use ingest::source::{SerialLine, Via};

    for db in test_databases().await {
        let store = Telemetry::open_at(&db.location).await.expect("open store");
        let now = i64::try_from(now_ms()).unwrap_or_default();
        for id in [1001, 5001] {
            store
                .register_devices(&[(id, DeviceKind::GpsTag, None)], now)
                .await
                .expect("register");
        }
        let metrics = Arc::new(ingest::metrics::Metrics::default());
        let mqtt = FakeMqtt::default();
        let mut writer = ingest::writer::Writer::new(
            store.clone(),
            metrics.clone(),
            WriterOptions::default(),
            mqtt.clone(),
        );
        let mut checker = ingest::check::Checker::new(store.clone(), metrics);

        // Heard over MQTT: ACK seq 1, then the command seq 2, without a MAC (no key).
        let mut tag = DeviceSession::new(1001, None, 1, SessionOptions::default());
        let items = checked(
            &mut checker,
            &mut tag,
            Via::Mqtt {
                topic_device: Some(1001),
            },
        )
        .await;
        writer.commit(&items).await.expect("commit");
        let sent = writer
            .send_command(1001, DownlinkCommand::LocateNow)
            .await
            .expect("sent");
        assert_eq!(sent.seq, 2, "{}", db.name);
        {
            let frames = mqtt.sent.lock().expect("lock");
            assert_eq!(frames.len(), 2);
            let frame = firmware_proto::decode(&frames[1].1).expect("decodable");
            assert_eq!(frame.header.seq, 2);
            assert!(!frame.header.flags.contains(Flags::MAC), "no key, no MAC");
            assert_eq!(frame.message, Message::LocateNow);
        }
        mqtt.full.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(matches!(
            writer.send_command(1001, DownlinkCommand::LocateNow).await,
            Err(DownlinkError::QueueFull {
                device_id: 1001,
                ..
            })
        ));
        mqtt.full.store(false, std::sync::atomic::Ordering::Relaxed);
        let sent = writer
            .send_command(1001, DownlinkCommand::LocateNow)
            .await
            .expect("sent");
        assert_eq!(sent.seq, 4, "seq 3 was used by the frame that never left");
        assert_eq!(
            store
                .device_window(1001)
                .await
                .expect("window")
                .map(|w| w.down_seq),
            Some(4)
        );

        // Heard on a serial line whose queue is full, then closed.
        let (tx, rx) = mpsc::channel(1);
        let line = Arc::new(SerialLine {
            label: Arc::from("serial:/dev/test"),
            downlink: tx,
        });
        let mut unit = DeviceSession::new(5001, None, 1, SessionOptions::default());
        let items = checked(&mut checker, &mut unit, Via::Serial(line)).await;
        writer.commit(&items).await.expect("commit");
        // The ACK took the only place in the queue.
        assert!(matches!(
            writer.send_command(5001, DownlinkCommand::LocateNow).await,
            Err(DownlinkError::QueueFull { device_id: 5001, ref via }) if via == "serial:/dev/test"
        ));
        drop(rx);
        assert!(matches!(
            writer.send_command(5001, DownlinkCommand::LocateNow).await,
            Err(DownlinkError::TransportClosed {
                device_id: 5001,
                ..
            })
        ));
        store.store().close().await;
    }
}
