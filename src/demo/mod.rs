//! `sargs demo`: the service and a simulated fleet in one process, for a first look.
//!
//! It uses the usual ports when they are free and free ones when not (another broker on 1883 is
//! common), keeps its data in a fresh directory unless told otherwise, seeds a unit, its people
//! and three probation clients with orders and tags (`seed`), plays last night for those tags
//! (one curfew breach, one exclusion-zone entry) beside a random fleet, and prints what flows.

mod seed;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use clap::Parser;
use ingest::writer::WriterOptions;
use store::StoreLocation;

use crate::config::{DEFAULT_HTTP, DEFAULT_MQTT_LISTEN, MqttMode, ServeConfig};
use sim::{SimStats, SimulateArgs};

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
    /// Raster map tiles under the console's map, as a URL template with {z}, {x} and {y}
    /// (as `sargs serve --map-tiles`) [default: none; the map draws a coordinate grid]
    #[arg(long, value_name = "URL", env = "SARGS_MAP_TILES", value_parser = tile_template)]
    map_tiles: Option<crate::console::TileTemplate>,
}

fn tile_template(text: &str) -> anyhow::Result<crate::console::TileTemplate> {
    text.parse()
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
    let map_tiles = args.map_tiles;
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
        teltonika: None,
        osmand: None,
        traccar: None,
        http: free_or_any(DEFAULT_HTTP),
        writer: WriterOptions::default(),
        secure_cookies: false,
        alerts: alerts::AlertsConfig::default(),
        map_tiles,
        // The demo's own key, made in its data directory.
        signing: Default::default(),
    })
    .await?;
    let script = data_dir.join("last-night.toml");
    let night = seed::last_night();
    std::fs::write(&script, seed::script(night))?;
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
        format!("--script={}", script.display()),
    ])?
    .args;
    let fleet = sim::fleet(&sim)?;
    let registered = crate::devices::register_fleet(&running.telemetry, &fleet, &sim).await?;
    // The fleet first, with its keys: the seeded clients' tags are in it, and adding them to
    // the inventory keeps their registration.
    let cases = cases::Cases::open(running.store.clone()).await?;
    let seeded = seed::seed(&cases, night).await?;
    wait_in_force(&cases, &running, &seeded.orders).await?;
    println!("sargs demo");
    println!("  data:      {}", data_dir.display());
    println!("  mqtt:      {}", running.mqtt);
    println!("  console:   http://{}/", running.http);
    println!("  metrics:   http://{}/metrics", running.http);
    println!("  API docs:  http://{}/api/v1/docs/", running.http);
    println!(
        "  sign in:   admin, operator, ilze.ozola, peteris.kalns, anna.liepa (supervisor), technician or tiesa.riga (court); password \"{}\"",
        seed::PASSWORD
    );
    for (id, who) in &seeded.clients {
        println!(
            "  client {id}:  {who}; GET /api/v1/clients/{id}/episodes?from={}&to={}",
            (night - chrono::TimeDelta::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
            (night + chrono::TimeDelta::hours(5)).format("%Y-%m-%dT%H:%M:%SZ"),
        );
    }
    println!(
        "  devices:   {registered} simulated (GPS tags and home units around Riga), with coverage gaps;\n             the three clients' tags replay last night: one stays out past the curfew, one\n             walks into their exclusion zone"
    );
    println!(
        "  alerts:    GET /api/v1/alerts (as operator or ilze.ozola); live: GET /api/v1/alerts/feed"
    );
    println!(
        "  try:       sargs devices list --data-dir {}",
        data_dir.display()
    );
    println!("Ctrl-C to stop.\n");

    let stats = Arc::new(SimStats::default());
    let mut simulation = tokio::spawn({
        let stats = stats.clone();
        async move { sim::run(&sim, stats).await }
    });
    let mut ticker = tokio::time::interval(Duration::from_secs(2));
    let mut last_stored = 0;
    let outcome = loop {
        tokio::select! {
            _ = ticker.tick() => {
                let m = &running.metrics;
                let stored = m.stored.load(Relaxed);
                let breaches = breaches(&running.store, &seeded.clients).await;
                let open = alerts::records::list(
                    &running.store,
                    &alerts::records::AlertFilter {
                        state: Some(alerts::lifecycle::AlertState::Open),
                        ..Default::default()
                    },
                    None,
                    1000,
                )
                .await
                .map_or(0, |a| a.len());
                println!(
                    "frames sent {:>8}  stored {:>8} (+{:>5})  duplicates {:>6}  acks {:>8}  waiting for ACK {:>6}  breach episodes {breaches:>3}  open alerts {open:>3}",
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
                break Ok(sim::SimReport::default());
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

/// Waits until the live judge judges every seeded order by its current revision, so that the
/// scripted night is judged under it.
async fn wait_in_force(
    cases: &cases::Cases,
    running: &crate::serve::Running,
    orders: &[i64],
) -> anyhow::Result<()> {
    for &order in orders {
        running.judge.policy_changed(order);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let monitors = judge::records::monitors(&running.store).await?;
        let mut in_force = true;
        for &order in orders {
            let revision = cases.order(order).await?.policy_revision;
            in_force &= monitors
                .iter()
                .any(|m| m.order_id == order && m.policy_revision == revision);
        }
        if in_force {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("the live judge did not take up the demo's orders");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Breach episodes of the seeded clients (not withdrawn), for the status line.
async fn breaches(store: &store::Store, clients: &[(i64, String)]) -> usize {
    let mut count = 0;
    for (id, _) in clients {
        if let Ok(episodes) = judge::records::episodes(store, *id, i64::MIN, i64::MAX).await {
            count += episodes
                .iter()
                .filter(|e| e.state != judge::EpisodeState::Withdrawn)
                .count();
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Parser)]
    struct Demo {
        #[command(flatten)]
        args: DemoArgs,
    }

    /// `sargs demo --map-tiles` takes what `sargs serve --map-tiles` takes, and refuses the rest
    /// before starting anything.
    #[test]
    fn the_demo_takes_map_tiles_as_serve_does() {
        let url = "https://tiles.example/{z}/{x}/{y}.png";
        let ok = Demo::try_parse_from(["demo", &format!("--map-tiles={url}")]).unwrap();
        assert_eq!(ok.args.map_tiles, Some(url.parse().unwrap()));
        for bad in [
            "tiles.example/{z}/{x}/{y}.png",
            "https://tiles.example/{z}/{x}.png",
            "",
            "https://tiles.example;script-src *//{z}/{x}/{y}",
        ] {
            assert!(
                Demo::try_parse_from(["demo", &format!("--map-tiles={bad}")]).is_err(),
                "{bad}"
            );
        }
    }
}
