//! An administrator's users in the browser: making a user (a bad name and a weak password are
//! refused in words, nothing made), a role without what it needs refused, unlocking a user locked out by wrong passwords (who then
//! signs in), setting a new password (a short one refused in Latvian), and disabling a user,
//! which ends their sign-in at once.

use super::*;

/// What the page's live region says once it says `needle`.
async fn status_says(browser: &Browser, needle: &str) -> String {
    browser.wait_text("#status", needle).await
}

/// The user named `username`, as the API lists them (None: there is none).
async fn user_named(admin: &Session, username: &str) -> Option<Value> {
    let found = admin
        .ok(Method::GET, &format!("/api/v1/users?q={username}"), None)
        .await;
    found
        .as_array()?
        .iter()
        .find(|u| u["username"] == username)
        .cloned()
}

/// Signs `username` in over the API with `password`: the status.
async fn sign_in_status(base: &str, username: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("an answer")
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_administrator_makes_unlocks_resets_and_disables_a_user() {
    for db in test_databases().await {
        let dir = tempfile::tempdir().expect("dir");
        let (service, admin, _unit) =
            start_with_admin(&db.location, &[], dir.path(), PASSWORD).await;
        let base = service.http.clone();
        let browser = Browser::start(1366, 1000, "en-GB,en").await;
        sign_in(&browser, &base, "admin").await;
        browser.click("#nav-users").await;
        browser.wait_text("#users tbody", "admin").await;

        // A bad name and a weak password: said in words, field by field; nobody made.
        browser.fill("#new-username", "Jānis Kalns").await;
        browser.fill("#new-display-name", "Jānis Kalns").await;
        browser.click("#new-role option[value=operator]").await;
        browser.fill("#new-password", "short").await;
        browser.click("#user-create").await;
        let said = status_says(&browser, "Nothing was changed").await;
        assert!(
            said.contains("User name: 3 to 64 small Latin letters")
                && said.contains("Password: The password must be at least 12 characters long."),
            "{}: {said}",
            db.name
        );
        assert!(user_named(&admin, "janis.kalns").await.is_none());

        browser.fill("#new-username", "janis.kalns").await;
        browser.fill("#new-password", PASSWORD).await;
        browser.click("#user-create").await;
        status_says(&browser, "User janis.kalns created.").await;
        browser.wait_text("#user-state", "janis.kalns").await;
        let made = user_named(&admin, "janis.kalns").await.expect("made");
        assert_eq!(made["role"], "operator", "{}", db.name);

        // A court user without a court: refused in words, the role as it was.
        browser.click("#edit-role option[value=court]").await;
        browser.click("#user-save").await;
        let said = status_says(&browser, "Nothing was changed").await;
        assert_eq!(
            said, "Nothing was changed: Court: a court user names their court.",
            "{}",
            db.name
        );
        let same = user_named(&admin, "janis.kalns").await.expect("there");
        assert_eq!(same["role"], "operator", "{}", db.name);

        // Locked out by wrong passwords: the page says until when; unlocked, they sign in.
        // (Sign-ins of one name are limited to 10 a minute: this test makes 9.)
        for _ in 0..cases::MAX_FAILURES {
            sign_in_status(&base, "janis.kalns", "not my password at all").await;
        }
        browser.goto(&format!("{base}/#/users")).await;
        browser
            .goto(&format!("{base}/#/users/{}", made["id"]))
            .await;
        browser.wait_text("#user-state", "locked until").await;
        browser
            .wait_text(
                &format!("#users tr[data-user='{}']", made["id"]),
                "locked until",
            )
            .await;
        browser.click("#user-unlock").await;
        status_says(&browser, "The account is unlocked").await;
        browser.wait_text("#user-state", "active").await;
        assert_eq!(sign_in_status(&base, "janis.kalns", PASSWORD).await, 200);

        // A new password: too short is refused in Latvian; then set, the old one stops working.
        browser.click("#language option[value=lv]").await;
        browser.wait_text("h1", "Lietotāji").await;
        browser.fill("#reset-password", "īsa").await;
        browser.click("#user-reset").await;
        let said = status_says(&browser, "Nekas netika mainīts").await;
        assert_eq!(
            said, "Nekas netika mainīts: Parole: Parolei jābūt vismaz 12 rakstzīmes garai.",
            "{}",
            db.name
        );
        let fresh = "lilac tramway under seven bridges";
        browser.fill("#reset-password", fresh).await;
        browser.click("#user-reset").await;
        status_says(&browser, "Jaunā parole iestatīta").await;
        // The page drawn again, its password field empty.
        browser
            .poll("the page drawn again", async || {
                let typed = browser
                    .script("return document.getElementById('reset-password')?.value")
                    .await;
                (typed == json!("")).then_some(())
            })
            .await;
        assert_eq!(sign_in_status(&base, "janis.kalns", PASSWORD).await, 401);
        let theirs = Session::login(&base, "janis.kalns", fresh).await;

        // Disabled: their session ends at once and they cannot sign in again.
        let (status, _) = theirs.call(Method::GET, "/api/v1/session", None).await;
        assert_eq!(status, 200);
        browser.click("#user-disable").await;
        status_says(&browser, "Lietotājs atspējots").await;
        browser.wait_text("#user-state", "atspējots").await;
        let (status, _) = theirs.call(Method::GET, "/api/v1/session", None).await;
        assert_eq!(status, 401, "{}: the session ended", db.name);
        assert_eq!(sign_in_status(&base, "janis.kalns", fresh).await, 401);
        // An administrator is not offered to disable themselves.
        let me = user_named(&admin, "admin").await.expect("admin");
        browser.goto(&format!("{base}/#/users/{}", me["id"])).await;
        browser.wait_text("#user-state", "admin").await;
        let offered = browser
            .script("return document.getElementById('user-disable') !== null")
            .await;
        assert_eq!(offered, json!(false), "{}", db.name);
        browser.quit().await;
    }
}
