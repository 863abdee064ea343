//! Acknowledged means durable while the storage refuses writes. Tags send while the database's
//! disk fills (SQLite on a small file system) or PostgreSQL takes the service's privileges
//! away. Meanwhile nothing is acknowledged,
//! `/healthz` answers 503 with the reason and a metric says it; once the storage takes writes
//! again everything resumes by itself, without a restart: the ACKs, the judge and the alerts
//! (a strap opened after the recovery is raised), and the devices' resends fill every hole, so
//! that every frame is stored exactly once. A stop asked for while the storage refuses writes
//! takes less than 10 s.
//!
//! A small file system needs `mount` (root, as on CI); where it cannot be had, the test that
//! needs one says so and does nothing else. ingest/tests/full_store.rs fills a SQLite store
//! everywhere, by its page cap. PostgreSQL is not given a tablespace on a small file system:
//! the test server is shared by every test, and a server whose tablespace vanishes under a
//! failed test stops for all of them (its checkpointer PANICs, and recovery wants the directory).

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/webdriver.rs"]
mod webdriver;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use firmware_proto::{DeviceKey, Event, EventCode, Message};
use reqwest::Method;
use sqlx::{Connection, Executor};
use store::StoreLocation;
use store::testing::{TEST_DATABASE_URL, with_database};
use webdriver::Browser;

mod faults;

use faults::{Fault, OwnServer, SmallFs, as_user, pg_execute, test_server, unique};

const PASSWORD: &str = "Dzērves-lido-pār-Daugavu-2026";
/// The tag fitted under the probation client's order.
const TAG: u64 = 91_000;
/// Tags of the fleet that only send heartbeats.
const FLEET: [u64; 4] = [91_001, 91_002, 91_003, 91_004];

/// A tag on MQTT that records a heartbeat each tick and applies every downlink it gets.
struct Tag {
    device: MqttDevice,
    recorded: u32,
}

impl Tag {
    async fn connect(port: u16, id: u64, key: DeviceKey) -> Tag {
        Tag {
            device: MqttDevice::connect(port, id, Some(key)).await,
            recorded: 0,
        }
    }

    /// Records `message` and sends what is due (new frames, and resends when `resend_all`).
    async fn send(&mut self, message: Message, resend_all: bool) {
        let now = now_ms();
        self.device.session.record(message, now);
        self.recorded += 1;
        self.transmit(resend_all).await;
    }

    async fn transmit(&mut self, resend_all: bool) {
        let at = if resend_all {
            now_ms() + 60_000
        } else {
            now_ms()
        };
        for frame in self.device.session.poll_transmit(at, true) {
            self.device.publish(frame).await;
        }
        for frame in self.device.downlinks_within(Duration::from_millis(5)).await {
            let _ = self.device.session.handle_downlink(&frame, now_ms());
        }
    }

    fn acked(&self) -> u32 {
        self.device.session.acked_seq()
    }
}

