//! The map on Leaflet: zones and the home address labelled by name, a coordinate grid and a
//! scale without tiles, the coordinates of a clicked point copied, the track replayed with a
//! time slider, the breach episodes of the period beside it, the zone editor returning the
//! shape an order takes; and neither Leaflet nor Geoman trips the Content-Security-Policy or
//! fetches anything from elsewhere.

use super::*;

/// Starts recording the policy's violations: those reported before (buffered) and from now on,
/// into `window.cspViolations`.
pub(super) const WATCH_CSP: &str = "window.cspViolations = [];\
     const seen = (v) => window.cspViolations.push(`${v.effectiveDirective} ${v.blockedURL}`);\
     document.addEventListener('securitypolicyviolation', (e) => seen(e));\
     new ReportingObserver((reports) => reports.forEach((r) => seen(r.body)),\
       { types: ['csp-violation'], buffered: true }).observe();";

/// A shape as the rules read it (so that 150 and 150.0 are the same radius).
fn zone_shape(shape: &Value) -> rules::geometry::ZoneShape {
    serde_json::from_value(shape.clone()).expect("a ZoneShape")
}

/// Starts recording the page's uncaught errors into `window.errors`.
pub(super) const WATCH_ERRORS: &str = "window.errors = []; window.addEventListener('error', \
     (e) => window.errors.push(`${e.message} ${e.filename}:${e.lineno}`));";

pub(super) async fn csp_violations(browser: &Browser) -> Vec<String> {
    // Reports are delivered a moment after they are queued.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    serde_json::from_value(browser.script("return window.cspViolations").await).expect("a list")
}

