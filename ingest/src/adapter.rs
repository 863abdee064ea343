//! What every adapter for devices of another protocol shares: the batch of reports it hands the
//! writer, the answer it waits for, and its counters.
//!
//! An adapter (Teltonika over TCP, OsmAnd over HTTP, Traccar forwarding) reads its own wire
//! format with `foreign_proto`, finds the device by its identity in the registry, and passes the
//! reports of one packet or request as one [`ForeignBatch`]. The writer numbers, dedupes and
//! commits them with everything else, and only after the commit tells the adapter how many it
//! took: then, and only then, the adapter answers its device.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex};

use foreign_proto::ForeignReport;
use sha2::{Digest, Sha256};
use store::StoreError;
use tokio::sync::oneshot;
use tokio::time::{Duration, Instant};

use crate::check::Checked;
use crate::metrics::Metrics;
use crate::store::{IdentifiedDevice, Telemetry};
use store::Clock;
use tokio::sync::mpsc;

/// The adapters, as metrics and stored observations name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Adapter {
    /// Teltonika Codec 8 and 8 Extended over TCP.
    Teltonika,
    /// OsmAnd over HTTP (Traccar Client on phones, many trackers).
    OsmAnd,
    /// Positions forwarded by a Traccar server.
    Traccar,
}

impl Adapter {
    /// The adapter's name: the `via` of its observations, the label of its counters, and the
    /// scheme of its devices' identities (`teltonika:<IMEI>`).
    pub fn label(self) -> &'static str {
        match self {
            Adapter::Teltonika => "teltonika",
            Adapter::OsmAnd => "osmand",
            Adapter::Traccar => "traccar",
        }
    }

    /// The adapter's name as an observation's `via`.
    pub fn via(self) -> Arc<str> {
        static LABELS: LazyLock<[Arc<str>; 3]> =
            LazyLock::new(|| Adapter::ALL.map(|a| Arc::from(a.label())));
        LABELS[self as usize].clone()
    }

    /// The adapter whose `via` label this is.
    pub fn of_label(label: &str) -> Option<Adapter> {
        Adapter::ALL.into_iter().find(|a| a.label() == label)
    }

    /// Why this adapter refuses input, every reason known in advance so each shows as 0.
    fn reasons(self) -> Vec<&'static str> {
        match self {
            Adapter::Teltonika => crate::teltonika::reasons().collect(),
            Adapter::OsmAnd => crate::osmand::reasons().collect(),
            Adapter::Traccar => crate::traccar::reasons().collect(),
        }
    }

    const ALL: [Adapter; 3] = [Adapter::Teltonika, Adapter::OsmAnd, Adapter::Traccar];

    /// The registry identity of a device of this adapter, from its id as the protocol gives it.
    pub fn identity(self, id: &str) -> String {
        format!("{}:{id}", self.label())
    }

    /// The registry identity of a device of this adapter from its id as a person types it, if
    /// the protocol can send such an id: a Teltonika IMEI is 15 to 17 digits (its login's
    /// rule, `foreign_proto::teltonika::decode_login`).
    pub fn identity_of(self, typed: &str) -> Option<String> {
        let id = typed.trim();
        let valid = match self {
            Adapter::Teltonika => {
                (15..=17).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
            }
            // As the decoders take an id.
            Adapter::OsmAnd | Adapter::Traccar => foreign_proto::name(id).is_some(),
        };
        valid.then(|| self.identity(id))
    }
}

/// How a shared secret is kept: its SHA-256, in hex. A device's token is long and random, so
/// a plain hash is enough (no password stretching), and comparing hashes takes the same time
/// whatever the secret.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new token for a device whose protocol has no secret of its own: 32 random bytes, in hex.
/// It is shown once, when the device is registered; only its hash is kept.
pub fn new_device_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// An id not registered is looked up again after this long, so that a device registered while
/// the service runs is taken within seconds while a flood of invented ids costs no query each.
const UNKNOWN_RECHECK: Duration = Duration::from_secs(2);
/// A registered one is looked up again after this long, so that a token changed or a device
/// let go takes effect within a minute.
const KNOWN_RECHECK: Duration = Duration::from_secs(60);
/// Most identities remembered; past it the memory starts again.
const MAX_REMEMBERED: usize = 100_000;

/// The registry's answers for an adapter's identities, remembered for a while.
#[derive(Debug, Default)]
pub struct IdentityCache {
    remembered: Mutex<HashMap<String, (Option<IdentifiedDevice>, Instant)>>,
}

