//! The web console end to end, in headless Chromium over WebDriver, against `sargs serve`: each
//! role signs in and sees its own home page (a technician no personal data); a tag's frames
//! over MQTT cause a breach that arrives in the operator's queue live, without a reload; the
//! operator acknowledges and resolves it with a note; an officer records an authorised absence;
//! the language switches between Latvian and English; an administrator sees the queue but acts
//! on nothing; everyone signs out.
//!
//! With `SARGS_SCREENSHOTS=docs/console` the main pages are saved there as PNGs.

mod common;
#[path = "common/webdriver.rs"]
mod webdriver;

use std::path::{Path, PathBuf};

use chrono::{TimeDelta, Utc};
use common::*;
use ingest::store::StoreLocation;
use reqwest::Method;
use serde_json::{Value, json};
use webdriver::Browser;

const TAG: u64 = 1001;
const PASSWORD: &str = "correct horse battery";
const COURT: &str = "Rīgas pilsētas tiesa";
const HOME: (f64, f64) = (56.9622, 24.1339);
const ZONE: (f64, f64) = (56.9496, 24.1052);

/// Where screenshots go, if they are wanted.
fn screenshots() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("SARGS_SCREENSHOTS")?);
    // Relative to the repository, as `cargo test` runs from the package's directory.
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    Some(dir)
}

/// The whole page, from the top, as a laptop shows it (1366 CSS pixels wide).
async fn snap(browser: &Browser, name: &str) {
    if let Some(dir) = screenshots() {
        browser.script("window.scrollTo(0, 0)").await;
        browser
            .full_page_screenshot(&dir.join(format!("{name}.png")))
            .await;
    }
}

/// A unit with a user of every role, a probation client under an order (a nightly curfew, an
/// exclusion zone) with a GPS tag fitted, and another whose tag is not fitted yet. Returns the
/// service, the first client's id and their order's.
async fn office(location: &StoreLocation, dir: &Path) -> (Service, i64, i64) {
    let made = std::process::Command::new(SARGS)
        .args(["users", "add", "--username", "admin"])
        .args(["--display-name", "Admin", "--role", "admin"])
        .args(storage_flags(location))
        .env("SARGS_PASSWORD", PASSWORD)
        .output()
        .expect("run sargs");
    assert!(made.status.success(), "{made:?}");
    // The tag's second script starts at a later seq than the first ended (see `strap_opens`):
    // the hole between is skipped after a second rather than the default two minutes.
    let service = Service::start(location, &["--seq-gap-timeout=1".to_string()], dir);
    let admin = Session::login(&service.http, "admin", PASSWORD).await;
    let unit = id(&admin
        .ok(
            Method::POST,
            "/api/v1/units",
            Some(json!({ "name": "Rīgas teritoriālā struktūrvienība" })),
        )
        .await);
    let mut officer_id = 0;
    for (name, display, role) in [
        ("operator", "Monitoringa centrs", "operator"),
        ("ilze.ozola", "Ilze Ozola", "officer"),
        ("supervisor", "Anna Liepa", "supervisor"),
        ("technician", "Tehniķis", "technician"),
        ("court", COURT, "court"),
    ] {
        let unit_id = matches!(role, "officer" | "supervisor").then_some(unit);
        let court = (role == "court").then_some(COURT);
        let user = admin
            .ok(
                Method::POST,
                "/api/v1/users",
                Some(
                    json!({ "username": name, "display_name": display, "role": role,
                             "unit_id": unit_id, "court": court, "password": PASSWORD }),
                ),
            )
            .await;
        if role == "officer" {
            officer_id = id(&user);
        }
    }
    let officer = Session::login(&service.http, "ilze.ozola", PASSWORD).await;
    let client = register(
        &officer,
        json!({ "personal_code": "010190-12345", "given_name": "Jānis", "family_name": "Bērziņš",
                "birth_date": "1990-01-01", "officer_id": officer_id }),
        "Brīvības iela 101, Rīga",
        HOME,
    )
    .await;
    let starts = Utc::now() - TimeDelta::days(1);
    let slots: Vec<_> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|day| json!({ "day": day, "start": "22:00", "end": "06:00" }))
        .collect();
    let order = id(&officer
        .ok(
            Method::POST,
            "/api/v1/orders",
            Some(json!({
                "client_id": client, "court": COURT, "case_number": "K-5/2026",
                "terms": { "decision_date": starts.date_naive().to_string(),
                           "legal_basis": "conditional_early_release",
                           "starts": starts.to_rfc3339(),
                           "ends": (starts + TimeDelta::days(90)).to_rfc3339(),
                           "curfew": { "timetable": [{ "address": "home", "slots": slots }] },
                           "zones": [{ "id": "exclusion-1", "kind": "exclusion",
                               "shape": { "type": "circle", "centre": [ZONE.1, ZONE.0], "radius_m": 150.0 } }],
                           "obligations": [{ "kind": "alcohol_ban", "description": "No alcohol" }] }
            })),
        )
        .await);
    // A second probation client, whose tag is not fitted yet: no data.
    let second = register(
        &officer,
        json!({ "personal_code": "020285-10002", "given_name": "Andris", "family_name": "Kalniņš",
                "birth_date": "1985-02-02", "officer_id": officer_id }),
        "Maskavas iela 40, Rīga",
        (56.9388, 24.1375),
    )
    .await;
    officer
        .ok(
            Method::POST,
            "/api/v1/orders",
            Some(json!({
                "client_id": second, "court": COURT, "case_number": "K-6/2026",
                "terms": { "decision_date": starts.date_naive().to_string(),
                           "legal_basis": "probation_supervision",
                           "starts": starts.to_rfc3339(),
                           "ends": (starts + TimeDelta::days(30)).to_rfc3339() }
            })),
        )
        .await;
    let technician = Session::login(&service.http, "technician", PASSWORD).await;
    technician
        .add_and_fit_tag(TAG, order, &starts.to_rfc3339())
        .await;
    officer.wait_in_force(order, "the order").await;
    (service, client, order)
}

