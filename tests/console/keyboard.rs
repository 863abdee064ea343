//! The console by keyboard alone, with the focus drawn at every stop and kept across redraws.

use super::*;

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
