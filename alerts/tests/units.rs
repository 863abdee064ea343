//! A unit's own alert settings followed, on both backends: its escalation time replaces the
//! service's for its alerts (a severity it does not name does not escalate), an alert left
//! unacknowledged escalates by itself at that time to its supervisors and its escalation
//! contact, and its people are told on the unit's channels only. Wrong settings are refused,
//! each field named, and nothing is kept.

#[path = "../../judge/tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeMap;

use alerts::AlertsError;
use alerts::notify::{Contact, PersonChannel};
use alerts::records;
use alerts::units::{SettingsSource, UnitAlerting};
use cases::Role;
use common::*;
use rules::{BreachKind, Severity, Span};
use store::Store;
use store::testing::test_databases;
use support::*;

fn sms(number: &str) -> Contact {
    Contact {
        channel: PersonChannel::Sms,
        address: number.into(),
        min_severity: Severity::Low,
        enabled: true,
    }
}

#[tokio::test]
async fn a_units_time_contacts_and_channels_are_followed() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store.clone()).await;
        let supervisor = user(&w, "supervisor", Role::Supervisor).await;
        let contact = user(&w, "duty.officer", Role::Operator).await;
        let clock = clock();
        let judge = start(&store, &clock).await;
        let alerts = start_alerts(&w, &clock).await;
        for (id, mail, phone) in [
            (w.officer, "ilze@vpd.example", "+37120000001"),
            (supervisor.id, "sup@vpd.example", "+37120000002"),
            (contact.id, "duty@vpd.example", "+37120000003"),
        ] {
            alerts
                .set_contacts(&sys(), id, &[email(mail), sms(phone)])
                .await
                .expect("contacts");
        }
        let unit = supervisor.unit_id.expect("the officer's unit");
        assert_eq!(
            alerts.unit_settings(unit).await.expect("read").source,
            SettingsSource::Service,
            "{}",
            db.name
        );

        // Wrong settings: each field named; nothing kept.
        let wrong = UnitAlerting {
            channels: vec![PersonChannel::Email],
            escalation_contacts: vec![contact.id, 999_999],
            escalate_after: BTreeMap::from([(Severity::Critical, 0)]),
        };
        match alerts.set_unit_settings(&sys(), unit, &wrong).await {
            Err(AlertsError::Fields(fields)) => assert_eq!(
                fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
                ["escalate_after.critical"],
                "{}",
                db.name
            ),
            other => panic!("{}: {other:?}", db.name),
        }
        let unknown = UnitAlerting {
            escalate_after: BTreeMap::from([(Severity::Critical, 120)]),
            ..wrong
        };
        match alerts.set_unit_settings(&sys(), unit, &unknown).await {
            Err(AlertsError::Fields(fields)) => {
                assert_eq!(fields[0].field, "escalation_contacts[1]", "{}", db.name)
            }
            other => panic!("{}: {other:?}", db.name),
        }
        assert_eq!(
            alerts.unit_settings(unit).await.expect("read").source,
            SettingsSource::Service,
            "{}: nothing kept",
            db.name
        );

        // E-mail only, the duty officer besides the supervisor, critical after 2 minutes.
        let settings = UnitAlerting {
            channels: vec![PersonChannel::Email],
            escalation_contacts: vec![contact.id],
            escalate_after: BTreeMap::from([(Severity::Critical, 120)]),
        };
        alerts
            .set_unit_settings(&sys(), unit, &settings)
            .await
            .expect("kept");
        let shown = alerts.unit_settings(unit).await.expect("read");
        assert_eq!(
            (shown.source, shown.settings),
            (SettingsSource::Unit, settings)
        );

        write(&w.telemetry, &evening()).await;
        judge.catch_up().await.expect("judged");
        let now = at("2026-11-02T21:31:00Z");
        clock.set(now);
        alerts.catch_up().await.expect("taken");
        let raised = all(&store).await;
        let zone = raised
            .iter()
            .find(|a| a.kind == BreachKind::ExclusionZoneEntered)
            .expect("the zone's alert");
        assert_eq!(
            zone.escalate_at,
            Some(now.saturating_add(Span::minutes(2))),
            "{}: the unit's two minutes, not the service's five",
            db.name
        );
        // High is not named by the unit: its alert does not escalate.
        let curfew = raised
            .iter()
            .find(|a| a.kind == BreachKind::LateArrival)
            .expect("the curfew's alert");
        assert_eq!(
            (curfew.severity, curfew.escalate_at),
            (Severity::High, None)
        );
        // The officer by e-mail only: the unit takes no SMS.
        assert_eq!(
            sent_to(&store, zone.id).await,
            [("email".into(), Some(w.officer), "ilze@vpd.example".into())],
            "{}",
            db.name
        );

        // Two minutes unacknowledged: escalated by itself, to the supervisor and the contact.
        clock.set(now.saturating_add(Span::minutes(2)));
        alerts.catch_up().await.expect("escalated");
        let zone = records::alert(&store, zone.id).await.expect("alert");
        assert_eq!(
            (zone.level, zone.escalate_at),
            (1, Some(now.saturating_add(Span::minutes(4)))),
            "{}",
            db.name
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
                ("email".into(), Some(contact.id), "duty@vpd.example".into()),
            ],
            "{}",
            db.name
        );
        alerts.shutdown().await;
        judge.shutdown().await;
    }
}
