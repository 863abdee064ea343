//! The fleet simulator (`sargs simulate`): a fleet of virtual ankle tags and home units that drives the engine exactly
//! as real devices would, through `firmware_proto::DeviceSession`, over MQTT or a serial line.
//!
//! It is the load generator of the benchmarks and the driver of the end-to-end tests, so it is
//! deterministic for a seed (ids, kinds, keys, tracks and events: see `fleet`) and accounts for
//! every frame (see `report`). The parts: `track` (where a client is), `model` (what a device
//! says when), `fleet` (the devices a seed gives), `node` (a device's session and bookkeeping),
//! `mqtt` and `serial` (the wire), `report` (the numbers).
//!
//! A run: connect every transport, start the clock, generate for `--duration` seconds while
//! transmitting and resending, then stop generating and keep resending until every frame is
//! acked or `--drain-timeout` passes. Device time is the wall clock, so the engine sees no skew.
//! Sequence numbers start at 1, as for a newly registered device: run each seed against a fresh
//! database (or other `--first-id`s), since the engine would take a replayed seq as a duplicate.
#![warn(missing_docs)]

mod coverage;
mod fleet;
mod foreign;
mod model;
mod mqtt;
mod node;
mod osmand;
mod report;
mod script;
mod serial;
mod teltonika;
mod track;

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use firmware_proto::DeviceKind;
use firmware_proto::SessionOptions;
use ingest::mqtt::BrokerAddress;
use ingest::serial::SerialSpec;

pub use fleet::SimDevice;
pub use osmand::token as osmand_token;
pub use report::{SimReport, SimStats};
pub use teltonika::imei as teltonika_imei;

use coverage::GapPlan;
use fleet::Member;
use model::Timing;
use node::{Node, Plan};
use report::Histogram;

/// How often each connection records what is due and transmits.
const TICK: Duration = Duration::from_millis(100);

/// The options of `sargs simulate`: the fleet, the run, and the engine to drive.
#[derive(clap::Args, Clone, Debug)]
pub struct SimulateArgs {
    /// Number of simulated devices (about 2/3 GPS tags, 1/3 home units paired with a tag).
    #[arg(long, default_value_t = 100)]
    pub devices: u32,
    /// Seconds of generating frames (then the run drains: see --drain-timeout).
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// The same seed gives the same fleet: ids, kinds, keys, tracks and events.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Device ids are first_id .. first_id + devices.
    #[arg(long, default_value_t = 100_000)]
    pub first_id: u64,
    /// The MQTT broker the engine listens on.
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    pub mqtt_url: String,
    /// PATH[@BAUD]: send every device's frames over this serial line instead of MQTT.
    #[arg(long)]
    pub serial: Option<String>,
    /// Devices sharing one MQTT connection.
    #[arg(long, default_value_t = 100)]
    pub devices_per_connection: usize,
    /// Devices without keys (no MACs); by default every device has the key
    /// SHA-256("sargs-sim" || seed u64 BE || device id u64 BE).
    #[arg(long)]
    pub no_keys: bool,
    /// Every location / presence interval, in ms, instead of the realistic ones (load tests);
    /// heartbeats then come every 20th interval.
    #[arg(long)]
    pub location_interval_ms: Option<u64>,
    /// Coverage gaps per device-hour (each 30 s to 10 min, at most a quarter of the run).
    #[arg(long, default_value_t = 0.0)]
    pub gap_rate: f64,
    /// Seconds to wait after --duration for every frame to be acked.
    #[arg(long, default_value_t = 30)]
    pub drain_timeout: u64,
    /// ADDR: the fleet's GPS tags and scripted devices are Teltonika trackers sending to the
    /// engine's Teltonika listener at ADDR, each on a connection of its own, logging in as IMEI
    /// 350000000000000 + its id (home units are left out).
    #[arg(long, value_name = "ADDR", conflicts_with = "osmand")]
    pub teltonika: Option<std::net::SocketAddr>,
    /// ADDR: the fleet's GPS tags and scripted devices are phones (Traccar Client) sending
    /// OsmAnd requests to the engine's OsmAnd listener at ADDR, each on a connection of its
    /// own, its OsmAnd id its device id and its token SHA-256("sargs-sim-token" || seed u64 BE
    /// || id u64 BE) in hex (home units are left out).
    #[arg(long, value_name = "ADDR")]
    pub osmand: Option<std::net::SocketAddr>,
    /// Measure the broker alone: no engine, the simulator counts its own uplink deliveries.
    #[arg(long)]
    pub raw_broker: bool,
    /// Print the final report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Add the devices of this script (TOML: what each reports and when; see
    /// src/simulate/script.rs) to the fleet; with --devices 0, run only them.
    #[arg(long, value_name = "FILE")]
    pub script: Option<std::path::PathBuf>,
    /// The instant the script's offsets count from (RFC 3339) instead of its own `start`.
    #[arg(long, value_name = "TIME")]
    pub script_start: Option<chrono::DateTime<chrono::Utc>>,
}

