//! What the end-to-end tests share: the `sargs` service as a child process, devices that speak
//! the tag protocol over MQTT or a serial line, a real Mosquitto, and a real pty pair (socat).
//! Every server listens on a free loopback port of its own.

#![allow(dead_code)] // each test file uses part of this

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use firmware_proto::{
    DeviceKey, DeviceSession, DownlinkEvent, Flags, Header, Message, SessionOptions,
};
use reqwest::Method;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use store::StoreLocation;
use tokio::sync::mpsc;

mod wire;
#[allow(unused_imports)] // each test file uses part of this
pub use wire::*;

pub const SARGS: &str = env!("CARGO_BIN_EXE_sargs");
pub const KEY: DeviceKey = [0x5a; 32];
pub const WAIT: Duration = Duration::from_secs(30);

pub fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// SIGKILL a child process and reap it.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Poll `ready` every 20 ms for up to 10 s; fail the test naming what never happened.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The storage flags for a location.
pub fn storage_flags(location: &StoreLocation) -> Vec<String> {
    match location {
        StoreLocation::DataDir(dir) => vec!["--data-dir".into(), dir.display().to_string()],
        StoreLocation::Url(url) => vec!["--database-url".into(), url.clone()],
    }
}

/// The service started on `location` after the first administrator is made; the
/// administrator signed in, and a unit "Rīga" they made.
pub async fn start_with_admin(
    location: &StoreLocation,
    extra: &[String],
    dir: &Path,
    password: &str,
) -> (Service, Session, i64) {
    add_admin(location, password);
    let service = Service::start(location, extra, dir);
    let base = format!("http://{}", service.http.trim_start_matches("http://"));
    let admin = Session::login(&base, "admin", password).await;
    let unit = id(&admin
        .ok(
            Method::POST,
            "/api/v1/units",
            Some(json!({ "name": "Rīga" })),
        )
        .await);
    (service, admin, unit)
}

/// The first administrator, made on the command line as at installation: `admin`, `password`.
pub fn add_admin(location: &StoreLocation, password: &str) {
    let made = std::process::Command::new(SARGS)
        .args([
            "users",
            "add",
            "--username",
            "admin",
            "--display-name",
            "Admin",
        ])
        .args(["--role", "admin"])
        .args(storage_flags(location))
        .env("SARGS_PASSWORD", password)
        .output()
        .expect("run sargs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
}

/// The seqs stored for device `id`, in order, read through a store of their own.
pub async fn stored_seqs(location: &StoreLocation, id: u64) -> Vec<u32> {
    let store = ingest::store::Telemetry::open_at(location).await.unwrap();
    let mut seqs = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .observations_page(id, i64::MIN, i64::MAX, after, 1000)
            .await
            .unwrap();
        seqs.extend(page.iter().map(|o| o.seq));
        match page.last() {
            Some(last) if page.len() == 1000 => after = Some((last.device_time_ms, last.seq)),
            _ => break,
        }
    }
    store.store().close().await;
    seqs.sort_unstable();
    seqs
}

/// As `admin`: an officer (`officer`, `password`) of `unit`, a probation client of theirs
/// under an order in force since yesterday, and GPS tag `tag` fitted under it by a technician
/// (`technician`). Returns the officer signed in and the order's id.
pub async fn open_case(admin: &Session, unit: i64, tag: u64, password: &str) -> (Session, i64) {
    for (name, role) in [("officer", "officer"), ("technician", "technician")] {
        admin
            .ok(
                Method::POST,
                "/api/v1/users",
                Some(
                    json!({ "username": name, "display_name": format!("{name} of the unit"),
                             "role": role, "unit_id": unit, "password": password }),
                ),
            )
            .await;
    }
    let officer = Session::login(&admin.base, "officer", password).await;
    let me = id(&officer.ok(Method::GET, "/api/v1/session", None).await);
    let client = officer
        .ok(
            Method::POST,
            "/api/v1/clients",
            Some(json!({
                "personal_code": "150585-10101", "given_name": "Anna", "family_name": "Kalniņa",
                "birth_date": "1985-05-15", "language": "lv", "officer_id": me,
                "addresses": [{ "id": "home", "street": "Lāčplēša iela 10, Rīga",
                    "zone": { "type": "circle", "centre": [24.1180, 56.9530], "radius_m": 50.0 } }]
            })),
        )
        .await;
    let starts = chrono::Utc::now() - chrono::TimeDelta::days(1);
    let order = id(&officer
        .ok(
            Method::POST,
            "/api/v1/orders",
            Some(json!({
                "client_id": id(&client), "court": "Rīgas pilsētas tiesa", "case_number": "K-7/2026",
                "terms": { "decision_date": starts.date_naive().to_string(),
                           "legal_basis": "conditional_early_release",
                           "starts": starts.to_rfc3339(),
                           "ends": (starts + chrono::TimeDelta::days(90)).to_rfc3339() }
            })),
        )
        .await);
    let technician = Session::login(&admin.base, "technician", password).await;
    technician
        .add_and_fit_tag(tag, order, &starts.to_rfc3339())
        .await;
    officer.wait_in_force(order, "the order").await;
    (officer, order)
}

