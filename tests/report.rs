//! The court compliance summary end to end, on SQLite and PostgreSQL: an officer records an
//! order with a nightly curfew, the tag plays a night on which the client is out for an hour,
//! the live judge finds the breach and the alerts raise it; then `sargs report` makes the
//! summary twice (the same bytes), the API gives the same document, `sargs report verify` says
//! it is identical, then, after the alert is resolved and a note written, names what changed;
//! a PDF with a byte flipped is refused, and bad requests are clear errors; a suspension
//! leaves the rest of the curfew unrequired. A period not ended yet is summarised as of when
//! it was made, and verified as such.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use store::StoreLocation;
use store::testing::test_databases;

const TAG: u64 = 1001;
const HOME: (f64, f64) = (56.9496, 24.1052);
const AWAY: (f64, f64) = (56.9600, 24.1300);
const PASSWORD: &str = "correct horse battery";

struct Office {
    service: Service,
    officer: Session,
    client: i64,
    order: i64,
    night: DateTime<Utc>,
}

/// An administrator (made on the command line) makes a unit, an officer and a technician; the
/// officer records a client and an order with a curfew every night 22:00 to 06:00; the
/// technician fits the tag.
async fn set_up(location: &StoreLocation, dir: &Path) -> Office {
    let (service, admin, unit) = start_with_admin(location, &[], dir, PASSWORD).await;
    let base = admin.base.clone();
    let mut people = Vec::new();
    for (name, role, unit_id) in [
        ("ilze.ozola", "officer", Some(unit)),
        ("technician", "technician", None),
    ] {
        let body = json!({ "username": name, "display_name": "Ilze Ozola", "role": role,
                           "unit_id": unit_id, "password": PASSWORD });
        people.push(id(&admin
            .ok(Method::POST, "/api/v1/users", Some(body))
            .await));
    }
    let officer = Session::login(&base, "ilze.ozola", PASSWORD).await;
    let technician = Session::login(&base, "technician", PASSWORD).await;
    // Two days ago at 20:00 UTC: in the curfew in Riga in any season.
    let night = (Utc::now() - TimeDelta::days(2))
        .date_naive()
        .and_hms_opt(20, 0, 0)
        .expect("a time")
        .and_utc();
    let starts = night - TimeDelta::days(3);
    let client = id(&officer
        .ok(
            Method::POST,
            "/api/v1/clients",
            Some(json!({
                "personal_code": "010190-12345", "given_name": "Jānis", "family_name": "Bērziņš",
                "birth_date": "1990-01-01", "language": "lv", "officer_id": people[0],
                "addresses": [{ "id": "home", "street": "Brīvības iela 1, Rīga",
                    "zone": { "type": "circle", "centre": [HOME.1, HOME.0], "radius_m": 50.0 } }]
            })),
        )
        .await);
    let order = id(&officer
        .ok(
            Method::POST,
            "/api/v1/orders",
            Some(json!({
                "client_id": client, "court": "Rīgas pilsētas tiesa", "case_number": "K-7/2026",
                "terms": {
                    "decision_date": starts.date_naive().to_string(),
                    "legal_basis": "conditional_early_release",
                    "starts": starts.to_rfc3339(),
                    "ends": (night + TimeDelta::days(90)).to_rfc3339(),
                    "curfew": every_night(),
                    "obligations": [{ "kind": "programme", "description": "Attend the ANGER programme weekly" }]
                }
            })),
        )
        .await);
    technician
        .add_and_fit_tag(TAG, order, &starts.to_rfc3339())
        .await;
    officer.wait_in_force(order, "the order").await;
    Office {
        service,
        officer,
        client,
        order,
        night,
    }
}

/// Home for half an hour, out for an hour, home again: one curfew breach.
fn play_night(service: &Service, dir: &Path, start: DateTime<Utc>) {
    play_script(service, dir, &night_script(TAG, start, HOME, AWAY, 1), None);
}

