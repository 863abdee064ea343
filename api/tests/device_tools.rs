//! A technician's tools over HTTP, on SQLite and PostgreSQL: a device's health over a period in
//! slices, read from heartbeats alone (a position sent meanwhile leaves no trace in it), with its
//! silences; the checks on every parameter; commands to a device refused with a reason when
//! they cannot be sent; the inventory searched; the firmware across the fleet.

mod common;

use common::*;
use firmware_proto::{Coord, Flags, Heartbeat, HeartbeatStatus, Location, LocationSource, Message};
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

const MIN: i64 = 60_000;
/// 2026-11-02T00:00:00Z.
const T0: i64 = 1_793_577_600_000;

fn heartbeat(battery: u8, rssi: i8) -> Message {
    Message::Heartbeat(Heartbeat {
        battery_percent: battery,
        battery_mv: 3900,
        status: HeartbeatStatus(HeartbeatStatus::STRAP_CLOSED),
        rssi_dbm: rssi,
        temperature_c: 31,
    })
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("a time")
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn health(w: &World, user: &str, query: &str) -> (u16, Value) {
    let path = format!("/api/v1/devices/1002/health?{query}");
    w.call(Some(user), Method::GET, &path, None).await
}

#[tokio::test]
async fn a_devices_health_is_sliced_from_its_heartbeats_alone() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let position = Message::Location(Location {
            lat: Coord(569_500_000),
            lon: Coord(241_000_000),
            accuracy_m: Some(8),
            source: LocationSource::Gnss,
            satellites: 9,
            speed_cm_s: 0,
            heading_deg: None,
        });
        store_frames(
            &w.telemetry,
            1002,
            &[
                (1, T0 + 5 * MIN, heartbeat(90, -70)),
                (2, T0 + 10 * MIN, heartbeat(88, -90)),
                (3, T0 + 12 * MIN, position),
                // Then nothing for 50 minutes.
                (4, T0 + 60 * MIN, heartbeat(70, -60)),
            ],
        )
        .await;
        // A live heartbeat that left the device 3 s "after" it arrived: its clock runs ahead.
        let ahead = testkit::stored_row(
            1002,
            5,
            Flags::empty(),
            T0 + 61 * MIN,
            T0 + 61 * MIN - 3_000,
            &heartbeat(69, -61),
        );
        w.telemetry
            .write_batch(&ingest::store::WriteBatch {
                observations: vec![ahead],
                ..ingest::store::WriteBatch::default()
            })
            .await
            .expect("committed");
        let query = format!(
            "from={}&to={}&slices=2&silence_s=1200",
            iso(T0),
            iso(T0 + 120 * MIN)
        );
        let (status, h) = health(&w, "technician", &query).await;
        assert_eq!(status, 200, "{name}: {h}");
        assert_eq!(h["slice_ms"], 60 * MIN);
        let slices = h["slices"].as_array().expect("slices");
        assert_eq!(slices.len(), 2);
        // The position is no heartbeat: two in the first hour, two in the second.
        assert_eq!(slices[0]["heartbeats"], 2, "{name}: {h}");
        assert_eq!(slices[0]["battery_percent_min"], 88);
        assert_eq!(slices[0]["rssi_dbm_min"], -90);
        assert_eq!(slices[0]["rssi_dbm_mean"], -80.0);
        assert_eq!(slices[1]["heartbeats"], 2);
        assert_eq!(slices[1]["battery_percent_min"], 69);
        assert_eq!(slices[1]["clock_offset_ms"], 3_000, "{name}: {h}");
        assert_eq!(slices[1]["temperature_c_max"], 31);
        // 10 → 60 min is a silence of 50; 61 min to the period's end is another.
        let silences: Vec<(String, String)> = h["silences"]
            .as_array()
            .expect("silences")
            .iter()
            .map(|s| {
                (
                    s["from"].as_str().unwrap_or("").into(),
                    s["to"].as_str().unwrap_or("").into(),
                )
            })
            .collect();
        assert_eq!(silences.len(), 2, "{name}: {h}");
        assert_eq!(silences[0].0, "2026-11-02T00:10:00Z");
        assert_eq!(silences[0].1, "2026-11-02T01:00:00Z");
        // The centre may look too; an officer may not (a device's health is a technician's).
        assert_eq!(health(&w, "admin", &query).await.0, 200);
        assert_eq!(health(&w, "officer.a", &query).await.0, 403);
    }
}

