//! The writing stage: batch, commit, and only then acknowledge.
//!
//! Frames are taken from the channel as they come; whatever piled up while the previous commit
//! was in flight forms the next batch (group commit), so a slow fsync makes batches larger rather
//! than the service slower. Per device the stage keeps the link ([`EngineLink`]: the ack
//! watermark, gaps and the downlink seq), which decides what each frame is and which ACK to send;
//! this stage only does the I/O around it (the clock, the commit, the channels). The link is
//! changed on a copy and kept only when the commit succeeds: a failed commit acknowledges
//! nothing, and the devices resend. The ACKs go out only after the commit.
//!
//! Commands to devices (`crate::downlink`) come in on a channel of their own and are served
//! between batches, a few at a time, so that neither frames nor commands can starve the other.
//! A command's seq comes from the same per-device counter as the ACKs' and is persisted before
//! the frame leaves.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use bytes::Bytes;
use firmware_proto::{AckToSend, DeviceKey, EngineLink};
use tokio::sync::mpsc;

use crate::check::{Accepted, Checked, is_clock_skewed};
use crate::downlink::CommandReceiver;
use crate::hold::{Hold, Retry};
use crate::metrics::Metrics;
use crate::source::{SerialLine, Via};
use crate::store::{
    DeviceUpdate, DeviceWindowState, ObservationRow, SecurityEvent, SeqGap, Telemetry,
    UnknownSighting, WriteBatch,
};
use store::StoreError;

mod commands;
mod foreign;

/// How the writer batches frames and copes with holes and storage failures.
#[derive(Clone, Debug)]
pub struct WriterOptions {
    /// Most frames in one commit.
    pub max_batch: usize,
    /// How long a hole in a device's sequence may stay open while later frames arrive.
    pub gap_timeout_ms: i64,
    /// Most frames held while the storage refuses writes (about 300 bytes each); past it
    /// frames are dropped unacknowledged, and their devices send them again.
    pub hold_limit: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            max_batch: 4096,
            gap_timeout_ms: 120_000,
            hold_limit: 100_000,
        }
    }
}

/// Where the writer sends ACK frames for devices heard over MQTT.
pub trait MqttDownlink: Send + 'static {
    /// Queue a downlink frame without waiting; false if it could not be queued.
    fn try_send(&self, device_id: u64, frame: Bytes) -> bool;
}

/// Commands served between two batches at most; the rest wait for the next turn.
const COMMANDS_PER_TURN: usize = 16;

/// How long one commit may take before it counts as refused.
const COMMIT_PATIENCE: Duration = Duration::from_secs(10);

/// How long a stopping writer keeps trying to commit what it holds.
const STOP_PATIENCE: Duration = Duration::from_secs(3);

/// Sleeps until `at`, or not at all without one.
async fn sleep_until_or_now(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at.into()).await;
    }
}

#[derive(Clone, Debug)]
struct DeviceState {
    link: EngineLink,
    /// How the device was last heard by this process, once it has been.
    route: Option<Via>,
}

impl From<DeviceWindowState> for DeviceState {
    fn from(stored: DeviceWindowState) -> Self {
        DeviceState {
            link: EngineLink::restore(stored.acked_through, stored.stored_above, stored.down_seq),
            route: None,
        }
    }
}

/// One device's share of a batch.
struct Touched {
    state: DeviceState,
    last_seen_ms: i64,
    via: Via,
    key: Option<DeviceKey>,
    clock_offset_ms: Option<i64>,
}

/// The writing stage: stores checked frames in batches, one commit each, then acknowledges
/// them to their devices, and sends commands to devices.
pub struct Writer<D> {
    store: Telemetry,
    metrics: Arc<Metrics>,
    options: WriterOptions,
    downlink: D,
    devices: HashMap<u64, DeviceState>,
    /// The serial lines of this process, to reach a device last heard on one before a restart.
    serial_lines: Vec<Arc<SerialLine>>,
}

impl<D: MqttDownlink> Writer<D> {
    /// A writer storing into `store`, counting into `metrics`, sending MQTT downlinks through
    /// `downlink`.
    pub fn new(
        store: Telemetry,
        metrics: Arc<Metrics>,
        options: WriterOptions,
        downlink: D,
    ) -> Self {
        Writer {
            store,
            metrics,
            options,
            downlink,
            devices: HashMap::new(),
            serial_lines: Vec::new(),
        }
    }

    /// The serial lines a device may have been heard on before this process started.
    pub fn with_serial_lines(mut self, lines: Vec<Arc<SerialLine>>) -> Self {
        self.serial_lines = lines;
        self
    }

