//! An officer calls off an authorised absence from the probation client's page: it stays on
//! record, marked as called off, and the order is judged without it from then on; an operator,
//! who may not change case records, is not offered to. Notes show who wrote them, by name.

use super::*;

#[tokio::test]
async fn an_officer_calls_off_an_absence_and_notes_show_their_author() {
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
        let order = orders[0]["id"].as_i64().expect("an order");
        let from = Utc::now() + TimeDelta::hours(2);
        let absence = officer
            .ok(
                Method::POST,
                "/api/v1/absences",
                Some(json!({ "order_id": order, "from": from.to_rfc3339(),
                             "until": (from + TimeDelta::hours(3)).to_rfc3339(),
                             "reason": "work", "details": "Night shift at the depot" })),
            )
            .await;
        officer
            .ok(
                Method::POST,
                "/api/v1/notes",
                Some(
                    json!({ "client_id": s.client, "text": "Called the client about the shift." }),
                ),
            )
            .await;

        // The operator sees the absence but may not call it off.
        let browser = s.browser;
        sign_in(&browser, &s.base, "operator").await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser
            .wait_text("table.absences tbody", "Night shift at the depot")
            .await;
        let offered = browser
            .script("return document.querySelectorAll('button.absence-cancel').length")
            .await;
        assert_eq!(
            offered,
            json!(0),
            "{}: the operator is offered to call it off",
            db.name
        );
        sign_out(&browser).await;

        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser.wait_text("ul.notes", "Ilze Ozola").await;
        browser
            .click(&format!(
                "button.absence-cancel[data-absence='{}']",
                absence["id"]
            ))
            .await;
        browser
            .wait_text("table.absences tbody", "called off")
            .await;
        let stored = officer
            .ok(
                Method::GET,
                &format!("/api/v1/absences?order_id={order}"),
                None,
            )
            .await;
        assert!(
            stored[0]["cancelled_ms"].as_i64().is_some(),
            "{}: {stored}",
            db.name
        );
        let offered = browser
            .script("return document.querySelectorAll('button.absence-cancel').length")
            .await;
        assert_eq!(offered, json!(0), "{}: called off once", db.name);
        browser.quit().await;
    }
}
