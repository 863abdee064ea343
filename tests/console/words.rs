//! The console's words on the page: an error the user caused is told in the console's
//! language, naming the field by its label, with none of the API's English (an absence that
//! ends before it starts, in Latvian and in English); and the check the tour makes of every
//! page, that all it says is in words of its language.

use super::*;

/// The console's catalog of `lang` (`lv` or `en`), key by key.
fn catalog(lang: &str) -> serde_json::Map<String, Value> {
    let text = match lang {
        "lv" => include_str!("../../console/i18n/lv.json"),
        _ => include_str!("../../console/i18n/en.json"),
    };
    serde_json::from_str(text).expect("a catalog")
}

/// The words of `key` in `lang`, up to its first placeholder: what a page shows of it whatever
/// fills it.
pub(super) fn words(lang: &str, key: &str) -> String {
    let text = catalog(lang)[key].as_str().unwrap_or(key).to_string();
    text.split('{')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Everything the page says: its text, the titles, labels, placeholders and alternative texts
/// of its elements, every choice of every list (a closed list shows one), the plots' titles and
/// labels and the tab's title; with the errors it shows and its language.
const SAID: &str = "const said = [document.body.innerText, document.title];\
     for (const e of document.querySelectorAll('[title], [aria-label], [placeholder], [alt], [aria-valuetext]'))\
       for (const a of ['title', 'aria-label', 'placeholder', 'alt', 'aria-valuetext']) said.push(e.getAttribute(a) ?? '');\
     for (const o of document.querySelectorAll('option')) said.push(o.text);\
     for (const s of document.querySelectorAll('svg title, svg text')) said.push(s.textContent);\
     const errors = [...document.querySelectorAll('.error, .status.error')]\
       .filter((e) => e.textContent.trim() && e.getClientRects().length).map((e) => e.textContent);\
     if (!document.getElementById('storage').hidden) errors.push(document.getElementById('storage').textContent);\
     return { said: said.join('\\n'), errors, lang: document.documentElement.lang };";

/// What scripts show for a value that is missing or not a number.
const RAW: [&str; 4] = ["undefined", "null", "NaN", "Infinity"];

/// Codes the user writes themselves, named in the words that ask for them: the property of a
/// GeoJSON point that makes it a circle.
const WRITTEN: [&str; 1] = ["radius_m"];

/// English a library would show where the console gave it no words of its own.
const LIBRARY_ENGLISH: [&str; 7] = [
    "Zoom in",
    "Zoom out",
    "Draw Circle",
    "Draw Polygons",
    "Edit Layers",
    "Drag Layers",
    "Remove Layers",
];

/// What in `said` is not words of `lang`: a raw value, an API code (`communication_lost`), a
/// catalog key (`alerts.foo`), a sentence of the other language's catalog, a library's English.
fn not_in_words(said: &str, lang: &str) -> Vec<String> {
    let mine = catalog(lang);
    let namespaces: std::collections::HashSet<&str> = mine
        .keys()
        .filter_map(|k| k.split_once('.').map(|(ns, _)| ns))
        .collect();
    let mut found = Vec::new();
    for token in said.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.')) {
        let token = token.trim_matches('.');
        let code = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        let key = token
            .split_once('.')
            .is_some_and(|(ns, rest)| namespaces.contains(ns) && rest.split('.').all(code));
        let snake = token.contains('_') && token.split('_').all(code);
        if RAW.contains(&token) || key || (snake && !WRITTEN.contains(&token)) {
            found.push(token.to_string());
        }
    }
    for raw in ["[object", "Invalid Date"] {
        if said.contains(raw) {
            found.push(raw.to_string());
        }
    }
    let other = catalog(if lang == "lv" { "en" } else { "lv" });
    for (key, theirs) in &other {
        let theirs = theirs.as_str().unwrap_or_default();
        if key.starts_with("language.") || mine.get(key).and_then(Value::as_str) == Some(theirs) {
            continue;
        }
        // The words between placeholders, long enough to be a phrase rather than a name.
        for phrase in theirs.split(['{', '}']).step_by(2) {
            let phrase = phrase.trim();
            if phrase.chars().count() >= 12 && phrase.contains(' ') && said.contains(phrase) {
                found.push(format!("{key}: {phrase}"));
            }
        }
    }
    if lang == "lv" {
        found.extend(
            LIBRARY_ENGLISH
                .iter()
                .filter(|english| said.contains(**english))
                .map(|english| english.to_string()),
        );
    }
    found
}

/// Fails, naming `page`, if the page shows an error or says anything not in words of `lang`.
pub(super) async fn assert_in_words(browser: &Browser, lang: &str, page: &str) {
    let shown = browser.script(SAID).await;
    assert_eq!(shown["lang"], lang, "{page}: the page's language");
    assert_eq!(shown["errors"], json!([]), "{page}: an error shown");
    let said = shown["said"].as_str().unwrap_or_default();
    let wrong = not_in_words(said, lang);
    assert!(wrong.is_empty(), "{page} says {wrong:?} in:\n{said}");
}

#[tokio::test]
async fn an_error_the_user_caused_is_told_in_their_language() {
    for db in test_databases().await {
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        sign_in(&browser, &s.base, "ilze.ozola").await;
        browser
            .goto(&format!("{}/#/clients/{}", s.base, s.client))
            .await;
        for (lang, heading, told) in [
            (
                "lv",
                "Reģistrēt atļautu prombūtni",
                "Nekas netika mainīts: Līdz: jābūt vēlākam par sākumu.",
            ),
            (
                "en",
                "Record an authorised absence",
                "Nothing was changed: Until: must be after the start.",
            ),
        ] {
            browser
                .click(&format!("#language option[value={lang}]"))
                .await;
            // The page drawn again in that language before the form is used.
            browser.wait_text("#absence-form h3", heading).await;
            // The absence ends when it starts: set and sent in one go, so that a redraw of
            // the page between the two cannot put the form's defaults back.
            browser
                .script(
                    "const form = document.getElementById('absence-form');\
                     form.querySelector('#absence-until').value =\
                       form.querySelector('#absence-from').value;\
                     form.querySelector('#absence-submit').click();",
                )
                .await;
            let status = browser.wait_text("#status", told).await;
            for english in ["must be after from", "request", "nothing was changed"] {
                assert!(
                    !status.contains(english),
                    "{} {lang}: {status:?} has the API's English",
                    db.name
                );
            }
        }
        browser.quit().await;
    }
}