    /// Run until the channel closes; every batch received before that is committed and acked.
    pub async fn run(self, rx: mpsc::Receiver<Checked>) {
        // A channel whose sender is gone: no commands ever come.
        let (_, commands) = mpsc::channel(1);
        self.run_with_commands(rx, commands).await;
    }

    /// [`Writer::run`], also serving commands to devices between batches. Commands still
    /// waiting when the frame channel closes are answered `DownlinkError::Stopped`.
    ///
    /// While the storage refuses writes, frames taken are held (see the private `hold` module)
    /// and the commit is tried again, ever less often, until it goes through; nothing is
    /// acknowledged meanwhile. Once the frame channel has closed, the storage is given
    /// `STOP_PATIENCE` to take what is held; what it does not take is given up, unacked.
    pub async fn run_with_commands(
        mut self,
        mut rx: mpsc::Receiver<Checked>,
        mut commands: CommandReceiver,
    ) {
        // Every known device's window up front; devices registered later are loaded lazily.
        match self.store.device_windows(None).await {
            Ok(windows) => {
                self.devices = windows
                    .into_iter()
                    .map(|(id, stored)| (id, DeviceState::from(stored)))
                    .collect();
            }
            Err(error) => tracing::warn!(%error, "cannot preload device windows; loading lazily"),
        }
        let mut items = Vec::with_capacity(self.options.max_batch);
        let mut hold = Hold::default();
        let mut refusing: Option<Retry> = None;
        let mut intake_open = true;
        let mut commands_open = true;
        let mut stopping_at: Option<Instant> = None;
        loop {
            // Commands that waited during the last commit, a few, then frames again.
            for _ in 0..COMMANDS_PER_TURN {
                match commands.try_recv() {
                    Ok(request) => self.serve(request).await,
                    Err(_) => break,
                }
            }
            if !intake_open && hold.is_empty() {
                break;
            }
            let next_try = refusing.as_ref().map(Retry::next_try);
            // While stopping, a commit may take only what is left of the stopping time.
            let patience = match stopping_at {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => COMMIT_PATIENCE,
            };
            if patience.is_zero() {
                let given_up = hold.clear();
                tracing::error!(
                    frames = given_up,
                    "stopping with frames the storage would not take; none was acknowledged, \
                     their devices send them again"
                );
                break;
            }
            tokio::select! {
                biased;
                // The held frames' turn: at once when the storage takes writes, else when due.
                () = sleep_until_or_now(next_try), if !hold.is_empty() => {
                    let n = self.options.max_batch.min(hold.len());
                    match self.commit_in_time(hold.front(n), patience).await {
                        Ok(()) => {
                            hold.committed(n);
                            if let Some(retry) = refusing.take() {
                                tracing::warn!(
                                    refused_for_ms = retry.since().elapsed().as_millis() as u64,
                                    still_held = hold.len(),
                                    "the storage takes writes again; acknowledging"
                                );
                            }
                        }
                        Err(error) => {
                            self.refused(&mut refusing, &error, hold.len());
                        }
                    }
                }
                n = rx.recv_many(&mut items, self.options.max_batch), if intake_open => {
                    if n == 0 {
                        intake_open = false;
                        stopping_at = Some(Instant::now() + STOP_PATIENCE);
                        continue;
                    }
                    if hold.is_empty() && refusing.is_none() {
                        match self.commit_in_time(&items, patience).await {
                            Ok(()) => {
                                items.clear();
                                continue;
                            }
                            Err(error) => self.refused(&mut refusing, &error, items.len()),
                        }
                    }
                    let dropped = hold.take(items.drain(..), self.options.hold_limit.max(1));
                    if dropped > 0 {
                        self.metrics.dropped_unstored.fetch_add(dropped, Relaxed);
                    }
                }
                request = commands.recv(), if commands_open => match request {
                    Some(request) => self.serve(request).await,
                    None => commands_open = false,
                },
            }
        }
    }

    /// A commit failed: note it, wait longer before the next, and say so now and then.
    fn refused(&self, refusing: &mut Option<Retry>, error: &StoreError, held: usize) {
        self.metrics.commit_failures.fetch_add(1, Relaxed);
        let now = Instant::now();
        let retry = refusing.get_or_insert_with(|| Retry::new(now));
        if let Some(failures) = retry.failed(now) {
            tracing::error!(
                %error,
                failures,
                held,
                dropped = self.metrics.dropped_unstored.load(Relaxed),
                refusing_for_ms = retry.since().elapsed().as_millis() as u64,
                "the storage refuses writes: nothing is acknowledged; frames are held and tried again"
            );
        }
    }

