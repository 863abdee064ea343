//! The MQTT transport of the simulator: many devices share one broker connection, as behind a
//! carrier's gateway, and each connection's devices are driven by one task.
//!
//! Each connection has two tasks. The pump polls rumqttc's event loop without pause (so the
//! network always moves, which `EventLoop::poll` inside a `select!` would not guarantee, since
//! it is not documented as cancel-safe), subscribes to the devices' downlink topics after every
//! (re)connect and passes downlinks and link changes on an unbounded channel (unbounded so that
//! it never waits on the driver while the driver waits on a full request queue). The driver
//! ticks every [`TICK`]: records what is due, publishes what the sessions return (QoS 1, one
//! frame per message), and hands every downlink to its device the moment it arrives.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use ingest::mqtt::{BrokerAddress, UPLINK_FILTER, client_options};
use ingest::source::{downlink_topic, uplink_topic};
use rumqttc::{
    AsyncClient, Event, EventLoop, Outgoing, Packet, QoS, SubscribeFilter, SubscribeReasonCode,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::node::Node;
use super::report::{Counters, Histogram, SimStats};
use super::{Outcome, RunClock, TICK, now_ms};

/// How long a connection may take to connect and subscribe before the run gives up.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a refused connection is tried again at the start.
const CONNECT_PATIENCE: Duration = Duration::from_secs(5);
/// Topics per SUBSCRIBE packet (the client's packets are limited to 4 KiB).
const FILTERS_PER_SUBSCRIBE: usize = 50;

enum LinkEvent {
    Up,
    Down,
    Downlink { device: Option<u64>, bytes: Bytes },
}

/// A connected, subscribed broker connection and its pump task.
pub struct Link {
    client: AsyncClient,
    events: mpsc::UnboundedReceiver<LinkEvent>,
    pump: JoinHandle<()>,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// Connects as `client_id`, subscribes to the downlink topics of `ids`, and returns once the
/// broker has confirmed every subscription.
pub async fn open(client_id: String, broker: &BrokerAddress, ids: &[u64]) -> anyhow::Result<Link> {
    let (client, eventloop) = connect(&client_id, broker).await?;
    let filters: Vec<String> = ids.iter().map(|&id| downlink_topic(id)).collect();
    let (tx, mut events) = mpsc::unbounded_channel();
    let pump = tokio::spawn(pump(client.clone(), eventloop, filters, tx));
    let ready = tokio::time::timeout(READY_TIMEOUT, async {
        loop {
            match events.recv().await {
                Some(LinkEvent::Up) => return true,
                Some(_) => {}
                None => return false,
            }
        }
    })
    .await;
    match ready {
        Ok(true) => Ok(Link {
            client,
            events,
            pump,
        }),
        Ok(false) => {
            pump.abort();
            anyhow::bail!("simulator connection {client_id} closed before it was subscribed")
        }
        Err(_) => {
            pump.abort();
            anyhow::bail!(
                "simulator connection {client_id} was not subscribed within {READY_TIMEOUT:?}"
            )
        }
    }
}

/// Connects with the engine's client options and waits for the CONNACK; a refused connection
/// is tried again for a few seconds (a broker started just before may not listen yet).
async fn connect(
    client_id: &str,
    broker: &BrokerAddress,
) -> anyhow::Result<(AsyncClient, EventLoop)> {
    let (client, mut eventloop) = AsyncClient::new(client_options(client_id, broker), 65_536);
    let patience = tokio::time::Instant::now() + CONNECT_PATIENCE;
    let connected = tokio::time::timeout(READY_TIMEOUT, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(error) if tokio::time::Instant::now() < patience => {
                    tracing::debug!(%error, "MQTT broker not reachable yet");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => return Err(error),
            }
        }
    })
    .await;
    match connected {
        Ok(Ok(())) => Ok((client, eventloop)),
        Ok(Err(error)) => Err(anyhow::anyhow!(
            "simulator connection {client_id} cannot connect to {broker}: {error}"
        )),
        Err(_) => anyhow::bail!(
            "simulator connection {client_id}: no CONNACK from {broker} within {READY_TIMEOUT:?}"
        ),
    }
}

/// Queues the downlink subscriptions; returns how many SUBACKs to wait for.
fn subscribe(client: &AsyncClient, filters: &[String]) -> usize {
    let mut requested = 0;
    for chunk in filters.chunks(FILTERS_PER_SUBSCRIBE) {
        let batch = chunk
            .iter()
            .map(|f| SubscribeFilter::new(f.clone(), QoS::AtLeastOnce));
        match client.try_subscribe_many(batch) {
            Ok(()) => requested += 1,
            Err(error) => tracing::error!(%error, "cannot queue downlink subscriptions"),
        }
    }
    requested
}