impl IdentityCache {
    /// The device registered as `identity`, if any.
    pub async fn device(
        &self,
        store: &Telemetry,
        identity: String,
    ) -> Result<Option<IdentifiedDevice>, StoreError> {
        let now = Instant::now();
        if let Ok(remembered) = self.remembered.lock()
            && let Some((device, looked)) = remembered.get(&identity)
        {
            let patience = if device.is_some() {
                KNOWN_RECHECK
            } else {
                UNKNOWN_RECHECK
            };
            if now.duration_since(*looked) < patience {
                return Ok(device.clone());
            }
        }
        let found = store.device_by_identity(&identity).await?;
        if let Ok(mut remembered) = self.remembered.lock() {
            if remembered.len() >= MAX_REMEMBERED {
                remembered.clear();
            }
            remembered.insert(identity, (found.clone(), now));
        }
        Ok(found)
    }
}

/// What an adapter's connections share: the way to the writer, the registry, the counters and
/// the clock.
pub struct Intake {
    adapter: Adapter,
    writer: mpsc::Sender<Checked>,
    store: Telemetry,
    /// The counters, the adapters' among them.
    pub metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    registry: IdentityCache,
}

/// Why reports were not committed: the device is to send them again.
#[derive(Debug, PartialEq, Eq)]
pub enum NotCommitted {
    /// The service is stopping.
    Stopping,
    /// Not within the patience given (the storage refuses writes, most likely).
    NotInTime,
}

impl Intake {
    /// The intake of `adapter`, to the writer through `writer`.
    pub fn new(
        adapter: Adapter,
        writer: mpsc::Sender<Checked>,
        store: Telemetry,
        metrics: Arc<Metrics>,
    ) -> Intake {
        Intake {
            adapter,
            writer,
            clock: store.store().clock(),
            store,
            metrics,
            registry: IdentityCache::default(),
        }
    }

    /// The device registered with this id in the adapter's protocol, if any.
    pub async fn device(&self, id: &str) -> Result<Option<IdentifiedDevice>, StoreError> {
        self.registry
            .device(&self.store, self.adapter.identity(id))
            .await
    }

    /// Engine time, in ms since the epoch UTC.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().0
    }

    /// Counts one refusal.
    pub fn reject(&self, reason: &'static str) {
        self.metrics.adapters.reject(self.adapter, reason);
    }

    /// A connection opened (`true`) or closed.
    pub fn connection(&self, opened: bool) {
        self.metrics.adapters.connection(self.adapter, opened);
    }

    /// Lists a device that is not registered for technicians, if its id is a number.
    pub async fn unknown(&self, id: &str) {
        if let Ok(device_id) = id.parse::<u64>() {
            let sighting = Checked::Unknown {
                device_id,
                at_ms: self.now_ms(),
                via: self.adapter.via(),
            };
            let _ = self.writer.send(sighting).await;
        }
    }

    /// Hands the reports of one packet or request to the writer and waits, at most `patience`,
    /// for their commit; then, and only then, they may be answered. Gives how many were taken.
    pub async fn commit(
        &self,
        device_id: u64,
        reports: Vec<ForeignReport>,
        patience: Duration,
    ) -> Result<usize, NotCommitted> {
        self.metrics.adapters.received(self.adapter, reports.len());
        let (batch, committed) = ForeignBatch::new(device_id, self.adapter, reports, self.now_ms());
        self.writer
            .send(Checked::Foreign(batch))
            .await
            .map_err(|_| NotCommitted::Stopping)?;
        match tokio::time::timeout(patience, committed).await {
            Ok(Ok(taken)) => Ok(taken),
            Ok(Err(_)) => Err(NotCommitted::Stopping),
            Err(_) => {
                self.reject("not_stored_in_time");
                Err(NotCommitted::NotInTime)
            }
        }
    }
}

/// The reports of one packet or request, from one registered device, for the writer.
#[derive(Debug)]
pub struct ForeignBatch {
    /// The device, as registered.
    pub device_id: u64,
    /// Which adapter heard it.
    pub adapter: Adapter,
    /// The reports, in the order sent.
    pub reports: Vec<ForeignReport>,
    /// When the engine received them, in ms since the epoch UTC.
    pub received_at_ms: i64,
    answer: Mutex<Option<oneshot::Sender<usize>>>,
}

