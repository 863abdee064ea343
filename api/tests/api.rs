//! The API as a console and an integration use it, on SQLite and PostgreSQL: signing in with a
//! password (a cookie), lock-out, signing out; bad requests that name the field and change
//! nothing; an order's timetable and zones; the audit log of what was read; the OpenAPI document
//! served for exactly the routes there are, and the interactive docs; a client's state at a
//! glance and the devices seen unregistered, as the console shows them; an administrator who
//! would disable their own account is refused, and one who changes their own password stays
//! signed in; a device whose firmware nobody can read.

mod common;

use common::{PASSWORD, client_body, terms, world};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN, RETRY_AFTER, SET_COOKIE};
use serde_json::{Value, json};
use store::testing::test_databases;

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

#[tokio::test]
async fn bad_requests_name_the_field_and_change_nothing() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let officer = w.users["officer.a"];
        let (_, before) = w
            .call(Some("admin"), Method::GET, "/api/v1/clients", None)
            .await;

        // A duplicate personal code, however written: a conflict with the client registered.
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/clients",
                Some(client_body(officer, "010190-12345")),
            )
            .await;
        assert_eq!(status, 409, "{name}: {answer}");
        assert_eq!(answer["error"], "conflict");
        assert_eq!(answer["fields"][0]["field"], "personal_code");
        // Not JSON, an unknown field, a wrong type: 400 naming where.
        let raw = w
            .http
            .post(format!("{}/api/v1/clients", w.base))
            .bearer_auth(&w.tokens["officer.a"])
            .header(CONTENT_TYPE, "application/json")
            .body("{\"personal_code\": ")
            .send()
            .await
            .expect("answer");
        assert_eq!(raw.status(), 400);
        let mut body = client_body(officer, "02029012345");
        body["nickname"] = json!("Jānka");
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/clients",
                Some(body),
            )
            .await;
        assert_eq!(status, 400);
        assert!(
            answer["fields"][0]["reason"]
                .as_str()
                .unwrap_or("")
                .contains("nickname")
        );
        let mut body = client_body(officer, "02029012345");
        body["addresses"][0]["zone"]["radius_m"] = json!("fifty");
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/clients",
                Some(body),
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(answer["fields"][0]["field"], "addresses[0].zone");
        // Not JSON at all.
        let form = w
            .http
            .post(format!("{}/api/v1/clients", w.base))
            .bearer_auth(&w.tokens["officer.a"])
            .body("personal_code=1")
            .send()
            .await
            .expect("answer");
        assert_eq!(form.status(), 415);

        // An order ending before it starts; an unknown time zone; a zone that is no polygon.
        let order = |t: Value| json!({ "client_id": w.client, "court": "Rīgas pilsētas tiesa", "case_number": "K-9/2026", "terms": t });
        let mut t = terms(w.victim);
        t["ends"] = json!("2026-10-01T00:00:00Z");
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/orders",
                Some(order(t)),
            )
            .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["fields"][0]["field"], "terms.ends");
        let mut t = terms(w.victim);
        t["time_zone"] = json!("Europe/Atlantis");
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/orders",
                Some(order(t)),
            )
            .await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["fields"][0]["field"], "terms.time_zone");
        let mut t = terms(w.victim);
        t["zones"][0]["shape"]["coordinates"] = json!([[
            [24.0, 56.0],
            [24.1, 56.1],
            [24.1, 56.0],
            [24.0, 56.1],
            [24.0, 56.0]
        ]]);
        let (status, answer) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/orders",
                Some(order(t)),
            )
            .await;
        assert_eq!(status, 422, "{answer}");
        // A device fitted under another order: a conflict with that fitting.
        let (status, answer) = w
            .call(
                Some("technician"),
                Method::POST,
                &format!("/api/v1/devices/{}/fitting", w.device),
                Some(json!({ "order_id": w.order })),
            )
            .await;
        assert_eq!(status, 409, "{answer}");
        assert_eq!(answer["fields"][0]["field"], "device_id");
        // A path that is not an id.
        let (status, _) = w
            .call(Some("admin"), Method::GET, "/api/v1/clients/abc", None)
            .await;
        assert_eq!(status, 404);

        let (_, after) = w
            .call(Some("admin"), Method::GET, "/api/v1/clients", None)
            .await;
        assert_eq!(before, after, "{name}: nothing was written");
        let (_, orders) = w
            .call(Some("admin"), Method::GET, "/api/v1/orders", None)
            .await;
        assert_eq!(orders.as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn timetable_zones_and_the_audit_of_reads() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let (status, table) = w
            .call(
                Some("court.riga"),
                Method::GET,
                &format!("/api/v1/orders/{}/timetable", w.order),
                None,
            )
            .await;
        assert_eq!(status, 200, "{name}: {table}");
        assert_eq!(table["time_zone"], "Europe/Riga");
        assert_eq!(
            table["slots"],
            json!([
                { "day": "mon", "start": "22:00", "end": "06:00", "overnight": true, "address": "home", "street": "Brīvības iela 1, Rīga" },
                { "day": "fri", "start": "23:00", "end": "07:00", "overnight": true, "address": "home", "street": "Brīvības iela 1, Rīga" },
            ])
        );
        let (status, zones) = w
            .call(
                Some("officer.a"),
                Method::GET,
                &format!("/api/v1/orders/{}/zones", w.order),
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(zones["type"], "FeatureCollection");
        assert_eq!(zones["features"][0]["geometry"]["type"], "Polygon");
        assert_eq!(zones["features"][0]["properties"]["kind"], "exclusion");
        assert_eq!(zones["features"][1]["geometry"]["type"], "Point");
        assert_eq!(zones["features"][1]["properties"]["radius_m"], 50.0);

        // Reads of personal data are in the audit log, with who and from where.
        let (_, entries) = w
            .call(Some("admin"), Method::GET, "/api/v1/audit?limit=500", None)
            .await;
        let reads: Vec<&Value> = entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["action"] == "read")
            .collect();
        assert_eq!(reads.len(), 2, "{name}: {entries}");
        assert_eq!(reads[0]["actor"], "court.riga");
        assert_eq!(reads[0]["origin"], "127.0.0.1");
        assert_eq!(reads[1]["subject"], format!("order/{}/zones", w.order));
        let (_, verdict) = w
            .call(Some("admin"), Method::GET, "/api/v1/audit/verify", None)
            .await;
        assert_eq!(verdict["broken"], Value::Null);
        assert!(verdict["entries"].as_u64().unwrap_or(0) > 10);
    }
}

