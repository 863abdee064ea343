//! The HTTP server: the API under `/api/v1` (the `api` crate), `/metrics` (Prometheus text) and
//! `/healthz`; the console joins it later.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use ingest::metrics::Metrics;

pub fn router(metrics: Arc<Metrics>, api: api::ApiState) -> Router {
    Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(metrics)
        .merge(api::router(api))
}

async fn metrics_text(State(metrics): State<Arc<Metrics>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.render(),
    )
}
