//! Victims across units, on SQLite and PostgreSQL: naming a victim in an order needs the victim
//! in one's care already; only those who care for a victim see or change them; a new device is
//! audited and re-judges the orders that name them; a device must exist; a phone left out of a
//! change is kept, and `null` clears it; the orders protecting a victim are listed, of one's
//! care only.

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

fn order_naming(client: i64, victim: &Value, case: &str) -> Value {
    json!({ "client_id": client, "court": COURT, "case_number": case,
            "terms": terms(victim["id"].as_i64().expect("a victim id")) })
}

#[tokio::test]
async fn a_victim_of_another_unit_cannot_be_named_seen_or_changed() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        // Unit B (Liepāja) registers a victim.
        let body = json!({ "contact_name": "B. L.", "contact_phone": "+371 29999999" });
        let (status, theirs) = w
            .call(
                Some("supervisor.liepaja"),
                Method::POST,
                "/api/v1/victims",
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{name}: {theirs}");
        let path = format!("/api/v1/victims/{}", theirs["id"]);
        for user in ["officer.a", "supervisor.riga"] {
            let order = order_naming(w.client, &theirs, &format!("K-9/{user}"));
            let (status, answer) = w
                .call(Some(user), Method::POST, "/api/v1/orders", Some(order))
                .await;
            assert_eq!(status, 422, "{name} {user}: {answer}");
            assert_eq!(
                answer["fields"][0]["field"], "terms.proximity[0].victim_id",
                "{answer}"
            );
            let (status, _) = w.call(Some(user), Method::GET, &path, None).await;
            assert_eq!(status, 403, "{name} {user}");
            let change = json!({ "contact_phone": "+371 20000001" });
            let (status, _) = w.call(Some(user), Method::PATCH, &path, Some(change)).await;
            assert_eq!(status, 403, "{name} {user}");
        }
        // Varying one's own order to name them is refused the same way.
        let variation = json!({ "terms": terms(theirs["id"].as_i64().expect("id")),
                                "reason": "varied" });
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                &format!("/api/v1/orders/{}/revisions", w.order),
                Some(variation),
            )
            .await;
        assert_eq!(status, 422, "{name}: {answer}");
        let (status, _) = w
            .call(Some("supervisor.liepaja"), Method::GET, &path, None)
            .await;
        assert_eq!(status, 200, "{name}");
        // A victim id that does not exist gets the same answer as one outside one's care.
        let ghost = json!({ "id": 987654 });
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/orders",
                Some(order_naming(w.client, &ghost, "K-10/2026")),
            )
            .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["fields"][0]["reason"], "no such victim in your care");
    }
}

#[tokio::test]
async fn an_officer_registers_and_names_their_own_victim() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let new = |device: u64| json!({ "contact_name": "C. D.", "device_id": device });
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/victims",
                Some(new(424242)),
            )
            .await;
        assert_eq!(status, 422, "{name}: {answer}");
        assert_eq!(answer["fields"][0]["field"], "device_id");
        let elsewhere = json!({ "contact_name": "C. D.", "unit_id": 2 });
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/victims",
                Some(elsewhere),
            )
            .await;
        assert_eq!(status, 403, "{name}: {answer}");
        let (status, mine) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/victims",
                Some(new(9002)),
            )
            .await;
        assert_eq!(status, 201, "{name}: {mine}");
        assert_eq!(mine["registered_by"], w.users["officer.a"]);
        let order = order_naming(w.client, &mine, "K-11/2026");
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/orders",
                Some(order),
            )
            .await;
        assert_eq!(status, 201, "{name}: {answer}");
        let path = format!("/api/v1/victims/{}", mine["id"]);
        for (user, expected) in [
            ("officer.a", 200),
            ("supervisor.riga", 200),
            ("admin", 200),
            ("officer.b", 403),
            ("supervisor.liepaja", 403),
        ] {
            let (status, _) = w.call(Some(user), Method::GET, &path, None).await;
            assert_eq!(status, expected, "{name} {user}");
        }
    }
}

