//! Case management in the browser, end to end: an officer registers a probation client (their
//! home picked on the map with the mouse) and records a court order with a curfew and an
//! exclusion zone drawn on the map with Geoman's polygon tool, by mouse clicks; a technician
//! fits a tag by the order's case number; the tag's frames in the zone (over MQTT) are judged
//! against that order, and the alert reaches the operator's queue, who takes and resolves it.
//! And bad input in the forms: an empty name, an end before the start, malformed GeoJSON, each
//! told in the user's language with nothing saved.

use super::track::{WATCH_CSP, WATCH_ERRORS, csp_violations};
use super::*;

/// The tag fitted in this test (the office's own is 1001).
const NEW_TAG: u64 = 1002;
/// The new client's home, and the middle of the zone the court keeps them out of (about 120 m
/// east, in view on the zone map, which is fitted to the home).
const HOME2: (f64, f64) = (56.9510, 24.1130);
const ZONE2: (f64, f64) = (56.9510, 24.1150);

/// Where a point is on the map of `figure` (CSS pixels from the map's top left).
async fn pixel(browser: &Browser, figure: &str, (lat, lon): (f64, f64)) -> (f64, f64) {
    let at = browser
        .script(&format!(
            "const m = document.querySelector('{figure}').leaflet;\
             const p = m.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y];"
        ))
        .await;
    (at[0].as_f64().expect("x"), at[1].as_f64().expect("y"))
}

/// The map of `figure` in view and drawn, so that the mouse can reach it.
async fn map_in_view(browser: &Browser, figure: &str) {
    browser
        .find(&format!("{figure} .map.leaflet-container"))
        .await;
    browser
        .script(&format!(
            "document.querySelector('{figure}').scrollIntoView({{ block: 'center' }})"
        ))
        .await;
}

/// The number in the page's address after `#/clients/`.
async fn client_in_address(browser: &Browser) -> i64 {
    browser
        .poll("the client's page never opened", async || {
            let hash = browser.script("return location.hash").await;
            let id = hash.as_str()?.strip_prefix("#/clients/")?.parse().ok()?;
            browser.find("#client-edit").await;
            Some(id)
        })
        .await
}

