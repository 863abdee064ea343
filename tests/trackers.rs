//! Off-the-shelf trackers and phones against the running service, on SQLite and PostgreSQL: a
//! Teltonika tracker (played by `sargs simulate --teltonika`) walks into an exclusion zone and
//! the officer is alerted; a victim's phone (`sargs simulate --osmand`) comes near the probation
//! client and the proximity alarm fires; and kill -9 while twenty trackers send loses no record
//! any of them was told was taken, and their resends after the restart are stored once.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use common::*;
use foreign_proto::teltonika::io::{IO_BATTERY_LEVEL, IO_GNSS_HDOP};
use foreign_proto::teltonika::{
    AvlRecord, Codec, GpsElement, IoValue, encode_login, encode_packet,
};
use ingest::store::Telemetry;
use reqwest::Method;
use serde_json::{Value, json};
use store::StoreLocation;
use store::testing::test_databases;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PASSWORD: &str = "correct horse battery";
const TRACKER: u64 = 4401;
/// The client's home, and the old town the order keeps them out of (lat, lon).
const HOME: (f64, f64) = (56.9600, 24.1300);
const OLD_TOWN: (f64, f64) = (56.9470, 24.1060);

fn teltonika_listen(port: u16) -> Vec<String> {
    vec![
        "--teltonika-listen".to_string(),
        format!("127.0.0.1:{port}"),
    ]
}

/// A unit with an officer and a technician, and a probation client living at [`HOME`].
struct Office {
    service: Service,
    officer: Session,
    technician: Session,
    client: i64,
}

impl Office {
    async fn open(location: &StoreLocation, extra: &[String], dir: &std::path::Path) -> Office {
        let (service, admin, unit) = start_with_admin(location, extra, dir, PASSWORD).await;
        for (user, role) in [("officer", "officer"), ("technician", "technician")] {
            admin
                .ok(
                    Method::POST,
                    "/api/v1/users",
                    Some(
                        json!({ "username": user, "display_name": user, "role": role,
                                 "unit_id": unit, "password": PASSWORD }),
                    ),
                )
                .await;
        }
        let officer = Session::login(&admin.base, "officer", PASSWORD).await;
        let technician = Session::login(&admin.base, "technician", PASSWORD).await;
        let me = id(&officer.ok(Method::GET, "/api/v1/session", None).await);
        let client = officer
            .ok(
                Method::POST,
                "/api/v1/clients",
                Some(json!({
                    "personal_code": "150585-10101", "given_name": "Anna", "family_name": "Kalniņa",
                    "birth_date": "1985-05-15", "language": "lv", "officer_id": me,
                    "addresses": [{ "id": "home", "street": "Tērbatas iela 5, Rīga",
                        "zone": { "type": "circle", "centre": [HOME.1, HOME.0], "radius_m": 50.0 } }]
                })),
            )
            .await;
        Office {
            service,
            officer,
            technician,
            client: id(&client),
        }
    }

