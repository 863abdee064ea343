//! The alert queue for a night shift, in the browser: most urgent first with each severity's
//! name written in its colour; 25 and more compact rows in view on a 1 440 × 900 screen; the
//! tab's title counts the open alerts, live; no "level 0"; and two people in two browsers, one
//! taking an alert and the other seeing who has it at once, then taking it over after the
//! console asks. An alert's failed deliveries are told in Latvian words, with none of the
//! channels' English but behind a technician's disclosure.

use alerts::channels::FailureReason;
use alerts::lifecycle::AlertState;
use alerts::testing::seed::{SeedAlert, SeedDelivery, seed_alert, seed_delivery};
use rules::{BreachKind, Severity, Timestamp};

use super::*;

/// One alert seeded, as the test expects it in the queue.
struct Seeded {
    id: i64,
    rank: i64,
    raised: i64,
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

async fn seed_one(
    store: &store::Store,
    client: i64,
    order: i64,
    severity: Severity,
    state: AlertState,
    raised: i64,
) -> Seeded {
    let id = seed_alert(
        store,
        &SeedAlert {
            client_id: client,
            order_id: order,
            kind: kind_of(severity),
            severity,
            state,
            raised: Timestamp(raised),
        },
    )
    .await
    .expect("seeded");
    Seeded {
        id,
        rank: alerts::queue::rank(severity),
        raised,
        state,
    }
}

/// 34 alerts of the client raised over the last hours, some sharing a minute: 30 unresolved
/// (of them 24 open), 4 resolved.
async fn night(store: &store::Store, client: i64, order: i64) -> Vec<Seeded> {
    let severities = [
        Severity::Low,
        Severity::Critical,
        Severity::Warning,
        Severity::High,
        Severity::Medium,
    ];
    let now = Utc::now().timestamp_millis();
    let mut out = Vec::new();
    for i in 0..34_i64 {
        let state = match i {
            0..=23 => AlertState::Open,
            24..=29 => AlertState::Acknowledged,
            _ => AlertState::Resolved,
        };
        let raised = now - 3_600_000 + (i % 7) * 60_000;
        let severity = severities[(i % 5) as usize];
        out.push(seed_one(store, client, order, severity, state, raised).await);
    }
    out
}

/// The queue's rows, top to bottom: (id, severity).
async fn rows(browser: &Browser) -> Vec<(i64, String)> {
    let found = browser
        .script(
            "return [...document.querySelectorAll('#queue tr[data-alert]')]\
             .map((r) => [Number(r.dataset.alert), r.dataset.severity])",
        )
        .await;
    found
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r[0].as_i64().expect("an id"),
                r[1].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_night_queue_fits_sorts_and_counts_in_a_browser() {
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("dir");
        let (service, client, order) = office(&db.location, dir.path(), &[]).await;
        let store = store::Store::open(&db.location).await.expect("store");
        let seeded = night(&store, client, order).await;
        let open = seeded
            .iter()
            .filter(|s| s.state == AlertState::Open)
            .count();
        let browser = Browser::start(1440, 900, "en-GB,en").await;
        sign_in(&browser, &service.http, "operator").await;

        // Every unresolved alert, most urgent first, then the oldest, then by id.
        let mut unresolved: Vec<&Seeded> = seeded
            .iter()
            .filter(|s| s.state != AlertState::Resolved)
            .collect();
        unresolved.sort_by_key(|s| (-s.rank, s.raised, s.id));
        let expected: Vec<i64> = unresolved.iter().map(|s| s.id).collect();
        let shown = browser
            .poll(
                "the queue never showed every unresolved alert",
                async || {
                    let r = rows(&browser).await;
                    (r.len() == expected.len()).then_some(r)
                },
            )
            .await;
        let ids: Vec<i64> = shown.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, expected, "{name}");
        assert_eq!(shown[0].1, "critical", "{name}");
        // The severity in words too, not colour alone; no "level 0".
        let first = browser
            .wait_text(
                &format!("#queue tr[data-alert='{}']", expected[0]),
                "critical",
            )
            .await;
        assert!(first.contains("not escalated"), "{name}: {first}");
        assert!(first.contains("breach"), "{name}: {first}");
        let text = browser.page_text().await;
        assert!(!text.contains("level 0"), "{name}: {text}");
        assert!(text.contains("device fault"), "{name}");

        // 25 and more rows in view at once, the page scrolled to the top.
        let in_view = browser
            .script(
                "window.scrollTo(0, 0); return [...document.querySelectorAll('#queue tr[data-alert]')]\
                 .filter((r) => { const b = r.getBoundingClientRect(); \
                   return b.top >= 0 && b.bottom <= window.innerHeight; }).length",
            )
            .await
            .as_i64()
            .expect("a count");
        let height = browser
            .script(
                "const r = document.querySelector('#queue tr[data-alert]').getBoundingClientRect(); \
                 return [window.innerHeight, r.top, r.height]",
            )
            .await;
        assert!(
            in_view >= 25,
            "{name}: {in_view} rows in view (window height, first row's top, a row's height: {height})"
        );

        // The tab's title counts the open alerts, and goes on counting as they come.
        let want = format!("({open}) sargs");
        browser
            .poll("the title never counted the open alerts", async || {
                let title = browser.script("return document.title").await;
                (title == want.as_str()).then_some(())
            })
            .await;
        let now = Utc::now().timestamp_millis();
        let newer = seed_one(&store, client, order, Severity::High, AlertState::Open, now).await;
        let want = format!("({}) sargs", open + 1);
        browser
            .poll("the title never counted the new alert", async || {
                let title = browser.script("return document.title").await;
                (title == want.as_str()).then_some(())
            })
            .await;
        browser
            .find(&format!("#queue tr[data-alert='{}']", newer.id))
            .await;

        // Filtered by class on the server: device faults only.
        browser
            .script(
                "const s = document.querySelector('#class-filter'); s.value = 'device_fault'; \
                 s.dispatchEvent(new Event('change'))",
            )
            .await;
        browser
            .poll(
                "the class filter never left device faults only",
                async || {
                    let r = rows(&browser).await;
                    (!r.is_empty() && r.iter().all(|(_, s)| s == "low" || s == "medium"))
                        .then_some(())
                },
            )
            .await;
        // The kinds offered are then the device faults' alone, by their words; one chosen
        // narrows the queue to it, on the server too.
        let offered = browser
            .script(
                "return [...document.querySelectorAll('#kind-filter option')]\
                 .map((o) => [o.value, o.textContent])",
            )
            .await;
        let offered: Vec<(String, String)> = serde_json::from_value(offered).expect("options");
        let values: Vec<&str> = offered.iter().map(|(v, _)| v.as_str()).collect();
        assert!(values.contains(&"battery_low"), "{name}: {offered:?}");
        assert!(!values.contains(&"strap_opened"), "{name}: {offered:?}");
        assert!(
            offered
                .iter()
                .any(|(v, w)| v == "battery_low" && w == "battery low"),
            "{name}: {offered:?}"
        );
        browser
            .script(
                "const s = document.querySelector('#kind-filter'); s.value = 'battery_low'; \
                 s.dispatchEvent(new Event('change'))",
            )
            .await;
        browser
            .poll(
                "the kind filter never left low batteries only",
                async || {
                    let r = rows(&browser).await;
                    (!r.is_empty() && r.iter().all(|(_, s)| s == "low")).then_some(())
                },
            )
            .await;
        browser.quit().await;
    }
}