/// Run a `sargs` command to completion.
pub fn sargs(args: &[String]) -> std::process::Output {
    Command::new(SARGS)
        .args(args)
        .env_remove("SARGS_DATA_DIR")
        .env_remove("SARGS_DATABASE_URL")
        .output()
        .expect("run sargs")
}

pub fn sargs_ok(args: &[String]) -> String {
    let out = sargs(args);
    assert!(
        out.status.success(),
        "sargs {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn register(location: &StoreLocation, id: u64, kind: &str, key: Option<&DeviceKey>) {
    let mut args: Vec<String> = vec!["devices".into(), "add".into()];
    args.extend(storage_flags(location));
    args.extend(["--id".into(), id.to_string(), "--kind".into(), kind.into()]);
    if let Some(key) = key {
        args.extend(["--key".into(), hex::encode(key)]);
    }
    sargs_ok(&args);
}

/// `sargs serve` as a child process, killed when dropped.
pub struct Service {
    pub child: Child,
    pub mqtt_port: u16,
    pub http: String,
    /// Where Teltonika trackers connect, when started with `--teltonika-listen`.
    pub teltonika: Option<std::net::SocketAddr>,
    /// Where OsmAnd positions go, when started with `--osmand-listen`.
    pub osmand: Option<std::net::SocketAddr>,
    /// Where Traccar forwards, when started with `--traccar-listen`.
    pub traccar: Option<std::net::SocketAddr>,
    pub log: PathBuf,
}

impl Service {
    /// Start with these extra flags and wait for its ready line.
    pub fn start(location: &StoreLocation, extra: &[String], log_dir: &Path) -> Service {
        let log = log_dir.join(format!(
            "serve-{}.log",
            Instant::now().elapsed().as_nanos() ^ u128::from(now_ms())
        ));
        let stderr = std::fs::File::create(&log).expect("log file");
        let mut args = vec!["serve".to_string(), "--http".into(), "127.0.0.1:0".into()];
        args.extend(storage_flags(location));
        args.extend(extra.iter().cloned());
        if !extra
            .iter()
            .any(|a| a == "--mqtt-url" || a == "--mqtt-listen")
        {
            args.extend(["--mqtt-listen".into(), "127.0.0.1:0".into()]);
        }
        let mut child = Command::new(SARGS)
            .args(&args)
            .env("SARGS_LOG", "info,ingest=debug")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn sargs serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("ready line");
        assert!(
            line.starts_with("sargs ready:"),
            "sargs serve did not start: {line}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let field = |name: &str| -> String {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .unwrap_or_default()
                .to_string()
        };
        let mqtt = field("mqtt=");
        let mqtt_port = mqtt
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("mqtt port");
        Service {
            child,
            mqtt_port,
            http: field("http="),
            teltonika: field("teltonika=").parse().ok(),
            osmand: field("osmand=").parse().ok(),
            traccar: field("traccar=").parse().ok(),
            log,
        }
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill9(&mut self) {
        stop(&mut self.child);
    }

    /// SIGTERM, and wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.child.wait().expect("wait for sargs")
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The /metrics counters, by full series name.
    pub async fn metrics(&self) -> HashMap<String, f64> {
        let text = http_get(&format!("{}/metrics", self.http)).await;
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.rsplit_once(' '))
            .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
            .collect()
    }

    pub async fn metric(&self, name: &str) -> f64 {
        self.metrics().await.get(name).copied().unwrap_or(0.0)
    }

    /// Wait until a metric reaches at least `value`.
    pub async fn wait_metric(&self, name: &str, value: f64) {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.metric(name).await;
            if now >= value {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} stayed at {now}, expected {value}\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A minimal HTTP/1.1 GET (no client library needed for /metrics).
pub async fn http_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("connect http");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// Plays a device script (src/simulate/script.rs) to the service's broker with `sargs
/// simulate`, its offsets counted from `start` if given (else from the script's own `start`);
/// returns the simulator's report once every frame is acknowledged.
pub fn play_script(
    service: &Service,
    dir: &Path,
    script: &str,
    start: Option<chrono::DateTime<chrono::Utc>>,
) -> Value {
    let broker = [format!("--mqtt-url=mqtt://127.0.0.1:{}", service.mqtt_port)];
    play_script_over(dir, script, start, &broker)
}

/// [`play_script`] over the transport `flags` name (`--mqtt-url=...`, `--teltonika=...`).
pub fn play_script_over(
    dir: &Path,
    script: &str,
    start: Option<chrono::DateTime<chrono::Utc>>,
    flags: &[String],
) -> Value {
    let path = dir.join(format!("script-{}.toml", now_ms()));
    std::fs::write(&path, script).expect("script");
    let mut args = vec![
        "simulate".to_string(),
        "--devices=0".into(),
        format!("--script={}", path.display()),
        "--duration=2".into(),
        "--json".into(),
    ];
    args.extend(flags.iter().cloned());
    if let Some(start) = start {
        args.push(format!("--script-start={}", start.to_rfc3339()));
    }
    let report: Value = serde_json::from_str(&sargs_ok(&args)).expect("a report");
    assert_eq!(report["lost"], 0, "{report}");
    assert_eq!(report["unacked_at_end"], 0, "every frame stored: {report}");
    report
}

/// An order's curfew at the client's "home": every night, 22:00 to 06:00.
pub fn every_night() -> Value {
    let slots: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|day| json!({ "day": day, "start": "22:00", "end": "06:00" }))
        .collect();
    json!({ "timetable": [{ "address": "home", "slots": slots }] })
}

/// A tag's night from `start`, as it buffered it: a fix a minute, at `home` for half an hour,
/// then an hour at `away`, then home again for an hour; its frames numbered from `first_seq`.
pub fn night_script(
    tag: u64,
    start: chrono::DateTime<chrono::Utc>,
    home: (f64, f64),
    away: (f64, f64),
    first_seq: u32,
) -> String {
    let fix =
        |(lat, lon): (f64, f64)| format!("fix = {{ lat = {lat}, lon = {lon}, accuracy_m = 8 }}");
    format!(
        "start = \"{}\"\n[[devices]]\nid = {tag}\nkind = \"gps-tag\"\nfirst_seq = {first_seq}\nreports = [\n  \
         {{ at = \"0m\", until = \"30m\", every = \"1m\", {} }},\n  \
         {{ at = \"31m\", until = \"90m\", every = \"1m\", {} }},\n  \
         {{ at = \"91m\", until = \"150m\", every = \"1m\", {} }},\n]\n",
        start.to_rfc3339(),
        fix(home),
        fix(away),
        fix(home),
    )
}

/// A signed-in user of the API: a session cookie, as the console holds one.
pub struct Session {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: String,
}

impl Session {
    pub async fn login(base: &str, username: &str, password: &str) -> Session {
        let http = reqwest::Client::new();
        let response = http
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), 200, "{username} signs in");
        let cookie = response
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_string();
        Session {
            http,
            base: base.to_string(),
            cookie,
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie)
            // As the console's pages do: a change with the cookie must say it comes from them.
            .header(reqwest::header::ORIGIN, &self.base);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// A request that must succeed; its answer.
    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.call(method.clone(), path, body).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {answer}"
        );
        answer
    }

    /// As a technician: adds GPS tag `tag` (serial T-1001, the simulator's key with seed 1) to
    /// the inventory and fits it under `order` from `at` (RFC 3339).
    pub async fn add_and_fit_tag(&self, tag: u64, order: i64, at: &str) {
        self.ok(
            Method::POST,
            "/api/v1/devices",
            Some(
                json!({ "device_id": tag, "serial": "T-1001", "kind": "gps-tag", "model": "X1",
                         "firmware": "1.4.2", "key": sim_key(1, tag) }),
            ),
        )
        .await;
        self.ok(
            Method::POST,
            &format!("/api/v1/devices/{tag}/fitting"),
            Some(json!({ "order_id": order, "at": at })),
        )
        .await;
    }

    /// Waits (at most [`WAIT`]) until the live judge has taken `order` up.
    pub async fn wait_in_force(&self, order: i64, what: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let status = self
                .ok(
                    Method::GET,
                    &format!("/api/v1/orders/{order}/monitoring"),
                    None,
                )
                .await;
            if status["in_force"] == true {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: never in force: {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("an id")
}

/// The simulator's key for a device (src/simulate/fleet.rs documents the derivation).
pub fn sim_key(seed: u64, device: u64) -> String {
    let mut hash = Sha256::new();
    hash.update(b"sargs-sim");
    hash.update(seed.to_be_bytes());
    hash.update(device.to_be_bytes());
    hex::encode(hash.finalize())
}
