//! The HTTP API of sargs, under `/api/v1`: the case records, devices and their observations,
//! for operators, officers, supervisors, technicians, courts and administrators.
//!
//! One table ([`routes::endpoints`]) says, for every route, its method, path, purpose and the
//! roles that may use it; the router, the role check in front of every handler, and the OpenAPI
//! document are all made from it, so they cannot disagree. Row checks (an officer's caseload, a
//! supervisor's unit, a court's orders) are in [`access`]; every read of personal data and
//! every change lands in the audit log before the answer leaves.

mod access;
mod alerts;
mod devices;
mod error;
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

use axum::Router;
use cases::Cases;
use store::Store;

pub use error::ApiError;
pub use limit::{SignInLimiter, SignInLimits};

/// What every handler needs.
#[derive(Clone)]
pub struct ApiState {
    pub cases: Cases,
    pub store: Store,
    /// Ingest's tables: devices as the frame path knows them, their observations.
    pub telemetry: ingest::store::Telemetry,
    /// The live judge, told of every change to what an order makes it judge.
    pub judge: Option<judge::PolicyNotifier>,
    /// The alerts, for the people's transitions and the live feed.
    pub alerts: Option<std::sync::Arc<::alerts::Alerts>>,
    /// Commands to devices (LOCATE_NOW on an operator's request).
    pub downlink: Option<ingest::Downlink>,
    /// The session cookie is marked Secure (sent over HTTPS only): set when TLS is in front.
    pub secure_cookies: bool,
    /// Sign-ins per client address and per user name, shared by every clone of the state.
    pub sign_in: std::sync::Arc<SignInLimiter>,
}

impl ApiState {
    /// An order's policy changed (terms, status, devices, absences, the client's addresses).
    fn policy_changed(&self, order_id: i64) {
        if let Some(judge) = &self.judge {
            judge.policy_changed(order_id);
        }
    }

    /// The active orders a filter finds changed (a client's addresses, a victim's device).
    async fn active_orders_changed(&self, mut filter: cases::OrderFilter) -> Result<(), ApiError> {
        filter.status = Some(cases::OrderStatus::Active);
        let mut after = 0;
        loop {
            let page = self.cases.orders(&filter, after, 500).await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = last.id;
            for order in &page {
                self.policy_changed(order.id);
            }
        }
    }
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
