//! Alerts from episodes the judge stored, on both backends: one alert per breach, routed to
//! the officer, escalated to the supervisor and then the duty lead when left unacknowledged,
//! stopped by acknowledgement, resolved with a note and a code, continued (not raised again)
//! when the order changes under a breach that goes on, and nothing lost or raised twice after
//! a restart.

#[path = "../../judge/tests/common/mod.rs"]
mod common;
mod support;

use std::sync::Arc;
use std::time::Duration;

use alerts::actions::Request;
use alerts::lifecycle::{AlertAction, AlertState, Resolution};
use alerts::records;
use alerts::{Alerts, AlertsError, AlertsOptions, JudgeFollower};
use cases::{Actor, Role};
use common::*;
use judge::EpisodeState;
use rules::{BreachKind, Severity, Span};
use store::ManualClock;
use store::Store;
use store::testing::test_databases;
use support::*;

#[tokio::test]
async fn breaches_become_alerts_that_escalate_until_acknowledged() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let supervisor = user(&w, "supervisor", Role::Supervisor).await;
        let lead = user(&w, "duty.lead", Role::Operator).await;
        let clock = clock();
        let judge = start(&store, &clock).await;
        let alerts = start_alerts(&w, &clock).await;
        let officer = w.cases.user(w.officer).await.expect("officer");
        let actor = Actor::user(&officer, "test");
        for (id, address) in [
            (w.officer, "ilze@vpd.example"),
            (supervisor.id, "sup@vpd.example"),
            (lead.id, "lead@vpd.example"),
        ] {
            alerts
                .set_contacts(&sys(), id, &[email(address)])
                .await
                .expect("contacts");
        }

        write(&w.telemetry, &evening()).await;
        judge.catch_up().await.expect("judged");
        let now = at("2026-11-02T21:31:00Z");
        clock.set(now);
        alerts.catch_up().await.expect("taken");

        let episodes = stored(&w).await;
        let raised = all(&store).await;
        assert!(!raised.is_empty(), "{}", db.name);
        // Every episode carries exactly one alert.
        let linked = linked(&store, &raised).await;
        assert_eq!(linked, episodes.len(), "{}: {episodes:#?}", db.name);
        let zone = raised
            .iter()
            .find(|a| a.kind == BreachKind::ExclusionZoneEntered)
            .expect("the zone's alert");
        assert_eq!(
            (zone.state, zone.severity, zone.level, zone.officer_id),
            (AlertState::Open, Severity::Critical, 0, Some(w.officer))
        );
        assert_eq!(zone.escalate_at, Some(now.saturating_add(Span::minutes(5))));
        // Told to the officer alone.
        assert_eq!(
            sent_to(&store, zone.id).await,
            [("email".into(), Some(w.officer), "ilze@vpd.example".into())]
        );
        let curfew = raised
            .iter()
            .find(|a| a.kind == BreachKind::LateArrival)
            .expect("the curfew's alert");
        assert_eq!(curfew.severity, Severity::High);

        // Five minutes unacknowledged: the supervisor; five more: the duty lead; then no more.
        clock.set(now.saturating_add(Span::minutes(5)));
        alerts.catch_up().await.expect("escalated");
        clock.set(now.saturating_add(Span::minutes(10)));
        alerts.catch_up().await.expect("escalated");
        clock.set(now.saturating_add(Span::minutes(60)));
        alerts.catch_up().await.expect("escalated");
        let zone = records::alert(&store, zone.id).await.expect("alert");
        assert_eq!((zone.level, zone.escalate_at), (2, None));
        assert_eq!(
            actions(&records::events(&store, zone.id).await.expect("events")),
            [
                AlertAction::Raised,
                AlertAction::Escalated,
                AlertAction::Escalated
            ]
        );
        assert_eq!(
            sent_to(&store, zone.id).await,
            [
                ("email".into(), Some(w.officer), "ilze@vpd.example".into()),
                (
                    "email".into(),
                    Some(supervisor.id),
                    "sup@vpd.example".into()
                ),
                ("email".into(), Some(lead.id), "lead@vpd.example".into()),
            ]
        );
        // No e-mail channel is configured: each is given up at once, with the reason shown.
        let deliveries = records::deliveries(&store, zone.id)
            .await
            .expect("deliveries");
        assert!(
            deliveries.iter().all(|d| d.state == "given_up"
                && d.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("not configured"))),
            "{deliveries:#?}"
        );

        // The curfew alert (high: 15 minutes) was acknowledged in time? No: an hour passed, so
        // it reached the top too. Acknowledge and resolve it.
        let curfew_id = curfew.id;
        let (acked, event) = alerts
            .act(&actor, curfew_id, Request::Acknowledge, "calling him")
            .await
            .expect("acknowledged");
        assert_eq!(
            (acked.state, acked.escalate_at),
            (AlertState::Acknowledged, None)
        );
        assert_eq!(
            (event.actor_id, event.note.as_str()),
            (Some(w.officer), "calling him")
        );
        // Resolving needs a note; a resolved alert is final.
        let refused = alerts
            .act(
                &actor,
                curfew_id,
                Request::Resolve(Resolution::ReasonableExcuse),
                " ",
            )
            .await;
        assert!(
            matches!(refused, Err(AlertsError::Transition(_))),
            "{refused:?}"
        );
        let (resolved, _) = alerts
            .act(
                &actor,
                curfew_id,
                Request::Resolve(Resolution::ReasonableExcuse),
                "bus broke down; ticket seen",
            )
            .await
            .expect("resolved");
        assert_eq!(
            (resolved.state, resolved.resolution),
            (AlertState::Resolved, Some(Resolution::ReasonableExcuse))
        );
        let again = alerts
            .act(&actor, curfew_id, Request::Acknowledge, "")
            .await;
        assert!(
            matches!(again, Err(AlertsError::Transition(_))),
            "{again:?}"
        );
        let history = records::events(&store, curfew_id).await.expect("events");
        assert_eq!(
            history.last().map(|e| (e.action, e.resolution)),
            Some((AlertAction::Resolved, Some(Resolution::ReasonableExcuse)))
        );
        // Every change by a person is in the audit log too.
        let audit = w.cases.audit_entries(0, 1000).await.expect("audit");
        assert!(
            audit
                .iter()
                .any(|e| e.subject == format!("alert/{curfew_id}") && e.detail == "resolved"),
            "{}",
            db.name
        );

        // A restart: nothing raised again, nothing escalated again. (The judge stops first:
        // hours without a fix would be a new breach, communication lost.)
        judge.shutdown().await;
        alerts.catch_up().await.expect("taken");
        let before = all(&store).await;
        let events_before = records::last_event(&store).await.expect("last");
        alerts.shutdown().await;
        // (At the same instant: an alert whose escalation falls due later escalates then.)
        let alerts = start_alerts(&w, &clock).await;
        alerts.catch_up().await.expect("taken");
        assert_eq!(all(&store).await, before, "{}", db.name);
        assert_eq!(
            records::last_event(&store).await.expect("last"),
            events_before
        );
        alerts.shutdown().await;
    }
}

