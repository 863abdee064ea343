//! Phones (Traccar Client) and trackers over OsmAnd HTTP: the HTTP server around
//! `foreign_proto::osmand`, on a port of its own as Traccar's 5055 is.
//!
//! A position is answered 200 only once it is committed; the phone keeps what was not answered
//! and sends it again. OsmAnd has no authentication of its own, and a position from a phone
//! that anyone could have sent is evidence of nothing: each device is registered with its id
//! (`osmand:<id>`) and a shared secret, the token the phone sends in its URL (`?token=...`) or
//! as `Authorization: Bearer ...`. Refusals are counted by reason and answered with a status
//! and a line saying why: 400 for what is not OsmAnd, 401 for a missing or wrong token or an
//! unknown id, 413 for a body too large, 503 while the storage refuses writes.
//!
//! Time limits keep a connection from holding resources: its request headers must arrive
//! within `header_timeout`, and the whole request, body and commit within `request_timeout`.
//! At most `max_connections` are open at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use foreign_proto::osmand::{self, OsmAndPosition, OsmAndRequest};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use store::{Clock, StoreError};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::adapter::{Adapter, ForeignBatch, IdentityCache, token_hash};
use crate::check::Checked;
use crate::metrics::Metrics;
use crate::store::{IdentifiedDevice, Telemetry};

const ADAPTER: Adapter = Adapter::OsmAnd;

/// Every reason an OsmAnd request is refused, as counted in
/// `sargs_adapter_rejected_total{adapter="osmand"}`: the request's own, then the service's.
pub const REASONS: [&str; 8] = [
    "not_osmand",
    "body_too_large",
    "unknown_device",
    "token_missing",
    "token_wrong",
    "request_timeout",
    "not_stored_in_time",
    "too_many_connections",
];

/// How the OsmAnd listener runs.
#[derive(Clone, Debug)]
pub struct OsmAndOptions {
    /// Where it listens.
    pub listen: SocketAddr,
    /// Most connections open at once.
    pub max_connections: usize,
    /// How long a request's headers may take to arrive.
    pub header_timeout: Duration,
    /// How long a whole request may take, its body, check and commit included.
    pub request_timeout: Duration,
}

impl OsmAndOptions {
    /// The defaults, listening on `listen`.
    pub fn new(listen: SocketAddr) -> OsmAndOptions {
        OsmAndOptions {
            listen,
            max_connections: 4_096,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The listening socket, bound: a port that cannot be had fails at start, not later.
pub struct OsmAndListener {
    listener: TcpListener,
    options: OsmAndOptions,
}

struct Shared {
    options: OsmAndOptions,
    intake: mpsc::Sender<Checked>,
    store: Telemetry,
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    registry: IdentityCache,
}

impl OsmAndListener {
    /// Binds the listening socket.
    pub async fn bind(options: OsmAndOptions) -> std::io::Result<OsmAndListener> {
        let listener = TcpListener::bind(options.listen).await?;
        Ok(OsmAndListener { listener, options })
    }

    /// Where it listens (the port the system gave, for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves requests until dropped or aborted (which closes every connection), passing each
    /// position to the writer through `intake`.
    pub async fn run(self, intake: mpsc::Sender<Checked>, store: Telemetry, metrics: Arc<Metrics>) {
        let clock = store.store().clock();
        let connections = Arc::new(Semaphore::new(self.options.max_connections.max(1)));
        let shared = Arc::new(Shared {
            options: self.options,
            intake,
            store,
            metrics,
            clock,
            registry: IdentityCache::default(),
        });
        let mut tasks = JoinSet::new();
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept an OsmAnd connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = connections.clone().try_acquire_owned() else {
                shared
                    .metrics
                    .adapters
                    .reject(ADAPTER, "too_many_connections");
                continue;
            };
            let shared = shared.clone();
            tasks.spawn(async move {
                shared.metrics.adapters.connection(ADAPTER, true);
                let service = hyper::service::service_fn(|request| {
                    let shared = shared.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(request, &shared).await) }
                });
                let served = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(shared.options.header_timeout)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                if let Err(error) = served {
                    tracing::debug!(%error, "OsmAnd connection ended");
                }
                shared.metrics.adapters.connection(ADAPTER, false);
                drop(permit);
            });
        }
    }
}