#[tokio::test]
async fn one_takes_an_alert_and_the_other_sees_it_live() {
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("dir");
        let (service, client, order) = office(&db.location, dir.path(), &[]).await;
        let store = store::Store::open(&db.location).await.expect("store");
        let now = Utc::now().timestamp_millis();
        let alert = seed_one(
            &store,
            client,
            order,
            Severity::Critical,
            AlertState::Open,
            now,
        )
        .await
        .id;
        let row = format!("#queue tr[data-alert='{alert}']");
        let operator = Browser::start(1440, 900, "en-GB,en").await;
        let supervisor = Browser::start(1440, 900, "en-GB,en").await;
        sign_in(&operator, &service.http, "operator").await;
        sign_in(&supervisor, &service.http, "supervisor").await;
        supervisor.goto(&format!("{}/#/alerts", service.http)).await;
        operator.wait_text(&row, "nobody").await;
        supervisor.wait_text(&row, "nobody").await;

        // The operator takes it: the supervisor's queue shows who, without a reload.
        operator.click(&format!("#open-alert-{alert}")).await;
        operator.click("#alert-detail #take").await;
        operator.wait_text("#status", "Taken").await;
        operator
            .wait_text("#alert-detail #alert-assignee", "Uzraudzības centrs")
            .await;
        supervisor.wait_text(&row, "Uzraudzības centrs").await;

        // The supervisor takes it over, after the console asks: declined, nothing changes.
        supervisor.click(&format!("#open-alert-{alert}")).await;
        supervisor
            .wait_text("#alert-detail #take", "Take over")
            .await;
        supervisor
            .script("window.confirm = (q) => { window.asked = q; return false; }")
            .await;
        supervisor.click("#alert-detail #take").await;
        let asked = supervisor.script("return window.asked").await;
        assert!(
            asked
                .as_str()
                .is_some_and(|q| q.contains("Uzraudzības centrs")),
            "{name}: {asked}"
        );
        let stored = service_alert(&service, alert).await;
        assert_eq!(stored["alert"]["assignee"], "Uzraudzības centrs", "{name}");
        // Accepted: recorded, and the operator's console shows the new assignee at once.
        supervisor.script("window.confirm = () => true").await;
        supervisor.click("#alert-detail #take").await;
        supervisor
            .wait_text("#alert-detail #alert-assignee", "Anna Liepa")
            .await;
        operator.wait_text(&row, "Anna Liepa").await;
        let history = supervisor
            .wait_text("#alert-detail .history", "taken over")
            .await;
        assert!(history.contains("Anna Liepa"), "{name}: {history}");
        assert!(history.contains("Uzraudzības centrs"), "{name}: {history}");
        assert!(!history.contains("supervisor ·"), "{name}: {history}");
        let stored = service_alert(&service, alert).await;
        assert!(has_event(&stored, "taken_over", ""), "{name}: {stored}");
        // The deliveries are shown with the alert.
        supervisor.find("#alert-detail #deliveries").await;
        operator.quit().await;
        supervisor.quit().await;
    }
}

