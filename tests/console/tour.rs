//! Every page of the console in Latvian and in English, as the user whose page it is sees it in
//! an office in use (`office::office_in_use`): each waited for until it is drawn whole, checked
//! to show no error, no raw code or key and no words of the other language
//! (`words::assert_in_words`), with no script error or policy violation; and, with
//! `SARGS_SCREENSHOTS` set, photographed as `<role>-<page>-<lang>.png`, the pictures
//! docs/console.md shows.

mod office;

use super::track::{WATCH_CSP, WATCH_ERRORS, csp_violations};
use super::words::{assert_in_words, words};
use super::*;
use office::{Office, office_in_use};

/// Records when the page last changed (`window.changed`), to tell when it has settled.
const WATCH_CHANGES: &str = "window.changed = performance.now();\
     new MutationObserver(() => { window.changed = performance.now(); })\
       .observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });";

/// How long a page must stay unchanged to count as drawn.
const SETTLED_MS: u32 = 400;

/// One page of the tour.
struct Page {
    /// Its pictures' name, `<role>-<page>`, before the language.
    name: &'static str,
    /// Its address after `#/`; none for the page already shown.
    path: Option<String>,
    /// A catalog key whose words the page shows once drawn in a language.
    shows: &'static str,
    /// An element that is there once the page's slow parts (a map, a plot) are.
    ready: &'static str,
    /// The part to photograph, if not the whole page.
    part: Option<&'static str>,
    /// The window's size for it, if not a laptop's.
    size: Option<(i64, i64)>,
}

fn page(name: &'static str, path: String, shows: &'static str, ready: &'static str) -> Page {
    Page {
        name,
        path: Some(path),
        shows,
        ready,
        part: None,
        size: None,
    }
}

/// Each user and the pages that are theirs, in the order a person would go through them.
fn tours(o: &Office) -> Vec<(&'static str, Vec<Page>)> {
    let client = format!("clients/{}", o.client);
    vec![
        (
            "operator",
            vec![
                page(
                    "operator-queue",
                    "alerts".into(),
                    "alerts.title",
                    "#live.on",
                ),
                page(
                    "operator-alert",
                    format!("alerts/{}", o.alert),
                    "alerts.history",
                    "#alert-detail .map-cause-marker",
                ),
                Page {
                    size: Some((820, 1180)),
                    ..page(
                        "operator-alert-tablet",
                        format!("alerts/{}", o.alert),
                        "alerts.history",
                        "#alert-detail .map-cause-marker",
                    )
                },
            ],
        ),
        (
            "ilze.ozola",
            vec![
                page(
                    "officer-caseload",
                    "caseload".into(),
                    "caseload.title",
                    "table.caseload tr[data-client]",
                ),
                page(
                    "officer-client",
                    client.clone(),
                    "glance.title",
                    ".map-grid-label",
                ),
                Page {
                    part: Some("section:has(#replay)"),
                    ..page(
                        "officer-replay",
                        client.clone(),
                        "replay.episodes",
                        ".map-replay-marker",
                    )
                },
                page(
                    "officer-client-form",
                    format!("{client}/edit"),
                    "client_form.edit_title",
                    ".map-grid-label",
                ),
                page(
                    "officer-order-form",
                    format!("{client}/order/{}", o.order),
                    "order_form.vary_title",
                    ".map-grid-label",
                ),
                page(
                    "officer-fleet",
                    "fleet".into(),
                    "fleet.title",
                    ".map .map-place",
                ),
            ],
        ),
        (
            "supervisor",
            vec![page(
                "supervisor-unit",
                "unit".into(),
                "unit.title",
                "#alert-load svg",
            )],
        ),
        (
            "technician",
            vec![
                page(
                    "technician-devices",
                    "devices".into(),
                    "devices.title",
                    "table.devices tr[data-device]",
                ),
                page(
                    "technician-device",
                    format!("devices/{TAG}"),
                    "device.health",
                    "#device-health svg.plot",
                ),
            ],
        ),
        (
            "admin",
            vec![
                page(
                    "admin-users",
                    "users".into(),
                    "users.title",
                    "#users tbody tr",
                ),
                page(
                    "admin-user",
                    format!("users/{}", o.locked),
                    "users.title",
                    "#user-state",
                ),
                page(
                    "admin-units",
                    "units".into(),
                    "units.title",
                    "#units tbody tr",
                ),
                page(
                    "admin-unit",
                    format!("units/{}", o.department),
                    "units.title",
                    "#alerting-form",
                ),
                page(
                    "admin-victims",
                    "victims".into(),
                    "victims.title",
                    "#victims tbody tr",
                ),
                page(
                    "admin-victim",
                    format!("victims/{}", o.victim),
                    "victims.title",
                    "#protecting tbody tr",
                ),
            ],
        ),
        (
            "court",
            vec![
                page(
                    "court-orders",
                    "orders".into(),
                    "orders.title",
                    "table.orders a.report-pdf",
                ),
                page("court-client", client, "order.title", ".map-grid-label"),
            ],
        ),
    ]
}

