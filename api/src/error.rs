//! Every answer that is not a success, as JSON a program can act on:
//! `{"error": "invalid_request", "message": "...", "fields": [{"field": "terms.ends", "reason": "..."}]}`.
//!
//! A value that is wrong in itself is a 422; a valid request that the records' present state
//! refuses (a name taken, an alert resolved already) a 409, with the same `fields`, so that a
//! program can tell "fix the request" from "look at the record again".
//! Bad input is always a 4xx naming the field; a 500 means the database or a stored record is
//! at fault, and says no more than that (the detail goes to the log).

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cases::{CasesError, FieldError};
use serde::de::DeserializeOwned;
use serde_json::json;

/// Why a request failed, as the API answers it: each maps to an HTTP status and an error code.
#[derive(Debug)]
pub enum ApiError {
    /// No credential, or one that is not (or no longer) valid.
    Unauthenticated,
    /// The role may not use this route, or this row is not theirs.
    Forbidden,
    /// A change with the session cookie that did not come from sargs's own pages.
    CrossSite,
    /// The record asked for does not exist; says which (`alert 12`, say).
    NotFound(String),
    /// Well-formed JSON that does not say something valid.
    Invalid(Vec<FieldError>),
    /// Valid, but the records are not in a state that allows it (a name taken, a device fitted
    /// already, an alert resolved): the same request may succeed once they change.
    Conflict(Vec<FieldError>),
    /// Not JSON, the wrong shape, or an unknown field.
    Malformed(Vec<FieldError>),
    /// A body that is not sent as `application/json`.
    UnsupportedMediaType,
    /// A sign-in refused: wrong name or password, or locked out (until then, RFC 3339).
    Refused {
        /// Why, for clients to act on: `wrong_credentials` or `locked_out`.
        code: &'static str,
        /// The message shown to the person signing in.
        message: String,
        /// When a lock-out ends, as RFC 3339; none if not locked out.
        until: Option<String>,
    },
    /// Too many sign-ins from this address or for this name: try again after this long.
    TooManyAttempts {
        /// Seconds to wait before trying again (also sent as `Retry-After`).
        retry_after_s: u64,
    },
    /// The database does not answer or refuses writes (docs/ingest.md): try again shortly.
    StorageUnavailable,
    /// Something failed inside sargs; the details go to its log, never to the caller.
    Internal,
}

impl ApiError {
    /// An invalid request, naming the field at fault and why.
    pub fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
        ApiError::Invalid(vec![FieldError::new(field, reason)])
    }

    /// A conflict with the records, naming the field at fault and why.
    pub fn conflict(field: &str, reason: impl Into<String>) -> ApiError {
        ApiError::Conflict(vec![FieldError::new(field, reason)])
    }
}

impl From<CasesError> for ApiError {
    fn from(error: CasesError) -> ApiError {
        match error {
            CasesError::Invalid(fields) => ApiError::Invalid(fields),
            CasesError::Conflict(fields) => ApiError::Conflict(fields),
            CasesError::NotFound { what, id } => ApiError::NotFound(format!("{what} {id}")),
            CasesError::Store(store) => store.into(),
            CasesError::Sql(sql) => store::StoreError::Sql(sql).into(),
            other => {
                tracing::error!(error = %other, "case records");
                ApiError::Internal
            }
        }
    }
}

