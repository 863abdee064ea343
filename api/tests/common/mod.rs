//! A served API over a fresh database, with a unit of officers, a client under an order, a
//! victim and devices, and a signed-in token for every kind of user.
#![allow(dead_code)] // each test file uses part of this

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use api::ApiState;
use cases::{
    Actor, Cases, NewClient, NewInventoryDevice, NewOrder, NewUnit, NewUser, NewVictim, Role,
};
use firmware_proto::DeviceKind;
use firmware_proto::{Event, EventCode, Flags, Message};
use ingest::store::{DeviceUpdate, ObservationRow, Telemetry, WriteBatch};
use serde_json::{Value, json};
use store::Store;
use store::testing::TestDb;

pub const COURT: &str = "Rīgas pilsētas tiesa";
pub const PASSWORD: &str = "correct horse battery";

pub struct World {
    pub base: String,
    pub http: reqwest::Client,
    /// A bearer token per user name.
    pub tokens: HashMap<&'static str, String>,
    pub users: HashMap<&'static str, i64>,
    /// The two units: Rīga (officers A and B, its supervisor) and Liepāja (its supervisor).
    pub riga: i64,
    pub liepaja: i64,
    pub client: i64,
    pub order: i64,
    pub victim: i64,
    pub device: u64,
    /// An authorised absence under the order.
    pub absence: i64,
    pub alerts: std::sync::Arc<alerts::Alerts>,
    pub store: Store,
    pub telemetry: Telemetry,
    pub _judge: judge::Judge,
    pub _db: TestDb,
}

pub fn client_body(officer: i64, code: &str) -> Value {
    json!({
        "personal_code": code, "given_name": "Jānis", "family_name": "Bērziņš",
        "birth_date": "1990-01-01", "phone": "+371 20000000", "language": "lv",
        "officer_id": officer,
        "addresses": [{ "id": "home", "street": "Brīvības iela 1, Rīga",
            "zone": { "type": "circle", "centre": [24.1052, 56.9496], "radius_m": 50.0 } }]
    })
}

pub fn terms(victim: i64) -> Value {
    json!({
        "decision_date": "2026-11-01",
        "legal_basis": "conditional_early_release",
        "starts": "2026-11-02T00:00:00Z",
        "ends": "2027-05-02T00:00:00Z",
        "curfew": { "timetable": [{ "address": "home", "slots": [
            { "day": "fri", "start": "23:00", "end": "07:00" },
            { "day": "mon", "start": "22:00", "end": "06:00" }
        ] }] },
        "zones": [{ "id": "old-town", "kind": "exclusion",
            "shape": { "type": "polygon", "coordinates": [[[24.10, 56.94], [24.12, 56.94], [24.11, 56.95], [24.10, 56.94]]] } }],
        "proximity": [{ "id": "victim", "victim_id": victim, "alarm_m": 500.0, "release_m": 700.0 }]
    })
}

