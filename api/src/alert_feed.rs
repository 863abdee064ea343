//! The live feed of alert events as server-sent events: every event in the caller's care,
//! resuming from the last event id after a reconnect, ending with the credential it was opened
//! with.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

use alerts::records;
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use cases::Actor;
use futures::Stream;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::access;
use crate::alert_rows::named;
use crate::alerts::running;
use crate::error::Query;
use crate::gate::Caller;
use crate::{ApiError, ApiState};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Resume after this event id (the Last-Event-ID header does the same); default: from now.
    after: Option<i64>,
}

/// The live feed: every alert event in the caller's care from the one after `Last-Event-ID`
/// (or `after`; or from now), as server-sent events with the event id, then each as it is
/// committed.
pub async fn feed(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<FeedQuery>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let alerts = running(&state)?.clone();
    let header = headers
        .get("last-event-id")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| ApiError::invalid("Last-Event-ID", "must be an event id"))
        })
        .transpose()?;
    let after = match header.or(q.after) {
        Some(after) => after,
        None => records::last_event(&state.store).await?,
    };
    state
        .cases
        .record_read(&caller.actor, "alerts/feed", &after.to_string())
        .await?;
    let feed = Feed {
        state,
        actor: caller.actor,
        credential: caller.credential,
        checked: tokio::time::Instant::now(),
        watch: alerts.watch_feed(),
        after,
        ready: VecDeque::new(),
        allowed: HashMap::new(),
    };
    // The stream ends when the credential it was opened with does.
    let stream = futures::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// How often an idle feed looks whether its credential still holds.
const RECHECK: Duration = Duration::from_secs(2);

/// One caller's position in the live feed.
struct Feed {
    state: ApiState,
    actor: Actor,
    /// The session or token the feed was opened with, and when it was last seen to hold.
    credential: i64,
    checked: tokio::time::Instant,
    watch: tokio::sync::watch::Receiver<i64>,
    after: i64,
    ready: VecDeque<Event>,
    /// Whether each client seen is in the caller's care, asked once per stream.
    allowed: HashMap<i64, bool>,
}

impl Feed {
    /// The next event for the caller; None once their credential has ended.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(event);
            }
            if self.checked.elapsed() >= RECHECK && !self.still_signed_in().await {
                return None;
            }
            match records::feed_after(&self.state.store, self.after, 200).await {
                Ok(batch) if !batch.is_empty() => {
                    // Nothing goes out after the session ended: look right before a batch.
                    if !self.still_signed_in().await {
                        return None;
                    }
                    let mut shown = Vec::with_capacity(batch.len());
                    for (event, alert) in batch {
                        self.after = event.id;
                        if self.may_see(alert.client_id).await {
                            shown.push((event, alert));
                        }
                    }
                    let (events, alerts): (Vec<_>, Vec<_>) = shown.into_iter().unzip();
                    let alerts = match named(&self.state, alerts).await {
                        Ok(alerts) => alerts,
                        // Read again from the same place after a second.
                        Err(error) => {
                            tracing::warn!(?error, "naming the feed's alerts");
                            self.after = events.first().map_or(self.after, |e| e.id - 1);
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            continue;
                        }
                    };
                    for (event, alert) in events.into_iter().zip(alerts) {
                        let data = serde_json::json!({ "event": event, "alert": alert });
                        self.ready.push_back(
                            Event::default()
                                .id(event.id.to_string())
                                .event(event.action.as_str())
                                .data(data.to_string()),
                        );
                    }
                    continue;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "reading the alert feed"),
            }
            // Nothing new: wait for a commit, or look again in a second (another process).
            let _ = tokio::time::timeout(Duration::from_secs(1), self.watch.changed()).await;
        }
    }

    /// Whether the feed's credential still holds (not signed out, revoked, expired or idle, the
    /// user not disabled) and the user is who they were when it opened: same role, unit and
    /// court, so the same care. A failed look ends the feed too; the console opens it again.
    async fn still_signed_in(&mut self) -> bool {
        self.checked = tokio::time::Instant::now();
        match self.state.cases.live_credential(self.credential).await {
            Ok(Some(user)) => {
                let same = Some(user.role) == self.actor.role
                    && user.unit_id == self.actor.unit_id
                    && user.court == self.actor.court;
                if !same {
                    tracing::info!(
                        credential = self.credential,
                        user_id = user.id,
                        "the feed's user changed: ending it"
                    );
                }
                same
            }
            Ok(None) => {
                tracing::info!(
                    credential = self.credential,
                    "the feed's credential ended: ending it"
                );
                false
            }
            Err(error) => {
                tracing::warn!(%error, credential = self.credential, "checking the feed's credential");
                false
            }
        }
    }

    async fn may_see(&mut self, client: i64) -> bool {
        if let Some(known) = self.allowed.get(&client) {
            return *known;
        }
        let ok = access::client_by_id(&self.state, &self.actor, client)
            .await
            .is_ok();
        self.allowed.insert(client, ok);
        ok
    }
}
