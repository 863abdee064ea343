//! A probation client's state at a glance, on both backends, as the judge leaves it: a silent
//! tag makes it unknown (communication lost), never a breach; a breach with a device fault at
//! once is a breach with the fault listed beside it; an alert nobody has resolved stays beside
//! the state after the breach behind it has ended.

mod common;

use std::time::Duration;

use common::*;
use firmware_proto::EventCode;
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

/// The kinds of the episodes or alerts in `list`.
fn kinds(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str())
        .collect()
}

/// The client's state once `done` holds of it (the judge steps each second), or the last one
/// read when 30 s have passed.
async fn state_once(w: &World, done: impl Fn(&Value) -> bool) -> Value {
    let path = format!("/api/v1/clients/{}/state", w.client);
    let mut last = Value::Null;
    for _ in 0..150 {
        let (status, state) = w.call(Some("officer.a"), Method::GET, &path, None).await;
        assert_eq!(status, 200, "{state}");
        if done(&state) {
            return state;
        }
        last = state;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    last
}

#[tokio::test]
async fn faults_are_not_breaches_and_open_alerts_stand_beside_the_state() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;

        // The strap opens: a breach, with its alert.
        tag_event(&w, 1, EventCode::StrapOpened).await;
        let state = state_once(&w, |s| s["state"] == "breach").await;
        assert_eq!(state["state"], "breach", "{name}: {state}");
        assert_eq!(state["unknown_because"], Value::Null, "{name}");
        assert_eq!(kinds(&state["open_breaches"]), ["strap_opened"], "{name}");
        assert_eq!(state["open_device_faults"], json!([]), "{name}");
        let state = state_once(&w, |s| !kinds(&s["open_alerts"]).is_empty()).await;
        let alert = state["open_alerts"][0].clone();
        assert_eq!(
            (alert["kind"].as_str(), alert["state"].as_str()),
            (Some("strap_opened"), Some("open")),
            "{name}: {state}"
        );

        // Closed again: compliant, but the alert nobody resolved stays beside the state.
        tag_event(&w, 2, EventCode::StrapClosed).await;
        let state = state_once(&w, |s| s["state"] == "compliant").await;
        assert_eq!(state["state"], "compliant", "{name}: {state}");
        assert_eq!(state["open_breaches"], json!([]), "{name}");
        assert_eq!(
            state["open_alerts"],
            json!([alert]),
            "{name}: an unresolved alert is shown"
        );

        // The order now finds a tag silent after 2 s, and the tag falls silent: the silence is a
        // device fault, so the state is unknown, with the open episode beside it.
        let mut terms = terms(w.victim);
        terms["health"] = json!({ "comm_lost_tag": "2s" });
        let (status, varied) = w
            .call(
                Some("officer.a"),
                Method::POST,
                &format!("/api/v1/orders/{}/revisions", w.order),
                Some(json!({ "terms": terms, "reason": "court decision 2" })),
            )
            .await;
        assert_eq!(status, 201, "{name}: {varied}");
        // The new policy's monitor counts the silence from the first frame it hears.
        tag_event(&w, 3, EventCode::ChargerConnected).await;
        let state = state_once(&w, |s| {
            kinds(&s["open_device_faults"]).contains(&"communication_lost")
        })
        .await;
        assert_eq!(
            kinds(&state["open_device_faults"]),
            ["communication_lost"],
            "{name}: {state}"
        );
        assert_eq!(
            (state["state"].as_str(), state["unknown_because"].as_str()),
            (Some("unknown"), Some("communication_lost")),
            "{name}: {state}"
        );
        assert_eq!(state["open_breaches"], json!([]), "{name}");

        // The strap opens again and the tag falls silent again: a breach, the fault listed.
        tag_event(&w, 4, EventCode::StrapOpened).await;
        let state = state_once(&w, |s| {
            kinds(&s["open_breaches"]) == ["strap_opened"]
                && kinds(&s["open_device_faults"]) == ["communication_lost"]
        })
        .await;
        assert_eq!(
            (state["state"].as_str(), &state["unknown_because"]),
            (Some("breach"), &Value::Null),
            "{name}: {state}"
        );
        assert_eq!(
            kinds(&state["open_device_faults"]),
            ["communication_lost"],
            "{name}: {state}"
        );
        assert_eq!(
            kinds(&state["open_breaches"]),
            ["strap_opened"],
            "{name}: {state}"
        );
    }
}

/// The ids of a caseload's rows, each checked to carry its own state.
fn caseload_ids(rows: &Value) -> Vec<i64> {
    rows.as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            assert_eq!(r["client"]["id"], r["state"]["client_id"], "{r}");
            assert!(r["state"]["state"].is_string(), "{r}");
            r["client"]["id"].as_i64().expect("an id")
        })
        .collect()
}