#[tokio::test]
async fn the_openapi_document_and_the_docs_are_served() {
    let db = test_databases().await.remove(0);
    let w = world(db).await;
    let (status, doc) = w
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("operations") {
            operations += 1;
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let concrete = path.replace("{id}", "1");
            let (status, answer) = w.call(None, method.clone(), &concrete, None).await;
            // A documented route exists: it answers for itself, never the fallback's 404.
            let fallback = answer["message"] == "this route does not exist";
            assert!(!fallback, "{method} {path} is documented but not served");
            if op.get("x-roles").is_some() {
                assert_eq!(status, 401, "{method} {path}");
            }
        }
    }
    assert_eq!(operations, api::routes::endpoints().len());
    let (status, _) = w
        .call(None, Method::GET, "/api/v1/nothing-here", None)
        .await;
    assert_eq!(status, 404);

    let page = w
        .http
        .get(format!("{}/api/v1/docs/", w.base))
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger"), "{html}");
    // Everything the page loads comes from sargs itself.
    assert!(!html.contains("https://"), "{html}");
    let config = w
        .http
        .get(format!("{}/api/v1/docs/swagger-initializer.js", w.base))
        .send()
        .await
        .expect("answer")
        .text()
        .await
        .expect("js");
    assert!(config.contains("/api/v1/openapi.json"), "{config}");
    assert!(config.contains("\"validatorUrl\": \"none\""), "{config}");
    assert!(!config.contains("https://"), "{config}");
}

