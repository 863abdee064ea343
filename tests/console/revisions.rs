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
