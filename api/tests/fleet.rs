//! The fleet map's rows (GET /fleet), on both backends: each client in the caller's care with
//! the state GET /clients/{id}/state gives and the newest fix of their tag; nobody else's
//! clients; paging by client id; bad paging refused naming the field.

mod common;

use common::*;
use reqwest::Method;
use serde_json::Value;
use store::testing::test_databases;

#[tokio::test]
async fn each_client_in_care_with_their_state_and_newest_fix() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let now = chrono::Utc::now().timestamp_millis();
        // Two fixes of the client's tag, the newer sent first.
        let fix = |lat, lon| testkit::gnss_fix(lat, lon);
        store_frames(
            &w.telemetry,
            w.device,
            &[
                (2, now - 1000, fix(56.95, 24.11)),
                (1, now - 60_000, fix(56.0, 24.0)),
            ],
        )
        .await;

        let (status, rows) = w
            .call(Some("officer.a"), Method::GET, "/api/v1/fleet", None)
            .await;
        assert_eq!(status, 200, "{name}: {rows}");
        let rows = rows.as_array().expect("a list").clone();
        assert_eq!(rows.len(), 1, "{name}: officer A's one client: {rows:?}");
        let row = &rows[0];
        assert_eq!(row["client_id"], w.client, "{name}");
        assert_eq!(row["order_id"], w.order, "{name}");
        assert_eq!(row["given_name"], "Jānis", "{name}");
        let (_, state) = w
            .call(
                Some("officer.a"),
                Method::GET,
                &format!("/api/v1/clients/{}/state", w.client),
                None,
            )
            .await;
        assert_eq!(
            row["state"], state["state"],
            "{name}: {row} against {state}"
        );
        let last = &row["last_fix"];
        assert_eq!(
            (last["lat"].as_f64(), last["lon"].as_f64()),
            (Some(56.95), Some(24.11)),
            "{name}: {row}"
        );
        assert_eq!(last["accuracy_m"], 10.0, "{name}");
        assert!(row["time_zone"].is_string(), "{name}: {row}");

        // The operator sees every client; another officer, and another unit's supervisor, none.
        for (user, seen) in [
            ("operator", 1),
            ("supervisor.riga", 1),
            ("officer.b", 0),
            ("supervisor.liepaja", 0),
        ] {
            let (status, rows) = w.call(Some(user), Method::GET, "/api/v1/fleet", None).await;
            assert_eq!(status, 200, "{name}: {user}: {rows}");
            assert_eq!(
                rows.as_array().map(Vec::len),
                Some(seen),
                "{name}: {user}: {rows}"
            );
        }
        // The page after the last client is empty.
        let path = format!("/api/v1/fleet?after={}", w.client);
        let (status, rows) = w.call(Some("operator"), Method::GET, &path, None).await;
        assert_eq!((status, rows), (200, Value::Array(Vec::new())), "{name}");
    }
}

#[tokio::test]
async fn bad_paging_is_refused_naming_the_field() {
    let db = test_databases()
        .await
        .into_iter()
        .next()
        .expect("a database");
    let w = world(db).await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("after=-1", "after"),
        ("after=x", "after"),
    ] {
        let path = format!("/api/v1/fleet?{query}");
        let (status, body) = w.call(Some("operator"), Method::GET, &path, None).await;
        // 400 for what does not parse, 422 for a value out of range.
        assert!(matches!(status, 400 | 422), "{query}: {status} {body}");
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
    let (status, body) = w
        .call(Some("operator"), Method::GET, "/api/v1/fleet?unit=1", None)
        .await;
    assert!(
        matches!(status, 400 | 422),
        "an unknown parameter: {status} {body}"
    );
    assert!(body.to_string().contains("unit"), "named: {body}");
    let (status, _) = w
        .call(Some("technician"), Method::GET, "/api/v1/fleet", None)
        .await;
    assert_eq!(status, 403, "a technician has no clients in care");
}