/// A caseload's page in one request: each client in the caller's care with their state at a
/// glance, searched by name or case number on the server; another's caseload or unit is
/// empty; a search or page too long is refused naming the field.
#[tokio::test]
async fn a_caseload_page_holds_each_client_in_care_with_their_state() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let get = async |user: &str, query: &str| {
            w.call(
                Some(user),
                Method::GET,
                &format!("/api/v1/caseload{query}"),
                None,
            )
            .await
        };
        let (status, rows) = get("officer.a", "").await;
        assert_eq!(status, 200, "{name}: {rows}");
        assert_eq!(caseload_ids(&rows), [w.client], "{name}");
        assert_eq!(rows[0]["state"]["order_id"], w.order, "{name}: {rows}");
        // A client with no order yet: no data, said why.
        let (status, other) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/clients",
                Some(client_body(w.users["officer.a"], "02029012345")),
            )
            .await;
        assert_eq!(status, 201, "{name}: {other}");
        let other = other["id"].as_i64().expect("an id");
        let (status, rows) = get("admin", &format!("?after={}", w.client)).await;
        assert_eq!(status, 200, "{name}: {rows}");
        assert_eq!(caseload_ids(&rows), [other], "{name}");
        assert_eq!(
            rows[0]["state"]["unknown_because"], "no_order_in_force",
            "{name}: {rows}"
        );
        for (user, query, wanted) in [
            ("officer.a", "?q=01019", vec![w.client]),
            (
                "officer.a",
                "?q=b%C4%93rzi%C5%86%C5%A1%20J%C4%80NIS",
                vec![w.client, other],
            ),
            ("officer.a", "?q=nobody", vec![]),
            ("officer.b", "", vec![]),
            ("supervisor.riga", "?limit=1", vec![w.client]),
            ("supervisor.liepaja", "", vec![]),
            (
                "supervisor.liepaja",
                &format!("?unit_id={}", w.riga),
                vec![],
            ),
            ("admin", &format!("?after={other}"), vec![]),
        ] {
            let (status, rows) = get(user, query).await;
            assert_eq!(status, 200, "{name} {user} {query}: {rows}");
            assert_eq!(caseload_ids(&rows), wanted, "{name} {user} {query}");
        }
        // The case number finds its client in the list of clients too.
        let (status, clients) = w
            .call(
                Some("officer.a"),
                Method::GET,
                "/api/v1/clients?q=K-1",
                None,
            )
            .await;
        assert_eq!(status, 200, "{name}: {clients}");
        assert_eq!(
            clients.as_array().map(Vec::len),
            Some(1),
            "{name}: {clients}"
        );
        for (query, field) in [
            ("?q=a%20b%20c%20d%20e%20f%20g", "q"),
            ("?limit=501", "limit"),
            ("?limit=0", "limit"),
        ] {
            let (status, refused) = get("officer.a", query).await;
            assert_eq!(status, 422, "{name} {query}: {refused}");
            assert_eq!(refused["fields"][0]["field"], field, "{name}: {refused}");
        }
        let (status, _) = get("technician", "").await;
        assert_eq!(status, 403, "{name}");
    }
}