    /// The client's first alert of `kind`, once there is one.
    async fn alert(&self, kind: &str, name: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let alerts = self.officer.ok(Method::GET, "/api/v1/alerts", None).await;
            let found = alerts
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["kind"] == kind && a["client_id"] == self.client);
            if let Some(alert) = found {
                return alert.clone();
            }
            assert!(
                Instant::now() < deadline,
                "{name}: no {kind} alert: {alerts}\n{}",
                self.service.log_text()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// An order of the client since yesterday, with `conditions` among its terms; its id and
    /// when it starts.
    async fn order(&self, case: &str, conditions: Value) -> (i64, chrono::DateTime<Utc>) {
        let starts = Utc::now() - chrono::TimeDelta::days(1);
        let mut terms = json!({ "decision_date": starts.date_naive().to_string(),
                                "legal_basis": "conditional_early_release",
                                "starts": starts.to_rfc3339(),
                                "ends": (starts + chrono::TimeDelta::days(90)).to_rfc3339() });
        if let (Some(terms), Some(conditions)) = (terms.as_object_mut(), conditions.as_object()) {
            terms.extend(conditions.clone());
        }
        let order = self
            .officer
            .ok(
                Method::POST,
                "/api/v1/orders",
                Some(
                    json!({ "client_id": self.client, "court": "Rīgas pilsētas tiesa",
                             "case_number": case, "terms": terms }),
                ),
            )
            .await;
        (id(&order), starts)
    }
}

/// Adds a tracker known by its IMEI, as a technician does on the command line.
fn add_tracker(location: &StoreLocation, id: u64, imei: &str) {
    let mut args: Vec<String> = vec!["devices".into(), "add".into()];
    args.extend(storage_flags(location));
    args.extend(
        [
            "--id",
            &id.to_string(),
            "--kind",
            "gps-tracker",
            "--imei",
            imei,
        ]
        .map(String::from),
    );
    sargs_ok(&args);
}

#[tokio::test]
async fn a_tracker_walks_into_an_exclusion_zone_and_the_officer_is_alerted() {
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("dir");
        let extra = teltonika_listen(0);
        let office = Office::open(&db.location, &extra, dir.path()).await;
        let (service, officer, technician) = (&office.service, &office.officer, &office.technician);
        let addr = service.teltonika.expect("the Teltonika listener's address");
        let zones = json!({ "zones": [{ "id": "old-town", "kind": "exclusion",
            "shape": { "type": "circle", "centre": [OLD_TOWN.1, OLD_TOWN.0], "radius_m": 300.0 } }] });
        let (order, starts) = office.order("K-9/2026", zones).await;
        // The technician adds the tracker by its IMEI, through the API, and fits it.
        technician
            .ok(
                Method::POST,
                "/api/v1/devices",
                Some(
                    json!({ "device_id": TRACKER, "serial": "FMB920-1", "kind": "gps-tracker",
                             "model": "Teltonika FMB920", "imei": sim::teltonika_imei(TRACKER) }),
                ),
            )
            .await;
        technician
            .ok(
                Method::POST,
                &format!("/api/v1/devices/{TRACKER}/fitting"),
                Some(json!({ "order_id": order, "at": starts.to_rfc3339() })),
            )
            .await;
        officer.wait_in_force(order, name).await;

        // Ten minutes at home, then into the old town, a fix a minute, up to now.
        let fix = |(lat, lon): (f64, f64)| {
            format!("fix = {{ lat = {lat}, lon = {lon}, accuracy_m = 8 }}")
        };
        let script = format!(
            "[[devices]]\nid = {TRACKER}\nkind = \"gps-tracker\"\nreports = [\n  \
             {{ at = \"0m\", until = \"10m\", every = \"1m\", {} }},\n  \
             {{ at = \"11m\", until = \"15m\", every = \"1m\", {} }},\n]\n",
            fix(HOME),
            fix(OLD_TOWN)
        );
        let transport = [format!("--teltonika={addr}")];
        let report = play_script_over(
            dir.path(),
            &script,
            Some(Utc::now() - chrono::TimeDelta::minutes(15)),
            &transport,
        );
        assert_eq!(report["transport"], "teltonika", "{report}");
        assert_eq!(report["recorded"], 16, "{name}: {report}");

        let alert = office.alert("exclusion_zone_entered", name).await;
        assert_eq!(alert["severity"], "critical", "{name}: {alert}");
        // The fixes arrived as any tag's: through the Teltonika adapter.
        let device = technician
            .ok(Method::GET, &format!("/api/v1/devices/{TRACKER}"), None)
            .await;
        assert_eq!(
            device["health"]["last_via"], "teltonika",
            "{name}: {device}"
        );
    }
}

/// A tracker of the kill -9 test: sends packets of five records a second apart, and remembers
/// which were answered.
struct TestTracker {
    id: u64,
    imei: String,
    records: Vec<AvlRecord>,
    answered: usize,
    /// Records answered, summed over every tracker of the test.
    progress: Arc<AtomicUsize>,
}

