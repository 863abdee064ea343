//! Accounts: signing in with a cookie, lock-out and signing out; a flood of sign-ins answered
//! 429; weak passwords refused with a reason; an administrator who would disable their own
//! account, and one who changes their own password.

use super::*;

#[tokio::test]
async fn sign_in_with_a_cookie_lock_out_and_sign_out() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let login = |username: &str, password: &str| {
            w.http
                .post(format!("{}/api/v1/session", w.base))
                .json(&json!({ "username": username, "password": password }))
                .send()
        };
        let response = login("officer.a", PASSWORD).await.expect("answer");
        assert_eq!(response.status(), 200, "{name}");
        let cookie = response
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie")
            .to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["user"]["username"], "officer.a");
        assert!(
            body.to_string().find("sargs_s_").is_none(),
            "the secret stays in the cookie"
        );
        let session = cookie.split(';').next().expect("name=value").to_string();

        let me = |cookie: String| {
            w.http
                .get(format!("{}/api/v1/session", w.base))
                .header(COOKIE, cookie)
                .send()
        };
        let answer = me(session.clone()).await.expect("answer");
        assert_eq!(answer.status(), 200);
        let user: Value = answer.json().await.expect("json");
        assert_eq!(user["role"], "officer");

        let out = w
            .http
            .delete(format!("{}/api/v1/session", w.base))
            .header(COOKIE, session.clone())
            .header(ORIGIN, &w.base)
            .send()
            .await
            .expect("answer");
        assert_eq!(out.status(), 204);
        assert_eq!(me(session).await.expect("answer").status(), 401, "{name}");

        // Five wrong passwords lock the account; then even the right one is refused.
        for _ in 0..5 {
            let refused = login("officer.b", "not the password")
                .await
                .expect("answer");
            assert_eq!(refused.status(), 401);
        }
        let locked: Value = login("officer.b", PASSWORD)
            .await
            .expect("answer")
            .json()
            .await
            .expect("json");
        assert_eq!(locked["error"], "locked_out", "{name}");
        // The console tells until when: an instant a quarter of an hour ahead.
        let until = locked["until"].as_str().expect("until");
        let until = chrono::DateTime::parse_from_rfc3339(until).expect("RFC 3339");
        let ahead = until.timestamp_millis() - chrono::Utc::now().timestamp_millis();
        assert!(
            ahead > cases::LOCKOUT_MS - 60_000 && ahead <= cases::LOCKOUT_MS + 1000,
            "{ahead}"
        );
        // An administrator lifts the lock.
        let path = format!("/api/v1/users/{}", w.users["officer.b"]);
        let (status, _) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &path,
                Some(json!({ "unlock": true })),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            login("officer.b", PASSWORD).await.expect("answer").status(),
            200
        );
    }
}

#[tokio::test]
async fn a_flood_of_sign_ins_is_answered_429_with_retry_after() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let login = |username: String| {
            w.http
                .post(format!("{}/api/v1/session", w.base))
                .json(&json!({ "username": username, "password": "not the password" }))
                .send()
        };
        let limits = api::SignInLimits::default();
        // One name, from anywhere: its allowance, then 429.
        for _ in 0..limits.per_name.get() {
            let answer = login("officer.c".into()).await.expect("answer");
            assert_eq!(answer.status(), 401, "{name}");
        }
        let limited = login("officer.c".into()).await.expect("answer");
        assert_eq!(limited.status(), 429, "{name}");
        let retry_after: u64 = limited
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Retry-After in seconds");
        let body: Value = limited.json().await.expect("json");
        assert_eq!(body["error"], "too_many_attempts");
        assert_eq!(body["retry_after_s"], retry_after);
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        // One address, whatever the names: the rest of its allowance, then 429. (The allowance
        // refills meanwhile, one every 60/per_address seconds.)
        let started = std::time::Instant::now();
        let mut allowed = 0u32;
        loop {
            let status = login(format!("guess{allowed}"))
                .await
                .expect("answer")
                .status();
            if status == 429 {
                break;
            }
            assert_eq!(status, 401, "{name}");
            allowed += 1;
            assert!(
                allowed <= 2 * limits.per_address.get(),
                "{name}: never limited"
            );
        }
        let refilled = started.elapsed().as_secs_f64() * f64::from(limits.per_address.get()) / 60.0;
        let rest = limits.per_address.get() - limits.per_name.get() - 1;
        assert!(
            allowed >= rest && f64::from(allowed) <= f64::from(rest) + refilled.ceil(),
            "{name}: {allowed} allowed, {rest} expected"
        );
    }
}