/// A `datetime-local` value about `days` from now, in Riga time as the form takes it.
pub(super) fn riga_wall(days: i64) -> String {
    let at = Utc::now() + TimeDelta::days(days);
    // Riga is UTC+2 or +3: an hour either way does not matter to a period of days.
    (at + TimeDelta::hours(2))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

#[tokio::test]
async fn an_officer_creates_a_client_and_an_order_that_a_fitted_tag_is_judged_by() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        let technician = Session::login(&s.base, "technician", PASSWORD).await;
        technician
            .ok(
                Method::POST,
                "/api/v1/devices",
                Some(
                    json!({ "device_id": NEW_TAG, "serial": "T-1002", "kind": "gps-tag",
                             "model": "X1", "firmware": "1.4.2", "key": sim_key(1, NEW_TAG) }),
                ),
            )
            .await;

        // The officer registers Marta Liepiņa from the caseload; her home picked on the map.
        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser.script(WATCH_CSP).await;
        browser.script(WATCH_ERRORS).await;
        browser.click("#client-new").await;
        browser.fill("#client-given_name", "Marta").await;
        browser.fill("#client-family_name", "Liepiņa").await;
        browser.fill("#client-personal_code", "040488-12345").await;
        browser
            .script("document.getElementById('client-birth_date').value = '1988-04-04'")
            .await;
        browser.click("#addresses-add").await;
        browser
            .fill("#addresses .address-street", "Tērbatas iela 5, Rīga")
            .await;
        map_in_view(&browser, "#address-map").await;
        let (x, y) = pixel(&browser, "#address-map", HOME2).await;
        browser.mouse_click_at("#address-map .map", x, y).await;
        let picked = browser
            .poll("the click never set the coordinates", async || {
                let v = browser
                    .script(
                        "return [document.querySelector('#addresses .address-lat').value,\
                         document.querySelector('#addresses .address-lon').value]",
                    )
                    .await;
                let lat: f64 = v[0].as_str()?.parse().ok()?;
                let lon: f64 = v[1].as_str()?.parse().ok()?;
                Some((lat, lon))
            })
            .await;
        // A pixel at zoom 13 is some 20 m: the click lands within a pixel of the point.
        assert!(
            (picked.0 - HOME2.0).abs() < 3e-4 && (picked.1 - HOME2.1).abs() < 3e-4,
            "{}: picked {picked:?}",
            db.name
        );
        browser.click("#client-submit").await;
        let client = client_in_address(&browser).await;
        browser.wait_text("h1", "Marta Liepiņa").await;
        browser.wait_text(".facts", "Tērbatas iela 5, Rīga").await;
        let officer = Session::login(&s.base, "ilze.ozola", PASSWORD).await;
        let stored = officer
            .ok(Method::GET, &format!("/api/v1/clients/{client}"), None)
            .await;
        assert_eq!(stored["personal_code"], "040488-12345", "{stored}");
        assert_eq!(stored["addresses"][0]["zone"]["type"], "circle", "{stored}");

        // Her record changed: a phone number added; the rest stays as it was.
        browser.click("#client-edit").await;
        browser
            .wait_text("#client-form h1", "Change the record of Marta Liepiņa")
            .await;
        browser.fill("#client-phone", "+371 26000000").await;
        browser.click("#client-submit").await;
        browser.wait_text(".facts", "+371 26000000").await;
        let changed = officer
            .ok(Method::GET, &format!("/api/v1/clients/{client}"), None)
            .await;
        let mut wanted = stored.clone();
        wanted["phone"] = json!("+371 26000000");
        assert_eq!(changed, wanted, "{}: only the phone changed", db.name);
        // And emptied again: she has no phone on record.
        browser.click("#client-edit").await;
        browser
            .wait_text("#client-form h1", "Change the record of Marta Liepiņa")
            .await;
        browser.fill("#client-phone", "").await;
        browser.click("#client-submit").await;
        browser
            .poll("the emptied phone was never cleared", async || {
                let now = officer
                    .ok(Method::GET, &format!("/api/v1/clients/{client}"), None)
                    .await;
                (now == stored).then_some(())
            })
            .await;

        // The court order: a curfew every Monday night and an exclusion zone drawn by mouse.
        browser.click("#order-new").await;
        browser.fill("#order-court", COURT).await;
        browser.fill("#order-case-number", "K-9/2026").await;
        browser
            .script(&format!(
                "document.getElementById('order-starts').value = '{}';\
                 document.getElementById('order-ends').value = '{}';",
                riga_wall(-1),
                riga_wall(60)
            ))
            .await;
        browser.click("#curfew-slots-add").await;
        browser.fill("#curfew-slots .slot-start", "21:30").await;
        browser.fill("#curfew-slots .slot-end", "06:00").await;
        browser
            .wait_text("#curfew-slots .slot-next", "next day")
            .await;
        browser.click("#zones-add").await;
        browser.wait_text("#zone-editing", "zone-1").await;
        map_in_view(&browser, "#zone-map").await;
        browser
            .click("#zone-map .leaflet-pm-toolbar .leaflet-pm-icon-polygon")
            .await;
        let (cx, cy) = pixel(&browser, "#zone-map", ZONE2).await;
        let corners = [
            (cx - 80.0, cy - 80.0),
            (cx + 80.0, cy - 80.0),
            (cx, cy + 80.0),
        ];
        for (x, y) in corners {
            browser.mouse_click_at("#zone-map .map", x, y).await;
        }
        // Geoman closes the polygon when its first corner is clicked again.
        browser
            .mouse_click_at("#zone-map .map", corners[0].0, corners[0].1)
            .await;
        browser
            .wait_text("#zones .zone-shape", "polygon, 3 points")
            .await;
        browser.click("#order-submit").await;
        browser.wait_text("#order-vary", "Vary the order").await;
        browser.wait_text("#main", "K-9/2026").await;
        let orders = officer
            .ok(
                Method::GET,
                &format!("/api/v1/orders?client_id={client}"),
                None,
            )
            .await;
        let order = &orders[0];
        let terms = &order["terms"];
        assert_eq!(
            terms["curfew"]["timetable"],
            json!([{ "address": "home", "slots": [{ "day": "mon", "start": "21:30", "end": "06:00" }] }]),
            "{}: {terms}",
            db.name
        );
        assert_eq!(terms["zones"][0]["kind"], "exclusion", "{terms}");
        let zone: rules::geometry::ZoneShape =
            serde_json::from_value(terms["zones"][0]["shape"].clone()).expect("a shape");
        let compiled = rules::geometry::CompiledShape::compile(&zone).expect("compiles");
        let middle = rules::geometry::GeoPoint {
            lat: ZONE2.0,
            lon: ZONE2.1,
        };
        // Some 25 m inside every edge: the clicks were 80 pixels (about 50 m) out.
        let inside = compiled.signed_distance_m(middle);
        assert!(
            (-60.0..-15.0).contains(&inside),
            "{}: the drawn zone holds its middle {inside} m in: {zone:?}",
            db.name
        );
        let order_id = id(order);
        assert_eq!(csp_violations(&browser).await, Vec::<String>::new());
        assert_eq!(browser.script("return window.errors").await, json!([]));
        sign_out(&browser).await;

        // The technician fits the tag by the order's case number.
        sign_in(&browser, &s.base, "technician").await;
        browser
            .click(&format!("#fit-device option[value='{NEW_TAG}']"))
            .await;
        browser.fill("#fit-search", "K-9/2026").await;
        browser.click("#fit-find").await;
        browser
            .wait_text(
                "#fit-order",
                "K-9/2026 · Rīgas pilsētas tiesa · Marta Liepiņa",
            )
            .await;
        browser.click("#fit").await;
        browser.wait_text("#status", "fitted").await;
        officer.wait_in_force(order_id, "the new order").await;
        sign_out(&browser).await;

        // Her tag reports from inside the zone; the operator's queue receives the breach.
        let script = format!(
            "[[devices]]\nid = {NEW_TAG}\nkind = \"gps-tag\"\nreports = [\n  \
             {{ at = \"0s\", until = \"3s\", every = \"1s\", fix = {{ lat = {}, lon = {}, accuracy_m = 5 }} }},\n]\n",
            ZONE2.0, ZONE2.1
        );
        play_script(
            &s.service,
            s.dir.path(),
            &script,
            Some(Utc::now() + TimeDelta::seconds(1)),
        );
        sign_in(&browser, &s.base, "operator").await;
        browser.wait_text("#queue tbody", "Marta Liepiņa").await;
        let alert = browser
            .script(
                "return [...document.querySelectorAll('#queue tr[data-alert]')]\
                 .find((r) => r.textContent.includes('Marta Liepiņa')).dataset.alert",
            )
            .await;
        let alert: i64 = alert.as_str().and_then(|a| a.parse().ok()).expect("an id");
        let row = format!("#queue tr[data-alert='{alert}']");
        browser.wait_text(&row, "exclusion zone entered").await;
        browser.click(&format!("#open-alert-{alert}")).await;
        browser.click("#alert-detail #take").await;
        browser
            .wait_text("#alert-detail #alert-assignee", "Uzraudzības centrs")
            .await;
        browser.fill("#action-note", "Called her; she left").await;
        browser.click("#acknowledge").await;
        browser.wait_text("#alert-state", "acknowledged").await;
        browser
            .click("#resolution option[value=reasonable_excuse]")
            .await;
        browser
            .fill("#action-note", "Walked past on the way to work")
            .await;
        browser.click("#resolve").await;
        browser.wait_text("#alert-state", "resolved").await;
        let stored = s
            .operator
            .ok(Method::GET, &format!("/api/v1/alerts/{alert}"), None)
            .await;
        assert_eq!(stored["alert"]["state"], "resolved", "{stored}");
        assert_eq!(stored["alert"]["order_id"], order_id, "{stored}");
        assert_eq!(stored["alert"]["client_id"], client, "{stored}");
        assert!(has_event(&stored, "resolved", "Walked past"), "{stored}");
        // The operator may read her record but change nothing of it: no form is offered.
        browser
            .goto(&format!("{}/#/clients/{client}", s.base))
            .await;
        browser.wait_text("h1", "Marta Liepiņa").await;
        browser.wait_text("#main", "K-9/2026").await;
        assert_eq!(
            browser
                .script("return document.querySelectorAll('#client-edit, #order-new, #order-vary').length")
                .await,
            0,
            "{}",
            db.name
        );
        browser.quit().await;
    }
}

