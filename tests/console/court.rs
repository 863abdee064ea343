//! A court's page of orders: time in breach is the union of the breaches (two that overlap
//! count once), and a court user makes a signed summary from the page, sees it listed
//! with its digest and signature state in words, checks it against the records now (it holds;
//! after a note is written in its period it differs, naming the note), and downloads the very
//! file the service gave; in English and in Latvian, every word the page says in its language.

use super::*;
use base64::Engine;

/// The bytes the link of the first listed summary of `order` downloads, fetched by the page.
async fn downloaded(browser: &Browser, order: i64) -> (Value, Vec<u8>) {
    let got = browser
        .script(&format!(
            "const a = document.querySelector('#issued-{order} tr[data-summary] a.summary-pdf');\
             return fetch(a.href).then(async (r) => {{\
               const bytes = new Uint8Array(await r.arrayBuffer());\
               let text = ''; for (const b of bytes) text += String.fromCharCode(b);\
               return {{ status: r.status, type: r.headers.get('content-type'),\
                         download: a.hasAttribute('download'), body: btoa(text) }};\
             }});"
        ))
        .await;
    let body = base64::engine::general_purpose::STANDARD
        .decode(got["body"].as_str().expect("a body"))
        .expect("base64");
    (got, body)
}

/// The last hour of the tag: home, then half an hour in the exclusion zone, during which its
/// strap is open for ten minutes, then home again; a heartbeat every six minutes. Two breaches
/// that overlap: 30 minutes in breach, though their durations add up to 40 (more at night,
/// when being away is a curfew breach too).
fn overlapping_breaches(service: &Service, dir: &std::path::Path) {
    let fix =
        |(lat, lon): (f64, f64)| format!("fix = {{ lat = {lat}, lon = {lon}, accuracy_m = 12 }}");
    let script = format!(
        "[[devices]]\nid = {TAG}\nkind = \"gps-tag\"\nreports = [\n  \
         {{ at = \"0m\", until = \"4m\", every = \"1m\", {home} }},\n  \
         {{ at = \"5m\", until = \"34m\", every = \"1m\", {zone} }},\n  \
         {{ at = \"35m\", until = \"59m\", every = \"1m\", {home} }},\n  \
         {{ at = \"10m\", event = \"strap_opened\" }},\n  \
         {{ at = \"20m\", event = \"strap_closed\" }},\n  \
         {{ at = \"0m\", until = \"59m\", every = \"6m\", heartbeat = {{ battery_percent = 76 }} }},\n]\n",
        home = fix(HOME),
        zone = fix(ZONE)
    );
    play_script(
        service,
        dir,
        &script,
        Some(Utc::now() - TimeDelta::minutes(60)),
    );
}

/// What the court page's JSON link of `order` gives: the summary's breach time, in minutes,
/// and the sum of its breaches' durations (none while any is open).
async fn breach_minutes(browser: &Browser, order: i64) -> Option<(i64, i64)> {
    let got = browser
        .script(&format!(
            "const a = document.querySelector('tr[data-order=\"{order}\"] a.report-json');\
             return fetch(a.href).then((r) => r.json()).then((d) => {{\
               const b = d.report.breaches.filter((e) => e.state !== 'withdrawn');\
               return {{ total: d.report.breach_time.total_ms, n: b.length,\
                         sum: b.every((e) => e.duration_ms !== null)\
                           ? b.reduce((s, e) => s + e.duration_ms, 0) : null }};\
             }});"
        ))
        .await;
    let minutes = |ms: &Value| ms.as_f64().map(|ms| (ms / 60_000.0).round() as i64);
    (got["n"].as_i64()? >= 2)
        .then(|| Some((minutes(&got["total"])?, minutes(&got["sum"])?)))
        .flatten()
}