pub async fn world(db: TestDb) -> World {
    let store = Store::open(&db.location).await.expect("store");
    let telemetry = Telemetry::open(store.clone()).await.expect("telemetry");
    let cases = Cases::open(store.clone()).await.expect("cases");
    report::issued::migrate(&store)
        .await
        .expect("the register of issued summaries");
    let sys = Actor::system("test");
    let riga = cases
        .create_unit(
            &sys,
            &NewUnit {
                name: "Rīga".into(),
                parent_id: None,
            },
        )
        .await
        .expect("unit");
    let liepaja = cases
        .create_unit(
            &sys,
            &NewUnit {
                name: "Liepāja".into(),
                parent_id: None,
            },
        )
        .await
        .expect("unit");
    let people: [(&'static str, Role, Option<i64>, Option<&str>); 9] = [
        ("admin", Role::Admin, None, None),
        ("operator", Role::Operator, None, None),
        ("officer.a", Role::Officer, Some(riga.id), None),
        ("officer.b", Role::Officer, Some(riga.id), None),
        ("supervisor.riga", Role::Supervisor, Some(riga.id), None),
        (
            "supervisor.liepaja",
            Role::Supervisor,
            Some(liepaja.id),
            None,
        ),
        ("technician", Role::Technician, None, None),
        ("court.riga", Role::Court, None, Some(COURT)),
        (
            "court.other",
            Role::Court,
            None,
            Some("Kurzemes rajona tiesa"),
        ),
    ];
    let mut users = HashMap::new();
    let mut tokens = HashMap::new();
    for (name, role, unit, court) in people {
        let user = cases
            .create_user(
                &sys,
                &NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    role,
                    unit_id: unit,
                    court: court.map(str::to_string),
                    password: PASSWORD.into(),
                },
            )
            .await
            .expect("user");
        let token = cases
            .create_api_token(
                &Actor::user(&user, "test"),
                "test",
                chrono::Utc::now().timestamp_millis() + 3_600_000,
            )
            .await
            .expect("token");
        users.insert(name, user.id);
        tokens.insert(name, token.secret);
    }
    let client_new: NewClient =
        serde_json::from_value(client_body(users["officer.a"], "01019012345")).expect("client");
    let client = cases
        .create_client(&sys, &client_new)
        .await
        .expect("client");
    // Tags 1001 and 1002 for clients; 9001 and 9002 for victims.
    for (id, serial) in [
        (1001, "T-1001"),
        (1002, "T-1002"),
        (9001, "V-9001"),
        (9002, "V-9002"),
    ] {
        cases
            .add_inventory_device(
                &sys,
                &NewInventoryDevice {
                    device_id: id,
                    serial: serial.into(),
                    kind: DeviceKind::GpsTag,
                    model: "X1".into(),
                    firmware: Some("1.0".into()),
                },
                async |conn| {
                    let device = [(id, DeviceKind::GpsTag, None)];
                    ingest::store::register_in(conn, &device, 0).await.map(drop)
                },
            )
            .await
            .expect("device");
    }
    let victim = cases
        .create_victim(
            &sys,
            &NewVictim {
                contact_name: "A. K.".into(),
                contact_phone: None,
                device_id: Some(9001),
                unit_id: Some(riga.id),
            },
        )
        .await
        .expect("victim");
    let order = cases
        .create_order(
            &sys,
            &NewOrder {
                client_id: client.id,
                court: COURT.into(),
                case_number: "K-1/2026".into(),
                terms: serde_json::from_value(terms(victim.id)).expect("terms"),
            },
        )
        .await
        .expect("order");
    cases
        .fit_device(
            &sys,
            order.id,
            1001,
            None,
            "2026-11-02T10:00:00Z".parse().expect("time"),
        )
        .await
        .expect("fitted");

    let officer = cases.user(users["officer.a"]).await.expect("officer");
    let absence = cases
        .add_absence(
            &Actor::user(&officer, "test"),
            &serde_json::from_value(json!({
                "order_id": order.id, "from": "2026-11-10T20:00:00Z",
                "until": "2026-11-11T02:00:00Z", "reason": "work"
            }))
            .expect("an absence"),
        )
        .await
        .expect("absence")
        .id;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let addr = listener.local_addr().expect("address");
    let judge = judge::Judge::start(
        store.clone(),
        judge::JudgeOptions {
            cases: Some(cases.clone()),
            ..judge::JudgeOptions::default()
        },
    )
    .await
    .expect("judge");
    let alerts = std::sync::Arc::new(
        alerts::Alerts::start(
            store.clone(),
            cases.clone(),
            alerts::AlertsOptions {
                judge_steps: Some(judge.watch_steps()),
                ..alerts::AlertsOptions::default()
            },
        )
        .await
        .expect("alerts"),
    );
    let store_for_tests = store.clone();
    let app = api::router(ApiState {
        cases,
        store,
        telemetry: telemetry.clone(),
        alerts: Some(alerts.clone()),
        // No writer takes commands here: a LOCATE_NOW is refused as not sent (422), as when
        // the tag cannot be reached.
        downlink: Some(ingest::Downlink::channel(1).0),
        secure_cookies: false,
        sign_in: Default::default(),
        signing: std::sync::Arc::new(
            report::seal::SigningKey::generate("sargs test", 0)
                .expect("a signing key")
                .0,
        ),
    })
    .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    World {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        tokens,
        users,
        riga: riga.id,
        liepaja: liepaja.id,
        client: client.id,
        order: order.id,
        victim: victim.id,
        device: 1001,
        absence,
        alerts,
        store: store_for_tests,
        telemetry,
        _judge: judge,
        _db: db,
    }
}

