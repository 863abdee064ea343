//! The open alerts over a period, on SQLite and PostgreSQL: an alert counts from its raising
//! until its resolution, only in the care of those who may see it, and every parameter is
//! checked.

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("a time")
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// (open, urgent) at each instant `user` is told of.
async fn load(w: &World, user: &str, from: i64, to: i64, points: u32) -> Vec<(i64, i64)> {
    let path = format!(
        "/api/v1/alerts/open-over-time?from={}&to={}&points={points}",
        iso(from),
        iso(to)
    );
    let (status, body) = w.call(Some(user), Method::GET, &path, None).await;
    assert_eq!(status, 200, "{user}: {body}");
    body.as_array()
        .expect("instants")
        .iter()
        .map(|o| {
            (
                o["open"].as_i64().unwrap_or(-1),
                o["urgent"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_alert_counts_while_it_is_unresolved_and_only_in_care() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let before = chrono::Utc::now().timestamp_millis() - 60_000;
        strap_opened(&w).await;
        let mut alert = Value::Null;
        for _ in 0..300 {
            let (_, list) = w
                .call(Some("operator"), Method::GET, "/api/v1/alerts", None)
                .await;
            if let Some(first) = list.as_array().and_then(|l| l.first()) {
                alert = first.clone();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let id = alert["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("{name}: no alert raised"));
        let urgent = i64::from(matches!(
            alert["severity"].as_str(),
            Some("high" | "critical")
        ));
        let now = chrono::Utc::now().timestamp_millis() + 1_000;
        // None a minute ago; one now, for the operator and the client's officer, none for
        // another officer's caseload.
        assert_eq!(
            load(&w, "operator", before, now, 2).await,
            [(0, 0), (1, urgent)],
            "{name}"
        );
        assert_eq!(
            load(&w, "officer.a", before, now, 2).await,
            [(0, 0), (1, urgent)],
            "{name}"
        );
        assert_eq!(
            load(&w, "officer.b", before, now, 2).await,
            [(0, 0), (0, 0)],
            "{name}"
        );
        // Acknowledged, it still waits for someone; resolved, it no longer counts.
        let path = format!("/api/v1/alerts/{id}/acknowledgement");
        let (status, body) = w
            .call(Some("operator"), Method::POST, &path, Some(json!({})))
            .await;
        assert_eq!(status, 200, "{body}");
        let later = chrono::Utc::now().timestamp_millis() + 1_000;
        assert_eq!(
            load(&w, "operator", before, later, 2).await[1].0,
            1,
            "{name}"
        );
        let path = format!("/api/v1/alerts/{id}/resolution");
        let resolve = json!({ "resolution": "false_alarm", "note": "Strap checked at the office" });
        let (status, body) = w
            .call(Some("operator"), Method::POST, &path, Some(resolve))
            .await;
        assert_eq!(status, 200, "{body}");
        let after = chrono::Utc::now().timestamp_millis() + 1_000;
        let got = load(&w, "operator", before, after, 3).await;
        assert_eq!((got[0].0, got[2].0), (0, 0), "{name}: {got:?}");
    }
}

#[tokio::test]
async fn its_parameters_are_checked() {
    for db in test_databases().await.into_iter().take(1) {
        let w = world(db).await;
        let day = 86_400_000;
        let t0 = 1_793_577_600_000;
        for (query, field) in [
            (format!("from={}&to={}", iso(t0), iso(t0)), "to"),
            (format!("from={}&to={}", iso(t0), iso(t0 + 93 * day)), "to"),
            (
                format!("from={}&to={}&points=1", iso(t0), iso(t0 + day)),
                "points",
            ),
            (
                format!("from={}&to={}&points=501", iso(t0), iso(t0 + day)),
                "points",
            ),
            (format!("from={}", iso(t0)), "to"),
        ] {
            let path = format!("/api/v1/alerts/open-over-time?{query}");
            let (status, body) = w.call(Some("operator"), Method::GET, &path, None).await;
            assert_eq!(status, 422, "{query}: {body}");
            assert_eq!(body["fields"][0]["field"], field, "{query}: {body}");
        }
        let path = format!(
            "/api/v1/alerts/open-over-time?from={}&to={}",
            iso(t0),
            iso(t0 + day)
        );
        assert_eq!(
            w.call(Some("technician"), Method::GET, &path, None).await.0,
            403
        );
    }
}
