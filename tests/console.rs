//! The web console end to end, in headless Chromium over WebDriver, against `sargs serve`: each
//! role signs in and sees its own home page (a technician no personal data); a tag's frames
//! over MQTT cause a breach that arrives in the operator's queue live, without a reload; the
//! operator acknowledges and resolves it with a note; an officer records an authorised absence;
//! the language switches between Latvian and English; an administrator sees the queue but acts
//! on nothing; everyone signs out. Then an operator escalates, asks the tag for a fix and writes
//! notes; the console is worked by keyboard alone; the map draws tiles from the server it is
//! given; and a locked-out user is told until when. Each on SQLite, and on PostgreSQL when
//! `SARGS_TEST_DATABASE_URL` is set.
//!
//! With `SARGS_SCREENSHOTS=docs/console` the main pages are saved there as PNGs.

mod common;
#[path = "common/webdriver.rs"]
mod webdriver;

use std::path::{Path, PathBuf};

use alerts::testing::TestHttpServer;
use chrono::{TimeDelta, Utc};
use common::*;
use firmware_proto::DownlinkEvent;
use reqwest::Method;
use serde_json::{Value, json};
use store::StoreLocation;
use store::testing::test_databases;
use webdriver::{ARROW_DOWN, ARROW_UP, Browser, ENTER, SPACE, TAB};

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
/// exclusion zone) with a GPS tag fitted, and another whose tag is not fitted yet; the service
/// started with `extra` flags too. Returns the service, the first client's id and their
/// order's.
async fn office(location: &StoreLocation, dir: &Path, extra: &[String]) -> (Service, i64, i64) {
    // The tag's second script starts at a later seq than the first ended (see `strap_opens`):
    // the hole between is skipped after a second rather than the default two minutes.
    let mut flags = vec!["--seq-gap-timeout=1".to_string()];
    flags.extend_from_slice(extra);
    let (service, admin, unit) = start_with_admin(location, &flags, dir, PASSWORD).await;
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
                           "curfew": every_night(),
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

/// Waits for the tag's breach to reach the signed-in operator's queue; the alert's id.
async fn zone_alert(browser: &Browser) -> i64 {
    browser
        .wait_text("#queue tbody", "exclusion zone entered")
        .await;
    let alert = browser
        .script(
            "return [...document.querySelectorAll('#queue tr[data-alert]')]\
             .find((r) => r.textContent.includes('exclusion zone entered')).dataset.alert",
        )
        .await;
    alert
        .as_str()
        .and_then(|a| a.parse().ok())
        .expect("an alert id")
}

/// Whether an alert (`GET /alerts/{id}`) has an event of `action` whose note has `note`.
fn has_event(alert: &Value, action: &str, note: &str) -> bool {
    alert["events"].as_array().is_some_and(|events| {
        events
            .iter()
            .any(|e| e["action"] == action && e["note"].as_str().is_some_and(|n| n.contains(note)))
    })
}

/// The addresses the page fetched from any origin but its own.
const FOREIGN_REQUESTS: &str = "return performance.getEntriesByType('resource')\
     .map((e) => e.name).filter((n) => !n.startsWith(location.origin + '/'))";

#[tokio::test]
async fn every_role_works_the_console_in_a_browser() {
    for db in test_databases().await {
        every_role_works_the_console(&db.location).await;
    }
}

async fn every_role_works_the_console(location: &StoreLocation) {
    let dir = tempfile::tempdir().expect("dir");
    let (service, client, order) = office(location, dir.path(), &[]).await;
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
    let alert = zone_alert(&browser).await;
    assert_eq!(
        browser
            .script("return window.sargsNotReloaded === true")
            .await,
        true,
        "the page was not reloaded"
    );
    browser.click(&format!("#open-alert-{alert}")).await;
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
    // With no tile server given, the map is the console's own: nothing fetched from elsewhere.
    assert_eq!(
        browser
            .script("return document.querySelectorAll('svg.map .map-tiles').length")
            .await,
        0
    );
    assert_eq!(browser.script(FOREIGN_REQUESTS).await, json!([]));
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
    // Beside the client's state, in words: the breach, and the alert nobody has resolved.
    let row = format!("table.caseload tr[data-client='{client}']");
    browser.wait_text(&row, "strap opened").await;
    browser
        .wait_text(&format!("{row} .open-alerts"), "strap opened")
        .await;
    browser
        .wait_text(&format!("{row} .open-alerts"), "open")
        .await;
    let detail = format!("return document.querySelector(\"{row} .state-detail\").textContent");
    assert_eq!(browser.script(&detail).await, "strap opened");
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

/// Where each of the later tests starts: the office on `location` (its service given `extra`
/// flags too), the operator's API session, and a fresh browser in English.
struct Start {
    dir: tempfile::TempDir,
    service: Service,
    client: i64,
    base: String,
    operator: Session,
    browser: Browser,
}

async fn start(location: &StoreLocation, extra: &[String]) -> Start {
    let dir = tempfile::tempdir().expect("dir");
    let (service, client, _) = office(location, dir.path(), extra).await;
    let base = service.http.clone();
    let operator = Session::login(&base, "operator", PASSWORD).await;
    let browser = Browser::start(1366, 1000, "en-GB,en").await;
    Start {
        dir,
        service,
        client,
        base,
        operator,
        browser,
    }
}

/// The operator's other actions on an alert, in the browser: escalating by hand (refused without
/// a reason), asking the tag for a fix now (the tag receives LOCATE_NOW over MQTT), a note on
/// the alert, and a note on the probation client's page; each shown, and stored.
#[tokio::test]
async fn an_operator_escalates_locates_and_writes_notes_in_a_browser() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        sign_in(&browser, &s.base, "operator").await;
        into_the_zone(&s.service, s.dir.path());
        let alert = zone_alert(&browser).await;
        let path = format!("/api/v1/alerts/{alert}");
        browser.click(&format!("#open-alert-{alert}")).await;
        browser.find("#alert-detail #escalate").await;
        let level = s.operator.ok(Method::GET, &path, None).await["alert"]["level"]
            .as_i64()
            .expect("a level");

        // Escalating needs a reason; with one, the alert goes one level up at once.
        browser.click("#escalate").await;
        browser.wait_text("#status", "Write a note first.").await;
        let stored = s.operator.ok(Method::GET, &path, None).await;
        assert_eq!(stored["alert"]["level"], level, "{}", db.name);
        let why = "No answer on the phone, supervisor informed";
        browser.fill("#action-note", why).await;
        browser.click("#escalate").await;
        browser.wait_text("#status", "Escalated.").await;
        let above = format!("level {}", level + 1);
        browser.wait_text("#alert-detail .facts", &above).await;
        browser
            .wait_text(&format!("#queue tr[data-alert='{alert}']"), &above)
            .await;
        let history = browser.wait_text("#alert-detail .history", why).await;
        assert!(history.contains("escalated"), "{history}");
        let stored = s.operator.ok(Method::GET, &path, None).await;
        assert_eq!(stored["alert"]["level"], level + 1, "{}", db.name);
        assert!(has_event(&stored, "escalated", why), "{stored}");

        // Locate now: the command goes down to the tag, and the alert says so.
        let key = hex::decode(sim_key(1, TAG)).expect("hex");
        let mut tag = MqttDevice::connect(
            s.service.mqtt_port,
            TAG,
            Some(key.try_into().expect("a 32-byte key")),
        )
        .await;
        browser.click("#locate").await;
        browser
            .wait_text("#status", "Location request sent to the tag.")
            .await;
        tag.wait_event(&DownlinkEvent::LocateNow).await;
        let sent = format!("LOCATE_NOW to device {TAG}");
        browser.wait_text("#alert-detail .history", &sent).await;
        browser
            .wait_text("#alert-detail .history", "location requested")
            .await;
        let stored = s.operator.ok(Method::GET, &path, None).await;
        assert!(has_event(&stored, "locate_requested", &sent), "{stored}");

        // A note on the alert; the alert stays open.
        browser
            .fill("#action-note", "Left a voicemail for the client")
            .await;
        browser.click("#add-note").await;
        browser
            .wait_text("#alert-detail .history", "Left a voicemail")
            .await;
        browser.wait_text("#alert-state", "open").await;
        let stored = s.operator.ok(Method::GET, &path, None).await;
        assert!(has_event(&stored, "noted", "Left a voicemail"), "{stored}");
        assert_eq!(stored["alert"]["state"], "open");

        // A note on the probation client, from the alert's link to their page.
        browser.click("#alert-detail .facts a").await;
        browser.wait_text("h1", "Jānis Bērziņš").await;
        let note = "Tag located inside the exclusion zone at 02:10";
        browser.fill("#note-text", note).await;
        browser.click("#note-submit").await;
        browser.wait_text("ul.notes", note).await;
        browser.wait_text("#status", "Note added.").await;
        let notes = format!("/api/v1/notes?client_id={}", s.client);
        let notes = s.operator.ok(Method::GET, &notes, None).await;
        assert!(
            notes
                .as_array()
                .is_some_and(|n| n.iter().any(|n| n["text"] == note)),
            "{notes}"
        );
        sign_out(&browser).await;
        browser.quit().await;
    }
}

