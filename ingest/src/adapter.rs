//! What every adapter for devices of another protocol shares: the batch of reports it hands the
//! writer, the answer it waits for, and its counters.
//!
//! An adapter (Teltonika over TCP, OsmAnd over HTTP, Traccar forwarding) reads its own wire
//! format with `foreign_proto`, finds the device by its identity in the registry, and passes the
//! reports of one packet or request as one [`ForeignBatch`]. The writer numbers, dedupes and
//! commits them with everything else, and only after the commit tells the adapter how many it
//! took: then, and only then, the adapter answers its device.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex};

use foreign_proto::ForeignReport;
use tokio::sync::oneshot;

/// The adapters, as metrics and stored observations name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Adapter {
    /// Teltonika Codec 8 and 8 Extended over TCP.
    Teltonika,
}

impl Adapter {
    /// The adapter's name: the `via` of its observations, the label of its counters, and the
    /// scheme of its devices' identities (`teltonika:<IMEI>`).
    pub fn label(self) -> &'static str {
        match self {
            Adapter::Teltonika => "teltonika",
        }
    }

    /// The adapter's name as an observation's `via`.
    pub fn via(self) -> Arc<str> {
        static TELTONIKA: LazyLock<Arc<str>> =
            LazyLock::new(|| Arc::from(Adapter::Teltonika.label()));
        match self {
            Adapter::Teltonika => TELTONIKA.clone(),
        }
    }

    /// The adapter whose `via` label this is.
    pub fn of_label(label: &str) -> Option<Adapter> {
        Adapter::ALL.into_iter().find(|a| a.label() == label)
    }

    /// Why this adapter refuses input, every reason known in advance so each shows as 0.
    fn reasons(self) -> &'static [&'static str] {
        match self {
            Adapter::Teltonika => &crate::teltonika::REASONS,
        }
    }

    const ALL: [Adapter; 1] = [Adapter::Teltonika];

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
        };
        valid.then(|| self.identity(id))
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
                        .iter()
                        .map(move |&r| ((a, r), AtomicU64::new(0)))
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
