//! An error the user caused is told in the console's language, naming the field by its label,
//! with none of the API's English: an absence that ends before it starts, in Latvian and in
//! English.

use super::*;

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
