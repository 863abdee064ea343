//! Bad requests name the field and change nothing; an order's timetable and zones, and the
//! audit of what was read.

use super::*;

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
