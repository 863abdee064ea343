//! The `sargs` command line: the service, the simulator, and the tools around them.

mod admin;
mod config;
mod console;
mod decode;
mod demo;
mod devices;
mod export;
mod http;
mod report;
mod serve;
mod signing;
mod traccar;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use store::Store;

use crate::config::{FileConfig, ServeArgs, StorageArgs};

#[derive(Parser, Debug)]
#[command(
    name = "sargs",
    version,
    about = "Electronic-monitoring telemetry and compliance engine"
)]
struct Cli {
    /// Configuration file (TOML; keys named as the flags, e.g. data-dir = "/var/lib/sargs")
    #[arg(long, global = true, env = "SARGS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log filter, e.g. info or sargs=debug,ingest=debug
    #[arg(long, global = true, env = "SARGS_LOG", value_name = "FILTER")]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the service: MQTT and serial ingest, storage, HTTP
    Serve(ServeArgs),
    /// Drive a fleet of simulated devices against a running service
    Simulate {
        #[command(flatten)]
        args: sim::SimulateArgs,
        /// Register the simulated fleet in storage first (devices already registered are kept)
        #[arg(long)]
        register: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Start the service with a simulated fleet and show frames flowing
    Demo(demo::DemoArgs),
    /// Fill a period from a Traccar server's REST API, for positions its forwarding missed
    /// (docs/ingest.md): each position is posted to sargs' Traccar forwarding endpoint
    TraccarBackfill(traccar::BackfillArgs),
    /// Run only the embedded MQTT broker (no ingest): for measuring the broker's own ceiling
    Broker {
        /// Address to listen on
        #[arg(long, default_value = config::DEFAULT_MQTT_LISTEN)]
        listen: std::net::SocketAddr,
    },
    /// Decode one frame given in hex and print it as JSON
    Decode {
        /// The frame's bytes in hex
        hex: String,
        /// Verify the MAC with this device key (64 hex digits)
        #[arg(long, value_name = "HEX")]
        key: Option<String>,
    },
    /// Export the stored history of a device in device-time order
    Export {
        #[arg(long)]
        device: u64,
        /// From this time (RFC 3339 or ms since the epoch), inclusive
        #[arg(long)]
        from: Option<String>,
        /// Until this time, exclusive
        #[arg(long)]
        to: Option<String>,
        #[arg(long, value_enum)]
        format: export::Format,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Register and list devices
    Devices {
        #[command(subcommand)]
        command: devices::DevicesCommand,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Make users (the first administrator, say)
    Users {
        #[command(subcommand)]
        command: admin::UsersCommand,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// The court compliance summary of an order over a period (PDF or JSON), and its check
    Report {
        #[command(flatten)]
        args: report::ReportArgs,
        #[command(flatten)]
        storage: StorageArgs,
        #[command(flatten)]
        signing: signing::SigningArgs,
    },
    /// Check the audit log
    Audit {
        #[command(subcommand)]
        command: admin::AuditCommand,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

fn init_logging(filter: Option<&str>) {
    // rumqttd logs every client that drops its connection as an ERROR; that is a device's
    // ordinary life here, so the broker's own log is off unless asked for (--log rumqttd=warn).
    let filter = filter
        .map(str::to_string)
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info,rumqttd=off,rumqttc=warn,sqlx=warn".to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not in files and journals.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

async fn open_store(storage: &StorageArgs, file: &FileConfig) -> anyhow::Result<Store> {
    let location = storage.location(file)?;
    Store::open(&location)
        .await
        .with_context(|| format!("opening storage ({})", serve::describe(&location)))
}

async fn open_telemetry(
    storage: &StorageArgs,
    file: &FileConfig,
) -> anyhow::Result<ingest::store::Telemetry> {
    ingest::store::Telemetry::open(open_store(storage, file).await?)
        .await
        .context("bringing the telemetry tables up to date")
}

async fn open_cases(storage: &StorageArgs, file: &FileConfig) -> anyhow::Result<cases::Cases> {
    let store = open_store(storage, file).await?;
    cases::Cases::open(store)
        .await
        .context("bringing the case records up to date")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let file = match &cli.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    init_logging(cli.log.as_deref().or(file.log.as_deref()));
    match cli.command {
        Command::Serve(args) => serve::run(args.resolve(&file)?).await,
        Command::Simulate {
            args,
            register,
            storage,
        } => {
            if register {
                let telemetry = open_telemetry(&storage, &file).await?;
                let added = devices::register_fleet(&telemetry, &sim::fleet(&args)?, &args).await?;
                eprintln!("registered {added} simulated devices");
                telemetry.store().close().await;
            }
            let stats = std::sync::Arc::new(sim::SimStats::default());
            let report = sim::run(&args, stats).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                report.print();
            }
            if report.lost() > 0 {
                anyhow::bail!("{} frames were lost", report.lost());
            }
            Ok(())
        }
        Command::Demo(args) => demo::run(args).await,
        Command::Broker { listen } => {
            let mut stop = serve::StopSignal::install()?;
            let addr = ingest::broker::start(listen)?;
            println!("sargs broker ready: mqtt=mqtt://{addr}");
            stop.wait().await;
            Ok(())
        }
        Command::Decode { hex, key } => {
            let json = decode::decode(&hex, key.as_deref())?;
            println!("{}", serde_json::to_string_pretty(&json)?);
            Ok(())
        }
        Command::Export {
            device,
            from,
            to,
            format,
            storage,
        } => {
            let from_ms = from
                .as_deref()
                .map(export::parse_time)
                .transpose()?
                .unwrap_or(i64::MIN);
            let to_ms = to
                .as_deref()
                .map(export::parse_time)
                .transpose()?
                .unwrap_or(i64::MAX);
            let telemetry = open_telemetry(&storage, &file).await?;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let rows = export::export(&telemetry, device, from_ms, to_ms, format, &mut out).await?;
            tracing::debug!(rows, device_id = device, "exported");
            Ok(())
        }
        Command::TraccarBackfill(args) => {
            let filled = traccar::backfill(&args).await?;
            println!("{}", serde_json::to_string_pretty(&filled)?);
            Ok(())
        }
        Command::Devices { command, storage } => {
            let telemetry = open_telemetry(&storage, &file).await?;
            devices::run(&telemetry, command).await
        }
        Command::Users { command, storage } => {
            let cases = open_cases(&storage, &file).await?;
            admin::users(&cases, command).await
        }
        Command::Audit { command, storage } => {
            let cases = open_cases(&storage, &file).await?;
            admin::audit(&cases, command).await
        }
        Command::Report {
            args,
            storage,
            signing,
        } => {
            let location = storage.location(&file)?;
            let needs = report::Needs {
                storage: &location,
                file: &file,
                signing: &signing,
            };
            if !report::needs_store(&args) {
                return report::run(None, needs, args).await;
            }
            let telemetry = open_telemetry(&storage, &file).await?;
            let store = telemetry.store();
            let cases = cases::Cases::open(store.clone())
                .await
                .context("bringing the case records up to date")?;
            // A store `serve` never ran on has no episodes or alerts yet: none to report.
            judge::migrate(store).await?;
            alerts::migrate(store).await?;
            ::report::issued::migrate(store).await?;
            report::run(Some((&cases, &telemetry)), needs, args).await
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sargs: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // A task still blocked (on a database that does not answer) must not hold the exit: what
    // was acknowledged is stored, and what was not, its device sends again.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sargs: {error:#}");
            ExitCode::FAILURE
        }
    }
}
