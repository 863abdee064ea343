//! The gate in front of every route: who is calling (a session cookie or a bearer token), and
//! may their role use this route at all. Rows are checked further by the handlers.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use cases::Actor;

use crate::routes::Access;
use crate::{ApiError, ApiState};

/// The console's session cookie.
pub const SESSION_COOKIE: &str = "sargs_session";

/// The signed-in caller, for handlers: `Extension<Caller>`.
#[derive(Clone, Debug)]
pub struct Caller {
    pub actor: Actor,
    /// The session or token this request came with.
    pub credential: i64,
}

/// Where a request came from, for the audit log.
pub fn origin(req_extensions: &axum::http::Extensions) -> String {
    req_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// The secret a request carries: `Authorization: Bearer ...`, else the session cookie. A cookie
/// is refused on a change from another site ([`from_own_pages`]), since a browser sends it
/// along whoever made the page.
fn secret(req: &Request) -> Result<Option<String>, ApiError> {
    let headers = req.headers();
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        return Ok(auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|s| s.trim().to_string()));
    }
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string());
    if cookie.is_some() && !req.method().is_safe() && !from_own_pages(req) {
        return Err(ApiError::CrossSite);
    }
    Ok(cookie)
}

/// Whether a request came from a page of this service: its `Origin` names the host it was sent
/// to, or, without an Origin, the browser says `Sec-Fetch-Site: same-origin`. Browsers send
/// Origin with every cross-site request and every non-GET fetch, and no page can forge either
/// header; a request with neither is refused, so an old browser's form cannot slip through.
fn from_own_pages(req: &Request) -> bool {
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    match headers.get(header::ORIGIN).map(|o| o.to_str()) {
        Some(Ok(origin)) => {
            let authority = origin
                .parse::<axum::http::Uri>()
                .ok()
                .and_then(|uri| uri.authority().map(|a| a.as_str().to_ascii_lowercase()));
            authority.is_some() && authority == host.map(str::to_ascii_lowercase)
        }
        Some(Err(_)) => false,
        None => headers
            .get("sec-fetch-site")
            .is_some_and(|site| site == "same-origin"),
    }
}

pub fn guard(
    state: &ApiState,
    access: Access,
    handler: MethodRouter<ApiState>,
) -> MethodRouter<ApiState> {
    match access {
        Access::Public => handler,
        Access::Roles(_) => handler.route_layer(middleware::from_fn_with_state(
            state.clone(),
            move |State(state): State<ApiState>, mut req: Request, next: Next| async move {
                let secret = match secret(&req) {
                    Ok(secret) => secret,
                    Err(refused) => return refused.into_response(),
                };
                let origin = origin(req.extensions());
                match admit(&state, access, secret, origin).await {
                    Ok(caller) => {
                        req.extensions_mut().insert(caller);
                        next.run(req).await
                    }
                    Err(error) => error.into_response(),
                }
            },
        )),
    }
}

async fn admit(
    state: &ApiState,
    access: Access,
    secret: Option<String>,
    origin: String,
) -> Result<Caller, ApiError> {
    let secret = secret.ok_or(ApiError::Unauthenticated)?;
    let (user, credential) = state
        .cases
        .authenticate(&secret)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !access.allows(user.role) {
        return Err(ApiError::Forbidden);
    }
    Ok(Caller {
        actor: Actor::user(&user, origin),
        credential,
    })
}

/// Handlers' results: JSON on success.
pub type Answer = Result<Response, ApiError>;
