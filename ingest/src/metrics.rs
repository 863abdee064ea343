//! Counters of the telemetry path, rendered as Prometheus text for `/metrics`.
//!
//! Plain atomics rather than a metrics framework: the set is fixed and small, every rejection
//! reason is known in advance (so each shows as 0 before it first happens), and the hot path
//! pays one relaxed increment per frame.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use firmware_proto::FrameError;

use store::{StorageFault, StorageState};

/// Why the engine refused a frame. Wraps the protocol's own reasons and adds the engine's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectReason {
    /// A reason the protocol itself gives (bad CRC, bad MAC, malformed, ...).
    Frame(FrameError),
    /// The MQTT topic names another device than the frame.
    TopicMismatch,
    /// The MQTT topic is not `em/v1/<decimal id>/up`.
    BadTopic,
    /// A downlink type (ACK, CONFIG, ...) arrived on an uplink path.
    DownlinkType,
    /// The device is not registered.
    UnknownDevice,
}

/// Engine-side labels, after the protocol's.
const ENGINE_LABELS: [&str; 4] = [
    "topic_mismatch",
    "bad_topic",
    "downlink_type",
    "unknown_device",
];

impl RejectReason {
    /// The reason's name as the metrics and logs label it.
    pub fn label(&self) -> &'static str {
        match self {
            RejectReason::Frame(e) => e.label(),
            RejectReason::TopicMismatch => ENGINE_LABELS[0],
            RejectReason::BadTopic => ENGINE_LABELS[1],
            RejectReason::DownlinkType => ENGINE_LABELS[2],
            RejectReason::UnknownDevice => ENGINE_LABELS[3],
        }
    }

    /// Every label, in a fixed order: the index of a reason's counter.
    pub fn all_labels() -> impl Iterator<Item = &'static str> {
        FrameError::LABELS.iter().copied().chain(ENGINE_LABELS)
    }

    fn index(&self) -> usize {
        let label = self.label();
        Self::all_labels()
            .position(|l| l == label)
            .unwrap_or_default()
    }

    /// A wrong or missing MAC is a security event for the device, not just noise.
    pub fn is_security_event(&self) -> bool {
        matches!(
            self,
            RejectReason::Frame(FrameError::MacMismatch | FrameError::MacMissing)
        )
    }
}

const REASONS: usize = FrameError::LABELS.len() + ENGINE_LABELS.len();
/// Upper bounds of the commit latency histogram, in microseconds.
const LATENCY_BUCKETS_US: [u64; 12] = [
    500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000,
    5_000_000,
];

/// Ingest's counters since the process started, for the metrics endpoint and the logs.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Frames received from the MQTT broker.
    pub received_mqtt: AtomicU64,
    /// Frames read from serial lines.
    pub received_serial: AtomicU64,
    /// Observations newly stored.
    pub stored: AtomicU64,
    /// Frames received again that were already stored (a device resending an unacknowledged frame).
    pub duplicate: AtomicU64,
    rejected: [AtomicU64; REASONS],
    /// Acknowledgements sent to devices.
    pub acks_sent: AtomicU64,
    /// Acknowledgements that could not be sent (the device resends; it is stored once).
    pub ack_send_failures: AtomicU64,
    /// Commands (NOTIFY_WEARER, LOCATE_NOW, ...) queued on a device's transport.
    pub commands_sent: AtomicU64,
    /// Commands refused or not queued (unknown device, no route, queue full, storage).
    pub command_failures: AtomicU64,
    /// Live frames whose device clock was too far from the engine's.
    pub clock_skewed: AtomicU64,
    /// Sequence gaps given up on: frames a device no longer holds.
    pub seq_gaps: AtomicU64,
    /// Bytes on serial lines that were no frame (line noise), discarded.
    pub serial_noise_bytes: AtomicU64,
    /// Runs of such noise.
    pub serial_noise_runs: AtomicU64,
    /// Times a serial line was opened again after it failed.
    pub serial_reconnects: AtomicU64,
    /// Batches committed to the store.
    pub commits: AtomicU64,
    /// Batches the store refused to commit.
    pub commit_failures: AtomicU64,
    /// Frames dropped unacknowledged because the storage refused writes and the writer's hold
    /// was full (their devices send them again).
    pub dropped_unstored: AtomicU64,
    commit_latency_buckets: [AtomicU64; LATENCY_BUCKETS_US.len()],
    commit_latency_sum_us: AtomicU64,
    /// The adapters' counters (devices of another protocol).
    pub adapters: crate::adapter::AdapterMetrics,
}