/// A page's states are worked out together (a few statements for the whole page), yet each
/// row is exactly what GET /clients/{id}/state says of that client alone: a page mixing a
/// client in breach with an open alert, one with no order, one with an order and no tag, and
/// one whose tag has sent a fix, in the caseload and on the fleet map alike.
#[tokio::test]
async fn a_page_of_states_is_each_client_s_own() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let officer = w.users["officer.a"];
        let post = async |path: &str, body: Value| {
            let (status, made) = w
                .call(Some("officer.a"), Method::POST, path, Some(body))
                .await;
            assert_eq!(status, 201, "{name}: {path}: {made}");
            made["id"].as_i64().expect("an id")
        };
        let no_order = post("/api/v1/clients", client_body(officer, "02029012345")).await;
        let no_tag = post("/api/v1/clients", client_body(officer, "03039012345")).await;
        let heard = post("/api/v1/clients", client_body(officer, "04049012345")).await;
        let order_of = |client: i64, case: &str| {
            json!({ "client_id": client, "court": COURT, "case_number": case,
                    "terms": terms(w.victim) })
        };
        post("/api/v1/orders", order_of(no_tag, "K-2/2026")).await;
        let heard_order = post("/api/v1/orders", order_of(heard, "K-3/2026")).await;
        let (status, fitted) = w
            .call(
                Some("technician"),
                Method::POST,
                "/api/v1/devices/1002/fitting",
                Some(json!({ "order_id": heard_order })),
            )
            .await;
        assert_eq!(status, 201, "{name}: {fitted}");
        let now = chrono::Utc::now().timestamp_millis();
        store_frames(
            &w.telemetry,
            1002,
            &[(1, now - 2000, testkit::gnss_fix(56.9496, 24.1052))],
        )
        .await;
        tag_event(&w, 1, EventCode::StrapOpened).await;
        state_once(&w, |s| !kinds(&s["open_alerts"]).is_empty()).await;

        let state_of = async |id: i64| {
            let path = format!("/api/v1/clients/{id}/state");
            let (status, state) = w.call(Some("officer.a"), Method::GET, &path, None).await;
            assert_eq!(status, 200, "{name}: {state}");
            state
        };
        let (status, rows) = w
            .call(Some("officer.a"), Method::GET, "/api/v1/caseload", None)
            .await;
        assert_eq!(status, 200, "{name}: {rows}");
        let ids = caseload_ids(&rows);
        assert_eq!(ids, [w.client, no_order, no_tag, heard], "{name}");
        for row in rows.as_array().expect("rows") {
            let id = row["client"]["id"].as_i64().expect("an id");
            assert_eq!(row["state"], state_of(id).await, "{name}: client {id}");
        }
        let state = |i: usize| &rows[i]["state"];
        assert_eq!(state(0)["state"], "breach", "{name}: {rows}");
        assert_eq!(kinds(&state(0)["open_alerts"]), ["strap_opened"], "{name}");
        assert_eq!(state(1)["unknown_because"], "no_order_in_force", "{name}");
        assert_eq!(state(2)["unknown_because"], "no_device_fitted", "{name}");
        assert_eq!(state(3)["devices"][0]["device_id"], 1002, "{name}: {rows}");
        assert_eq!(state(3)["open_alerts"], json!([]), "{name}: {rows}");

        let (status, fleet) = w
            .call(Some("officer.a"), Method::GET, "/api/v1/fleet", None)
            .await;
        assert_eq!(status, 200, "{name}: {fleet}");
        let fleet = fleet.as_array().expect("rows").clone();
        assert_eq!(fleet.len(), 4, "{name}: {fleet:?}");
        for (row, caseload) in fleet.iter().zip(rows.as_array().expect("rows")) {
            assert_eq!(row["client_id"], caseload["client"]["id"], "{name}");
            assert_eq!(row["state"], caseload["state"]["state"], "{name}: {row}");
            assert_eq!(row["order_id"], caseload["state"]["order_id"], "{name}");
        }
        // Only the client whose tag sent a fix has one; tag 1001 sent events, no fix.
        let fixes: Vec<bool> = fleet.iter().map(|r| r["last_fix"].is_object()).collect();
        assert_eq!(fixes, [false, false, false, true], "{name}: {fleet:?}");
        assert_eq!(fleet[3]["last_fix"]["lat"], 56.9496, "{name}");
    }
}