/// Registers a probation client (`who`: the personal fields) living at `street`, at `home`
/// (latitude, longitude); their id.
async fn register(officer: &Session, mut who: Value, street: &str, home: (f64, f64)) -> i64 {
    who["language"] = json!("lv");
    who["addresses"] = json!([{ "id": "home", "street": street,
        "zone": { "type": "circle", "centre": [home.1, home.0], "radius_m": 40.0 } }]);
    id(&officer.ok(Method::POST, "/api/v1/clients", Some(who)).await)
}

/// The last thirteen minutes of the tag: at home, then into the exclusion zone; a heartbeat
/// every six minutes.
fn into_the_zone(service: &Service, dir: &Path) {
    let fix =
        |(lat, lon): (f64, f64)| format!("fix = {{ lat = {lat}, lon = {lon}, accuracy_m = 12 }}");
    let script = format!(
        "[[devices]]\nid = {TAG}\nkind = \"gps-tag\"\nreports = [\n  \
         {{ at = \"0m\", until = \"7m\", every = \"1m\", {} }},\n  \
         {{ at = \"8m\", until = \"12m\", every = \"1m\", {} }},\n  \
         {{ at = \"0m\", until = \"12m\", every = \"6m\", heartbeat = {{ battery_percent = 76 }} }},\n]\n",
        fix(HOME),
        fix(ZONE)
    );
    play_script(
        service,
        dir,
        &script,
        Some(Utc::now() - TimeDelta::minutes(13)),
    );
}

/// The tag's strap opens now; its frames go on from seq 100, after the first script's.
fn strap_opens(service: &Service, dir: &Path) {
    let script = format!(
        "[[devices]]\nid = {TAG}\nkind = \"gps-tag\"\nfirst_seq = 100\n\
         reports = [{{ at = \"0s\", event = \"strap_opened\" }}]\n"
    );
    play_script(service, dir, &script, Some(Utc::now()));
}

async fn sign_in(browser: &Browser, base: &str, user: &str) {
    browser.goto(&format!("{base}/")).await;
    browser.fill("#login input[name=username]", user).await;
    browser.fill("#login input[name=password]", PASSWORD).await;
    browser.click("#login button[type=submit]").await;
    browser.find("#logout").await;
}

async fn sign_out(browser: &Browser) {
    browser.click("#logout").await;
    browser.find("#login").await;
}