/// The adapters a run can drive instead of MQTT or a serial line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Foreign {
    /// Teltonika trackers over TCP.
    Teltonika,
    /// Phones over OsmAnd HTTP.
    OsmAnd,
}

impl SimulateArgs {
    /// The adapter this run drives, and where, if it drives one.
    pub fn foreign(&self) -> Option<(Foreign, std::net::SocketAddr)> {
        match (self.teltonika, self.osmand) {
            (Some(addr), _) => Some((Foreign::Teltonika, addr)),
            (None, Some(addr)) => Some((Foreign::OsmAnd, addr)),
            (None, None) => None,
        }
    }
}

impl Default for SimulateArgs {
    /// The command line's defaults.
    fn default() -> Self {
        SimulateArgs {
            devices: 100,
            duration: 60,
            seed: 1,
            first_id: 100_000,
            mqtt_url: "mqtt://127.0.0.1:1883".to_string(),
            serial: None,
            teltonika: None,
            osmand: None,
            devices_per_connection: 100,
            no_keys: false,
            location_interval_ms: None,
            gap_rate: 0.0,
            drain_timeout: 30,
            raw_broker: false,
            json: false,
            script: None,
            script_start: None,
        }
    }
}

/// The fleet a seed gives (ids, kinds, keys), so `sargs simulate --register` and the demo can
/// register exactly these devices before running.
pub fn fleet(args: &SimulateArgs) -> anyhow::Result<Vec<SimDevice>> {
    Ok(members(args)?.into_iter().map(|m| m.device).collect())
}

fn members(args: &SimulateArgs) -> anyhow::Result<Vec<Member>> {
    let mut members = fleet::members(args.seed, args.first_id, args.devices, !args.no_keys);
    if let Some(path) = &args.script {
        let scripted = script::Script::load(path)?.members(
            args.script_start,
            now_ms(),
            args.seed,
            !args.no_keys,
        )?;
        if let Some(m) = scripted
            .iter()
            .find(|s| members.iter().any(|m| m.device.id == s.device.id))
        {
            bail!(
                "scripted device {} is also in the random fleet; choose other ids",
                m.device.id
            );
        }
        members.extend(scripted);
    }
    if args.foreign().is_some() {
        // Trackers and phones are what they can be: GPS tags, and scripted devices.
        members.retain(|m| m.script.is_some() || m.device.kind == DeviceKind::GpsTag);
    }
    Ok(members)
}

/// Wall-clock milliseconds since the Unix epoch: device time.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// When the phases of a run end, as every driver sees them.
#[derive(Clone, Copy, Debug)]
struct RunClock {
    end_ms: u64,
    drain_deadline_ms: u64,
    /// `--raw-broker`: nothing is acked, so there is no drain.
    raw: bool,
}

/// The connection tasks of a run, stopped if the run is dropped (a caller that aborts `run`,
/// such as the demo on Ctrl-C, stops the devices too).
struct Drivers(Vec<tokio::task::JoinHandle<Outcome>>);

