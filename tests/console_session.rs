//! The console when its session ends under the user, in headless Chromium against `sargs serve`
//! (SQLite, and PostgreSQL when `SARGS_TEST_DATABASE_URL` is set). The session is ended through
//! the API, as signing out elsewhere, a revocation or the idle limit would end it: on the alert
//! queue the live feed ends and the console says so by itself, without the user doing anything;
//! on another page the next request does. Either way it offers the sign-in form, and signing in
//! returns to the page the user was on.

mod common;
#[path = "common/webdriver.rs"]
mod webdriver;

use common::*;
use reqwest::Method;
use store::testing::test_databases;
use webdriver::Browser;

const PASSWORD: &str = "correct horse battery";

async fn sign_in(browser: &Browser) {
    browser.fill("#login input[name=username]", "admin").await;
    browser.fill("#login input[name=password]", PASSWORD).await;
    browser.click("#login button[type=submit]").await;
    browser.find("#logout").await;
}

/// Ends the browser's session: the newest of the administrator's, the API session being older.
async fn end_the_browsers_session(api: &Session) {
    let sessions = api.ok(Method::GET, "/api/v1/tokens", None).await;
    let newest = sessions
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["kind"] == "session")
        .filter_map(|c| c["id"].as_i64())
        .max()
        .expect("the browser's session");
    api.ok(Method::DELETE, &format!("/api/v1/tokens/{newest}"), None)
        .await;
}

