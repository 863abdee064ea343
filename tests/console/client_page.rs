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
