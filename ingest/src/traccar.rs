//! Positions forwarded by a Traccar server (`forward.type=json`, `event.forward.type=json`), on
//! a port of its own (`--traccar-listen`): the adapter around `foreign_proto::traccar`.
//!
//! Traccar is configured to post each position to `/positions` and each event to `/events`,
//! with the token sargs was given (`--traccar-token`) as `Authorization: Bearer ...` (Traccar's
//! `forward.header`) or `?token=...` in the URL: a position anyone could have posted is evidence
//! of nothing. A device is registered with its Traccar `uniqueId` (`traccar:<uniqueId>`). A
//! position is answered 200 once committed; an event's position, if it has one, is taken as a
//! position (Traccar's own judgement, the event's type, is logged, not evidence: sargs judges
//! for itself). Traccar forwards at most a few times and not after its restart: positions can
//! be missed (docs/ingest.md), which the backfill from its REST API fills.

use foreign_proto::traccar::{self, TraccarError, TraccarPosition};
use hyper::StatusCode;

use crate::adapter::{Intake, token_hash};
use crate::http_adapter::{Answer, Handler, HttpOptions, Received, answer, refused};

/// Every reason a forwarded body is refused, as counted in
/// `sargs_adapter_rejected_total{adapter="traccar"}`: the wire format's, then the service's.
pub fn reasons() -> impl Iterator<Item = &'static str> {
    TraccarError::LABELS.into_iter().chain(SERVICE_REASONS)
}

const SERVICE_REASONS: [&str; 9] = [
    "method",
    "path",
    "token_missing",
    "token_wrong",
    "unknown_device",
    "request_timeout",
    "body_too_large",
    "not_stored_in_time",
    "too_many_connections",
];

/// The Traccar forwarding adapter, with the hash of the token Traccar must send.
pub struct TraccarForwarding {
    token_hash: String,
}

impl TraccarForwarding {
    /// Takes forwarded positions from a Traccar server that sends `token`.
    pub fn new(token: &str) -> TraccarForwarding {
        TraccarForwarding {
            token_hash: token_hash(token),
        }
    }

    /// The token of a request, from its Authorization header or its query.
    fn check_token(&self, request: &Received) -> Result<(), &'static str> {
        let bearer = request
            .authorization
            .as_deref()
            .and_then(|value| value.strip_prefix("Bearer "));
        let queried = request
            .query
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="));
        let token = bearer.or(queried).ok_or("token_missing")?;
        // Hashes are compared, never the secrets.
        if token_hash(token.trim()) == self.token_hash {
            Ok(())
        } else {
            Err("token_wrong")
        }
    }
}

impl Handler for TraccarForwarding {
    const MAX_BODY: usize = traccar::MAX_BODY;

    async fn handle(&self, request: Received, intake: &Intake, options: &HttpOptions) -> Answer {
        if request.method != "POST" {
            let line = "Traccar forwards with POST";
            return refused(intake, StatusCode::METHOD_NOT_ALLOWED, "method", line);
        }
        if let Err(reason) = self.check_token(&request) {
            let line = "not the token sargs was given for Traccar";
            return refused(intake, StatusCode::UNAUTHORIZED, reason, line);
        }
        let decoded = match request.path.trim_end_matches('/') {
            "/positions" => traccar::decode_position(&request.body).map(Some),
            "/events" => traccar::decode_event(&request.body).map(|event| {
                tracing::info!(
                    unique_id = event.unique_id,
                    kind = event.kind,
                    "an event forwarded by Traccar"
                );
                event.position
            }),
            _ => {
                let line = "Traccar forwards to /positions and /events";
                return refused(intake, StatusCode::NOT_FOUND, "path", line);
            }
        };
        let position = match decoded {
            Ok(Some(position)) => position,
            Ok(None) => return answer(StatusCode::OK, "OK: an event without a position"),
            Err(error) => {
                let line = format!("not Traccar's forwarding: {error}");
                return refused(intake, StatusCode::BAD_REQUEST, error.label(), &line);
            }
        };
        take(position, intake, options).await
    }
}

/// Commits a forwarded position of a registered device.
async fn take(position: TraccarPosition, intake: &Intake, options: &HttpOptions) -> Answer {
    let unique_id = position.key.unique_id;
    let device = match intake.device(&unique_id).await {
        Ok(device) => device,
        Err(error) => {
            tracing::error!(%error, "cannot look a Traccar device up; not answered");
            return answer(StatusCode::SERVICE_UNAVAILABLE, "try again shortly");
        }
    };
    let Some(device) = device else {
        intake.unknown(&unique_id).await;
        let line = "no device is registered with this uniqueId";
        return refused(intake, StatusCode::NOT_FOUND, "unknown_device", line);
    };
    match intake
        .commit(
            device.device_id,
            vec![position.report],
            options.request_timeout,
        )
        .await
    {
        Ok(_) => answer(StatusCode::OK, "OK"),
        Err(_) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "not stored in time; send it again later",
        ),
    }
}