/// With the judge's follower, the alerts are raised in the judge's own step: stored and on
/// the feed once the judge has caught up, before the alerts' own loop has looked (it only
/// moves on `catch_up` here), and that loop then finds nothing left to raise.
#[tokio::test]
async fn the_judges_step_raises_the_alerts_in_its_own_transaction() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let follower = Arc::new(JudgeFollower::default());
        let judge = start_followed(&store, &clock, Some(follower.clone())).await;
        let alerts = start_alerts_following(&w, &clock, Some(follower)).await;
        let mut feed = alerts.watch_feed();
        let before = *feed.borrow_and_update();

        write(&w.telemetry, &evening()).await;
        judge.catch_up().await.expect("judged");

        let episodes = stored(&w).await;
        let raised = all(&store).await;
        assert_eq!(raised.len(), episodes.len(), "{}: {raised:#?}", db.name);
        for a in &raised {
            let history = records::events(&store, a.id).await.expect("events");
            assert_eq!(actions(&history)[0], AlertAction::Raised, "{}", db.name);
        }
        assert_eq!(linked(&store, &raised).await, episodes.len(), "{}", db.name);
        assert!(
            *feed.borrow_and_update() > before,
            "{}: the feed heard",
            db.name
        );
        let taken = judge::records::last_change(&store).await.expect("log");
        let (row,): (i64,) = sqlx::query_as("SELECT episode_row FROM alerts_cursor WHERE id = 1")
            .fetch_one(store.pool())
            .await
            .expect("cursor");
        assert_eq!(
            row, taken,
            "{}: the alerts' cursor moved with the step",
            db.name
        );

        alerts.catch_up().await.expect("taken");
        assert_eq!(all(&store).await.len(), raised.len(), "{}", db.name);
        alerts.shutdown().await;
        judge.shutdown().await;
    }
}

