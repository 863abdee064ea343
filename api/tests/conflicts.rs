//! A valid request that the records' present state refuses is a `409 conflict`, naming the
//! field and why as a 422 does, and changes nothing: a name, personal code, case number, device
//! id or serial taken; a device fitted already, not fitted, not in stock, or another victim's;
//! an absence cancelled already; an order that is over; a variation dated before one scheduled.
//! A value wrong in itself stays a 422.
//! On SQLite and PostgreSQL. (The alerts' state refusals are in `alerts.rs`, with an alert.)

mod common;

use common::{COURT, PASSWORD, World, client_body, terms, world};
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

/// The seq of the audit log's last entry: every change is appended in its own transaction.
async fn audit_head(w: &World) -> i64 {
    let mut after = 0;
    loop {
        let (status, page) = w
            .call(
                Some("admin"),
                Method::GET,
                &format!("/api/v1/audit?after={after}&limit=500"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let entries = page.as_array().cloned().unwrap_or_default();
        let Some(last) = entries.last().and_then(|e| e["seq"].as_i64()) else {
            return after;
        };
        after = last;
        if entries.len() < 500 {
            return after;
        }
    }
}

/// The changes (not reads) logged after `seq`.
async fn changes_after(w: &World, seq: i64) -> Vec<Value> {
    let (_, page) = w
        .call(
            Some("admin"),
            Method::GET,
            &format!("/api/v1/audit?after={seq}&limit=500"),
            None,
        )
        .await;
    page.as_array()
        .into_iter()
        .flatten()
        .filter(|e| matches!(e["action"].as_str(), Some("create" | "update")))
        .cloned()
        .collect()
}

/// Calls as `user`, expecting a 409 on `field` with a reason, and no change logged.
async fn conflict(
    w: &World,
    user: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    field: &str,
) {
    let before = audit_head(w).await;
    let (status, answer) = w.call(Some(user), method.clone(), path, body).await;
    assert_eq!(status, 409, "{method} {path}: {answer}");
    assert_eq!(answer["error"], "conflict", "{method} {path}: {answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("nothing was changed")),
        "{method} {path}: {answer}"
    );
    assert_eq!(
        answer["fields"][0]["field"], field,
        "{method} {path}: {answer}"
    );
    assert!(
        answer["fields"][0]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{method} {path}: {answer}"
    );
    let changes = changes_after(w, before).await;
    assert!(changes.is_empty(), "{method} {path} changed: {changes:?}");
}

/// Calls as `user`, expecting `status`.
async fn expect(w: &World, user: &str, method: Method, path: &str, body: Value, status: u16) {
    let (got, answer) = w.call(Some(user), method.clone(), path, Some(body)).await;
    assert_eq!(got, status, "{method} {path}: {answer}");
}

#[tokio::test]
async fn a_request_the_records_state_refuses_is_409_and_changes_nothing() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let order = format!("/api/v1/orders/{}", w.order);
        // Shown with a failure (the test's captured output): which backend it was.
        println!("backend: {name}");

        // Names taken: a unit, a user, a probation client's personal code, a court's case.
        conflict(
            &w,
            "admin",
            Method::POST,
            "/api/v1/units",
            Some(json!({ "name": "Rīga" })),
            "name",
        )
        .await;
        conflict(
            &w,
            "admin",
            Method::PATCH,
            &format!("/api/v1/units/{}", w.liepaja),
            Some(json!({ "name": "Rīga" })),
            "name",
        )
        .await;
        let user = json!({ "username": "officer.b", "display_name": "B", "role": "officer",
            "unit_id": w.riga, "password": PASSWORD });
        conflict(
            &w,
            "admin",
            Method::POST,
            "/api/v1/users",
            Some(user),
            "username",
        )
        .await;
        let client = client_body(w.users["officer.a"], "010190-12345");
        conflict(
            &w,
            "officer.a",
            Method::POST,
            "/api/v1/clients",
            Some(client),
            "personal_code",
        )
        .await;
        let again = json!({ "client_id": w.client, "court": COURT, "case_number": "K-1/2026",
            "terms": terms(w.victim) });
        conflict(
            &w,
            "officer.a",
            Method::POST,
            "/api/v1/orders",
            Some(again),
            "case_number",
        )
        .await;

        // The inventory: an id or a serial in it already.
        let device = |id: u64, serial: &str| json!({ "device_id": id, "serial": serial, "kind": "gps-tag", "model": "X1", "firmware": "1.0" });
        for (body, field) in [
            (device(1001, "T-9999"), "device_id"),
            (device(1003, "T-1002"), "serial"),
        ] {
            conflict(
                &w,
                "technician",
                Method::POST,
                "/api/v1/devices",
                Some(body),
                field,
            )
            .await;
        }

        // Fitting and removal: fitted already (tag 1001 under the order), not fitted (1002),
        // a status changed while fitted, a device not in stock.
        let fit = |device: u64| format!("/api/v1/devices/{device}/fitting");
        let fitting = json!({ "order_id": w.order });
        conflict(
            &w,
            "technician",
            Method::POST,
            &fit(1001),
            Some(fitting.clone()),
            "device_id",
        )
        .await;
        conflict(
            &w,
            "technician",
            Method::POST,
            "/api/v1/devices/1002/removal",
            Some(json!({})),
            "device_id",
        )
        .await;
        conflict(
            &w,
            "technician",
            Method::PATCH,
            "/api/v1/devices/1001",
            Some(json!({ "status": "lost" })),
            "status",
        )
        .await;
        expect(
            &w,
            "technician",
            Method::PATCH,
            "/api/v1/devices/1002",
            json!({ "status": "faulty" }),
            200,
        )
        .await;
        conflict(
            &w,
            "technician",
            Method::POST,
            &fit(1002),
            Some(fitting.clone()),
            "device_id",
        )
        .await;

        // Another victim's device.
        let victim = json!({ "contact_name": "C. D.", "device_id": 9001 });
        conflict(
            &w,
            "officer.a",
            Method::POST,
            "/api/v1/victims",
            Some(victim),
            "device_id",
        )
        .await;

        // An absence called off already.
        let cancel = format!("/api/v1/absences/{}/cancellation", w.absence);
        let (status, answer) = w.call(Some("officer.a"), Method::POST, &cancel, None).await;
        assert_eq!(status, 200, "{name}: {answer}");
        conflict(&w, "officer.a", Method::POST, &cancel, None, "absence").await;

        // An order that is over: its status, terms, absences and fittings are final.
        expect(
            &w,
            "officer.a",
            Method::POST,
            &format!("{order}/status"),
            json!({ "status": "ended" }),
            200,
        )
        .await;
        conflict(
            &w,
            "officer.a",
            Method::POST,
            &format!("{order}/status"),
            Some(json!({ "status": "active" })),
            "status",
        )
        .await;
        let variation = json!({ "terms": terms(w.victim), "reason": "the court varied it" });
        conflict(
            &w,
            "officer.a",
            Method::POST,
            &format!("{order}/revisions"),
            Some(variation),
            "status",
        )
        .await;
        let absence = json!({ "order_id": w.order, "from": "2026-11-12T20:00:00Z",
            "until": "2026-11-13T02:00:00Z", "reason": "work" });
        conflict(
            &w,
            "officer.a",
            Method::POST,
            "/api/v1/absences",
            Some(absence),
            "order_id",
        )
        .await;
        conflict(
            &w,
            "technician",
            Method::POST,
            &fit(9002),
            Some(fitting),
            "order_id",
        )
        .await;
    }
}

