//! Alerts through the API, on both backends: a strap opened on the client's tag becomes an
//! alert on the officer's live feed and queue; an officer of another caseload is refused it
//! everywhere; acknowledged and resolved with a note, its history shows who did what; the feed
//! resumes after the last event id; each user sets their own channels. A request the alert's
//! state refuses (acknowledged or resolved already, at the top level, no tag to locate) is a 409.

mod common;

use std::time::Duration;

use common::*;
use firmware_proto::EventCode;
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

/// Opens the live feed as `user`, resuming after `after` if given.
async fn open_feed(w: &World, user: &str, after: Option<i64>) -> reqwest::Response {
    let mut request = w
        .http
        .get(format!("{}/api/v1/alerts/feed", w.base))
        .bearer_auth(&w.tokens[user]);
    if let Some(after) = after {
        request = request.header("Last-Event-ID", after.to_string());
    }
    let response = request.send().await.expect("the feed answers");
    assert_eq!(response.status(), 200);
    response
}

/// A 409 on the alert's `state`, saying why and that nothing was changed.
fn assert_conflict(status: u16, answer: &Value, name: &str) {
    assert_eq!(status, 409, "{name}: {answer}");
    assert_eq!(answer["error"], "conflict", "{name}: {answer}");
    assert_eq!(answer["fields"][0]["field"], "state", "{name}: {answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("nothing was changed")),
        "{name}: {answer}"
    );
}