impl TestTracker {
    fn new(id: u64, first_ms: u64, count: usize, progress: Arc<AtomicUsize>) -> TestTracker {
        let records = (0..count)
            .map(|i| AvlRecord {
                timestamp_ms: first_ms + 1_000 * i as u64,
                priority: 0,
                gps: GpsElement {
                    longitude: 241_100_000 + i as i32,
                    latitude: 569_500_000,
                    altitude: 5,
                    angle: 0,
                    satellites: 7,
                    speed: 0,
                },
                event_io: 0,
                io: vec![
                    (IO_BATTERY_LEVEL, IoValue::Fixed { size: 1, value: 90 }),
                    (IO_GNSS_HDOP, IoValue::Fixed { size: 2, value: 8 }),
                ],
                raw: Bytes::new(),
            })
            .collect();
        TestTracker {
            id,
            imei: sim::teltonika_imei(id),
            records,
            answered: 0,
            progress,
        }
    }

    /// Logs in and sends what is unanswered until all is answered or the connection fails.
    async fn send(&mut self, addr: std::net::SocketAddr, pause: Duration) -> bool {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            return false;
        };
        if stream.write_all(&encode_login(&self.imei)).await.is_err() {
            return false;
        }
        let mut byte = [0u8; 1];
        if stream.read_exact(&mut byte).await.is_err() || byte[0] != 1 {
            return false;
        }
        while self.answered < self.records.len() {
            let end = (self.answered + 5).min(self.records.len());
            let packet = encode_packet(Codec::EightExtended, &self.records[self.answered..end]);
            if stream.write_all(&packet).await.is_err() {
                return false;
            }
            let mut answer = [0u8; 4];
            if stream.read_exact(&mut answer).await.is_err() {
                return false;
            }
            let taken = u32::from_be_bytes(answer) as usize;
            self.answered += taken;
            self.progress.fetch_add(taken, Relaxed);
            tokio::time::sleep(pause).await;
        }
        true
    }
}

