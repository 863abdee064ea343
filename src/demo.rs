//! `sargs demo`: the service and a simulated fleet in one process, for a first look.
//!
//! It uses the usual ports when they are free and free ones when not (another broker on 1883 is
//! common), keeps its data in a fresh directory unless told otherwise, and prints what flows.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use clap::Parser;
use ingest::store::StoreLocation;
use ingest::writer::WriterOptions;

use crate::config::{DEFAULT_HTTP, DEFAULT_MQTT_LISTEN, MqttMode, ServeConfig};
use crate::simulate::{SimStats, SimulateArgs};

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Simulated devices
    #[arg(long, default_value_t = 30)]
    devices: u32,
    /// Seconds to run (0: until Ctrl-C)
    #[arg(long, default_value_t = 0)]
    duration: u64,
    /// Milliseconds between location fixes of each device (real tags: 15 000 to 60 000)
    #[arg(long, default_value_t = 2000)]
    location_interval_ms: u64,
    /// Keep the demo's data here [default: a new directory under the system temp dir]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

/// The preferred address if it is free, else the same host with a port the system picks.
fn free_or_any(preferred: &str) -> SocketAddr {
    let addr: SocketAddr = preferred
        .parse()
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
    if TcpListener::bind(addr).is_ok() {
        addr
    } else {
        SocketAddr::new(addr.ip(), 0)
    }
}

#[derive(Parser)]
struct SimulateOnly {
    #[command(flatten)]
    args: SimulateArgs,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "sargs-demo-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        ))
    });
    let mut stop = crate::serve::StopSignal::install()?;
    let running = crate::serve::start(ServeConfig {
        storage: StoreLocation::DataDir(data_dir.clone()),
        mqtt: MqttMode::Embedded(free_or_any(DEFAULT_MQTT_LISTEN)),
        serial: Vec::new(),
        http: free_or_any(DEFAULT_HTTP),
        writer: WriterOptions::default(),
    })
    .await?;
    // Long enough to mean "until Ctrl-C".
    let duration = if args.duration == 0 {
        10 * 365 * 86_400
    } else {
        args.duration
    };
    let sim = SimulateOnly::try_parse_from([
        "simulate".to_string(),
        format!("--devices={}", args.devices),
        format!("--duration={duration}"),
        format!("--location-interval-ms={}", args.location_interval_ms),
        format!("--mqtt-url={}", running.mqtt),
        "--gap-rate=6".to_string(),
    ])?
    .args;
    let fleet = crate::simulate::fleet(&sim)?;
    let registered = crate::devices::register_fleet(&running.store, &fleet).await?;
    println!("sargs demo");
    println!("  data:      {}", data_dir.display());
    println!("  mqtt:      {}", running.mqtt);
    println!("  metrics:   http://{}/metrics", running.http);
    println!(
        "  devices:   {registered} simulated (GPS tags and home units around Riga), with coverage gaps"
    );
    println!(
        "  try:       sargs devices list --data-dir {}",
        data_dir.display()
    );
    println!("Ctrl-C to stop.\n");

    let stats = Arc::new(SimStats::default());
    let mut simulation = tokio::spawn({
        let stats = stats.clone();
        async move { crate::simulate::run(&sim, stats).await }
    });
    let mut ticker = tokio::time::interval(Duration::from_secs(2));
    let mut last_stored = 0;
    let outcome = loop {
        tokio::select! {
            _ = ticker.tick() => {
                let m = &running.metrics;
                let stored = m.stored.load(Relaxed);
                println!(
                    "frames sent {:>8}  stored {:>8} (+{:>5})  duplicates {:>6}  acks {:>8}  frames waiting for ACK {:>6}",
                    stats.transmitted.load(Relaxed),
                    stored,
                    stored - last_stored,
                    m.duplicate.load(Relaxed),
                    m.acks_sent.load(Relaxed),
                    stats.recorded.load(Relaxed).saturating_sub(stats.acked.load(Relaxed)),
                );
                last_stored = stored;
            }
            result = &mut simulation => break result.map_err(anyhow::Error::from).and_then(|r| r),
            _ = stop.wait() => {
                simulation.abort();
                break Ok(crate::simulate::SimReport::default());
            }
        }
    };
    running.shutdown().await;
    let report = outcome?;
    if report.recorded > 0 {
        report.print();
    }
    println!("data kept in {}", data_dir.display());
    Ok(())
}
