//! The web console end to end, in headless Chromium over WebDriver, against `sargs serve`: each
//! role signs in and sees its own home page (a technician no personal data); a tag's frames
//! over MQTT cause a breach that arrives in the operator's queue live, without a reload; the
//! operator acknowledges and resolves it with a note; an officer records an authorised absence;
//! the language switches between Latvian and English; an administrator sees the queue but acts
//! on nothing; everyone signs out. Then an operator escalates, asks the tag for a fix and writes
//! notes; the console is worked by keyboard alone; the map draws tiles from the server it is
//! given; and a locked-out user is told until when. An administrator makes, unlocks, resets and
//! disables a user, saves a unit's notification settings and records a victim. And the tour
//! visits every page in both languages, checking each is whole and in its words. Each on
//! SQLite, and on PostgreSQL when `SARGS_TEST_DATABASE_URL` is set.
//!
//! With `SARGS_SCREENSHOTS=<absolute dir>` the tour saves every page there as
//! `<role>-<page>-<lang>.png` (docs/console/), and a few tests what only they show.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/webdriver.rs"]
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

mod absences;
mod admin;
mod case_forms;
mod client_page;
mod court;
mod dates;
mod keyboard;
mod map;
mod operator;
mod queue;
mod revisions;
mod roles;
mod sign_in;
mod technician;
mod tour;
mod track;
mod units;
mod victims;
mod words;

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

/// One part of the page (the element matching `css`), brought into view whole.
async fn snap_part(browser: &Browser, css: &str, name: &str) {
    if let Some(dir) = screenshots() {
        browser
            .script(&format!(
                "document.querySelector({}).scrollIntoView()",
                Value::from(css)
            ))
            .await;
        browser
            .element_screenshot(css, &dir.join(format!("{name}.png")))
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
        ("operator", "Uzraudzības centrs", "operator"),
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

/// Where each of the later tests starts: the office on `location` (its service given `extra`
/// flags too), the operator's API session, and a fresh browser in (British) English.
struct Start {
    dir: tempfile::TempDir,
    service: Service,
    client: i64,
    base: String,
    operator: Session,
    browser: Browser,
}

async fn start(location: &StoreLocation, extra: &[String]) -> Start {
    start_in(location, extra, "en-GB,en").await
}

/// As `start`, with a browser whose own languages are `languages`.
async fn start_in(location: &StoreLocation, extra: &[String], languages: &str) -> Start {
    let dir = tempfile::tempdir().expect("dir");
    let (service, client, _) = office(location, dir.path(), extra).await;
    let base = service.http.clone();
    let operator = Session::login(&base, "operator", PASSWORD).await;
    let browser = Browser::start(1366, 1000, languages).await;
    Start {
        dir,
        service,
        client,
        base,
        operator,
        browser,
    }
}
