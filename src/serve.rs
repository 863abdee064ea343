//! `sargs serve`: storage, broker, transports, pipeline and HTTP, started in an order that
//! fails fast. Each listener and path is claimed before anything starts taking frames, so a
//! taken port or a missing serial line stops start-up with a clear message, never a
//! half-started service.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use alerts::outbox::Sink;
use alerts::wearer::WearerSink;
use alerts::{Alerts, AlertsOptions, JudgeFollower};
use anyhow::Context;
use ingest::metrics::Metrics;
use ingest::mqtt::BrokerAddress;
use ingest::store::Telemetry;
use ingest::{Ingest, IngestConfig};
use judge::{Judge, JudgeOptions};
use store::{Store, StoreLocation, redact_url};
use tokio::task::JoinHandle;

use crate::config::{MqttMode, ServeConfig};
use crate::http;

/// A running service.
pub struct Running {
    pub store: Store,
    /// Ingest's tables in the store: devices and observations.
    pub telemetry: Telemetry,
    pub metrics: Arc<Metrics>,
    pub mqtt: BrokerAddress,
    pub http: SocketAddr,
    /// Live judgement of what ingest commits; readers ask it for episodes.
    pub judge: Judge,
    /// Alerts raised from the judge's episodes, notified and escalated.
    pub alerts: Arc<Alerts>,
    ingest: Ingest,
    http_task: JoinHandle<()>,
    refusals_task: JoinHandle<()>,
}

pub fn describe(location: &StoreLocation) -> String {
    match location {
        StoreLocation::DataDir(dir) => format!("sqlite in {}", dir.display()),
        StoreLocation::Url(url) => redact_url(url),
    }
}

pub async fn start(config: ServeConfig) -> anyhow::Result<Running> {
    // First: a key that cannot be read stops the start before anything is taken in.
    let signing = Arc::new(
        config
            .signing
            .load(&crate::config::FileConfig::default(), &config.storage)
            .context("the key that signs compliance summaries")?,
    );
    let store = Store::open(&config.storage)
        .await
        .with_context(|| format!("opening storage ({})", describe(&config.storage)))?;
    let telemetry = Telemetry::open(store.clone())
        .await
        .context("bringing the telemetry tables up to date")?;
    let listener = tokio::net::TcpListener::bind(config.http)
        .await
        .with_context(|| {
            format!(
                "cannot listen for HTTP on {} (choose another address with --http)",
                config.http
            )
        })?;
    let http_addr = listener.local_addr()?;
    let cases = cases::Cases::open(store.clone())
        .await
        .context("bringing the case records up to date")?;
    report::issued::migrate(&store)
        .await
        .context("bringing the register of issued summaries up to date")?;
    let (mqtt, connect_patience) = match &config.mqtt {
        MqttMode::Embedded(listen) => {
            let addr = ingest::broker::start(*listen)?;
            let address = BrokerAddress {
                host: addr.ip().to_string(),
                port: addr.port(),
            };
            (address, Duration::from_secs(10))
        }
        MqttMode::External(address) => (address.clone(), Duration::ZERO),
    };
    // Resumed from the store before the first frame is taken.
    // The alerts take the judge's episode changes in its steps' transactions once started.
    let follower = Arc::new(JudgeFollower::default());
    let judge = Judge::start(
        store.clone(),
        JudgeOptions {
            follower: Some(follower.clone()),
            // Wakes on every change the API makes through these case records.
            cases: Some(cases.clone()),
            // Migrated once, above.
            telemetry: Some(telemetry.clone()),
            // One clock for the whole service: the store's.
            clock: store.clock(),
            ..JudgeOptions::default()
        },
    )
    .await
    .context("starting live judgement")?;
    let metrics = Arc::new(Metrics::default());
    let ingest = Ingest::start(
        telemetry.clone(),
        IngestConfig {
            broker: mqtt.clone(),
            client_id: format!("sargs-ingest-{}", std::process::id()),
            serial: config.serial.clone(),
            writer: config.writer.clone(),
            channel_capacity: 16_384,
            connect_patience,
            teltonika: config.teltonika.clone(),
            osmand: config.osmand.clone(),
            traccar: config.traccar.clone(),
        },
        metrics.clone(),
    )
    .await?;
    let mut sinks: BTreeMap<&'static str, Arc<dyn Sink>> = BTreeMap::new();
    for channel in config
        .alerts
        .channels
        .build()
        .context("configuring the alert channels ([alerts.channels])")?
    {
        sinks.insert(channel.name(), Arc::new(channel));
    }
    sinks.insert(
        alerts::notify::WEARER,
        Arc::new(WearerSink(ingest.downlink())),
    );
    let alerts = Arc::new(
        Alerts::start(
            store.clone(),
            cases.clone(),
            AlertsOptions {
                config: config.alerts.clone(),
                sinks,
                judge_steps: Some(judge.watch_steps()),
                follower: Some(follower),
                clock: store.clock(),
                ..AlertsOptions::default()
            },
        )
        .await
        .context("starting the alerts")?,
    );
    let refusals_task = tokio::spawn(write_refused_sign_ins(cases.clone()));
    let app = http::router(
        metrics.clone(),
        api::ApiState {
            cases,
            store: store.clone(),
            telemetry: telemetry.clone(),
            alerts: Some(alerts.clone()),
            downlink: Some(ingest.downlink()),
            secure_cookies: config.secure_cookies,
            sign_in: Default::default(),
            signing,
        },
        config.map_tiles.clone(),
    );
    let http_task = tokio::spawn(async move {
        // The peer's address goes into the audit log as where a request came from.
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "HTTP server stopped");
        }
    });
    Ok(Running {
        store,
        telemetry,
        metrics,
        mqtt,
        http: http_addr,
        judge,
        alerts,
        ingest,
        http_task,
        refusals_task,
    })
}

