//! What a session cookie may do from where, and how long a live feed outlives its credential,
//! on SQLite and PostgreSQL. A change made with the cookie must come from sargs's own pages
//! (Origin or Sec-Fetch-Site); a bearer token is not a browser's and is not asked. The live
//! feed ends within seconds of its session ending: signed out, revoked, idle, the user disabled
//! or moved to another unit; and nothing is delivered after.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN};
use serde_json::{Value, json};
use store::testing::test_databases;

/// A request with the session cookie, and whatever headers a page would add.
async fn with_cookie(
    w: &World,
    cookie: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = w
        .http
        .request(method, format!("{}{path}", w.base))
        .header(COOKIE, cookie);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_cookie_change_from_another_site_is_refused() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let cookie = w.sign_in("officer.a").await;
        let cancel = format!("/api/v1/absences/{}/cancellation", w.absence);
        let form = (CONTENT_TYPE.as_str(), "application/x-www-form-urlencoded");
        let evil = (ORIGIN.as_str(), "https://evil.example");
        // Another site's form, with and without an Origin; another site's fetch.
        for headers in [
            vec![form, evil],
            vec![form],
            vec![evil, ("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "same-site")],
            vec![(ORIGIN.as_str(), "null")],
        ] {
            let (status, answer) = with_cookie(&w, &cookie, Method::POST, &cancel, &headers).await;
            assert_eq!(status, 403, "{name} {headers:?}: {answer}");
            assert_eq!(answer["error"], "cross_site_request", "{name}: {answer}");
            let locate = "/api/v1/alerts/1/locate";
            let (status, answer) = with_cookie(&w, &cookie, Method::POST, locate, &headers).await;
            assert_eq!(status, 403, "{name} {headers:?}: {answer}");
            assert_eq!(answer["error"], "cross_site_request", "{name}: {answer}");
        }
        let (_, absences) = w
            .call(
                Some("officer.a"),
                Method::GET,
                &format!("/api/v1/absences?order_id={}", w.order),
                None,
            )
            .await;
        assert_eq!(
            absences[0]["cancelled_ms"],
            Value::Null,
            "{name}: {absences}"
        );
        // Reading with the cookie from anywhere is as before: a page cannot read the answer.
        let (status, _) = with_cookie(&w, &cookie, Method::GET, "/api/v1/session", &[evil]).await;
        assert_eq!(status, 200);
        // A bearer token is not sent by browsers by themselves: no Origin asked.
        let (status, answer) = w
            .http
            .post(format!("{}/api/v1/alerts/1/locate", w.base))
            .bearer_auth(&w.tokens["officer.a"])
            .header(ORIGIN, "https://evil.example")
            .send()
            .await
            .map(|r| r.status().as_u16())
            .map(|s| (s, ()))
            .expect("an answer");
        assert_eq!(status, 404, "{name}: the route is reached {answer:?}");
        // The console's own requests: Origin of the service itself, or only Sec-Fetch-Site.
        let own = w.base.clone();
        let (status, answer) = with_cookie(
            &w,
            &cookie,
            Method::POST,
            &cancel,
            &[(ORIGIN.as_str(), &own)],
        )
        .await;
        assert_eq!(status, 200, "{name}: {answer}");
        assert_ne!(answer["cancelled_ms"], Value::Null);
        let (status, answer) = with_cookie(
            &w,
            &cookie,
            Method::DELETE,
            "/api/v1/session",
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
        assert_eq!(status, 204, "{name}: {answer}");
    }
}

/// Opens the live feed with a cookie or a bearer token.
async fn feed(w: &World, cookie: Option<&str>, token: Option<&str>) -> reqwest::Response {
    let mut request = w.http.get(format!("{}/api/v1/alerts/feed", w.base));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the feed answers");
    assert_eq!(response.status(), 200);
    response
}

/// Reads a feed until it ends or `patience` passes: what it read, and whether it ended.
async fn read_to_end(feed: &mut reqwest::Response, patience: Duration) -> (String, bool) {
    let mut text = String::new();
    let ended = tokio::time::timeout(patience, async {
        while let Ok(Some(chunk)) = feed.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .is_ok();
    (text, ended)
}

/// Reads `feed` until it ends, which must be within a few seconds of `since`, with no event.
async fn ends_soon(name: &str, why: &str, feed: &mut reqwest::Response, since: Instant) {
    let (text, ended) = read_to_end(feed, Duration::from_secs(8)).await;
    assert!(ended, "{name}: the feed goes on after {why}: {text}");
    assert!(
        !text.contains("event:"),
        "{name}: {why}, yet delivered: {text}"
    );
    println!("{name}: {why}: the feed ended {:?} after", since.elapsed());
}

#[tokio::test]
async fn the_live_feed_ends_with_its_session() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let officer = w.sign_in("officer.a").await;
        let idle = w.sign_in("admin").await;
        let mut signed_out = feed(&w, Some(&officer), None).await;
        let mut revoked = feed(&w, None, Some(&w.tokens["operator"])).await;
        let mut disabled = feed(&w, None, Some(&w.tokens["supervisor.riga"])).await;
        let mut moved = feed(&w, None, Some(&w.tokens["officer.b"])).await;
        let mut idled = feed(&w, Some(&idle), None).await;
        let mut control = feed(&w, None, Some(&w.tokens["admin"])).await;

        let (_, tokens) = w
            .call(Some("operator"), Method::GET, "/api/v1/tokens", None)
            .await;
        let token = tokens[0]["id"].as_i64().expect("the operator's token");
        let since = Instant::now();
        let (status, _) = w
            .call(
                Some("admin"),
                Method::DELETE,
                &format!("/api/v1/tokens/{token}"),
                None,
            )
            .await;
        assert_eq!(status, 204);
        ends_soon(name, "its token was revoked", &mut revoked, since).await;

        let disable = json!({ "disabled": true });
        let path = format!("/api/v1/users/{}", w.users["supervisor.riga"]);
        let since = Instant::now();
        let (status, _) = w
            .call(Some("admin"), Method::PATCH, &path, Some(disable))
            .await;
        assert_eq!(status, 200);
        ends_soon(name, "its user was disabled", &mut disabled, since).await;

        let path = format!("/api/v1/users/{}", w.users["officer.b"]);
        let since = Instant::now();
        let (status, _) = w
            .call(
                Some("admin"),
                Method::PATCH,
                &path,
                Some(json!({ "unit_id": w.liepaja })),
            )
            .await;
        assert_eq!(status, 200);
        ends_soon(name, "its user moved to another unit", &mut moved, since).await;

        // Thirty-one minutes without a request, as the database sees it.
        let long_ago = chrono::Utc::now().timestamp_millis() - 31 * 60 * 1000;
        let since = Instant::now();
        sqlx::query(
            "UPDATE credentials SET last_used_ms = $1 WHERE user_id = $2 AND kind = 'session'",
        )
        .bind(long_ago)
        .bind(w.users["admin"])
        .execute(w.store.pool())
        .await
        .expect("aged");
        ends_soon(name, "its session went idle", &mut idled, since).await;
        let (status, _) = with_cookie(&w, &idle, Method::GET, "/api/v1/session", &[]).await;
        assert_eq!(
            status, 401,
            "{name}: the idle session has ended for every request"
        );

        // Signed out, and at once an alert on the officer's client: it is not delivered.
        let own = w.base.clone();
        let since = Instant::now();
        let (status, _) = with_cookie(
            &w,
            &officer,
            Method::DELETE,
            "/api/v1/session",
            &[(ORIGIN.as_str(), &own)],
        )
        .await;
        assert_eq!(status, 204);
        strap_opened(&w).await;
        ends_soon(name, "signing out", &mut signed_out, since).await;
        // The alert was raised: a feed whose credential holds gets it.
        let text = read_until(&mut control, "event: raised", Duration::from_secs(30)).await;
        assert!(text.contains("event: raised"), "{name}: {text}");
    }
}
