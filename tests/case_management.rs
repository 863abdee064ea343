//! The whole service as a probation service uses it, on SQLite and PostgreSQL: an administrator
//! (made on the command line) signs in and makes a unit, two officers and a technician; the
//! officer registers a probation client and records an order with a curfew and an exclusion
//! zone; the technician adds a tag with its key and fits it; the simulator plays the tag through
//! a night on which the client leaves home during the curfew and walks into the zone; and the
//! officer reads the breach episodes through the API. The other officer is refused.

mod common;

use std::time::{Duration, Instant};

use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use store::StoreLocation;
use store::testing::test_databases;

const TAG: u64 = 1001;
const HOME: (f64, f64) = (56.9496, 24.1052);
const OLD_TOWN: (f64, f64) = (56.9600, 24.1300);

/// The service and its signed-in people, with the client and order they work on.
struct Office {
    service: Service,
    officer: Session,
    other: Session,
    technician: Session,
    client: i64,
    order: i64,
    /// 20:00 UTC two days ago: in the curfew in Riga in any season.
    night: DateTime<Utc>,
}

impl Office {
    /// Killed without warning, then started again on the same storage; the people's sessions
    /// are in the database and go on.
    fn restart(&mut self, location: &StoreLocation, dir: &Path) {
        self.service.kill9();
        self.service = Service::start(location, &[], dir);
        let base = format!("http://{}", self.service.http.trim_start_matches("http://"));
        for session in [&mut self.officer, &mut self.other, &mut self.technician] {
            session.base = base.clone();
        }
    }

