//! The account of a run: counters, ack latencies and the final [`SimReport`].
//!
//! A benchmark is only worth its accounting, so every frame is counted where it happens (in
//! `node`) and the report checks that the books balance ([`SimReport::lost`]).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

/// Live counters, shared so a caller (the demo) can print progress while the run goes on.
/// Counts are flushed by each connection once per tick, so they trail by at most a tick.
#[derive(Default, Debug)]
pub struct SimStats {
    /// Messages recorded by devices (each becomes one frame with its own seq).
    pub recorded: AtomicU64,
    /// Frames put on the wire, resends included.
    pub transmitted: AtomicU64,
    /// Of `transmitted`, the frames that had been sent before.
    pub resent: AtomicU64,
    /// Frames released by ACKs.
    pub acked: AtomicU64,
    /// ACK frames accepted by devices.
    pub acks_received: AtomicU64,
    /// Downlink frames a device refused (bad MAC, replay, wrong device, undecodable).
    pub downlink_rejected: AtomicU64,
    /// NOTIFY_WEARER commands devices accepted (and would have vibrated or beeped for).
    pub notifications: AtomicU64,
    /// LOCATE_NOW commands devices accepted; GPS tags answer each with a LOCATION.
    pub locate_requests: AtomicU64,
    /// Uplink frames the `--raw-broker` subscriber received.
    pub delivered_raw: AtomicU64,
    /// Coverage gaps begun.
    pub gaps: AtomicU64,
    /// Transport connections lost and regained.
    pub reconnects: AtomicU64,
}

/// A connection's counts since its last flush into [`SimStats`].
#[derive(Default, Debug, Clone, Copy)]
pub struct Counters {
    pub recorded: u64,
    pub transmitted: u64,
    pub resent: u64,
    pub acked: u64,
    pub acks_received: u64,
    pub downlink_rejected: u64,
    pub notifications: u64,
    pub locate_requests: u64,
    pub gaps: u64,
}

impl Counters {
    /// Adds the counts to `stats` and starts again from zero.
    pub fn flush(&mut self, stats: &SimStats) {
        let pairs = [
            (&stats.recorded, self.recorded),
            (&stats.transmitted, self.transmitted),
            (&stats.resent, self.resent),
            (&stats.acked, self.acked),
            (&stats.acks_received, self.acks_received),
            (&stats.downlink_rejected, self.downlink_rejected),
            (&stats.notifications, self.notifications),
            (&stats.locate_requests, self.locate_requests),
            (&stats.gaps, self.gaps),
        ];
        for (counter, n) in pairs {
            if n > 0 {
                counter.fetch_add(n, Relaxed);
            }
        }
        *self = Counters::default();
    }
}

/// Ack latencies in milliseconds: exact below 64 ms, then 32 buckets per power of two (about
/// 3 % resolution), so a connection's histogram stays small however long the run.
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

const EXACT: u64 = 64;
const SUB: u64 = 32;

impl Histogram {
    pub fn record(&mut self, value: u64) {
        let i = bucket(value);
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.total += 1;
        self.max = self.max.max(value);
    }

    pub fn merge(&mut self, other: &Histogram) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    #[cfg(test)]
    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// The smallest bucket bound below which a fraction `q` of the values lie (0 if empty).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return upper_bound(i).min(self.max);
            }
        }
        self.max
    }
}

fn bucket(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let e = u64::from(63 - v.leading_zeros()); // 6..=63
    let mantissa = v >> (e - 5); // SUB..2*SUB
    (EXACT + (e - 6) * SUB + (mantissa - SUB)) as usize
}

fn upper_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let e = (i - EXACT) / SUB + 6;
    let mantissa = (i - EXACT) % SUB + SUB;
    let bound = (u128::from(mantissa + 1) << (e - 5)) - 1;
    u64::try_from(bound).unwrap_or(u64::MAX)
}

