//! Devices on the wire and what they talk through: a tag on its own MQTT connection speaking
//! through the firmware-proto device session, frames made by hand, a real Mosquitto, and a real
//! pty pair (socat).

use super::*;

/// A device on its own MQTT connection, speaking through the firmware-proto device session.
pub struct MqttDevice {
    pub session: DeviceSession,
    client: AsyncClient,
    downlink: mpsc::UnboundedReceiver<Vec<u8>>,
    task: tokio::task::JoinHandle<()>,
}

async fn drive(mut eventloop: EventLoop, tx: mpsc::UnboundedSender<Vec<u8>>) {
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if tx.send(p.payload.to_vec()).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

impl MqttDevice {
    pub async fn connect(port: u16, id: u64, key: Option<DeviceKey>) -> MqttDevice {
        let mut options =
            MqttOptions::new(format!("test-device-{id}-{}", now_ms()), "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(30));
        let (client, eventloop) = AsyncClient::new(options, 1024);
        let (tx, downlink) = mpsc::unbounded_channel();
        client
            .subscribe(format!("em/v1/{id}/down"), QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        let task = tokio::spawn(drive(eventloop, tx));
        // Let the subscription reach the broker before anything is sent.
        tokio::time::sleep(Duration::from_millis(300)).await;
        MqttDevice {
            session: DeviceSession::new(id, key, 1, SessionOptions::default()),
            client,
            downlink,
            task,
        }
    }

    pub async fn publish_raw(&self, topic: &str, bytes: Vec<u8>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, bytes)
            .await
            .expect("publish");
    }

    pub async fn publish(&self, bytes: Vec<u8>) {
        let topic = format!("em/v1/{}/up", self.session.device_id());
        self.publish_raw(&topic, bytes).await;
    }

    /// Record messages and send every frame the session has due.
    pub async fn send(&mut self, messages: &[Message]) -> Vec<Vec<u8>> {
        let now = now_ms();
        for m in messages {
            self.session.record(*m, now);
        }
        let frames = self.session.poll_transmit(now, true);
        for f in &frames {
            self.publish(f.clone()).await;
        }
        frames
    }

    /// Apply downlinks until the session's acked seq reaches `seq`; returns the ACK events seen.
    pub async fn wait_acked(&mut self, seq: u32) -> Vec<DownlinkEvent> {
        let mut events = Vec::new();
        let deadline = Instant::now() + WAIT;
        while self.session.acked_seq() < seq {
            let what = format!("acked through {seq} (at {})", self.session.acked_seq());
            events.push(self.next_event(deadline, &what).await);
        }
        events
    }

    /// Apply downlinks until one is `wanted`; fails after [`WAIT`].
    pub async fn wait_event(&mut self, wanted: &DownlinkEvent) {
        let deadline = Instant::now() + WAIT;
        while self.next_event(deadline, &format!("{wanted:?}")).await != *wanted {}
    }

    /// Apply downlinks until `pick` finds what it wants in one; what it found. Fails after
    /// [`WAIT`].
    pub async fn poll_event<T>(&mut self, pick: impl Fn(&DownlinkEvent) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(found) = pick(&self.next_event(deadline, "the awaited downlink").await) {
                return found;
            }
        }
    }

    /// The next downlink, applied to the session; fails naming `what` if none comes by
    /// `deadline`.
    async fn next_event(&mut self, deadline: Instant, what: &str) -> DownlinkEvent {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, self.downlink.recv())
            .await
            .unwrap_or_else(|_| panic!("device {}: never {what}", self.session.device_id()))
            .expect("downlink channel");
        self.session
            .handle_downlink(&frame, now_ms())
            .unwrap_or_else(|e| {
                panic!(
                    "bad downlink for device {}: {e:?}",
                    self.session.device_id()
                )
            })
    }

    /// Take the session out (for a device that moves to a new connection).
    pub fn into_session(mut self) -> DeviceSession {
        let id = self.session.device_id();
        std::mem::replace(
            &mut self.session,
            DeviceSession::new(id, None, 1, SessionOptions::default()),
        )
    }

    /// Whatever downlinks arrive within `window`.
    pub async fn downlinks_within(&mut self, window: Duration) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        let deadline = Instant::now() + window;
        while let Ok(Some(f)) = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            self.downlink.recv(),
        )
        .await
        {
            frames.push(f);
        }
        frames
    }
}

impl Drop for MqttDevice {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A frame built by hand, without a session: for frames a well-behaved device would not send.
pub fn raw_frame(
    device_id: u64,
    seq: u32,
    time_ms: u64,
    flags: Flags,
    message: Message,
) -> Vec<u8> {
    let header = Header {
        frame_type: message.frame_type(),
        flags,
        device_id,
        seq,
        time_ms,
    };
    firmware_proto::encode_to_vec(&header, &message, None).expect("a valid frame")
}

/// A heartbeat message with plausible values.
pub fn heartbeat(battery: u8) -> Message {
    Message::Heartbeat(firmware_proto::Heartbeat {
        battery_percent: battery,
        battery_mv: 3900,
        status: firmware_proto::HeartbeatStatus(0x0007),
        rssi_dbm: -70,
        temperature_c: 30,
    })
}

/// A real Mosquitto on a free port, stopped when dropped.
pub struct Mosquitto {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    pub fn start() -> Mosquitto {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 1000\nmax_queued_messages 100000\n"),
        )
        .expect("write mosquitto.conf");
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is installed (.ci/run installs it)");
        wait_for(&format!("mosquitto to listen on {port}"), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Mosquitto {
            child,
            port,
            _dir: dir,
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Two linked pseudo-terminals from socat: what is written to one is read from the other.
pub struct PtyPair {
    child: Child,
    pub engine_side: PathBuf,
    pub device_side: PathBuf,
}

impl PtyPair {
    pub fn start(dir: &Path) -> PtyPair {
        Self::start_at(dir.join("engine-tty"), dir.join("device-tty"))
    }

    pub fn start_at(engine_side: PathBuf, device_side: PathBuf) -> PtyPair {
        let _ = std::fs::remove_file(&engine_side);
        let _ = std::fs::remove_file(&device_side);
        let child = Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", engine_side.display()))
            .arg(format!("pty,raw,echo=0,link={}", device_side.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat is installed (.ci/run installs it)");
        wait_for("socat to create the pty pair", || {
            engine_side.exists() && device_side.exists()
        });
        PtyPair {
            child,
            engine_side,
            device_side,
        }
    }

    pub fn stop(&mut self) {
        stop(&mut self.child);
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        self.stop();
    }
}