type Answer = Response<Full<Bytes>>;

/// A refusal: counted, and said in a line.
fn refused(shared: &Shared, status: StatusCode, reason: &'static str, why: &str) -> Answer {
    shared.metrics.adapters.reject(ADAPTER, reason);
    text(status, format!("{why}\n"))
}

fn text(status: StatusCode, body: String) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// One request, from its body to the commit.
async fn answer(request: Request<Incoming>, shared: &Shared) -> Answer {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, osmand::MAX_BODY).collect();
    let body = match timeout(shared.options.request_timeout, body).await {
        Err(_) => {
            return refused(
                shared,
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the request took too long",
            );
        }
        Ok(Ok(body)) => body.to_bytes(),
        Ok(Err(error)) => {
            return if error
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                refused(
                    shared,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "the body is larger than 64 KiB",
                )
            } else {
                text(StatusCode::BAD_REQUEST, "the body did not arrive\n".into())
            };
        }
    };
    let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let position = match osmand::decode(&OsmAndRequest {
        method: parts.method.as_str(),
        query: parts.uri.query().unwrap_or_default(),
        content_type: header(hyper::header::CONTENT_TYPE),
        body: &body,
        authorization: header(hyper::header::AUTHORIZATION),
    }) {
        Ok(position) => position,
        Err(error) => {
            return refused(
                shared,
                StatusCode::BAD_REQUEST,
                "not_osmand",
                &format!("not an OsmAnd position: {error}"),
            );
        }
    };
    let device = match shared.device(&position.device).await {
        Ok(device) => device,
        Err(error) => {
            tracing::error!(%error, "cannot look an OsmAnd device up; not answered");
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                "try again shortly\n".into(),
            );
        }
    };
    let device_id = match check_token(&position, device.as_ref()) {
        Ok(device_id) => device_id,
        Err(reason) => {
            tracing::info!(device = position.device, reason, "OsmAnd position refused");
            return refused(
                shared,
                StatusCode::UNAUTHORIZED,
                reason,
                "not a registered device, or not its token",
            );
        }
    };
    shared.metrics.adapters.received(ADAPTER, 1);
    let received_at_ms = shared.clock.now().0;
    let (batch, committed) =
        ForeignBatch::new(device_id, ADAPTER, vec![position.report], received_at_ms);
    if shared.intake.send(Checked::Foreign(batch)).await.is_err() {
        return text(StatusCode::SERVICE_UNAVAILABLE, "stopping\n".into());
    }
    match timeout(shared.options.request_timeout, committed).await {
        Ok(Ok(_)) => text(StatusCode::OK, "OK\n".into()),
        // Never committed (the service is stopping): the phone sends it again.
        Ok(Err(_)) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "not stored; send it again\n".into(),
        ),
        // The storage refuses writes: the phone keeps the position and sends it again.
        Err(_) => refused(
            shared,
            StatusCode::SERVICE_UNAVAILABLE,
            "not_stored_in_time",
            "not stored in time; send it again later",
        ),
    }
}

/// The device a position is from, if its token is the device's.
fn check_token(
    position: &OsmAndPosition,
    device: Option<&IdentifiedDevice>,
) -> Result<u64, &'static str> {
    let device = device.ok_or("unknown_device")?;
    let token = position.token.as_deref().ok_or("token_missing")?;
    // Hashes are compared, never the secrets: how long a comparison takes says nothing of one.
    match &device.token_hash {
        Some(hash) if *hash == token_hash(token) => Ok(device.device_id),
        _ => Err("token_wrong"),
    }
}

impl Shared {
    /// The device registered with this OsmAnd id, if any.
    async fn device(&self, id: &str) -> Result<Option<IdentifiedDevice>, StoreError> {
        self.registry
            .device(&self.store, ADAPTER.identity(id))
            .await
    }
}