#[tokio::test]
async fn an_alert_from_raise_to_resolution() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let mut own_feed = open_feed(&w, "officer.a", None).await;
        let mut other_feed = open_feed(&w, "officer.b", None).await;
        tag_event(&w, 1, EventCode::StrapOpened).await;

        // Raised, on the officer's live feed within seconds.
        let text = read_until(&mut own_feed, "event: raised", Duration::from_secs(30)).await;
        let raised = events(&text);
        assert_eq!(raised.len(), 1, "{name}: {text}");
        let alert = raised[0]["alert"].clone();
        let id = alert["id"].as_i64().expect("an id");
        assert_eq!(
            (
                alert["kind"].as_str(),
                alert["severity"].as_str(),
                alert["state"].as_str()
            ),
            (Some("strap_opened"), Some("critical"), Some("open")),
            "{name}"
        );
        let first_event = raised[0]["event"]["id"].as_i64().expect("event id");
        // Named, with the order's time zone, so the queue loads no directory of clients.
        let named = |a: &Value| {
            (
                a["client"]["given_name"].clone(),
                a["client"]["family_name"].clone(),
                a["time_zone"].clone(),
            )
        };
        let expected = (json!("Jānis"), json!("Bērziņš"), json!("Europe/Riga"));
        assert_eq!(named(&alert), expected, "{name}: the feed's {alert}");

        // In the officer's queue and the centre's; not in another officer's, anywhere.
        let (status, mine) = w
            .call(Some("officer.a"), Method::GET, "/api/v1/alerts", None)
            .await;
        assert_eq!(
            (status, mine.as_array().map(Vec::len)),
            (200, Some(1)),
            "{name}"
        );
        assert_eq!(named(&mine[0]), expected, "{name}: the queue's {mine}");
        let (_, one) = w
            .call(
                Some("officer.a"),
                Method::GET,
                &format!("/api/v1/alerts/{id}"),
                None,
            )
            .await;
        assert_eq!(named(&one["alert"]), expected, "{name}: {one}");
        let (_, centre) = w
            .call(
                Some("operator"),
                Method::GET,
                "/api/v1/alerts?state=open&severity=critical",
                None,
            )
            .await;
        assert_eq!(centre.as_array().map(Vec::len), Some(1), "{name}: {centre}");
        let (_, theirs) = w
            .call(Some("officer.b"), Method::GET, "/api/v1/alerts", None)
            .await;
        assert_eq!(theirs, json!([]), "{name}");
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/alerts/{id}"), None),
            (
                Method::POST,
                format!("/api/v1/alerts/{id}/acknowledgement"),
                Some(json!({})),
            ),
            (
                Method::POST,
                format!("/api/v1/alerts/{id}/resolution"),
                Some(json!({ "resolution": "false_alarm", "note": "x" })),
            ),
            (
                Method::POST,
                format!("/api/v1/alerts/{id}/notes"),
                Some(json!({ "note": "x" })),
            ),
            (
                Method::POST,
                format!("/api/v1/alerts/{id}/escalation"),
                Some(json!({ "note": "x" })),
            ),
            (Method::POST, format!("/api/v1/alerts/{id}/locate"), None),
        ] {
            let (status, answer) = w.call(Some("officer.b"), method.clone(), &path, body).await;
            assert_eq!(status, 403, "{name} {method} {path}: {answer}");
        }
        let text = read_until(&mut other_feed, "event: raised", Duration::from_secs(2)).await;
        assert!(
            events(&text).is_empty(),
            "{name}: another officer's feed: {text}"
        );

        // Acknowledged, then resolved: a code and a note are needed.
        let (status, acked) = w
            .call(
                Some("officer.a"),
                Method::POST,
                &format!("/api/v1/alerts/{id}/acknowledgement"),
                Some(json!({ "note": "calling the client" })),
            )
            .await;
        assert_eq!(
            (status, acked["alert"]["state"].as_str()),
            (200, Some("acknowledged")),
            "{name}: {acked}"
        );
        // Acknowledged already: the alert's state refuses it, a conflict rather than a bad
        // request.
        let (status, again) = w
            .call(
                Some("officer.a"),
                Method::POST,
                &format!("/api/v1/alerts/{id}/acknowledgement"),
                Some(json!({})),
            )
            .await;
        assert_conflict(status, &again, name);
        // Escalated by hand, with a reason, one level at a time up to the duty lead.
        let world = &w;
        let escalate = |note: &'static str| {
            let path = format!("/api/v1/alerts/{id}/escalation");
            async move {
                world
                    .call(
                        Some("officer.a"),
                        Method::POST,
                        &path,
                        Some(json!({ "note": note })),
                    )
                    .await
            }
        };
        let (status, refused) = escalate("").await;
        assert_eq!(
            (status, &refused["fields"][0]["field"]),
            (422, &json!("note")),
            "{name}"
        );
        for level in [1, 2] {
            let (status, up) = escalate("the client cannot be reached").await;
            assert_eq!(
                (status, &up["alert"]["level"]),
                (200, &json!(level)),
                "{name}: {up}"
            );
            assert_eq!(up["event"]["action"], "escalated", "{name}");
        }
        let (status, top) = escalate("further").await;
        assert_conflict(status, &top, name);
        let (status, refused) = w
            .call(
                Some("officer.a"),
                Method::POST,
                &format!("/api/v1/alerts/{id}/resolution"),
                Some(json!({ "resolution": "technical_fault", "note": "" })),
            )
            .await;
        assert_eq!(
            (status, refused["fields"][0]["field"].as_str()),
            (422, Some("note")),
            "{name}: {refused}"
        );
        let (status, bad) = w
            .call(
                Some("officer.a"),
                Method::POST,
                &format!("/api/v1/alerts/{id}/resolution"),
                Some(json!({ "resolution": "it_was_fine", "note": "x" })),
            )
            .await;
        assert_eq!(status, 400, "{name}: {bad}");
        let (status, resolved) = w
            .call(
                Some("officer.a"),
                Method::POST,
                &format!("/api/v1/alerts/{id}/resolution"),
                Some(json!({ "resolution": "technical_fault", "note": "strap replaced by the technician" })),
            )
            .await;
        assert_eq!(
            (status, resolved["alert"]["resolution"].as_str()),
            (200, Some("technical_fault")),
            "{name}: {resolved}"
        );
        // A resolved alert is final: acknowledging, resolving or escalating it again conflicts.
        for (path, body) in [
            ("acknowledgement", json!({})),
            (
                "resolution",
                json!({ "resolution": "false_alarm", "note": "again" }),
            ),
            ("escalation", json!({ "note": "again" })),
        ] {
            let (status, refused) = w
                .call(
                    Some("officer.a"),
                    Method::POST,
                    &format!("/api/v1/alerts/{id}/{path}"),
                    Some(body),
                )
                .await;
            assert_conflict(status, &refused, name);
        }
        let (status, one) = w
            .call(
                Some("officer.a"),
                Method::GET,
                &format!("/api/v1/alerts/{id}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{name}: {one}");
        let actions: Vec<&str> = one["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "raised",
                "acknowledged",
                "escalated",
                "escalated",
                "resolved"
            ],
            "{name}"
        );
        assert_eq!(one["events"][2]["actor"], "officer.a", "{name}");
        assert_eq!(one["episodes"][0]["kind"], "strap_opened", "{name}: {one}");
        assert!(
            !one["episodes"][0]["evidence"]
                .as_array()
                .expect("evidence")
                .is_empty(),
            "{name}: {one}"
        );

        // A reconnect resumes after the last event it had.
        let mut resumed = open_feed(&w, "officer.a", Some(first_event)).await;
        let text = read_until(&mut resumed, "event: resolved", Duration::from_secs(30)).await;
        let again: Vec<String> = events(&text)
            .iter()
            .filter_map(|e| e["event"]["action"].as_str().map(str::to_string))
            .collect();
        assert_eq!(
            again,
            ["acknowledged", "escalated", "escalated", "resolved"],
            "{name}: {text}"
        );
    }
}

/// A GNSS fix at (`lat`, `lon`), 10 m accurate.
fn fix(lat: f64, lon: f64) -> firmware_proto::Message {
    firmware_proto::Message::Location(firmware_proto::Location {
        lat: firmware_proto::Coord((lat * 1e7) as i32),
        lon: firmware_proto::Coord((lon * 1e7) as i32),
        accuracy_m: Some(10),
        source: firmware_proto::LocationSource::Gnss,
        satellites: 8,
        speed_cm_s: 0,
        heading_deg: None,
    })
}

