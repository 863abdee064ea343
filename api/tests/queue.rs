//! The alert queue through the API, on both backends: most urgent first (severity, then the
//! oldest raised) paged by a cursor through ties of severity and raising time without a row
//! repeated or skipped; newest first paged by `before` as before; every filter (unit, kind,
//! class of kinds, state, severity, assignee); bad values refused with a 422 naming the field.

mod common;

use std::collections::HashSet;

use alerts::lifecycle::AlertState;
use alerts::testing::seed::{SeedAlert, seed_alert};
use common::*;
use rules::{BreachKind, Severity, Timestamp};
use serde_json::Value;
use store::testing::test_databases;

const BASE: i64 = 1_764_979_200_000;

/// One seeded alert as the test expects it back.
struct Seeded {
    id: i64,
    rank: i64,
    raised: i64,
    kind: BreachKind,
    state: AlertState,
}

fn kind_of(severity: Severity) -> BreachKind {
    match severity {
        Severity::Critical => BreachKind::StrapOpened,
        Severity::High => BreachKind::AbsentEntireCurfew,
        Severity::Medium => BreachKind::BatteryCritical,
        Severity::Low => BreachKind::BatteryLow,
        Severity::Warning => BreachKind::InclusionZoneEdge,
    }
}

/// 30 alerts of the world's client, many sharing severity and raising time.
async fn seed(w: &World) -> Vec<Seeded> {
    let severities = [
        Severity::Low,
        Severity::Critical,
        Severity::Warning,
        Severity::High,
        Severity::Medium,
        Severity::Critical,
    ];
    let mut out = Vec::new();
    for i in 0..30_i64 {
        let severity = severities[(i % 6) as usize];
        let state = match i % 5 {
            3 => AlertState::Acknowledged,
            4 => AlertState::Resolved,
            _ => AlertState::Open,
        };
        let raised = BASE + (i % 3) * 1000;
        let kind = kind_of(severity);
        let id = seed_alert(
            &w.store,
            &SeedAlert {
                client_id: w.client,
                order_id: w.order,
                kind,
                severity,
                state,
                raised: Timestamp(raised),
            },
        )
        .await
        .expect("seeded");
        out.push(Seeded {
            id,
            rank: alerts::queue::rank(severity),
            raised,
            kind,
            state,
        });
    }
    out
}

/// A GET as `user`: status, body and the next-cursor header.
async fn get(w: &World, user: &str, path: &str) -> (u16, Value, Option<String>) {
    let response = w.get_as(user, path).await;
    let status = response.status().as_u16();
    let cursor = response
        .headers()
        .get("sargs-next-cursor")
        .map(|v| v.to_str().expect("ascii").to_string());
    let body = response.json().await.expect("json");
    (status, body, cursor)
}

fn ids(answer: &Value) -> Vec<i64> {
    answer
        .as_array()
        .unwrap_or_else(|| panic!("a list: {answer}"))
        .iter()
        .map(|a| a["id"].as_i64().expect("an id"))
        .collect()
}

/// Every page of a list by severity, following the cursor.
async fn all_pages(w: &World, user: &str, query: &str, limit: usize) -> Vec<i64> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut path = format!("/api/v1/alerts?sort=severity&limit={limit}{query}");
        if let Some(c) = &cursor {
            path += &format!("&cursor={c}");
        }
        let (status, page, next) = get(w, user, &path).await;
        assert_eq!(status, 200, "{path}: {page}");
        let page = ids(&page);
        assert!(page.len() <= limit);
        // A full page says where the next starts; a short one is the last.
        assert_eq!(next.is_some(), page.len() == limit, "{path}");
        out.extend(page);
        match next {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
    panic!("the cursor never ended");
}

fn urgent_order<'a>(seeded: impl Iterator<Item = &'a Seeded>) -> Vec<i64> {
    let mut v: Vec<&Seeded> = seeded.collect();
    v.sort_by_key(|s| (-s.rank, s.raised, s.id));
    v.iter().map(|s| s.id).collect()
}

#[tokio::test]
async fn pages_by_severity_through_ties() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let seeded = seed(&w).await;
        let expected = urgent_order(seeded.iter());
        for limit in [1, 4, 7, 30, 31] {
            let got = all_pages(&w, "operator", "", limit).await;
            assert_eq!(got, expected, "{name}: limit {limit}");
        }
        // Critical first, the oldest of them first.
        let (_, first, _) = get(&w, "operator", "/api/v1/alerts?sort=severity&limit=1").await;
        assert_eq!(first[0]["severity"], "critical", "{name}");
        let oldest_critical = seeded
            .iter()
            .filter(|s| s.rank == 4)
            .map(|s| s.raised)
            .min();
        assert_eq!(oldest_critical, Some(BASE + 1000));
        assert_eq!(first[0]["raised"], "2025-12-06T00:00:01Z", "{name}");
        // Filtered, the same cursor pages what is left.
        let open: Vec<i64> = urgent_order(seeded.iter().filter(|s| s.state == AlertState::Open));
        assert_eq!(
            all_pages(&w, "operator", "&state=open", 4).await,
            open,
            "{name}"
        );

        // Newest first, paged by `before`, as the client page and the report read it.
        let mut newest = Vec::new();
        let mut before = String::new();
        loop {
            let (status, page, next) =
                get(&w, "operator", &format!("/api/v1/alerts?limit=8{before}")).await;
            assert_eq!((status, next), (200, None), "{name}");
            let page = ids(&page);
            let Some(last) = page.last() else { break };
            before = format!("&before={last}");
            newest.extend(page);
        }
        let mut by_id: Vec<i64> = seeded.iter().map(|s| s.id).collect();
        by_id.sort_by(|a, b| b.cmp(a));
        assert_eq!(newest, by_id, "{name}");

        // Out of the caller's care: nothing, in either order.
        let (_, theirs, next) = get(&w, "officer.b", "/api/v1/alerts?sort=severity").await;
        assert_eq!((ids(&theirs), next), (vec![], None), "{name}");
        let (_, mine, _) = get(&w, "officer.a", "/api/v1/alerts?sort=severity&limit=500").await;
        assert_eq!(ids(&mine), expected, "{name}");
    }
}