/// The final report of `sargs simulate`.
#[derive(Serialize, Debug, Clone, Default)]
pub struct SimReport {
    /// "mqtt" or "serial".
    pub transport: String,
    /// Whether the run measured the broker alone, with no engine (`--raw-broker`).
    pub raw_broker: bool,
    /// The seed the fleet was made from: the same seed gives the same fleet.
    pub seed: u64,
    /// Simulated devices.
    pub devices: u64,
    /// Of them, GPS tags.
    pub gps_tags: u64,
    /// Of them, home units.
    pub home_units: u64,
    /// MQTT connections (1 for serial).
    pub connections: u64,
    /// Seconds of generating frames.
    pub seconds: f64,
    /// Seconds spent after that waiting for ACKs.
    pub drain_seconds: f64,
    /// Frames the devices recorded (readings, HELLOs), each to be delivered once.
    pub recorded: u64,
    /// Frames put on the wire, resends included.
    pub transmitted: u64,
    /// Frames put on the wire again, not acknowledged in time.
    pub resent: u64,
    /// Frames released by ACKs.
    pub acked: u64,
    /// Frames still in the devices' buffers when the run ended.
    pub unacked_at_end: u64,
    /// ACK frames the devices received.
    pub acks_received: u64,
    /// Downlink frames the devices refused.
    pub downlink_rejected: u64,
    /// NOTIFY_WEARER commands the devices accepted.
    pub notifications: u64,
    /// LOCATE_NOW commands the devices accepted.
    pub locate_requests: u64,
    /// Frames the devices dropped: buffer full, or impossible to encode.
    pub dropped_by_devices: u64,
    /// Coverage gaps the devices went through (frames held and sent late).
    pub gaps: u64,
    /// Times a connection to the broker came up after being down.
    pub reconnects: u64,
    /// Recorded frames per second of generating.
    pub recorded_per_s: f64,
    /// Acked frames per second over the whole run (generating and draining).
    pub acked_per_s: f64,
    /// Time from a frame's first transmission to the ACK that released it; 0 when nothing was acked.
    pub ack_latency_ms_p50: u64,
    /// The 99th percentile of the same, in ms.
    pub ack_latency_ms_p99: u64,
    /// The longest, in ms.
    pub ack_latency_ms_max: u64,
    /// `--raw-broker`: uplink frames the counting subscriber received.
    pub delivered_raw: u64,
    /// `--raw-broker`: deliveries per second, from the start to the last delivery.
    pub delivered_raw_per_s: f64,
    /// See [`SimReport::lost`]; repeated here for JSON readers.
    pub lost: u64,
}

impl SimReport {
    /// Frames unaccounted for: |recorded − acked − unacked_at_end − dropped_by_devices|. Every
    /// frame a device recorded is acked, still buffered or dropped by the device, so this is 0
    /// in every correct run (an over-count shows as well as an under-count).
    pub fn lost(&self) -> u64 {
        let accounted = self.acked + self.unacked_at_end + self.dropped_by_devices;
        self.recorded.abs_diff(accounted)
    }

    /// A human-readable summary on stdout.
    pub fn print(&self) {
        let mode = if self.raw_broker { " (raw broker)" } else { "" };
        println!(
            "simulated {} devices ({} GPS tags, {} home units) over {} on {} connection(s){mode}, seed {}",
            self.devices,
            self.gps_tags,
            self.home_units,
            self.transport,
            self.connections,
            self.seed
        );
        println!(
            "  {:.1} s generating, {:.1} s draining; {} coverage gaps, {} reconnects",
            self.seconds, self.drain_seconds, self.gaps, self.reconnects
        );
        println!(
            "  recorded {} ({:.1}/s), transmitted {} ({} resends), acked {} ({:.1}/s)",
            self.recorded,
            self.recorded_per_s,
            self.transmitted,
            self.resent,
            self.acked,
            self.acked_per_s
        );
        println!(
            "  unacked at end {}, dropped by devices {}, ACKs {}, downlinks rejected {}",
            self.unacked_at_end,
            self.dropped_by_devices,
            self.acks_received,
            self.downlink_rejected
        );
        if self.notifications > 0 || self.locate_requests > 0 {
            println!(
                "  commands: {} wearer notifications, {} locate requests",
                self.notifications, self.locate_requests
            );
        }
        if self.acked > 0 {
            println!(
                "  ack latency ms: p50 {}, p99 {}, max {}",
                self.ack_latency_ms_p50, self.ack_latency_ms_p99, self.ack_latency_ms_max
            );
        }
        if self.raw_broker {
            println!(
                "  delivered by the broker {} ({:.1}/s)",
                self.delivered_raw, self.delivered_raw_per_s
            );
        }
        if self.lost() == 0 {
            println!("  every frame accounted for (lost 0)");
        } else {
            println!(
                "  LOST {} frames: the accounting does not balance",
                self.lost()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_close() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v);
        }
        let p50 = h.quantile(0.5);
        let p99 = h.quantile(0.99);
        assert!((5_000..=5_200).contains(&p50), "{p50}");
        assert!((9_900..=10_000).contains(&p99), "{p99}");
        assert_eq!(h.max(), 10_000);
        assert_eq!(h.quantile(1.0), 10_000);
        for v in [0, 1, 63, 64, 65, 1_000, 123_456, u64::MAX] {
            let i = bucket(v);
            assert!(upper_bound(i) >= v, "{v}");
            assert!(i == 0 || upper_bound(i - 1) < v, "{v}");
        }
        let mut merged = Histogram::default();
        merged.merge(&h);
        assert_eq!(merged.count(), 10_000);
        assert_eq!(Histogram::default().quantile(0.5), 0);
    }

    #[test]
    fn lost_balances_the_books() {
        let mut r = SimReport {
            recorded: 10,
            acked: 6,
            unacked_at_end: 3,
            dropped_by_devices: 1,
            ..SimReport::default()
        };
        assert_eq!(r.lost(), 0);
        r.acked = 5;
        assert_eq!(r.lost(), 1);
        r.acked = 7;
        assert_eq!(r.lost(), 1);
    }
}
