//! `sargs serve --map-tiles`: the map's raster tiles come from the server it is given, and only it.

use super::*;

/// A tiny 1×1 PNG: what the test's tile server answers.
const TILE: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x38, 0x73, 0xf7, 0x0c,
    0x00, 0x04, 0xee, 0x02, 0x76, 0x47, 0x44, 0x21, 0x06, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The Web Mercator tile (x, y) at zoom `z` holding a point.
fn tile_of((lat, lon): (f64, f64), z: u32) -> (i64, i64) {
    let n = f64::from(1u32 << z);
    let lat = lat.to_radians();
    let x = (lon + 180.0) / 360.0 * n;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x.floor() as i64, y.floor() as i64)
}

/// `sargs serve --map-tiles`: the client's map puts raster tiles from that server (and only it,
/// as the policy says) under the drawing, those around the client's home at a street-level
/// zoom. Without the flag nothing is fetched from elsewhere (the first test checks that).
#[tokio::test]
async fn the_map_draws_tiles_from_the_server_it_is_given() {
    for db in test_databases().await {
        let tiles = TestHttpServer::start().await;
        tiles.set_body("image/png", TILE);
        let template = tiles.url("/{z}/{x}/{y}.png");
        let flags = [format!("--map-tiles={template}")];
        let s = start(&db.location, &flags).await;
        let browser = s.browser;
        let page = reqwest::get(format!("{}/", s.base))
            .await
            .expect("the console");
        let policy = page.headers()["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .to_string();
        let origin = tiles.url("");
        assert!(
            policy.contains(&format!("img-src 'self' data: {origin};")),
            "{policy}"
        );

        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        browser.find(".map.leaflet-container .map-address").await;
        let hrefs = browser
            .script(
                "return [...document.querySelectorAll('.map img.leaflet-tile')]\
                 .map((i) => i.getAttribute('src'))",
            )
            .await;
        let hrefs: Vec<String> = serde_json::from_value(hrefs).expect("a list");
        assert!(!hrefs.is_empty(), "no tiles in the map");
        // Every tile the map shows, fetched from the tile server by the browser.
        let wanted: std::collections::BTreeSet<String> = hrefs
            .iter()
            .map(|h| {
                h.strip_prefix(&origin)
                    .expect("from the tile server")
                    .to_string()
            })
            .collect();
        let fetched = browser
            .poll("the browser never fetched every tile", async || {
                let fetched: std::collections::BTreeSet<String> =
                    tiles.requests().into_iter().map(|r| r.path).collect();
                (fetched == wanted).then_some(fetched)
            })
            .await;
        for request in tiles.requests() {
            assert!(request.header("referer").is_none(), "{request:?}");
        }
        // Street level, around the client's home: the tile under it and its neighbours.
        let zxy: Vec<(u32, i64, i64)> = fetched
            .iter()
            .map(|path| {
                let parts: Vec<&str> = path
                    .trim_start_matches('/')
                    .trim_end_matches(".png")
                    .split('/')
                    .collect();
                assert_eq!(parts.len(), 3, "{path}");
                (
                    parts[0].parse().expect("z"),
                    parts[1].parse().expect("x"),
                    parts[2].parse().expect("y"),
                )
            })
            .collect();
        let z = zxy[0].0;
        assert!((12..=17).contains(&z), "zoom {z}: {fetched:?}");
        let home = tile_of(HOME, z);
        assert!(
            zxy.contains(&(z, home.0, home.1)),
            "home {home:?} not among {fetched:?}"
        );
        for (tz, x, y) in &zxy {
            assert_eq!(*tz, z, "{fetched:?}");
            assert!(
                (x - home.0).abs() <= 3 && (y - home.1).abs() <= 3,
                "{fetched:?}"
            );
        }
        // From there and nowhere else.
        let foreign = browser.script(FOREIGN_REQUESTS).await;
        let foreign: Vec<String> = serde_json::from_value(foreign).expect("a list");
        assert!(
            foreign
                .iter()
                .all(|url| url.starts_with(&format!("{origin}/"))),
            "{foreign:?}"
        );
        sign_out(&browser).await;
        browser.quit().await;
    }
}
