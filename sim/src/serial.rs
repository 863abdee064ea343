//! The serial transport of the simulator: every device on one line, as a home unit or gateway
//! relaying the tags around it would put them.
//!
//! Frames go out COBS-encoded with `firmware_proto::SerialCodec`; ACKs come back on the same
//! line and are routed by the device id in their header. A reader task drains the line all
//! the time, so that neither end can block the other (the engine writes ACKs while we write
//! frames). A line that fails is reopened with backoff; meanwhile its devices are offline, and
//! they say HELLO when it is back.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use firmware_proto::{SerialChunk, SerialCodec};
use futures::{SinkExt, StreamExt};
use ingest::serial::SerialSpec;
use tokio::io::WriteHalf;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_serial::{SerialPortBuilderExt, SerialStream};
use tokio_util::codec::{FramedRead, FramedWrite};

use super::node::Node;
use super::report::{Counters, Histogram, SimStats};
use super::{Outcome, RunClock, TICK, now_ms};

enum LineEvent {
    Frame(Bytes),
    Closed,
}

/// An open line: the writing half, and the task reading the other.
pub struct Line {
    writer: FramedWrite<WriteHalf<SerialStream>, SerialCodec>,
    reader: JoinHandle<()>,
    events: mpsc::UnboundedReceiver<LineEvent>,
}

impl Drop for Line {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Opens the line named by `spec`.
pub fn open(spec: &SerialSpec) -> anyhow::Result<Line> {
    let stream = tokio_serial::new(spec.path.to_string_lossy(), spec.baud)
        .open_native_async()
        .with_context(|| format!("cannot open serial line {}", spec.path.display()))?;
    let (read_half, write_half) = tokio::io::split(stream);
    let (tx, events) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut frames = FramedRead::new(read_half, SerialCodec::new());
        loop {
            match frames.next().await {
                Some(Ok(SerialChunk::Frame(bytes))) => {
                    if tx.send(LineEvent::Frame(bytes)).is_err() {
                        return;
                    }
                }
                Some(Ok(SerialChunk::Noise { bytes })) => {
                    tracing::debug!(bytes, "noise on the simulator's serial line");
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "simulator serial line failed");
                    let _ = tx.send(LineEvent::Closed);
                    return;
                }
                None => {
                    tracing::warn!("simulator serial line closed");
                    let _ = tx.send(LineEvent::Closed);
                    return;
                }
            }
        }
    });
    Ok(Line {
        writer: FramedWrite::new(write_half, SerialCodec::new()),
        reader,
        events,
    })
}

/// The device id of a frame: bytes 4..12, big-endian (PROTOCOL.md, "Frame").
fn device_of(frame: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = frame.get(4..12)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

/// Drives every device over `line` until the run has ended and drained.
pub async fn drive(
    spec: SerialSpec,
    line: Line,
    mut nodes: Vec<Node>,
    clock: RunClock,
    stats: Arc<SimStats>,
) -> Outcome {
    let index: HashMap<u64, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id(), i)).collect();
    let mut counters = Counters::default();
    let mut latency = Histogram::default();
    let mut outcome = Outcome::default();
    let mut line = Some(line);
    let mut backoff = Duration::from_millis(100);
    let mut reopen_at_ms = 0;
    let mut generating = true;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = now_ms();
                if line.is_none() && now >= reopen_at_ms {
                    match open(&spec) {
                        Ok(reopened) => {
                            tracing::info!(line = %spec.path.display(), "simulator serial line reopened");
                            line = Some(reopened);
                            backoff = Duration::from_millis(100);
                            outcome.reconnects += 1;
                            stats.reconnects.fetch_add(1, Relaxed);
                            nodes.iter_mut().for_each(|n| n.link_restored(now, &mut counters));
                        }
                        Err(error) => {
                            tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "simulator serial line unavailable");
                            reopen_at_ms = now + backoff.as_millis() as u64;
                            backoff = (backoff * 2).min(Duration::from_secs(5));
                        }
                    }
                }
                if generating {
                    nodes.iter_mut().for_each(|n| n.generate(now, &mut counters));
                    if now >= clock.end_ms {
                        generating = false;
                        nodes.iter_mut().for_each(Node::stop_generating);
                    }
                }
                let mut failed = false;
                for node in &mut nodes {
                    let frames = node.transmit(now, line.is_some() && !failed, &mut counters);
                    if let Some(open) = line.as_mut() {
                        for frame in &frames {
                            if let Err(error) = open.writer.feed(frame.as_slice()).await {
                                tracing::warn!(%error, "cannot write to the simulator's serial line");
                                failed = true;
                                break;
                            }
                        }
                    }
                }
                if !failed && let Some(open) = line.as_mut() {
                    failed = open.writer.flush().await.is_err();
                }
                if failed {
                    line = None;
                    reopen_at_ms = now + backoff.as_millis() as u64;
                }
                counters.flush(&stats);
                if !generating && (now >= clock.drain_deadline_ms || nodes.iter().all(|n| n.unacked() == 0)) {
                    break;
                }
            }
            event = async {
                match line.as_mut() {
                    Some(open) => open.events.recv().await,
                    None => std::future::pending().await,
                }
            } => match event {
                Some(LineEvent::Frame(bytes)) => match device_of(&bytes).and_then(|d| index.get(&d)) {
                    Some(&i) => nodes[i].downlink(&bytes, now_ms(), &mut latency, &mut counters),
                    None => counters.downlink_rejected += 1,
                },
                Some(LineEvent::Closed) | None => {
                    line = None;
                    reopen_at_ms = now_ms() + backoff.as_millis() as u64;
                }
            },
        }
    }
    counters.flush(&stats);
    outcome.finish(&nodes, latency);
    outcome
}