#[tokio::test]
async fn every_page_is_whole_and_in_its_words_in_both_languages() {
    for db in test_databases().await {
        let o = office_in_use(&db.location).await;
        let base = o.service.http.clone();
        let browser = Browser::start(1366, 1000, "en-GB,en").await;
        let laptop = browser.window_size().await;
        browser.goto(&format!("{base}/")).await;
        watch(&browser).await;
        let sign_in_page = Page {
            path: None,
            ..page("sign-in", String::new(), "login.title", "#login")
        };
        let mut lang = visit(&browser, &base, "en", &sign_in_page, laptop).await;
        for (user, pages) in tours(&o) {
            sign_in(&browser, &base, user).await;
            watch(&browser).await;
            for page in &pages {
                lang = visit(&browser, &base, lang, page, laptop).await;
            }
            assert_eq!(
                browser.script("return window.errors").await,
                json!([]),
                "{user}"
            );
            assert_eq!(
                csp_violations(&browser).await,
                Vec::<String>::new(),
                "{user}"
            );
            sign_out(&browser).await;
        }
        browser.quit().await;
    }
}

/// Starts watching the page just loaded for script errors, policy violations and changes.
async fn watch(browser: &Browser) {
    browser
        .script(&format!("{WATCH_CSP} {WATCH_ERRORS} {WATCH_CHANGES}"))
        .await;
}

/// Shows `page` in the language it is in (`lang`) and then in the other, checking and
/// photographing it in each; the language it is left in.
async fn visit(
    browser: &Browser,
    base: &str,
    lang: &'static str,
    page: &Page,
    laptop: (i64, i64),
) -> &'static str {
    if let Some(path) = &page.path {
        browser.goto(&format!("{base}/#/{path}")).await;
    }
    if let Some((width, height)) = page.size {
        browser.resize(width, height).await;
    }
    let other = if lang == "en" { "lv" } else { "en" };
    for lang in [lang, other] {
        browser
            .click(&format!("#language option[value={lang}]"))
            .await;
        let name = format!("{}-{lang}", page.name);
        drawn(browser, lang, page, &name).await;
        assert_in_words(browser, lang, &name).await;
        // The language switch just used keeps the focus; the picture is of the page alone.
        browser.script("document.activeElement.blur()").await;
        match page.part {
            Some(css) => snap_part(browser, css, &name).await,
            None => snap(browser, &name).await,
        }
    }
    if page.size.is_some() {
        browser.resize(laptop.0, laptop.1).await;
    }
    other
}

/// Waits until the page is drawn whole in `lang`: its words shown, its slow part there, nothing
/// loading or pending, and nothing changed for a moment.
async fn drawn(browser: &Browser, lang: &str, page: &Page, name: &str) {
    let check = format!(
        "return document.documentElement.lang === {lang} \
         && document.querySelector('main').innerText.includes({shows}) \
         && document.querySelector({ready}) !== null \
         && document.querySelector('main .loading, main .pending') === null \
         && performance.now() - window.changed > {SETTLED_MS};",
        lang = Value::from(lang),
        shows = Value::from(words(lang, page.shows)),
        ready = Value::from(page.ready),
    );
    let what = format!("{name} was never drawn whole");
    browser
        .poll(&what, async || {
            (browser.script(&check).await == true).then_some(())
        })
        .await;
}
