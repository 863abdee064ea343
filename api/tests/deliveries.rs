//! An alert's deliveries through the API, on both backends: sent and failed (why, as a reason
//! the console words, and the technical detail apart; a failure stored before reasons were is
//! `other`), to whom (the recipient's display name and channel), never a URL (a webhook's may
//! carry a token); for whoever may read the alert, like the alert itself; audited.

mod common;

use alerts::channels::FailureReason;
use alerts::lifecycle::AlertState;
use alerts::testing::seed::{SeedAlert, SeedDelivery, seed_alert, seed_delivery};
use common::*;
use reqwest::Method;
use rules::{BreachKind, Severity, Timestamp};
use serde_json::{Value, json};
use store::testing::test_databases;

const AT: i64 = 1_764_979_200_000;

#[tokio::test]
async fn deliveries_say_to_whom_and_how_it_went() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let (status, _) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &format!("/api/v1/users/{}", w.users["officer.a"]),
                Some(json!({ "display_name": "Līga Bērziņa" })),
            )
            .await;
        assert_eq!(status, 200);
        let id = seed_alert(
            &w.store,
            &SeedAlert {
                client_id: w.client,
                order_id: w.order,
                kind: BreachKind::StrapOpened,
                severity: Severity::Critical,
                state: AlertState::Open,
                raised: Timestamp(AT),
            },
        )
        .await
        .expect("alert");
        let officer = w.users["officer.a"];
        for d in [
            SeedDelivery {
                alert_id: id,
                channel: "email",
                user_id: Some(officer),
                address: "liga@example.lv",
                state: "sent",
                failure: None,
                last_error: None,
                at: Timestamp(AT),
            },
            SeedDelivery {
                alert_id: id,
                channel: "sms",
                user_id: Some(officer),
                address: "+37120000001",
                state: "given_up",
                failure: Some(FailureReason::RejectedByServer { code: 400 }),
                last_error: Some("HTTP 400 Bad Request"),
                at: Timestamp(AT),
            },
            SeedDelivery {
                alert_id: id,
                channel: "webhook",
                user_id: None,
                address: "",
                state: "pending",
                failure: Some(FailureReason::TimedOut),
                last_error: Some(
                    "error sending request for url (https://centre.example/hook?key=s3cret)",
                ),
                at: Timestamp(AT),
            },
            // Given up before reasons were stored: its text alone.
            SeedDelivery {
                alert_id: id,
                channel: "email",
                user_id: Some(officer),
                address: "liga.berzina@example.lv",
                state: "given_up",
                failure: None,
                last_error: Some("permanent failure: 550 no such mailbox"),
                at: Timestamp(AT),
            },
        ] {
            seed_delivery(&w.store, &d).await.expect("delivery");
        }
        let path = format!("/api/v1/alerts/{id}/deliveries");
        let (status, shown) = w.call(Some("operator"), Method::GET, &path, None).await;
        assert_eq!(status, 200, "{name}: {shown}");
        let rows = shown.as_array().expect("a list");
        assert_eq!(rows.len(), 4, "{name}: {shown}");
        let pick = |i: usize, f: &str| rows[i][f].clone();
        assert_eq!(
            (
                pick(0, "channel"),
                pick(0, "recipient"),
                pick(0, "address"),
                pick(0, "state")
            ),
            (
                json!("email"),
                json!("Līga Bērziņa"),
                json!("liga@example.lv"),
                json!("sent")
            ),
            "{name}"
        );
        assert_eq!(
            (pick(0, "failure"), pick(0, "technical_detail")),
            (Value::Null, Value::Null),
            "{name}"
        );
        assert_eq!(
            (
                pick(1, "state"),
                pick(1, "failure"),
                pick(1, "technical_detail")
            ),
            (
                json!("given_up"),
                json!({"reason": "rejected_by_server", "code": 400}),
                json!("HTTP 400 Bad Request")
            ),
            "{name}"
        );
        assert_eq!(
            (pick(2, "channel"), pick(2, "recipient"), pick(2, "address")),
            (json!("webhook"), Value::Null, Value::Null),
            "{name}"
        );
        assert_eq!(
            (pick(2, "failure"), pick(2, "technical_detail")),
            (
                json!({"reason": "timed_out"}),
                json!("error sending request for url [url]")
            ),
            "{name}"
        );
        assert_eq!(
            (pick(3, "failure"), pick(3, "technical_detail")),
            (
                json!({"reason": "other"}),
                json!("permanent failure: 550 no such mailbox")
            ),
            "{name}"
        );
        let text = shown.to_string();
        assert!(
            !text.contains("s3cret") && !text.contains("centre.example"),
            "{name}: {text}"
        );
        assert!(
            !text.contains("password") && !text.contains("payload"),
            "{name}: {text}"
        );
        // The alert's detail shows the same.
        let (_, detail) = w
            .call(
                Some("operator"),
                Method::GET,
                &format!("/api/v1/alerts/{id}"),
                None,
            )
            .await;
        assert_eq!(detail["deliveries"], shown, "{name}");

        // As the alert itself: the officer whose client it is and the centre; not another
        // officer, a technician, an unknown alert.
        let (status, _) = w.call(Some("officer.a"), Method::GET, &path, None).await;
        assert_eq!(status, 200, "{name}");
        for user in [
            "officer.b",
            "technician",
            "supervisor.liepaja",
            "court.riga",
        ] {
            let (status, answer) = w.call(Some(user), Method::GET, &path, None).await;
            assert_eq!(status, 403, "{name}: {user}: {answer}");
        }
        for bad in ["999999", "abc", "-1", "1.5", "99999999999999999999"] {
            let (status, answer) = w
                .call(
                    Some("operator"),
                    Method::GET,
                    &format!("/api/v1/alerts/{bad}/deliveries"),
                    None,
                )
                .await;
            assert_eq!(status, 404, "{name}: {bad}: {answer}");
        }
        let (status, _) = w.call(None, Method::GET, &path, None).await;
        assert_eq!(status, 401, "{name}");

        // The read is in the audit log.
        let (_, audit) = w
            .call(Some("admin"), Method::GET, "/api/v1/audit?limit=500", None)
            .await;
        assert!(
            audit
                .to_string()
                .contains(&format!("alert/{id}/deliveries")),
            "{name}: {audit}"
        );
    }
}
