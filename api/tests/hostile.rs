//! Hostile and boundary input on every route, on SQLite and PostgreSQL: every documented
//! example body with each of its fields replaced by something wrong (null, the wrong type,
//! extreme numbers, long or odd text, SQL), bodies that are not objects at all, ids beyond any
//! range in the path, nonsense in the query. sargs must answer each with a 2xx or a 4xx, never
//! a 500, and stay up.

mod common;

use common::world;
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

fn hostile_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(-1),
        json!(0),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(-9.9e307),
        json!(1.5),
        json!(""),
        json!(" "),
        json!("x".repeat(20_000)),
        json!("\u{0000}\u{202e}ī😀"),
        json!("'; DROP TABLE clients; --"),
        json!("2026-02-30T25:61:00Z"),
        json!([]),
        json!({}),
        json!(true),
        serde_json::from_str(&format!("{}1{}", "[".repeat(40), "]".repeat(40))).expect("json"),
    ]
}

/// Every way of spoiling one body.
fn spoiled(example: &Value) -> Vec<Value> {
    let mut out = vec![
        Value::Null,
        json!([]),
        json!("a string"),
        json!(42),
        json!({}),
    ];
    if let Some(fields) = example.as_object() {
        for key in fields.keys() {
            for bad in hostile_values() {
                let mut body = example.clone();
                body[key] = bad;
                out.push(body);
            }
            let mut missing = example.clone();
            if let Some(map) = missing.as_object_mut() {
                map.remove(key);
            }
            out.push(missing);
        }
    }
    out
}

#[tokio::test]
async fn no_input_makes_a_500() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let doc = w
            .call(None, Method::GET, "/api/v1/openapi.json", None)
            .await
            .1;
        let mut calls = 0;
        for (endpoint, _) in api::routes::endpoints() {
            let path = endpoint.path.replace("{id}", "1");
            // Signing out would end the admin's token; it is no input path anyway.
            if endpoint.method == Method::DELETE && endpoint.path == "/api/v1/session" {
                continue;
            }
            if let Some(body) = &endpoint.body {
                let body = &body.name;
                let op = &doc["paths"][endpoint.path][endpoint.method.as_str().to_lowercase()];
                let example = &op["requestBody"]["content"]["application/json"]["example"];
                assert!(example.is_object(), "{body} has an example");
                for bad in spoiled(example) {
                    let (status, answer) = w
                        .call(
                            Some("admin"),
                            endpoint.method.clone(),
                            &path,
                            Some(bad.clone()),
                        )
                        .await;
                    assert!(
                        status < 500,
                        "{name} {} {path} with {bad}: {status} {answer}",
                        endpoint.method
                    );
                    calls += 1;
                }
            }
            for id in [
                "0",
                "-1",
                "18446744073709551616",
                "1e3",
                "%00",
                "..%2F..%2Fetc",
            ] {
                if !endpoint.path.contains("{id}") {
                    break;
                }
                let path = endpoint.path.replace("{id}", id);
                let body = endpoint.body.as_ref().map(|_| json!({}));
                let (status, answer) = w
                    .call(Some("admin"), endpoint.method.clone(), &path, body)
                    .await;
                assert!(
                    status < 500,
                    "{name} {} {path}: {status} {answer}",
                    endpoint.method
                );
                calls += 1;
            }
            let op = &doc["paths"][endpoint.path][endpoint.method.as_str().to_lowercase()];
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let query = params
                .iter()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str());
            for param in query {
                for bad in ["", "-1", "abc", "2026-13-01", "99999999999999999999", "%FF"] {
                    let path = format!("{path}?{param}={bad}");
                    let (status, answer) = w
                        .call(Some("admin"), endpoint.method.clone(), &path, None)
                        .await;
                    assert!(
                        status < 500,
                        "{name} {} {path}: {status} {answer}",
                        endpoint.method
                    );
                    calls += 1;
                }
            }
        }
        assert!(calls > 1000, "{calls}");
        // Still serving, and the audit chain unbroken by all of it.
        let (status, verdict) = w
            .call(Some("admin"), Method::GET, "/api/v1/audit/verify", None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(verdict["broken"], Value::Null, "{name}");
    }
}

#[tokio::test]
async fn bodies_too_large_or_too_deep_are_refused() {
    let db = test_databases().await.remove(0);
    let w = world(db).await;
    let huge = json!({ "text": "x".repeat(3 * 1024 * 1024), "client_id": w.client });
    let (status, _) = w
        .call(Some("admin"), Method::POST, "/api/v1/notes", Some(huge))
        .await;
    assert!((400..500).contains(&status), "{status}");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let response = w
        .http
        .post(format!("{}/api/v1/notes", w.base))
        .bearer_auth(&w.tokens["admin"])
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(deep)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 400);
    let (status, _) = w
        .call(Some("admin"), Method::GET, "/api/v1/units", None)
        .await;
    assert_eq!(status, 200, "still serving");
}

/// Every body is a JSON object. serde would read a struct from an array too, its fields in
/// order and unnamed: `[null, null, true]` as a UserChange would disable the user. Each route
/// that takes a body refuses anything but an object with a 400 naming the body, whoever may
/// call it, on a record that exists (some routes check the record before the body).
#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    use cases::Role;
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        // An alert to act on.
        common::tag_event(&w, 1, firmware_proto::EventCode::StrapOpened).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let alert = loop {
            let (_, alerts) = w
                .call(Some("operator"), Method::GET, "/api/v1/alerts", None)
                .await;
            if let Some(id) = alerts[0]["id"].as_i64() {
                break id;
            }
            assert!(std::time::Instant::now() < deadline, "{name}: no alert");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        let callers = [
            ("admin", Role::Admin),
            ("operator", Role::Operator),
            ("officer.a", Role::Officer),
            ("technician", Role::Technician),
        ];
        let mut calls = 0;
        for (endpoint, _) in api::routes::endpoints() {
            if endpoint.body.is_none() {
                continue;
            }
            let id = match endpoint.path.split('/').nth(3) {
                Some("clients") => w.client,
                Some("victims") => w.victim,
                Some("orders") => w.order,
                Some("alerts") => alert,
                Some("users") => w.users["officer.b"],
                Some("devices") => i64::try_from(w.device).expect("a small id"),
                _ => w.riga,
            };
            let path = endpoint.path.replace("{id}", &id.to_string());
            let caller = match endpoint.access {
                api::routes::Access::Public => None,
                access => callers
                    .iter()
                    .find(|(_, role)| access.allows(*role))
                    .map(|(user, _)| *user),
            };
            for bad in [
                json!([]),
                json!([null, null, true]),
                json!(null),
                json!("a string"),
                json!(42),
            ] {
                let (status, answer) = w
                    .call(caller, endpoint.method.clone(), &path, Some(bad.clone()))
                    .await;
                assert_eq!(
                    (status, &answer["fields"][0]["field"]),
                    (400, &json!("body")),
                    "{name} {} {path} as {caller:?} with {bad}: {answer}",
                    endpoint.method
                );
                calls += 1;
            }
        }
        assert!(calls >= 19 * 5, "{calls}");
        // Nothing was changed: the officer is not disabled, and their token still signs in.
        let (status, user) = w
            .call(Some("officer.b"), Method::GET, "/api/v1/session", None)
            .await;
        assert_eq!((status, &user["disabled"]), (200, &json!(false)), "{name}");
    }
}