#[tokio::test]
async fn a_clients_state_at_a_glance_and_devices_seen_unregistered() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let state = format!("/api/v1/clients/{}/state", w.client);
        // In force, nothing open, but the tag fitted under the order has never been heard.
        let (status, glance) = w.call(Some("officer.a"), Method::GET, &state, None).await;
        assert_eq!(status, 200, "{name}: {glance}");
        assert_eq!(glance["state"], "unknown", "{name}: {glance}");
        assert_eq!(glance["unknown_because"], "communication_lost", "{name}");
        assert_eq!(glance["order_id"], w.order, "{name}");
        for open in [
            "open_breaches",
            "open_warnings",
            "open_device_faults",
            "open_alerts",
        ] {
            assert_eq!(glance[open], json!([]), "{name}: {open}");
        }
        assert_eq!(
            glance["devices"],
            json!([{ "device_id": w.device, "last_seen": null }]),
            "{name}"
        );
        // Removed: nothing could tell.
        let (status, answer) = w
            .call(
                Some("technician"),
                Method::POST,
                &format!("/api/v1/devices/{}/removal", w.device),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 200, "{name}: {answer}");
        let (_, glance) = w.call(Some("officer.a"), Method::GET, &state, None).await;
        assert_eq!(
            glance["unknown_because"], "no_device_fitted",
            "{name}: {glance}"
        );

        let (status, unknown) = w
            .call(
                Some("technician"),
                Method::GET,
                "/api/v1/devices/unknown",
                None,
            )
            .await;
        assert_eq!(
            (status, unknown),
            (
                200,
                json!({ "devices": [], "kept_at_most": 1000,
                    "forgotten": { "ids": 0, "frames": 0 } })
            ),
            "{name}"
        );
        // A page size out of range is refused, not clamped.
        for limit in ["0", "501", "-1"] {
            let path = format!("/api/v1/devices/unknown?limit={limit}");
            let (status, answer) = w.call(Some("technician"), Method::GET, &path, None).await;
            assert_eq!(status, 422, "{name} {limit}: {answer}");
            assert!(answer.to_string().contains("limit"), "{name}: {answer}");
        }
        let path = "/api/v1/devices/unknown?limit=500&after=18446744073709551615";
        let (status, answer) = w.call(Some("technician"), Method::GET, path, None).await;
        assert_eq!(
            (status, &answer["devices"]),
            (200, &json!([])),
            "{name}: {answer}"
        );
    }
}

/// Every list the document says is paged by 1 to 500 refuses any other size, rather than
/// clamp it: a caller asking for more is told so, not silently given less. Taken from the
/// document (made from the route table), so a paged list added later is held to it too.
#[tokio::test]
async fn every_paged_list_refuses_a_page_size_out_of_range() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let (_, doc) = w
            .call(None, Method::GET, "/api/v1/openapi.json", None)
            .await;
        let paged: Vec<_> = api::routes::endpoints()
            .into_iter()
            .map(|(endpoint, _)| endpoint)
            .filter(|e| e.method == Method::GET && !e.path.contains('{'))
            .filter(|e| {
                let op = &doc["paths"][e.path]["get"];
                op["parameters"].as_array().is_some_and(|params| {
                    params.iter().any(|p| {
                        p["name"] == "limit"
                            && p["schema"]["minimum"] == 1
                            && p["schema"]["maximum"] == 500
                    })
                })
            })
            .collect();
        assert!(paged.len() >= 7, "{name}: {} paged lists", paged.len());
        for endpoint in paged {
            for limit in ["0", "501", "-1"] {
                let path = format!("{}?limit={limit}", endpoint.path);
                let (status, answer) = w.call(Some("admin"), Method::GET, &path, None).await;
                assert_eq!(status, 422, "{name} {path}: {answer}");
                assert_eq!(answer["fields"][0]["field"], "limit", "{name} {path}");
            }
            let path = format!("{}?limit=500", endpoint.path);
            let (status, answer) = w.call(Some("admin"), Method::GET, &path, None).await;
            assert_eq!(status, 200, "{name} {path}: {answer}");
        }
    }
}

