//! Whose frames a caller sees, on SQLite and PostgreSQL: an officer or supervisor only what a
//! device sent while fitted under an order in their care (not what it sent on another unit's
//! client before), a technician only the device's health; a technician finds the order to fit
//! a tag under by case number or name, and nothing more.

mod common;

use common::*;
use firmware_proto::{
    Alcohol, AlcoholTestKind, Coord, Event, EventCode, Heartbeat, HeartbeatStatus, Hello, Location,
    LocationSource, Message, Presence,
};
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

fn at(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("a time")
        .timestamp_millis()
}

fn location(lat: f64, lon: f64) -> Message {
    Message::Location(Location {
        lat: Coord((lat * 1e7) as i32),
        lon: Coord((lon * 1e7) as i32),
        accuracy_m: Some(10),
        source: LocationSource::Gnss,
        satellites: 8,
        speed_cm_s: 0,
        heading_deg: None,
    })
}

/// The seqs `user` gets of device 1002's observations in November.
async fn seqs(w: &World, user: &str) -> (u16, Vec<i64>) {
    let path =
        "/api/v1/devices/1002/observations?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";
    let (status, rows) = w.call(Some(user), Method::GET, path, None).await;
    let seqs = rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["seq"].as_i64())
        .collect();
    (status, seqs)
}

/// Officer A's client; a probation client of Liepāja (unit B) under an order of their own.
async fn unit_b_order(w: &World) -> i64 {
    let liepaja = w.liepaja;
    let officer = json!({ "username": "officer.liepaja", "display_name": "L", "role": "officer",
                          "unit_id": liepaja, "password": PASSWORD });
    let (status, officer) = w
        .call(Some("admin"), Method::POST, "/api/v1/users", Some(officer))
        .await;
    assert_eq!(status, 201, "{officer}");
    let body = client_body(officer["id"].as_i64().expect("id"), "02029012345");
    let (status, client) = w
        .call(Some("admin"), Method::POST, "/api/v1/clients", Some(body))
        .await;
    assert_eq!(status, 201, "{client}");
    let mut terms = terms(w.victim);
    terms["proximity"] = json!([]);
    let order = json!({ "client_id": client["id"], "court": COURT, "case_number": "K-2/2026",
                        "terms": terms });
    let (status, order) = w
        .call(Some("admin"), Method::POST, "/api/v1/orders", Some(order))
        .await;
    assert_eq!(status, 201, "{order}");
    order["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_device_refitted_across_units_shows_each_unit_only_its_own_period() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let order_b = unit_b_order(&w).await;
        let fit = |order: i64, time: &str| json!({ "order_id": order, "at": time });
        let (status, answer) = w
            .call(
                Some("technician"),
                Method::POST,
                "/api/v1/devices/1002/fitting",
                Some(fit(order_b, "2026-11-05T00:00:00Z")),
            )
            .await;
        assert_eq!(status, 201, "{name}: {answer}");
        // Unit B's client goes about in Liepāja; then the tag comes off and goes on client A.
        store_frames(
            &w.telemetry,
            1002,
            &[
                (1, at("2026-11-05T01:00:00Z"), location(56.5047, 21.0108)),
                (2, at("2026-11-05T02:00:00Z"), location(56.5100, 21.0200)),
            ],
        )
        .await;
        let removal = json!({ "at": "2026-11-05T03:00:00Z" });
        let (status, answer) = w
            .call(
                Some("technician"),
                Method::POST,
                "/api/v1/devices/1002/removal",
                Some(removal),
            )
            .await;
        assert_eq!(status, 200, "{name}: {answer}");
        let (status, answer) = w
            .call(
                Some("technician"),
                Method::POST,
                "/api/v1/devices/1002/fitting",
                Some(fit(w.order, "2026-11-06T00:00:00Z")),
            )
            .await;
        assert_eq!(status, 201, "{name}: {answer}");
        store_frames(
            &w.telemetry,
            1002,
            &[
                (3, at("2026-11-06T01:00:00Z"), location(56.9496, 24.1052)),
                (4, at("2026-11-06T02:00:00Z"), location(56.9500, 24.1060)),
            ],
        )
        .await;

        for user in ["officer.a", "supervisor.riga"] {
            assert_eq!(seqs(&w, user).await, (200, vec![3, 4]), "{name} {user}");
        }
        assert_eq!(
            seqs(&w, "supervisor.liepaja").await,
            (200, vec![1, 2]),
            "{name}"
        );
        assert_eq!(seqs(&w, "admin").await, (200, vec![1, 2, 3, 4]), "{name}");
        // An officer of the same unit, whose caseload the device never served.
        assert_eq!(seqs(&w, "officer.b").await.0, 403, "{name}");
        // A narrower range and the limit hold within the periods too.
        let path = "/api/v1/devices/1002/observations?from=2026-11-05T01:30:00Z&to=2026-12-01T00:00:00Z&limit=1";
        let (_, rows) = w.call(Some("admin"), Method::GET, path, None).await;
        assert_eq!(rows.as_array().map(Vec::len), Some(1), "{name}: {rows}");
        assert_eq!(rows[0]["seq"], 2, "{name}");
    }
}