#[tokio::test]
async fn a_weak_password_is_refused_with_a_reason_the_console_words() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let user = |password: &str| {
            json!({ "username": "martins.liepa", "display_name": "Mārtiņš Liepa",
                    "role": "operator", "password": password })
        };
        let megabyte = "x".repeat(1 << 20);
        for (password, code) in [
            ("aaaaaaaaaaaa", "password_weak"),
            ("martins.liepa", "password_contains_name"),
            ("short", "password_too_short"),
            (megabyte.as_str(), "password_too_long"),
        ] {
            let started = std::time::Instant::now();
            let (status, body) = w
                .call(
                    Some("admin"),
                    Method::POST,
                    "/api/v1/users",
                    Some(user(password)),
                )
                .await;
            assert_eq!(status, 422, "{name} {code}: {body}");
            assert_eq!(body["fields"][0]["field"], "password");
            assert_eq!(body["fields"][0]["code"], code, "{name}");
            assert!(
                body["fields"][0]["reason"]
                    .as_str()
                    .is_some_and(|r| !r.is_empty())
            );
            assert!(started.elapsed() < std::time::Duration::from_secs(5));
        }
        let path = format!("/api/v1/users/{}", w.users["officer.b"]);
        let (status, body) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &path,
                Some(json!({ "password": "aaaaaaaaaaaa" })),
            )
            .await;
        assert_eq!(
            (status, &body["fields"][0]["code"]),
            (422, &json!("password_weak"))
        );
        let (status, _) = w
            .call(
                Some("admin"),
                Method::POST,
                "/api/v1/users",
                Some(user("granite tulip seventy ferry")),
            )
            .await;
        assert_eq!(status, 201, "{name}");
    }
}

/// An administrator cannot disable their own account: were they the last, nobody could sign in
/// to enable anyone. Disabling another user, or saying one's own account stays enabled, is fine.
#[tokio::test]
async fn an_administrator_cannot_disable_their_own_account() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let own = format!("/api/v1/users/{}", w.users["admin"]);
        let (status, body) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &own,
                Some(json!({ "disabled": true, "display_name": "Renamed" })),
            )
            .await;
        assert_eq!(
            (status, &body["fields"][0]["field"]),
            (422, &json!("disabled")),
            "{name}: {body}"
        );
        // Nothing changed, and the token that asked still signs in.
        let (status, me) = w
            .call(Some("admin"), Method::GET, "/api/v1/session", None)
            .await;
        assert_eq!(
            (status, &me["disabled"], &me["display_name"]),
            (200, &json!(false), &json!("admin")),
            "{name}"
        );
        let (status, _) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &own,
                Some(json!({ "disabled": false })),
            )
            .await;
        assert_eq!(status, 200, "{name}");
        let other = format!("/api/v1/users/{}", w.users["officer.b"]);
        let (status, user) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &other,
                Some(json!({ "disabled": true })),
            )
            .await;
        assert_eq!((status, &user["disabled"]), (200, &json!(true)), "{name}");
    }
}

/// A changed password ends the user's sessions and tokens, but one who changes their own stays
/// signed in with the credential they changed it with: a program that set it, or a typing slip,
/// does not lock them out.
#[tokio::test]
async fn ones_own_new_password_keeps_the_credential_it_was_set_with() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let session = w.sign_in("admin").await;
        let own = format!("/api/v1/users/{}", w.users["admin"]);
        let new_password = "quiet orchard lantern 47";
        let (status, body) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &own,
                Some(json!({ "password": new_password })),
            )
            .await;
        assert_eq!(status, 200, "{name}: {body}");
        let (status, _) = w
            .call(Some("admin"), Method::GET, "/api/v1/session", None)
            .await;
        assert_eq!(status, 200, "{name}: the token it was changed with");
        let answer = w
            .http
            .get(format!("{}/api/v1/session", w.base))
            .header(COOKIE, &session)
            .send()
            .await
            .expect("answer");
        assert_eq!(answer.status(), 401, "{name}: the admin's other session");
        let signed_in = w
            .http
            .post(format!("{}/api/v1/session", w.base))
            .json(&json!({ "username": "admin", "password": new_password }))
            .send()
            .await
            .expect("answer");
        assert_eq!(signed_in.status(), 200, "{name}: the new password");
        // Another's password: every credential of theirs ends.
        let other = format!("/api/v1/users/{}", w.users["officer.b"]);
        let (status, _) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &other,
                Some(json!({ "password": "granite tulip seventy ferry" })),
            )
            .await;
        assert_eq!(status, 200, "{name}");
        let (status, _) = w
            .call(Some("officer.b"), Method::GET, "/api/v1/session", None)
            .await;
        assert_eq!(status, 401, "{name}: officer.b's token");
    }
}
