//! The durable telemetry path of sargs: transports in, frames checked, stored, acknowledged.
//!
//! Built as small stages joined by channels (after Vector): sources (`mqtt`, `serial`) turn
//! bytes on a wire into `Inbound` frames; `check` decides whether a frame is valid, from a
//! registered device, and authentic; `writer` commits batches and only then acknowledges. The
//! protocol itself lives in `firmware_proto`, with the engine side of each device's link (the
//! sequence window, gaps, ACK numbering: `firmware_proto::EngineLink`) that the writer drives;
//! storage in `store`. Commands to devices go the other way through `downlink`, into the
//! writer, which numbers and sends them.
#![warn(missing_docs)]

pub mod adapter;
pub mod broker;
pub mod check;
pub mod downlink;
pub mod health_history;
mod hold;
pub mod http_adapter;
pub mod metrics;
pub mod mqtt;
pub mod osmand;
pub mod serial;
pub mod source;
pub mod store;
pub mod teltonika;
pub mod traccar;
pub mod writer;

use std::sync::Arc;

use firmware_proto::Message;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::adapter::{Adapter, Intake};
use crate::check::Checker;
pub use crate::downlink::{Downlink, DownlinkCommand, DownlinkError, DownlinkSent, NotifyPattern};
pub use crate::http_adapter::{HttpListener, HttpOptions};
use crate::metrics::Metrics;
use crate::mqtt::{BrokerAddress, MqttAcks};
use crate::osmand::OsmAnd;
use crate::serial::{SerialReader, SerialSpec};
use crate::store::Telemetry;
pub use crate::teltonika::{TeltonikaListener, TeltonikaOptions};
use crate::traccar::TraccarForwarding;
use crate::writer::{Writer, WriterOptions};

/// The decoded payload of a message as a JSON object, as stored and exported.
pub fn fields_json(message: &Message) -> String {
    let json = match message {
        Message::Heartbeat(m) => serde_json::to_string(m),
        Message::Location(m) => serde_json::to_string(m),
        Message::Event(m) => serde_json::to_string(m),
        Message::Hello(m) => serde_json::to_string(m),
        Message::Presence(m) => serde_json::to_string(m),
        Message::Alcohol(m) => serde_json::to_string(m),
        Message::Ack(m) => serde_json::to_string(m),
        Message::Config(m) => serde_json::to_string(m),
        Message::NotifyWearer(m) => serde_json::to_string(m),
        Message::LocateNow | Message::Time => Ok("{}".to_string()),
    };
    // Serialising plain structs of numbers cannot fail; keep the row rather than lose it.
    json.unwrap_or_else(|_| "{}".to_string())
}

/// How to run ingest: where frames come from and how they are written.
#[derive(Clone, Debug)]
pub struct IngestConfig {
    /// The MQTT broker to subscribe to devices' uplink topics on.
    pub broker: BrokerAddress,
    /// The MQTT client id ingest connects with.
    pub client_id: String,
    /// The serial lines to read devices from (`--serial`), if any.
    pub serial: Vec<SerialSpec>,
    /// How the writer batches, holds and gives up on frames.
    pub writer: WriterOptions,
    /// Frames that may wait between stages.
    pub channel_capacity: usize,
    /// How long to keep trying the broker at start-up (the embedded one binds a moment late).
    pub connect_patience: std::time::Duration,
    /// Where to take Teltonika trackers' connections, if anywhere.
    pub teltonika: Option<TeltonikaOptions>,
    /// Where to take OsmAnd positions (phones), if anywhere.
    pub osmand: Option<HttpOptions>,
    /// Where to take positions forwarded by Traccar, if anywhere, and the token it sends.
    pub traccar: Option<(HttpOptions, String)>,
}

/// The running pipeline.
pub struct Ingest {
    sources: Vec<JoinHandle<()>>,
    stages: Vec<JoinHandle<()>>,
    downlink: Downlink,
    listening: Listening,
}

/// Where the adapters listen (the ports the system gave, for port 0); none where one is off.
#[derive(Clone, Copy, Debug, Default)]
pub struct Listening {
    /// Teltonika trackers' TCP connections.
    pub teltonika: Option<std::net::SocketAddr>,
    /// OsmAnd positions over HTTP.
    pub osmand: Option<std::net::SocketAddr>,
    /// Positions forwarded by Traccar over HTTP.
    pub traccar: Option<std::net::SocketAddr>,
}

