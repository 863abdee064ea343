//! Teltonika trackers over TCP: the connection around `foreign_proto::teltonika`.
//!
//! A tracker logs in with its IMEI and is answered 0x01 only if a device is registered with
//! that identity (`teltonika:<IMEI>`), 0x00 otherwise (and it is listed among the unknown
//! devices). Each AVL packet then goes to the writer as one batch; the tracker is told how many
//! records were taken only once they are committed. Input that is not Teltonika's closes the
//! connection unanswered, counted by reason: the tracker keeps its records and sends them again.
//!
//! Time limits keep a connection from holding resources it does not use: the login must arrive
//! within `login_timeout`, a packet once begun within `packet_timeout`, and a connection with
//! nothing to say for `idle_timeout` is closed. At most `max_connections` are open, and at most
//! `max_logins_waiting` of them may be waiting for a login, so a flood of connections that never
//! log in cannot keep trackers out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use foreign_proto::teltonika::{
    TeltonikaError, decode_login, decode_packet, io, login_answer, records_answer,
};
use foreign_proto::{ForeignError, ForeignReport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout, timeout_at};

use crate::adapter::{Adapter, Intake};
use crate::check::Checked;
use crate::metrics::Metrics;
use crate::store::Telemetry;

const ADAPTER: Adapter = Adapter::Teltonika;

/// Every reason a Teltonika connection is refused or closed unanswered, as counted in
/// `sargs_adapter_rejected_total{adapter="teltonika"}`: the wire format's own, then the
/// connection's.
pub fn reasons() -> impl Iterator<Item = &'static str> {
    TeltonikaError::LABELS.into_iter().chain(CONNECTION_REASONS)
}

const CONNECTION_REASONS: [&str; 7] = [
    "unknown_imei",
    "login_timeout",
    "packet_timeout",
    "too_many_connections",
    "logins_waiting",
    "position_out_of_range",
    "not_stored_in_time",
];

/// How the Teltonika listener runs.
#[derive(Clone, Debug)]
pub struct TeltonikaOptions {
    /// Where it listens.
    pub listen: SocketAddr,
    /// Most connections open at once (each takes a file descriptor).
    pub max_connections: usize,
    /// Most connections that have not logged in yet.
    pub max_logins_waiting: usize,
    /// How long a new connection has to log in.
    pub login_timeout: Duration,
    /// How long a packet may take to arrive once its first byte has.
    pub packet_timeout: Duration,
    /// How long a connection may say nothing before it is closed.
    pub idle_timeout: Duration,
    /// How long a packet may wait for its commit before the connection is closed unanswered.
    pub answer_timeout: Duration,
}

impl TeltonikaOptions {
    /// The defaults, listening on `listen`.
    pub fn new(listen: SocketAddr) -> TeltonikaOptions {
        TeltonikaOptions {
            listen,
            max_connections: 10_000,
            max_logins_waiting: 512,
            login_timeout: Duration::from_secs(10),
            packet_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(15 * 60),
            answer_timeout: Duration::from_secs(30),
        }
    }
}

/// The listening socket, bound: a port that cannot be had fails at start, not later.
pub struct TeltonikaListener {
    listener: TcpListener,
    options: TeltonikaOptions,
}

/// What every connection shares.
struct Shared {
    options: TeltonikaOptions,
    intake: Intake,
    logins: Arc<Semaphore>,
}

impl TeltonikaListener {
    /// Binds the listening socket.
    pub async fn bind(options: TeltonikaOptions) -> std::io::Result<TeltonikaListener> {
        let listener = TcpListener::bind(options.listen).await?;
        Ok(TeltonikaListener { listener, options })
    }

    /// Where it listens (the port the system gave, for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Takes connections until dropped or aborted (which closes them all), passing each
    /// packet's records to the writer through `intake`.
    pub async fn run(self, intake: mpsc::Sender<Checked>, store: Telemetry, metrics: Arc<Metrics>) {
        let shared = Arc::new(Shared {
            logins: Arc::new(Semaphore::new(self.options.max_logins_waiting.max(1))),
            options: self.options,
            intake: Intake::new(ADAPTER, intake, store, metrics),
        });
        let connections = Arc::new(Semaphore::new(shared.options.max_connections.max(1)));
        let mut tasks = JoinSet::new();
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely: wait rather than spin.
                    tracing::warn!(%error, "cannot accept a Teltonika connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = connections.clone().try_acquire_owned() else {
                shared.intake.reject("too_many_connections");
                continue;
            };
            let shared = shared.clone();
            tasks.spawn(async move {
                shared.intake.connection(true);
                serve(stream, peer, &shared).await;
                shared.intake.connection(false);
                drop(permit);
            });
        }
    }
}