    /// [`Writer::commit`], given up after `patience` ([`COMMIT_PATIENCE`]): a database that does not answer
    /// (a server gone without closing its connections) must not stop the writer taking frames.
    /// Giving up is safe: nothing is acknowledged, and a commit that went through after all
    /// only makes the devices' resends duplicates, which are stored once.
    async fn commit_in_time(
        &mut self,
        items: &[Checked],
        patience: Duration,
    ) -> Result<(), StoreError> {
        let outcome = match tokio::time::timeout(patience, self.commit(items)).await {
            Ok(outcome) => outcome,
            Err(_) => {
                self.store.store().write_stalled(patience);
                Err(StoreError::NoAnswer(patience))
            }
        };
        if outcome.is_err() {
            self.forget_foreign_windows(items);
        }
        outcome
    }

    /// Load the windows of the batch's devices this writer has not seen yet, in one go.
    async fn load_new_devices(&mut self, items: &[Checked]) -> Result<(), StoreError> {
        let mut new: Vec<u64> = items
            .iter()
            .filter_map(|item| match item {
                Checked::Accepted(a) => Some(a.frame.header.device_id),
                Checked::Foreign(f) => Some(f.device_id),
                _ => None,
            })
            .filter(|id| !self.devices.contains_key(id))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        new.sort_unstable();
        new.dedup();
        let loaded = self.store.device_windows(Some(&new)).await?;
        self.devices.extend(
            loaded
                .into_iter()
                .map(|(id, stored)| (id, DeviceState::from(stored))),
        );
        Ok(())
    }