/// The console by keyboard alone: signing in, the skip link, the language switch, the queue's
/// filter and rows, acknowledging and resolving an alert; every stop of the focus drawn, and the
/// focus kept where it was when the live feed or an action draws the page again.
#[tokio::test]
async fn the_console_works_by_keyboard_alone() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        let focus = async || browser.focused().await["id"].clone();

        // Signing in: the page puts the focus in the first field.
        browser.goto(&format!("{}/", s.base)).await;
        browser.find("#login").await;
        assert_eq!(
            browser.script("return document.activeElement.name").await,
            "username"
        );
        browser
            .keys(&format!("operator{TAB}{PASSWORD}{ENTER}"))
            .await;
        browser.wait_text("h1", "Alert queue").await;
        into_the_zone(&s.service, s.dir.path());
        let alert = zone_alert(&browser).await;

        // The language switch, by arrow keys; the focus stays on it as the page is drawn again.
        browser.tab_to("#language").await;
        browser.keys(ARROW_UP).await;
        browser.wait_text("h1", "Trauksmju rinda").await;
        assert_eq!(focus().await, "language");
        browser.keys(ARROW_DOWN).await;
        browser.wait_text("h1", "Alert queue").await;
        assert_eq!(focus().await, "language");
        browser.tab_to("#logout").await;

        // The queue's filter: acknowledged alerts only hides the open one; back to unresolved.
        browser.tab_to("#alert-filter").await;
        browser.keys(&format!("{ARROW_DOWN}{ARROW_DOWN}")).await;
        browser.wait_text("#queue tbody", "None").await;
        browser.keys(&format!("{ARROW_UP}{ARROW_UP}")).await;
        browser.find(&format!("#open-alert-{alert}")).await;
        browser.tab_to("#sound").await;

        // The row's button keeps the focus while the live feed draws the queue again.
        let row = format!("#open-alert-{alert}");
        browser.tab_to(&row).await;
        browser
            .script("document.activeElement.dataset.before = 'yes'")
            .await;
        let seen = json!({ "note": "Seen on the wall screen" });
        let notes = format!("/api/v1/alerts/{alert}/notes");
        s.operator.ok(Method::POST, &notes, Some(seen)).await;
        let redrawn = format!("return !document.querySelector({row:?}).dataset.before");
        browser
            .poll("the queue was never drawn again", async || {
                (browser.script(&redrawn).await == true).then_some(())
            })
            .await;
        assert_eq!(focus().await, format!("open-alert-{alert}"));

        // Opening it moves the focus to the alert; acknowledged by Enter.
        browser.keys(ENTER).await;
        browser.wait_text("#alert-state", "open").await;
        assert_eq!(focus().await, "alert-detail");
        browser.tab_to("#action-note").await;
        browser.keys("Calling the client").await;
        browser.tab_to("#acknowledge").await;
        browser.keys(ENTER).await;
        browser.wait_text("#alert-state", "acknowledged").await;
        // The button is gone with the state; the focus is on the alert, not lost.
        assert_eq!(focus().await, "alert-detail");

        // Resolved: a note, a code chosen by arrow keys, and Space on the button.
        browser.tab_to("#action-note").await;
        browser.keys("Phoned back from the pharmacy").await;
        browser.keys(TAB).await;
        assert_eq!(focus().await, "resolution");
        browser
            .keys(&format!("{ARROW_DOWN}{ARROW_DOWN}{ARROW_DOWN}"))
            .await;
        assert_eq!(
            browser.script("return document.activeElement.value").await,
            "reasonable_excuse"
        );
        browser.tab_to("#resolve").await;
        browser.keys(SPACE).await;
        browser.wait_text("#alert-state", "resolved").await;
        browser
            .wait_text("#alert-detail .history", "Phoned back from the pharmacy")
            .await;

        // The skip link (Tab goes round to it) shows itself and moves the focus to the page,
        // which stays the alert's: its #main is not taken for a page's address.
        browser.tab_to("#skip").await;
        let left = browser
            .script("return document.activeElement.getBoundingClientRect().left")
            .await;
        assert!(left.as_f64().is_some_and(|x| x >= 0.0), "hidden: {left}");
        browser.keys(ENTER).await;
        assert_eq!(focus().await, "main");
        let here = format!("#/alerts/{alert}");
        assert_eq!(browser.script("return location.hash").await, here);
        browser.find("#alert-detail .history").await;
        let stored = s
            .operator
            .ok(Method::GET, &format!("/api/v1/alerts/{alert}"), None)
            .await;
        assert_eq!(
            stored["alert"]["resolution"], "reasonable_excuse",
            "{}",
            db.name
        );
        assert!(
            has_event(&stored, "acknowledged", "Calling the client"),
            "{stored}"
        );
        browser.quit().await;
    }
}

