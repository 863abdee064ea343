//! An HTTP receiver for the webhook and SMS channels' tests: it records every request
//! (method, path, headers, body) and answers with a status the test chooses, and a body if the
//! test gives one (the console's test serves map tiles with it), after a delay if told (a slow
//! receiver).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// One request as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The HTTP method (`POST` for the channels).
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The request body as received.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

struct Shared {
    requests: Mutex<Vec<RecordedRequest>>,
    arrived: Notify,
    status: AtomicU16,
    /// How long each answer waits, in milliseconds; none at start.
    delay_ms: AtomicU64,
    /// The answer's content type and body; none at start.
    body: Mutex<Option<(String, Vec<u8>)>>,
}

/// The receiver; it stops when dropped.
pub struct TestHttpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: Mutex<Option<JoinHandle<()>>>,
    shutdown: watch::Sender<bool>,
}

impl TestHttpServer {
    /// Listens on 127.0.0.1 on a free port and answers 200 to any request on any path.
    /// Panics if it cannot bind (a test setup failure).
    pub async fn start() -> TestHttpServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the test HTTP server");
        let addr = listener
            .local_addr()
            .expect("the test HTTP server's address");
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            status: AtomicU16::new(200),
            delay_ms: AtomicU64::new(0),
            body: Mutex::new(None),
        });
        let app = Router::new().fallback(record).with_state(shared.clone());
        let (shutdown, mut stopping) = watch::channel(false);
        let task = tokio::spawn(async move {
            let stopped = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            };
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await;
        });
        TestHttpServer {
            addr,
            shared,
            task: Mutex::new(Some(task)),
            shutdown,
        }
    }

    /// The address it listens on, for the channel's URL in the test's configuration.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The status every request gets from now on (200 at start).
    pub fn set_status(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// How long every request waits for its answer from now on (none at start), recorded at
    /// once: a receiver too slow for the channel's timeout.
    pub fn set_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// The body (of this content type) every request gets from now on (none at start).
    pub fn set_body(&self, content_type: &str, body: &[u8]) {
        *lock(&self.shared.body) = Some((content_type.to_string(), body.to_vec()));
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Waits until at least `n` requests have arrived or `timeout` passes, and returns all
    /// received by then (check the length).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            {
                let requests = lock(&self.shared.requests);
                if requests.len() >= n {
                    return requests.clone();
                }
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.requests();
            }
        }
    }

    /// Stops listening and closes kept-alive connections: later requests are refused.
    pub async fn stop(&self) {
        let _ = self.shutdown.send(true);
        let task = lock(&self.task).take();
        if let Some(mut task) = task
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for TestHttpServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = RecordedRequest {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_string(), |pq| pq.to_string()),
        headers: headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    lock(&shared.requests).push(request);
    shared.arrived.notify_waiters();
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = StatusCode::from_u16(shared.status.load(Ordering::SeqCst))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match lock(&shared.body).clone() {
        Some((content_type, body)) => {
            (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        None => status.into_response(),
    }
}
