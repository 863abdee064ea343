//! An administrator's units in the browser: a unit made (a blank name refused in words, nothing
//! made), and its notification settings (channels, an escalation contact, escalation times)
//! saved and read back, after minutes that are not minutes were refused in words.

use super::*;

#[tokio::test]
async fn a_units_notification_settings_are_saved_and_read_back() {
    for db in test_databases().await {
        let dir = tempfile::tempdir().expect("dir");
        let (service, admin, unit) =
            start_with_admin(&db.location, &[], dir.path(), PASSWORD).await;
        let base = service.http.clone();
        let lead = admin
            .ok(
                Method::POST,
                "/api/v1/users",
                Some(json!({ "username": "lead", "display_name": "Dace Priede",
                             "role": "operator", "password": PASSWORD })),
            )
            .await;
        let browser = Browser::start(1366, 1000, "en-GB,en").await;
        sign_in(&browser, &base, "admin").await;
        browser.click("#nav-units").await;
        browser.wait_text("#units tbody", "Rīga").await;

        // A blank name: said so; no unit made.
        browser.fill("#new-unit-name", "   ").await;
        browser.click("#unit-create").await;
        let said = browser.wait_text("#status", "Nothing was changed").await;
        assert_eq!(
            said, "Nothing was changed: Name: must be filled in.",
            "{}",
            db.name
        );
        let units = admin.ok(Method::GET, "/api/v1/units", None).await;
        assert_eq!(units.as_array().map(Vec::len), Some(1), "{}", db.name);

        // A department of Rīga.
        browser
            .fill("#new-unit-name", "Rīgas Pārdaugavas nodaļa")
            .await;
        browser
            .click(&format!("#new-unit-parent option[value='{unit}']"))
            .await;
        browser.click("#unit-create").await;
        browser.wait_text("#status", "Unit created.").await;
        browser.find("#alerting-form").await;
        let units = admin.ok(Method::GET, "/api/v1/units", None).await;
        let department = units
            .as_array()
            .and_then(|u| u.iter().find(|u| u["parent_id"] == unit))
            .expect("the department")
            .clone();
        // It follows the service's settings until it has its own.
        browser
            .wait_text("#alerting-source", "follows the service's settings")
            .await;

        // Minutes that are not: said in words, nothing saved.
        browser.fill("#alerting-after-critical", "five").await;
        browser.click("#alerting-save").await;
        browser
            .wait_text("#status", "critical: write whole minutes from 1 to 10080")
            .await;
        let path = format!("/api/v1/units/{}/alerting", department["id"]);
        let kept = admin.ok(Method::GET, &path, None).await;
        assert_eq!(kept["source"], "service", "{}", db.name);

        // E-mail only, the lead told on escalation, critical after 2 minutes, high never.
        browser.fill("#alerting-after-critical", "2").await;
        browser.fill("#alerting-after-high", "").await;
        browser.click("#alerting-channel-sms").await;
        browser
            .click(&format!(
                "#alerting-contacts option[value='{}']",
                lead["id"]
            ))
            .await;
        browser.click("#alerting-save").await;
        browser
            .wait_text("#status", "Notification settings saved.")
            .await;
        let kept = admin.ok(Method::GET, &path, None).await;
        assert_eq!(
            (
                kept["source"].clone(),
                kept["channels"].clone(),
                kept["escalation_contacts"].clone(),
                kept["escalate_after"].clone()
            ),
            (
                json!("unit"),
                json!(["email"]),
                json!([lead["id"]]),
                json!({ "critical": 120, "medium": 3600 })
            ),
            "{}",
            db.name
        );

        // Read back in a fresh page, in Latvian.
        browser.click("#language option[value=lv]").await;
        browser
            .goto(&format!("{base}/#/units/{}", department["id"]))
            .await;
        browser
            .wait_text("#alerting-source", "struktūrvienības pašas iestatījumi")
            .await;
        let shown = browser
            .script(
                "return [document.getElementById('alerting-after-critical').value, \
                 document.getElementById('alerting-after-high').value, \
                 document.getElementById('alerting-channel-email').checked, \
                 document.getElementById('alerting-channel-sms').checked, \
                 [...document.getElementById('alerting-contacts').selectedOptions].map((o) => o.textContent)]",
            )
            .await;
        assert_eq!(
            shown,
            json!(["2", "", true, false, ["Dace Priede (operators)"]]),
            "{}",
            db.name
        );
        browser.quit().await;
    }
}
