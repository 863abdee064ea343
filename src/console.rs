//! The web console, served from inside the binary: the files of `console/` (plain HTML, CSS
//! and JavaScript modules, no build step) embedded at compile time, so `sargs serve` needs no
//! front-end server and no internet connection. Every answer carries a strict
//! Content-Security-Policy (scripts and styles from this origin only, nothing inline), and
//! `/console/config` tells the page what the server was configured with (the map's tiles).

use std::str::FromStr;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;

/// A raster tile server's URL template (`https://tiles.example/{z}/{x}/{y}.png`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileTemplate {
    template: String,
    /// `scheme://host[:port]`, which the Content-Security-Policy must allow images from.
    origin: String,
}

impl FromStr for TileTemplate {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<TileTemplate> {
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or_else(|| anyhow::anyhow!("a tile URL starts with https:// or http://"))?;
        for part in ["{z}", "{x}", "{y}"] {
            anyhow::ensure!(text.contains(part), "a tile URL template names {part}");
        }
        let host = rest.split('/').next().unwrap_or_default();
        // The origin goes into a header: nothing that could end or extend it.
        anyhow::ensure!(
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)),
            "a tile URL needs a plain host name"
        );
        let scheme = &text[..text.len() - rest.len()];
        Ok(TileTemplate {
            template: text.to_string(),
            origin: format!("{scheme}{host}"),
        })
    }
}

/// One embedded file: its path under `/console/` and its bytes.
struct Asset {
    path: &'static str,
    bytes: &'static [u8],
}

macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        &[$(Asset { path: $path, bytes: include_bytes!(concat!("../console/", $path)) }),*]
    };
}

const ASSETS: &[Asset] = assets![
    "index.html",
    "style.css",
    "app.js",
    "api.js",
    "i18n.js",
    "format.js",
    "date-field.js",
    "ui.js",
    "map.js",
    "map-grid.js",
    "zone-editor.js",
    "replay.js",
    "order-search.js",
    "storage.js",
    "plot.js",
    "pages/alerts.js",
    "pages/caseload.js",
    "pages/client.js",
    "pages/client-form.js",
    "pages/client-glance.js",
    "pages/form-rows.js",
    "pages/order-conditions.js",
    "pages/order-form.js",
    "pages/order-zones.js",
    "pages/timetable-editor.js",
    "pages/device.js",
    "pages/devices.js",
    "pages/fleet.js",
    "pages/orders.js",
    "pages/units.js",
    "pages/users.js",
    "pages/victims.js",
    "i18n/en.json",
    "i18n/lv.json",
    "icon.svg",
    // The map's libraries, vendored by scripts/vendor-console (console/vendor/README.md).
    "vendor/leaflet/LICENSE",
    "vendor/leaflet/dist/leaflet.js",
    "vendor/leaflet/dist/leaflet.css",
    "vendor/leaflet/dist/images/layers.png",
    "vendor/leaflet/dist/images/layers-2x.png",
    "vendor/leaflet/dist/images/marker-icon.png",
    "vendor/leaflet/dist/images/marker-icon-2x.png",
    "vendor/leaflet/dist/images/marker-shadow.png",
    "vendor/leaflet-geoman-free/LICENSE",
    "vendor/leaflet-geoman-free/dist/leaflet-geoman.min.js",
    "vendor/leaflet-geoman-free/dist/leaflet-geoman.css",
    // The date fields' calendar, and the licence of what its file bundles.
    "vendor/cally/LICENSE",
    "vendor/cally/package.json",
    "vendor/cally/dist/cally.js",
    "vendor/atomico/LICENCE",
];

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ if path.ends_with("/LICENSE") || path.ends_with("/LICENCE") => {
            "text/plain; charset=utf-8"
        }
        _ => "application/octet-stream",
    }
}

/// What the console's pages are allowed to load and where they may connect.
fn content_security_policy(tiles: Option<&TileTemplate>) -> String {
    let images = tiles.map_or(String::new(), |t| format!(" {}", t.origin));
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:{images}; \
         connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The console's routes: the page at `/`, its files under `/console/`, and its configuration.
pub fn router(tiles: Option<TileTemplate>) -> Router {
    Router::new()
        .route(
            "/",
            get(|State(tiles): State<Option<TileTemplate>>| async move {
                file(tiles.as_ref(), "index.html")
            }),
        )
        .route("/console/config", get(config))
        .route(
            "/console/{*path}",
            get(
                |State(tiles): State<Option<TileTemplate>>, Path(path): Path<String>| async move {
                    file(tiles.as_ref(), &path)
                },
            ),
        )
        .with_state(tiles)
}

fn file(tiles: Option<&TileTemplate>, path: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(asset.path)),
    );
    // The files change only with the binary; "no-cache" revalidates, so an upgrade is seen at
    // once without hashed file names.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(tiles)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