#[tokio::test]
async fn kill_9_while_trackers_send_loses_no_answered_record() {
    const TRACKERS: u64 = 20;
    const RECORDS: usize = 60;
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("dir");
        for id in 0..TRACKERS {
            add_tracker(&db.location, 9_000 + id, &sim::teltonika_imei(9_000 + id));
        }
        // A fixed port, so that the trackers find the restarted service where they left it.
        let port = free_port();
        let mut service = Service::start(&db.location, &teltonika_listen(port), dir.path());
        let addr = service.teltonika.expect("listening");
        let first_ms = now_ms() - 3_600_000;
        let progress = Arc::new(AtomicUsize::new(0));
        let sending: Vec<_> = (0..TRACKERS)
            .map(|id| {
                let mut tracker = TestTracker::new(9_000 + id, first_ms, RECORDS, progress.clone());
                tokio::spawn(async move {
                    let done = tracker.send(addr, Duration::from_millis(100)).await;
                    (tracker, done)
                })
            })
            .collect();
        // Some records answered, then the plug is pulled while the rest are on their way.
        let deadline = Instant::now() + WAIT;
        while progress.load(Relaxed) < 100 {
            assert!(
                Instant::now() < deadline,
                "{name}: trackers not answered\n{}",
                service.log_text()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        service.kill9();
        let mut trackers = Vec::new();
        for task in sending {
            let (tracker, done) = task.await.expect("task");
            assert!(
                !done,
                "{name}: tracker {} finished before the crash",
                tracker.id
            );
            trackers.push(tracker);
        }
        let answered: usize = trackers.iter().map(|t| t.answered).sum();
        assert!(
            answered > 0,
            "{name}: nothing was answered before the crash"
        );

        // Every record answered before the crash is stored, before anything is sent again.
        let telemetry = Telemetry::open_at(&db.location).await.expect("store");
        for tracker in &trackers {
            let keys: Vec<(u64, i64)> = tracker.records[..tracker.answered]
                .iter()
                .map(|r| (tracker.id, r.timestamp_ms as i64))
                .collect();
            let stored = telemetry.foreign_records_stored(&keys).await.expect("read");
            assert_eq!(
                stored.len(),
                keys.len(),
                "{name}: tracker {} lost answered records",
                tracker.id
            );
        }
        telemetry.store().close().await;

        // Restarted on the same port: each tracker logs in again and sends what is unanswered.
        let service = Service::start(&db.location, &teltonika_listen(port), dir.path());
        for tracker in &mut trackers {
            assert!(
                tracker.send(addr, Duration::ZERO).await,
                "{name}: tracker {} finishes",
                tracker.id
            );
        }
        // Each record stored once: a HEARTBEAT and a LOCATION each, numbered without a gap.
        for id in 9_000..9_000 + TRACKERS {
            assert_eq!(
                stored_seqs(&db.location, id).await,
                (1..=2 * RECORDS as u32).collect::<Vec<_>>(),
                "{name}: tracker {id}"
            );
        }
        drop(service);
    }
}

const TAG: u64 = 4501;
const PHONE: u64 = 9101;

#[tokio::test]
async fn a_victims_phone_comes_near_the_client_and_the_proximity_alarm_fires() {
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("dir");
        // The victim's phone, known by its OsmAnd id, with the token its Traccar Client sends.
        let token = sim::osmand_token(1, PHONE);
        let mut args: Vec<String> = vec!["devices".into(), "add".into()];
        args.extend(storage_flags(&db.location));
        args.extend(
            [
                "--id",
                &PHONE.to_string(),
                "--kind",
                "phone",
                "--model",
                "Android (Traccar Client)",
            ]
            .map(String::from),
        );
        args.extend(["--osmand-id", &PHONE.to_string(), "--token", &token].map(String::from));
        sargs_ok(&args);
        let extra = vec!["--osmand-listen".to_string(), "127.0.0.1:0".to_string()];
        let office = Office::open(&db.location, &extra, dir.path()).await;
        let (service, officer, technician) = (&office.service, &office.officer, &office.technician);
        let osmand = service.osmand.expect("the OsmAnd listener's address");
        let victim = officer
            .ok(
                Method::POST,
                "/api/v1/victims",
                Some(json!({ "contact_name": "Marta Kalna", "device_id": PHONE })),
            )
            .await;
        let proximity = json!({ "proximity": [{ "id": "victim-marta", "victim_id": id(&victim),
                                                "alarm_m": 500.0, "release_m": 700.0 }] });
        let (order, starts) = office.order("K-11/2026", proximity).await;
        technician
            .add_and_fit_tag(TAG, order, &starts.to_rfc3339())
            .await;
        officer.wait_in_force(order, name).await;

        // The client stays at home; the victim's phone comes from the old town to 150 m away.
        let fix = |(lat, lon): (f64, f64)| {
            format!("fix = {{ lat = {lat}, lon = {lon}, accuracy_m = 8 }}")
        };
        let script = |device: u64, kind: &str, reports: &[String]| {
            format!(
                "[[devices]]\nid = {device}\nkind = \"{kind}\"\nreports = [\n{}]\n",
                reports
                    .iter()
                    .map(|r| format!("  {{ {r} }},\n"))
                    .collect::<String>()
            )
        };
        let from = Some(Utc::now() - chrono::TimeDelta::minutes(10));
        let tag = script(
            TAG,
            "gps-tag",
            &[format!(
                "at = \"0m\", until = \"10m\", every = \"30s\", {}",
                fix(HOME)
            )],
        );
        play_script(service, dir.path(), &tag, from);
        let near = (HOME.0 - 0.0013, HOME.1);
        let phone = script(
            PHONE,
            "phone",
            &[
                format!(
                    "at = \"0m\", until = \"5m\", every = \"30s\", {}",
                    fix(OLD_TOWN)
                ),
                format!(
                    "at = \"5m30s\", until = \"10m\", every = \"30s\", {}",
                    fix(near)
                ),
            ],
        );
        let report = play_script_over(dir.path(), &phone, from, &[format!("--osmand={osmand}")]);
        assert_eq!(report["transport"], "osmand", "{report}");

        let alert = office.alert("victim_proximity", name).await;
        assert_eq!(alert["severity"], "critical", "{name}: {alert}");
        let device = technician
            .ok(Method::GET, &format!("/api/v1/devices/{PHONE}"), None)
            .await;
        assert_eq!(device["health"]["last_via"], "osmand", "{name}: {device}");
    }
}