/// A tiny 1×1 PNG: what the test's tile server answers.
const TILE: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x38, 0x73, 0xf7, 0x0c,
    0x00, 0x04, 0xee, 0x02, 0x76, 0x47, 0x44, 0x21, 0x06, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The Web Mercator tile (x, y) at zoom `z` holding a point.
fn tile_of((lat, lon): (f64, f64), z: u32) -> (i64, i64) {
    let n = f64::from(1u32 << z);
    let lat = lat.to_radians();
    let x = (lon + 180.0) / 360.0 * n;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x.floor() as i64, y.floor() as i64)
}

/// `sargs serve --map-tiles`: the client's map puts raster tiles from that server (and only it,
/// as the policy says) under the drawing, those around the client's home at a street-level
/// zoom. Without the flag nothing is fetched from elsewhere (the first test checks that).
#[tokio::test]
async fn the_map_draws_tiles_from_the_server_it_is_given() {
    for db in test_databases().await {
        let tiles = TestHttpServer::start().await;
        tiles.set_body("image/png", TILE);
        let template = tiles.url("/{z}/{x}/{y}.png");
        let flags = [format!("--map-tiles={template}")];
        let s = start(&db.location, &flags).await;
        let browser = s.browser;
        let page = reqwest::get(format!("{}/", s.base))
            .await
            .expect("the console");
        let policy = page.headers()["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .to_string();
        let origin = tiles.url("");
        assert!(
            policy.contains(&format!("img-src 'self' data: {origin};")),
            "{policy}"
        );

        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser.find("svg.map .map-address").await;
        let hrefs = browser
            .script(
                "return [...document.querySelectorAll('svg.map g.map-tiles image')]\
                 .map((i) => i.getAttribute('href'))",
            )
            .await;
        let hrefs: Vec<String> = serde_json::from_value(hrefs).expect("a list");
        assert!(!hrefs.is_empty(), "no tiles in the map");
        // Every tile the map shows, fetched from the tile server by the browser.
        let wanted: std::collections::BTreeSet<String> = hrefs
            .iter()
            .map(|h| {
                h.strip_prefix(&origin)
                    .expect("from the tile server")
                    .to_string()
            })
            .collect();
        let fetched = browser
            .poll("the browser never fetched every tile", async || {
                let fetched: std::collections::BTreeSet<String> =
                    tiles.requests().into_iter().map(|r| r.path).collect();
                (fetched == wanted).then_some(fetched)
            })
            .await;
        for request in tiles.requests() {
            assert!(request.header("referer").is_none(), "{request:?}");
        }
        // Street level, around the client's home: the tile under it and its neighbours.
        let zxy: Vec<(u32, i64, i64)> = fetched
            .iter()
            .map(|path| {
                let parts: Vec<&str> = path
                    .trim_start_matches('/')
                    .trim_end_matches(".png")
                    .split('/')
                    .collect();
                assert_eq!(parts.len(), 3, "{path}");
                (
                    parts[0].parse().expect("z"),
                    parts[1].parse().expect("x"),
                    parts[2].parse().expect("y"),
                )
            })
            .collect();
        let z = zxy[0].0;
        assert!((12..=17).contains(&z), "zoom {z}: {fetched:?}");
        let home = tile_of(HOME, z);
        assert!(
            zxy.contains(&(z, home.0, home.1)),
            "home {home:?} not among {fetched:?}"
        );
        for (tz, x, y) in &zxy {
            assert_eq!(*tz, z, "{fetched:?}");
            assert!(
                (x - home.0).abs() <= 3 && (y - home.1).abs() <= 3,
                "{fetched:?}"
            );
        }
        // From there and nowhere else.
        let foreign = browser.script(FOREIGN_REQUESTS).await;
        let foreign: Vec<String> = serde_json::from_value(foreign).expect("a list");
        assert!(
            foreign
                .iter()
                .all(|url| url.starts_with(&format!("{origin}/"))),
            "{foreign:?}"
        );
        sign_out(&browser).await;
        browser.quit().await;
    }
}

/// A locked-out user is told so, and until when in Riga time, in English and in Latvian; not
/// that the password is wrong.
#[tokio::test]
async fn a_locked_out_user_is_told_until_when_in_a_browser() {
    for db in test_databases().await {
        let dir = tempfile::tempdir().expect("dir");
        let (service, _admin, _) = start_with_admin(&db.location, &[], dir.path(), PASSWORD).await;
        let base = service.http.clone();
        let browser = Browser::start(1366, 1000, "en-GB,en").await;
        browser.goto(&format!("{base}/")).await;
        let attempt = async |password: &str| {
            browser.fill("#login input[name=username]", "admin").await;
            browser.fill("#login input[name=password]", password).await;
            browser.click("#login button[type=submit]").await;
        };
        for i in 1..cases::MAX_FAILURES {
            attempt(&format!("wrong password {i}")).await;
            // Each answer replaces the one before; wait for this one's to be drawn.
            browser
                .poll("the refusal", async || {
                    let text = browser
                        .script("return document.getElementById('login-error').textContent")
                        .await;
                    (text == "Wrong user name or password.").then_some(())
                })
                .await;
            browser
                .script("document.getElementById('login-error').textContent = ''")
                .await;
        }
        attempt("wrong password 5").await;
        let told = browser.wait_text("#login-error", "locked until").await;
        // The lock's end as the API gives it, in Riga's time as the console writes times.
        let answer: Value = reqwest::Client::new()
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "username": "admin", "password": PASSWORD }))
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("json");
        assert_eq!(answer["error"], "locked_out", "{}", db.name);
        let riga = |locale: &str| {
            format!(
                "return new Intl.DateTimeFormat('{locale}', {{ dateStyle: 'short', timeStyle: 'medium', \
                 timeZone: 'Europe/Riga' }}).format(new Date({}))",
                answer["until"]
            )
        };
        let until = browser.script(&riga("en-GB")).await;
        let until = until.as_str().expect("a time");
        assert_eq!(
            told,
            format!("Too many wrong passwords: the account is locked until {until}."),
            "{}",
            db.name
        );
        snap(&browser, "locked-out").await;

        // The right password now is refused the same way, in Latvian too.
        browser.click("#language option[value=lv]").await;
        browser.wait_text("h1", "Pieteikties").await;
        attempt(PASSWORD).await;
        let told = browser.wait_text("#login-error", "bloķēts līdz").await;
        let until = browser.script(&riga("lv-LV")).await;
        assert_eq!(
            told,
            format!(
                "Pārāk daudz nepareizu paroļu: konts ir bloķēts līdz {}.",
                until.as_str().expect("a time")
            )
        );
        let signed_in = browser
            .script("return document.getElementById('logout') !== null")
            .await;
        assert_eq!(signed_in, false, "{}", db.name);
        browser.quit().await;
    }
}

