//! The engine-side link's cost per frame, as ingest's writer drives it for one batch: each
//! device's link copied, every frame received into it, the batch ended (gap expiry, ACK
//! numbering), the copy kept. "Before" is the writer's own code of 20fceb0 (ingest's
//! `SeqWindow` with the ACK flag and downlink seq beside it), copied in as the baseline; "now"
//! is `firmware_proto::EngineLink`. The bench checks first that both give the same ACKs.
//!
//! Run: `cargo bench -p firmware-proto --bench link`.

use std::collections::BTreeSet;

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use firmware_proto::{EngineLink, Flags};

const DEVICES: usize = 1_000;
const PER_DEVICE: u32 = 4;
const GAP_TIMEOUT_MS: i64 = 120_000;

/// The baseline: ingest/src/seqwin.rs and the writer's per-device state at 20fceb0.
mod before {
    use super::BTreeSet;

    #[derive(Clone, Debug, Default)]
    pub struct SeqWindow {
        acked_through: u32,
        ahead: BTreeSet<u32>,
        hole_since_ms: Option<i64>,
    }

    impl SeqWindow {
        pub fn acked_through(&self) -> u32 {
            self.acked_through
        }

        pub fn stored(&mut self, seq: u32) {
            if seq > self.acked_through {
                self.ahead.insert(seq);
                self.advance();
            }
        }

        pub fn expire_hole(&mut self, now_ms: i64, gap_timeout_ms: i64) -> Option<(u32, u32)> {
            let first_ahead = *self.ahead.first()?;
            let since = *self.hole_since_ms.get_or_insert(now_ms);
            if now_ms.saturating_sub(since) < gap_timeout_ms {
                return None;
            }
            let gap = (self.acked_through + 1, first_ahead - 1);
            self.acked_through = first_ahead - 1;
            self.advance();
            Some(gap)
        }

        fn advance(&mut self) {
            while let Some(&next) = self.ahead.first() {
                if next > self.acked_through.saturating_add(1) {
                    return;
                }
                self.ahead.pop_first();
                self.acked_through = self.acked_through.max(next);
                self.hole_since_ms = None;
            }
            self.hole_since_ms = None;
        }
    }

    #[derive(Clone, Debug, Default)]
    pub struct DeviceState {
        pub window: SeqWindow,
        pub down_seq: u32,
    }

    pub fn next_down_seq(seq: u32) -> u32 {
        seq.wrapping_add(1).max(1)
    }
}

/// One batch's frames, device by device: four each, in order but for one pair in 50 swapped
/// and one frame in 100 sent twice; every frame asks for an ACK.
fn frames(batch: u32) -> Vec<Vec<u32>> {
    (0..DEVICES)
        .map(|d| {
            let first = batch * PER_DEVICE + 1;
            let mut seqs: Vec<u32> = (first..first + PER_DEVICE).collect();
            if (d as u32 + batch).is_multiple_of(50) {
                seqs.swap(1, 2);
            }
            if (d as u32 + batch) % 100 == 7 {
                seqs.push(seqs[0]);
            }
            seqs
        })
        .collect()
}

fn run_before(
    states: &mut [before::DeviceState],
    batch: &[Vec<u32>],
    flags: Flags,
    now_ms: i64,
) -> u64 {
    let mut acks = 0u64;
    for (state, seqs) in states.iter_mut().zip(batch) {
        let mut copy = state.clone();
        let mut ack_requested = false;
        for &seq in seqs {
            copy.window.stored(seq);
            ack_requested |= flags.contains(Flags::ACK_REQUESTED);
        }
        let _gap = copy.window.expire_hole(now_ms, GAP_TIMEOUT_MS);
        let acked = copy.window.acked_through();
        if ack_requested && acked > 0 {
            copy.down_seq = before::next_down_seq(copy.down_seq);
            acks = acks.wrapping_add(u64::from(copy.down_seq) ^ u64::from(acked));
        }
        *state = copy;
    }
    acks
}

fn run_now(links: &mut [EngineLink], batch: &[Vec<u32>], flags: Flags, now_ms: i64) -> u64 {
    let mut acks = 0u64;
    for (link, seqs) in links.iter_mut().zip(batch) {
        let mut copy = link.clone();
        for &seq in seqs {
            copy.receive(seq, flags);
        }
        let end = copy.end_batch(now_ms, GAP_TIMEOUT_MS);
        if let Some(ack) = end.ack {
            acks = acks.wrapping_add(u64::from(ack.down_seq) ^ u64::from(ack.acked_seq));
        }
        *link = copy;
    }
    acks
}

fn bench(c: &mut Criterion) {
    let batches: Vec<Vec<Vec<u32>>> = (0..64).map(frames).collect();
    let frames_per_round: usize = batches.iter().flatten().map(Vec::len).sum();
    // Both give the same ACKs.
    {
        let mut old = vec![before::DeviceState::default(); DEVICES];
        let mut new = vec![EngineLink::default(); DEVICES];
        for (i, batch) in batches.iter().enumerate() {
            let now = i as i64 * 1_000;
            assert_eq!(
                run_before(&mut old, batch, Flags::ACK_REQUESTED, now),
                run_now(&mut new, batch, Flags::ACK_REQUESTED, now)
            );
        }
    }
    let mut group = c.benchmark_group("link");
    group.throughput(Throughput::Elements(frames_per_round as u64));
    group.bench_function("before: SeqWindow + flag + down seq (64 batches)", |b| {
        b.iter(|| {
            let mut states = vec![before::DeviceState::default(); DEVICES];
            let mut sum = 0u64;
            for (i, batch) in batches.iter().enumerate() {
                sum ^= run_before(
                    &mut states,
                    black_box(batch),
                    black_box(Flags::ACK_REQUESTED),
                    i as i64 * 1_000,
                );
            }
            sum
        })
    });
    group.bench_function("now: EngineLink (64 batches)", |b| {
        b.iter(|| {
            let mut links = vec![EngineLink::default(); DEVICES];
            let mut sum = 0u64;
            for (i, batch) in batches.iter().enumerate() {
                sum ^= run_now(
                    &mut links,
                    black_box(batch),
                    black_box(Flags::ACK_REQUESTED),
                    i as i64 * 1_000,
                );
            }
            sum
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