/// `GET /clients/{id}/episodes` of the last two days.
fn episodes_of(client: i64) -> String {
    let from = (Utc::now() - TimeDelta::days(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (Utc::now() + TimeDelta::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    format!("/api/v1/clients/{client}/episodes?from={from}&to={to}")
}

/// Waits until the judge has opened the zone episode for the client; its evidence.
async fn wait_for_episode(operator: &Session, client: i64) -> Value {
    for _ in 0..300 {
        let episodes = operator.ok(Method::GET, &episodes_of(client), None).await;
        if let Some(e) = episodes.as_array().and_then(|a| a.first()) {
            return e.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("no episode for the client");
}

/// The Leaflet map's state, read from the page: `js` is run with `map`, the first map figure's.
async fn on_map(browser: &Browser, js: &str) -> Value {
    browser
        .script(&format!(
            "const map = document.querySelector('.map-figure').leaflet; {js}"
        ))
        .await
}

#[tokio::test]
async fn the_map_names_zones_draws_a_grid_and_copies_coordinates() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        into_the_zone(&s.service, s.dir.path());
        wait_for_episode(&s.operator, s.client).await;
        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser.script(WATCH_CSP).await;
        browser.script(WATCH_ERRORS).await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser.find(".map.leaflet-container .map-address").await;
        // Named, not numbered: the zone by its kind and name, the address by its street.
        let labels = browser
            .wait_text(".map", "exclusion zone: exclusion-1")
            .await;
        assert!(
            labels.contains("Home address: Brīvības iela 101, Rīga"),
            "{labels}"
        );
        assert_eq!(
            browser
                .script("return document.querySelector('.map').getAttribute('aria-label')")
                .await,
            "Map of the track replay, the zones and the home address"
        );
        // No tiles: a labelled grid and a scale bar instead.
        assert_eq!(
            browser
                .script("return document.querySelectorAll('.map .leaflet-tile').length")
                .await,
            0
        );
        let grid: Vec<String> = serde_json::from_value(
            browser
                .script(
                    "return [...document.querySelectorAll('.map .map-grid-label')]\
                     .map((l) => l.textContent)",
                )
                .await,
        )
        .expect("a list");
        assert!(grid.iter().any(|l| l.ends_with("° N")), "{grid:?}");
        assert!(grid.iter().any(|l| l.ends_with("° E")), "{grid:?}");
        assert!(
            browser
                .script("return document.querySelectorAll('.map path.map-grid').length")
                .await
                .as_u64()
                >= Some(4)
        );
        let scale = browser
            .text(&browser.find(".map .leaflet-control-scale-line").await)
            .await;
        assert!(scale.ends_with(" m") || scale.ends_with(" km"), "{scale}");

        // A click on the map: its coordinates shown and copied.
        browser
            .script(
                "window.copied = []; navigator.clipboard.writeText = (v) => \
                 { window.copied.push(v); return Promise.resolve(); };",
            )
            .await;
        // The whole map in view, so that WebDriver clicks the middle of it (with part of it below
        // the window it clicks the middle of the part in view).
        browser
            .script("document.querySelector('.map').scrollIntoView({ block: 'center' })")
            .await;
        browser.click(".map").await;
        let shown = browser.wait_text(".map .map-coordinates", "copied").await;
        let copied = browser.script("return window.copied").await;
        let copied: Vec<String> = serde_json::from_value(copied).expect("a list");
        assert_eq!(copied.len(), 1, "{copied:?}");
        assert!(shown.starts_with(&copied[0]), "{shown} {copied:?}");
        let (lat, lon) = copied[0].split_once(", ").expect("lat, lon");
        assert_eq!(lat.split_once('.').map(|(_, d)| d.len()), Some(5), "{lat}");
        assert_eq!(lon.split_once('.').map(|(_, d)| d.len()), Some(5), "{lon}");
        let centre = on_map(
            &browser,
            "const c = map.getCenter(); return [c.lat, c.lng];",
        )
        .await;
        let (lat, lon): (f64, f64) = (lat.parse().expect("lat"), lon.parse().expect("lon"));
        assert!(
            (lat - centre[0].as_f64().unwrap_or(0.0)).abs() < 0.002,
            "{lat} {centre}"
        );
        assert!(
            (lon - centre[1].as_f64().unwrap_or(0.0)).abs() < 0.002,
            "{lon} {centre}"
        );
        // The fix behind the breach: marked, reached by keyboard, its time and accuracy shown.
        browser.tab_to(".map .map-cause-marker").await;
        let tip = browser
            .wait_text(".map .leaflet-tooltip:not(.map-label)", "±12 m")
            .await;
        let year = Utc::now().format("%Y").to_string();
        assert!(tip.contains(&year) && tip.contains(':'), "{tip}");
        // "The fix behind the alert: 07/12/2026, 14:05, ±12 m": hours and minutes, no seconds.
        assert_eq!(tip.matches(':').count(), 2, "{tip}");

        // The button copies it again, by keyboard too.
        browser.tab_to(".map .map-copy").await;
        browser.keys(ENTER).await;
        browser
            .poll("the button copied nothing", async || {
                let copied = browser.script("return window.copied").await;
                (copied.as_array().map(Vec::len) == Some(2)).then_some(())
            })
            .await;

        assert_eq!(csp_violations(&browser).await, Vec::<String>::new());
        assert_eq!(browser.script("return window.errors").await, json!([]));
        assert_eq!(browser.script(FOREIGN_REQUESTS).await, json!([]));
        // The watch itself sees a violation when there is one.
        browser
            .script("const d = document.createElement('div'); d.innerHTML = '<p style=\"color: red\">x</p>'; document.body.append(d);")
            .await;
        assert!(
            !csp_violations(&browser).await.is_empty(),
            "the watch saw nothing"
        );
        sign_out(&browser).await;
        browser.quit().await;
    }
}

#[tokio::test]
async fn the_replay_slider_moves_the_marker_and_shows_the_time() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        into_the_zone(&s.service, s.dir.path());
        let episode = wait_for_episode(&s.operator, s.client).await;
        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser.find(".map .map-replay-marker").await;
        browser.script(WATCH_CSP).await;
        browser.script(WATCH_ERRORS).await;
        let marker = "let m; map.eachLayer((l) => { if (l.options.icon?.options.className === \
                      'map-replay-marker') m = l.getLatLng(); }); return [m.lat, m.lng];";
        let at = |v: &Value| (v[0].as_f64().unwrap_or(0.0), v[1].as_f64().unwrap_or(0.0));
        let near =
            |(a, b): (f64, f64), (c, d): (f64, f64)| (a - c).abs() < 1e-6 && (b - d).abs() < 1e-6;
        // At first the latest fix: in the zone.
        let max = browser
            .script("return Number(document.querySelector('#replay-slider').max)")
            .await
            .as_u64()
            .expect("a number");
        assert!(max >= 10, "{max} fixes");
        assert!(near(at(&on_map(&browser, marker).await), ZONE));
        let latest = browser.text(&browser.find("#replay-time").await).await;
        // The first fix: at home, and an earlier time.
        browser
            .script(
                "const s = document.querySelector('#replay-slider'); s.value = 0;\
                 s.dispatchEvent(new Event('input'));",
            )
            .await;
        assert!(near(at(&on_map(&browser, marker).await), HOME));
        let first = browser.text(&browser.find("#replay-time").await).await;
        assert_ne!(first, latest);
        assert!(
            first.starts_with("Position at ") && first.ends_with("±12 m"),
            "{first}"
        );
        // By keyboard: one step on.
        browser
            .script("document.querySelector('#replay-slider').focus()")
            .await;
        browser.keys(ARROW_UP).await;
        assert_eq!(
            browser
                .script("return document.querySelector('#replay-slider').value")
                .await,
            "1"
        );
        assert_ne!(
            browser.text(&browser.find("#replay-time").await).await,
            first
        );
        // The breach beside the map, its evidence fix marked on it.
        let listed = browser.text(&browser.find("#replay-episodes").await).await;
        assert!(listed.contains("Start: "), "{listed}");
        assert_eq!(
            browser
                .script("return document.querySelectorAll('#replay .map-cause-marker').length")
                .await
                .as_u64(),
            episode["evidence"].as_array().map(|e| e.len() as u64)
        );
        // A period without fixes: nothing to replay, no episode.
        // `offset` minutes from now, as the form's wall-clock time in Rīga.
        let set = |id: &str, offset: i64| {
            format!(
                "document.querySelector('#{id}').value = new Intl.DateTimeFormat('sv-SE', \
                 {{ timeZone: 'Europe/Riga', year: 'numeric', month: '2-digit', day: '2-digit', \
                 hour: '2-digit', minute: '2-digit' }}).format(new Date(Date.now() + {offset} * 60e3))\
                 .replace(' ', 'T');"
            )
        };
        browser.script(&set("replay-from", -3 * 1440)).await;
        browser.script(&set("replay-to", -2 * 1440)).await;
        browser.click("#replay-show").await;
        browser
            .wait_text("#replay-time", "No positions in this period.")
            .await;
        browser.wait_text("#replay-episodes", "None").await;
        // The end before the start: refused, said so.
        browser.script(&set("replay-to", -4 * 1440)).await;
        browser.click("#replay-show").await;
        browser
            .wait_text("#status", "The period must end after it starts.")
            .await;
        // Back to the breach's hour: the fixes again.
        browser.script(&set("replay-from", -60)).await;
        browser.script(&set("replay-to", 5)).await;
        browser.click("#replay-show").await;
        browser.wait_text("#replay-time", "Position at").await;
        assert_eq!(csp_violations(&browser).await, Vec::<String>::new());
        assert_eq!(browser.script("return window.errors").await, json!([]));
        assert_eq!(browser.script(FOREIGN_REQUESTS).await, json!([]));
        sign_out(&browser).await;
        browser.quit().await;
    }
}

/// `openZoneEditor` on the client's map: Geoman's toolbar offers a circle and a polygon; a
/// zone loaded or drawn comes back as the ZoneShape the rules compile; nonsense is refused.
#[tokio::test]
async fn the_zone_editor_returns_the_shape_an_order_takes() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser.script(WATCH_CSP).await;
        browser.script(WATCH_ERRORS).await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser.find(".map.leaflet-container .map-address").await;
        on_map(
            &browser,
            "import('/console/map.js').then((m) => { window.shapes = [];\
             window.editor = m.openZoneEditor(map, { onChange: (s) => window.shapes.push(s) }); });",
        )
        .await;
        browser
            .find(".map .leaflet-pm-toolbar .leaflet-pm-icon-circle")
            .await;
        browser
            .find(".map .leaflet-pm-toolbar .leaflet-pm-icon-polygon")
            .await;
        assert_eq!(
            browser
                .script("return document.querySelectorAll('.map .leaflet-pm-icon-marker').length")
                .await,
            0,
            "only circles and polygons"
        );
        // A circle loaded: the same shape back.
        let circle = browser
            .script(
                "window.editor.load({ type: 'circle', centre: [24.1052, 56.9496], radius_m: 150 });\
                 return window.editor.shape();",
            )
            .await;
        assert_eq!(
            zone_shape(&circle),
            zone_shape(
                &json!({ "type": "circle", "centre": [24.1052, 56.9496], "radius_m": 150.0 })
            )
        );
        // A polygon drawn with Geoman's tool: three clicks, closed; it replaces the circle.
        let polygon = on_map(
            &browser,
            "map.pm.enableDraw('Polygon');\
             for (const [lat, lng] of [[56.95, 24.10], [56.95, 24.12], [56.96, 24.11]])\
               map.fire('click', { latlng: L.latLng(lat, lng) });\
             map.pm.Draw.Polygon._finishShape();\
             return window.editor.shape();",
        )
        .await;
        assert_eq!(
            polygon,
            json!({ "type": "polygon", "coordinates":
                [[[24.1, 56.95], [24.12, 56.95], [24.11, 56.96], [24.1, 56.95]]] })
        );
        assert_eq!(browser.script("return window.shapes.at(-1)").await, polygon);
        for shape in [&circle, &polygon] {
            rules::geometry::CompiledShape::compile(&zone_shape(shape))
                .expect("a shape the rules take");
        }
        assert_eq!(
            browser
                .script("return document.querySelectorAll('.map path.map-editing').length")
                .await,
            1,
            "one zone at a time"
        );
        // Nonsense is not loaded, and what stands is kept.
        for bad in [
            "null",
            "{ type: 'circle', centre: [24.1, 56.9], radius_m: -5 }",
            "{ type: 'circle', centre: [24.1, 56.9], radius_m: NaN }",
            "{ type: 'square' }",
            "{ type: 'polygon', coordinates: 'x' }",
            "{ type: 'polygon', coordinates: [[[24.1, 56.9]]] }",
            "{ type: 'polygon', coordinates: [[[24.1, 56.9], [24.2, 'a'], [24.1, 57], [24.1, 56.9]]] }",
        ] {
            assert_eq!(
                browser
                    .script(&format!("return window.editor.load({bad})"))
                    .await,
                false,
                "{bad}"
            );
        }
        assert_eq!(
            browser.script("return window.editor.shape()").await,
            polygon
        );
        browser.script("window.editor.close()").await;
        assert_eq!(
            browser
                .script("return document.querySelectorAll('.map .leaflet-pm-toolbar, .map path.map-editing').length")
                .await,
            0
        );
        assert_eq!(csp_violations(&browser).await, Vec::<String>::new());
        assert_eq!(browser.script("return window.errors").await, json!([]));
        assert_eq!(browser.script(FOREIGN_REQUESTS).await, json!([]));
        sign_out(&browser).await;
        browser.quit().await;
    }
}