/// Why a connection ends.
enum End {
    /// Refused for a counted reason.
    Refused(&'static str),
    /// Closed by the tracker, idle too long, or the service stopping: nothing to count.
    Closed,
}

impl From<TeltonikaError> for End {
    fn from(error: TeltonikaError) -> End {
        End::Refused(error.label())
    }
}

async fn serve(mut stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let mut buf = BytesMut::with_capacity(1024);
    let end = match converse(&mut stream, &mut buf, shared).await {
        Ok(()) => End::Closed,
        Err(end) => end,
    };
    if let End::Refused(reason) = end {
        shared.intake.reject(reason);
        tracing::debug!(%peer, reason, "Teltonika connection refused");
    }
}

/// The whole life of one connection: login, then packets until it ends.
async fn converse(stream: &mut TcpStream, buf: &mut BytesMut, shared: &Shared) -> Result<(), End> {
    let options = &shared.options;
    let waiting = shared
        .logins
        .clone()
        .try_acquire_owned()
        .map_err(|_| End::Refused("logins_waiting"))?;
    let imei = timeout(options.login_timeout, read_login(stream, buf))
        .await
        .map_err(|_| End::Refused("login_timeout"))??;
    drop(waiting);
    let device = shared.intake.device(&imei).await.map_err(|error| {
        tracing::error!(%error, imei, "cannot look a Teltonika tracker up; not answered");
        End::Closed
    })?;
    let Some(device_id) = device.map(|device| device.device_id) else {
        let _ = stream.write_all(&login_answer(false)).await;
        // Listed for technicians under its IMEI (15 digits: a u64).
        shared.intake.unknown(&imei).await;
        tracing::info!(imei, "Teltonika tracker not registered: refused");
        return Err(End::Refused("unknown_imei"));
    };
    write(stream, &login_answer(true)).await?;
    tracing::debug!(device_id, imei, "Teltonika tracker logged in");
    loop {
        let records = next_packet(stream, buf, options).await?;
        let reports: Vec<ForeignReport> = records
            .iter()
            .map(|record| checked_report(io::report(record), shared, device_id))
            .collect();
        // Not committed in time (the storage refuses writes; counted), or the service is
        // stopping: unanswered, the tracker sends the records again.
        let taken = shared
            .intake
            .commit(device_id, reports, options.answer_timeout)
            .await
            .map_err(|_| End::Closed)?;
        write(stream, &records_answer(taken)).await?;
    }
}

/// A position no map has is no position; the rest of the report still counts.
fn checked_report(mut report: ForeignReport, shared: &Shared, device_id: u64) -> ForeignReport {
    if let Err(ForeignError::Position) = foreign_proto::transcribe(&report) {
        shared.intake.reject("position_out_of_range");
        tracing::warn!(device_id, "a Teltonika record with a position out of range");
        report.fix = None;
    }
    report
}

async fn write(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), End> {
    stream.write_all(bytes).await.map_err(|_| End::Closed)
}

/// Reads more into `buf`; the tracker closing (or failing) ends the connection.
async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<(), End> {
    match stream.read_buf(buf).await {
        Ok(0) | Err(_) => Err(End::Closed),
        Ok(_) => Ok(()),
    }
}

async fn read_login(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<String, End> {
    loop {
        if let Some((imei, used)) = decode_login(buf)? {
            buf.advance(used);
            return Ok(imei);
        }
        read_more(stream, buf).await?;
    }
}

/// The next AVL packet's records. Between packets a tracker may send 0xFF to keep the
/// connection open; that is skipped.
async fn next_packet(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    options: &TeltonikaOptions,
) -> Result<Vec<foreign_proto::teltonika::AvlRecord>, End> {
    loop {
        while buf.first() == Some(&0xFF) {
            buf.advance(1);
        }
        if !buf.is_empty() {
            break;
        }
        // Idle: a quiet tracker is closed after a while, and opens a new connection.
        timeout(options.idle_timeout, read_more(stream, buf))
            .await
            .map_err(|_| End::Closed)??;
    }
    let deadline = Instant::now() + options.packet_timeout;
    loop {
        if let Some((packet, used)) = decode_packet(buf)? {
            buf.advance(used);
            return Ok(packet.records);
        }
        timeout_at(deadline, read_more(stream, buf))
            .await
            .map_err(|_| End::Refused("packet_timeout"))??;
    }
}