    fn episodes_path(&self, night: DateTime<Utc>) -> String {
        format!(
            "/api/v1/clients/{}/episodes?from={}&to={}",
            self.client,
            (night - TimeDelta::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
            (night + TimeDelta::hours(4)).format("%Y-%m-%dT%H:%M:%SZ"),
        )
    }
}

/// An office set up as people would: an administrator made on the command line signs in and
/// makes a unit, two officers and a technician; the first officer registers a client and
/// records an order with a nightly curfew and an exclusion zone; the technician adds the tag
/// with its key and fits it; the live judge takes the order up.
async fn set_up(name: &str, location: &StoreLocation, dir: &Path) -> Office {
    let admin_password = "a long chairperson passphrase";
    add_admin(location, admin_password);
    let service = Service::start(location, &[], dir);
    let base = format!("http://{}", service.http.trim_start_matches("http://"));

    // The administrator sets up a unit and its people.
    let admin = Session::login(&base, "admin", admin_password).await;
    let unit = admin
        .ok(
            Method::POST,
            "/api/v1/units",
            Some(json!({ "name": "Rīga" })),
        )
        .await;
    let mut people = std::collections::HashMap::new();
    for (username, role) in [
        ("ilze.ozola", "officer"),
        ("peteris.kalns", "officer"),
        ("technician", "technician"),
    ] {
        let unit_id = (role == "officer").then(|| id(&unit));
        let user = admin
            .ok(
                Method::POST,
                "/api/v1/users",
                Some(
                    json!({ "username": username, "display_name": username, "role": role,
                             "unit_id": unit_id, "password": "correct horse battery" }),
                ),
            )
            .await;
        people.insert(username, id(&user));
    }
    let officer = Session::login(&base, "ilze.ozola", "correct horse battery").await;
    let other = Session::login(&base, "peteris.kalns", "correct horse battery").await;
    let technician = Session::login(&base, "technician", "correct horse battery").await;

    // The night: two days ago at 20:00 UTC, which is in the curfew in Riga in any season.
    let night = (Utc::now() - TimeDelta::days(2))
        .date_naive()
        .and_hms_opt(20, 0, 0)
        .expect("a time")
        .and_utc();
    let starts = night - TimeDelta::days(3);
    let client = officer
        .ok(
            Method::POST,
            "/api/v1/clients",
            Some(json!({
                "personal_code": "010190-12345", "given_name": "Jānis", "family_name": "Bērziņš",
                "birth_date": "1990-01-01", "language": "lv", "officer_id": people["ilze.ozola"],
                "addresses": [{ "id": "home", "street": "Brīvības iela 1, Rīga",
                    "zone": { "type": "circle", "centre": [HOME.1, HOME.0], "radius_m": 50.0 } }]
            })),
        )
        .await;
    let order = officer
        .ok(
            Method::POST,
            "/api/v1/orders",
            Some(json!({
                "client_id": id(&client), "court": "Rīgas pilsētas tiesa", "case_number": "K-1/2026",
                "terms": {
                    "decision_date": starts.date_naive().to_string(),
                    "legal_basis": "conditional_early_release",
                    "starts": starts.to_rfc3339(),
                    "ends": (night + TimeDelta::days(90)).to_rfc3339(),
                    "curfew": every_night(),
                    "zones": [{ "id": "old-town", "kind": "exclusion",
                        "shape": { "type": "circle", "centre": [OLD_TOWN.1, OLD_TOWN.0], "radius_m": 200.0 } }]
                }
            })),
        )
        .await;
    let order_id = id(&order);

    // The technician adds the tag with its key and fits it.
    technician
        .add_and_fit_tag(TAG, order_id, &starts.to_rfc3339())
        .await;
    // The live judge takes the order up at once; wait until it says so.
    officer.wait_in_force(order_id, name).await;
    Office {
        service,
        officer,
        other,
        technician,
        client: id(&client),
        order: order_id,
        night,
    }
}

/// The tag's night from `start`, as it buffered it: home from 22:00, out at 22:31 into the old
/// town, back home at 23:31 (local, winter), sent now, as a tag sends after a coverage gap;
/// its frames numbered from `first_seq`. Returns when every frame is stored.
fn play_night(service: &Service, dir: &Path, start: DateTime<Utc>, first_seq: u32) {
    let script = night_script(TAG, start, HOME, OLD_TOWN, first_seq);
    let report = play_script(service, dir, &script, None);
    assert_eq!(report["recorded"], 152, "HELLO and 151 fixes: {report}");
}

/// The client's episodes over a night, once `done` says they are all there.
async fn episodes_of(
    o: &Office,
    night: DateTime<Utc>,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let range = o.episodes_path(night);
    let deadline = Instant::now() + WAIT;
    loop {
        let episodes = o.officer.ok(Method::GET, &range, None).await;
        let list = episodes.as_array().cloned().unwrap_or_default();
        if done(&list) {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "episodes so far: {episodes}\n{}",
            o.service.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Both breaches of a night are in, and closed.
fn both_closed(list: &[Value]) -> bool {
    let kinds: Vec<&str> = list
        .iter()
        .filter(|e| e["state"] == "closed")
        .filter_map(|e| e["condition"]["condition"].as_str())
        .collect();
    kinds.contains(&"curfew") && kinds.contains(&"zone")
}

#[tokio::test]
async fn an_officer_reads_the_breaches_of_a_scripted_night() {
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("temp dir");
        let o = set_up(name, &db.location, dir.path()).await;
        let (officer, other, technician, night) = (&o.officer, &o.other, &o.technician, o.night);
        let order_id = o.order;
        play_night(&o.service, dir.path(), night, 1);
        let range = o.episodes_path(night);
        let episodes = Value::Array(episodes_of(&o, night, both_closed).await);
        let order_now = officer
            .ok(Method::GET, &format!("/api/v1/orders/{order_id}"), None)
            .await;
        for episode in episodes.as_array().into_iter().flatten() {
            assert_eq!(episode["order_id"], order_id);
            assert_eq!(episode["policy_revision"], order_now["policy_revision"]);
            assert!(
                episode["evidence"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty()),
                "{episode}"
            );
        }
        let zone = episodes
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["condition"]["condition"] == "zone")
            .expect("a zone episode");
        assert_eq!(zone["condition"]["id"], "old-town", "{zone}");

        // The technician sees the tag's health, but not where its wearer was.
        let device = technician
            .ok(Method::GET, &format!("/api/v1/devices/{TAG}"), None)
            .await;
        assert_eq!(device["device"]["status"], "fitted", "{device}");
        assert!(device["health"]["last_seen"].is_string(), "{device}");
        assert_eq!(
            device["health"]["clock_skewed"], false,
            "buffered, not skewed: {device}"
        );
        let frames = technician
            .ok(
                Method::GET,
                &format!(
                    "/api/v1/devices/{TAG}/observations?from={}&to={}",
                    night.format("%Y-%m-%dT%H:%M:%SZ"),
                    (night + TimeDelta::hours(3)).format("%Y-%m-%dT%H:%M:%SZ"),
                ),
                None,
            )
            .await;
        // The night's frames are all fixes: a technician is given none of them (docs/api.md).
        let frames = frames.as_array().expect("a list");
        assert!(
            frames
                .iter()
                .all(|f| f["type"] != "location" && f["fields"].get("lat").is_none()),
            "no fix reaches a technician: {frames:?}"
        );
        let fixes = officer
            .ok(
                Method::GET,
                &format!(
                    "/api/v1/devices/{TAG}/observations?from={}&to={}",
                    night.format("%Y-%m-%dT%H:%M:%SZ"),
                    (night + TimeDelta::hours(3)).format("%Y-%m-%dT%H:%M:%SZ"),
                ),
                None,
            )
            .await;
        assert_eq!(
            fixes.as_array().map(Vec::len),
            Some(151),
            "every scripted fix"
        );
        assert!(
            fixes[0]["fields"]["lat"].is_number(),
            "the officer sees where: {}",
            fixes[0]
        );

        // The other officer, and the technician, are refused the same request.
        let (status, _) = other.call(Method::GET, &range, None).await;
        assert_eq!(status, 403, "{name}");
        let (status, _) = technician.call(Method::GET, &range, None).await;
        assert_eq!(status, 403);
        let (status, _) = other
            .call(Method::GET, &format!("/api/v1/clients/{}", o.client), None)
            .await;
        assert_eq!(status, 403);

        // Everything above is in an unbroken audit log.
        let mut flags = storage_flags(&db.location);
        flags.insert(0, "verify".into());
        flags.insert(0, "audit".into());
        let verified = sargs_ok(&flags);
        assert!(verified.contains("entries checked"), "{verified}");
    }
}

/// What an episode says, without when the judge last wrote it.
fn told(episodes: &[Value]) -> Vec<Value> {
    episodes
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let Some(map) = e.as_object_mut() {
                map.remove("updated");
            }
            e
        })
        .collect()
}