#[tokio::test]
async fn every_role_works_the_console_in_a_browser() {
    let dir = tempfile::tempdir().expect("dir");
    let location = StoreLocation::DataDir(dir.path().join("data"));
    let (service, client, order) = office(&location, dir.path()).await;
    let base = service.http.clone();
    let browser = Browser::start(1366, 1000, "en-GB,en").await;

    // The console is the binary's own, with a strict policy: nothing inline, nothing remote.
    let page = reqwest::get(format!("{base}/")).await.expect("the console");
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap_or_default()
        .to_string();
    assert!(policy.contains("script-src 'self'"), "{policy}");

    // The operator's queue, live: the breach arrives without a reload.
    sign_in(&browser, &base, "operator").await;
    browser.wait_text("h1", "Alert queue").await;
    browser.find("#live.on").await;
    // The beep for new alerts is off until the user turns it on, and stays on.
    browser.click("#sound").await;
    assert_eq!(
        browser
            .script("return localStorage.getItem('sargs.sound')")
            .await,
        "on"
    );
    browser.script("window.sargsNotReloaded = true").await;
    into_the_zone(&service, dir.path());
    browser
        .wait_text("#queue tbody", "exclusion zone entered")
        .await;
    assert_eq!(
        browser
            .script("return window.sargsNotReloaded === true")
            .await,
        true,
        "the page was not reloaded"
    );
    let zone_alert = browser
        .script(
            "return [...document.querySelectorAll('#queue tr[data-alert]')]\
             .find((r) => r.textContent.includes('exclusion zone entered')).dataset.alert",
        )
        .await;
    let zone_alert = zone_alert.as_str().unwrap_or_default().to_string();
    browser
        .click(&format!("#queue tr[data-alert='{zone_alert}'] button"))
        .await;
    browser.find("#alert-detail svg.map .map-cause").await;
    snap(&browser, "operator-queue").await;
    // On a tablet the alert goes below the queue.
    let laptop = browser.window_size().await;
    browser.resize(820, 1180).await;
    browser.find("#alert-detail svg.map").await;
    snap(&browser, "operator-queue-tablet").await;
    browser.resize(laptop.0, laptop.1).await;

    // Acknowledged, then resolved with a code and a note.
    browser
        .fill("#action-note", "Calling the probation client")
        .await;
    browser.click("#acknowledge").await;
    browser.wait_text("#alert-state", "acknowledged").await;
    browser
        .click("#resolution option[value=reasonable_excuse]")
        .await;
    browser
        .fill("#action-note", "Went to the pharmacy; confirmed by phone")
        .await;
    browser.click("#resolve").await;
    browser.wait_text("#alert-state", "resolved").await;
    browser
        .wait_text("#alert-detail .history", "Went to the pharmacy")
        .await;

    // Latvian and back: the words change, the choice is kept.
    browser.click("#language option[value=lv]").await;
    browser.wait_text("h1", "Trauksmju rinda").await;
    browser.wait_text("#logout", "Iziet").await;
    snap(&browser, "operator-queue-lv").await;
    browser.click("#language option[value=en]").await;
    browser.wait_text("h1", "Alert queue").await;
    sign_out(&browser).await;

    // The officer: the caseload at a glance, the client's page, an authorised absence.
    sign_in(&browser, &base, "ilze.ozola").await;
    browser
        .wait_text("table.caseload tbody", "Jānis Bērziņš")
        .await;
    browser.wait_text("table.caseload tbody", "breach").await;
    browser
        .wait_text("table.caseload tbody", "no device fitted")
        .await;
    snap(&browser, "officer-caseload").await;
    browser
        .click(&format!("table.caseload a[href='#/clients/{client}']"))
        .await;
    browser.find("#absence-form").await;
    browser.wait_text("h1", "Jānis Bērziņš").await;
    browser
        .click("#absence-reason option[value=hospital]")
        .await;
    browser
        .fill("#absence-details", "Outpatient appointment")
        .await;
    browser.click("#absence-form button[type=submit]").await;
    browser
        .wait_text("table.absences tbody", "Outpatient appointment")
        .await;
    browser.find("svg.map").await;
    snap(&browser, "client-page").await;
    assert_eq!(
        browser.script("return location.hash").await,
        format!("#/clients/{client}")
    );
    sign_out(&browser).await;

    // The supervisor: the unit's caseloads and open alerts by age.
    strap_opens(&service, dir.path());
    sign_in(&browser, &base, "supervisor").await;
    browser
        .wait_text("table.by-age tbody", "strap opened")
        .await;
    browser
        .wait_text("table.caseload tbody", "Ilze Ozola")
        .await;
    snap(&browser, "supervisor-unit").await;
    sign_out(&browser).await;

    // The technician: devices and their health, and no personal data.
    sign_in(&browser, &base, "technician").await;
    browser.wait_text("table.devices tbody", "T-1001").await;
    browser.wait_text("table.devices tbody", "76 %").await;
    let text = browser.page_text().await;
    for personal in ["Bērziņš", "010190-12345", "Brīvības"] {
        assert!(!text.contains(personal), "a technician sees {personal}");
    }
    snap(&browser, "technician-devices").await;
    // The tag taken off (back in stock) and fitted again under the order.
    browser.click("#remove-status option[value=in_stock]").await;
    browser.click("#remove").await;
    browser.wait_text("table.devices tbody", "in stock").await;
    browser.fill("#fit-order", &order.to_string()).await;
    browser.click("#fit").await;
    browser.wait_text("table.devices tbody", "fitted").await;
    sign_out(&browser).await;

    // The court: the orders it issued and their compliance.
    sign_in(&browser, &base, "court").await;
    browser.wait_text("table.orders tbody", "K-5/2026").await;
    browser
        .wait_text("table.orders tbody", "exclusion zone entered")
        .await;
    browser.wait_text("table.orders tbody", " of ").await;
    // The summary's link gives the court report itself, as the court's session may read it.
    let pdf = browser
        .script(
            "const x = new XMLHttpRequest(); \
             x.open('GET', document.querySelector('table.orders a.report-pdf').href, false); \
             x.send(); return [x.status, x.getResponseHeader('content-type'), x.responseText.slice(0, 5)];",
        )
        .await;
    assert_eq!(pdf, json!([200, "application/pdf", "%PDF-"]), "{pdf}");
    snap(&browser, "court-orders").await;
    sign_out(&browser).await;

    // An administrator sees the queue but acts on no alert: that is the people on duty's.
    sign_in(&browser, &base, "admin").await;
    browser.wait_text("#queue tbody", "strap opened").await;
    browser.click("#queue tr[data-alert] button").await;
    browser.find("#alert-detail .history").await;
    assert!(!browser.page_text().await.contains("Acknowledge"));
    sign_out(&browser).await;
    browser.quit().await;
}