async fn config(State(tiles): State<Option<TileTemplate>>) -> Json<serde_json::Value> {
    Json(json!({ "map_tiles": tiles.map(|t| t.template) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_template_needs_a_scheme_host_and_the_three_placeholders() {
        let ok: TileTemplate = "https://tiles.example:8443/{z}/{x}/{y}.png"
            .parse()
            .unwrap();
        assert_eq!(ok.origin, "https://tiles.example:8443");
        for bad in [
            "tiles.example/{z}/{x}/{y}.png",
            "https://tiles.example/{z}/{x}.png",
            "https://tiles.example;script-src *//{z}/{x}/{y}",
            "https:///{z}/{x}/{y}",
        ] {
            assert!(bad.parse::<TileTemplate>().is_err(), "{bad}");
        }
    }

    fn catalog(lang: &str) -> serde_json::Map<String, serde_json::Value> {
        let path = format!("i18n/{lang}.json");
        let asset = ASSETS.iter().find(|a| a.path == path).unwrap();
        serde_json::from_slice(asset.bytes).unwrap()
    }

    /// Same keys in both, nothing blank, every key the scripts ask for is there, Latvian where a
    /// Latvian word exists, and the glossary's words.
    #[test]
    fn the_catalogs_agree_and_speak_the_glossary() {
        let (en, lv) = (catalog("en"), catalog("lv"));
        let keys = |c: &serde_json::Map<_, _>| c.keys().cloned().collect::<Vec<String>>();
        assert_eq!(keys(&en), keys(&lv));
        for (key, text) in en.iter().chain(lv.iter()) {
            assert!(text.as_str().is_some_and(|t| !t.trim().is_empty()), "{key}");
        }
        // The same in both languages only where it is a name or a unit (the tab's title: a
        // count and the name).
        let same_ok = [
            "app.name",
            "language.lv",
            "language.en",
            "orders.minutes",
            "alerts.tab_title",
        ];
        for (key, text) in &en {
            if !same_ok.contains(&key.as_str()) {
                assert_ne!(Some(text), lv.get(key), "{key} is not Latvian");
            }
        }
        // The console's own scripts; the vendored libraries have no words of ours.
        let own = |a: &&Asset| a.path.ends_with(".js") && !a.path.starts_with("vendor/");
        for asset in ASSETS.iter().filter(own) {
            let code = std::str::from_utf8(asset.bytes).unwrap();
            for (at, _) in code.match_indices("t('") {
                // `t(` itself, not `get(` or `post(`.
                let before = code[..at].chars().next_back().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue;
                }
                let key = code[at + 3..].split('\'').next().unwrap();
                assert!(
                    en.contains_key(key),
                    "{}: {key} is not in the catalogs",
                    asset.path
                );
            }
        }
        let glossary = [
            ("client.name", "probācijas klients"),
            ("glance.compliant", "ievēro"),
            ("glance.breach", "pārkāpums"),
            ("glance.unknown", "nav datu"),
            ("alerts.acknowledge", "apstiprināt saņemšanu"),
            ("alerts.resolve", "atrisināt"),
            ("absence.title", "atļautās prombūtnes"),
            ("order.curfew", "mājas režīms"),
            ("zone.exclusion", "aizliegtā zona"),
            ("orders.summary", "pārskati par pienākumu izpildi"),
            ("device_kind.gps-tracker", "gps izsekotājs"),
            ("device_kind.phone", "tālrunis"),
            ("watched.strap", "siksniņa"),
        ];
        for (key, word) in glossary {
            let text = lv[key].as_str().unwrap().to_lowercase();
            assert!(text.contains(word), "{key}: {text}");
        }
        for text in en.values().chain(lv.values()) {
            let text = text.as_str().unwrap().to_lowercase();
            assert!(
                !text.contains("offender") && !text.contains("convict"),
                "{text}"
            );
        }
    }

    /// Every value of every enumeration the API can send (`GET /api/v1/enumerations`, read from
    /// the Rust types) has its words in both languages, keyed `name.value`: a new variant without
    /// a label fails here rather than showing a raw code.
    #[test]
    fn every_value_the_api_can_send_has_a_label_in_each_language() {
        let all = serde_json::to_value(api::enumerations()).unwrap();
        for lang in ["en", "lv"] {
            let words = catalog(lang);
            let mut missing = Vec::new();
            for (name, values) in all.as_object().unwrap() {
                // A map (`class_of_kind`) relates values that lists name: nothing to label.
                let Some(values) = values.as_array() else {
                    continue;
                };
                for value in values {
                    let key = format!("{name}.{}", value.as_str().unwrap());
                    if !words.contains_key(&key) {
                        missing.push(key);
                    }
                }
            }
            assert!(
                missing.is_empty(),
                "i18n/{lang}.json has no label for {missing:?}"
            );
        }
    }

    #[test]
    fn every_file_has_a_known_type_and_nothing_inline_is_allowed() {
        for asset in ASSETS {
            assert_ne!(
                content_type(asset.path),
                "application/octet-stream",
                "{}",
                asset.path
            );
        }
        let policy = content_security_policy(None);
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        // Images from the tile server and nowhere else.
        let tiles: TileTemplate = "https://tiles.example/{z}/{x}/{y}.png".parse().unwrap();
        let policy = content_security_policy(Some(&tiles));
        assert!(
            policy.contains("img-src 'self' data: https://tiles.example;"),
            "{policy}"
        );
    }

    /// The vendored libraries are the versions scripts/vendor-console pins, with the integrity
    /// it checks written in console/vendor/README.md, each with its licence; every vendored file
    /// is embedded, and nothing else lies in console/vendor.
    #[test]
    fn the_vendored_libraries_are_the_pinned_versions_with_their_licences() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let script = std::fs::read_to_string(root.join("scripts/vendor-console")).unwrap();
        let readme = std::fs::read_to_string(root.join("console/vendor/README.md")).unwrap();
        let text = |path: &str| {
            let asset = ASSETS.iter().find(|a| a.path == path).unwrap();
            String::from_utf8_lossy(asset.bytes).into_owned()
        };
        // package, version, a file of it and what it says of that version, its licence's
        // file and words. Atomico is kept for its licence alone: cally.js bundles it.
        for (package, version, file, marker, licence_file, licence) in [
            (
                "leaflet",
                "1.9.4",
                "vendor/leaflet/dist/leaflet.js",
                "Leaflet 1.9.4,",
                "vendor/leaflet/LICENSE",
                "BSD 2-Clause",
            ),
            (
                "@geoman-io/leaflet-geoman-free",
                "2.20.2",
                "vendor/leaflet-geoman-free/dist/leaflet-geoman.min.js",
                "version:\"2.20.2\"",
                "vendor/leaflet-geoman-free/LICENSE",
                "MIT License",
            ),
            (
                "cally",
                "0.9.2",
                "vendor/cally/package.json",
                "\"version\": \"0.9.2\"",
                "vendor/cally/LICENSE",
                "Copyright 2024-present Nick Williams",
            ),
            (
                "atomico",
                "1.79.2",
                "vendor/atomico/LICENCE",
                "MIT License",
                "vendor/atomico/LICENCE",
                "Matias Alexander Trujillo Olivares",
            ),
        ] {
            let pinned = format!("fetch {package} {version} \\\n  '");
            let at = script.find(&pinned).unwrap_or_else(|| panic!("{pinned}"));
            let integrity = script[at + pinned.len()..].split('\'').next().unwrap();
            assert!(integrity.starts_with("sha512-"), "{integrity}");
            assert!(readme.contains(integrity), "{package}: {integrity}");
            assert!(
                readme.contains(&format!("| {version} ")),
                "{package} {version}"
            );
            assert!(text(file).contains(marker), "{file} is not {version}");
            assert!(text(licence_file).contains(licence), "{licence_file}");
        }
        let mut on_disk = Vec::new();
        let mut dirs = vec![root.join("console/vendor")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    let relative = path.strip_prefix(root.join("console")).unwrap();
                    on_disk.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        for path in on_disk {
            assert!(
                path == "vendor/README.md" || ASSETS.iter().any(|a| a.path == path),
                "{path} is vendored but not embedded"
            );
        }
    }

    /// Every code a field error can carry (`FieldError::coded(field, "code", ...)` in the crates'
    /// sources, and the policy's own `PolicyError::code`) has its words in both languages
    /// (`field_error.<code>`): an error a user can cause is never shown as "not valid" alone.
    #[test]
    fn every_field_error_code_has_words_in_each_language() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut codes = std::collections::BTreeSet::new();
        let mut files = Vec::new();
        for dir in ["cases/src", "api/src", "alerts/src"] {
            let mut stack = vec![root.join(dir)];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "rs") {
                        files.push(path);
                    }
                }
            }
        }
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for (at, call) in text.match_indices("FieldError::coded(") {
                // The second argument, where it is a literal: past the first comma outside
                // brackets and quotes.
                let (mut depth, mut quoted) = (0, false);
                let args = &text[at + call.len()..];
                let Some(comma) = args.char_indices().find_map(|(i, c)| {
                    match c {
                        '"' => quoted = !quoted,
                        '(' | '[' | '{' if !quoted => depth += 1,
                        ')' | ']' | '}' if !quoted => depth -= 1,
                        ',' if !quoted && depth == 0 => return Some(i),
                        _ => {}
                    }
                    None
                }) else {
                    continue;
                };
                if let Some(literal) = args[comma + 1..].trim_start().strip_prefix('"') {
                    codes.insert(literal.split('"').next().unwrap().to_string());
                }
            }
        }
        let policy = std::fs::read_to_string(root.join("rules/src/policy/error.rs")).unwrap();
        let arms = policy.split("pub fn code(&self)").nth(1).unwrap();
        for part in arms.split("=> \"").skip(1) {
            codes.insert(part.split('"').next().unwrap().to_string());
        }
        assert!(codes.len() > 40, "{codes:?}");
        for lang in ["en", "lv"] {
            let words = catalog(lang);
            let missing: Vec<_> = codes
                .iter()
                .filter(|c| !words.contains_key(&format!("field_error.{c}")))
                .collect();
            assert!(
                missing.is_empty(),
                "i18n/{lang}.json has no words for {missing:?}"
            );
        }
    }
}