#[tokio::test]
async fn acknowledging_in_time_stops_the_escalation() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let judge = start(&store, &clock).await;
        let alerts = start_alerts(&w, &clock).await;
        let officer = w.cases.user(w.officer).await.expect("officer");
        let mut rows = walk(1, "2026-11-02T17:00:00Z", 20, Place::Home);
        rows.extend(walk(21, "2026-11-02T17:20:00Z", 10, Place::OldTown));
        write(&w.telemetry, &rows).await;
        judge.catch_up().await.expect("judged");
        let now = at("2026-11-02T17:30:00Z");
        clock.set(now);
        alerts.catch_up().await.expect("taken");
        let zone = all(&store).await.remove(0);
        clock.set(now.saturating_add(Span::minutes(4)));
        alerts
            .act(
                &Actor::user(&officer, "test"),
                zone.id,
                Request::Acknowledge,
                "",
            )
            .await
            .expect("acknowledged");
        clock.set(now.saturating_add(Span::minutes(30)));
        alerts.catch_up().await.expect("taken");
        let zone = records::alert(&store, zone.id).await.expect("alert");
        assert_eq!(
            (zone.level, zone.state),
            (0, AlertState::Acknowledged),
            "{}",
            db.name
        );
        alerts.shutdown().await;
        judge.shutdown().await;
    }
}

#[tokio::test]
async fn a_changed_order_under_a_breach_continues_its_alert() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let judge = start(&store, &clock).await;
        let alerts = start_alerts(&w, &clock).await;

        let mut before = walk(1, "2026-11-02T17:00:00Z", 20, Place::Home);
        before.extend(walk(21, "2026-11-02T17:20:00Z", 10, Place::OldTown));
        write(&w.telemetry, &before).await;
        judge.catch_up().await.expect("judged");
        clock.set(at("2026-11-02T17:30:00Z"));
        alerts.catch_up().await.expect("taken");
        let first = all(&store).await;
        assert_eq!(first.len(), 1, "{}: {first:#?}", db.name);

        // The curfew is varied while the client is still in the zone.
        w.cases
            .vary_order(&sys(), w.order, &terms("20:00"), "court decision", None)
            .await
            .expect("varied");
        judge.policy_changed(w.order);
        judge.catch_up().await.expect("judged");
        write(
            &w.telemetry,
            &walk(31, "2026-11-02T17:31:00Z", 10, Place::OldTown),
        )
        .await;
        judge.catch_up().await.expect("judged");
        clock.set(at("2026-11-02T17:42:00Z"));
        alerts.catch_up().await.expect("taken");

        let episodes = stored(&w).await;
        assert!(
            episodes.iter().any(|e| e.state == EpisodeState::Superseded),
            "{}: {episodes:#?}",
            db.name
        );
        let after = all(&store).await;
        assert_eq!(
            after.len(),
            1,
            "{}: one alert, continued: {after:#?}",
            db.name
        );
        assert_eq!(
            records::episodes_of(&store, after[0].id)
                .await
                .expect("episodes")
                .len(),
            2
        );
        let history = actions(&records::events(&store, after[0].id).await.expect("events"));
        assert!(history.contains(&AlertAction::Continued), "{history:?}");
        alerts.shutdown().await;
        judge.shutdown().await;
    }
}

