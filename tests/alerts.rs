//! Alerts end to end, through `sargs serve`, MQTT, a real SMTP exchange and a webhook
//! receiver, on both backends: a tag's strap opens (a scripted device over MQTT); the alert
//! reaches the officer's live feed, their mailbox and the monitoring centre's webhook, signed;
//! left unacknowledged it escalates to the supervisor and, across a kill -9 and a restart, to
//! the duty lead; acknowledged and resolved, it stops. Nothing is lost or sent twice.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use alerts::channels::verify_signature;
use alerts::testing::{TestHttpServer, TestSmtpServer};
use chrono::Utc;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use store::StoreLocation;
use store::testing::test_databases;

const TAG: u64 = 1001;
const SECRET: &str = "the monitoring centre's webhook secret";
const PASSWORD: &str = "correct horse battery";

/// The live feed as a signed-in user reads it.
struct Feed {
    response: reqwest::Response,
    text: String,
}

impl Feed {
    async fn open(session: &Session) -> Feed {
        Feed::open_after_id(session, None).await
    }

    /// Resumed after an event id, as a browser reconnects with Last-Event-ID.
    async fn open_after(session: &Session, after: i64) -> Feed {
        Feed::open_after_id(session, Some(after)).await
    }

    async fn open_after_id(session: &Session, after: Option<i64>) -> Feed {
        let mut request = session
            .http
            .get(format!("{}/api/v1/alerts/feed", session.base))
            .header(reqwest::header::COOKIE, &session.cookie);
        if let Some(after) = after {
            request = request.header("Last-Event-ID", after.to_string());
        }
        let response = request.send().await.expect("the feed answers");
        assert_eq!(response.status(), 200);
        Feed {
            response,
            text: String::new(),
        }
    }

    /// The data of the next event of `action` (after those already taken).
    async fn next(&mut self, action: &str) -> Value {
        let needle = format!("event: {action}\n");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(at) = self.text.find(&needle) {
                let rest = &self.text[at + needle.len()..];
                let line = rest.lines().find_map(|l| l.strip_prefix("data:"));
                if let Some(data) = line.filter(|_| rest.contains("\n\n")) {
                    let value: Value = serde_json::from_str(data.trim()).expect("JSON data");
                    let end = at + needle.len() + rest.find("\n\n").unwrap_or(0);
                    self.text.drain(..end);
                    return value;
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(chunk))) => self.text.push_str(&String::from_utf8_lossy(&chunk)),
                _ => panic!("no {action} event; the feed said: {}", self.text),
            }
        }
    }
}

fn config(smtp: &str, webhook: &str) -> String {
    format!(
        "[alerts]\nduty-leads = [\"duty.lead\"]\n\
         [alerts.escalate-after]\ncritical = 3\n\
         [alerts.channels.email]\nsmtp = \"{smtp}\"\nfrom = \"sargs@vpd.example\"\n\
         [alerts.channels.webhook]\nurl = \"{webhook}\"\nsecret = \"{SECRET}\"\n"
    )
}

struct Office {
    service: Service,
    admin: Session,
    officer: Session,
    order: i64,
    users: std::collections::HashMap<&'static str, i64>,
}

