//! Signing in and out, API tokens, and the audit log's routes.

use axum::Extension;
use axum::extract::State;
use axum::http::{Extensions, StatusCode, header};
use axum::response::{IntoResponse, Json};
use cases::{Refusal, SESSION_MAX_MS};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Body, PathParam, Query};
use crate::gate::{Answer, Caller, SESSION_COOKIE, origin};
use crate::people::Page;
use crate::{ApiError, ApiState};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

/// Who signed in, and the session made for them (its secret is in the cookie only).
#[derive(Serialize, JsonSchema)]
pub struct SignedIn {
    user: cases::User,
    session: cases::Credential,
}

/// The session's secret goes only into an HttpOnly cookie (SameSite=Strict, so no other site
/// can send it): scripts in the page never hold it.
pub async fn login(
    State(state): State<ApiState>,
    extensions: Extensions,
    Body(login): Body<Login>,
) -> Answer {
    let from = origin(&extensions);
    if let Err(wait) = state.sign_in.check(&from, &login.username) {
        // Whole seconds, rounded up: an early retry would only be refused again.
        let retry_after_s = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return Err(ApiError::TooManyAttempts {
            retry_after_s: retry_after_s.max(1),
        });
    }
    match state
        .cases
        .login(&login.username, &login.password, &from)
        .await?
    {
        Ok(issued) => {
            let secure = if state.secure_cookies { "; Secure" } else { "" };
            let cookie = format!(
                "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
                issued.secret,
                SESSION_MAX_MS / 1000
            );
            let body = SignedIn {
                user: issued.user,
                session: issued.credential,
            };
            Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
        }
        // Too many sign-ins at once across all addresses and names: the queue for password
        // checks is full; it drains within about a second.
        Err(Refusal::Busy) => Err(ApiError::TooManyAttempts { retry_after_s: 1 }),
        Err(Refusal::WrongNameOrPassword) => Err(ApiError::Refused {
            code: "wrong_credentials",
            message: "wrong username or password".to_string(),
            until: None,
        }),
        Err(Refusal::LockedOut { until_ms }) => {
            // In whole seconds, rounded up: trying again at `until` finds the lock ended.
            let until = chrono::DateTime::from_timestamp_millis(until_ms + 999)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default();
            Err(ApiError::Refused {
                code: "locked_out",
                message: format!("too many wrong passwords; try again after {until}"),
                until: Some(until),
            })
        }
    }
}

pub async fn me(State(state): State<ApiState>, Extension(caller): Extension<Caller>) -> Answer {
    let user = state
        .cases
        .user(caller.actor.user_id.ok_or(ApiError::Unauthenticated)?)
        .await?;
    Ok(Json(user).into_response())
}

/// A route the caller's role may use, as the API document writes it.
#[derive(Serialize, JsonSchema)]
pub struct PermittedRoute {
    /// The HTTP method: `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    method: String,
    /// The path with its parameters in braces: `/api/v1/alerts/{id}/acknowledgement`.
    path: &'static str,
}

/// The routes the caller's role may use, read from the route table that gates them: a client
/// offers an action only where the API would take it (the handler may still refuse a row
/// outside the caller's care).
pub async fn permitted_routes(Extension(caller): Extension<Caller>) -> Answer {
    let Some(role) = caller.actor.role else {
        return Err(ApiError::Unauthenticated);
    };
    let permitted: Vec<PermittedRoute> = crate::routes::endpoints()
        .into_iter()
        .filter(|(endpoint, _)| endpoint.access.allows(role))
        .map(|(endpoint, _)| PermittedRoute {
            method: endpoint.method.to_string(),
            path: endpoint.path,
        })
        .collect();
    Ok(Json(permitted).into_response())
}

pub async fn logout(State(state): State<ApiState>, Extension(caller): Extension<Caller>) -> Answer {
    state.cases.revoke(&caller.actor, caller.credential).await?;
    let expired = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok(([(header::SET_COOKIE, expired)], StatusCode::NO_CONTENT).into_response())
}

pub async fn list_tokens(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
) -> Answer {
    let me = caller.actor.user_id.ok_or(ApiError::Unauthenticated)?;
    Ok(Json(state.cases.credentials(me).await?).into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    label: String,
    /// RFC 3339; at most a year ahead.
    expires: rules::Timestamp,
}

/// A new API token and its secret, shown this once.
#[derive(Serialize, JsonSchema)]
pub struct TokenIssued {
    token: cases::Credential,
    /// Send it as `Authorization: Bearer <secret>`; sargs keeps only its hash.
    secret: String,
}

pub async fn create_token(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Body(new): Body<NewToken>,
) -> Answer {
    let issued = state
        .cases
        .create_api_token(&caller.actor, &new.label, new.expires.0)
        .await?;
    let body = TokenIssued {
        token: issued.credential,
        secret: issued.secret,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub async fn revoke_token(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    state.cases.revoke(&caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn audit_entries(State(state): State<ApiState>, Query(page): Query<Page>) -> Answer {
    crate::people::check_limit(page.limit)?;
    Ok(Json(state.cases.audit_entries(page.after, page.limit).await?).into_response())
}

pub async fn verify_audit(State(state): State<ApiState>) -> Answer {
    Ok(Json(state.cases.verify_audit().await?).into_response())
}
