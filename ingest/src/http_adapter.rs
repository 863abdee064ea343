//! The HTTP server the HTTP adapters share (OsmAnd from phones, Traccar's forwarding): a port of
//! its own each, hyper directly for its header read timeout, connections and bodies bounded.
//!
//! Time limits keep a connection from holding resources: a request's headers must arrive within
//! `header_timeout`, its body within `request_timeout`, and at most `max_connections` are open
//! at once. Each adapter only reads a whole request ([`Received`]) and answers it
//! ([`Answer`]); what it refuses it counts and says in a line.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::adapter::Intake;

/// How an HTTP adapter's server runs.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Where it listens.
    pub listen: SocketAddr,
    /// Most connections open at once.
    pub max_connections: usize,
    /// How long a request's headers may take to arrive.
    pub header_timeout: Duration,
    /// How long a request's body may take, and then its commit.
    pub request_timeout: Duration,
}

impl HttpOptions {
    /// The defaults, listening on `listen`.
    pub fn new(listen: SocketAddr) -> HttpOptions {
        HttpOptions {
            listen,
            max_connections: 4_096,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A whole request as received.
#[derive(Debug)]
pub struct Received {
    /// GET, POST, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, without the `?`.
    pub query: String,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The body, at most the adapter's limit.
    pub body: Bytes,
}

/// An answer: a status and a line.
pub type Answer = Response<Full<Bytes>>;

/// An answer with `line` as its text.
pub fn answer(status: StatusCode, line: &str) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(format!("{line}\n"))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A refusal: counted under `reason`, and said in a line.
pub fn refused(intake: &Intake, status: StatusCode, reason: &'static str, line: &str) -> Answer {
    intake.reject(reason);
    answer(status, line)
}

/// What an HTTP adapter does with a whole request.
pub trait Handler: Send + Sync + 'static {
    /// The largest body it takes.
    const MAX_BODY: usize;

    /// Answers one request, after its reports are committed where it has any.
    fn handle(
        &self,
        request: Received,
        intake: &Intake,
        options: &HttpOptions,
    ) -> impl Future<Output = Answer> + Send;
}

/// The listening socket, bound: a port that cannot be had fails at start, not later.
pub struct HttpListener {
    listener: TcpListener,
    options: HttpOptions,
}

impl HttpListener {
    /// Binds the listening socket.
    pub async fn bind(options: HttpOptions) -> std::io::Result<HttpListener> {
        let listener = TcpListener::bind(options.listen).await?;
        Ok(HttpListener { listener, options })
    }

    /// Where it listens (the port the system gave, for port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves requests with `handler` until dropped or aborted (which closes every connection).
    pub async fn run<H: Handler>(self, handler: H, intake: Intake) {
        let connections = Arc::new(Semaphore::new(self.options.max_connections.max(1)));
        let shared = Arc::new((handler, intake, self.options));
        let mut tasks = JoinSet::new();
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            };
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept an HTTP connection of an adapter");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = connections.clone().try_acquire_owned() else {
                shared.1.reject("too_many_connections");
                continue;
            };
            let shared = shared.clone();
            tasks.spawn(async move {
                let (_, intake, options) = &*shared;
                intake.connection(true);
                let service = hyper::service::service_fn(|request| {
                    let shared = shared.clone();
                    async move {
                        let (handler, intake, options) = &*shared;
                        Ok::<_, std::convert::Infallible>(
                            take(request, handler, intake, options).await,
                        )
                    }
                });
                let served = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(options.header_timeout)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                if let Err(error) = served {
                    tracing::debug!(%error, "an adapter's HTTP connection ended");
                }
                intake.connection(false);
                drop(permit);
            });
        }
    }
}

/// Reads the whole request within its limits, then hands it to the adapter.
async fn take<H: Handler>(
    request: Request<Incoming>,
    handler: &H,
    intake: &Intake,
    options: &HttpOptions,
) -> Answer {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, H::MAX_BODY).collect();
    let body = match timeout(options.request_timeout, body).await {
        Err(_) => {
            return refused(
                intake,
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
                    intake,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "the body is larger than is taken",
                )
            } else {
                answer(StatusCode::BAD_REQUEST, "the body did not arrive")
            };
        }
    };
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let received = Received {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        content_type: header(hyper::header::CONTENT_TYPE),
        authorization: header(hyper::header::AUTHORIZATION),
        body,
    };
    handler.handle(received, intake, options).await
}