/// An administrator, a unit with an officer, a supervisor, a duty lead of the monitoring
/// centre and a technician, each with an e-mail address for alerts; a client under an order
/// with the tag fitted.
async fn set_up(location: &StoreLocation, dir: &Path, extra: &[String]) -> Office {
    let (service, admin, unit) = start_with_admin(location, extra, dir, PASSWORD).await;
    let base = admin.base.clone();
    let mut users = std::collections::HashMap::new();
    for (name, role, unit_id) in [
        ("ilze.ozola", "officer", Some(unit)),
        ("supervisor", "supervisor", Some(unit)),
        ("duty.lead", "operator", None),
        ("technician", "technician", None),
    ] {
        let user = admin
            .ok(
                Method::POST,
                "/api/v1/users",
                Some(
                    json!({ "username": name, "display_name": name, "role": role,
                             "unit_id": unit_id, "password": PASSWORD }),
                ),
            )
            .await;
        users.insert(name, id(&user));
        admin
            .ok(
                Method::PUT,
                &format!("/api/v1/users/{}/contacts", id(&user)),
                Some(json!({ "contacts": [{ "channel": "email", "address": format!("{name}@vpd.example"),
                                            "min_severity": "high", "enabled": true }] })),
            )
            .await;
    }
    let officer = Session::login(&base, "ilze.ozola", PASSWORD).await;
    let technician = Session::login(&base, "technician", PASSWORD).await;
    let client = officer
        .ok(
            Method::POST,
            "/api/v1/clients",
            Some(json!({
                "personal_code": "010190-12345", "given_name": "Jānis", "family_name": "Bērziņš",
                "birth_date": "1990-01-01", "language": "lv", "officer_id": users["ilze.ozola"],
                "addresses": [{ "id": "home", "street": "Brīvības iela 1, Rīga",
                    "zone": { "type": "circle", "centre": [24.1052, 56.9496], "radius_m": 50.0 } }]
            })),
        )
        .await;
    let starts = Utc::now() - chrono::TimeDelta::days(1);
    let order = id(&officer
        .ok(
            Method::POST,
            "/api/v1/orders",
            Some(json!({
                "client_id": id(&client), "court": "Rīgas pilsētas tiesa", "case_number": "K-5/2026",
                "terms": { "decision_date": starts.date_naive().to_string(),
                           "legal_basis": "conditional_early_release",
                           "starts": starts.to_rfc3339(),
                           "ends": (starts + chrono::TimeDelta::days(90)).to_rfc3339() }
            })),
        )
        .await);
    technician
        .add_and_fit_tag(TAG, order, &starts.to_rfc3339())
        .await;
    officer.wait_in_force(order, "the order").await;
    Office {
        service,
        admin,
        officer,
        order,
        users,
    }
}

/// The tag opens its strap now.
fn strap_opens(service: &Service, dir: &Path) {
    let script = format!(
        "[[devices]]\nid = {TAG}\nkind = \"gps-tag\"\nreports = [{{ at = \"0s\", event = \"strap_opened\" }}]\n"
    );
    play_script(service, dir, &script, Some(Utc::now()));
}