/// Refused sign-ins reach the audit log a minute at a time (cases::Cases::login); this writes
/// each minute soon after it ends even when no further sign-in comes to do it.
async fn write_refused_sign_ins(cases: cases::Cases) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        if let Err(error) = cases.flush_ended_sign_in_refusals().await {
            tracing::warn!(%error, "writing refused sign-ins to the audit log");
        }
    }
}

impl Running {
    /// Stop taking frames; what was taken is committed and judged before this returns.
    pub async fn shutdown(self) {
        self.ingest.shutdown().await;
        self.judge.shutdown().await;
        // The last episodes judged are taken before the alerts stop.
        if let Err(error) = self.alerts.catch_up().await {
            tracing::warn!(%error, "taking the last episodes into alerts");
        }
        self.http_task.abort();
        self.refusals_task.abort();
        if let Ok(alerts) = Arc::try_unwrap(self.alerts) {
            alerts.shutdown().await;
        }
        self.store.close().await;
    }
}

/// Ctrl-C or SIGTERM. Installed before the service says it is ready, so that a stop request
/// that comes right after the ready line is a clean stop, not the default kill.
pub struct StopSignal {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignal {
    pub fn install() -> anyhow::Result<StopSignal> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(StopSignal {
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
        })
    }

    pub async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

pub async fn run(config: ServeConfig) -> anyhow::Result<()> {
    let storage = describe(&config.storage);
    let serial: Vec<String> = config
        .serial
        .iter()
        .map(|s| s.path.display().to_string())
        .collect();
    let mut stop = StopSignal::install()?;
    // A stop asked for while starting (a database slow to answer) is a stop too.
    let running = tokio::select! {
        running = start(config) => running?,
        () = stop.wait() => {
            tracing::info!("stopped while starting");
            return Ok(());
        }
    };
    // One line on stdout that scripts and tests read to learn the ports.
    let listening = running.ingest.listening();
    let adapters: String = [
        ("teltonika", listening.teltonika),
        ("osmand", listening.osmand),
        ("traccar", listening.traccar),
    ]
    .into_iter()
    .filter_map(|(name, addr)| Some(format!(" {name}={}", addr?)))
    .collect();
    println!(
        "sargs ready: mqtt={} http=http://{} storage={} serial=[{}]{adapters}",
        running.mqtt,
        running.http,
        storage,
        serial.join(",")
    );
    tracing::info!(mqtt = %running.mqtt, http = %running.http, %storage, "sargs serving");
    stop.wait().await;
    tracing::info!("stopping: committing frames in flight");
    if tokio::time::timeout(STOP_LIMIT, running.shutdown())
        .await
        .is_err()
    {
        tracing::error!(
            limit_s = STOP_LIMIT.as_secs(),
            "stopping took too long (the storage does not answer): exiting now; everything \
             acknowledged is stored, and devices send again what was not"
        );
    }
    Ok(())
}

/// How long a stop may take, in every state (a failing storage included): an operator's
/// SIGTERM, or a supervisor's, must end the process within 10 s.
const STOP_LIMIT: Duration = Duration::from_secs(8);
