//! The MQTT transport: one client connection that subscribes to every device's uplink topic and
//! publishes ACKs on the downlink topics.
//!
//! The same code serves the embedded broker and an external one (Mosquitto, EMQX, ...). Delivery
//! guarantees come from the tag protocol, not from MQTT sessions: a frame whose ACK never reached
//! the device is resent by the device, so a clean session and automatic PUBACKs lose nothing.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::{AsyncClient, ConnectionError, Event, EventLoop, MqttOptions, Packet, QoS};
use store::Clock;
use tokio::sync::mpsc;

use crate::metrics::Metrics;
use crate::source::{Inbound, Via, downlink_topic, parse_uplink_topic};
use crate::writer::MqttDownlink;

/// The filter that matches every device's uplink topic.
pub const UPLINK_FILTER: &str = "em/v1/+/up";

/// Where the broker is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerAddress {
    /// The broker's host name or address.
    pub host: String,
    /// The broker's TCP port.
    pub port: u16,
}

/// Why ingest could not reach the MQTT broker.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    /// `--mqtt-url` is not `mqtt://HOST:PORT`.
    #[error("invalid MQTT URL {0:?}: expected mqtt://HOST:PORT")]
    BadUrl(String),
    /// The connection failed.
    #[error("cannot connect to the MQTT broker at {address}: {source}")]
    Connect {
        /// The broker's address as tried.
        address: String,
        /// Why the connection failed.
        source: Box<ConnectionError>,
    },
    /// The broker did not accept the connection in time (its address).
    #[error("the MQTT broker at {0} did not accept the connection in time")]
    Timeout(String),
}

impl BrokerAddress {
    /// Parse `mqtt://HOST:PORT` (or `tcp://`); the port defaults to 1883.
    pub fn parse(url: &str) -> Result<BrokerAddress, MqttError> {
        let bad = || MqttError::BadUrl(url.to_string());
        let rest = url
            .strip_prefix("mqtt://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(bad)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() || rest.contains('/') || rest.contains('@') {
            return Err(bad());
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
                (host, port.parse::<u16>().map_err(|_| bad())?)
            }
            _ => (rest, 1883),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || port == 0 {
            return Err(bad());
        }
        Ok(BrokerAddress {
            host: host.to_string(),
            port,
        })
    }
}

impl std::fmt::Display for BrokerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "mqtt://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "mqtt://{}:{}", self.host, self.port)
        }
    }
}

/// Client options suited to high message rates on one connection.
pub fn client_options(client_id: &str, address: &BrokerAddress) -> MqttOptions {
    let mut options = MqttOptions::new(client_id, address.host.clone(), address.port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_clean_session(true)
        .set_max_packet_size(4096, 4096)
        .set_inflight(1000)
        .set_request_channel_capacity(65_536);
    options
}

/// Connect and wait for the broker's CONNACK, so that a wrong address stops start-up with a
/// clear message instead of a half-started service. A refused connection is tried again until
/// `patience` has passed (the embedded broker binds a moment after it is started).
pub async fn connect(
    client_id: &str,
    address: &BrokerAddress,
    patience: Duration,
) -> Result<(AsyncClient, EventLoop), MqttError> {
    let options = client_options(client_id, address);
    let (client, mut eventloop) = AsyncClient::new(options, 65_536);
    let deadline = tokio::time::Instant::now() + patience;
    let connected = tokio::time::timeout(patience + Duration::from_secs(10), async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(source) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(error = %source, "MQTT broker not reachable yet");
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                Err(source) => {
                    return Err(MqttError::Connect {
                        address: address.to_string(),
                        source: Box::new(source),
                    });
                }
            }
        }
    })
    .await
    .map_err(|_| MqttError::Timeout(address.to_string()))?;
    connected?;
    Ok((client, eventloop))
}

/// The downlink side: ACKs are queued on the client's request channel without waiting.
#[derive(Clone)]
pub struct MqttAcks(pub AsyncClient);

impl MqttDownlink for MqttAcks {
    fn try_send(&self, device_id: u64, frame: Bytes) -> bool {
        self.0
            .try_publish(
                downlink_topic(device_id),
                QoS::AtLeastOnce,
                false,
                frame.to_vec(),
            )
            .is_ok()
    }
}

/// Drive the connection: subscribe (again after every reconnect) and pass each uplink message on.
/// Returns when the pipeline's channel closes.
pub async fn run_uplink(
    client: AsyncClient,
    mut eventloop: EventLoop,
    tx: mpsc::Sender<Inbound>,
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
) {
    if let Err(error) = client.subscribe(UPLINK_FILTER, QoS::AtLeastOnce).await {
        tracing::error!(%error, "cannot subscribe to uplink topics");
    }
    let mut backoff = Duration::from_millis(100);
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                backoff = Duration::from_millis(100);
                metrics.received_mqtt.fetch_add(1, Relaxed);
                let inbound = Inbound {
                    via: Via::Mqtt {
                        topic_device: parse_uplink_topic(&publish.topic),
                    },
                    bytes: publish.payload,
                    received_at_ms: clock.now().0,
                };
                if tx.send(inbound).await.is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                tracing::info!("reconnected to the MQTT broker");
                // A clean session forgets subscriptions: ask again.
                if client
                    .try_subscribe(UPLINK_FILTER, QoS::AtLeastOnce)
                    .is_err()
                {
                    tracing::error!("cannot queue the uplink subscription");
                }
            }
            Ok(_) => {}
            Err(error) => {
                if tx.is_closed() {
                    return;
                }
                tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "MQTT connection lost");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Drive the downlink connection: it only publishes, so there is nothing to read but acks.
pub async fn run_downlink(mut eventloop: EventLoop) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match eventloop.poll().await {
            Ok(_) => backoff = Duration::from_millis(100),
            Err(error) => {
                tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "MQTT downlink connection lost");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_urls() {
        let parse = |s| BrokerAddress::parse(s).map(|a| (a.host, a.port)).ok();
        assert_eq!(
            parse("mqtt://127.0.0.1:1883"),
            Some(("127.0.0.1".into(), 1883))
        );
        assert_eq!(
            parse("mqtt://broker.local"),
            Some(("broker.local".into(), 1883))
        );
        assert_eq!(parse("tcp://h:18830/"), Some(("h".into(), 18830)));
        assert_eq!(parse("mqtt://[::1]:1884"), Some(("::1".into(), 1884)));
        for bad in [
            "",
            "mqtt://",
            "http://h:1",
            "mqtt://h:0",
            "mqtt://h:99999",
            "mqtt://h:x",
            "mqtt://u:p@h:1",
            "mqtt://h:1/path",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
