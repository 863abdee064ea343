//! Taking an alert through the API, on both backends: an operator takes it and it shows their
//! display name to everyone, on the live feed at once; taking one somebody else has taken is a
//! 409 unless asked to take it over, which is recorded; letting it go too; the history names
//! people by their display names; the queue filters by assignee; whoever may not act on the
//! alert is refused; bad bodies are a 422 naming the field.

mod common;

use std::time::Duration;

use alerts::lifecycle::AlertState;
use alerts::testing::seed::{SeedAlert, seed_alert};
use common::*;
use reqwest::Method;
use rules::{BreachKind, Severity, Timestamp};
use serde_json::{Value, json};
use store::testing::test_databases;

async fn seeded(w: &World, state: AlertState) -> i64 {
    seed_alert(
        &w.store,
        &SeedAlert {
            client_id: w.client,
            order_id: w.order,
            kind: BreachKind::StrapOpened,
            severity: Severity::Critical,
            state,
            raised: Timestamp(1_764_979_200_000),
        },
    )
    .await
    .expect("seeded")
}

async fn rename(w: &World, user: &str, display: &str) {
    let (status, answer) = w
        .call(
            Some("admin"),
            Method::PATCH,
            &format!("/api/v1/users/{}", w.users[user]),
            Some(json!({ "display_name": display })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
}

async fn take(w: &World, user: &str, id: i64, body: Value) -> (u16, Value) {
    w.call(
        Some(user),
        Method::POST,
        &format!("/api/v1/alerts/{id}/assignment"),
        Some(body),
    )
    .await
}

fn assert_assignee_conflict(status: u16, answer: &Value, context: &str) {
    assert_eq!(status, 409, "{context}: {answer}");
    assert_eq!(
        answer["fields"][0]["field"], "assignee",
        "{context}: {answer}"
    );
}

#[tokio::test]
async fn taking_over_and_letting_go() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        rename(&w, "operator", "Anna Ozola").await;
        rename(&w, "supervisor.riga", "Pēteris Kalniņš").await;
        let id = seeded(&w, AlertState::Open).await;
        let mut feed = w
            .http
            .get(format!("{}/api/v1/alerts/feed", w.base))
            .bearer_auth(&w.tokens["officer.a"])
            .send()
            .await
            .expect("the feed");
        assert_eq!(feed.status(), 200);

        // Taken: the alert shows its assignee by display name, on the others' feed at once.
        let (status, taken) = take(&w, "operator", id, json!({})).await;
        assert_eq!(status, 200, "{name}: {taken}");
        assert_eq!(taken["alert"]["assignee"], "Anna Ozola", "{name}");
        assert_eq!(taken["alert"]["assignee_id"], w.users["operator"], "{name}");
        assert_eq!(taken["event"]["action"], "taken", "{name}");
        assert_eq!(taken["event"]["actor"], "Anna Ozola", "{name}");
        let text = read_until(&mut feed, "event: taken", Duration::from_secs(10)).await;
        let seen = events(&text);
        let on_feed = seen
            .iter()
            .find(|e| e["event"]["action"] == "taken")
            .unwrap_or_else(|| panic!("{name}: {text}"));
        assert_eq!(on_feed["alert"]["assignee"], "Anna Ozola", "{name}");

        // Again by the same: a 409; by another without asking to take it over: a 409 naming
        // who has it; nothing changes.
        let (status, answer) = take(&w, "operator", id, json!({})).await;
        assert_assignee_conflict(status, &answer, name);
        let (status, answer) = take(&w, "supervisor.riga", id, json!({ "over": false })).await;
        assert_assignee_conflict(status, &answer, name);
        assert!(
            answer["fields"][0]["reason"]
                .as_str()
                .is_some_and(|m| m.contains("Anna Ozola")),
            "{name}: {answer}"
        );
        // In the queue filtered by assignee.
        let (_, mine) = w
            .call(
                Some("operator"),
                Method::GET,
                &format!("/api/v1/alerts?assignee_id={}", w.users["operator"]),
                None,
            )
            .await;
        assert_eq!(mine.as_array().map(Vec::len), Some(1), "{name}: {mine}");

        // Taken over when asked: recorded as such, with the note.
        let (status, over) = take(
            &w,
            "supervisor.riga",
            id,
            json!({ "over": true, "note": "Anna is on a call" }),
        )
        .await;
        assert_eq!(status, 200, "{name}: {over}");
        assert_eq!(over["alert"]["assignee"], "Pēteris Kalniņš", "{name}");
        assert_eq!(over["event"]["action"], "taken_over", "{name}");
        let text = read_until(&mut feed, "event: taken_over", Duration::from_secs(10)).await;
        assert!(text.contains("Pēteris Kalniņš"), "{name}: {text}");

        // Let go (by somebody else: recorded as theirs); a second time there is nothing to.
        let (status, released) = w
            .call(
                Some("operator"),
                Method::DELETE,
                &format!("/api/v1/alerts/{id}/assignment"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{name}: {released}");
        assert_eq!(released["alert"]["assignee"], Value::Null, "{name}");
        assert_eq!(released["alert"]["assignee_id"], Value::Null, "{name}");
        assert_eq!(released["event"]["action"], "released", "{name}");
        let (status, answer) = w
            .call(
                Some("operator"),
                Method::DELETE,
                &format!("/api/v1/alerts/{id}/assignment"),
                None,
            )
            .await;
        assert_assignee_conflict(status, &answer, name);

        // The history, by display names, in order.
        let (_, detail) = w
            .call(
                Some("operator"),
                Method::GET,
                &format!("/api/v1/alerts/{id}"),
                None,
            )
            .await;
        let history: Vec<(String, String, String)> = detail["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap_or_default().to_string(),
                    e["actor"].as_str().unwrap_or_default().to_string(),
                    e["note"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String, String)> = [
            ("raised", "sargs", ""),
            ("taken", "Anna Ozola", ""),
            ("taken_over", "Pēteris Kalniņš", "Anna is on a call"),
            ("released", "Anna Ozola", ""),
        ]
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
        assert_eq!(history, expected, "{name}");
        // Other acts name the person by display name too.
        let (status, acked) = w
            .call(
                Some("operator"),
                Method::POST,
                &format!("/api/v1/alerts/{id}/acknowledgement"),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 200, "{name}: {acked}");
        assert_eq!(acked["event"]["actor"], "Anna Ozola", "{name}");
    }
}

#[tokio::test]
async fn who_may_take_and_what_is_refused() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let id = seeded(&w, AlertState::Open).await;
        let resolved = seeded(&w, AlertState::Resolved).await;

        // Out of their care, or not theirs to act on: 403, and nothing taken.
        for user in [
            "officer.b",
            "technician",
            "admin",
            "supervisor.liepaja",
            "court.riga",
        ] {
            let (status, answer) = take(&w, user, id, json!({})).await;
            assert_eq!(status, 403, "{name}: {user}: {answer}");
        }
        let (status, answer) = take(&w, "operator", 999_999, json!({})).await;
        assert_eq!(status, 404, "{name}: {answer}");
        // A resolved alert is nobody's to take.
        let (status, answer) = take(&w, "operator", resolved, json!({})).await;
        assert_eq!(status, 409, "{name}: {answer}");
        assert_eq!(answer["fields"][0]["field"], "state", "{name}: {answer}");

        // A body that cannot be read is a 400, one read and refused a 422: each names the field.
        for (body, field, want) in [
            (json!({ "over": "yes" }), "over", 400),
            (json!({ "over": 1 }), "over", 400),
            (json!({ "note": 5 }), "note", 400),
            (json!({ "note": "x".repeat(4001) }), "note", 422),
            (json!({ "assignee_id": 1 }), "assignee_id", 400),
            (json!([]), "body", 400),
        ] {
            let (status, answer) = take(&w, "operator", id, body.clone()).await;
            assert_eq!(status, want, "{name}: {body}: {answer}");
            let named = answer["fields"][0]["field"].as_str().unwrap_or_default();
            assert!(
                named == field || (field == "body" && !named.is_empty()),
                "{name}: {body}: {answer}"
            );
        }
        let (_, detail) = w
            .call(
                Some("operator"),
                Method::GET,
                &format!("/api/v1/alerts/{id}"),
                None,
            )
            .await;
        assert_eq!(detail["alert"]["assignee"], Value::Null, "{name}");
        assert_eq!(detail["events"].as_array().map(Vec::len), Some(1), "{name}");

        // The officer whose client it is may take it; the unit's supervisor may take it over.
        let (status, answer) = take(&w, "officer.a", id, json!({ "note": "on my way" })).await;
        assert_eq!(
            (status, &answer["alert"]["assignee"]),
            (200, &json!("officer.a")),
            "{name}"
        );
        let (status, answer) = take(&w, "supervisor.riga", id, json!({ "over": true })).await;
        assert_eq!(status, 200, "{name}: {answer}");
    }
}
