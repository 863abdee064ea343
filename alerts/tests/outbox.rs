//! The outbox against real receivers (the test SMTP server, the test HTTP receiver), on both
//! backends: a dead or refusing mail server never holds the webhook back; a temporary refusal
//! is tried again after its delay and then delivered; a permanent one, or too many temporary
//! ones, is given up with the reason on the alert: typed, for people (refused with the
//! server's code, refused connection, timed out, channel not configured), and in the error's
//! own words.

#[path = "../../judge/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alerts::channels::{
    Channel, EmailChannel, EmailConfig, FailureReason, WebhookChannel, WebhookConfig,
};
use alerts::notify::{Contact, PersonChannel};
use alerts::outbox::Sink;
use alerts::records::{self, AlertFilter, Delivery};
use alerts::testing::{RcptReply, TestHttpServer, TestSmtpServer};
use alerts::{Alerts, AlertsConfig, AlertsOptions};
use cases::Actor;
use common::*;
use rules::Span;
use store::Store;
use store::testing::test_databases;
use store::{Clock, ManualClock};

async fn start_alerts(w: &World, clock: &ManualClock, smtp: &str, hook: &str, max: u32) -> Alerts {
    let email = EmailChannel::new(EmailConfig {
        smtp: smtp.into(),
        from: "sargs@vpd.example".into(),
        username: None,
        password: None,
    })
    .expect("e-mail");
    let webhook = WebhookChannel::new(WebhookConfig {
        url: hook.into(),
        secret: "a secret of some length".into(),
    })
    .expect("webhook")
    // Generous for a receiver on this machine, short for one that never answers.
    .with_timeout(Duration::from_secs(3));
    let sinks: BTreeMap<&'static str, Arc<dyn Sink>> = BTreeMap::from([
        ("email", Arc::new(Channel::Email(email)) as Arc<dyn Sink>),
        (
            "webhook",
            Arc::new(Channel::Webhook(webhook)) as Arc<dyn Sink>,
        ),
    ]);
    Alerts::start(
        w.store.clone(),
        w.cases.clone(),
        AlertsOptions {
            config: AlertsConfig {
                max_attempts: max,
                ..AlertsConfig::default()
            },
            clock: Arc::new(clock.clone()),
            sinks,
            tick_every: Duration::from_secs(3600),
            ..AlertsOptions::default()
        },
    )
    .await
    .expect("alerts")
}

/// The officer's e-mail, or their phone.
fn contact(channel: PersonChannel, address: &str) -> Contact {
    Contact {
        channel,
        address: address.into(),
        min_severity: rules::Severity::High,
        enabled: true,
    }
}

/// The zone breach of the evening, raised, with the officer's e-mail on file.
async fn raise(w: &World, clock: &ManualClock, alerts: &Alerts) -> i64 {
    raise_to(
        w,
        clock,
        alerts,
        &[contact(PersonChannel::Email, "ilze@vpd.example")],
    )
    .await
}

/// The zone breach of the evening, raised, with these contacts of the officer on file.
async fn raise_to(w: &World, clock: &ManualClock, alerts: &Alerts, contacts: &[Contact]) -> i64 {
    alerts
        .set_contacts(&Actor::system("test"), w.officer, contacts)
        .await
        .expect("contacts");
    let judge = start(&w.store, clock).await;
    let mut rows = walk(1, "2026-11-02T17:00:00Z", 20, Place::Home);
    rows.extend(walk(21, "2026-11-02T17:20:00Z", 10, Place::OldTown));
    write(&w.telemetry, &rows).await;
    judge.catch_up().await.expect("judged");
    judge.shutdown().await;
    clock.set(at("2026-11-02T17:30:00Z"));
    alerts.catch_up().await.expect("taken");
    let found = records::list(&w.store, &AlertFilter::default(), None, 10)
        .await
        .expect("alerts");
    assert_eq!(found.len(), 1, "{found:#?}");
    found[0].id
}