/// A victim's own phone has no firmware a technician can read: it is added without one (left
/// out or null) and reads back as null everywhere; an empty firmware is still refused; an
/// update can set it later.
#[tokio::test]
async fn a_device_without_firmware_is_added_and_reads_back_as_null() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let phone = |id: u64| json!({ "device_id": id, "serial": format!("P-{id}"), "kind": "gps-tag", "model": "Pixel 7" });
        let add = |body: Value| {
            w.call(
                Some("technician"),
                Method::POST,
                "/api/v1/devices",
                Some(body),
            )
        };
        let (status, added) = add(phone(9101)).await;
        assert_eq!(status, 201, "{name}: {added}");
        assert_eq!(added.get("firmware"), Some(&Value::Null), "{name}: {added}");
        let mut null = phone(9102);
        null["firmware"] = Value::Null;
        let (status, added) = add(null).await;
        assert_eq!(status, 201, "{name}: {added}");
        assert_eq!(added.get("firmware"), Some(&Value::Null), "{name}: {added}");
        for empty in ["", "   "] {
            let mut body = phone(9103);
            body["firmware"] = json!(empty);
            let (status, answer) = add(body).await;
            assert_eq!(status, 422, "{name} {empty:?}: {answer}");
            assert_eq!(answer["fields"][0]["field"], "firmware", "{name}");
        }
        let (status, _) = w
            .call(
                Some("technician"),
                Method::GET,
                "/api/v1/devices/9103",
                None,
            )
            .await;
        assert_eq!(status, 404, "{name}: nothing was added");

        let (status, one) = w
            .call(
                Some("technician"),
                Method::GET,
                "/api/v1/devices/9101",
                None,
            )
            .await;
        assert_eq!(status, 200, "{name}: {one}");
        assert_eq!(
            one["device"].get("firmware"),
            Some(&Value::Null),
            "{name}: {one}"
        );
        let (_, list) = w
            .call(Some("technician"), Method::GET, "/api/v1/devices", None)
            .await;
        let firmware = |id: u64| {
            list.as_array()
                .and_then(|l| l.iter().find(|d| d["device_id"] == id))
                .and_then(|d| d.get("firmware").cloned())
        };
        assert_eq!(firmware(9101), Some(Value::Null), "{name}: {list}");
        assert_eq!(firmware(1001), Some(json!("1.0")), "{name}: {list}");
        // The victim carries it from now on.
        let (status, victim) = w
            .call(
                Some("officer.a"),
                Method::PATCH,
                &format!("/api/v1/victims/{}", w.victim),
                Some(json!({ "device_id": 9102 })),
            )
            .await;
        assert_eq!(status, 200, "{name}: {victim}");

        // A status change leaves it unknown; a firmware given later is kept.
        let path = "/api/v1/devices/9101";
        let (status, changed) = w
            .call(
                Some("technician"),
                Method::PATCH,
                path,
                Some(json!({ "status": "faulty" })),
            )
            .await;
        assert_eq!(status, 200, "{name}: {changed}");
        assert_eq!(
            changed.get("firmware"),
            Some(&Value::Null),
            "{name}: {changed}"
        );
        let (status, answer) = w
            .call(
                Some("technician"),
                Method::PATCH,
                path,
                Some(json!({ "firmware": "" })),
            )
            .await;
        assert_eq!(status, 422, "{name}: {answer}");
        let (status, changed) = w
            .call(
                Some("technician"),
                Method::PATCH,
                path,
                Some(json!({ "firmware": "14.2" })),
            )
            .await;
        assert_eq!(status, 200, "{name}: {changed}");
        assert_eq!(changed["firmware"], "14.2", "{name}: {changed}");
        assert_eq!(changed["status"], "faulty", "{name}: {changed}");
    }
}