impl Ingest {
    /// Open every transport (failing if one cannot be opened) and start the pipeline.
    pub async fn start(
        store: Telemetry,
        config: IngestConfig,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Ingest> {
        use anyhow::Context;
        // Every listening socket first: a port that cannot be had stops the start, clearly.
        let teltonika = match &config.teltonika {
            Some(options) => Some(
                TeltonikaListener::bind(options.clone())
                    .await
                    .with_context(|| {
                        format!("listening for Teltonika trackers on {}", options.listen)
                    })?,
            ),
            None => None,
        };
        let osmand = match &config.osmand {
            Some(options) => {
                Some(HttpListener::bind(options.clone()).await.with_context(|| {
                    format!("listening for OsmAnd positions on {}", options.listen)
                })?)
            }
            None => None,
        };
        let traccar = match &config.traccar {
            Some((options, token)) => Some((
                HttpListener::bind(options.clone()).await.with_context(|| {
                    format!(
                        "listening for positions forwarded by Traccar on {}",
                        options.listen
                    )
                })?,
                TraccarForwarding::new(token),
            )),
            None => None,
        };
        let listening = Listening {
            teltonika: teltonika
                .as_ref()
                .map(TeltonikaListener::local_addr)
                .transpose()?,
            osmand: osmand.as_ref().map(HttpListener::local_addr).transpose()?,
            traccar: traccar
                .as_ref()
                .map(|(listener, _)| listener.local_addr())
                .transpose()?,
        };
        let readers = config
            .serial
            .iter()
            .map(|spec| SerialReader::open(spec.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let (client, eventloop) =
            mqtt::connect(&config.client_id, &config.broker, config.connect_patience)
                .await
                .context("starting the MQTT transport")?;
        // ACKs leave on a connection of their own: when the pipeline is full and the uplink
        // connection stops reading, ACKs must still flow, or devices resend everything and the
        // overload feeds itself.
        let (ack_client, ack_eventloop) = mqtt::connect(
            &format!("{}-acks", config.client_id),
            &config.broker,
            config.connect_patience,
        )
        .await
        .context("starting the MQTT downlink")?;

        let serial_lines: Vec<_> = readers.iter().map(SerialReader::line).collect();
        let (inbound_tx, mut inbound_rx) = mpsc::channel(config.channel_capacity);
        let (checked_tx, checked_rx) = mpsc::channel(config.channel_capacity);

        let mut sources = vec![
            tokio::spawn(mqtt::run_uplink(
                client,
                eventloop,
                inbound_tx.clone(),
                metrics.clone(),
                store.store().clock(),
            )),
            tokio::spawn(mqtt::run_downlink(ack_eventloop)),
        ];
        for reader in readers {
            sources.push(tokio::spawn(reader.run(
                inbound_tx.clone(),
                metrics.clone(),
                store.store().clock(),
            )));
        }
        drop(inbound_tx);
        if let Some(listener) = teltonika {
            sources.push(tokio::spawn(listener.run(
                checked_tx.clone(),
                store.clone(),
                metrics.clone(),
            )));
        }
        let intake =
            |adapter| Intake::new(adapter, checked_tx.clone(), store.clone(), metrics.clone());
        if let Some(listener) = osmand {
            sources.push(tokio::spawn(listener.run(OsmAnd, intake(Adapter::OsmAnd))));
        }
        if let Some((listener, forwarding)) = traccar {
            sources.push(tokio::spawn(
                listener.run(forwarding, intake(Adapter::Traccar)),
            ));
        }

        let mut checker = Checker::new(store.clone(), metrics.clone());
        let check_stage = tokio::spawn(async move {
            while let Some(inbound) = inbound_rx.recv().await {
                match checker.check(inbound).await {
                    Ok(Some(checked)) => {
                        if checked_tx.send(checked).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) => {}
                    // The frame is not acked, so its device resends it.
                    Err(error) => tracing::error!(%error, "device look-up failed"),
                }
            }
        });
        let writer = Writer::new(store, metrics, config.writer, MqttAcks(ack_client))
            .with_serial_lines(serial_lines);
        let (downlink, commands) = Downlink::channel(downlink::COMMAND_QUEUE);
        let write_stage = tokio::spawn(writer.run_with_commands(checked_rx, commands));
        Ok(Ingest {
            sources,
            stages: vec![check_stage, write_stage],
            downlink,
            listening,
        })
    }

    /// A handle for sending commands (NOTIFY_WEARER, LOCATE_NOW) to devices; clone it freely.
    /// It answers `DownlinkError::Stopped` once the pipeline has shut down.
    pub fn downlink(&self) -> Downlink {
        self.downlink.clone()
    }

    /// Where the adapters listen.
    pub fn listening(&self) -> Listening {
        self.listening
    }

    /// Stop taking frames, commit and acknowledge what was already taken, then return.
    pub async fn shutdown(self) {
        for source in &self.sources {
            source.abort();
        }
        for source in self.sources {
            let _ = source.await;
        }
        for stage in self.stages {
            let _ = stage.await;
        }
    }
}
