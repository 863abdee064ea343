//! What the alerts' tests share: a user of the world's unit, an e-mail contact, the alerts
//! started on a test clock (with a duty lead), and the alerts and notifications as stored.
// Each test crate uses some of it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use alerts::lifecycle::AlertAction;
use alerts::notify::{Contact, PersonChannel};
use alerts::records::{self, AlertFilter};
use alerts::{Alerts, AlertsOptions, JudgeFollower};
use cases::{Actor, NewUser, Role};
use rules::Severity;
use store::ManualClock;
use store::Store;

use crate::common::World;

pub fn sys() -> Actor {
    Actor::system("alerts test")
}

pub async fn user(w: &World, name: &str, role: Role) -> cases::User {
    let officer = w.cases.user(w.officer).await.expect("officer");
    w.cases
        .create_user(
            &sys(),
            &NewUser {
                username: name.into(),
                display_name: name.into(),
                role,
                unit_id: officer.unit_id,
                court: None,
                password: "correct horse battery".into(),
            },
        )
        .await
        .expect("user")
}

pub fn email(address: &str) -> Contact {
    Contact {
        channel: PersonChannel::Email,
        address: address.into(),
        min_severity: Severity::Medium,
        enabled: true,
    }
}

pub async fn start_alerts(w: &World, clock: &ManualClock) -> Alerts {
    start_alerts_following(w, clock, None).await
}

/// As [`start_alerts`], joining the judge's follower if given.
pub async fn start_alerts_following(
    w: &World,
    clock: &ManualClock,
    follower: Option<Arc<JudgeFollower>>,
) -> Alerts {
    let config = alerts::AlertsConfig {
        duty_leads: vec!["duty.lead".into()],
        ..alerts::AlertsConfig::default()
    };
    Alerts::start(
        w.store.clone(),
        w.cases.clone(),
        AlertsOptions {
            config,
            clock: Arc::new(clock.clone()),
            // Only `catch_up` moves them, so that each step sees the time the test set.
            tick_every: Duration::from_secs(3600),
            follower,
            ..AlertsOptions::default()
        },
    )
    .await
    .expect("alerts start")
}

pub async fn all(store: &Store) -> Vec<records::Alert> {
    let mut a = records::list(store, &AlertFilter::default(), None, 100)
        .await
        .expect("list");
    a.sort_by_key(|a| a.id);
    a
}

/// How many episodes the alerts carry between them.
pub async fn linked(store: &Store, alerts: &[records::Alert]) -> usize {
    let mut linked = 0;
    for a in alerts {
        linked += records::episodes_of(store, a.id)
            .await
            .expect("episodes")
            .len();
    }
    linked
}

/// (channel, user, address) of every notification of an alert, in order.
pub async fn sent_to(store: &Store, alert: i64) -> Vec<(String, Option<i64>, String)> {
    records::deliveries(store, alert)
        .await
        .expect("deliveries")
        .into_iter()
        .map(|d| (d.channel, d.user_id, d.address))
        .collect()
}

pub fn actions(events: &[records::AlertEvent]) -> Vec<AlertAction> {
    events.iter().map(|e| e.action).collect()
}