/// A value wrong in itself is a 422 however the records stand, and is checked before them: a
/// request both invalid and in conflict is answered 422.
#[tokio::test]
async fn an_invalid_value_stays_422() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        for (user, method, path, body, field) in [
            (
                "admin",
                Method::POST,
                "/api/v1/units".to_string(),
                json!({ "name": " " }),
                "name",
            ),
            (
                "technician",
                Method::POST,
                "/api/v1/devices/4242/fitting".to_string(),
                json!({ "order_id": w.order }),
                "device_id",
            ),
            (
                "technician",
                Method::POST,
                format!("/api/v1/devices/{}/removal", w.device),
                json!({ "at": "2026-11-01T00:00:00Z" }),
                "removed",
            ),
            (
                "technician",
                Method::POST,
                "/api/v1/devices".to_string(),
                // Both an id in the inventory already and an empty serial: the value first.
                json!({ "device_id": 1001, "serial": "", "kind": "gps-tag", "model": "X1" }),
                "serial",
            ),
            (
                "officer.a",
                Method::POST,
                "/api/v1/victims".to_string(),
                json!({ "contact_name": "C. D.", "device_id": 424242 }),
                "device_id",
            ),
        ] {
            let (status, answer) = w.call(Some(user), method.clone(), &path, Some(body)).await;
            assert_eq!(status, 422, "{name} {method} {path}: {answer}");
            assert_eq!(answer["error"], "invalid_request", "{name}: {answer}");
            assert_eq!(answer["fields"][0]["field"], field, "{name}: {answer}");
        }
    }
}