#[tokio::test]
async fn a_technician_sees_device_health_only() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let status =
            HeartbeatStatus(0x0037 | HeartbeatStatus::RF_HOME_PRESENT | HeartbeatStatus::MOTION);
        let base = at("2026-11-07T20:00:00Z");
        let frames = [
            (
                1,
                base,
                Message::Heartbeat(Heartbeat {
                    battery_percent: 87,
                    battery_mv: 3950,
                    status,
                    rssi_dbm: -71,
                    temperature_c: 31,
                }),
            ),
            (2, base + 1_000, location(56.9496, 24.1052)),
            (
                3,
                base + 2_000,
                Message::Presence(Presence {
                    tag_id: 1001,
                    in_range: true,
                    rssi_dbm: -48,
                }),
            ),
            (
                4,
                base + 3_000,
                Message::Alcohol(Alcohol {
                    breath_alcohol_ug_l: 120,
                    face_match_percent: 97,
                    test_kind: AlcoholTestKind::Random,
                }),
            ),
            (
                5,
                base + 4_000,
                Message::Event(Event {
                    code: EventCode::BatteryLow,
                    value: 15,
                }),
            ),
            (
                6,
                base + 5_000,
                Message::Hello(Hello {
                    hardware_model: 1,
                    firmware_major: 1,
                    firmware_minor: 2,
                    firmware_patch: 3,
                    config_revision: 7,
                    frames_buffered: 0,
                }),
            ),
        ];
        store_frames(&w.telemetry, 1001, &frames).await;
        let path =
            "/api/v1/devices/1001/observations?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";
        let (status_code, rows) = w.call(Some("technician"), Method::GET, path, None).await;
        assert_eq!(status_code, 200, "{name}: {rows}");
        let types: Vec<&str> = rows
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["type"].as_str())
            .collect();
        assert_eq!(types, ["heartbeat", "event", "hello"], "{name}: {rows}");
        let health = |v: &Value| v["fields"]["status"].as_u64();
        assert_eq!(health(&rows[0]), Some(0x0027), "{name}: {rows}");
        assert_eq!(rows[0]["fields"]["battery_percent"], 87);
        assert_eq!(rows[2]["fields"]["firmware_minor"], 2);
        // The officer whose client wears it sees everything, the status bits too.
        let (_, rows) = w.call(Some("officer.a"), Method::GET, path, None).await;
        assert_eq!(rows.as_array().map(Vec::len), Some(6), "{name}");
        assert_eq!(health(&rows[0]), Some(u64::from(status.0)));
        // The device's live health shows the technician the same heartbeat.
        let (_, device) = w
            .call(
                Some("technician"),
                Method::GET,
                "/api/v1/devices/1001",
                None,
            )
            .await;
        let last = &device["health"]["last_heartbeat"];
        assert_eq!(health(last), Some(0x0027), "{name}: {device}");
        let (_, device) = w
            .call(Some("admin"), Method::GET, "/api/v1/devices/1001", None)
            .await;
        assert_eq!(health(&device["health"]["last_heartbeat"]), Some(0xB7));
    }
}

