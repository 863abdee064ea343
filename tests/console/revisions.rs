//! A variation the court set to take effect later shows on the probation client's page: the
//! notice of when it takes effect and which revision is judged till then, and each revision
//! with when it was recorded, when it takes effect and what it changed, in words, in English
//! and in Latvian.

use super::*;

#[tokio::test]
async fn a_scheduled_variation_and_what_it_changed_show_on_the_client_page() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let officer = Session::login(&s.base, "ilze.ozola", PASSWORD).await;
        let order = officer
            .ok(
                Method::GET,
                &format!("/api/v1/orders?client_id={}", s.client),
                None,
            )
            .await;
        let order = order[0].clone();
        // The court moves Monday's curfew to 20:00 and lifts the exclusion zone, from in two days.
        let mut terms = order["terms"].clone();
        terms["zones"] = json!([]);
        terms["curfew"]["timetable"][0]["slots"][0]["start"] = json!("20:00");
        let takes_effect = (Utc::now() + TimeDelta::days(2)).to_rfc3339();
        let varied = officer
            .ok(
                Method::POST,
                &format!("/api/v1/orders/{}/revisions", order["id"]),
                Some(json!({ "terms": terms, "reason": "Tiesas lēmums", "takes_effect": takes_effect })),
            )
            .await;
        assert_eq!(varied["scheduled"]["revision"], 2, "{}: {varied}", db.name);

        let browser = s.browser;
        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        let notice = browser
            .wait_text("#order-scheduled", "Revision 2 takes effect on")
            .await;
        assert!(notice.contains("judged by revision 1"), "{notice}");
        let revisions = browser
            .wait_text("table.revisions tbody", "Tiesas lēmums")
            .await;
        for words in [
            "Zone taken away: exclusion zone exclusion-1",
            "Curfew added: Monday 20:00–06:00, Brīvības iela 101, Rīga",
            "Curfew taken away: Monday 22:00–06:00, Brīvības iela 101, Rīga",
            "The order as made",
        ] {
            assert!(
                revisions.contains(words),
                "{}: {words:?} in {revisions}",
                db.name
            );
        }
        assert!(
            !revisions.contains("terms_change"),
            "no raw codes: {revisions}"
        );
        browser.click("#language option[value=lv]").await;
        let notice = browser
            .wait_text("#order-scheduled", "redakcija stājas spēkā")
            .await;
        assert!(notice.contains("pēc 1. redakcijas"), "{notice}");
        browser
            .wait_text(
                "table.revisions tbody",
                "Zona atcelta: aizliegtā zona exclusion-1",
            )
            .await;
        browser.quit().await;
    }
}

/// An officer varies the order in its form, from a date two days ahead: Monday's curfew moved
/// to 20:00, the exclusion zone taken away, the reason given. The client page then says when
/// revision 2 takes effect and what it changes; the API holds the new revision with the rest
/// of the terms as they were (the other nights, the obligation, the tolerances).
#[tokio::test]
async fn an_order_is_varied_in_its_form_from_a_date_the_court_set() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let officer = Session::login(&s.base, "ilze.ozola", PASSWORD).await;
        let orders = officer
            .ok(
                Method::GET,
                &format!("/api/v1/orders?client_id={}", s.client),
                None,
            )
            .await;
        let before = orders[0].clone();
        let browser = s.browser;
        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser.click("#order-vary").await;
        browser.wait_text("#order-form h1", "K-5/2026").await;
        // The form holds the order as it is: seven nights, the zone drawn, no court to change.
        let nights = browser
            .script("return document.querySelectorAll('#curfew-slots .slot').length")
            .await;
        assert_eq!(nights, 7, "{}", db.name);
        browser
            .wait_text("#zones .zone-shape", "circle, 150 m")
            .await;
        assert_eq!(
            browser
                .script("return document.getElementById('order-court')")
                .await,
            Value::Null
        );
        // The zone is on the map, labelled, until it is taken away.
        browser
            .wait_text("#zone-map", "exclusion zone: exclusion-1")
            .await;
        browser.fill("#curfew-slots .slot-start", "20:00").await;
        browser.click("#zones .row-remove").await;
        assert_eq!(
            browser
                .script("return document.querySelectorAll('#zone-map .map-exclusion').length")
                .await,
            0,
            "{}",
            db.name
        );
        browser.fill("#order-reason", "Tiesas lēmums 2").await;
        browser
            .script(&format!(
                "document.getElementById('order-takes-effect').value = '{}'",
                super::case_forms::riga_wall(2)
            ))
            .await;
        browser.click("#order-submit").await;
        let notice = browser
            .wait_text("#order-scheduled", "Revision 2 takes effect on")
            .await;
        assert!(notice.contains("judged by revision 1"), "{notice}");
        let revisions = browser
            .wait_text("table.revisions tbody", "Tiesas lēmums 2")
            .await;
        for words in [
            "Zone taken away: exclusion zone exclusion-1",
            "Curfew added: Monday 20:00–06:00, Brīvības iela 101, Rīga",
            "Curfew taken away: Monday 22:00–06:00, Brīvības iela 101, Rīga",
        ] {
            assert!(
                revisions.contains(words),
                "{}: {words:?} in {revisions}",
                db.name
            );
        }
        let after = officer
            .ok(
                Method::GET,
                &format!("/api/v1/orders/{}/revisions", before["id"]),
                None,
            )
            .await;
        let terms = &after[1]["terms"];
        let mut wanted = before["terms"].clone();
        wanted["zones"] = json!([]);
        wanted["curfew"]["timetable"][0]["slots"][0]["start"] = json!("20:00");
        assert_eq!(terms, &wanted, "{}: only what was changed", db.name);
        browser.quit().await;
    }
}