/// The fleet map: every probation client in the operator's care at their last fix, coloured by
/// state, each leading to their page; those with no fix listed as such; a technician and a
/// court shown nobody.
#[tokio::test]
async fn the_fleet_map_shows_each_client_at_their_last_fix_by_state() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        into_the_zone(&s.service, s.dir.path());
        wait_for_episode(&s.operator, s.client).await;
        sign_in(&browser, &s.base, "operator").await;
        browser.script(WATCH_CSP).await;
        browser.script(WATCH_ERRORS).await;
        browser.click("a[href='#/fleet']").await;
        browser.find(".map .map-place").await;
        let places = browser
            .script(
                "const map = document.querySelector('.map-figure').leaflet; const out = [];\
                 map.eachLayer((l) => { const e = l.getElement?.(); if (e?.classList.contains('map-place'))\
                 out.push({ at: [l.getLatLng().lat, l.getLatLng().lng], class: e.className, title: e.title }); });\
                 return out;",
            )
            .await;
        let places = places.as_array().expect("a list");
        assert_eq!(places.len(), 1, "only the client with a fix: {places:?}");
        let place = &places[0];
        assert!(
            (place["at"][0].as_f64().unwrap_or(0.0) - ZONE.0).abs() < 1e-6,
            "{place}"
        );
        assert!(
            (place["at"][1].as_f64().unwrap_or(0.0) - ZONE.1).abs() < 1e-6,
            "{place}"
        );
        assert!(
            place["class"]
                .as_str()
                .is_some_and(|c| c.contains("map-glance-breach")),
            "{place}"
        );
        assert!(
            place["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Jānis Bērziņš: breach, ")),
            "{place}"
        );
        let listed = browser
            .text(&browser.find("#fleet-table tbody").await)
            .await;
        assert!(
            listed.contains("Andris Kalniņš") && listed.contains("not known"),
            "{listed}"
        );
        assert!(listed.contains("56.94960, 24.10520"), "{listed}");
        assert_eq!(
            browser
                .script("return document.querySelector('#fleet-table tbody tr').dataset.state")
                .await,
            "breach",
            "breaches first"
        );
        // The marker, reached by Tab, leads to the client's page with Enter.
        browser.tab_to(".map .map-place").await;
        browser.keys(ENTER).await;
        browser.wait_text("h1", "Jānis Bērziņš").await;
        assert_eq!(csp_violations(&browser).await, Vec::<String>::new());
        assert_eq!(browser.script("return window.errors").await, json!([]));
        assert_eq!(browser.script(FOREIGN_REQUESTS).await, json!([]));
        sign_out(&browser).await;
        // Nobody for those who may not see where a wearer is.
        for user in ["technician", "court"] {
            sign_in(&browser, &s.base, user).await;
            assert_eq!(
                browser
                    .script("return document.querySelectorAll(\"a[href='#/fleet']\").length")
                    .await,
                0,
                "{user}"
            );
            browser.goto(&format!("{}/#/fleet", s.base)).await;
            browser.find("#fleet-table").await;
            let page = browser.page_text().await;
            assert!(
                !page.contains("Jānis") && !page.contains("Andris"),
                "{user}: {page}"
            );
            assert_eq!(
                browser
                    .script("return document.querySelectorAll('.map-place').length")
                    .await,
                0,
                "{user}"
            );
            sign_out(&browser).await;
        }
        browser.quit().await;
    }
}