/// Many frames sent at one instant page through with the cursor `after_seq`: each row once,
/// none skipped, whatever the page size; a cursor past the last row gives an empty page.
#[tokio::test]
async fn frames_sent_at_one_instant_page_through_with_after_seq() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let instant = at("2026-11-07T21:00:00Z");
        // Seven fixes stamped in the same millisecond (a buffer flushed after a gap), then one later.
        let mut frames: Vec<(u32, i64, Message)> = (10..17)
            .map(|seq| (seq, instant, location(56.9496, 24.1052)))
            .collect();
        frames.push((17, instant + 60_000, location(56.9500, 24.1060)));
        store_frames(&w.telemetry, 1001, &frames).await;
        for limit in [1, 2, 3, 5000] {
            let mut from = "2026-11-07T20:00:00Z".to_string();
            let mut after_seq: Option<u64> = None;
            let mut seen = Vec::new();
            loop {
                let cursor = after_seq.map_or(String::new(), |s| format!("&after_seq={s}"));
                let path = format!(
                    "/api/v1/devices/1001/observations?from={from}&to=2026-11-08T00:00:00Z&limit={limit}{cursor}"
                );
                let (status, rows) = w.call(Some("officer.a"), Method::GET, &path, None).await;
                assert_eq!(status, 200, "{name}: {rows}");
                let rows = rows.as_array().cloned().unwrap_or_default();
                seen.extend(rows.iter().filter_map(|r| r["seq"].as_u64()));
                assert!(seen.len() <= frames.len(), "{name} limit {limit}: {seen:?}");
                if rows.len() < limit {
                    break;
                }
                let last = rows.last().expect("a full page");
                from = last["device_time"].as_str().expect("a time").to_string();
                after_seq = last["seq"].as_u64();
            }
            assert_eq!(seen, (10..18).collect::<Vec<u64>>(), "{name} limit {limit}");
        }
        let path = "/api/v1/devices/1001/observations?from=2026-11-07T22:00:00Z&to=2026-11-08T00:00:00Z&after_seq=17";
        let (status, rows) = w.call(Some("officer.a"), Method::GET, path, None).await;
        assert_eq!((status, rows), (200, json!([])), "{name}");
        let path = "/api/v1/devices/1001/observations?from=2026-11-07T21:00:00Z&to=2026-11-08T00:00:00Z&after_seq=-1";
        let (status, rows) = w.call(Some("officer.a"), Method::GET, path, None).await;
        assert_eq!(status, 422, "{name}: a negative cursor is refused: {rows}");
        assert_eq!(rows["fields"][0]["field"], "after_seq", "{name}: {rows}");
    }
}

/// A technician finds the order to fit a tag under by the court's case number or the probation
/// client's name, in any case and with Latvian letters, and learns only the order, its court
/// and case and the client's name; an ended order is not offered; a query too short, or a
/// limit out of range, is refused naming the field; the search is audited.
#[tokio::test]
async fn a_technician_finds_the_order_to_fit_by_case_number_or_name() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let w = &w;
        let find = |q: &str| {
            let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
            let path = format!("/api/v1/orders/to-fit?q={q}");
            async move { w.call(Some("technician"), Method::GET, &path, None).await }
        };
        for q in ["K-1/2026", "k-1/", "bērziņš", "BĒRZIŅŠ jānis", "jānis b"] {
            let (status, found) = find(q).await;
            assert_eq!(status, 200, "{name} {q}: {found}");
            assert_eq!(
                found,
                json!([{ "order_id": w.order, "court": COURT, "case_number": "K-1/2026",
                         "status": "active", "client_name": "Jānis Bērziņš" }]),
                "{name} {q}"
            );
        }
        let (_, none) = find("Kalniņš").await;
        assert_eq!(none, json!([]), "{name}");
        for (q, field) in [("K", "q"), ("  ", "q")] {
            let (status, answer) = find(q).await;
            assert_eq!(status, 422, "{name} {q:?}: {answer}");
            assert_eq!(answer["fields"][0]["field"], field, "{name}: {answer}");
        }
        let (status, answer) = w
            .call(
                Some("technician"),
                Method::GET,
                "/api/v1/orders/to-fit?q=K-1&limit=0",
                None,
            )
            .await;
        assert_eq!(
            (status, answer["fields"][0]["field"].clone()),
            (422, json!("limit")),
            "{name}"
        );
        // An order that has ended is not one to fit a device under.
        let (status, _) = w
            .call(
                Some("admin"),
                Method::POST,
                &format!("/api/v1/orders/{}/status", w.order),
                Some(json!({ "status": "ended" })),
            )
            .await;
        assert_eq!(status, 200, "{name}");
        let (_, none) = find("K-1/2026").await;
        assert_eq!(none, json!([]), "{name}");
        let mut entries = Vec::new();
        loop {
            let after = entries
                .last()
                .and_then(|e: &Value| e["seq"].as_i64())
                .unwrap_or(0);
            let path = format!("/api/v1/audit?after={after}&limit=500");
            let (_, page) = w.call(Some("admin"), Method::GET, &path, None).await;
            let page = page.as_array().cloned().unwrap_or_default();
            let done = page.len() < 500;
            entries.extend(page);
            if done {
                break;
            }
        }
        assert!(
            entries
                .iter()
                .any(|e| e["subject"] == "orders/to-fit" && e["actor"] == "technician"),
            "{name}: the search is audited"
        );
    }
}