async fn health(service: &Service) -> (u16, String) {
    let response = reqwest::get(format!("{}/healthz", service.http))
        .await
        .expect("healthz answers");
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

/// One round: every tag records a heartbeat and sends.
async fn round(tags: &mut [Tag], battery: u8) {
    for tag in tags.iter_mut() {
        tag.send(heartbeat(battery), false).await;
    }
}

/// The whole story on one store: see the file's comment.
async fn refuse_then_recover(location: &StoreLocation, fault: &Fault, name: &str, dir: &Path) {
    for id in FLEET {
        register(location, id, "gps-tag", Some(&KEY));
    }
    let (mut service, admin, unit) = start_with_admin(location, &[], dir, PASSWORD).await;
    let (officer, _order) = open_case(&admin, unit, TAG, PASSWORD).await;
    let tag_key: DeviceKey = hex::decode(sim_key(1, TAG))
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let mut tags = vec![Tag::connect(service.mqtt_port, TAG, tag_key).await];
    for id in FLEET {
        tags.push(Tag::connect(service.mqtt_port, id, KEY).await);
    }

    // Storage takes writes: everything is acknowledged.
    for _ in 0..5 {
        round(&mut tags, 90).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for tag in tags.iter_mut() {
        let recorded = tag.recorded;
        tag.device.wait_acked(recorded).await;
    }
    assert_eq!(health(&service).await.0, 200, "{name}");
    // A technician at the console, in Latvian: the least any role sees.
    let browser = Browser::start(1280, 800, "lv,en").await;
    browser.goto(&format!("{}/", admin.base)).await;
    browser
        .fill("#login input[name=username]", "technician")
        .await;
    browser.fill("#login input[name=password]", PASSWORD).await;
    browser.click("#login button[type=submit]").await;
    browser.find("#logout").await;
    let banner_hidden = async || {
        browser
            .script("return document.getElementById('storage').hidden")
            .await
    };
    assert_eq!(
        banner_hidden().await,
        true,
        "{name}: no banner while all is well"
    );

    // The storage refuses writes while the tags keep sending: the service says so.
    fault.start().await;
    let refusing_since = Instant::now();
    let refused = loop {
        round(&mut tags, 80).await;
        let (status, text) = health(&service).await;
        if status == 503 {
            break text;
        }
        assert!(
            refusing_since.elapsed() < WAIT,
            "{name}: /healthz never said the storage refuses writes\n{}",
            service.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        refused.contains(fault.reason()),
        "{name}: /healthz says why: {refused}"
    );
    let gauge = format!(
        "sargs_storage_refusing_writes{{reason=\"{}\"}}",
        fault.reason()
    );
    assert_eq!(service.metric(&gauge).await, 1.0, "{name}");
    if !fault.api_answers() {
        // Nobody can be told who they are without the database: a clear 503, not a 500.
        let (status, said) = officer.call(Method::GET, "/api/v1/service", None).await;
        assert_eq!(
            (status, &said["error"]),
            (503, &serde_json::json!("storage_unavailable")),
            "{name}: {said}"
        );
    } else {
        let (status, said) = officer.call(Method::GET, "/api/v1/service", None).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(said["storage"]["state"], "refusing", "{name}: {said}");
        assert_eq!(said["storage"]["fault"], fault.reason(), "{name}: {said}");
        let banner = browser
            .wait_text("#storage", "Pierādījumi netiek saglabāti")
            .await;
        assert!(
            banner.contains(match fault.reason() {
                "full" => "nav brīvas vietas",
                _ => "trūkst tiesību",
            }),
            "{name}: the banner says why, in words: {banner}"
        );
    }
    // A few seconds of frames while refusing: none of them may be acknowledged.
    let acked_when_refused: Vec<u32> = tags.iter().map(Tag::acked).collect();
    for _ in 0..20 {
        round(&mut tags, 70).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Room again: ACKs resume by themselves and the resends fill every hole.
    fault.end().await;
    let deadline = Instant::now() + WAIT;
    while tags.iter().any(|tag| tag.acked() < tag.recorded) {
        assert!(
            Instant::now() < deadline,
            "{name}: ACKs did not resume: {:?} of {:?}\n{}",
            tags.iter().map(Tag::acked).collect::<Vec<_>>(),
            tags.iter().map(|t| t.recorded).collect::<Vec<_>>(),
            service.log_text()
        );
        for tag in tags.iter_mut() {
            tag.transmit(true).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, text) = health(&service).await;
    assert_eq!(status, 200, "{name}: {text}");
    browser
        .poll("the banner gone", async || {
            (banner_hidden().await == true).then_some(())
        })
        .await;
    browser.quit().await;
    assert_eq!(service.metric(&gauge).await, 0.0, "{name}");
    assert!(
        service.metric("sargs_commit_failures_total").await >= 1.0,
        "{name}: the refusals were counted"
    );
    let log = service.log_text();
    assert!(
        log.contains("the storage refuses writes")
            && log.contains("the storage takes writes again"),
        "{name}: the log says what happened\n{log}"
    );
    // One line now and then, not one per commit, judge step or alert worker.
    let errors = log.lines().filter(|l| l.contains(" ERROR ")).count();
    assert!(
        (1..=6).contains(&errors),
        "{name}: {errors} error lines, rate-limited\n{log}"
    );

    // The judge and the alerts resumed: a strap opened now reaches the officer.
    tags[0]
        .send(
            Message::Event(Event {
                code: EventCode::StrapOpened,
                value: 0,
            }),
            false,
        )
        .await;
    let deadline = Instant::now() + WAIT;
    loop {
        let alerts = officer.ok(Method::GET, "/api/v1/alerts", None).await;
        let raised = alerts
            .as_array()
            .or_else(|| alerts["alerts"].as_array())
            .is_some_and(|list| list.iter().any(|a| a["kind"] == "strap_opened"));
        if raised {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: the strap opening was never raised: {alerts}\n{}",
            service.log_text()
        );
        tags[0].transmit(false).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A stop asked for while the storage refuses writes ends within 10 s.
    fault.start().await;
    let refusing_again = Instant::now();
    while health(&service).await.0 != 503 {
        round(&mut tags, 60).await;
        assert!(
            refusing_again.elapsed() < WAIT,
            "{name}: not refusing again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    round(&mut tags, 60).await;
    let stopping = Instant::now();
    let pid = service.child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let exited = loop {
        if let Some(status) = service.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(10),
            "{name}: SIGTERM while the storage refuses writes did not stop the service in 10 s\n{}",
            service.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exited.success(), "{name}: {exited}\n{}", service.log_text());
    fault.end().await;

    // Every frame a tag saw acknowledged is stored, exactly once; and while the storage
    // refused writes nothing was acknowledged that is not stored.
    for (tag, before) in tags.iter().zip(acked_when_refused) {
        let id = tag.device.session.device_id();
        let stored = stored_seqs(location, id).await;
        let acked = tag.acked();
        assert!(acked >= before, "{name}: device {id}");
        let expected: Vec<u32> = (1..=acked).collect();
        assert_eq!(
            &stored[..expected.len().min(stored.len())],
            &expected[..],
            "{name}: device {id}, acked through {acked}"
        );
        let mut unique = stored.clone();
        unique.dedup();
        assert_eq!(unique, stored, "{name}: device {id} stored once each");
    }
}

#[tokio::test]
async fn a_full_disk_under_sqlite_loses_nothing_acknowledged_and_recovers_by_itself() {
    let Some(fs) = SmallFs::mount(24) else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let location = StoreLocation::DataDir(fs.mount.join("data"));
    refuse_then_recover(&location, &Fault::Disk(fs), "sqlite, disk full", dir.path()).await;
}

#[tokio::test]
async fn a_postgres_outage_loses_nothing_acknowledged_and_ends_by_itself() {
    let Some(server) = OwnServer::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let location = StoreLocation::Url(server.url());
    refuse_then_recover(
        &location,
        &Fault::Outage(server),
        "postgres, server down",
        dir.path(),
    )
    .await;
}

#[tokio::test]
async fn revoked_privileges_under_postgres_lose_nothing_acknowledged_and_recover_by_themselves() {
    let Some(server) = test_server() else {
        return;
    };
    let role = unique("sargs_writer");
    let database = unique("sargs_test");
    let secret = "writer-password";
    pg_execute(
        &server,
        &format!("CREATE ROLE {role} LOGIN PASSWORD '{secret}'"),
    )
    .await;
    pg_execute(&server, &format!("CREATE DATABASE {database} OWNER {role}")).await;
    let dir = tempfile::tempdir().expect("dir");
    let location = StoreLocation::Url(with_database(&as_user(&server, &role, secret), &database));
    let fault = Fault::Privileges {
        admin_url: with_database(&server, &database),
        role: role.clone(),
    };
    refuse_then_recover(
        &location,
        &fault,
        "postgres, privileges revoked",
        dir.path(),
    )
    .await;
    pg_execute(&server, &format!("DROP DATABASE {database} WITH (FORCE)")).await;
    pg_execute(&server, &format!("DROP ROLE {role}")).await;
}

#[test]
fn credentials_are_replaced_in_a_url() {
    assert_eq!(
        as_user(
            "postgres://postgres:postgres@127.0.0.1:5432/postgres",
            "w",
            "p"
        ),
        "postgres://w:p@127.0.0.1:5432/postgres"
    );
    assert_eq!(
        as_user("postgres://127.0.0.1/test", "w", "p"),
        "postgres://w:p@127.0.0.1/test"
    );
}
