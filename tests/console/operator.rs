//! The operator's other work on an alert (escalating, locating the tag, notes), and lists read
//! a page at a time: the queue's *Show more* and a probation client's timeline.

use super::*;

/// The operator's other actions on an alert, in the browser: escalating by hand (refused without
/// a reason), asking the tag for a fix now (the tag receives LOCATE_NOW over MQTT), a note on
/// the alert, and a note on the probation client's page; each shown, and stored.
#[tokio::test]
async fn an_operator_escalates_locates_and_writes_notes_in_a_browser() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        sign_in(&browser, &s.base, "operator").await;
        into_the_zone(&s.service, s.dir.path());
        let alert = zone_alert(&browser).await;
        let path = format!("/api/v1/alerts/{alert}");
        browser.click(&format!("#open-alert-{alert}")).await;
        browser.find("#alert-detail #escalate").await;
        let level = s.operator.ok(Method::GET, &path, None).await["alert"]["level"]
            .as_i64()
            .expect("a level");

        // Escalating needs a reason; with one, the alert goes one level up at once.
        browser.click("#escalate").await;
        browser.wait_text("#status", "Write a note first.").await;
        let stored = s.operator.ok(Method::GET, &path, None).await;
        assert_eq!(stored["alert"]["level"], level, "{}", db.name);
        let why = "No answer on the phone, supervisor informed";
        browser.fill("#action-note", why).await;
        browser.click("#escalate").await;
        browser.wait_text("#status", "Escalated.").await;
        let above = format!("level {}", level + 1);
        browser.wait_text("#alert-detail .facts", &above).await;
        // The queue's row has it too, though beside the open alert the queue leaves that
        // column out (the alert's facts say it).
        let row = format!(
            "return document.querySelector(\"#queue tr[data-alert='{alert}']\").textContent"
        );
        browser
            .poll("the queue's row never said the level", async || {
                let text = browser.script(&row).await;
                text.as_str()
                    .is_some_and(|t| t.contains(&above))
                    .then_some(())
            })
            .await;
        let history = browser.wait_text("#alert-detail .history", why).await;
        assert!(history.contains("escalated"), "{history}");
        let stored = s.operator.ok(Method::GET, &path, None).await;
        assert_eq!(stored["alert"]["level"], level + 1, "{}", db.name);
        assert!(has_event(&stored, "escalated", why), "{stored}");

        // Locate now: the command goes down to the tag, and the alert says so.
        let key = hex::decode(sim_key(1, TAG)).expect("hex");
        let mut tag = MqttDevice::connect(
            s.service.mqtt_port,
            TAG,
            Some(key.try_into().expect("a 32-byte key")),
        )
        .await;
        browser.click("#locate").await;
        browser
            .wait_text("#status", "Location request sent to the tag.")
            .await;
        tag.wait_event(&DownlinkEvent::LocateNow).await;
        let sent = format!("sent to tag {TAG}");
        browser.wait_text("#alert-detail .history", &sent).await;
        browser
            .wait_text("#alert-detail .history", "location requested")
            .await;
        let stored = s.operator.ok(Method::GET, &path, None).await;
        assert!(
            has_event(&stored, "locate_requested", &TAG.to_string()),
            "{stored}"
        );

        // A note on the alert; the alert stays open.
        browser
            .fill("#action-note", "Left a voicemail for the client")
            .await;
        browser.click("#add-note").await;
        browser
            .wait_text("#alert-detail .history", "Left a voicemail")
            .await;
        browser.wait_text("#alert-state", "open").await;
        let stored = s.operator.ok(Method::GET, &path, None).await;
        assert!(has_event(&stored, "noted", "Left a voicemail"), "{stored}");
        assert_eq!(stored["alert"]["state"], "open");

        // A note on the probation client, from the alert's link to their page.
        browser.click("#alert-detail .facts a").await;
        browser.wait_text("h1", "Jānis Bērziņš").await;
        let note = "Tag located inside the exclusion zone at 02:10";
        browser.fill("#note-text", note).await;
        browser.click("#note-submit").await;
        browser.wait_text("ul.notes", note).await;
        browser.wait_text("#status", "Note added.").await;
        let notes = format!("/api/v1/notes?client_id={}", s.client);
        let notes = s.operator.ok(Method::GET, &notes, None).await;
        assert!(
            notes
                .as_array()
                .is_some_and(|n| n.iter().any(|n| n["text"] == note)),
            "{notes}"
        );
        sign_out(&browser).await;
        browser.quit().await;
    }
}

