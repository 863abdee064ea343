//! Simulated phones over OsmAnd HTTP (`sargs simulate --osmand ADDR`): each GPS tag of the
//! fleet and each scripted device becomes a phone running Traccar Client, saying what its model
//! says as OsmAnd requests (`GET /?id=..&timestamp=..&lat=..`) on a keep-alive connection of its
//! own, each request with its token, each kept until it is answered 200.
//!
//! A phone's OsmAnd id is its device id in decimal, and its token [`token`] (register them so:
//! `sargs simulate --register --osmand`). What a phone cannot say (HELLO, strap and case
//! events, RF presence) is not sent.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use firmware_proto::{HeartbeatStatus, Message};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::foreign::Speaker;
use super::model::Model;
use super::now_ms;
use super::report::{Counters, Histogram};

/// How long a phone waits for an answer before it gives the connection up.
const ANSWER_PATIENCE: Duration = Duration::from_secs(30);
/// Most requests a phone sends in one tick.
const REQUESTS_PER_TICK: usize = 20;

/// The token of simulated phone `id` under `seed`: SHA-256("sargs-sim-token" || seed u64 BE ||
/// id u64 BE), in hex.
pub fn token(seed: u64, id: u64) -> String {
    let mut input = b"sargs-sim-token".to_vec();
    input.extend_from_slice(&seed.to_be_bytes());
    input.extend_from_slice(&id.to_be_bytes());
    hex::encode(Sha256::digest(&input))
}

/// A report not yet answered: its time, its parameters, when it first left.
struct Kept {
    time_ms: u64,
    parameters: Vec<(&'static str, String)>,
    first_sent_ms: Option<u64>,
}

/// One simulated phone.
pub(crate) struct Phone {
    id: u64,
    token: String,
    model: Model,
    kept: VecDeque<Kept>,
    scratch: Vec<(u64, Message)>,
}

/// A phone's keep-alive connection and what it has read past the last answer.
pub(crate) struct Link {
    stream: TcpStream,
    read: Vec<u8>,
}

impl Phone {
    /// The phone of device `id`, with its token, saying what `model` says.
    pub fn new(id: u64, token: String, model: Model) -> Phone {
        Phone {
            id,
            token,
            model,
            kept: VecDeque::new(),
            scratch: Vec::new(),
        }
    }

    /// What `message` says, as OsmAnd parameters; none if a phone cannot say it.
    fn parameters(message: &Message) -> Option<Vec<(&'static str, String)>> {
        match message {
            Message::Location(fix) => {
                let mut p = vec![
                    ("lat", fix.lat.degrees().to_string()),
                    ("lon", fix.lon.degrees().to_string()),
                    // OsmAnd's speed is in knots.
                    (
                        "speed",
                        format!("{:.2}", f64::from(fix.speed_cm_s) * 0.036 / 1.852),
                    ),
                ];
                if let Some(accuracy) = fix.accuracy_m {
                    p.push(("accuracy", accuracy.to_string()));
                }
                if let Some(heading) = fix.heading_deg {
                    p.push(("bearing", heading.to_string()));
                }
                Some(p)
            }
            Message::Heartbeat(hb) => Some(vec![
                ("batt", hb.battery_percent.to_string()),
                (
                    "charge",
                    hb.status.contains(HeartbeatStatus::CHARGING).to_string(),
                ),
            ]),
            _ => None,
        }
    }
}

impl Speaker for Phone {
    type Link = Link;

    fn generate(&mut self, until_ms: u64, counters: &mut Counters) {
        let mut due = std::mem::take(&mut self.scratch);
        self.model.poll(until_ms, &mut due);
        for (t, message) in due.drain(..) {
            let Some(parameters) = Phone::parameters(&message) else {
                continue;
            };
            // One request a moment: what else the phone says then joins it.
            match self.kept.back_mut() {
                Some(last) if last.first_sent_ms.is_none() && last.time_ms == t => {
                    last.parameters.extend(parameters);
                }
                _ => {
                    counters.recorded += 1;
                    self.kept.push_back(Kept {
                        time_ms: t,
                        parameters,
                        first_sent_ms: None,
                    });
                }
            }
        }
        self.scratch = due;
    }

    fn unanswered(&self) -> u64 {
        self.kept.len() as u64
    }

    async fn connect(&self, addr: SocketAddr) -> Option<Link> {
        let stream = TcpStream::connect(addr).await.ok()?;
        let _ = stream.set_nodelay(true);
        Some(Link {
            stream,
            read: Vec::new(),
        })
    }

    async fn send_oldest(
        &mut self,
        link: &mut Link,
        now: u64,
        counters: &mut Counters,
        latency: &mut Histogram,
    ) -> Option<()> {
        for _ in 0..REQUESTS_PER_TICK {
            let Some(kept) = self.kept.front_mut() else {
                break;
            };
            counters.transmitted += 1;
            match kept.first_sent_ms {
                Some(_) => counters.resent += 1,
                None => kept.first_sent_ms = Some(now),
            }
            let has_fix = kept.parameters.iter().any(|(k, _)| *k == "lat");
            let mut query = format!("id={}&timestamp={}", self.id, kept.time_ms);
            for (name, value) in &kept.parameters {
                query.push_str(&format!("&{name}={value}"));
            }
            if !has_fix {
                query.push_str("&valid=false");
            }
            query.push_str(&format!("&token={}", self.token));
            let request = format!("GET /?{query} HTTP/1.1\r\nHost: sargs\r\n\r\n");
            link.stream.write_all(request.as_bytes()).await.ok()?;
            let status = tokio::time::timeout(ANSWER_PATIENCE, read_answer(link))
                .await
                .ok()??;
            if status != 200 {
                // Refused or not stored: kept, and sent again on a new connection.
                tracing::debug!(device_id = self.id, status, "the position was not taken");
                return None;
            }
            counters.acks_received += 1;
            counters.acked += 1;
            if let Some(sent) = self.kept.pop_front().and_then(|k| k.first_sent_ms) {
                latency.record(now_ms().saturating_sub(sent));
            }
        }
        Some(())
    }
}

/// Reads one HTTP answer off a keep-alive connection: its status.
async fn read_answer(link: &mut Link) -> Option<u16> {
    let mut chunk = [0u8; 1024];
    let end = loop {
        if let Some(at) = link.read.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = link.stream.read(&mut chunk).await.ok()?;
        if n == 0 || link.read.len() > 64 * 1024 {
            return None;
        }
        link.read.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&link.read[..end]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while link.read.len() < end + length {
        let n = link.stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        link.read.extend_from_slice(&chunk[..n]);
    }
    link.read.drain(..end + length);
    Some(status)
}