/// The judge's records: a storage fault is a 503 like any other; the rest is sargs's own fault.
impl From<judge::JudgeError> for ApiError {
    fn from(error: judge::JudgeError) -> ApiError {
        match error {
            judge::JudgeError::Store(store) => store.into(),
            judge::JudgeError::Sql(sql) => store::StoreError::Sql(sql).into(),
            judge::JudgeError::Cases(cases) => cases.into(),
            other => {
                tracing::error!(error = %other, "judge records");
                ApiError::Internal
            }
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(error: store::StoreError) -> ApiError {
        if error.storage_fault().is_some() {
            // Said once every 10 s by ingest already; each request need not say it again.
            tracing::warn!(%error, "the storage cannot serve a request");
            return ApiError::StorageUnavailable;
        }
        tracing::error!(%error, "store");
        ApiError::Internal
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // What some answers add to the common three fields.
        let mut extra = serde_json::Map::new();
        let mut retry_after = None;
        let (status, code, message, fields) = match self {
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in first (a session cookie or an Authorization: Bearer token)".to_string(),
                Vec::new(),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "your role may not do this, or the record is not in your care".to_string(),
                Vec::new(),
            ),
            ApiError::CrossSite => (
                StatusCode::FORBIDDEN,
                "cross_site_request",
                "a change made with the session cookie must come from sargs's own pages (a \
                 matching Origin, or Sec-Fetch-Site: same-origin); nothing was changed"
                    .to_string(),
                Vec::new(),
            ),
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} does not exist"),
                Vec::new(),
            ),
            ApiError::Invalid(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "the request is not valid; nothing was changed".to_string(),
                fields,
            ),
            ApiError::Conflict(fields) => (
                StatusCode::CONFLICT,
                "conflict",
                "the request conflicts with the records as they are now; nothing was changed"
                    .to_string(),
                fields,
            ),
            ApiError::Malformed(fields) => (
                StatusCode::BAD_REQUEST,
                "malformed_request",
                "the request could not be read; nothing was changed".to_string(),
                fields,
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json".to_string(),
                Vec::new(),
            ),
            ApiError::Refused {
                code,
                message,
                until,
            } => {
                if let Some(until) = until {
                    extra.insert("until".into(), until.into());
                }
                (StatusCode::UNAUTHORIZED, code, message, Vec::new())
            }
            ApiError::TooManyAttempts { retry_after_s } => {
                extra.insert("retry_after_s".into(), retry_after_s.into());
                retry_after = Some(retry_after_s);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("too many sign-ins; try again in {retry_after_s} s"),
                    Vec::new(),
                )
            }
            ApiError::StorageUnavailable => {
                retry_after = Some(5);
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the database does not answer or refuses writes; nothing was changed, try again shortly".to_string(),
                    Vec::new(),
                )
            }
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "sargs could not do this; the details are in its log".to_string(),
                Vec::new(),
            ),
        };
        let mut body = json!({ "error": code, "message": message, "fields": fields });
        if let Some(object) = body.as_object_mut() {
            object.extend(extra);
        }
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// A JSON body, read so that a mistake names its field (`terms.zones[0].shape.radius_m`).
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(';').next().map(str::trim) == Some("application/json"));
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::Malformed(vec![FieldError::new("body", e.body_text())]))?;
        let json: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::Malformed(vec![FieldError::new("body", e.to_string())]))?;
        // Every body is an object (the document says so). serde would also read a struct from
        // an array, field by field in order, unnamed: `[null, null, true]` as a UserChange
        // that disables the user. Only objects, whose fields are named, are read.
        if !json.is_object() {
            return Err(ApiError::Malformed(vec![FieldError::new(
                "body",
                "must be a JSON object",
            )]));
        }
        if let Some(field) = nul_at(&json, String::new()) {
            return Err(ApiError::Malformed(vec![FieldError::new(field, NUL)]));
        }
        let value = serde_path_to_error::deserialize(json).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "body".to_string()
            } else {
                path
            };
            ApiError::Malformed(vec![FieldError::new(field, e.inner().to_string())])
        })?;
        Ok(Body(value))
    }
}

const NUL: &str = "must not contain the NUL character";

/// Where a string (or a key) holding NUL is, if anywhere: no text sargs keeps may hold one
/// (PostgreSQL cannot store it, and no person types it).
fn nul_at(value: &serde_json::Value, at: String) -> Option<String> {
    let here = || {
        if at.is_empty() {
            "body".to_string()
        } else {
            at.clone()
        }
    };
    match value {
        serde_json::Value::String(s) => s.contains('\0').then(here),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, format!("{at}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let path = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            if k.contains('\0') {
                Some(here())
            } else {
                nul_at(v, path)
            }
        }),
        _ => None,
    }
}

/// Query parameters, whose mistakes name the parameter.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = form_urlencoded::parse(query.as_bytes());
        if let Some((name, _)) = pairs
            .clone()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(ApiError::Invalid(vec![FieldError::new(name, NUL)]));
        }
        let de = serde_urlencoded::Deserializer::new(pairs);
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| {
                let path = e.path().to_string();
                let reason = e.inner().to_string();
                // A parameter left out is named by it, as one given wrong is: serde says which
                // only in its message (`missing field `to``).
                let missing = reason
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.strip_suffix('`'));
                let field = match (path.as_str(), missing) {
                    (".", Some(name)) => name.to_string(),
                    (".", None) => "query".to_string(),
                    _ => path,
                };
                let code = missing.map(|_| "required");
                ApiError::Invalid(vec![match code {
                    Some(code) => FieldError::coded(field, code, reason),
                    None => FieldError::new(field, reason),
                }])
            })
    }
}

/// Path parameters, whose mistakes (`/clients/abc`) are a 404 of that path, not a 500.
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParam<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParam(p.0))
            .map_err(|_| ApiError::NotFound(parts.uri.path().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use store::StoreError;

    use super::*;

    fn silent() -> StoreError {
        StoreError::NoAnswer(Duration::from_secs(10))
    }

    /// A database that does not answer is a 503 whichever owner crate's read met it: the
    /// judge's episodes, the alerts, a compliance summary being built. A 500 would say sargs is
    /// broken when it is waiting for its storage.
    #[test]
    fn a_silent_database_is_a_503_from_every_owner() {
        let answers = [
            ApiError::from(judge::JudgeError::Store(silent())),
            ApiError::from(alerts::AlertsError::Store(silent())),
            ApiError::from(alerts::AlertsError::Judge(judge::JudgeError::Store(
                silent(),
            ))),
            crate::reports::answer(report::ReportError::Alerts(alerts::AlertsError::Store(
                silent(),
            ))),
            crate::reports::answer(report::ReportError::Store(silent())),
        ];
        for answer in answers {
            assert!(matches!(answer, ApiError::StorageUnavailable), "{answer:?}");
        }
        // What is not the storage stays a 500.
        let corrupt = judge::JudgeError::Corrupt {
            what: "episode",
            reason: "bad".into(),
        };
        assert!(matches!(ApiError::from(corrupt), ApiError::Internal));
    }
}