/// Polls the event loop forever (until the driver is gone). See the module docs.
async fn pump(
    client: AsyncClient,
    mut eventloop: EventLoop,
    filters: Vec<String>,
    tx: mpsc::UnboundedSender<LinkEvent>,
) {
    // `connect` already saw the first CONNACK.
    let mut awaiting = subscribe(&client, &filters);
    let mut up = false;
    if awaiting == 0 && tx.send(LinkEvent::Up).is_ok() {
        up = true;
    }
    let mut backoff = Duration::from_millis(100);
    loop {
        let sent = match eventloop.poll().await {
            Ok(Event::Incoming(Packet::Publish(publish))) => tx.send(LinkEvent::Downlink {
                device: parse_downlink_topic(&publish.topic),
                bytes: publish.payload,
            }),
            Ok(Event::Incoming(Packet::SubAck(suback))) => {
                if suback
                    .return_codes
                    .iter()
                    .any(|c| matches!(c, SubscribeReasonCode::Failure))
                {
                    tracing::error!("the broker refused a downlink subscription");
                }
                awaiting = awaiting.saturating_sub(1);
                if awaiting == 0 && !up {
                    up = true;
                    tx.send(LinkEvent::Up)
                } else {
                    Ok(())
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = Duration::from_millis(100);
                // A clean session forgets subscriptions: ask again, and stay down until confirmed.
                awaiting = subscribe(&client, &filters);
                if awaiting == 0 && !up {
                    up = true;
                    tx.send(LinkEvent::Up)
                } else {
                    Ok(())
                }
            }
            // The driver is done and everything queued before has been written.
            Ok(Event::Outgoing(Outgoing::Disconnect)) => return,
            Ok(_) => Ok(()),
            Err(error) => {
                if tx.is_closed() {
                    return;
                }
                tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "simulator lost its MQTT connection");
                let sent = if up { tx.send(LinkEvent::Down) } else { Ok(()) };
                up = false;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                sent
            }
        };
        if sent.is_err() {
            return;
        }
    }
}

/// The device id of a downlink topic `em/v1/<id>/down`.
fn parse_downlink_topic(topic: &str) -> Option<u64> {
    topic
        .strip_prefix("em/v1/")?
        .strip_suffix("/down")?
        .parse()
        .ok()
}

/// Drives one connection's devices until the run has ended and drained. See the module docs.
pub async fn drive(
    mut link: Link,
    mut nodes: Vec<Node>,
    clock: RunClock,
    stagger: Duration,
    stats: Arc<SimStats>,
) -> Outcome {
    let topics: Vec<String> = nodes.iter().map(|n| uplink_topic(n.id())).collect();
    let index: HashMap<u64, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id(), i)).collect();
    let mut counters = Counters::default();
    let mut latency = Histogram::default();
    let mut outcome = Outcome::default();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + stagger, TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut link_up, mut generating, mut pump_alive) = (true, true, true);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = now_ms();
                if generating {
                    for node in &mut nodes {
                        node.generate(now, &mut counters);
                    }
                    if now >= clock.end_ms {
                        generating = false;
                        nodes.iter_mut().for_each(Node::stop_generating);
                    }
                }
                for (i, node) in nodes.iter_mut().enumerate() {
                    for frame in node.transmit(now, link_up, &mut counters) {
                        if let Err(error) = link.client.publish(topics[i].clone(), QoS::AtLeastOnce, false, frame).await {
                            // The pump is gone; the session resends once the link is back.
                            tracing::debug!(%error, "publish not queued");
                        }
                    }
                }
                counters.flush(&stats);
                if !generating && (clock.raw || now >= clock.drain_deadline_ms || nodes.iter().all(|n| n.unacked() == 0)) {
                    break;
                }
            }
            event = link.events.recv(), if pump_alive => match event {
                Some(LinkEvent::Downlink { device, bytes }) => match device.and_then(|d| index.get(&d)) {
                    Some(&i) => nodes[i].downlink(&bytes, now_ms(), &mut latency, &mut counters),
                    None => counters.downlink_rejected += 1,
                },
                Some(LinkEvent::Up) => {
                    if !link_up {
                        link_up = true;
                        outcome.reconnects += 1;
                        stats.reconnects.fetch_add(1, Relaxed);
                        let now = now_ms();
                        for node in &mut nodes {
                            node.link_restored(now, &mut counters);
                        }
                    }
                }
                Some(LinkEvent::Down) => link_up = false,
                None => {
                    // Nothing can arrive any more; keep ticking (offline) until the deadline.
                    tracing::error!("simulator MQTT pump stopped");
                    (link_up, pump_alive) = (false, false);
                }
            },
        }
    }
    counters.flush(&stats);
    // Let the pump send what is still queued (the last tick's frames) before it stops.
    if link.client.disconnect().await.is_ok() {
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut link.pump).await;
    }
    outcome.finish(&nodes, latency);
    outcome
}

/// The `--raw-broker` subscriber: counts every uplink frame the broker delivers. (Against
/// Mosquitto, set `max_queued_messages 0`: its default of 1000 drops deliveries to a subscriber
/// that falls behind a burst, which would count against the broker.)
pub struct RawCounter {
    pub last_delivery_ms: Arc<AtomicU64>,
    pump: JoinHandle<()>,
}

impl Drop for RawCounter {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// Connects as `client_id`, subscribes to every uplink topic and starts counting into
/// `stats.delivered_raw`.
pub async fn raw_counter(
    client_id: String,
    broker: &BrokerAddress,
    stats: Arc<SimStats>,
) -> anyhow::Result<RawCounter> {
    let (client, mut eventloop) = connect(&client_id, broker).await?;
    client.subscribe(UPLINK_FILTER, QoS::AtLeastOnce).await?;
    tokio::time::timeout(READY_TIMEOUT, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(error) => return Err(error),
            }
        }
    })
    .await
    .context("the raw-broker subscriber was not subscribed in time")??;
    let last_delivery_ms = Arc::new(AtomicU64::new(0));
    let last = last_delivery_ms.clone();
    let pump = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(_))) => {
                    stats.delivered_raw.fetch_add(1, Relaxed);
                    last.store(now_ms(), Relaxed);
                }
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    if client
                        .try_subscribe(UPLINK_FILTER, QoS::AtLeastOnce)
                        .is_err()
                    {
                        tracing::error!("cannot queue the raw-broker subscription");
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "raw-broker subscriber lost its connection");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    });
    Ok(RawCounter {
        last_delivery_ms,
        pump,
    })
}