/// Asking for a fix needs a tag fitted under the alert's order: once the tag is removed, an
/// alert of the order's own (an exclusion zone entered) cannot be located, and the answer is a
/// 409 on the alert, with nothing recorded on it.
#[tokio::test]
async fn locating_with_no_tag_fitted_is_a_conflict() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let mut feed = open_feed(&w, "officer.a", None).await;
        // At home for eight minutes, then five in the exclusion zone (the order's triangle).
        let now = chrono::Utc::now().timestamp_millis();
        let minute = 60_000;
        let frames: Vec<_> = (0..13u32)
            .map(|i| {
                let at = now - 13 * minute + i64::from(i) * minute;
                let message = if i < 8 {
                    fix(56.9496, 24.1052)
                } else {
                    fix(56.943, 24.11)
                };
                (i + 1, at, message)
            })
            .collect();
        store_frames(&w.telemetry, 1001, &frames).await;
        let text = read_until(&mut feed, "exclusion_zone_entered", Duration::from_secs(30)).await;
        let id = events(&text)
            .iter()
            .find(|e| e["alert"]["kind"] == "exclusion_zone_entered")
            .and_then(|e| e["alert"]["id"].as_i64())
            .unwrap_or_else(|| panic!("{name}: no zone alert in {text}"));

        let (status, removed) = w
            .call(
                Some("technician"),
                Method::POST,
                "/api/v1/devices/1001/removal",
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 200, "{name}: {removed}");
        let path = format!("/api/v1/alerts/{id}");
        let (status, refused) = w
            .call(
                Some("officer.a"),
                Method::POST,
                &format!("{path}/locate"),
                None,
            )
            .await;
        assert_eq!(status, 409, "{name}: {refused}");
        assert_eq!(refused["error"], "conflict", "{name}: {refused}");
        assert_eq!(refused["fields"][0]["field"], "alert", "{name}: {refused}");
        let (_, alert) = w.call(Some("officer.a"), Method::GET, &path, None).await;
        let located = alert["events"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["action"] == "locate_requested");
        assert!(!located, "{name}: {alert}");
    }
}

#[tokio::test]
async fn each_user_sets_their_own_channels() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let (status, bad) = w
            .call(
                Some("officer.a"),
                Method::PUT,
                "/api/v1/contacts",
                Some(json!({ "contacts": [
                    { "channel": "email", "address": "not an address", "min_severity": "high", "enabled": true }
                ] })),
            )
            .await;
        assert_eq!(
            (status, bad["fields"][0]["field"].as_str()),
            (422, Some("contacts[0].address")),
            "{name}: {bad}"
        );
        let (status, bad) = w
            .call(
                Some("officer.a"),
                Method::PUT,
                "/api/v1/contacts",
                Some(json!({ "contacts": [
                    { "channel": "sms", "address": "+371 2000", "min_severity": "high", "enabled": true }
                ] })),
            )
            .await;
        assert_eq!(status, 422, "{name}: {bad}");
        let mine = json!({ "contacts": [
            { "channel": "email", "address": "ilze.ozola@vpd.example", "min_severity": "medium", "enabled": true },
            { "channel": "sms", "address": "+37120000000", "min_severity": "critical", "enabled": false }
        ] });
        let (status, set) = w
            .call(
                Some("officer.a"),
                Method::PUT,
                "/api/v1/contacts",
                Some(mine.clone()),
            )
            .await;
        assert_eq!(status, 200, "{name}: {set}");
        let (_, read) = w
            .call(Some("officer.a"), Method::GET, "/api/v1/contacts", None)
            .await;
        assert_eq!(read, mine["contacts"], "{name}");
        // Another's only through the administrator's route.
        let other = w.users["officer.b"];
        let path = format!("/api/v1/users/{other}/contacts");
        let (status, _) = w.call(Some("officer.a"), Method::GET, &path, None).await;
        assert_eq!(status, 403, "{name}");
        let (status, theirs) = w.call(Some("admin"), Method::GET, &path, None).await;
        assert_eq!((status, theirs), (200, json!([])), "{name}");
        // The feed refuses a resume point that is not an event id, by name.
        for bad in ["abc", "1e3", "", "99999999999999999999"] {
            let response = w
                .http
                .get(format!("{}/api/v1/alerts/feed", w.base))
                .bearer_auth(&w.tokens["operator"])
                .header("Last-Event-ID", bad)
                .send()
                .await
                .expect("an answer");
            assert_eq!(response.status(), 422, "{name}: {bad:?}");
            let body: Value = response.json().await.expect("JSON");
            assert_eq!(
                body["fields"][0]["field"], "Last-Event-ID",
                "{name}: {bad:?}"
            );
        }
        let (status, _) = w
            .call(Some("technician"), Method::GET, "/api/v1/alerts/feed", None)
            .await;
        assert_eq!(status, 403, "{name}");
    }
}