/// Lists a page at a time, with the page size made 2 (`sargs.page_size`): the operator's queue
/// offers *Show more* while older alerts are left, and shows both the tag's alerts once asked;
/// a probation client's timeline holds every observation the API has of the tag (a fix and a
/// heartbeat at the same instant among them), read two at a time, shown a page at a time with
/// runs of alike reports folded.
#[tokio::test]
async fn the_queue_and_a_track_are_read_a_page_at_a_time_in_a_browser() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        // The tag's alerts by kind (at night the curfew's too), once `kind` is among them.
        let alerts = async |kind: &str| {
            let list = s.operator.ok(Method::GET, "/api/v1/alerts", None).await;
            let list = list.as_array()?.clone();
            list.iter().any(|a| a["kind"] == kind).then(|| {
                list.iter()
                    .filter_map(|a| a["id"].as_i64())
                    .collect::<Vec<_>>()
            })
        };
        into_the_zone(&s.service, s.dir.path());
        browser
            .poll("the zone's alert", async || {
                alerts("exclusion_zone_entered").await
            })
            .await;
        strap_opens(&s.service, s.dir.path());
        let both = browser
            .poll("the strap's alert", async || alerts("strap_opened").await)
            .await;
        assert!(both.len() >= 2, "{}: {both:?}", db.name);

        browser.goto(&format!("{}/", s.base)).await;
        browser
            .script("localStorage.setItem('sargs.page_size', '2')")
            .await;
        sign_in(&browser, &s.base, "operator").await;
        browser.find("#queue tr[data-alert]").await;
        // Older alerts on asking, until none are left: each click adds a page, the last one
        // none, and takes the button away.
        const ROWS: &str = "return document.querySelectorAll('#queue tr[data-alert]').length";
        const MORE: &str = "return !!document.getElementById('more-alerts')";
        assert_eq!(
            browser.script(MORE).await,
            true,
            "{}: no Show more",
            db.name
        );
        loop {
            let rows = browser.script(ROWS).await.as_u64();
            let clicked = browser
                .script(
                    "const more = document.getElementById('more-alerts'); \
                     if (more) more.click(); return !!more",
                )
                .await;
            if clicked != true {
                break;
            }
            browser
                .poll("another page of the queue", async || {
                    let grown = browser.script(ROWS).await.as_u64() > rows;
                    (grown || browser.script(MORE).await == false).then_some(())
                })
                .await;
        }
        for alert in &both {
            browser.find(&format!("#open-alert-{alert}")).await;
        }

        let now = Utc::now();
        let stored = s
            .operator
            .ok(
                Method::GET,
                &format!(
                    "/api/v1/devices/{TAG}/observations?from={}&to={}&limit=5000",
                    (now - TimeDelta::days(1)).format("%Y-%m-%dT%H:%M:%SZ"),
                    (now + TimeDelta::minutes(1)).format("%Y-%m-%dT%H:%M:%SZ"),
                ),
                None,
            )
            .await;
        let stored = stored.as_array().map_or(0, Vec::len);
        assert!(stored > 10, "{}: {stored} observations", db.name);
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        // Every observation is in the timeline, page after page, a run of alike reports folded
        // into one row that says how many.
        let shown = browser
            .poll("the whole timeline", async || {
                let counted = browser
                    .script(
                        "const more = document.getElementById('timeline-more'); \
                         if (more && !more.hidden) more.click(); \
                         return [...document.querySelectorAll('table.timeline tbody tr[data-count]')] \
                           .reduce((n, r) => n + Number(r.dataset.count), 0)",
                    )
                    .await;
                (counted.as_u64() == Some(stored as u64)).then_some(counted)
            })
            .await;
        assert_eq!(shown, json!(stored), "{}", db.name);
        // Folded: fewer rows than observations.
        let rows = browser
            .script(
                "return document.querySelectorAll('table.timeline tbody tr[data-count]').length",
            )
            .await;
        assert!(
            rows.as_u64() < Some(stored as u64),
            "{}: {rows} rows",
            db.name
        );
        browser.quit().await;
    }
}