    /// Commit one batch, then send the ACKs it earned.
    pub async fn commit(&mut self, items: &[Checked]) -> Result<(), StoreError> {
        self.load_new_devices(items).await?;
        let now_ms = self.store.store().now().0;
        let mut batch = WriteBatch::default();
        let mut touched: HashMap<u64, Touched> = HashMap::new();
        let mut unknown: HashMap<u64, UnknownSighting> = HashMap::new();
        let mut security: HashMap<(u64, &'static str), SecurityEvent> = HashMap::new();
        let mut foreign_stored = if foreign::foreign(items).next().is_some() {
            self.foreign_stored(items).await?
        } else {
            Default::default()
        };
        let mut answered = Vec::new();
        for item in items {
            match item {
                Checked::Accepted(accepted) => {
                    let device_id = accepted.frame.header.device_id;
                    let device = match touched.entry(device_id) {
                        Entry::Occupied(entry) => entry.into_mut(),
                        Entry::Vacant(entry) => {
                            let Some(state) = self.devices.get(&device_id).cloned() else {
                                // Registered when checked, gone now: keep it out, unacked.
                                continue;
                            };
                            entry.insert(Touched {
                                state,
                                last_seen_ms: accepted.received_at_ms,
                                via: accepted.via.clone(),
                                key: accepted.key,
                                clock_offset_ms: None,
                            })
                        }
                    };
                    add_accepted(&mut batch, device, accepted, &self.metrics);
                }
                Checked::Foreign(foreign) => {
                    let device = match touched.entry(foreign.device_id) {
                        Entry::Occupied(entry) => entry.into_mut(),
                        Entry::Vacant(entry) => {
                            let Some(state) = self.devices.get(&foreign.device_id).cloned() else {
                                // Registered when it logged in, gone now: not answered.
                                continue;
                            };
                            entry.insert(Touched {
                                state,
                                last_seen_ms: foreign.received_at_ms,
                                via: Via::Adapter(foreign.adapter),
                                key: None,
                                clock_offset_ms: None,
                            })
                        }
                    };
                    foreign::add_foreign(
                        &mut batch,
                        device,
                        foreign,
                        &mut foreign_stored,
                        &self.metrics,
                    );
                    answered.push(foreign.clone());
                }
                Checked::Unknown {
                    device_id,
                    at_ms,
                    via,
                } => {
                    let sighting = unknown.entry(*device_id).or_insert(UnknownSighting {
                        id: *device_id,
                        at_ms: *at_ms,
                        frames: 0,
                        via: via.clone(),
                    });
                    sighting.frames += 1;
                    sighting.at_ms = sighting.at_ms.max(*at_ms);
                    sighting.via = via.clone();
                }
                Checked::Security {
                    device_id,
                    at_ms,
                    reason,
                    via,
                } => {
                    let event =
                        security
                            .entry((*device_id, reason.label()))
                            .or_insert(SecurityEvent {
                                device_id: *device_id,
                                at_ms: *at_ms,
                                reason: reason.label().to_string(),
                                frames: 0,
                                via: via.to_string(),
                            });
                    event.frames += 1;
                }
            }
        }
        let mut acks = Vec::new();
        for (&device_id, device) in touched.iter_mut() {
            let end = device
                .state
                .link
                .end_batch(now_ms, self.options.gap_timeout_ms);
            if let Some(gap) = end.gap {
                tracing::warn!(
                    device_id,
                    first_seq = gap.first_seq,
                    last_seq = gap.last_seq,
                    "sequence gap given up: the device no longer holds these frames"
                );
                batch.gaps.push(SeqGap {
                    device_id,
                    first_seq: gap.first_seq,
                    last_seq: gap.last_seq,
                    detected_at_ms: now_ms,
                });
            }
            if let Some(ack) = end.ack {
                acks.push((device_id, ack));
            }
            batch.devices.push(DeviceUpdate {
                id: device_id,
                acked_through: end.state.acked_through,
                down_seq: end.state.down_seq,
                last_seen_ms: device.last_seen_ms,
                last_via: device.via.label(),
                clock_offset_ms: device.clock_offset_ms,
                clock_skewed: device.clock_offset_ms.map(is_clock_skewed),
            });
        }
        batch.unknown = unknown.into_values().collect();
        batch.security = security.into_values().collect();
        if batch.is_empty() {
            return Ok(());
        }

        let started = Instant::now();
        let outcome = self.store.write_batch(&batch).await?;
        self.metrics.record_commit(started.elapsed());

        let total = batch.observations.len() as u64;
        self.metrics.stored.fetch_add(outcome.inserted, Relaxed);
        self.metrics
            .duplicate
            .fetch_add(total.saturating_sub(outcome.inserted), Relaxed);
        self.metrics
            .seq_gaps
            .fetch_add(batch.gaps.len() as u64, Relaxed);
        // Committed: now, and only now, the ACKs and the adapters' answers.
        for foreign in answered {
            foreign.committed();
        }
        for (device_id, ack) in acks {
            if let Some(device) = touched.get(&device_id) {
                self.send_ack(device_id, ack, device, now_ms);
            }
        }
        for (device_id, mut device) in touched {
            device.state.route = Some(device.via);
            self.devices.insert(device_id, device.state);
        }
        Ok(())
    }

    fn send_ack(&self, device_id: u64, ack: AckToSend, device: &Touched, now_ms: i64) {
        let (header, message) = ack.frame(device_id, now_ms);
        let frame = match firmware_proto::encode_to_vec(&header, &message, device.key.as_ref()) {
            Ok(frame) => Bytes::from(frame),
            Err(error) => {
                tracing::error!(device_id, %error, "cannot encode ACK");
                return;
            }
        };
        let queued = match &device.via {
            Via::Mqtt { .. } => self.downlink.try_send(device_id, frame),
            Via::Serial(line) => line.downlink.try_send(frame).is_ok(),
            // Its adapter answers it; a device of another protocol asks for no ACK of ours.
            Via::Adapter(_) => false,
        };
        if queued {
            self.metrics.acks_sent.fetch_add(1, Relaxed);
        } else {
            // The device keeps its frames and resends; the next commit acks them again.
            self.metrics.ack_send_failures.fetch_add(1, Relaxed);
            tracing::debug!(device_id, "ACK could not be queued");
        }
    }
}

fn add_accepted(
    batch: &mut WriteBatch,
    device: &mut Touched,
    accepted: &Accepted,
    metrics: &Metrics,
) {
    let header = &accepted.frame.header;
    // New or a duplicate, the row goes to the store, which keeps one per (device, seq) and
    // counts the rest.
    device.state.link.receive(header.seq, header.flags);
    if accepted.received_at_ms >= device.last_seen_ms {
        device.last_seen_ms = accepted.received_at_ms;
        device.via = accepted.via.clone();
    }
    let offset = accepted.live_clock_offset_ms();
    if offset.is_some() {
        device.clock_offset_ms = offset;
    }
    let clock_skewed = offset.is_some_and(is_clock_skewed);
    if clock_skewed {
        metrics.clock_skewed.fetch_add(1, Relaxed);
        tracing::info!(
            device_id = header.device_id,
            seq = header.seq,
            "device clock skewed"
        );
    }
    batch.observations.push(ObservationRow {
        device_id: header.device_id,
        seq: header.seq,
        frame_type: header.frame_type as u8,
        flags: header.flags.bits(),
        device_time_ms: i64::try_from(header.time_ms).unwrap_or(i64::MAX),
        received_at_ms: accepted.received_at_ms,
        via: accepted.via.label(),
        clock_skewed,
        fields: crate::fields_json(&accepted.frame.message),
        raw: accepted.raw.clone(),
    });
}