/// Frame `seq` of `device` carrying `message`, sent and received at `at`, as the ingest writer
/// stores it: the frame's bytes and its header's fields.
pub fn stored_frame(device: u64, seq: u32, at: i64, message: &Message) -> ObservationRow {
    testkit::stored_row(device, seq, Flags::empty(), at, at, message)
}

/// Stores `frames` of `device` (each its seq, device time and message) as the ingest writer
/// would, registering the device first if it is not yet.
pub async fn store_frames(
    store: &Telemetry,
    device: u64,
    frames: &[(u32, i64, firmware_proto::Message)],
) {
    let now = chrono::Utc::now().timestamp_millis();
    store
        .register_devices(&[(device, DeviceKind::GpsTag, None)], now)
        .await
        .expect("registered");
    let observations = frames
        .iter()
        .map(|(seq, at, message)| stored_frame(device, *seq, *at, message))
        .collect();
    let last = frames
        .iter()
        .map(|(seq, at, _)| (*seq, *at))
        .max()
        .unwrap_or((0, now));
    store
        .write_batch(&ingest::store::WriteBatch {
            observations,
            devices: vec![ingest::store::DeviceUpdate {
                id: device,
                acked_through: last.0,
                down_seq: 0,
                last_seen_ms: last.1,
                last_via: std::sync::Arc::from("mqtt"),
                clock_offset_ms: None,
                clock_skewed: None,
            }],
            ..ingest::store::WriteBatch::default()
        })
        .await
        .expect("committed");
}

/// The strap of tag 1001 opens now, as the ingest writer would store it.
pub async fn strap_opened(w: &World) {
    let now = chrono::Utc::now().timestamp_millis();
    let message = firmware_proto::Message::Event(firmware_proto::Event {
        code: firmware_proto::EventCode::StrapOpened,
        value: 0,
    });
    store_frames(&w.telemetry, 1001, &[(1, now, message)]).await;
}

/// Reads the feed until it holds `needle`, or `patience` passes; what it read.
pub async fn read_until(
    feed: &mut reqwest::Response,
    needle: &str,
    patience: std::time::Duration,
) -> String {
    let mut text = String::new();
    let _ = tokio::time::timeout(patience, async {
        while !text.contains(needle) {
            match feed.chunk().await {
                Ok(Some(chunk)) => text.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return,
            }
        }
    })
    .await;
    text
}

/// The data of each event in a feed's text.
pub fn events(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect()
}

impl World {
    /// Signs `user` in with their password: the session cookie, as `name=value`.
    pub async fn sign_in(&self, user: &str) -> String {
        let response = self
            .http
            .post(format!("{}/api/v1/session", self.base))
            .json(&json!({ "username": user, "password": PASSWORD }))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), 200, "{user} signs in");
        response
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_string()
    }

    /// A GET as `user`, the answer as it came: for its headers or a body that is not JSON.
    pub async fn get_as(&self, user: &str, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[user])
            .send()
            .await
            .expect("an answer")
    }

    /// A request as `user` (None: not signed in); the status and the JSON answer.
    pub async fn call(
        &self,
        user: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(user) = user {
            request = request.bearer_auth(&self.tokens[user]);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let streaming = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
        if streaming {
            // The live feed never ends: its status is the answer.
            return (status, Value::Null);
        }
        let text = response.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

/// Tag 1001 sends event `code` now as its frame `seq`, stored as the ingest writer would store it
/// (the device registered first if it is not yet).
pub async fn tag_event(w: &World, seq: u32, code: EventCode) {
    let now = chrono::Utc::now().timestamp_millis();
    w.telemetry
        .register_devices(&[(1001, DeviceKind::GpsTag, None)], now)
        .await
        .expect("registered");
    let message = Message::Event(Event { code, value: 0 });
    let row = stored_frame(1001, seq, now, &message);
    w.telemetry
        .write_batch(&WriteBatch {
            observations: vec![row],
            devices: vec![DeviceUpdate {
                id: 1001,
                acked_through: seq,
                down_seq: 0,
                last_seen_ms: now,
                last_via: Arc::from("mqtt"),
                clock_offset_ms: None,
                clock_skewed: None,
            }],
            ..WriteBatch::default()
        })
        .await
        .expect("committed");
}
