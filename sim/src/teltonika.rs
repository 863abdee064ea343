//! Simulated Teltonika trackers (`sargs simulate --teltonika ADDR`): each GPS tag of the fleet
//! (and each scripted device) becomes an off-the-shelf tracker that says what its model says in
//! Teltonika's Codec 8 Extended over a TCP connection of its own.
//!
//! A tracker logs in with the IMEI [`imei`] gives its device id, keeps its records until they
//! are answered, sends the oldest first in packets of at most [`RECORDS_PER_PACKET`], and after a
//! connection is lost or an answer does not come, logs in again and sends them again: the
//! records a real tracker keeps in its memory. What a tracker cannot say (HELLO, strap and case
//! events, RF presence) is not sent.

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use firmware_proto::{HeartbeatStatus, Message};
use foreign_proto::teltonika::io::{
    IO_BATTERY_LEVEL, IO_BATTERY_VOLTAGE, IO_CHARGER, IO_GNSS_HDOP, IO_GNSS_STATUS, IO_MOVEMENT,
};
use foreign_proto::teltonika::{
    AvlRecord, Codec, GpsElement, IoValue, encode_login, encode_packet,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::foreign::Speaker;
use super::model::Model;
use super::now_ms;
use super::report::{Counters, Histogram};

/// The first simulated IMEI: device `id` logs in as `FIRST_IMEI + id`.
pub const FIRST_IMEI: u64 = 350_000_000_000_000;
/// Most records in one packet.
pub const RECORDS_PER_PACKET: usize = 50;
/// How long a tracker waits for an answer before it gives the connection up.
const ANSWER_PATIENCE: Duration = Duration::from_secs(30);

/// The IMEI the simulated tracker of device `id` logs in with (15 digits while `id` is below
/// 10^14): register it so (`sargs devices add --imei`).
pub fn imei(id: u64) -> String {
    FIRST_IMEI.saturating_add(id).to_string()
}

/// What became of a message a tracker was given.
#[derive(Debug, PartialEq, Eq)]
enum Recorded {
    /// A new record.
    New,
    /// Joined the unsent record of its moment.
    Joined,
    /// A tracker cannot say it (HELLO, events, presence).
    Not,
}

/// A record not yet answered, and when it first left.
struct Kept {
    record: AvlRecord,
    first_sent_ms: Option<u64>,
}

/// One simulated tracker.
pub(crate) struct Tracker {
    id: u64,
    model: Model,
    kept: VecDeque<Kept>,
    /// Where it last had a fix: a record without one repeats it with 0 satellites.
    last_gps: GpsElement,
    scratch: Vec<(u64, Message)>,
}

impl Tracker {
    /// A tracker of device `id` saying what `model` says.
    pub fn new(id: u64, model: Model) -> Tracker {
        Tracker {
            id,
            model,
            kept: VecDeque::new(),
            last_gps: GpsElement {
                longitude: 0,
                latitude: 0,
                altitude: 0,
                angle: 0,
                satellites: 0,
                speed: 0,
            },
            scratch: Vec::new(),
        }
    }

    /// Records what the model says up to `until_ms`.
    fn generate(&mut self, until_ms: u64, counters: &mut Counters) {
        let mut due = std::mem::take(&mut self.scratch);
        self.model.poll(until_ms, &mut due);
        for (t, message) in due.drain(..) {
            if self.record(t, &message) == Recorded::New {
                counters.recorded += 1;
            }
        }
        self.scratch = due;
    }

    /// Adds what `message` says as a record, if a tracker can say it. A message at the time of
    /// an unsent record joins it: a tracker takes one record a moment, and the run counts
    /// records, as the engine answers them.
    fn record(&mut self, t: u64, message: &Message) -> Recorded {
        let fixed = |size, value| IoValue::Fixed { size, value };
        let (gps, io) = match message {
            Message::Location(fix) => {
                let gps = GpsElement {
                    longitude: fix.lon.0,
                    latitude: fix.lat.0,
                    altitude: 0,
                    angle: fix.heading_deg.unwrap_or(0),
                    satellites: fix.satellites.max(1),
                    speed: (u32::from(fix.speed_cm_s) * 36 / 1000) as u16,
                };
                self.last_gps = gps.clone();
                // HDOP × 10 is the accuracy in metres at the adapter's 10 m per HDOP.
                let hdop = fix.accuracy_m.map_or(99, u64::from).clamp(1, 0xFFFF);
                (
                    gps,
                    vec![
                        (IO_GNSS_STATUS, fixed(1, 1)),
                        (IO_GNSS_HDOP, fixed(2, hdop)),
                    ],
                )
            }
            Message::Heartbeat(hb) => {
                let gps = GpsElement {
                    satellites: 0,
                    speed: 0,
                    ..self.last_gps.clone()
                };
                let bit = |b| u64::from(hb.status.contains(b));
                (
                    gps,
                    vec![
                        (IO_BATTERY_LEVEL, fixed(1, u64::from(hb.battery_percent))),
                        (IO_MOVEMENT, fixed(1, bit(HeartbeatStatus::MOTION))),
                        (IO_CHARGER, fixed(1, bit(HeartbeatStatus::CHARGING))),
                        (IO_BATTERY_VOLTAGE, fixed(2, u64::from(hb.battery_mv))),
                    ],
                )
            }
            _ => return Recorded::Not,
        };
        if let Some(last) = self.kept.back_mut()
            && last.first_sent_ms.is_none()
            && last.record.timestamp_ms == t
        {
            if gps.satellites > 0 {
                last.record.gps = gps;
            }
            last.record.io.extend(io);
            return Recorded::Joined;
        }
        self.kept.push_back(Kept {
            record: AvlRecord {
                timestamp_ms: t,
                priority: 0,
                gps,
                event_io: 0,
                io,
                raw: Bytes::new(),
            },
            first_sent_ms: None,
        });
        Recorded::New
    }
}

impl Speaker for Tracker {
    type Link = TcpStream;

    fn generate(&mut self, until_ms: u64, counters: &mut Counters) {
        Tracker::generate(self, until_ms, counters);
    }

    fn unanswered(&self) -> u64 {
        self.kept.len() as u64
    }

    fn connect(&self, addr: SocketAddr) -> impl Future<Output = Option<TcpStream>> + Send {
        login(addr, self.id)
    }

    fn send_oldest(
        &mut self,
        link: &mut TcpStream,
        now: u64,
        counters: &mut Counters,
        latency: &mut Histogram,
    ) -> impl Future<Output = Option<()>> + Send {
        send_oldest(link, self, now, counters, latency)
    }
}

async fn login(addr: SocketAddr, id: u64) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let _ = stream.set_nodelay(true);
    stream.write_all(&encode_login(&imei(id))).await.ok()?;
    let mut answer = [0u8; 1];
    tokio::time::timeout(ANSWER_PATIENCE, stream.read_exact(&mut answer))
        .await
        .ok()?
        .ok()?;
    if answer[0] != 1 {
        tracing::warn!(
            device_id = id,
            imei = imei(id),
            "the tracker's login was refused"
        );
        return None;
    }
    Some(stream)
}