impl Metrics {
    /// Counts one frame refused for `reason`.
    pub fn reject(&self, reason: RejectReason) {
        if let Some(counter) = self.rejected.get(reason.index()) {
            counter.fetch_add(1, Relaxed);
        }
    }

    /// How many frames were refused for `reason`.
    pub fn rejected(&self, reason: RejectReason) -> u64 {
        self.rejected
            .get(reason.index())
            .map_or(0, |c| c.load(Relaxed))
    }

    /// Counts one commit and how long it took, for the latency histogram.
    pub fn record_commit(&self, latency: std::time::Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.commits.fetch_add(1, Relaxed);
        self.commit_latency_sum_us.fetch_add(us, Relaxed);
        for (bound, bucket) in LATENCY_BUCKETS_US.iter().zip(&self.commit_latency_buckets) {
            if us <= *bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
    }

    /// Whether the storage takes writes, as Prometheus text: one gauge per reason it may
    /// refuse them, 1 for the reason it refuses now.
    pub fn render_storage(state: &StorageState) -> String {
        let mut out = String::from(
            "# HELP sargs_storage_refusing_writes 1 while the storage refuses writes (nothing is \
             acknowledged), by reason.\n# TYPE sargs_storage_refusing_writes gauge\n",
        );
        let now = match state {
            StorageState::Refusing { fault, .. } => Some(*fault),
            StorageState::Accepting => None,
        };
        for fault in StorageFault::ALL {
            let _ = writeln!(
                out,
                "sargs_storage_refusing_writes{{reason=\"{}\"}} {}",
                fault.label(),
                u8::from(now == Some(fault))
            );
        }
        out
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let counter = |out: &mut String, name: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Relaxed));
        };
        let _ = writeln!(
            out,
            "# HELP sargs_frames_received_total Frames received, by transport.\n\
             # TYPE sargs_frames_received_total counter\n\
             sargs_frames_received_total{{transport=\"mqtt\"}} {}\n\
             sargs_frames_received_total{{transport=\"serial\"}} {}",
            self.received_mqtt.load(Relaxed),
            self.received_serial.load(Relaxed)
        );
        counter(
            &mut out,
            "sargs_frames_stored_total",
            "Frames newly stored as observations.",
            &self.stored,
        );
        counter(
            &mut out,
            "sargs_frames_duplicate_total",
            "Frames that were already stored (same device and seq).",
            &self.duplicate,
        );
        let _ = writeln!(
            out,
            "# HELP sargs_frames_rejected_total Frames dropped, by reason.\n\
             # TYPE sargs_frames_rejected_total counter"
        );
        for (label, value) in RejectReason::all_labels().zip(&self.rejected) {
            let _ = writeln!(
                out,
                "sargs_frames_rejected_total{{reason=\"{label}\"}} {}",
                value.load(Relaxed)
            );
        }
        counter(
            &mut out,
            "sargs_acks_sent_total",
            "ACK frames sent to devices.",
            &self.acks_sent,
        );
        counter(
            &mut out,
            "sargs_ack_send_failures_total",
            "ACK frames that could not be handed to a transport (the device will resend).",
            &self.ack_send_failures,
        );
        counter(
            &mut out,
            "sargs_commands_sent_total",
            "Commands to devices (NOTIFY_WEARER, LOCATE_NOW) queued on their transport.",
            &self.commands_sent,
        );
        counter(
            &mut out,
            "sargs_command_failures_total",
            "Commands to devices not sent (unknown device, no route, queue full, storage).",
            &self.command_failures,
        );
        counter(
            &mut out,
            "sargs_frames_clock_skewed_total",
            "Live frames whose device time was more than 5 minutes from the engine clock.",
            &self.clock_skewed,
        );
        counter(
            &mut out,
            "sargs_seq_gaps_total",
            "Holes in a device's sequence given up on (frames the device no longer holds).",
            &self.seq_gaps,
        );
        counter(
            &mut out,
            "sargs_serial_noise_bytes_total",
            "Bytes skipped on serial lines between frames.",
            &self.serial_noise_bytes,
        );
        counter(
            &mut out,
            "sargs_serial_noise_runs_total",
            "Undecodable runs skipped on serial lines.",
            &self.serial_noise_runs,
        );
        counter(
            &mut out,
            "sargs_serial_reconnects_total",
            "Serial lines reopened after a disconnect or error.",
            &self.serial_reconnects,
        );
        counter(
            &mut out,
            "sargs_commit_failures_total",
            "Batches whose commit failed (nothing in them was acked).",
            &self.commit_failures,
        );
        counter(
            &mut out,
            "sargs_frames_dropped_unstored_total",
            "Frames dropped unacknowledged while the storage refused writes and the writer's hold \
             was full (their devices send them again).",
            &self.dropped_unstored,
        );
        let _ = writeln!(
            out,
            "# HELP sargs_commit_latency_seconds Time to commit one batch.\n\
             # TYPE sargs_commit_latency_seconds histogram"
        );
        for (bound, bucket) in LATENCY_BUCKETS_US.iter().zip(&self.commit_latency_buckets) {
            let _ = writeln!(
                out,
                "sargs_commit_latency_seconds_bucket{{le=\"{}\"}} {}",
                *bound as f64 / 1e6,
                bucket.load(Relaxed)
            );
        }
        let commits = self.commits.load(Relaxed);
        let _ = writeln!(
            out,
            "sargs_commit_latency_seconds_bucket{{le=\"+Inf\"}} {commits}\n\
             sargs_commit_latency_seconds_sum {}\n\
             sargs_commit_latency_seconds_count {commits}",
            self.commit_latency_sum_us.load(Relaxed) as f64 / 1e6
        );
        self.adapters.render(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_its_own_counter() {
        let labels: Vec<_> = RejectReason::all_labels().collect();
        let mut unique = labels.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(labels.len(), unique.len());
        let m = Metrics::default();
        m.reject(RejectReason::TopicMismatch);
        m.reject(RejectReason::Frame(FrameError::SeqZero));
        m.reject(RejectReason::Frame(FrameError::SeqZero));
        assert_eq!(m.rejected(RejectReason::TopicMismatch), 1);
        assert_eq!(m.rejected(RejectReason::Frame(FrameError::SeqZero)), 2);
        assert_eq!(m.rejected(RejectReason::UnknownDevice), 0);
        let text = m.render();
        assert!(text.contains("sargs_frames_rejected_total{reason=\"seq_zero\"} 2"));
        assert!(text.contains("sargs_frames_rejected_total{reason=\"unknown_device\"} 0"));
    }

    #[test]
    fn commit_latency_is_a_cumulative_histogram() {
        let m = Metrics::default();
        m.record_commit(std::time::Duration::from_micros(700));
        m.record_commit(std::time::Duration::from_millis(30));
        let text = m.render();
        assert!(text.contains("sargs_commit_latency_seconds_bucket{le=\"0.0005\"} 0"));
        assert!(text.contains("sargs_commit_latency_seconds_bucket{le=\"0.001\"} 1"));
        assert!(text.contains("sargs_commit_latency_seconds_bucket{le=\"0.05\"} 2"));
        assert!(text.contains("sargs_commit_latency_seconds_count 2"));
    }
}
