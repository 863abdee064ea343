//! A period Traccar's forwarding missed, filled from its REST API (`sargs traccar-backfill`)
//! through the running service's Traccar endpoint, on SQLite and PostgreSQL: every position of
//! the period is stored once, a position forwarded before is not stored again, a second fill
//! changes nothing, and a wrong token or an unknown device stops it with a clear message.

mod common;

use std::net::SocketAddr;

use axum::Json;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use common::*;
use serde_json::{Value, json};
use store::testing::test_databases;

const DEVICE: u64 = 8102;
const UNIQUE_ID: &str = "862462030123456";
const TOKEN: &str = "the agency's Traccar forwarding token";
/// 2027-01-15 08:00 UTC, and a position every ten minutes for an hour.
const FIRST_MS: i64 = 1_800_000_000_000;
const POSITIONS: i64 = 6;

fn position(n: i64) -> Value {
    let time = chrono::DateTime::from_timestamp_millis(FIRST_MS + n * 600_000)
        .expect("a time")
        .format("%Y-%m-%dT%H:%M:%S%.3f+00:00")
        .to_string();
    json!({ "id": 100 + n, "attributes": { "batteryLevel": 80 - n, "sat": 8 }, "deviceId": 7,
            "protocol": "teltonika", "serverTime": time, "deviceTime": time, "fixTime": time,
            "outdated": false, "valid": true, "latitude": 56.95 + n as f64 * 0.001,
            "longitude": 24.1, "altitude": 0, "speed": 0, "course": 0, "accuracy": 0 })
}

/// A Traccar server's REST API as far as the backfill asks it: one device, its positions.
async fn fake_traccar() -> SocketAddr {
    let authorised = |headers: &HeaderMap| {
        // "reader:secret" in Basic.
        headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some("Basic cmVhZGVyOnNlY3JldA==")
    };
    let app = axum::Router::new()
        .route(
            "/api/devices",
            get(
                move |headers: HeaderMap, Query(q): Query<Vec<(String, String)>>| async move {
                    if !authorised(&headers) {
                        return Err(StatusCode::UNAUTHORIZED);
                    }
                    let asked = q
                        .iter()
                        .find(|(k, _)| k == "uniqueId")
                        .map(|(_, v)| v.clone());
                    Ok(Json(match asked.as_deref() {
                        Some(UNIQUE_ID) => {
                            json!([{ "id": 7, "name": "FMB", "uniqueId": UNIQUE_ID }])
                        }
                        _ => json!([]),
                    }))
                },
            ),
        )
        .route(
            "/api/positions",
            get(
                move |headers: HeaderMap, Query(q): Query<Vec<(String, String)>>| async move {
                    if !authorised(&headers) {
                        return Err(StatusCode::UNAUTHORIZED);
                    }
                    let of = |name: &str| {
                        q.iter()
                            .find(|(k, _)| k == name)
                            .and_then(|(_, v)| chrono::DateTime::parse_from_rfc3339(v).ok())
                            .map(|t| t.timestamp_millis())
                    };
                    let (Some(from), Some(to)) = (of("from"), of("to")) else {
                        return Err(StatusCode::BAD_REQUEST);
                    };
                    let page: Vec<Value> = (0..POSITIONS)
                        .filter(|n| (from..to).contains(&(FIRST_MS + n * 600_000)))
                        .map(position)
                        .collect();
                    Ok(Json(Value::Array(page)))
                },
            ),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn backfill(
    traccar: SocketAddr,
    endpoint: SocketAddr,
    unique_id: &str,
    token: &str,
) -> std::process::Output {
    sargs(&[
        "traccar-backfill".into(),
        format!("--traccar-url=http://{traccar}"),
        "--traccar-user=reader".into(),
        "--traccar-password=secret".into(),
        format!("--unique-id={unique_id}"),
        "--from=2027-01-15T07:00:00Z".into(),
        "--to=2027-01-15T10:00:00Z".into(),
        format!("--sargs-url=http://{endpoint}"),
        format!("--traccar-token={token}"),
    ])
}

// Two workers: the fake Traccar answers while the test waits for the command line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_period_is_filled_once_from_traccars_rest_api() {
    let traccar = fake_traccar().await;
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("dir");
        let mut args: Vec<String> = vec!["devices".into(), "add".into()];
        args.extend(storage_flags(&db.location));
        args.extend(
            [
                "--id",
                &DEVICE.to_string(),
                "--kind",
                "gps-tracker",
                "--traccar-id",
                UNIQUE_ID,
            ]
            .map(String::from),
        );
        sargs_ok(&args);
        let extra = ["--traccar-listen", "127.0.0.1:0", "--traccar-token", TOKEN].map(String::from);
        let service = Service::start(&db.location, &extra, dir.path());
        let endpoint = service.traccar.expect("the Traccar endpoint");

        // Traccar forwarded the first position, then missed the rest.
        let forwarded =
            json!({ "position": position(0), "device": { "id": 7, "uniqueId": UNIQUE_ID } });
        let answer = reqwest::Client::new()
            .post(format!("http://{endpoint}/positions"))
            .bearer_auth(TOKEN)
            .json(&forwarded)
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status(), 200, "{name}");

        let out = backfill(traccar, endpoint, UNIQUE_ID, TOKEN);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let filled: Value = serde_json::from_slice(&out.stdout).expect("a summary");
        assert_eq!(
            (filled["positions"].clone(), filled["taken"].clone()),
            (json!(6), json!(6)),
            "{name}: {filled}"
        );
        // Each position a HEARTBEAT (its battery) and a LOCATION, numbered once.
        let all: Vec<u32> = (1..=2 * POSITIONS as u32).collect();
        assert_eq!(stored_seqs(&db.location, DEVICE).await, all, "{name}");

        // Filled again: nothing new.
        let again = backfill(traccar, endpoint, UNIQUE_ID, TOKEN);
        assert!(again.status.success(), "{name}");
        assert_eq!(stored_seqs(&db.location, DEVICE).await, all, "{name}");

        // A wrong token, or a device Traccar does not have: stopped, saying why.
        let refused = backfill(traccar, endpoint, UNIQUE_ID, "not the token, however long");
        assert!(!refused.status.success());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("sargs refused a position (401"),
            "{name}"
        );
        let unknown = backfill(traccar, endpoint, "000000000000000", TOKEN);
        assert!(
            String::from_utf8_lossy(&unknown.stderr).contains("Traccar has no device"),
            "{name}"
        );
        drop(service);
    }
}
