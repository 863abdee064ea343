//! An administrator records a victim in the browser (a blank contact and a phone that is not
//! one refused in words, nothing recorded), gives them the phone they carry, clears a contact
//! number no longer theirs, and protects them by the probation client's order: a variation
//! with a proximity condition (distances that cannot work refused in words first).

use super::*;

/// The orders whose terms protect `victim`, as the API lists them.
async fn protecting(admin: &Session, victim: &Value) -> Value {
    let path = format!("/api/v1/orders?victim_id={}", victim["id"]);
    admin.ok(Method::GET, &path, None).await
}

#[tokio::test]
async fn a_victim_is_recorded_and_protected_by_an_order() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let admin = Session::login(&s.base, "admin", PASSWORD).await;
        // The victim's own phone, in the inventory: no firmware anyone can read.
        admin
            .ok(
                Method::POST,
                "/api/v1/devices",
                Some(
                    json!({ "device_id": 9001, "serial": "P-9001", "kind": "gps-tag",
                             "model": "Phone" }),
                ),
            )
            .await;
        let browser = s.browser;
        sign_in(&browser, &s.base, "admin").await;
        browser.click("#nav-victims").await;
        browser.find("#victim-form").await;

        // Nothing recorded from a blank contact or a phone that is not a number.
        browser.fill("#new-victim-name", "").await;
        browser.fill("#new-victim-phone", "call me").await;
        browser.click("#victim-create").await;
        let said = browser.wait_text("#status", "Nothing was changed").await;
        assert_eq!(
            said,
            "Nothing was changed: Contact: must be filled in.; \
             Phone: must be a phone number, such as +371 20000000.",
            "{}",
            db.name
        );
        let listed = admin.ok(Method::GET, "/api/v1/victims", None).await;
        assert_eq!(listed, json!([]), "{}", db.name);

        browser.fill("#new-victim-name", "Marta Kalna").await;
        browser.fill("#new-victim-phone", "+371 20000001").await;
        browser.click("#victim-create").await;
        browser.wait_text("#status", "Victim recorded.").await;
        browser.wait_text("#victims tbody", "Marta Kalna").await;
        let listed = admin.ok(Method::GET, "/api/v1/victims", None).await;
        let victim = listed[0].clone();
        assert_eq!(
            (victim["contact_phone"].clone(), victim["device_id"].clone()),
            (json!("+371 20000001"), Value::Null),
            "{}",
            db.name
        );

        // Her phone, chosen from the inventory.
        browser
            .click("#edit-victim-device option[value='9001']")
            .await;
        browser.click("#victim-save").await;
        browser.wait_text("#status", "Victim's record saved.").await;
        // The page drawn again: the list shows her device.
        browser.wait_text("#victims tbody", "9001").await;
        let path = format!("/api/v1/victims/{}", victim["id"]);
        let saved = admin.ok(Method::GET, &path, None).await;
        assert_eq!(saved["device_id"], 9001, "{}", db.name);

        // The number she gave is no longer hers: emptied, it is cleared; her device stays.
        browser.fill("#edit-victim-phone", "").await;
        browser.click("#victim-save").await;
        let cleared = browser
            .poll("the victim's phone cleared", async || {
                let now = admin.ok(Method::GET, &path, None).await;
                now["contact_phone"].is_null().then_some(now)
            })
            .await;
        assert_eq!(cleared["device_id"], 9001, "{}", db.name);
        browser
            .poll("the list without her old number", async || {
                let list = browser.wait_text("#victims tbody", "Marta Kalna").await;
                (!list.contains("+371 20000001")).then_some(())
            })
            .await;

        // Protected by the client's order, found by its case number.
        browser.fill("#protect-search", "K-5").await;
        browser.click("#protect-find").await;
        browser.wait_text("#protect-found", "1").await;
        browser.fill("#protect-alarm_m", "500").await;
        browser.fill("#protect-release_m", "300").await;
        browser.click("#protect-submit").await;
        browser
            .wait_text(
                "#status",
                "Release distance: write metres at least the alarm distance",
            )
            .await;
        let orders = protecting(&admin, &victim).await;
        assert_eq!(orders, json!([]), "{}: nothing varied", db.name);
        browser.fill("#protect-release_m", "700").await;
        browser
            .fill("#protect-reason", "Rīgas pilsētas tiesas lēmums 12.11.2026")
            .await;
        browser.click("#protect-submit").await;
        browser
            .wait_text("#status", "The order now protects the victim.")
            .await;
        browser.wait_text("#protecting tbody", "K-5/2026").await;
        let orders = protecting(&admin, &victim).await;
        let proximity = &orders[0]["terms"]["proximity"][0];
        assert_eq!(
            (
                proximity["victim_id"].clone(),
                proximity["alarm_m"].clone(),
                proximity["release_m"].clone(),
                proximity["warning_m"].clone()
            ),
            (
                victim["id"].clone(),
                json!(500.0),
                json!(700.0),
                json!(1000.0)
            ),
            "{}",
            db.name
        );
        browser.quit().await;
    }
}