impl ForeignBatch {
    /// A batch, and the receiver that hears how many of its reports were committed.
    pub fn new(
        device_id: u64,
        adapter: Adapter,
        reports: Vec<ForeignReport>,
        received_at_ms: i64,
    ) -> (Arc<ForeignBatch>, oneshot::Receiver<usize>) {
        let (tx, rx) = oneshot::channel();
        let batch = ForeignBatch {
            device_id,
            adapter,
            reports,
            received_at_ms,
            answer: Mutex::new(Some(tx)),
        };
        (Arc::new(batch), rx)
    }

    /// Called by the writer once the batch is committed: every report was taken (stored now or
    /// before). A batch held and committed after its adapter stopped waiting tells no one.
    pub fn committed(&self) {
        let sender = self.answer.lock().ok().and_then(|mut answer| answer.take());
        if let Some(sender) = sender {
            let _ = sender.send(self.reports.len());
        }
    }
}

/// The adapters' counters: reports received, and refusals by reason.
#[derive(Debug)]
pub struct AdapterMetrics {
    received: BTreeMap<Adapter, AtomicU64>,
    connections: BTreeMap<Adapter, AtomicU64>,
    rejected: BTreeMap<(Adapter, &'static str), AtomicU64>,
}

impl Default for AdapterMetrics {
    fn default() -> Self {
        let each = || {
            Adapter::ALL
                .iter()
                .map(|&a| (a, AtomicU64::new(0)))
                .collect()
        };
        AdapterMetrics {
            received: each(),
            connections: each(),
            rejected: Adapter::ALL
                .iter()
                .flat_map(|&a| {
                    a.reasons()
                        .into_iter()
                        .map(move |r| ((a, r), AtomicU64::new(0)))
                })
                .collect(),
        }
    }
}

impl AdapterMetrics {
    /// Counts `n` reports received.
    pub fn received(&self, adapter: Adapter, n: usize) {
        if let Some(counter) = self.received.get(&adapter) {
            counter.fetch_add(n as u64, Relaxed);
        }
    }

    /// Counts one refusal; `reason` must be one of the adapter's.
    pub fn reject(&self, adapter: Adapter, reason: &'static str) {
        match self.rejected.get(&(adapter, reason)) {
            Some(counter) => {
                counter.fetch_add(1, Relaxed);
            }
            None => debug_assert!(false, "{reason} is not a reason of {adapter:?}"),
        }
    }

    /// How many refusals for `reason` so far.
    pub fn rejected(&self, adapter: Adapter, reason: &str) -> u64 {
        self.rejected
            .iter()
            .find(|((a, r), _)| *a == adapter && *r == reason)
            .map_or(0, |(_, counter)| counter.load(Relaxed))
    }

    /// A connection opened (`true`) or closed.
    pub fn connection(&self, adapter: Adapter, opened: bool) {
        if let Some(gauge) = self.connections.get(&adapter) {
            if opened {
                gauge.fetch_add(1, Relaxed);
            } else {
                gauge.fetch_sub(1, Relaxed);
            }
        }
    }

    /// Connections open now.
    pub fn open_connections(&self, adapter: Adapter) -> u64 {
        self.connections
            .get(&adapter)
            .map_or(0, |gauge| gauge.load(Relaxed))
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP sargs_adapter_reports_received_total Reports received from devices of \
             another protocol, by adapter.\n\
             # TYPE sargs_adapter_reports_received_total counter"
        );
        for (adapter, value) in &self.received {
            let _ = writeln!(
                out,
                "sargs_adapter_reports_received_total{{adapter=\"{}\"}} {}",
                adapter.label(),
                value.load(Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP sargs_adapter_connections Connections open now, by adapter.\n\
             # TYPE sargs_adapter_connections gauge"
        );
        for (adapter, value) in &self.connections {
            let _ = writeln!(
                out,
                "sargs_adapter_connections{{adapter=\"{}\"}} {}",
                adapter.label(),
                value.load(Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP sargs_adapter_rejected_total Input refused by an adapter, by reason \
             (nothing of it was acknowledged).\n\
             # TYPE sargs_adapter_rejected_total counter"
        );
        for ((adapter, reason), value) in &self.rejected {
            let _ = writeln!(
                out,
                "sargs_adapter_rejected_total{{adapter=\"{}\",reason=\"{reason}\"}} {}",
                adapter.label(),
                value.load(Relaxed)
            );
        }
    }
}
