//! The register of signed summaries over HTTP, on SQLite and PostgreSQL: a PDF given out is
//! recorded and listed, given again byte for byte, and checked against the service's key and
//! the stored data now (passing, then naming the note written since); a court sees its own
//! orders' summaries only, and a summary that does not exist is a 404.

mod common;

use chrono::{TimeDelta, Utc};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use store::testing::test_databases;

/// The status, content type and bytes of a GET as `user`.
async fn bytes(w: &World, user: &str, path: &str) -> (u16, String, Vec<u8>) {
    let response = w.get_as(user, path).await;
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response.bytes().await.expect("a body").to_vec();
    (status, kind, body)
}

#[tokio::test]
async fn a_signed_summary_is_recorded_given_again_and_checked() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        // A period around today, so that a note written now falls in it.
        let today = Utc::now().date_naive();
        let (from, to) = (today - TimeDelta::days(3), today + TimeDelta::days(3));
        let report = format!(
            "/api/v1/orders/{}/report?from={from}&to={to}&lang=en&format=pdf",
            w.order
        );
        let (status, kind, made) = bytes(&w, "court.riga", &report).await;
        assert_eq!((status, kind.as_str()), (200, "application/pdf"), "{name}");
        let carried = report::verify::check_file(&made, None).expect("a summary");

        let listing = format!("/api/v1/orders/{}/summaries", w.order);
        let (status, listed) = w
            .call(Some("court.riga"), Method::GET, &listing, None)
            .await;
        assert_eq!(status, 200, "{name}: {listed}");
        let listed = listed.as_array().expect("a list").clone();
        assert_eq!(listed.len(), 1, "{name}: {listed:?}");
        let summary = &listed[0];
        let (_, signing) = w
            .call(None, Method::GET, "/api/v1/report-signing", None)
            .await;
        assert_eq!(summary["order_id"], w.order, "{name}");
        assert_eq!(summary["from"], from.to_string(), "{name}");
        assert_eq!(summary["to"], to.to_string(), "{name}");
        assert_eq!(summary["lang"], "en", "{name}");
        assert!(
            summary["as_of"].is_string(),
            "{name}: made before the period ended"
        );
        assert_eq!(summary["digest"], carried.file_digest.as_str(), "{name}");
        assert_eq!(
            summary["signer_fingerprint"], signing["fingerprint_sha256"],
            "{name}"
        );
        assert_eq!(summary["signature"], "current_key", "{name}");
        assert_eq!(summary["issued_by"], w.users["court.riga"], "{name}");
        assert_eq!(summary["issued_by_name"], "court.riga", "{name}");
        assert_eq!(summary["size_bytes"], made.len(), "{name}");
        assert!(
            summary.get("pdf").is_none(),
            "{name}: listed without its bytes"
        );
        let id = summary["id"].as_i64().expect("an id");

        // The same file again, byte for byte, to whoever may read the order.
        for user in ["court.riga", "officer.a", "operator"] {
            let (status, kind, again) =
                bytes(&w, user, &format!("/api/v1/summaries/{id}/pdf")).await;
            assert_eq!(
                (status, kind.as_str()),
                (200, "application/pdf"),
                "{name} {user}"
            );
            assert_eq!(again, made, "{name} {user}: the same bytes");
        }

        let check = format!("/api/v1/summaries/{id}/check");
        let (status, verdict) = w.call(Some("court.riga"), Method::POST, &check, None).await;
        assert_eq!(status, 200, "{name}: {verdict}");
        assert_eq!(verdict["passes"], true, "{name}: {verdict}");
        assert_eq!(verdict["signature"], "holds", "{name}");
        assert_eq!(verdict["pages_match_json"], true, "{name}");
        assert_eq!(verdict["differences"], json!([]), "{name}");
        assert_eq!(verdict["stored_digest"], verdict["file_digest"], "{name}");

        // A note written in the period since: the records no longer give the same report.
        let (status, note) = w
            .call(
                Some("officer.a"),
                Method::POST,
                "/api/v1/notes",
                Some(json!({ "client_id": w.client, "text": "Called in, all well." })),
            )
            .await;
        assert_eq!(status, 201, "{name}: {note}");
        let (status, verdict) = w.call(Some("court.riga"), Method::POST, &check, None).await;
        assert_eq!(status, 200, "{name}: {verdict}");
        assert_eq!(verdict["passes"], false, "{name}: {verdict}");
        assert_eq!(
            verdict["signature"], "holds",
            "{name}: the file is still as signed"
        );
        assert_ne!(verdict["stored_digest"], verdict["file_digest"], "{name}");
        let differences = verdict["differences"].as_array().expect("a list");
        let note_id = note["id"].as_i64().expect("a note id").to_string();
        assert!(
            differences.iter().any(|d| d["section"] == "notes"
                && d["record"] == note_id.as_str()
                && d["change"] == "added"
                && d["what"] == "in the stored data now, not in the file"),
            "{name}: {verdict}"
        );

        // Another court's users learn nothing of it; a technician may not ask.
        for (user, path, method) in [
            ("court.other", listing.as_str(), Method::GET),
            (
                "court.other",
                &format!("/api/v1/summaries/{id}/pdf"),
                Method::GET,
            ),
            ("court.other", check.as_str(), Method::POST),
            ("technician", check.as_str(), Method::POST),
        ] {
            let (status, answer) = w.call(Some(user), method, path, None).await;
            assert_eq!(status, 403, "{name} {user} {path}: {answer}");
        }
        // A summary that does not exist.
        for (path, method) in [
            ("/api/v1/summaries/999999/pdf", Method::GET),
            ("/api/v1/summaries/999999/check", Method::POST),
        ] {
            let (status, answer) = w.call(Some("court.riga"), method, path, None).await;
            assert_eq!(status, 404, "{name} {path}: {answer}");
            assert_eq!(answer["error"], "not_found", "{name}: {answer}");
        }

        // The JSON is not a signed file: it is not recorded. A second PDF lists first.
        let json = report.replace("format=pdf", "format=json");
        let (status, _, _) = bytes(&w, "officer.a", &json).await;
        assert_eq!(status, 200, "{name}");
        let lv = report.replace("lang=en", "lang=lv");
        let (status, _, _) = bytes(&w, "officer.a", &lv).await;
        assert_eq!(status, 200, "{name}");
        let (_, listed) = w.call(Some("admin"), Method::GET, &listing, None).await;
        let listed: Vec<&Value> = listed.as_array().expect("a list").iter().collect();
        assert_eq!(listed.len(), 2, "{name}: {listed:?}");
        assert_eq!(listed[0]["lang"], "lv", "{name}: newest first");
        assert_eq!(listed[0]["issued_by_name"], "officer.a", "{name}");
        assert_eq!(listed[1]["id"], id, "{name}");
    }
}

