//! The HTTP server: the API under `/api/v1` (the `api` crate), the web console at `/`
//! (`console`), `/metrics` (Prometheus text) and `/healthz`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use ingest::metrics::Metrics;
use ingest::store::Store;

pub fn router(
    metrics: Arc<Metrics>,
    api: api::ApiState,
    tiles: Option<crate::console::TileTemplate>,
) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state((metrics, api.store.clone()))
        .merge(crate::console::router(tiles))
        .merge(api::router(api))
}

/// Ingest's counters, then the judge's, the alerts' and the notifications' gauges read from
/// the store.
async fn metrics_text(State((metrics, store)): State<(Arc<Metrics>, Store)>) -> impl IntoResponse {
    let mut text = metrics.render();
    match judge::records::metrics_text(&store).await {
        Ok(judge) => text += &judge,
        Err(error) => tracing::warn!(%error, "judge metrics"),
    }
    match alerts::records::metrics_text(&store).await {
        Ok(alerts) => text += &alerts,
        Err(error) => tracing::warn!(%error, "alert metrics"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
}