/// The wearer's reminders: (address, key, payload, state) of every outbox row of no alert.
async fn reminders(store: &Store) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT address, idempotency_key, payload FROM outbox
         WHERE alert_id IS NULL AND channel = 'wearer' ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .expect("outbox")
}

#[tokio::test]
async fn the_wearer_is_reminded_once_before_each_curfew() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        // Monday 2 November, 21:40 in Riga; the curfew starts at 22:00 (20:00 UTC).
        let clock = ManualClock::new(at("2026-11-02T19:40:00Z"));
        let alerts = start_alerts(&w, &clock).await;
        alerts.catch_up().await.expect("looked");
        assert_eq!(reminders(&store).await, [], "{}: 20 minutes ahead", db.name);
        clock.set(at("2026-11-02T19:46:00Z"));
        alerts.catch_up().await.expect("looked");
        let told = reminders(&store).await;
        assert_eq!(told.len(), 1, "{}: {told:?}", db.name);
        assert_eq!(told[0].0, TAG.to_string());
        let payload: serde_json::Value = serde_json::from_str(&told[0].2).expect("JSON");
        assert_eq!(payload, serde_json::json!({ "pattern": 3, "message": 3 }));
        clock.set(at("2026-11-02T19:50:00Z"));
        alerts.catch_up().await.expect("looked");
        alerts.shutdown().await;
        // After a restart: not again.
        clock.set(at("2026-11-02T19:52:00Z"));
        let alerts = start_alerts(&w, &clock).await;
        alerts.catch_up().await.expect("looked");
        assert_eq!(reminders(&store).await, told, "{}", db.name);
        // The next night's, on Monday 9 November (the timetable is Mondays only): a week
        // later, nothing is owed for the nights between, and it comes 15 minutes ahead.
        clock.set(at("2026-11-09T19:44:00Z"));
        alerts.catch_up().await.expect("looked");
        assert_eq!(reminders(&store).await.len(), 1, "{}", db.name);
        clock.set(at("2026-11-09T19:46:00Z"));
        alerts.catch_up().await.expect("looked");
        let next = reminders(&store).await;
        assert_eq!(next.len(), 2, "{}: {next:?}", db.name);
        alerts.shutdown().await;
    }
}

#[tokio::test]
async fn a_chosen_kind_also_tells_the_wearer_through_the_tag() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let clock = clock();
        let judge = start(&store, &clock).await;
        let config = alerts::AlertsConfig {
            wearer: [(
                BreachKind::ExclusionZoneEntered,
                alerts::config::WearerNotice {
                    pattern: 1,
                    message: 9,
                },
            )]
            .into(),
            curfew_reminder: None,
            ..alerts::AlertsConfig::default()
        };
        let alerts = Alerts::start(
            store.clone(),
            w.cases.clone(),
            AlertsOptions {
                config,
                clock: Arc::new(clock.clone()),
                tick_every: Duration::from_secs(3600),
                ..AlertsOptions::default()
            },
        )
        .await
        .expect("alerts");
        let mut rows = walk(1, "2026-11-02T17:00:00Z", 20, Place::Home);
        rows.extend(walk(21, "2026-11-02T17:20:00Z", 10, Place::OldTown));
        write(&w.telemetry, &rows).await;
        judge.catch_up().await.expect("judged");
        clock.set(at("2026-11-02T17:30:00Z"));
        alerts.catch_up().await.expect("taken");
        let zone = all(&store).await.remove(0);
        let told: Vec<(String, String)> = records::deliveries(&store, zone.id)
            .await
            .expect("deliveries")
            .into_iter()
            .map(|d| (d.channel, d.address))
            .collect();
        assert_eq!(told, [("wearer".into(), TAG.to_string())], "{}", db.name);
        let (payload,): (String,) =
            sqlx::query_as("SELECT payload FROM outbox WHERE channel = 'wearer'")
                .fetch_one(store.pool())
                .await
                .expect("outbox");
        assert_eq!(payload, r#"{"message":9,"pattern":1}"#, "{}", db.name);
        alerts.shutdown().await;
        judge.shutdown().await;
    }
}