/// Waits until the curfew breach is closed and its alert raised; the alert's id.
async fn breach_alert(o: &Office) -> i64 {
    let deadline = Instant::now() + WAIT;
    loop {
        let alerts = o
            .officer
            .ok(
                Method::GET,
                &format!("/api/v1/alerts?client_id={}", o.client),
                None,
            )
            .await;
        let found =
            alerts.as_array().into_iter().flatten().find(|a| {
                a["condition"]["condition"] == "curfew" && a["episode_state"] == "closed"
            });
        if let Some(alert) = found {
            return id(alert);
        }
        assert!(
            Instant::now() < deadline,
            "no curfew alert: {alerts}\n{}",
            o.service.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn report_args(
    location: &StoreLocation,
    order: i64,
    from: NaiveDate,
    to: NaiveDate,
    out: &Path,
) -> Vec<String> {
    let mut a: Vec<String> = [
        "report".to_string(),
        format!("--order={order}"),
        format!("--from={from}"),
        format!("--to={to}"),
        format!("--out={}", out.display()),
    ]
    .into();
    a.extend(storage_flags(location));
    a
}

fn verify(location: &StoreLocation, file: &Path) -> std::process::Output {
    let mut a = vec![
        "report".to_string(),
        "verify".into(),
        file.display().to_string(),
    ];
    a.extend(storage_flags(location));
    sargs(&a)
}

/// `sargs report verify --file-only`, as a court runs it on a machine of its own (a directory
/// with no service's data, so no key of a service is at hand), with the public key it was
/// given.
fn verify_alone(file: &Path, trust: &[&str]) -> (bool, String) {
    let mut a = vec![
        "report".to_string(),
        "verify".into(),
        "--file-only".into(),
        file.display().to_string(),
    ];
    a.extend(trust.iter().map(|s| s.to_string()));
    let court = tempfile::tempdir().expect("the court's directory");
    let out = std::process::Command::new(SARGS)
        .args(&a)
        .current_dir(court.path())
        .env_remove("SARGS_DATA_DIR")
        .env_remove("SARGS_TRUST_ANCHOR")
        .output()
        .expect("run sargs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{text}");
    (out.status.success(), text)
}

/// The signed PDF checked with nothing but the file and the service's public key (served by
/// the API without signing in): it passes untouched, and fails with a byte flipped, with a page
/// changed and its JSON left alone, with its JSON changed and the digest recomputed but not
/// signed again, and when signed by another key.
async fn from_the_file_alone(o: &Office, pdf: &[u8], dir: &Path) {
    use report::seal::SigningKey;
    let served: Value = reqwest::get(format!("{}/api/v1/report-signing", o.officer.base))
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON");
    let public = dir.join("service-public-key.pem");
    std::fs::write(&public, served["public_key_pem"].as_str().expect("a key")).expect("write");
    let anchor = dir.join("service-certificate.pem");
    std::fs::write(&anchor, served["certificate_pem"].as_str().expect("a cert")).expect("write");
    let key_flag = format!("--public-key={}", public.display());
    let anchor_flag = format!("--trust-anchor={}", anchor.display());
    let file = dir.join("alone.pdf");
    std::fs::write(&file, pdf).expect("write");
    for trust in [&key_flag, &anchor_flag] {
        let (ok, text) = verify_alone(&file, &[trust]);
        assert!(ok && text.contains("signature: holds"), "{text}");
        assert!(
            text.contains(served["fingerprint_sha256"].as_str().unwrap_or("?")),
            "{text}"
        );
    }
    // The pages name the signer's fingerprint, for the court to compare with the one it was given.
    let words = std::process::Command::new("pdftotext")
        .args([file.display().to_string(), "-".into()])
        .output()
        .expect("pdftotext (poppler-utils)");
    let fingerprint = served["fingerprint_sha256"].as_str().unwrap_or("?");
    assert!(
        String::from_utf8_lossy(&words.stdout).contains(&fingerprint[..23]),
        "{fingerprint}"
    );

    // Without a key there is nothing to check the signature by: not passed.
    let (ok, text) = verify_alone(&file, &[]);
    assert!(!ok && text.contains("not checked"), "{text}");

    // A byte flipped anywhere.
    for at in [pdf.len() / 3, pdf.len() / 2, pdf.len() - 40] {
        let mut flipped = pdf.to_vec();
        flipped[at] ^= 0x01;
        std::fs::write(&file, &flipped).expect("write");
        let (ok, text) = verify_alone(&file, &[&key_flag]);
        assert!(!ok, "a byte flipped at {at} passed: {text}");
    }

    let carried = report::file::carried(pdf).expect("a sealed summary");
    let seal = carried.seal.clone().expect("a seal");
    let doc: Value = serde_json::from_slice(&carried.document).expect("JSON");
    let digest = doc["digest"].as_str().expect("digest").to_string();
    let original: report::Report = serde_json::from_value(doc["report"].clone()).expect("a report");

    // The procedure docs/report.md gives courts, with pdfdetach and openssl only.
    let (ok, text) = court_procedure(pdf, &public, dir);
    assert!(
        ok && text.contains("Signature Verified Successfully"),
        "{text}"
    );
    assert!(text.contains(&digest), "{text}");

    // A page changed (another court's name printed), its JSON and signature left as they were.
    let mut shown = original.clone();
    shown.order.court = "Augstākā tiesa".into();
    let forged = report::pdf::render(&shown, &carried.document, &digest, &seal).expect("pdf");
    std::fs::write(&file, &forged).expect("write");
    let (ok, text) = verify_alone(&file, &[&key_flag]);
    assert!(
        !ok && text.contains("signature: holds") && text.contains("pages: NOT"),
        "{text}"
    );

    // The JSON changed (the breaches taken out) and its digest recomputed, not signed again.
    let mut cleaned = original.clone();
    cleaned.breaches.clear();
    let (document, new_digest) = report::json::document(&cleaned).expect("document");
    let forged = report::pdf::render(&cleaned, &document, &new_digest, &seal).expect("pdf");
    std::fs::write(&file, &forged).expect("write");
    let (ok, text) = verify_alone(&file, &[&key_flag]);
    assert!(!ok && text.contains("signature: FAILS"), "{text}");
    let (ok, text) = court_procedure(&forged, &public, dir);
    assert!(!ok, "openssl passed a changed summary: {text}");

    // Signed as it should be, but by another key (its own certificate inside).
    let (other, _) = SigningKey::generate("sargs compliance summaries", 0).expect("a key");
    let (forged, _) = report::to_pdf(&original, &other).expect("pdf");
    std::fs::write(&file, &forged).expect("write");
    for trust in [&key_flag, &anchor_flag] {
        let (ok, text) = verify_alone(&file, &[trust]);
        assert!(!ok && text.contains("signature: FAILS"), "{text}");
    }
}

/// Runs the shell block of docs/report.md's court procedure on `pdf`, in a directory of its
/// own with the service's public key: whether it passed, and what it printed.
fn court_procedure(pdf: &[u8], public_key: &Path, dir: &Path) -> (bool, String) {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.md"))
        .expect("docs/report.md");
    let block = doc
        .split("<!-- court-procedure -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- /court-procedure -->").next())
        .expect("the procedure's markers");
    let script: String = block
        .lines()
        .filter(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect();
    let work = tempfile::tempdir_in(dir).expect("a directory");
    std::fs::write(work.path().join("summary.pdf"), pdf).expect("write");
    std::fs::copy(public_key, work.path().join("service-public-key.pem")).expect("copy");
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(work.path())
        .output()
        .expect("bash");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The digest `sargs report` printed: "FILE (SHA-256 HEX)".
fn printed_digest(out: &str) -> String {
    out.trim()
        .rsplit(' ')
        .next()
        .unwrap_or("")
        .trim_end_matches(')')
        .to_string()
}

#[tokio::test]
async fn a_compliance_summary_is_reproducible_and_verifiable() {
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("temp dir");
        let o = set_up(&db.location, dir.path()).await;
        play_night(&o.service, dir.path(), o.night);
        let alert = breach_alert(&o).await;
        let from = o.night.date_naive() - TimeDelta::days(1);
        // To today in the order's time zone, so that the note written below is in the period
        // (from 22:00 UTC, Riga's today is already UTC's tomorrow).
        let riga: rules::schedule::TimeZone = "Europe/Riga".parse().expect("a zone");
        let to = Utc::now().with_timezone(&riga.0).date_naive();
        // The period to the night played, whose curfew ended yesterday morning: a finished
        // period, whose summary is the same whenever it is made. One that has not ended
        // carries when it was made (as_of), and is verified as made then.
        let done = o.night.with_timezone(&riga.0).date_naive();
        let ongoing = dir.path().join("ongoing.json");
        sargs_ok(&report_args(&db.location, o.order, from, to, &ongoing));

        // Twice: the same bytes.
        let a = dir.path().join("a.pdf");
        let b = dir.path().join("b.pdf");
        let printed = sargs_ok(&report_args(&db.location, o.order, from, done, &a));
        let digest = printed_digest(&printed);
        assert_eq!(digest.len(), 64, "{name}: {printed}");
        sargs_ok(&report_args(&db.location, o.order, from, done, &b));
        let pdf = std::fs::read(&a).expect("a.pdf");
        assert!(pdf.starts_with(b"%PDF-"), "{name}");
        assert_eq!(
            pdf,
            std::fs::read(&b).expect("b.pdf"),
            "{name}: reproducible"
        );

        // As JSON: the same digest, the breach with its evidence, the nights.
        let j = dir.path().join("r.json");
        sargs_ok(&report_args(&db.location, o.order, from, done, &j));
        let doc: Value = serde_json::from_slice(&std::fs::read(&j).expect("json")).expect("JSON");
        assert_eq!(doc["digest"], digest.as_str(), "{name}");
        let breaches = doc["report"]["breaches"].as_array().expect("breaches");
        let breach = breaches
            .iter()
            .find(|e| e["condition"]["condition"] == "curfew")
            .expect("the curfew breach");
        assert!(
            breach["evidence"][0]["reading"]["lat"].is_number(),
            "{name}: {breach}"
        );
        assert_eq!(breach["alert"]["id"], alert, "{name}");
        assert_eq!(
            doc["report"]["nights"].as_array().map(Vec::len),
            usize::try_from((done - from).num_days() + 1).ok(),
            "{name}"
        );
        assert!(doc["report"]["params"].get("as_of").is_none(), "{name}");

        // For case systems (E-lieta): the same figures, naming the summary's digest, every
        // instant in UTC and local time with its offset, codes beside words.
        let c = dir.path().join("r.case.json");
        sargs_ok(&report_args(&db.location, o.order, from, done, &c));
        let case: Value = serde_json::from_slice(&std::fs::read(&c).expect("case")).expect("JSON");
        assert_eq!(case["format"], "sargs-case-export/1", "{name}: {case}");
        assert_eq!(case["summary_digest"], digest.as_str(), "{name}");
        let episode = &case["breaches"][0];
        assert_eq!(episode["kind"], "absent_during_curfew", "{name}: {episode}");
        assert!(
            episode["kind_words"]
                .as_str()
                .is_some_and(|w| !w.contains('_')),
            "{name}: {episode}"
        );
        let start = &episode["start"];
        assert!(
            start["utc"].as_str().is_some_and(|t| t.ends_with('Z'))
                && start["local"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("+02:00") || t.ends_with("+03:00")),
            "{name}: {start}"
        );
        assert_eq!(
            case["breach_minutes"].as_f64(),
            doc["report"]["breach_time"]["total_ms"]
                .as_i64()
                .map(|ms| ms as f64 / 60_000.0),
            "{name}"
        );
        assert_eq!(
            case["nights"].as_array().map(Vec::len),
            doc["report"]["nights"].as_array().map(Vec::len),
            "{name}"
        );
        assert!(
            doc["report"]["totals"]["breach_ms"].as_i64() > Some(0),
            "{name}"
        );
        // The tag was last heard from during the night played (its HELLO, just now, is after
        // the period's last night).
        let heard = doc["report"]["heard_until"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.to_utc())
            .expect("heard until");
        assert!(heard > o.night && heard <= Utc::now(), "{name}: {heard}");
        let nights = doc["report"]["nights"].as_array().expect("nights");
        for day in nights {
            let ms = |field: &str| day[field].as_i64().unwrap_or(-1);
            assert_eq!(
                ms("kept_ms") + ms("breach_ms") + ms("grace_ms") + ms("unknown_ms"),
                ms("required_ms"),
                "{name}: {day}"
            );
        }
        // Kept is what the evidence shows: the fixes at home every minute from the night's
        // start to 30 min (each counting 5 min, until the first fix away at 31 min), and again
        // from the return at 91 min to the last at 150 min (plus its 5 min). The night before,
        // with the tag fitted but silent, is no data.
        let minutes = |field: &str| doc["report"]["totals"][field].as_i64().unwrap_or(-1) / 60_000;
        assert_eq!(
            minutes("kept_ms"),
            31 + 64,
            "{name}: {}",
            doc["report"]["totals"]
        );
        assert_eq!(minutes("breach_ms"), 60, "{name}");
        assert_eq!(minutes("grace_ms"), 0, "{name}");
        let silent = &nights[0];
        assert_eq!(silent["kept_ms"], 0, "{name}: {silent}");
        assert!(silent["required_ms"].as_i64() > Some(0), "{name}: {silent}");
        assert_eq!(
            silent["unknown_ms"], silent["required_ms"],
            "{name}: {silent}"
        );

        // The API gives the same document to the officer.
        let url = format!(
            "{}/api/v1/orders/{}/report?from={from}&to={done}",
            o.officer.base, o.order
        );
        let got = o
            .officer
            .http
            .get(&url)
            .header(reqwest::header::COOKIE, &o.officer.cookie)
            .send()
            .await
            .expect("an answer");
        assert_eq!(got.status(), 200, "{name}");
        assert_eq!(
            got.bytes().await.expect("bytes").as_ref(),
            pdf.as_slice(),
            "{name}: API = CLI"
        );
        // Every signed PDF given out is in the register, from the command line and the API.
        let issued = o
            .officer
            .ok(
                Method::GET,
                &format!("/api/v1/orders/{}/summaries", o.order),
                None,
            )
            .await;
        let issued = issued.as_array().expect("a list");
        let of_digest: Vec<&Value> = issued
            .iter()
            .filter(|s| s["digest"] == digest.as_str())
            .collect();
        assert_eq!(of_digest.len(), 3, "{name}: {issued:?}");
        assert_eq!(
            of_digest
                .iter()
                .filter(|s| s["issued_by_name"].is_null())
                .count(),
            2,
            "{name}: the command line's two, by the service"
        );

        // In English: another document (the language is part of it), verified as well.
        let en = dir.path().join("en.pdf");
        let mut args = report_args(&db.location, o.order, from, done, &en);
        args.push("--lang=en".into());
        assert_ne!(printed_digest(&sargs_ok(&args)), digest, "{name}");

        // Verified: identical (the exchange JSON too, and the period not ended yet, as of when
        // it was made).
        for file in [&a, &en, &j, &ongoing] {
            let out = verify(&db.location, file);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{name}: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.contains("verified"), "{name}: {stdout}");
        }
        from_the_file_alone(&o, &pdf, dir.path()).await;
        // A byte flipped in the fonts, or in the embedded summary: refused.
        let mut flipped = pdf.clone();
        let at = flipped.len() / 2;
        flipped[at] ^= 0x01;
        let f = dir.path().join("flipped.pdf");
        std::fs::write(&f, &flipped).expect("write");
        let out = verify(&db.location, &f);
        assert!(!out.status.success(), "{name}: a flipped byte passed");
        let marker = b"\"court\":\"R";
        let at = pdf
            .windows(marker.len())
            .position(|w| w == marker)
            .expect("embedded JSON");
        let mut edited = pdf.clone();
        edited[at + marker.len()] = b'X';
        std::fs::write(&f, &edited).expect("write");
        let out = verify(&db.location, &f);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains("altered"),
            "{name}: {stderr}"
        );
        std::fs::write(&f, b"not a pdf").expect("write");
        let out = verify(&db.location, &f);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not a PDF"),
            "{name}"
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "{name}"
        );

        // The stored data change: the alert is resolved and a note written in the period.
        o.officer
            .ok(
                Method::POST,
                &format!("/api/v1/alerts/{alert}/resolution"),
                Some(json!({ "resolution": "confirmed_breach", "note": "Spoke with the client." })),
            )
            .await;
        o.officer
            .ok(
                Method::POST,
                "/api/v1/notes",
                Some(json!({ "client_id": o.client, "text": "Klients paskaidroja: ģimenes ārkārtas situācija." })),
            )
            .await;
        for file in [&a, &j, &ongoing] {
            let out = verify(&db.location, file);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(!out.status.success(), "{name}: {stdout}");
            assert!(stdout.contains("now give digest"), "{name}: {stdout}");
            assert!(stdout.contains("breaches episode_id="), "{name}: {stdout}");
        }
        // The note, written today, is in the period that has not ended.
        let stdout = String::from_utf8_lossy(&verify(&db.location, &ongoing).stdout).to_string();
        assert!(stdout.contains("notes id="), "{name}: {stdout}");

        // docs/report-sample*.pdf are made so: SARGS_REPORT_SAMPLE=$PWD/docs cargo test --test report
        if let Ok(docs) = std::env::var("SARGS_REPORT_SAMPLE") {
            for (file, lang) in [("report-sample.pdf", "lv"), ("report-sample-en.pdf", "en")] {
                let out = Path::new(&docs).join(file);
                let mut args = report_args(&db.location, o.order, from, done, &out);
                args.push(format!("--lang={lang}"));
                sargs_ok(&args);
            }
        }

        // Bad requests: clear errors, no panics.
        let c = dir.path().join("c.pdf");
        let fails = |args: Vec<String>, expect: &str| {
            let out = sargs(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{name}: {args:?}");
            assert!(
                stderr.contains(expect) && !stderr.contains("panicked"),
                "{name}: {stderr}"
            );
        };
        fails(
            report_args(&db.location, o.order, to, from, &c),
            "after it ends",
        );
        fails(
            report_args(&db.location, 999, from, to, &c),
            "order 999 does not exist",
        );
        let mut bad = report_args(&db.location, o.order, from, to, &c);
        bad[2] = "--from=2026-13-01".into();
        fails(bad, "invalid --from");

        // Suspended from now: no curfew is required for the rest of the period.
        let path = format!(
            "/api/v1/orders/{}/report?from={from}&to={to}&format=json",
            o.order
        );
        o.officer
            .ok(
                Method::POST,
                &format!("/api/v1/orders/{}/status", o.order),
                Some(json!({ "status": "suspended" })),
            )
            .await;
        let after = o.officer.ok(Method::GET, &path, None).await;
        // The resolution in the alert's history names the officer as others see her, not by
        // the name she signs in with.
        let said = after["report"]["breaches"].to_string();
        assert!(
            said.contains("Ilze Ozola") && !said.contains("ilze.ozola"),
            "{name}: {said}"
        );
        assert_eq!(
            after["report"]["status_changes"][0][1], "suspended",
            "{name}: {after}"
        );
        // Nothing from the suspension on counts as required (nor, made just after it, reached).
        let instant = |v: &Value| {
            v.as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.to_utc())
        };
        let suspended = instant(&after["report"]["status_changes"][0][0]).expect("when");
        let nights = after["report"]["nights"].as_array().expect("nights");
        for segment in nights
            .iter()
            .flat_map(|n| n["segments"].as_array().into_iter().flatten())
        {
            if instant(&segment["start"]).is_some_and(|t| t >= suspended) {
                assert!(
                    segment["kind"] == "not_required" || segment["kind"] == "not_reached",
                    "{name}: {segment}"
                );
            }
        }
    }
}
