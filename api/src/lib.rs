//! The HTTP API of sargs, under `/api/v1`: the case records, devices and their observations,
//! for operators, officers, supervisors, technicians, courts and administrators.
//!
//! One table ([`routes::endpoints`]) says, for every route, its method, path, purpose and the
//! roles that may use it; the router, the role check in front of every handler, and the OpenAPI
//! document are all made from it, so they cannot disagree. Row checks (an officer's caseload, a
//! supervisor's unit, a court's orders) are in the private `access` module; every read of
//! personal data and every change lands in the audit log before the answer leaves.
#![warn(missing_docs)]

mod access;
mod alert_feed;
mod alert_load;
mod alert_rows;
mod alerts;
mod deliveries;
mod device_tools;
mod devices;
mod enumerations;
mod error;
mod fleet;
mod gate;
mod glance;
mod limit;
mod notes;
mod openapi;
mod orders;
mod people;
mod reports;
pub mod routes;
mod service;
mod session;
mod summaries;
mod unit_alerting;

use axum::Router;
use cases::Cases;
use store::Store;

pub use enumerations::{Enumerations, enumerations};
pub use error::ApiError;
pub use limit::{SignInLimiter, SignInLimits};

/// What every handler needs.
#[derive(Clone)]
pub struct ApiState {
    /// The case records: people, orders, devices, and the audit log.
    pub cases: Cases,
    /// The store everything is kept in.
    pub store: Store,
    /// Ingest's tables: devices as the frame path knows them, their observations.
    pub telemetry: ingest::store::Telemetry,
    /// The alerts, for the people's transitions and the live feed.
    pub alerts: Option<std::sync::Arc<::alerts::Alerts>>,
    /// Commands to devices (LOCATE_NOW on an operator's request).
    pub downlink: Option<ingest::Downlink>,
    /// The session cookie is marked Secure (sent over HTTPS only): set when TLS is in front.
    pub secure_cookies: bool,
    /// Sign-ins per client address and per user name, shared by every clone of the state.
    pub sign_in: std::sync::Arc<SignInLimiter>,
    /// The key compliance summaries are signed with.
    pub signing: std::sync::Arc<report::seal::SigningKey>,
}

/// The API's routes, the OpenAPI document at `/api/v1/openapi.json` and interactive docs at
/// `/api/v1/docs/` (served from inside the binary: no CDN, works offline).
pub fn router(state: ApiState) -> Router {
    let mut router = Router::new();
    for (endpoint, handler) in routes::endpoints() {
        let handler = gate::guard(&state, endpoint.access, handler);
        router = router.route(endpoint.path, handler);
    }
    // No request leaves for the internet: Swagger UI's default validator badge would call
    // validator.swagger.io, so it is off.
    let docs = utoipa_swagger_ui::SwaggerUi::new("/api/v1/docs")
        .external_url_unchecked(openapi::PATH, openapi::document())
        .config(utoipa_swagger_ui::Config::new([openapi::PATH]).validator_url("none"));
    router
        .with_state(state)
        .merge(Router::from(docs))
        .fallback(|| async { ApiError::NotFound("this route".to_string()) })
}