/// A client wearing an off-the-shelf GPS tracker: its heartbeats carry no strap, case or skin
/// bit (its protocol does not say them), so none of them opens a breach, and the glance says
/// the order's strap, skin contact and case are unknown, a GPS tracker cannot tell; the state
/// goes by what the tracker can tell (here its battery). A phone is a victim's: refused as the
/// client's, taken as the victim's.
#[tokio::test]
async fn a_trackers_glance_says_what_it_cannot_evidence() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let call = async |user: &str, method: Method, path: &str, body: Option<Value>| {
            w.call(Some(user), method, path, body).await
        };
        let (status, client) = call(
            "officer.a",
            Method::POST,
            "/api/v1/clients",
            Some(client_body(w.users["officer.a"], "05059012345")),
        )
        .await;
        assert_eq!(status, 201, "{name}: {client}");
        let client = client["id"].as_i64().expect("an id");
        let (status, order) = call(
            "officer.a",
            Method::POST,
            "/api/v1/orders",
            Some(
                json!({ "client_id": client, "court": COURT, "case_number": "K-5/2026",
                         "terms": terms(w.victim) }),
            ),
        )
        .await;
        assert_eq!(status, 201, "{name}: {order}");
        let order = order["id"].as_i64().expect("an id");
        for (id, kind, model) in [(3001, "gps-tracker", "FMB920"), (3002, "phone", "Pixel 7")] {
            let (status, added) = call(
                "technician",
                Method::POST,
                "/api/v1/devices",
                Some(
                    json!({ "device_id": id, "serial": format!("S-{id}"), "kind": kind,
                             "model": model }),
                ),
            )
            .await;
            assert_eq!(status, 201, "{name}: {added}");
            assert_eq!(added["kind"], kind, "{name}");
        }
        let (status, listed) = call(
            "technician",
            Method::GET,
            "/api/v1/devices?kind=gps-tracker",
            None,
        )
        .await;
        assert_eq!(status, 200, "{name}: {listed}");
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{name}: {listed}");
        assert_eq!(listed[0]["device_id"], 3001, "{name}");

        let fit = async |device: u64| {
            call(
                "technician",
                Method::POST,
                &format!("/api/v1/devices/{device}/fitting"),
                Some(json!({ "order_id": order })),
            )
            .await
        };
        let (status, refused) = fit(3002).await;
        assert_eq!(status, 422, "{name}: {refused}");
        assert_eq!(
            (
                &refused["fields"][0]["field"],
                &refused["fields"][0]["code"]
            ),
            (&json!("device_id"), &json!("not_fitted_to_clients")),
            "{name}: {refused}"
        );
        let (status, fitted) = fit(3001).await;
        assert_eq!(status, 201, "{name}: {fitted}");
        let (status, victim) = call(
            "officer.a",
            Method::PATCH,
            &format!("/api/v1/victims/{}", w.victim),
            Some(json!({ "device_id": 3002 })),
        )
        .await;
        assert_eq!(status, 200, "{name}: {victim}");

        // The tracker's reports, transcribed as its adapter does: moving, a fix, a battery;
        // strap, case and skin bits clear. First a flat battery, then a charged one.
        let heartbeat = |percent: u8| {
            firmware_proto::Message::Heartbeat(firmware_proto::Heartbeat {
                battery_percent: percent,
                battery_mv: 3700,
                status: firmware_proto::HeartbeatStatus(
                    firmware_proto::HeartbeatStatus::MOTION
                        | firmware_proto::HeartbeatStatus::GNSS_FIX,
                ),
                rssi_dbm: 0,
                temperature_c: 0,
            })
        };
        let path = format!("/api/v1/clients/{client}/state");
        let state_when = async |done: &dyn Fn(&Value) -> bool| {
            let mut last = Value::Null;
            for _ in 0..150 {
                let (status, state) = call("officer.a", Method::GET, &path, None).await;
                assert_eq!(status, 200, "{state}");
                if done(&state) {
                    return state;
                }
                last = state;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            last
        };
        let now = chrono::Utc::now().timestamp_millis();
        store_frames(&w.telemetry, 3001, &[(1, now - 2000, heartbeat(5))]).await;
        let state = state_when(&|s| s["unknown_because"] == "battery_critical").await;
        assert_eq!(
            (state["state"].as_str(), state["unknown_because"].as_str()),
            (Some("unknown"), Some("battery_critical")),
            "{name}: {state}"
        );
        assert_eq!(state["open_breaches"], json!([]), "{name}: {state}");
        store_frames(&w.telemetry, 3001, &[(2, now - 1000, heartbeat(80))]).await;
        let state = state_when(&|s| s["state"] == "compliant").await;
        assert_eq!(state["state"], "compliant", "{name}: {state}");
        assert_eq!(state["open_breaches"], json!([]), "{name}: {state}");
        assert_eq!(
            state["devices"][0]["kind"], "gps-tracker",
            "{name}: {state}"
        );
        assert_eq!(
            state["not_evidenced"],
            json!([
                { "condition": "strap", "kinds": ["gps-tracker"] },
                { "condition": "skin_contact", "kinds": ["gps-tracker"] },
                { "condition": "case", "kinds": ["gps-tracker"] },
            ]),
            "{name}: {state}"
        );
        // The client with a GPS tag has nothing unknown, and the caseload says the same as
        // the client's own state.
        let (status, tagged) = call(
            "officer.a",
            Method::GET,
            &format!("/api/v1/clients/{}/state", w.client),
            None,
        )
        .await;
        assert_eq!(status, 200, "{name}: {tagged}");
        assert_eq!(tagged["not_evidenced"], json!([]), "{name}: {tagged}");
        assert_eq!(tagged["devices"][0]["kind"], "gps-tag", "{name}: {tagged}");
        let (status, rows) = call("officer.a", Method::GET, "/api/v1/caseload", None).await;
        assert_eq!(status, 200, "{name}: {rows}");
        let row = rows
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["client"]["id"] == client)
            .expect("the tracker's client is in the caseload");
        assert_eq!(
            row["state"]["not_evidenced"], state["not_evidenced"],
            "{name}"
        );
    }
}
