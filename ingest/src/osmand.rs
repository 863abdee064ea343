//! Phones (Traccar Client) and trackers over OsmAnd HTTP, on a port of its own as Traccar's 5055
//! is (`--osmand-listen`): the adapter around `foreign_proto::osmand`.
//!
//! A position is answered 200 only once it is committed; the phone keeps what was not answered
//! and sends it again. OsmAnd has no authentication of its own, and a position that anyone could
//! have sent is evidence of nothing: each device is registered with its id (`osmand:<id>`) and a
//! shared secret, the token the phone sends in its server URL (`?token=...`) or as
//! `Authorization: Bearer ...`. Refusals are counted by reason and answered with a status and a
//! line saying why: 400 for what is not an OsmAnd position, 401 for an unknown id or a missing
//! or wrong token, 408 for a body too slow, 413 for a body too large, 503 when the position
//! could not be committed in time (the storage refuses writes).

use foreign_proto::osmand::{self, OsmAndError, OsmAndPosition, OsmAndRequest};
use hyper::StatusCode;

use crate::adapter::{Intake, token_hash};
use crate::http_adapter::{Answer, Handler, HttpOptions, Received, answer, refused};
use crate::store::IdentifiedDevice;

/// Every reason an OsmAnd request is refused, as counted in
/// `sargs_adapter_rejected_total{adapter="osmand"}`: the wire format's, then the service's.
pub fn reasons() -> impl Iterator<Item = &'static str> {
    OsmAndError::LABELS.into_iter().chain(SERVICE_REASONS)
}

const SERVICE_REASONS: [&str; 6] = [
    "unknown_device",
    "token_missing",
    "token_wrong",
    "request_timeout",
    "not_stored_in_time",
    "too_many_connections",
];

/// The OsmAnd adapter.
pub struct OsmAnd;

impl Handler for OsmAnd {
    const MAX_BODY: usize = osmand::MAX_BODY;

    async fn handle(&self, request: Received, intake: &Intake, options: &HttpOptions) -> Answer {
        let position = match osmand::decode(&OsmAndRequest {
            method: &request.method,
            query: &request.query,
            content_type: request.content_type.as_deref(),
            body: &request.body,
            authorization: request.authorization.as_deref(),
        }) {
            Ok(position) => position,
            Err(error) => {
                let line = format!("not an OsmAnd position: {error}");
                return refused(intake, StatusCode::BAD_REQUEST, error.label(), &line);
            }
        };
        let device = match intake.device(&position.device).await {
            Ok(device) => device,
            Err(error) => {
                tracing::error!(%error, "cannot look an OsmAnd device up; not answered");
                return answer(StatusCode::SERVICE_UNAVAILABLE, "try again shortly");
            }
        };
        let device_id = match check_token(&position, device.as_ref()) {
            Ok(device_id) => device_id,
            Err(reason) => {
                tracing::info!(device = position.device, reason, "OsmAnd position refused");
                if reason == "unknown_device" {
                    intake.unknown(&position.device).await;
                }
                let line = "not a registered device, or not its token";
                return refused(intake, StatusCode::UNAUTHORIZED, reason, line);
            }
        };
        match intake
            .commit(device_id, vec![position.report], options.request_timeout)
            .await
        {
            Ok(_) => answer(StatusCode::OK, "OK"),
            // The phone keeps the position and sends it again.
            Err(_) => answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "not stored in time; send it again later",
            ),
        }
    }
}

/// The device a position is from, if its token is the device's.
fn check_token(
    position: &OsmAndPosition,
    device: Option<&IdentifiedDevice>,
) -> Result<u64, &'static str> {
    let device = device.ok_or("unknown_device")?;
    let token = position.token.as_deref().ok_or("token_missing")?;
    // Hashes are compared, never the secrets: how long a comparison takes says nothing of one.
    match &device.token_hash {
        Some(hash) if *hash == token_hash(token) => Ok(device.device_id),
        _ => Err("token_wrong"),
    }
}