/// Waits until every notification of the alert is settled (sent or given up); returns them.
async fn settled(officer: &Session, alert: i64, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let one = officer
            .ok(Method::GET, &format!("/api/v1/alerts/{alert}"), None)
            .await;
        let deliveries = one["deliveries"].as_array().cloned().unwrap_or_default();
        if deliveries.len() >= count && deliveries.iter().all(|d| d["state"] != "pending") {
            return deliveries;
        }
        assert!(Instant::now() < deadline, "deliveries: {deliveries:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_strap_opening_reaches_the_officer_and_escalates_until_acknowledged() {
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("dir");
        let smtp = TestSmtpServer::start().await;
        let hooks = TestHttpServer::start().await;
        let config_path = dir.path().join("sargs.toml");
        std::fs::write(&config_path, config(&smtp.url(), &hooks.url("/sargs"))).expect("config");
        let extra = vec!["--config".to_string(), config_path.display().to_string()];
        let mut o = set_up(&db.location, dir.path(), &extra).await;
        let mut feed = Feed::open(&o.officer).await;

        // Raised: on the live feed, in the officer's mailbox, at the centre's webhook, signed.
        strap_opens(&o.service, dir.path());
        let raised = feed.next("raised").await;
        let alert = raised["alert"]["id"].as_i64().expect("alert id");
        assert_eq!(raised["alert"]["kind"], "strap_opened", "{name}");
        assert_eq!(raised["alert"]["severity"], "critical", "{name}");
        let mail = smtp.wait_for(1, WAIT).await;
        assert_eq!(mail[0].to, ["ilze.ozola@vpd.example"], "{name}");
        let subject = mail[0].header("Subject").unwrap_or_default();
        assert!(subject.contains("strap opened"), "{name}: {subject}");
        let hook = hooks.wait_for(1, WAIT).await;
        let signature = hook[0].header("x-sargs-signature").unwrap_or_default();
        let timestamp = hook[0].header("x-sargs-timestamp").unwrap_or_default();
        assert!(
            verify_signature(SECRET.as_bytes(), timestamp, &hook[0].body, signature),
            "{name}: the webhook is signed"
        );
        assert!(
            !verify_signature(
                b"another secret entirely",
                timestamp,
                &hook[0].body,
                signature
            ),
            "{name}"
        );
        assert_eq!(
            hook[0].json().expect("JSON")["event"]["action"],
            "raised",
            "{name}"
        );

        // Unacknowledged for 3 s: escalated to the supervisor.
        let escalated = feed.next("escalated").await;
        assert_eq!(escalated["event"]["level"], 1, "{name}");
        let mail = smtp.wait_for(2, WAIT).await;
        assert_eq!(mail[1].to, ["supervisor@vpd.example"], "{name}");

        // Killed once everything so far is delivered; the timer is a row and goes on.
        settled(&o.officer, alert, 4).await;
        o.service.kill9();
        o.service = Service::start(&db.location, &extra, dir.path());
        let base = format!("http://{}", o.service.http.trim_start_matches("http://"));
        o.officer.base = base.clone();
        o.admin.base = base;
        let mut feed =
            Feed::open_after(&o.officer, escalated["event"]["id"].as_i64().expect("id")).await;
        let top = feed.next("escalated").await;
        assert_eq!(top["event"]["level"], 2, "{name}");
        let mail = smtp.wait_for(3, WAIT).await;
        assert_eq!(mail[2].to, ["duty.lead@vpd.example"], "{name}");

        // Acknowledged and resolved: it stops.
        o.officer
            .ok(
                Method::POST,
                &format!("/api/v1/alerts/{alert}/acknowledgement"),
                Some(json!({ "note": "calling the client" })),
            )
            .await;
        o.officer
            .ok(
                Method::POST,
                &format!("/api/v1/alerts/{alert}/resolution"),
                Some(json!({ "resolution": "technical_fault", "note": "strap refitted by the technician" })),
            )
            .await;
        feed.next("resolved").await;
        let deliveries = settled(&o.officer, alert, 8).await;

        // Nothing sent twice: three e-mails, one per level; one webhook per event, each key once.
        let one = o
            .officer
            .ok(Method::GET, &format!("/api/v1/alerts/{alert}"), None)
            .await;
        let events = one["events"].as_array().expect("events").len();
        let mail = smtp.messages();
        let to: Vec<&str> = mail.iter().map(|m| m.to[0].as_str()).collect();
        assert_eq!(
            to,
            [
                "ilze.ozola@vpd.example",
                "supervisor@vpd.example",
                "duty.lead@vpd.example"
            ],
            "{name}"
        );
        let hook = hooks.requests();
        let mut keys: Vec<String> = hook
            .iter()
            .filter_map(|r| r.header("x-sargs-idempotency-key").map(str::to_string))
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(
            (hook.len(), keys.len()),
            (events, events),
            "{name}: {deliveries:#?}"
        );
        assert!(
            deliveries.iter().all(|d| d["state"] == "sent"),
            "{name}: {deliveries:#?}"
        );
        let actions: Vec<&str> = one["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "raised",
                "escalated",
                "escalated",
                "acknowledged",
                "resolved"
            ],
            "{name}"
        );
        // The same, as an operator's monitoring sees it.
        let metrics = o.service.metrics().await;
        assert_eq!(
            metrics.get(r#"sargs_notifications{channel="email",state="sent"}"#),
            Some(&3.0),
            "{name}: {metrics:?}"
        );
        assert_eq!(
            metrics.get(r#"sargs_alerts{state="resolved"}"#),
            Some(&1.0),
            "{name}"
        );
        // Nothing left behind by the judge or the alerts, once the idle judge has stored its
        // cursor (about a second after its last step).
        let mut behind = (None, None);
        for _ in 0..100 {
            let metrics = o.service.metrics().await;
            behind = (
                metrics.get("sargs_judge_rows_behind").copied(),
                metrics.get("sargs_alerts_changes_behind").copied(),
            );
            if behind == (Some(0.0), Some(0.0)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(behind, (Some(0.0), Some(0.0)), "{name}");
        let _ = (o.order, &o.users);
    }
}
