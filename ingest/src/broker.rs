//! The embedded MQTT broker (rumqttd), so that `sargs serve` needs nothing else installed.
//!
//! rumqttd binds its listener on a thread of its own and only logs when that fails, so the port
//! is checked here first: a taken port stops start-up with a clear message. Port 0 picks a free
//! port, which the caller learns from the returned address. The broker binds a moment after
//! `start` returns; the ingest client's first connection waits for it (`mqtt::connect`).

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

/// Why the embedded MQTT broker did not start.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// Its listening address could not be bound, most often because another broker has it.
    #[error(
        "cannot listen for MQTT on {addr}: {source} (is another broker running there? choose another with --mqtt-listen, or use it with --mqtt-url)"
    )]
    Bind {
        /// The address it tried to listen on.
        addr: SocketAddr,
        /// Why binding failed.
        source: std::io::Error,
    },
    /// The broker itself failed to start; the text is its own.
    #[error("cannot start the embedded MQTT broker: {0}")]
    Start(String),
}

fn config(listen: SocketAddr) -> Config {
    let connections = ConnectionSettings {
        connection_timeout_ms: 10_000,
        // A frame is at most 1 060 bytes; leave room for the topic and MQTT header.
        max_payload_size: 4096,
        max_inflight_count: 1000,
        auth: None,
        external_auth: None,
        // No filter per unmatched topic: a publish nobody subscribed to is dropped, not logged.
        dynamic_filters: false,
    };
    let server = ServerSettings {
        name: "sargs-mqtt-v4".to_string(),
        listen,
        tls: None,
        next_connection_delay_ms: 0,
        connections,
    };
    Config {
        id: 0,
        router: RouterConfig {
            max_connections: 110_000,
            max_outgoing_packet_count: 1000,
            max_segment_size: 64 * 1024 * 1024,
            max_segment_count: 4,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("1".to_string(), server)])),
        ..Config::default()
    }
}

/// Start the broker on `listen` and return the address it listens on.
pub fn start(listen: SocketAddr) -> Result<SocketAddr, BrokerError> {
    let probe = TcpListener::bind(listen).map_err(|source| BrokerError::Bind {
        addr: listen,
        source,
    })?;
    let addr = probe.local_addr().map_err(|source| BrokerError::Bind {
        addr: listen,
        source,
    })?;
    drop(probe);
    let mut broker = Broker::new(config(addr));
    std::thread::Builder::new()
        .name("mqtt-broker".to_string())
        .spawn(move || {
            if let Err(error) = broker.start() {
                tracing::error!(%error, "embedded MQTT broker stopped");
            }
        })
        .map_err(|e| BrokerError::Start(e.to_string()))?;
    tracing::info!(%addr, "embedded MQTT broker started");
    Ok(addr)
}