#[tokio::test]
async fn every_filter_narrows() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let seeded = seed(&w).await;
        let want = |f: &dyn Fn(&Seeded) -> bool| urgent_order(seeded.iter().filter(|s| f(s)));
        let cases: Vec<(String, Vec<i64>)> = vec![
            ("&state=open".into(), want(&|s| s.state == AlertState::Open)),
            (
                "&unresolved=true".into(),
                want(&|s| s.state != AlertState::Resolved),
            ),
            (
                "&unresolved=true&state=acknowledged".into(),
                want(&|s| s.state == AlertState::Acknowledged),
            ),
            (
                "&state=acknowledged".into(),
                want(&|s| s.state == AlertState::Acknowledged),
            ),
            (
                "&state=resolved".into(),
                want(&|s| s.state == AlertState::Resolved),
            ),
            (
                "&kind=battery_low".into(),
                want(&|s| s.kind == BreachKind::BatteryLow),
            ),
            (
                "&class=device_fault".into(),
                want(&|s| matches!(s.kind, BreachKind::BatteryLow | BreachKind::BatteryCritical)),
            ),
            (
                "&class=breach".into(),
                want(&|s| {
                    matches!(
                        s.kind,
                        BreachKind::StrapOpened | BreachKind::AbsentEntireCurfew
                    )
                }),
            ),
            (
                "&class=warning".into(),
                want(&|s| s.kind == BreachKind::InclusionZoneEdge),
            ),
            (
                "&class=breach&kind=strap_opened&state=open".into(),
                want(&|s| s.kind == BreachKind::StrapOpened && s.state == AlertState::Open),
            ),
            ("&severity=critical".into(), want(&|s| s.rank == 4)),
            (format!("&unit_id={}", w.riga), want(&|_| true)),
            (format!("&unit_id={}", w.liepaja), vec![]),
            (format!("&client_id={}", w.client), want(&|_| true)),
            (format!("&assignee_id={}", w.users["operator"]), vec![]),
        ];
        for (query, expected) in cases {
            assert!(
                expected.len() < seeded.len() || query.contains("_id="),
                "{query} narrows"
            );
            let got = all_pages(&w, "operator", &query, 4).await;
            assert_eq!(got, expected, "{name}: {query}");
            // The same filter newest first: the same alerts.
            let (_, newest, _) =
                get(&w, "operator", &format!("/api/v1/alerts?limit=500{query}")).await;
            let mut a = ids(&newest);
            let mut b = expected.clone();
            a.sort();
            b.sort();
            assert_eq!(a, b, "{name}: newest {query}");
        }
        let unique: HashSet<i64> = seeded.iter().map(|s| s.id).collect();
        assert_eq!(unique.len(), 30);
    }
}

#[tokio::test]
async fn bad_values_are_refused_naming_the_field() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        seed(&w).await;
        let long = "9".repeat(5000);
        let cases: Vec<(String, &str)> = vec![
            ("sort=loudest".into(), "sort"),
            ("sort=".into(), "sort"),
            ("sort=severity&cursor=abc".into(), "cursor"),
            ("sort=severity&cursor=".into(), "cursor"),
            ("sort=severity&cursor=4.1.2.3".into(), "cursor"),
            ("sort=severity&cursor=5.1.2".into(), "cursor"),
            ("sort=severity&cursor=-1.1.2".into(), "cursor"),
            ("sort=severity&cursor=4.1.2'%20OR%201=1--".into(), "cursor"),
            ("sort=severity&cursor=%E2%91%A3.1.2".into(), "cursor"),
            (format!("sort=severity&cursor={long}"), "cursor"),
            (
                "sort=severity&cursor=4.99999999999999999999.1".into(),
                "cursor",
            ),
            ("cursor=4.1.2".into(), "cursor"),
            ("sort=severity&before=10".into(), "before"),
            ("kind=tampering".into(), "kind"),
            ("kind=BatteryLow".into(), "kind"),
            ("class=fault".into(), "class"),
            ("class=breach&kind=battery_low".into(), "kind"),
            ("state=closed".into(), "state"),
            ("unresolved=maybe".into(), "unresolved"),
            ("unresolved=true&state=resolved".into(), "unresolved"),
            ("assignee_id=me".into(), "assignee_id"),
            ("assignee_id=99999999999999999999".into(), "assignee_id"),
            ("unit_id=x".into(), "unit_id"),
            ("limit=0&sort=severity".into(), "limit"),
            ("limit=501&sort=severity".into(), "limit"),
            ("sort=severity&colour=red".into(), "query"),
        ];
        for (query, field) in cases {
            let (status, answer, _) = get(&w, "operator", &format!("/api/v1/alerts?{query}")).await;
            assert_eq!(status, 422, "{name}: {query}: {answer}");
            let named = answer["fields"][0]["field"].as_str().unwrap_or_default();
            assert!(
                named == field || (field == "query" && named.contains("colour")),
                "{name}: {query}: {answer}"
            );
        }
    }
}
