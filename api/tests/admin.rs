//! An administrator's work through the API, on both backends: users found by name (in any
//! case, Latvian letters too), their role changed (with the unit or court it needs), a lock-out
//! shown on the user and lifted; units moved under a territorial unit and back; and a unit's
//! alert settings, read (its own, its territorial unit's or the service's), refused when wrong
//! (each field named, nothing saved), only by an administrator, audited, and followed: an alert
//! of the unit escalates after the unit's time and reaches its escalation contacts on the
//! unit's channels only.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

/// The first field error's (field, code) of an answer.
fn first_error(answer: &Value) -> (Value, Value) {
    (
        answer["fields"][0]["field"].clone(),
        answer["fields"][0]["code"].clone(),
    )
}

#[tokio::test]
async fn users_are_found_by_name_their_role_changed_and_a_lock_shown_and_lifted() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let b = w.users["officer.b"];
        let path = format!("/api/v1/users/{b}");
        let (status, _) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &path,
                Some(json!({ "display_name": "Līga Bērziņa" })),
            )
            .await;
        assert_eq!(status, 200, "{name}");
        // Any case, Latvian letters too; by user name as well.
        for q in ["BĒRZIŅA", "līga", "officer.b"] {
            let (status, found) = w
                .call(
                    Some("admin"),
                    Method::GET,
                    &format!("/api/v1/users?q={}", urlencoding(q)),
                    None,
                )
                .await;
            assert_eq!(status, 200, "{name} {q}: {found}");
            let ids: Vec<i64> = found
                .as_array()
                .expect("a list")
                .iter()
                .filter_map(|u| u["id"].as_i64())
                .collect();
            assert_eq!(ids, [b], "{name} {q}");
        }
        // Paged while searching: one at a time, then the next after it.
        let (_, first) = w
            .call(
                Some("admin"),
                Method::GET,
                "/api/v1/users?q=o&limit=1",
                None,
            )
            .await;
        let after = first[0]["id"].as_i64().expect("a user");
        let (_, second) = w
            .call(
                Some("admin"),
                Method::GET,
                &format!("/api/v1/users?q=o&limit=1&after={after}"),
                None,
            )
            .await;
        assert!(second[0]["id"].as_i64().expect("another") > after, "{name}");
        let long = "x".repeat(101);
        let (status, answer) = w
            .call(
                Some("admin"),
                Method::GET,
                &format!("/api/v1/users?q={long}"),
                None,
            )
            .await;
        assert_eq!(
            (status, answer["fields"][0]["field"].clone()),
            (422, json!("q")),
            "{name}"
        );

        // A role with what it needs; refused, and nothing changed, without it.
        for (change, field, code) in [
            (json!({ "role": "court" }), "court", "court_required"),
            (
                json!({ "role": "technician", "court": "Rīgas tiesa" }),
                "court",
                "court_only",
            ),
        ] {
            let (status, answer) = w
                .call(Some("admin"), Method::PATCH, &path, Some(change.clone()))
                .await;
            assert_eq!(status, 422, "{name} {change}: {answer}");
            assert_eq!(first_error(&answer), (json!(field), json!(code)), "{name}");
        }
        let (status, technician) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &format!("/api/v1/users/{}", w.users["technician"]),
                Some(json!({ "role": "officer" })),
            )
            .await;
        assert_eq!(status, 422, "{name}: {technician}");
        assert_eq!(
            first_error(&technician),
            (json!("unit_id"), json!("unit_required")),
            "{name}"
        );
        let (_, still) = w.call(Some("admin"), Method::GET, &path, None).await;
        assert_eq!(still["role"], "officer", "{name}");
        let (status, made) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &path,
                Some(json!({ "role": "court", "court": "Rīgas pilsētas tiesa" })),
            )
            .await;
        assert_eq!(status, 200, "{name}: {made}");
        assert_eq!(
            (made["role"].clone(), made["court"].clone()),
            (json!("court"), json!("Rīgas pilsētas tiesa")),
            "{name}"
        );
        // Back to an officer: the court goes with the role.
        let (_, back) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &path,
                Some(json!({ "role": "officer" })),
            )
            .await;
        assert_eq!(
            (back["role"].clone(), back["court"].clone()),
            (json!("officer"), Value::Null)
        );
        // A case manager with a caseload stays one until it is handed over.
        let (status, answer) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &format!("/api/v1/users/{}", w.users["officer.a"]),
                Some(json!({ "role": "operator" })),
            )
            .await;
        assert_eq!(status, 409, "{name}: {answer}");
        assert_eq!(first_error(&answer), (json!("role"), json!("has_caseload")));
        // Nobody changes their own role.
        let (status, answer) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &format!("/api/v1/users/{}", w.users["admin"]),
                Some(json!({ "role": "operator" })),
            )
            .await;
        assert_eq!(status, 422, "{name}");
        assert_eq!(first_error(&answer), (json!("role"), json!("own_account")));
        // Only an administrator.
        for user in ["operator", "supervisor.riga", "officer.a"] {
            let (status, _) = w
                .call(
                    Some(user),
                    Method::PATCH,
                    &path,
                    Some(json!({ "role": "operator" })),
                )
                .await;
            assert_eq!(status, 403, "{name} {user}");
        }

        // Five wrong passwords lock the name: the user shows until when; unlocked, it goes.
        for _ in 0..cases::MAX_FAILURES {
            let (status, _) = w
                .call(
                    None,
                    Method::POST,
                    "/api/v1/session",
                    Some(json!({ "username": "officer.b", "password": "wrong password here" })),
                )
                .await;
            assert_eq!(status, 401, "{name}");
        }
        let (_, locked) = w.call(Some("admin"), Method::GET, &path, None).await;
        let until = locked["locked_until_ms"].as_i64().expect("locked");
        assert!(until > chrono::Utc::now().timestamp_millis(), "{name}");
        let (_, listed) = w
            .call(
                Some("admin"),
                Method::GET,
                "/api/v1/users?q=officer.b",
                None,
            )
            .await;
        assert_eq!(listed[0]["locked_until_ms"], until, "{name}");
        let (status, unlocked) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &path,
                Some(json!({ "unlock": true })),
            )
            .await;
        assert_eq!(status, 200, "{name}");
        assert!(
            unlocked.get("locked_until_ms").is_none(),
            "{name}: {unlocked}"
        );
        w.sign_in("officer.b").await;
        // Every change audited, with what changed.
        let (_, audit) = w
            .call(Some("admin"), Method::GET, "/api/v1/audit?limit=500", None)
            .await;
        let text = audit.to_string();
        assert!(text.contains("role,court"), "{name}: role change audited");
        assert!(text.contains("unlock"), "{name}: unlock audited");
    }
}