/// Sends the oldest records in one packet and lets go of as many as the answer says were
/// taken; none when the connection is lost or no answer comes.
async fn send_oldest(
    stream: &mut TcpStream,
    tracker: &mut Tracker,
    now: u64,
    counters: &mut Counters,
    latency: &mut Histogram,
) -> Option<()> {
    let n = tracker.kept.len().min(RECORDS_PER_PACKET);
    let records: Vec<AvlRecord> = tracker
        .kept
        .iter()
        .take(n)
        .map(|k| k.record.clone())
        .collect();
    for kept in tracker.kept.iter_mut().take(n) {
        counters.transmitted += 1;
        match kept.first_sent_ms {
            Some(_) => counters.resent += 1,
            None => kept.first_sent_ms = Some(now),
        }
    }
    stream
        .write_all(&encode_packet(Codec::EightExtended, &records))
        .await
        .ok()?;
    let mut answer = [0u8; 4];
    tokio::time::timeout(ANSWER_PATIENCE, stream.read_exact(&mut answer))
        .await
        .ok()?
        .ok()?;
    let taken = (u32::from_be_bytes(answer) as usize).min(n);
    counters.acks_received += 1;
    let answered = now_ms();
    for kept in tracker.kept.drain(..taken) {
        counters.acked += 1;
        if let Some(first) = kept.first_sent_ms {
            latency.record(answered.saturating_sub(first));
        }
    }
    Some(())
}
