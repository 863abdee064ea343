//! A probation client's page starts with what matters: the state and why, the open alerts,
//! tonight's curfew; the curfew nights as bands; the timeline grouped by the episode each report
//! falls in, the breach first.

use super::*;

#[tokio::test]
async fn the_client_page_starts_with_what_matters_now() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        into_the_zone(&s.service, s.dir.path());
        // The breach is judged and raised before the page is looked at.
        browser
            .poll("the zone's alert", async || {
                let list = s.operator.ok(Method::GET, "/api/v1/alerts", None).await;
                list.as_array()?
                    .iter()
                    .any(|a| a["kind"] == "exclusion_zone_entered")
                    .then_some(())
            })
            .await;
        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser
            .wait_text("#glance-alerts", "exclusion zone entered")
            .await;
        // The first section is "Now"; the record comes after the map and the timeline.
        let order = browser
            .script(
                "return [...document.querySelectorAll('.page section h2')].map((h) => h.textContent)",
            )
            .await;
        let titles: Vec<&str> = order
            .as_array()
            .expect("titles")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let at = |t: &str| {
            titles
                .iter()
                .position(|x| *x == t)
                .unwrap_or_else(|| panic!("no {t} in {titles:?}"))
        };
        assert_eq!(at("Now"), 0, "{titles:?}");
        assert!(
            at("Now") < at("Probation client")
                && at("Observations (24 hours)") < at("Probation client"),
            "{titles:?}"
        );
        browser
            .wait_text("#glance-state", "exclusion zone entered")
            .await;
        // The order's curfew is every night, 22:00 to 06:00 at home.
        browser.wait_text("#glance-curfew", "22:00–06:00").await;
        browser
            .wait_text("#glance-curfew", "Brīvības iela 101")
            .await;
        // The nights as bands, one row a day with curfew hours, finished days only: the order
        // began yesterday, so yesterday alone (today's hours are not reached yet).
        browser.find("#nights svg.bands g.band-row").await;
        let rows = browser
            .script("return document.querySelectorAll('#nights svg.bands g.band-row').length")
            .await;
        assert_eq!(rows, 1, "{}: {rows}", db.name);
        // The timeline: the breach's reports under the breach, first.
        let first = browser
            .script(
                "return document.querySelector('table.timeline tbody tr.episode-head').textContent",
            )
            .await;
        assert!(
            first
                .as_str()
                .is_some_and(|t| t.contains("exclusion zone entered")),
            "{first}"
        );
        browser.quit().await;
    }
}

/// A probation client wearing an off-the-shelf GPS tracker: the page's "Now" and the caseload
/// say, in Latvian and in English, which of the order's conditions the tracker cannot evidence,
/// so that a state with no breach never reads as all fine; the device's kind is named beside
/// its last contact.
#[tokio::test]
async fn a_trackers_client_is_told_what_it_cannot_evidence() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        // Andris Kalniņš, whose order has no device yet, gets a GPS tracker.
        let officer = Session::login(&s.base, "ilze.ozola", PASSWORD).await;
        let found = officer
            .ok(Method::GET, "/api/v1/clients?q=Kalni%C5%86%C5%A1", None)
            .await;
        let client = id(&found[0]);
        let orders = officer
            .ok(
                Method::GET,
                &format!("/api/v1/orders?client_id={client}"),
                None,
            )
            .await;
        let order = id(&orders[0]);
        let technician = Session::login(&s.base, "technician", PASSWORD).await;
        technician
            .ok(
                Method::POST,
                "/api/v1/devices",
                Some(
                    json!({ "device_id": 3001, "serial": "GT-3001", "kind": "gps-tracker",
                             "model": "FMB920" }),
                ),
            )
            .await;
        technician
            .ok(
                Method::POST,
                "/api/v1/devices/3001/fitting",
                Some(json!({ "order_id": order })),
            )
            .await;

        sign_in(&browser, &s.base, "ilze.ozola").await;
        let row = format!("table.caseload tr[data-client='{client}'] .state-detail");
        browser
            .wait_text(&row, "Strap state: unknown — the GPS tracker cannot tell")
            .await;
        browser
            .wait_text(&row, "Skin contact: unknown — the GPS tracker cannot tell")
            .await;
        browser
            .goto(&format!("{}/#/clients/{client}", s.base))
            .await;
        browser
            .wait_text(
                "#glance-state",
                "Case state: unknown — the GPS tracker cannot tell",
            )
            .await;
        browser
            .wait_text(".glance-facts", "3001 (GPS tracker)")
            .await;
        browser.click("#language option[value=lv]").await;
        browser
            .wait_text(
                "#glance-state",
                "Siksniņas stāvoklis: nav zināms — GPS izsekotājs to nenosaka",
            )
            .await;
        browser
            .wait_text(".glance-facts", "3001 (GPS izsekotājs)")
            .await;
        // The client with a GPS tag: nothing of the kind.
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser.wait_text(".glance-facts", "GPS kājas aproce").await;
        let state = browser
            .script("return document.querySelector('#glance-state').textContent")
            .await;
        assert!(
            state.as_str().is_some_and(|t| !t.contains("nav zināms")),
            "{}: {state}",
            db.name
        );
        sign_out(&browser).await;
        // The court's list of its orders: the summary so far says it beside the breaches.
        sign_in(&browser, &s.base, "court").await;
        browser
            .wait_text(
                "table.orders tbody",
                "Siksniņas stāvoklis: nav zināms — GPS izsekotājs to nenosaka",
            )
            .await;
    }
}
