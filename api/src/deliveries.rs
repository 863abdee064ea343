//! An alert's deliveries as people may see them: each notification's channel, to whom (the
//! recipient's display name), whether it was sent or given up and why: the reason, typed for
//! the console to word, and the error's own text for a technician. Never a secret: no URL is
//! shown (a webhook's or an SMS gateway's may carry a token), in that text either.

use std::collections::HashMap;

use alerts::channels::FailureReason;
use alerts::records::{self, Delivery};
use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Json};
use rules::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;

use crate::alerts::alert_by_id;
use crate::error::PathParam;
use crate::gate::{Answer, Caller};
use crate::{ApiError, ApiState};

/// One notification of an alert and how its delivery went.
#[derive(Serialize, JsonSchema)]
pub struct DeliveryShown {
    /// The delivery's id.
    pub id: i64,
    /// The alert event it notified of.
    pub event_id: i64,
    /// `email`, `sms`, `webhook` (the monitoring centre's system) or `wearer` (the tag).
    pub channel: String,
    /// The user notified, if a person.
    pub user_id: Option<i64>,
    /// Their display name, if a person.
    pub recipient: Option<String>,
    /// Where it went: an e-mail address or phone number; none for the webhook and the tag.
    pub address: Option<String>,
    /// `pending`, `sent` or `given_up`.
    pub state: String,
    /// How many times sending was tried.
    pub attempts: u32,
    /// Why the last try failed, if it did: `{"reason": ...}`, with the server's `code` where
    /// it refused. The console words it.
    pub failure: Option<FailureReason>,
    /// The last failure as the channel met it, in English and without any URL: for a
    /// technician, not to show people as the reason.
    pub technical_detail: Option<String>,
    /// When it was queued.
    pub created: Timestamp,
    /// When it was sent or given up; none while pending.
    pub done: Option<Timestamp>,
}

/// A failure's reason without any URL in it (a reqwest error names the URL it tried).
fn without_urls(reason: &str) -> String {
    reason
        .split(' ')
        .map(|word| if word.contains("://") { "[url]" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What of a delivery people see: addresses only of people's e-mail and SMS.
fn shown(d: Delivery, recipient: Option<String>) -> DeliveryShown {
    let technical_detail = d.last_error.as_deref().map(without_urls);
    let address = match d.channel.as_str() {
        "email" | "sms" => Some(d.address),
        _ => None,
    };
    DeliveryShown {
        id: d.id,
        event_id: d.event_id,
        channel: d.channel,
        user_id: d.user_id,
        recipient,
        address,
        state: d.state,
        attempts: d.attempts,
        failure: d.failure,
        technical_detail,
        created: d.created,
        done: d.done,
    }
}

/// An alert's deliveries as shown, oldest first, with the recipients' display names.
pub(crate) async fn of_alert(state: &ApiState, id: i64) -> Result<Vec<DeliveryShown>, ApiError> {
    let found = records::deliveries(&state.store, id).await?;
    let mut names: HashMap<i64, Option<String>> = HashMap::new();
    let mut out = Vec::with_capacity(found.len());
    for d in found {
        let recipient = match d.user_id {
            Some(user) => match names.get(&user) {
                Some(name) => name.clone(),
                None => {
                    // A user since removed is shown without a name, not as an error.
                    let name = state.cases.user(user).await.ok().map(|u| u.display_name);
                    names.insert(user, name.clone());
                    name
                }
            },
            None => None,
        };
        out.push(shown(d, recipient));
    }
    Ok(out)
}

/// GET /alerts/{id}/deliveries: for whoever may read the alert; audited.
pub async fn deliveries(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    PathParam(id): PathParam<i64>,
) -> Answer {
    alert_by_id(&state, &caller.actor, id).await?;
    let found = of_alert(&state, id).await?;
    state
        .cases
        .record_read(&caller.actor, &format!("alert/{id}/deliveries"), "")
        .await?;
    Ok(Json(found).into_response())
}

#[cfg(test)]
mod tests {
    use super::without_urls;

    #[test]
    fn no_url_survives_in_a_reason() {
        assert_eq!(
            without_urls(
                "error sending request for url (https://hook.example/x?token=s3cret): timed out"
            ),
            "error sending request for url [url] timed out"
        );
        assert_eq!(
            without_urls("550 mailbox unavailable"),
            "550 mailbox unavailable"
        );
        assert!(!without_urls("a\thttp://u:p@h/ b").contains("p@h"));
    }
}
