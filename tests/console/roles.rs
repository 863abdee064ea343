//! Every role signs in and works its own pages: the live queue, acknowledging and resolving,
//! an authorised absence, the language switch, signing out; nothing fetched from elsewhere.

use super::*;

#[tokio::test]
async fn every_role_works_the_console_in_a_browser() {
    for db in test_databases().await {
        every_role_works_the_console(&db.location).await;
    }
}

async fn every_role_works_the_console(location: &StoreLocation) {
    let dir = tempfile::tempdir().expect("dir");
    let (service, client, _) = office(location, dir.path(), &[]).await;
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
    browser.find("#alert-detail .map .map-cause-marker").await;
    // On a tablet the alert goes below the queue.
    let laptop = browser.window_size().await;
    browser.resize(820, 1180).await;
    browser.find("#alert-detail .map.leaflet-container").await;
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
    browser.find(".map.leaflet-container .map-grid-label").await;
    // With no tile server given, the map is the console's own: nothing fetched from elsewhere.
    assert_eq!(
        browser
            .script("return document.querySelectorAll('.map .leaflet-tile').length")
            .await,
        0
    );
    assert_eq!(browser.script(FOREIGN_REQUESTS).await, json!([]));
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
    sign_out(&browser).await;

    // The technician: devices and their health, and no personal data.
    sign_in(&browser, &base, "technician").await;
    browser.wait_text("table.devices tbody", "T-1001").await;
    browser.wait_text("table.devices tbody", "76 %").await;
    let text = browser.page_text().await;
    for personal in ["Bērziņš", "010190-12345", "Brīvības"] {
        assert!(!text.contains(personal), "a technician sees {personal}");
    }
    // The tag taken off (back in stock) and fitted again under the order.
    browser.click("#remove-status option[value=in_stock]").await;
    browser.click("#remove").await;
    browser.wait_text("table.devices tbody", "in stock").await;
    // Found by the court's case number, not an internal id.
    browser.fill("#fit-search", "K-5/2026").await;
    browser.click("#fit-find").await;
    browser.wait_text("#fit-order", "Jānis Bērziņš").await;
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
    // The client's page: what the court may not see is said to be not shown, never "none".
    browser.goto(&format!("{base}/#/clients/{client}")).await;
    browser
        .wait_text("#main", "Not shown to your role (court).")
        .await;
    let shown = browser
        .script("return document.querySelectorAll('p.not-shown').length")
        .await;
    assert!(
        shown.as_u64().is_some_and(|n| n >= 4),
        "devices, alerts, observations, absences and notes: {shown}"
    );
    let forms = browser
        .script("return document.querySelectorAll('#absence-form, #note-form, button.absence-cancel').length")
        .await;
    assert_eq!(forms, json!(0), "the court changes nothing");
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