/// A variation the court set to take effect later: the order shows it as scheduled and is
/// still judged by the revision in force; one dated before it is a conflict and changes
/// nothing; a date that is not a time (400) or after the monitored period (422) is refused on
/// `takes_effect`.
#[tokio::test]
async fn a_variation_scheduled_for_later_shows_as_scheduled() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let order = format!("/api/v1/orders/{}", w.order);
        let day = chrono::TimeDelta::days(1);
        // To the millisecond, as the API keeps times.
        let now = chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis())
            .expect("now");
        let stamp = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        };
        // A period that runs well past the dates below, whenever the test runs.
        let mut extended = terms(w.victim);
        extended["ends"] = json!(stamp(now + day * 300));
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                &format!("{order}/revisions"),
                Some(json!({ "terms": extended, "reason": "extended" })),
            )
            .await;
        assert_eq!(status, 201, "{name}: {answer}");
        let in_force = answer["revision"].as_u64().expect("a revision");
        let policy_revision = answer["policy_revision"].clone();

        let date = stamp(now + day * 30);
        let mut stricter = extended.clone();
        stricter["zones"] = json!([]);
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                &format!("{order}/revisions"),
                Some(
                    json!({ "terms": stricter, "reason": "varied from next month",
                             "takes_effect": date }),
                ),
            )
            .await;
        assert_eq!(status, 201, "{name}: {answer}");
        assert_eq!(answer["revision"], in_force, "{name}: {answer}");
        assert_eq!(answer["policy_revision"], policy_revision, "{name}");
        assert_eq!(answer["scheduled"]["revision"], in_force + 1, "{name}");
        assert_eq!(answer["scheduled"]["takes_effect"], date, "{name}");
        assert_eq!(answer["terms"]["zones"].as_array().map(Vec::len), Some(1));
        let (_, shown) = w.call(Some("officer.a"), Method::GET, &order, None).await;
        assert_eq!(shown["scheduled"], answer["scheduled"], "{name}");
        let (_, revisions) = w
            .call(
                Some("officer.a"),
                Method::GET,
                &format!("{order}/revisions"),
                None,
            )
            .await;
        let last = revisions.as_array().and_then(|r| r.last()).cloned();
        let parsed = chrono::DateTime::parse_from_rfc3339(&date).expect("a time");
        assert_eq!(
            last.map(|r| r["takes_effect_ms"].clone()),
            Some(json!(parsed.timestamp_millis())),
            "{name}"
        );

        let earlier = json!({ "terms": stricter, "reason": "earlier",
                              "takes_effect": stamp(now + day * 20) });
        conflict(
            &w,
            "officer.a",
            Method::POST,
            &format!("{order}/revisions"),
            Some(earlier),
            "takes_effect",
        )
        .await;
        // Not a time: the body cannot be read (400); after the period: not valid (422).
        for (bad, code) in [
            (json!("next tuesday"), 400),
            (json!(true), 400),
            (json!(stamp(now + day * 400)), 422),
        ] {
            let body = json!({ "terms": stricter, "reason": "bad", "takes_effect": bad });
            let (status, answer) = w
                .call(
                    Some("officer.a"),
                    Method::POST,
                    &format!("{order}/revisions"),
                    Some(body),
                )
                .await;
            assert_eq!(status, code, "{name} {bad}: {answer}");
            assert_eq!(
                answer["fields"][0]["field"], "takes_effect",
                "{name} {bad}: {answer}"
            );
        }
    }
}