impl Drop for Drivers {
    fn drop(&mut self) {
        self.0.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

/// What a driver leaves at the end.
#[derive(Default, Debug)]
struct Outcome {
    unacked: u64,
    dropped: u64,
    reconnects: u64,
    latency: Histogram,
}

impl Outcome {
    fn finish(&mut self, nodes: &[Node], latency: Histogram) {
        self.unacked = nodes.iter().map(Node::unacked).sum();
        self.dropped = nodes.iter().map(Node::dropped).sum();
        self.latency = latency;
    }
}

fn validate(args: &SimulateArgs) -> anyhow::Result<()> {
    if args.first_id == 0 {
        bail!("--first-id must be at least 1 (device id 0 is invalid)");
    }
    if args.devices > 0
        && args
            .first_id
            .checked_add(u64::from(args.devices) - 1)
            .is_none()
    {
        bail!(
            "--first-id {} + --devices {} passes the largest device id",
            args.first_id,
            args.devices
        );
    }
    if args.devices_per_connection == 0 {
        bail!("--devices-per-connection must be at least 1");
    }
    if !args.gap_rate.is_finite() || args.gap_rate < 0.0 {
        bail!("--gap-rate must be a non-negative number");
    }
    if args.location_interval_ms == Some(0) {
        bail!("--location-interval-ms must be at least 1");
    }
    if args.foreign().is_some() && (args.raw_broker || args.serial.is_some()) {
        bail!(
            "--teltonika and --osmand drive the engine's adapters; not with --serial or --raw-broker"
        );
    }
    if args.raw_broker && args.serial.is_some() {
        bail!("--raw-broker measures an MQTT broker; it cannot be combined with --serial");
    }
    Ok(())
}

/// Runs the fleet and returns the report. `stats` is updated live (at least every tick).
pub async fn run(args: &SimulateArgs, stats: Arc<SimStats>) -> anyhow::Result<SimReport> {
    validate(args)?;
    let members = members(args)?;
    if members.is_empty() {
        return Ok(SimReport {
            transport: if args.serial.is_some() {
                "serial"
            } else {
                "mqtt"
            }
            .to_string(),
            raw_broker: args.raw_broker,
            seed: args.seed,
            ..SimReport::default()
        });
    }
    let before = Snapshot::of(&stats);
    let session = if args.raw_broker {
        // No engine acks: never resend, and keep only a bounded buffer (what overflows is
        // counted as dropped by the devices).
        SessionOptions {
            resend_after_ms: u64::MAX,
            capacity: 1_024,
        }
    } else {
        SessionOptions::default()
    };
    let duration_ms = args.duration.saturating_mul(1_000);
    let plan = |start_ms: u64| Plan {
        seed: args.seed,
        timing: Timing::new(args.location_interval_ms),
        start_ms,
        end_ms: start_ms.saturating_add(duration_ms),
        session,
        gaps: GapPlan::new(args.gap_rate, duration_ms),
    };
    let clock = |plan: &Plan| RunClock {
        end_ms: plan.end_ms,
        drain_deadline_ms: plan
            .end_ms
            .saturating_add(args.drain_timeout.saturating_mul(1_000)),
        raw: args.raw_broker,
    };

    let (transport, connections, start_ms, outcomes, raw) =
        if let Some((transport, addr)) = args.foreign() {
            let plan = plan(now_ms());
            let count = members.len().max(1) as u32;
            let mut drivers = Drivers(
                members
                    .iter()
                    .enumerate()
                    .map(|(n, m)| {
                        let id = m.device.id;
                        let model =
                            fleet::model(args.seed, m, node::boot_ms(&plan, id), plan.timing);
                        let stagger = TICK * n as u32 / count;
                        let (clock, stats) = (clock(&plan), stats.clone());
                        match transport {
                            Foreign::Teltonika => tokio::spawn(foreign::drive(
                                addr,
                                teltonika::Tracker::new(id, model),
                                clock,
                                stagger,
                                stats,
                            )),
                            Foreign::OsmAnd => tokio::spawn(foreign::drive(
                                addr,
                                osmand::Phone::new(id, osmand::token(args.seed, id), model),
                                clock,
                                stagger,
                                stats,
                            )),
                        }
                    })
                    .collect(),
            );
            let mut outcomes = Vec::with_capacity(drivers.0.len());
            for driver in &mut drivers.0 {
                outcomes.push(driver.await.context("a simulated tracker failed")?);
            }
            let name = match transport {
                Foreign::Teltonika => "teltonika",
                Foreign::OsmAnd => "osmand",
            };
            (name, members.len(), plan.start_ms, outcomes, None)
        } else if let Some(serial) = &args.serial {
            let spec: SerialSpec = serial.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let line = serial::open(&spec)?;
            let plan = plan(now_ms());
            let nodes = members.iter().map(|m| Node::new(m, &plan)).collect();
            let outcome = serial::drive(spec, line, nodes, clock(&plan), stats.clone()).await;
            ("serial", 1, plan.start_ms, vec![outcome], None)
        } else {
            let broker = BrokerAddress::parse(&args.mqtt_url)?;
            let raw = if args.raw_broker {
                let id = format!("sargs-sim-{}-raw", args.seed);
                Some(mqtt::raw_counter(id, &broker, stats.clone()).await?)
            } else {
                None
            };
            let groups: Vec<&[Member]> = members.chunks(args.devices_per_connection).collect();
            let links =
                futures::future::try_join_all(groups.iter().enumerate().map(|(n, group)| {
                    let ids: Vec<u64> = group.iter().map(|m| m.device.id).collect();
                    let broker = broker.clone();
                    async move {
                        mqtt::open(format!("sargs-sim-{}-{n}", args.seed), &broker, &ids).await
                    }
                }))
                .await
                .with_context(|| format!("connecting the simulated devices to {broker}"))?;
            let plan = plan(now_ms());
            let count = links.len().max(1) as u32;
            let mut drivers = Drivers(
                links
                    .into_iter()
                    .zip(&groups)
                    .enumerate()
                    .map(|(n, (link, group))| {
                        let nodes = group.iter().map(|m| Node::new(m, &plan)).collect();
                        let stagger = TICK * n as u32 / count;
                        tokio::spawn(mqtt::drive(
                            link,
                            nodes,
                            clock(&plan),
                            stagger,
                            stats.clone(),
                        ))
                    })
                    .collect(),
            );
            let mut outcomes = Vec::with_capacity(drivers.0.len());
            for driver in &mut drivers.0 {
                outcomes.push(driver.await.context("a simulator connection task failed")?);
            }
            ("mqtt", groups.len(), plan.start_ms, outcomes, raw)
        };
    let finished_ms = now_ms();

    let mut delivered_until_ms = 0;
    if let Some(raw) = raw {
        // Give the broker a moment to deliver what was published last: until every frame is
        // delivered, nothing arrives for 2 s, or 10 s have passed.
        let transmitted = Snapshot::of(&stats)
            .transmitted
            .saturating_sub(before.transmitted);
        let deadline = now_ms() + 10_000;
        let (mut seen, mut quiet_since) = (0, now_ms());
        loop {
            let delivered = stats
                .delivered_raw
                .load(Relaxed)
                .saturating_sub(before.delivered_raw);
            let now = now_ms();
            if delivered != seen {
                (seen, quiet_since) = (delivered, now);
            }
            if delivered >= transmitted || now >= deadline || now - quiet_since >= 2_000 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        delivered_until_ms = raw.last_delivery_ms.load(Relaxed);
    }

    let after = Snapshot::of(&stats);
    let mut latency = Histogram::default();
    for outcome in &outcomes {
        latency.merge(&outcome.latency);
    }
    let count = |kind| members.iter().filter(|m| m.device.kind == kind).count() as u64;
    let seconds = args.duration as f64;
    let drain_seconds =
        finished_ms.saturating_sub(start_ms.saturating_add(duration_ms)) as f64 / 1000.0;
    let delivered_raw = after.delivered_raw.saturating_sub(before.delivered_raw);
    let raw_seconds = delivered_until_ms.saturating_sub(start_ms) as f64 / 1000.0;
    let mut report = SimReport {
        transport: transport.to_string(),
        raw_broker: args.raw_broker,
        seed: args.seed,
        devices: members.len() as u64,
        gps_tags: count(DeviceKind::GpsTag),
        home_units: count(DeviceKind::HomeUnit),
        connections: connections as u64,
        seconds,
        drain_seconds,
        recorded: after.recorded.saturating_sub(before.recorded),
        transmitted: after.transmitted.saturating_sub(before.transmitted),
        resent: after.resent.saturating_sub(before.resent),
        acked: after.acked.saturating_sub(before.acked),
        unacked_at_end: outcomes.iter().map(|o| o.unacked).sum(),
        acks_received: after.acks_received.saturating_sub(before.acks_received),
        downlink_rejected: after
            .downlink_rejected
            .saturating_sub(before.downlink_rejected),
        notifications: after.notifications.saturating_sub(before.notifications),
        locate_requests: after.locate_requests.saturating_sub(before.locate_requests),
        dropped_by_devices: outcomes.iter().map(|o| o.dropped).sum(),
        gaps: after.gaps.saturating_sub(before.gaps),
        reconnects: outcomes.iter().map(|o| o.reconnects).sum(),
        recorded_per_s: 0.0,
        acked_per_s: 0.0,
        ack_latency_ms_p50: latency.quantile(0.50),
        ack_latency_ms_p99: latency.quantile(0.99),
        ack_latency_ms_max: latency.max(),
        delivered_raw,
        delivered_raw_per_s: if raw_seconds > 0.0 {
            delivered_raw as f64 / raw_seconds
        } else {
            0.0
        },
        lost: 0,
    };
    report.recorded_per_s = per_second(report.recorded, seconds);
    report.acked_per_s = per_second(report.acked, seconds + drain_seconds);
    report.lost = report.lost();
    Ok(report)
}

fn per_second(n: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        n as f64 / seconds
    } else {
        0.0
    }
}

/// The counters at one moment, so a report covers only its own run even if `stats` is reused.
#[derive(Clone, Copy, Debug)]
struct Snapshot {
    recorded: u64,
    transmitted: u64,
    resent: u64,
    acked: u64,
    acks_received: u64,
    downlink_rejected: u64,
    notifications: u64,
    locate_requests: u64,
    delivered_raw: u64,
    gaps: u64,
}

impl Snapshot {
    fn of(stats: &SimStats) -> Snapshot {
        Snapshot {
            recorded: stats.recorded.load(Relaxed),
            transmitted: stats.transmitted.load(Relaxed),
            resent: stats.resent.load(Relaxed),
            acked: stats.acked.load(Relaxed),
            acks_received: stats.acks_received.load(Relaxed),
            downlink_rejected: stats.downlink_rejected.load(Relaxed),
            notifications: stats.notifications.load(Relaxed),
            locate_requests: stats.locate_requests.load(Relaxed),
            delivered_raw: stats.delivered_raw.load(Relaxed),
            gaps: stats.gaps.load(Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use sha2::{Digest, Sha256};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimulateArgs,
    }

    fn args(seed: u64, devices: u32) -> SimulateArgs {
        SimulateArgs {
            seed,
            devices,
            ..SimulateArgs::default()
        }
    }

    #[test]
    fn default_matches_the_command_line() {
        let parsed = Cli::parse_from(["sim"]).sim;
        assert_eq!(
            format!("{parsed:?}"),
            format!("{:?}", SimulateArgs::default())
        );
    }

    #[test]
    fn the_fleet_is_deterministic_for_a_seed_and_differs_between_seeds() {
        let a = fleet(&args(7, 300)).expect("a fleet");
        assert_eq!(a, fleet(&args(7, 300)).expect("a fleet"));
        let b = fleet(&args(8, 300)).expect("a fleet");
        assert_ne!(a, b);
        let ids: Vec<u64> = a.iter().map(|d| d.id).collect();
        assert_eq!(ids, (100_000..100_300).collect::<Vec<_>>());
        let kinds = |f: &[SimDevice]| f.iter().map(|d| d.kind).collect::<Vec<_>>();
        assert_ne!(kinds(&a), kinds(&b));
        // A smaller fleet of the same seed is a prefix in ids, and mostly in kinds.
        assert_eq!(fleet(&args(7, 0)).expect("a fleet"), vec![]);
    }

    #[test]
    fn about_a_third_are_home_units_each_after_its_tag() {
        let members = members(&args(3, 3_000)).expect("a fleet");
        let units = members
            .iter()
            .filter(|m| m.device.kind == DeviceKind::HomeUnit)
            .count();
        assert!((800..1_200).contains(&units), "{units}");
        for (i, m) in members.iter().enumerate() {
            match m.device.kind {
                DeviceKind::HomeUnit => {
                    let tag = &members[i - 1].device;
                    assert_eq!(tag.kind, DeviceKind::GpsTag);
                    assert_eq!(m.paired_tag, Some(tag.id));
                }
                _ => assert_eq!(m.paired_tag, None),
            }
        }
    }

    #[test]
    fn keys_follow_the_documented_derivation() {
        let devices = fleet(&args(42, 10)).expect("a fleet");
        for d in &devices {
            let mut input = b"sargs-sim".to_vec();
            input.extend_from_slice(&42u64.to_be_bytes());
            input.extend_from_slice(&d.id.to_be_bytes());
            let expected: [u8; 32] = Sha256::digest(&input).into();
            assert_eq!(d.key, Some(expected));
        }
        let keys: std::collections::HashSet<_> = devices.iter().map(|d| d.key).collect();
        assert_eq!(keys.len(), devices.len());
        let unkeyed = SimulateArgs {
            no_keys: true,
            ..args(42, 10)
        };
        assert!(
            fleet(&unkeyed)
                .expect("a fleet")
                .iter()
                .all(|d| d.key.is_none())
        );
    }

    #[test]
    fn ids_near_the_top_are_cut_not_wrapped() {
        let a = SimulateArgs {
            first_id: u64::MAX - 2,
            ..args(1, 10)
        };
        assert_eq!(fleet(&a).expect("a fleet").len(), 3);
        assert!(validate(&a).is_err());
        assert!(
            validate(&SimulateArgs {
                first_id: 0,
                ..args(1, 1)
            })
            .is_err()
        );
        assert!(validate(&args(1, 10)).is_ok());
    }
}