/// `q` for a query string: what reqwest would send.
fn urlencoding(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

#[tokio::test]
async fn a_unit_moves_under_a_territorial_unit_and_back() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let liepaja = format!("/api/v1/units/{}", w.liepaja);
        let riga = format!("/api/v1/units/{}", w.riga);
        let (status, moved) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &liepaja,
                Some(json!({ "parent_id": w.riga })),
            )
            .await;
        assert_eq!(
            (status, moved["parent_id"].clone()),
            (200, json!(w.riga)),
            "{name}"
        );
        // Two levels only; and never under itself.
        for (path, parent, status, code) in [
            (&riga, w.liepaja, 422, "parent_is_department"),
            (&riga, w.riga, 422, "parent_self"),
            (&riga, 999_999, 422, "no_such_record"),
        ] {
            let (got, answer) = w
                .call(
                    Some("admin"),
                    Method::PATCH,
                    path,
                    Some(json!({ "parent_id": parent })),
                )
                .await;
            assert_eq!(got, status, "{name}: {answer}");
            assert_eq!(first_error(&answer), (json!("parent_id"), json!(code)));
        }
        let (status, _) = w
            .call(
                Some("admin"),
                Method::POST,
                "/api/v1/units",
                Some(json!({ "name": "Ventspils", "parent_id": w.liepaja })),
            )
            .await;
        assert_eq!(status, 422, "{name}: no department of a department");
        let (status, taken) = w
            .call(
                Some("admin"),
                Method::POST,
                "/api/v1/units",
                Some(json!({ "name": "Rīga" })),
            )
            .await;
        assert_eq!(
            (status, first_error(&taken)),
            (409, (json!("name"), json!("name_taken")))
        );
        let (status, answer) = w
            .call(
                Some("admin"),
                Method::POST,
                "/api/v1/units",
                Some(json!({ "name": "  " })),
            )
            .await;
        assert_eq!(
            (status, first_error(&answer)),
            (422, (json!("name"), json!("required")))
        );
        let (status, back) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &liepaja,
                Some(json!({ "parent_id": 0 })),
            )
            .await;
        assert_eq!(
            (status, back["parent_id"].clone()),
            (200, Value::Null),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_units_alert_settings_are_checked_kept_and_followed() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let path = format!("/api/v1/units/{}/alerting", w.riga);
        // None of its own yet: the service's.
        let (status, shown) = w.call(Some("admin"), Method::GET, &path, None).await;
        assert_eq!(status, 200, "{name}: {shown}");
        assert_eq!(shown["source"], "service", "{name}");
        assert_eq!(shown["channels"], json!(["email", "sms"]), "{name}");
        assert_eq!(shown["escalate_after"]["critical"], 300, "{name}");
        // Only an administrator, to read or to set.
        for user in [
            "operator",
            "supervisor.riga",
            "officer.a",
            "technician",
            "court.riga",
        ] {
            let (status, _) = w.call(Some(user), Method::GET, &path, None).await;
            assert_eq!(status, 403, "{name} {user}");
            let (status, _) = w
                .call(
                    Some(user),
                    Method::PUT,
                    &path,
                    Some(
                        json!({ "channels": [], "escalation_contacts": [], "escalate_after": {} }),
                    ),
                )
                .await;
            assert_eq!(status, 403, "{name} {user}");
        }
        let operator = w.users["operator"];
        let good = json!({ "channels": ["email"], "escalation_contacts": [operator],
                           "escalate_after": { "critical": 60 } });
        // Each wrong field named, and nothing kept.
        let mut bad_contact = good.clone();
        bad_contact["escalation_contacts"] = json!([999_999]);
        let mut twice = good.clone();
        twice["channels"] = json!(["email", "email"]);
        let mut zero = good.clone();
        zero["escalate_after"] = json!({ "critical": 0 });
        let mut week = good.clone();
        week["escalate_after"] = json!({ "high": 604_801 });
        for (body, field, code) in [
            (bad_contact, "escalation_contacts[0]", "no_such_user"),
            (twice, "channels[1]", "given_twice"),
            (zero, "escalate_after.critical", "escalate_after_range"),
            (week, "escalate_after.high", "escalate_after_range"),
        ] {
            let (status, answer) = w.call(Some("admin"), Method::PUT, &path, Some(body)).await;
            assert_eq!(status, 422, "{name} {field}: {answer}");
            assert_eq!(first_error(&answer), (json!(field), json!(code)), "{name}");
        }
        for body in [
            json!({ "channels": ["pigeon"], "escalation_contacts": [], "escalate_after": {} }),
            json!({ "channels": [], "escalation_contacts": [], "escalate_after": { "urgent": 5 } }),
            json!({ "channels": [], "escalation_contacts": [], "escalate_after": { "high": -5 } }),
            json!({ "channels": [], "escalation_contacts": [] }),
            json!({ "channels": [], "escalation_contacts": [], "escalate_after": {}, "extra": 1 }),
        ] {
            let (status, answer) = w
                .call(Some("admin"), Method::PUT, &path, Some(body.clone()))
                .await;
            assert_eq!(status, 400, "{name} {body}: {answer}");
        }
        let (_, unchanged) = w.call(Some("admin"), Method::GET, &path, None).await;
        assert_eq!(unchanged["source"], "service", "{name}: nothing kept");
        let (status, _) = w
            .call(
                Some("admin"),
                Method::GET,
                "/api/v1/units/999999/alerting",
                None,
            )
            .await;
        assert_eq!(status, 404, "{name}");

        let (status, kept) = w.call(Some("admin"), Method::PUT, &path, Some(good)).await;
        assert_eq!(status, 200, "{name}: {kept}");
        assert_eq!(
            (kept["source"].clone(), kept["escalation_contacts"].clone()),
            (json!("unit"), json!([operator])),
            "{name}"
        );
        // A department without its own follows its territorial unit.
        w.call(
            Some("admin"),
            Method::PATCH,
            &format!("/api/v1/units/{}", w.liepaja),
            Some(json!({ "parent_id": w.riga })),
        )
        .await;
        let (_, department) = w
            .call(
                Some("admin"),
                Method::GET,
                &format!("/api/v1/units/{}/alerting", w.liepaja),
                None,
            )
            .await;
        assert_eq!(
            (
                department["source"].clone(),
                department["escalate_after"].clone()
            ),
            (json!("parent"), json!({ "critical": 60 })),
            "{name}"
        );
        let (_, audit) = w
            .call(Some("admin"), Method::GET, "/api/v1/audit?limit=500", None)
            .await;
        assert!(
            audit
                .to_string()
                .contains(&format!("unit/{}/alerting", w.riga)),
            "{name}: audited"
        );

        // Followed: the operator, an escalation contact, has an e-mail and a phone; the unit
        // takes e-mail only. A strap opens on the Rīga client's tag: critical, escalating after
        // the unit's minute rather than the service's five.
        let (status, _) = w
            .call(
                Some("admin"),
                Method::PUT,
                &format!("/api/v1/users/{operator}/contacts"),
                Some(json!({ "contacts": [
                    { "channel": "email", "address": "centre@example.lv", "min_severity": "low", "enabled": true },
                    { "channel": "sms", "address": "+37120000009", "min_severity": "low", "enabled": true } ] })),
            )
            .await;
        assert_eq!(status, 200, "{name}");
        strap_opened(&w).await;
        let mut alert = Value::Null;
        for _ in 0..300 {
            let (_, listed) = w
                .call(Some("admin"), Method::GET, "/api/v1/alerts", None)
                .await;
            if let Some(a) = listed
                .as_array()
                .and_then(|l| l.iter().find(|a| a["client_id"] == w.client))
            {
                alert = a.clone();
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let id = alert["id"].as_i64().expect("the strap's alert");
        let at = |v: &Value| {
            chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
                .expect("RFC 3339")
                .timestamp_millis()
        };
        let wait = at(&alert["escalate_at"]) - at(&alert["raised"]);
        assert_eq!(wait, 60_000, "{name}: {alert}");
        let (status, answer) = w
            .call(
                Some("operator"),
                Method::POST,
                &format!("/api/v1/alerts/{id}/escalation"),
                Some(json!({ "note": "no answer from the case manager" })),
            )
            .await;
        assert_eq!(status, 200, "{name}: {answer}");
        let (_, deliveries) = w
            .call(
                Some("admin"),
                Method::GET,
                &format!("/api/v1/alerts/{id}/deliveries"),
                None,
            )
            .await;
        let to_operator: Vec<&Value> = deliveries
            .as_array()
            .expect("a list")
            .iter()
            .filter(|d| d["recipient"] == "operator")
            .collect();
        assert_eq!(to_operator.len(), 1, "{name}: {deliveries}");
        assert_eq!(to_operator[0]["channel"], "email", "{name}");
    }
}
