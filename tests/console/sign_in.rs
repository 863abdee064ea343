//! A locked-out user is told so, and until when in Riga time, in English and in Latvian.

use super::*;

/// A locked-out user is told so, and until when in Riga time, in English and in Latvian; not
/// that the password is wrong.
#[tokio::test]
async fn a_locked_out_user_is_told_until_when_in_a_browser() {
    for db in test_databases().await {
        let dir = tempfile::tempdir().expect("dir");
        let (service, _admin, _) = start_with_admin(&db.location, &[], dir.path(), PASSWORD).await;
        let base = service.http.clone();
        let browser = Browser::start(1366, 1000, "en-GB,en").await;
        browser.goto(&format!("{base}/")).await;
        let attempt = async |password: &str| {
            browser.fill("#login input[name=username]", "admin").await;
            browser.fill("#login input[name=password]", password).await;
            browser.click("#login button[type=submit]").await;
        };
        for i in 1..cases::MAX_FAILURES {
            attempt(&format!("wrong password {i}")).await;
            // Each answer replaces the one before; wait for this one's to be drawn.
            browser
                .poll("the refusal", async || {
                    let text = browser
                        .script("return document.getElementById('login-error').textContent")
                        .await;
                    (text == "Wrong user name or password.").then_some(())
                })
                .await;
            browser
                .script("document.getElementById('login-error').textContent = ''")
                .await;
        }
        attempt("wrong password 5").await;
        let told = browser.wait_text("#login-error", "locked until").await;
        // The lock's end as the API gives it, in Riga's time as the console writes times.
        let answer: Value = reqwest::Client::new()
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "username": "admin", "password": PASSWORD }))
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("json");
        assert_eq!(answer["error"], "locked_out", "{}", db.name);
        let riga = |locale: &str| {
            format!(
                "return new Intl.DateTimeFormat('{locale}', {{ year: 'numeric', month: '2-digit', \
                 day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', \
                 timeZone: 'Europe/Riga' }}).format(new Date({}))",
                answer["until"]
            )
        };
        let until = browser.script(&riga("en-GB")).await;
        let until = until.as_str().expect("a time");
        assert_eq!(
            told,
            format!("Too many wrong passwords: the account is locked until {until}."),
            "{}",
            db.name
        );
        snap(&browser, "sign-in-locked-en").await;

        // The right password now is refused the same way, in Latvian too.
        browser.click("#language option[value=lv]").await;
        browser.wait_text("h1", "Pieteikties").await;
        attempt(PASSWORD).await;
        let told = browser.wait_text("#login-error", "bloķēts līdz").await;
        let until = browser.script(&riga("lv-LV")).await;
        assert_eq!(
            told,
            format!(
                "Pārāk daudz nepareizu paroļu: konts ir bloķēts līdz {}.",
                until.as_str().expect("a time")
            )
        );
        let signed_in = browser
            .script("return document.getElementById('logout') !== null")
            .await;
        assert_eq!(signed_in, false, "{}", db.name);
        browser.quit().await;
    }
}