#[tokio::test]
async fn a_failed_delivery_is_told_in_latvian_without_english() {
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("dir");
        let (service, client, order) = office(&db.location, dir.path(), &[]).await;
        let store = store::Store::open(&db.location).await.expect("store");
        let now = Utc::now().timestamp_millis();
        let alert = seed_one(
            &store,
            client,
            order,
            Severity::Critical,
            AlertState::Open,
            now,
        )
        .await
        .id;
        for (channel, address, state, failure, detail) in [
            (
                "email",
                "ilze@vpd.example",
                "given_up",
                FailureReason::RejectedByServer { code: 550 },
                "permanent error (550): mailbox unavailable",
            ),
            // Given up, so that the service's own outbox leaves it as it is.
            (
                "webhook",
                "",
                "given_up",
                FailureReason::TimedOut,
                "error sending request: operation timed out",
            ),
        ] {
            seed_delivery(
                &store,
                &SeedDelivery {
                    alert_id: alert,
                    channel,
                    user_id: None,
                    address,
                    state,
                    failure: Some(failure),
                    last_error: Some(detail),
                    at: Timestamp(now),
                },
            )
            .await
            .expect("delivery");
        }
        let browser = Browser::start(1440, 900, "lv-LV,lv").await;
        sign_in(&browser, &service.http, "operator").await;
        browser
            .goto(&format!("{}/#/alerts/{alert}", service.http))
            .await;
        let shown = browser
            .wait_text(
                "#alert-detail #deliveries",
                "serveris to noraidīja (kods 550)",
            )
            .await;
        assert!(
            shown.contains("serveris laikus neatbildēja"),
            "{name}: {shown}"
        );
        assert!(shown.contains("Tehniskā informācija"), "{name}: {shown}");
        for english in [
            "mailbox",
            "permanent",
            "error",
            "sending",
            "timed out",
            "failed",
            "refused",
            "answer",
        ] {
            assert!(!shown.contains(english), "{name}: {english:?} in {shown}");
        }
        // A technician opens the detail: the channel's own words, as it met them.
        browser
            .click("#deliveries tbody tr:first-child details.technical summary")
            .await;
        browser
            .wait_text("#alert-detail #deliveries", "mailbox unavailable")
            .await;
        browser.quit().await;
    }
}

/// The alert as the API gives it to the operator.
async fn service_alert(service: &Service, id: i64) -> Value {
    let operator = Session::login(&service.http, "operator", PASSWORD).await;
    operator
        .ok(Method::GET, &format!("/api/v1/alerts/{id}"), None)
        .await
}
