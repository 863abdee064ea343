//! The serial transport: COBS-framed frames on a line (a home unit, or a gateway that relays
//! several devices), ACKs written back on the same line.
//!
//! A line that closes (read of 0 bytes, an unplugged adapter, an I/O error) is reopened with
//! backoff, never a crash. Noise between frames is skipped and counted; the codec resynchronises
//! at the next 0x00.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::Bytes;
use firmware_proto::{SerialChunk, SerialCodec};
use futures::{SinkExt, StreamExt};
use store::Clock;
use tokio::sync::mpsc;
use tokio_serial::{SerialPortBuilderExt, SerialStream};
use tokio_util::codec::Framed;

use crate::metrics::Metrics;
use crate::source::{Inbound, SerialLine, Via};

/// The baud rate of a serial line given without one.
pub const DEFAULT_BAUD: u32 = 115_200;

/// `PATH[@BAUD]` as given to `--serial`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialSpec {
    /// The device file of the line (`/dev/ttyUSB0`, say).
    pub path: PathBuf,
    /// The line's speed in baud.
    pub baud: u32,
}

impl FromStr for SerialSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (path, baud) = match s.rsplit_once('@') {
            Some((path, baud)) => {
                let baud: u32 = baud.parse().map_err(|_| {
                    format!("invalid baud rate {baud:?} in {s:?} (expected PATH[@BAUD])")
                })?;
                if !(50..=4_000_000).contains(&baud) {
                    return Err(format!("baud rate {baud} out of range 50..=4000000"));
                }
                (path, baud)
            }
            None => (s, DEFAULT_BAUD),
        };
        if path.is_empty() {
            return Err(format!("empty serial path in {s:?}"));
        }
        Ok(SerialSpec {
            path: PathBuf::from(path),
            baud,
        })
    }
}

/// A serial line that could not be opened at start-up.
#[derive(Debug, thiserror::Error)]
#[error("cannot open serial line {path}: {source}")]
pub struct SerialOpenError {
    /// The line's device file.
    pub path: String,
    /// Why it could not be opened.
    pub source: tokio_serial::Error,
}

fn open(spec: &SerialSpec) -> Result<SerialStream, SerialOpenError> {
    tokio_serial::new(spec.path.to_string_lossy(), spec.baud)
        .open_native_async()
        .map_err(|source| SerialOpenError {
            path: spec.path.display().to_string(),
            source,
        })
}

/// A serial line, opened once to prove it can be (start-up fails otherwise), then served until
/// the pipeline closes.
pub struct SerialReader {
    spec: SerialSpec,
    line: Arc<SerialLine>,
    downlink: mpsc::Receiver<Bytes>,
    first: Option<SerialStream>,
}

impl SerialReader {
    /// Opens the line, so that a wrong path fails at start-up rather than in the background.
    pub fn open(spec: SerialSpec) -> Result<SerialReader, SerialOpenError> {
        let first = open(&spec)?;
        let (downlink_tx, downlink) = mpsc::channel(4096);
        let line = Arc::new(SerialLine {
            label: Arc::from(format!("serial:{}", spec.path.display())),
            downlink: downlink_tx,
        });
        Ok(SerialReader {
            spec,
            line,
            downlink,
            first: Some(first),
        })
    }

    /// The line's name and downlink queue, as frames read from it carry it.
    pub fn line(&self) -> Arc<SerialLine> {
        self.line.clone()
    }

    /// Reads frames from the line into `tx`, stamped with their arrival by `clock`, until the
    /// receiver goes away, and writes the line's downlink queue to it; reopens the line, backing
    /// off, when it fails.
    pub async fn run(
        mut self,
        tx: mpsc::Sender<Inbound>,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
    ) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let stream = match self.first.take() {
                Some(stream) => stream,
                None => match open(&self.spec) {
                    Ok(stream) => {
                        tracing::info!(line = %self.line.label, "serial line reopened");
                        backoff = Duration::from_millis(100);
                        stream
                    }
                    Err(error) => {
                        tracing::warn!(line = %self.line.label, %error, retry_in_ms = backoff.as_millis() as u64, "serial line unavailable");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                },
            };
            if !self.serve(stream, &tx, &metrics, clock.as_ref()).await {
                return;
            }
            metrics.serial_reconnects.fetch_add(1, Relaxed);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// Serve one open line; false once the pipeline is gone, true when the line must be reopened.
    async fn serve(
        &mut self,
        stream: SerialStream,
        tx: &mpsc::Sender<Inbound>,
        metrics: &Metrics,
        clock: &dyn Clock,
    ) -> bool {
        let mut framed = Framed::new(stream, SerialCodec::default());
        loop {
            tokio::select! {
                chunk = framed.next() => match chunk {
                    Some(Ok(SerialChunk::Frame(bytes))) => {
                        metrics.received_serial.fetch_add(1, Relaxed);
                        let inbound = Inbound {
                            bytes,
                            via: Via::Serial(self.line.clone()),
                            received_at_ms: clock.now().0,
                        };
                        if tx.send(inbound).await.is_err() {
                            return false;
                        }
                    }
                    Some(Ok(SerialChunk::Noise { bytes })) => {
                        metrics.serial_noise_runs.fetch_add(1, Relaxed);
                        metrics.serial_noise_bytes.fetch_add(bytes as u64, Relaxed);
                        tracing::debug!(line = %self.line.label, bytes, "noise skipped on serial line");
                    }
                    Some(Err(error)) => {
                        tracing::warn!(line = %self.line.label, %error, "serial line error");
                        return true;
                    }
                    None => {
                        tracing::warn!(line = %self.line.label, "serial line closed");
                        return true;
                    }
                },
                Some(frame) = self.downlink.recv() => {
                    if let Err(error) = framed.send(frame.as_ref()).await {
                        tracing::warn!(line = %self.line.label, %error, "cannot write to serial line");
                        return true;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_specs() {
        assert_eq!(
            "/dev/ttyUSB0".parse::<SerialSpec>(),
            Ok(SerialSpec {
                path: "/dev/ttyUSB0".into(),
                baud: DEFAULT_BAUD
            })
        );
        assert_eq!(
            "/dev/ttyS1@9600".parse::<SerialSpec>().map(|s| s.baud),
            Ok(9600)
        );
        for bad in [
            "",
            "@9600",
            "/dev/x@",
            "/dev/x@fast",
            "/dev/x@0",
            "/dev/x@99999999",
        ] {
            assert!(bad.parse::<SerialSpec>().is_err(), "{bad}");
        }
    }
}