/// A summary signed by a key the service held before (it was replaced since) is listed as the
/// earlier key's, and its check says the signature does not hold by the key now.
#[tokio::test]
async fn a_summary_signed_by_an_earlier_key_is_told_apart() {
    for db in test_databases().await {
        let name = db.name;
        let w = world(db).await;
        let cases = cases::Cases::open(w.store.clone()).await.expect("cases");
        let params = report::Params {
            order_id: w.order,
            from: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("a day"),
            to: chrono::NaiveDate::from_ymd_opt(2026, 11, 8).expect("a day"),
            lang: report::Lang::Lv,
            as_of: None,
        };
        let built = report::build(&w.telemetry, &cases, &params)
            .await
            .expect("built");
        let (earlier, _) =
            report::seal::SigningKey::generate("sargs earlier", 0).expect("a signing key");
        let (pdf, digest) = report::to_pdf(&built, &earlier).expect("a PDF");
        let fingerprint = earlier.signer().fingerprint.clone();
        let issued = report::issued::record(
            &w.store,
            &report::issued::NewIssued {
                params: &built.params,
                digest: &digest,
                signer_fingerprint: &fingerprint,
                issued_by: Some(w.users["court.riga"]),
                pdf: &pdf,
            },
        )
        .await
        .expect("recorded");

        let listing = format!("/api/v1/orders/{}/summaries", w.order);
        let (status, listed) = w
            .call(Some("court.riga"), Method::GET, &listing, None)
            .await;
        assert_eq!(status, 200, "{name}: {listed}");
        assert_eq!(listed[0]["id"], issued.id, "{name}");
        assert_eq!(listed[0]["signature"], "earlier_key", "{name}");
        assert_eq!(
            listed[0]["signer_fingerprint"],
            fingerprint.as_str(),
            "{name}"
        );

        let check = format!("/api/v1/summaries/{}/check", issued.id);
        let (status, verdict) = w.call(Some("court.riga"), Method::POST, &check, None).await;
        assert_eq!(status, 200, "{name}: {verdict}");
        assert_eq!(verdict["passes"], false, "{name}: {verdict}");
        assert_eq!(verdict["signature"], "fails", "{name}");
        // The file is whole and the records unchanged: only the key differs.
        assert_eq!(verdict["pages_match_json"], true, "{name}");
        assert_eq!(verdict["stored_digest"], digest.as_str(), "{name}");
        let differences = verdict["differences"].as_array().expect("a list");
        assert_eq!(differences.len(), 1, "{name}: {verdict}");
        assert_eq!(differences[0]["change"], "signature", "{name}");
    }
}