/// The alert's deliveries by channel, once `ready` holds of them.
async fn deliveries(
    store: &Store,
    alert: i64,
    ready: impl Fn(&Delivery, &Delivery) -> bool,
) -> (Delivery, Delivery) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let all = records::deliveries(store, alert).await.expect("deliveries");
        let find = |c: &str| all.iter().find(|d| d.channel == c).cloned();
        if let (Some(email), Some(hook)) = (find("email"), find("webhook"))
            && ready(&email, &hook)
        {
            return (email, hook);
        }
        assert!(Instant::now() < deadline, "{all:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_refusing_mail_server_is_tried_again_and_never_holds_the_webhook() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let smtp = TestSmtpServer::start().await;
        let hooks = TestHttpServer::start().await;
        smtp.set_rcpt_reply(RcptReply::Temporary);
        let alerts = start_alerts(&w, &clock, &smtp.url(), &hooks.url("/h"), 5).await;
        let alert = raise(&w, &clock, &alerts).await;

        // The webhook is delivered; the e-mail waits for its next attempt, 5 s on.
        let (email, hook) =
            deliveries(&store, alert, |e, h| e.attempts == 1 && h.state == "sent").await;
        assert_eq!(email.state, "pending", "{}", db.name);
        assert_eq!(
            email.failure,
            Some(FailureReason::RejectedByServer { code: 451 }),
            "{email:?}"
        );
        assert!(
            email
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("451")),
            "{email:?}"
        );
        assert_eq!(email.next_attempt.0 - clock.now().0, 5_000, "{email:?}");
        assert_eq!(hooks.requests().len(), 1, "{}: {hook:?}", db.name);

        // The server takes mail again; when the delay has passed, it is delivered.
        smtp.set_rcpt_reply(RcptReply::Accept);
        clock.set(clock.now().saturating_add(Span::seconds(6)));
        let (email, _) = deliveries(&store, alert, |e, _| e.state == "sent").await;
        assert_eq!(email.attempts, 2, "{}", db.name);
        assert_eq!(
            (email.failure, email.last_error),
            (None, None),
            "{}",
            db.name
        );
        let mail = smtp.wait_for(1, Duration::from_secs(30)).await;
        assert_eq!(mail.len(), 1, "{}", db.name);
        alerts.shutdown().await;
    }
}

#[tokio::test]
async fn a_permanent_refusal_or_too_many_attempts_is_given_up_with_the_reason() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let smtp = TestSmtpServer::start().await;
        let hooks = TestHttpServer::start().await;
        smtp.set_rcpt_reply(RcptReply::Permanent);
        hooks.set_status(503);
        let alerts = start_alerts(&w, &clock, &smtp.url(), &hooks.url("/h"), 2).await;
        let alert = raise(&w, &clock, &alerts).await;
        let (email, hook) = deliveries(&store, alert, |e, h| {
            e.state == "given_up" && h.attempts == 1
        })
        .await;
        assert_eq!(email.attempts, 1, "{}: {email:?}", db.name);
        assert_eq!(
            email.failure,
            Some(FailureReason::RejectedByServer { code: 550 }),
            "{email:?}"
        );
        assert!(
            email
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("550")),
            "{email:?}"
        );
        assert_eq!(hook.state, "pending", "{}", db.name);
        // The second attempt of the webhook is its last (max-attempts 2).
        clock.set(clock.now().saturating_add(Span::seconds(6)));
        let (_, hook) = deliveries(&store, alert, |_, h| h.state == "given_up").await;
        assert_eq!(hook.attempts, 2, "{}", db.name);
        assert_eq!(
            hook.failure,
            Some(FailureReason::RejectedByServer { code: 503 }),
            "{hook:?}"
        );
        assert!(
            hook.last_error
                .as_deref()
                .is_some_and(|e| e.contains("after 2 attempts")),
            "{hook:?}"
        );
        assert_eq!(hooks.requests().len(), 2, "{}", db.name);
        alerts.shutdown().await;
    }
}

#[tokio::test]
async fn a_dead_server_a_silent_receiver_and_a_missing_channel_are_each_told_apart() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let smtp = TestSmtpServer::start().await;
        let hooks = TestHttpServer::start().await;
        smtp.stop().await;
        hooks.set_delay(Duration::from_secs(30));
        let alerts = start_alerts(&w, &clock, &smtp.url(), &hooks.url("/h"), 1).await;
        // The officer's phone too, though this service has no SMS gateway.
        let alert = raise_to(
            &w,
            &clock,
            &alerts,
            &[
                contact(PersonChannel::Email, "ilze@vpd.example"),
                contact(PersonChannel::Sms, "+37120000001"),
            ],
        )
        .await;
        let (email, hook) = deliveries(&store, alert, |e, h| {
            e.state == "given_up" && h.state == "given_up"
        })
        .await;
        assert_eq!(
            email.failure,
            Some(FailureReason::ConnectionRefused),
            "{}: {email:?}",
            db.name
        );
        assert_eq!(
            hook.failure,
            Some(FailureReason::TimedOut),
            "{}: {hook:?}",
            db.name
        );
        let all = records::deliveries(&store, alert)
            .await
            .expect("deliveries");
        let sms = all.iter().find(|d| d.channel == "sms").expect("an SMS");
        assert_eq!(
            (sms.state.as_str(), sms.failure),
            ("given_up", Some(FailureReason::ChannelNotConfigured)),
            "{}: {sms:?}",
            db.name
        );
        alerts.shutdown().await;
    }
}