async fn hash(browser: &Browser) -> String {
    let found = browser.script("return location.hash").await;
    found.as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn an_ended_session_asks_to_sign_in_again_and_returns_to_the_page() {
    for db in test_databases().await {
        let dir = tempfile::tempdir().expect("dir");
        let (service, admin, _) = start_with_admin(&db.location, &[], dir.path(), PASSWORD).await;
        let base = service.http.clone();
        let browser = Browser::start(1366, 1000, "en-GB,en").await;
        browser.goto(&format!("{base}/")).await;
        sign_in(&browser).await;
        browser.wait_text("#main", "Live").await;
        assert_eq!(hash(&browser).await, "#/alerts", "{}", db.name);

        // On the queue, with nothing done: the feed ends, and the console says so.
        end_the_browsers_session(&admin).await;
        let notice = browser
            .wait_text("#session-ended", "session has ended")
            .await;
        assert!(notice.contains("Sign in again"), "{notice}");
        browser.find("#login").await;
        assert!(
            browser
                .script("return !document.getElementById('logout')")
                .await
                == true,
            "{}: the header still offers signing out",
            db.name
        );
        sign_in(&browser).await;
        browser.wait_text("#main", "Live").await;
        assert_eq!(hash(&browser).await, "#/alerts");

        // On another page than home: the next request finds it ended.
        browser.click("#nav-devices").await;
        browser.find("#nav-devices[aria-current=page]").await;
        // The page drawn (its requests answered) before the session ends under it.
        browser.find("table.devices").await;
        end_the_browsers_session(&admin).await;
        browser.click("#nav-caseload").await;
        browser
            .wait_text("#session-ended", "session has ended")
            .await;
        assert_eq!(hash(&browser).await, "#/caseload", "{}", db.name);
        sign_in(&browser).await;
        browser.find("#nav-caseload[aria-current=page]").await;
        assert_eq!(hash(&browser).await, "#/caseload", "{}", db.name);
        assert!(
            browser
                .script("return !document.getElementById('session-ended')")
                .await
                == true,
            "{}: the notice stays after signing in",
            db.name
        );

        // Signing out oneself is not an ended session: no notice.
        browser.click("#logout").await;
        browser.find("#login").await;
        assert!(
            browser
                .script("return !document.getElementById('session-ended')")
                .await
                == true
        );
        browser.quit().await;
    }
}

/// Lists longer than a page: with the page size made small (`sargs.page_size`, 2 rows), the
/// devices page shows every device of the inventory a page at a time (*Show more*), none cut off;
/// the caseload is paged on the server (two clients a page, *Next page* and back) and searched
/// there by name; and the words for the codes come from the
/// API's enumerations (`GET /api/v1/enumerations`).
#[tokio::test]
async fn the_console_pages_through_lists_longer_than_a_page() {
    for db in test_databases().await {
        let dir = tempfile::tempdir().expect("dir");
        let (service, admin, unit) =
            start_with_admin(&db.location, &[], dir.path(), PASSWORD).await;
        let base = service.http.clone();
        let officer = admin
            .ok(
                Method::POST,
                "/api/v1/users",
                Some(
                    serde_json::json!({ "username": "officer", "display_name": "Officer",
                    "role": "officer", "unit_id": unit, "password": PASSWORD }),
                ),
            )
            .await["id"]
            .as_i64()
            .expect("officer id");
        let devices: Vec<u64> = (0..5).map(|i| 7001 + i).collect();
        for device in &devices {
            admin
                .ok(
                    Method::POST,
                    "/api/v1/devices",
                    Some(serde_json::json!({ "device_id": device, "serial": format!("T-{device}"),
                        "kind": "gps-tag", "model": "X1", "firmware": "1.0.0",
                        "key": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" })),
                )
                .await;
        }
        let mut clients = Vec::new();
        for i in 0..3 {
            let client = admin
                .ok(
                    Method::POST,
                    "/api/v1/clients",
                    Some(serde_json::json!({
                        "personal_code": format!("150585-1010{i}"), "given_name": format!("Anna{i}"),
                        "family_name": "Kalniņa", "birth_date": "1985-05-15", "language": "lv",
                        "officer_id": officer,
                        "addresses": [{ "id": "home", "street": "Lāčplēša iela 10, Rīga",
                            "zone": { "type": "circle", "centre": [24.1180, 56.9530], "radius_m": 50.0 } }]
                    })),
                )
                .await;
            clients.push(client["id"].as_i64().expect("client id"));
        }

        let browser = Browser::start(1366, 1000, "en-GB,en").await;
        browser.goto(&format!("{base}/")).await;
        browser
            .script("localStorage.setItem('sargs.page_size', '2')")
            .await;
        sign_in(&browser).await;
        browser.click("#nav-devices").await;
        // A page of two, then *Show more* until the inventory is all there.
        browser.find("tr[data-device='7001']").await;
        assert_eq!(
            browser
                .script("return document.querySelectorAll('tr[data-device]').length")
                .await,
            2,
            "{}",
            db.name
        );
        browser
            .poll("every page of the inventory", async || {
                let left = browser
                    .script(
                        "const more = document.getElementById('inventory-more'); \
                         if (more && !more.hidden) { if (!more.disabled) more.click(); return true; } return false",
                    )
                    .await;
                (left == false).then_some(())
            })
            .await;
        for device in &devices {
            browser.find(&format!("tr[data-device='{device}']")).await;
        }
        let text = browser.page_text().await;
        assert!(
            text.contains("GPS ankle tag") && text.contains("in stock"),
            "{}: {text}",
            db.name
        );
        // After removal: any status the API has but fitted, in words.
        let options = browser
            .script("return [...document.querySelectorAll('#remove-status option')].map((o) => o.value)")
            .await;
        assert_eq!(
            options,
            serde_json::json!(["in_stock", "faulty", "lost", "retired"]),
            "{}",
            db.name
        );

        // The caseload is paged on the server: two probation clients, then the third; and
        // back. A search by name finds the one asked for, on the server too.
        let shown = async || {
            browser
                .script("return [...document.querySelectorAll('tr[data-client]')].map((r) => Number(r.dataset.client))")
                .await
        };
        browser.click("#nav-caseload").await;
        browser.wait_text("#caseload-where", "Page 1: 2 ").await;
        assert_eq!(
            shown().await,
            serde_json::json!(clients[..2]),
            "{}",
            db.name
        );
        browser.click("#caseload-next").await;
        browser.wait_text("#caseload-where", "Page 2: 1 ").await;
        assert_eq!(
            shown().await,
            serde_json::json!(clients[2..]),
            "{}",
            db.name
        );
        assert_eq!(
            browser
                .script("return document.getElementById('caseload-next').disabled")
                .await,
            true
        );
        browser.click("#caseload-previous").await;
        browser.wait_text("#caseload-where", "Page 1: 2 ").await;
        browser.fill("#caseload-q", "anna2 KALNIŅA").await;
        browser.click("#caseload-search").await;
        browser.wait_text("#caseload-where", "Page 1: 1 ").await;
        assert_eq!(
            shown().await,
            serde_json::json!(clients[2..]),
            "{}",
            db.name
        );
        browser.quit().await;
    }
}