/// How many of `path`'s rows the officer sees.
pub(super) async fn rows(officer: &Session, path: &str) -> usize {
    officer
        .ok(Method::GET, path, None)
        .await
        .as_array()
        .map_or(0, Vec::len)
}

/// The forms' bad input, each told in the console's language naming the field, and nothing
/// saved: a probation client without a given name (in Latvian and English); an order that ends
/// before it starts; GeoJSON that is not JSON, or not a zone, and a zone never drawn. Once
/// the zone is imported as GeoJSON the order is saved.
#[tokio::test]
async fn bad_input_in_the_case_forms_is_told_in_the_users_words_and_nothing_is_saved() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        let officer = Session::login(&s.base, "ilze.ozola", PASSWORD).await;
        let clients = rows(&officer, "/api/v1/clients").await;
        let orders_path = format!("/api/v1/orders?client_id={}", s.client);
        let orders = rows(&officer, &orders_path).await;
        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser.script(WATCH_CSP).await;
        browser.goto(&format!("{}/#/clients/new", s.base)).await;
        for (lang, heading, told) in [
            (
                "lv",
                "Jauns probācijas klients",
                "Nekas netika mainīts: Vārds: jāaizpilda.",
            ),
            (
                "en",
                "New probation client",
                "Nothing was changed: Given name: must be filled in.",
            ),
        ] {
            browser
                .click(&format!("#language option[value={lang}]"))
                .await;
            browser.wait_text("#client-form h1", heading).await;
            browser.fill("#client-family_name", "Liepiņa").await;
            browser.fill("#client-personal_code", "040488-12345").await;
            browser
                .script("document.getElementById('client-birth_date').value = '1988-04-04'")
                .await;
            browser.click("#addresses-add").await;
            browser
                .fill("#addresses .address-street", "Tērbatas iela 5")
                .await;
            browser.fill("#addresses .address-lat", "56.951").await;
            browser.fill("#addresses .address-lon", "24.113").await;
            browser.click("#client-submit").await;
            let error = browser.wait_text("#client-error", told).await;
            assert!(
                !error.contains("must not be empty"),
                "{} {lang}: the API's English: {error}",
                db.name
            );
            // Coordinates out of range are refused before anything is sent.
            browser.fill("#addresses .address-lat", "156.9").await;
            browser.click("#client-submit").await;
            let bad = if lang == "lv" {
                "Adresei nav derīgu koordinātu"
            } else {
                "An address has no valid coordinates"
            };
            browser.wait_text("#client-error", bad).await;
            if lang == "lv" {
                snap(&browser, "officer-client-form-refused-lv").await;
            }
        }
        assert_eq!(
            rows(&officer, "/api/v1/clients").await,
            clients,
            "{}",
            db.name
        );

        // An order that ends before it starts, in Latvian.
        browser.click("#language option[value=lv]").await;
        browser
            .goto(&format!("{}/#/clients/{}/order", s.base, s.client))
            .await;
        browser.find("#order-form #order-court").await;
        browser.fill("#order-court", COURT).await;
        browser.fill("#order-case-number", "K-10/2026").await;
        let period = |from: i64, to: i64| {
            format!(
                "document.getElementById('order-starts').value = '{}';\
                 document.getElementById('order-ends').value = '{}';",
                riga_wall(from),
                riga_wall(to)
            )
        };
        browser.script(&period(3, 2)).await;
        browser.click("#order-submit").await;
        browser
            .wait_text(
                "#order-error",
                "Nekas netika mainīts: Uzraudzības beigas: jābūt vēlākām par sākumu.",
            )
            .await;
        browser.script(&period(-1, 30)).await;

        // GeoJSON that is not JSON, then not a zone: nothing imported; the zone not drawn:
        // nothing saved.
        browser.click("#zones-add").await;
        for (text, told) in [
            ("{ \"type\": \"Polygon\", ", "GeoJSON nevar nolasīt"),
            (
                "{ \"type\": \"LineString\", \"coordinates\": [[24.1, 56.9], [24.2, 56.9]] }",
                "GeoJSON nav zona",
            ),
            (
                "{ \"type\": \"Polygon\", \"coordinates\": [[[24.1, 56.9], [24.2, 156.9], [24.1, 57.0], [24.1, 56.9]]] }",
                "GeoJSON nav zona",
            ),
        ] {
            browser.fill("#zones .zone-geojson", text).await;
            browser.click("#zones .zone-import").await;
            browser.wait_text("#zones .zone-geojson-error", told).await;
            browser
                .wait_text("#zones .zone-shape", "vēl nav uzzīmēta")
                .await;
        }
        browser.click("#order-submit").await;
        browser
            .wait_text("#order-error", "Zonai zone-1 nav teritorijas")
            .await;
        snap(&browser, "officer-order-form-refused-lv").await;
        assert_eq!(rows(&officer, &orders_path).await, orders, "{}", db.name);

        // A circle imported as GeoJSON: the order is saved with it.
        browser
            .fill(
                "#zones .zone-geojson",
                "{ \"type\": \"Feature\", \"properties\": { \"radius_m\": 150 },\
                   \"geometry\": { \"type\": \"Point\", \"coordinates\": [24.1052, 56.9496] } }",
            )
            .await;
        browser.click("#zones .zone-import").await;
        browser
            .wait_text("#zones .zone-shape", "aplis, 150 m")
            .await;
        browser.click("#order-submit").await;
        browser
            .wait_text("#status", "Tiesas nolēmums ir reģistrēts")
            .await;
        let saved = officer.ok(Method::GET, &orders_path, None).await;
        let saved = saved
            .as_array()
            .and_then(|a| a.iter().find(|o| o["case_number"] == "K-10/2026"))
            .expect("the order saved");
        assert_eq!(
            saved["terms"]["zones"][0]["shape"],
            json!({ "type": "circle", "centre": [24.1052, 56.9496], "radius_m": 150.0 }),
            "{saved}"
        );
        assert_eq!(csp_violations(&browser).await, Vec::<String>::new());
        browser.quit().await;
    }
}
