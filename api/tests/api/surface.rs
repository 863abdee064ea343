//! The OpenAPI document and the docs; a client's state at a glance and devices seen
//! unregistered; page sizes out of range; a device whose firmware nobody can read.

use super::*;

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
            json!([{ "device_id": w.device, "kind": "gps-tag", "last_seen": null }]),
            "{name}"
        );
        // A GPS tag can evidence every condition of the order.
        assert_eq!(glance["not_evidenced"], json!([]), "{name}");
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
        let phone = |id: u64| json!({ "device_id": id, "serial": format!("P-{id}"), "kind": "phone", "model": "Pixel 7" });
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