/// Lists a page at a time, with the page size made 2 (`sargs.page_size`): the operator's queue
/// offers *Show more* while older alerts are left, and shows both the tag's alerts once asked;
/// a probation client's timeline holds every observation the API has of the tag (a fix and a
/// heartbeat at the same instant among them), read two at a time.
#[tokio::test]
async fn the_queue_and_a_track_are_read_a_page_at_a_time_in_a_browser() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        // The tag's alerts by kind (at night the curfew's too), once `kind` is among them.
        let alerts = async |kind: &str| {
            let list = s.operator.ok(Method::GET, "/api/v1/alerts", None).await;
            let list = list.as_array()?.clone();
            list.iter().any(|a| a["kind"] == kind).then(|| {
                list.iter()
                    .filter_map(|a| a["id"].as_i64())
                    .collect::<Vec<_>>()
            })
        };
        into_the_zone(&s.service, s.dir.path());
        browser
            .poll("the zone's alert", async || {
                alerts("exclusion_zone_entered").await
            })
            .await;
        strap_opens(&s.service, s.dir.path());
        let both = browser
            .poll("the strap's alert", async || alerts("strap_opened").await)
            .await;
        assert!(both.len() >= 2, "{}: {both:?}", db.name);

        browser.goto(&format!("{}/", s.base)).await;
        browser
            .script("localStorage.setItem('sargs.page_size', '2')")
            .await;
        sign_in(&browser, &s.base, "operator").await;
        browser.find("#queue tr[data-alert]").await;
        // Older alerts on asking, until none are left: each click adds a page, the last one
        // none, and takes the button away.
        const ROWS: &str = "return document.querySelectorAll('#queue tr[data-alert]').length";
        const MORE: &str = "return !!document.getElementById('more-alerts')";
        assert_eq!(
            browser.script(MORE).await,
            true,
            "{}: no Show more",
            db.name
        );
        loop {
            let rows = browser.script(ROWS).await.as_u64();
            let clicked = browser
                .script(
                    "const more = document.getElementById('more-alerts'); \
                     if (more) more.click(); return !!more",
                )
                .await;
            if clicked != true {
                break;
            }
            browser
                .poll("another page of the queue", async || {
                    let grown = browser.script(ROWS).await.as_u64() > rows;
                    (grown || browser.script(MORE).await == false).then_some(())
                })
                .await;
        }
        for alert in &both {
            browser.find(&format!("#open-alert-{alert}")).await;
        }

        let now = Utc::now();
        let stored = s
            .operator
            .ok(
                Method::GET,
                &format!(
                    "/api/v1/devices/{TAG}/observations?from={}&to={}&limit=5000",
                    (now - TimeDelta::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
                    (now + TimeDelta::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ"),
                ),
                None,
            )
            .await;
        let stored = stored.as_array().map_or(0, Vec::len);
        assert!(stored > 10, "{}: {stored} observations", db.name);
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        let shown = browser
            .poll("the whole timeline", async || {
                let rows = browser
                    .script("return document.querySelectorAll('table.timeline tbody tr').length")
                    .await;
                (rows.as_u64() == Some(stored as u64)).then_some(rows)
            })
            .await;
        assert_eq!(shown, json!(stored), "{}", db.name);
        browser.quit().await;
    }
}