#[tokio::test]
async fn every_health_parameter_is_checked_and_a_refusal_names_it() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let (from, to) = (iso(T0), iso(T0 + 60 * MIN));
        let cases = [
            (
                format!("from={to}&to={from}"),
                "to",
                Some("until_before_from"),
            ),
            (
                format!("from={from}&to={from}"),
                "to",
                Some("until_before_from"),
            ),
            (
                format!("from={from}&to={}", iso(T0 + 93 * 1440 * MIN)),
                "to",
                Some("period_too_long"),
            ),
            (format!("from={from}&to={to}&slices=0"), "slices", None),
            (format!("from={from}&to={to}&slices=1001"), "slices", None),
            (
                format!("from={from}&to={to}&silence_s=0"),
                "silence_s",
                None,
            ),
        ];
        for (query, field, code) in cases {
            let (status, body) = health(&w, "technician", &query).await;
            assert_eq!(status, 422, "{name}: {query}: {body}");
            assert_eq!(body["fields"][0]["field"], field, "{query}: {body}");
            assert_eq!(body["fields"][0]["code"].as_str(), code, "{query}: {body}");
        }
        for bad in [
            "from=yesterday&to=today",
            "to=2026-11-02T00:00:00Z",
            "from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z&slices=-1&x=1",
        ] {
            let (status, body) = health(&w, "technician", bad).await;
            assert_eq!(status, 422, "{name}: {bad}: {body}");
            assert_eq!(body["error"], "invalid_request", "{bad}: {body}");
        }
        let path = format!("/api/v1/devices/4242/health?from={from}&to={to}");
        assert_eq!(
            w.call(Some("technician"), Method::GET, &path, None).await.0,
            404
        );
    }
}

#[tokio::test]
async fn commands_are_checked_and_one_that_cannot_be_sent_says_why() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let send = async |device: u64, body: Value| {
            let path = format!("/api/v1/devices/{device}/commands");
            w.call(Some("technician"), Method::POST, &path, Some(body))
                .await
        };
        let config = |h: u16, m: u16, s: u16| json!({ "command": "config", "heartbeat_interval_s": h, "location_interval_moving_s": m, "location_interval_still_s": s });
        let (status, body) = send(1002, config(9, 30, 0)).await;
        assert_eq!(status, 422, "{name}: {body}");
        let fields: Vec<(&str, &str)> = body["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| {
                (
                    f["field"].as_str().unwrap_or(""),
                    f["code"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            fields,
            [
                ("heartbeat_interval_s", "interval_too_short"),
                ("location_interval_still_s", "interval_too_short")
            ]
        );
        for malformed in [
            json!({ "command": "reboot" }),
            json!({ "command": "config", "heartbeat_interval_s": 65536, "location_interval_moving_s": 30, "location_interval_still_s": 30 }),
            json!({ "command": "config", "heartbeat_interval_s": 60 }),
            json!({ "command": "time", "extra": 1 }),
            json!("time"),
        ] {
            let (status, body) = send(1002, malformed.clone()).await;
            assert_eq!(status, 400, "{malformed}: {body}");
            assert_eq!(body["error"], "malformed_request", "{malformed}: {body}");
        }
        assert_eq!(send(4242, json!({ "command": "time" })).await.0, 404);
        // This world's ingest is not running: the device cannot be reached, and it is said so.
        let (status, body) = send(1002, json!({ "command": "time" })).await;
        assert_eq!(status, 409, "{name}: {body}");
        assert_eq!(body["fields"][0]["code"], "device_unreachable", "{body}");
        // Only those who look after devices send them commands.
        let path = "/api/v1/devices/1002/commands";
        let (status, _) = w
            .call(
                Some("operator"),
                Method::POST,
                path,
                Some(json!({ "command": "time" })),
            )
            .await;
        assert_eq!(status, 403);
    }
}

#[tokio::test]
async fn the_inventory_is_searched_and_the_firmware_across_the_fleet_counted() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let (status, found) = w
            .call(
                Some("technician"),
                Method::GET,
                "/api/v1/devices?q=t-100",
                None,
            )
            .await;
        assert_eq!(status, 200, "{name}: {found}");
        let serials: Vec<&str> = found
            .as_array()
            .expect("devices")
            .iter()
            .filter_map(|d| d["serial"].as_str())
            .collect();
        assert_eq!(serials, ["T-1001", "T-1002"]);
        let (_, found) = w
            .call(
                Some("technician"),
                Method::GET,
                "/api/v1/devices?q=9001&kind=gps-tag",
                None,
            )
            .await;
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
        let (status, body) = w
            .call(
                Some("technician"),
                Method::GET,
                "/api/v1/devices?kind=toaster",
                None,
            )
            .await;
        assert_eq!(
            (status, &body["fields"][0]["field"]),
            (422, &json!("kind")),
            "{body}"
        );
        let (status, fleet) = w
            .call(
                Some("technician"),
                Method::GET,
                "/api/v1/devices/firmware",
                None,
            )
            .await;
        assert_eq!(status, 200, "{name}: {fleet}");
        let x1 = fleet
            .as_array()
            .expect("rows")
            .iter()
            .find(|f| f["model"] == "X1" && f["firmware"] == "1.0")
            .expect("X1 1.0");
        let by_status: i64 = x1["by_status"]
            .as_object()
            .expect("by status")
            .values()
            .filter_map(Value::as_i64)
            .sum();
        assert_eq!(Some(by_status), x1["devices"].as_i64(), "{x1}");
        assert!(x1["devices"].as_i64() >= Some(4), "{x1}");
    }
}