#[tokio::test]
async fn a_court_makes_lists_checks_and_downloads_a_signed_summary() {
    for db in test_databases().await {
        let name = db.name;
        let s = start(&db.location, &[]).await;
        let browser = s.browser;
        let court = Session::login(&s.base, "court", PASSWORD).await;
        let orders = court.ok(Method::GET, "/api/v1/orders", None).await;
        let order = orders
            .as_array()
            .expect("orders")
            .iter()
            .find(|o| o["case_number"] == "K-5/2026")
            .map(id)
            .expect("the court's order");
        overlapping_breaches(&s.service, s.dir.path());
        sign_in(&browser, &s.base, "court").await;
        browser.goto(&format!("{}/#/orders", s.base)).await;
        // Time in breach is the union the summary counts, not the episodes' durations added up.
        browser
            .find(&format!("tr[data-order='{order}'] a.report-json"))
            .await;
        let (union, sum) = browser
            .poll("both breaches judged and ended", async || {
                let found = breach_minutes(&browser, order).await;
                if found.is_none() {
                    // Each look builds the summary: not fifty times a second.
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
                found
            })
            .await;
        assert!(union >= 25 && sum > union, "{name}: {union} of {sum} min");
        browser.script("location.reload()").await;
        browser
            .wait_text(
                &format!("tr[data-order='{order}'] td:nth-child(6)"),
                &format!("{union} min"),
            )
            .await;
        // None given out yet.
        browser
            .wait_text(&format!("#issued-{order} table.issued td.empty"), "")
            .await;

        // Made from the page: the link downloads the PDF, and the list shows it.
        browser
            .click(&format!("tr[data-order='{order}'] a.make-summary"))
            .await;
        let row = format!("#issued-{order} tr[data-summary]");
        browser.find(&row).await;
        let listed = court
            .ok(
                Method::GET,
                &format!("/api/v1/orders/{order}/summaries"),
                None,
            )
            .await;
        let summary = &listed.as_array().expect("a list")[0];
        let digest = summary["digest"].as_str().expect("a digest");
        let text = browser.wait_text(&row, &digest[..12]).await;
        assert!(
            text.contains("signed with the service's key in use now"),
            "{name}: {text}"
        );
        // The person who made it, by their name; the court's language as the page's.
        assert!(
            text.contains(COURT) && text.contains("English"),
            "{name}: {text}"
        );
        let full = browser
            .script(&format!(
                "return document.querySelector('{row} code.digest').title"
            ))
            .await;
        assert_eq!(full, digest, "{name}: the full digest on hover");

        // Checked against the records now: it holds.
        browser.click(&format!("{row} button.check-summary")).await;
        browser
            .wait_text(
                &format!("{row} .verdict"),
                "Holds: the signature is the service's",
            )
            .await;
        words::assert_in_words(&browser, "en", "court orders, checked").await;

        // The file downloaded is the one the service gave, byte for byte.
        let (got, bytes) = downloaded(&browser, order).await;
        assert_eq!(got["status"], 200, "{name}: {got}");
        assert_eq!(got["type"], "application/pdf", "{name}");
        assert_eq!(got["download"], true, "{name}: a download link");
        let given = court
            .http
            .get(format!("{}/api/v1/summaries/{}/pdf", s.base, summary["id"]))
            .header("cookie", &court.cookie)
            .send()
            .await
            .expect("an answer")
            .bytes()
            .await
            .expect("the file");
        assert_eq!(bytes, given.to_vec(), "{name}: the same file");
        assert_eq!(Some(bytes.len() as u64), summary["size_bytes"].as_u64());
        assert!(bytes.starts_with(b"%PDF-"), "{name}");

        // A note written in the period since: the check names it, in Latvian too.
        let officer = Session::login(&s.base, "ilze.ozola", PASSWORD).await;
        officer
            .ok(
                Method::POST,
                "/api/v1/notes",
                Some(json!({ "client_id": s.client, "text": "Zvanīja, viss kārtībā." })),
            )
            .await;
        browser.click("#language option[value=lv]").await;
        browser
            .wait_text(&format!("#issued-{order} h2"), "Parakstītie pārskati")
            .await;
        browser
            .wait_text(&row, "parakstīts ar dienesta pašreizējo atslēgu")
            .await;
        browser.click(&format!("{row} button.check-summary")).await;
        let verdict = browser
            .wait_text(
                &format!("{row} .verdict"),
                "Atšķiras no pašreizējiem ierakstiem",
            )
            .await;
        assert!(
            verdict.contains("Piezīme (Nr.") && verdict.contains("ir ierakstos tagad, failā nav"),
            "{name}: {verdict}"
        );
        words::assert_in_words(&browser, "lv", "court orders, checked again").await;
        browser.quit().await;
    }
}