#[tokio::test]
async fn a_victims_new_device_is_audited_and_rejudges_their_orders() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let order_path = format!("/api/v1/orders/{}", w.order);
        let (_, before) = w
            .call(Some("officer.a"), Method::GET, &order_path, None)
            .await;
        let path = format!("/api/v1/victims/{}", w.victim);
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::PATCH,
                &path,
                Some(json!({ "device_id": 424242 })),
            )
            .await;
        assert_eq!(status, 422, "{name}: {answer}");
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::PATCH,
                &path,
                Some(json!({ "device_id": 9002 })),
            )
            .await;
        assert_eq!(status, 200, "{name}: {answer}");
        let (_, after) = w
            .call(Some("officer.a"), Method::GET, &order_path, None)
            .await;
        let revision = after["policy_revision"].as_i64().expect("a revision");
        assert_eq!(
            Some(revision),
            before["policy_revision"].as_i64().map(|r| r + 1),
            "{name}"
        );
        let (_, log) = w
            .call(Some("admin"), Method::GET, "/api/v1/audit?limit=500", None)
            .await;
        let subject = format!("victim/{}", w.victim);
        let audited =
            log.as_array().into_iter().flatten().any(|e| {
                e["subject"] == subject.as_str() && e["detail"] == "device_id 9001 -> 9002"
            });
        assert!(audited, "{name}: {log}");
        // The live judge takes the new revision up.
        let monitoring = format!("{order_path}/monitoring");
        let mut judged = Value::Null;
        for _ in 0..100 {
            judged = w
                .call(Some("officer.a"), Method::GET, &monitoring, None)
                .await
                .1;
            if judged["judged_under"] == revision {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(judged["judged_under"], revision, "{name}: {judged}");
    }
}

/// A change leaves out the phone: kept. Sends `null`: cleared, audited, the rest kept. Sends an
/// empty string: refused, as any phone number that is not one.
#[tokio::test]
async fn a_victims_phone_is_kept_when_left_out_and_cleared_by_null() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let path = format!("/api/v1/victims/{}", w.victim);
        let patch = |body: Value| {
            let (w, path) = (&w, &path);
            async move {
                w.call(Some("officer.a"), Method::PATCH, path, Some(body))
                    .await
            }
        };
        let (status, set) = patch(json!({ "contact_phone": "+371 20000002" })).await;
        assert_eq!(status, 200, "{name}: {set}");
        assert_eq!(set["contact_phone"], "+371 20000002", "{name}");
        let (status, renamed) = patch(json!({ "contact_name": "E. F." })).await;
        assert_eq!(status, 200, "{name}: {renamed}");
        assert_eq!(renamed["contact_phone"], "+371 20000002", "{name}");
        let (status, answer) = patch(json!({ "contact_phone": "" })).await;
        assert_eq!(status, 422, "{name}: {answer}");
        assert_eq!(answer["fields"][0]["field"], "contact_phone", "{name}");

        let (status, cleared) = patch(json!({ "contact_phone": null })).await;
        assert_eq!(status, 200, "{name}: {cleared}");
        assert_eq!(cleared["contact_phone"], Value::Null, "{name}");
        assert_eq!(
            (&cleared["contact_name"], &cleared["device_id"]),
            (&json!("E. F."), &set["device_id"]),
            "{name}"
        );
        let (_, read) = w.call(Some("officer.a"), Method::GET, &path, None).await;
        assert_eq!(read, cleared, "{name}");
        let (_, log) = w
            .call(Some("admin"), Method::GET, "/api/v1/audit?limit=500", None)
            .await;
        let subject = format!("victim/{}", w.victim);
        let audited =
            log.as_array().into_iter().flatten().any(|e| {
                e["subject"] == subject.as_str() && e["detail"] == "contact_phone cleared"
            });
        assert!(audited, "{name}: {log}");
    }
}

/// The orders protecting a victim (`GET /orders?victim_id=`): those whose terms name them, of
/// the caller's care only; none for a victim nobody names; a victim id that is not a number is
/// refused, naming the field.
#[tokio::test]
async fn the_orders_protecting_a_victim_are_listed_in_ones_care() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let protecting = |user: &'static str, victim: String| {
            let path = format!("/api/v1/orders?victim_id={victim}");
            let w = &w;
            async move { w.call(Some(user), Method::GET, &path, None).await }
        };
        let ids = |answer: &Value| -> Vec<i64> {
            answer
                .as_array()
                .map(|l| l.iter().filter_map(|o| o["id"].as_i64()).collect())
                .unwrap_or_default()
        };
        // The world's order names the world's victim.
        for user in ["admin", "operator", "officer.a", "supervisor.riga"] {
            let (status, answer) = protecting(user, w.victim.to_string()).await;
            assert_eq!(status, 200, "{name} {user}: {answer}");
            assert_eq!(ids(&answer), [w.order], "{name} {user}");
        }
        // Another officer's and another unit's supervisor's care holds no such order.
        for user in ["officer.b", "supervisor.liepaja"] {
            let (status, answer) = protecting(user, w.victim.to_string()).await;
            assert_eq!((status, ids(&answer)), (200, vec![]), "{name} {user}");
        }
        let (status, answer) = protecting("admin", "999999".into()).await;
        assert_eq!((status, ids(&answer)), (200, vec![]), "{name}");
        for bad in ["abc", "1.5", ""] {
            let (status, answer) = protecting("admin", bad.into()).await;
            assert_eq!(
                (status, answer["fields"][0]["field"].clone()),
                (422, json!("victim_id")),
                "{name} {bad:?}: {answer}"
            );
        }
    }
}
