//! The HTTP server: the API under `/api/v1` (the `api` crate), the web console at `/`
//! (`console`), `/metrics` (Prometheus text) and `/healthz`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use ingest::metrics::Metrics;
use ingest::store::Telemetry;
use store::StorageState;

pub fn router(
    metrics: Arc<Metrics>,
    api: api::ApiState,
    tiles: Option<crate::console::TileTemplate>,
) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(health))
        .with_state((metrics, api.telemetry.clone()))
        .merge(crate::console::router(tiles))
        .merge(api::router(api))
}

/// 200 while the storage takes writes; 503 while it refuses them (nothing is acknowledged then),
/// with the reason, so that a load balancer or a monitor sees the service cannot keep evidence.
async fn health(
    State((_, telemetry)): State<(Arc<Metrics>, Telemetry)>,
) -> axum::response::Response {
    match telemetry.store().storage_state() {
        StorageState::Accepting => "ok\n".into_response(),
        StorageState::Refusing {
            fault,
            since_ms,
            detail,
        } => {
            let since = chrono::DateTime::from_timestamp_millis(since_ms)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            let text = format!(
                "storage refuses writes ({}) since {since}: {detail}; frames are not acknowledged\n",
                fault.label()
            );
            (StatusCode::SERVICE_UNAVAILABLE, text).into_response()
        }
    }
}

/// Ingest's counters, then the judge's, the alerts' and the notifications' gauges read from
/// the store.
async fn metrics_text(
    State((metrics, telemetry)): State<(Arc<Metrics>, Telemetry)>,
) -> impl IntoResponse {
    let store = telemetry.store();
    let mut text = metrics.render();
    text += &Metrics::render_storage(&store.storage_state());
    text += &within_a_moment("judge", judge::records::metrics_text(&telemetry)).await;
    text += &within_a_moment("alert", alerts::records::metrics_text(store)).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}

/// Gauges read from the store, or none if they cannot be had within a moment: while the database
/// does not answer, the counters and the storage's state must still reach the monitor that asks.
async fn within_a_moment<E: std::fmt::Display>(
    what: &str,
    read: impl std::future::Future<Output = Result<String, E>>,
) -> String {
    match tokio::time::timeout(std::time::Duration::from_secs(2), read).await {
        Ok(Ok(text)) => text,
        Ok(Err(error)) => {
            tracing::warn!(%error, "{what} metrics");
            String::new()
        }
        Err(_) => {
            tracing::debug!("{what} metrics: no answer from the store in time");
            String::new()
        }
    }
}