#[tokio::test]
async fn a_restart_loses_no_episode_and_raises_none_twice() {
    for db in test_databases().await {
        let name = db.name;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut o = set_up(name, &db.location, dir.path()).await;
        let first = o.night - TimeDelta::days(1);
        play_night(&o.service, dir.path(), first, 1);
        let before = episodes_of(&o, first, both_closed).await;

        o.restart(&db.location, dir.path());
        let (status, _) = o.officer.call(Method::GET, "/api/v1/session", None).await;
        assert_eq!(status, 200, "{name}: the session outlives the restart");
        // The tag goes on after its last frame (152 of them: HELLO and 151 fixes).
        play_night(&o.service, dir.path(), o.night, 153);
        let second = episodes_of(&o, o.night, both_closed).await;
        let after = episodes_of(&o, first, both_closed).await;
        assert_eq!(
            told(&after),
            told(&before),
            "{name}: the first night as it was told"
        );

        let ids = |list: &[Value]| -> Vec<u64> {
            list.iter()
                .filter_map(|e| e["episode_id"].as_u64())
                .collect()
        };
        let (old, new) = (ids(&before), ids(&second));
        let newest_old = old.iter().max().copied().unwrap_or(0);
        assert!(
            new.iter().all(|id| *id > newest_old),
            "{name}: {old:?} then {new:?}"
        );
        let breaches = |list: &[Value]| {
            list.iter()
                .filter(|e| e["condition"]["condition"] != "device")
                .count()
        };
        assert_eq!(
            (breaches(&before), breaches(&second)),
            (2, 2),
            "{name}: none twice"
        );
    }
}
