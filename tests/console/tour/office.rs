//! The office the tour visits, as it might look on a working morning: three probation clients
//! (one in breach, one keeping to their order, one whose tag is not fitted yet), a week of a
//! tag's heartbeats with a silence in it, last night's curfew left for an hour, an exclusion zone
//! entered and a strap opened just now, alerts taken, acknowledged and resolved, an authorised
//! absence, a note, a victim protected by a variation of the order, a department with its own
//! notification settings, a locked-out user, a spare tag and a device nobody registered.

use super::super::*;

/// The second probation client's tag: at home, keeping to their order.
const SECOND_TAG: u64 = 1002;
/// Where the office's second client lives (as `office` registers them).
const SECOND_HOME: (f64, f64) = (56.9388, 24.1375);
/// Where the first client spent an hour of last night's curfew.
const AWAY: (f64, f64) = (56.9563, 24.1215);
/// A tag in stock, on older firmware.
const SPARE_TAG: u64 = 1003;
/// The phone the victim carries.
const VICTIM_PHONE: u64 = 9001;
/// A device that sends frames without being in the inventory.
const STRANGER: u64 = 4242;

/// What the tour needs to find its pages.
pub(super) struct Office {
    /// The service's files, kept until the tour ends.
    pub _dir: tempfile::TempDir,
    pub service: Service,
    pub client: i64,
    pub order: i64,
    /// The exclusion zone's alert, open and nobody's yet.
    pub alert: i64,
    /// The user locked out by wrong passwords.
    pub locked: i64,
    /// A department of Rīga with notification settings of its own.
    pub department: i64,
    pub victim: i64,
}

/// Builds the office on `location`.
pub(super) async fn office_in_use(location: &StoreLocation) -> Office {
    let dir = tempfile::tempdir().expect("dir");
    let (service, client, order) = office(location, dir.path(), &[]).await;
    let base = service.http.clone();
    let admin = Session::login(&base, "admin", PASSWORD).await;
    let officer = Session::login(&base, "ilze.ozola", PASSWORD).await;
    let technician = Session::login(&base, "technician", PASSWORD).await;
    let operator = Session::login(&base, "operator", PASSWORD).await;
    let me = id(&officer.ok(Method::GET, "/api/v1/session", None).await);

    // The second client's tag fitted under their order; a third client without one.
    let second = client_named(&officer, "Kalniņš").await;
    let second_order = order_of(&officer, second).await;
    for (tag, serial, firmware) in [
        (SECOND_TAG, "T-1002", "1.4.2"),
        (SPARE_TAG, "T-1003", "1.3.9"),
    ] {
        technician
            .ok(
                Method::POST,
                "/api/v1/devices",
                Some(
                    json!({ "device_id": tag, "serial": serial, "kind": "gps-tag", "model": "X1",
                             "firmware": firmware, "key": sim_key(1, tag) }),
                ),
            )
            .await;
    }
    technician
        .ok(
            Method::POST,
            &format!("/api/v1/devices/{SECOND_TAG}/fitting"),
            Some(json!({ "order_id": second_order,
                         "at": (Utc::now() - TimeDelta::hours(4)).to_rfc3339() })),
        )
        .await;
    let third = register(
        &officer,
        json!({ "personal_code": "030392-10003", "given_name": "Līga", "family_name": "Ozoliņa",
                "birth_date": "1992-03-03", "officer_id": me, "phone": "+371 20000003" }),
        "Lāčplēša iela 27, Rīga",
        (56.9531, 24.1263),
    )
    .await;
    let starts = Utc::now() - TimeDelta::hours(2);
    officer
        .ok(
            Method::POST,
            "/api/v1/orders",
            Some(json!({
                "client_id": third, "court": COURT, "case_number": "K-9/2026",
                "terms": { "decision_date": starts.date_naive().to_string(),
                           "legal_basis": "conditional_early_release",
                           "starts": starts.to_rfc3339(),
                           "ends": (starts + TimeDelta::days(180)).to_rfc3339(),
                           "curfew": every_night() }
            })),
        )
        .await;
    officer
        .wait_in_force(second_order, "the second order")
        .await;

    // The victim, carrying a phone from the inventory, protected by a variation of the order,
    // and an absence: before the tags' frames, whose breaches a change of the order's terms
    // would supersede (docs/judge.md, "A changed order").
    admin
        .ok(
            Method::POST,
            "/api/v1/devices",
            Some(
                json!({ "device_id": VICTIM_PHONE, "serial": "P-9001", "kind": "gps-tag",
                         "model": "Phone" }),
            ),
        )
        .await;
    let unit = id(&admin.ok(Method::GET, "/api/v1/units", None).await[0]);
    let victim = id(&admin
        .ok(
            Method::POST,
            "/api/v1/victims",
            Some(
                json!({ "contact_name": "Marta Kalna", "contact_phone": "+371 20000001",
                         "device_id": VICTIM_PHONE, "unit_id": unit }),
            ),
        )
        .await);
    let mut terms = officer
        .ok(Method::GET, &format!("/api/v1/orders/{order}"), None)
        .await["terms"]
        .take();
    terms["proximity"] = json!([{ "id": "victim-1", "victim_id": victim, "alarm_m": 500.0,
                                   "release_m": 700.0, "warning_m": 1000.0 }]);
    // By the administrator, as the victims' page does: a victim is in no officer's care.
    admin
        .ok(
            Method::POST,
            &format!("/api/v1/orders/{order}/revisions"),
            Some(json!({ "terms": terms, "reason": "Rīgas pilsētas tiesas lēmums" })),
        )
        .await;
    officer.wait_in_force(order, "the varied order").await;

    // Tomorrow evening at the hospital, excused; and a note of a call.
    let tomorrow = Utc::now() + TimeDelta::days(1);
    officer
        .ok(
            Method::POST,
            "/api/v1/absences",
            Some(json!({ "order_id": order, "from": tomorrow.to_rfc3339(),
                         "until": (tomorrow + TimeDelta::hours(3)).to_rfc3339(),
                         "reason": "hospital", "details": "Ambulatora vizīte" })),
        )
        .await;
    officer
        .ok(
            Method::POST,
            "/api/v1/notes",
            Some(json!({ "client_id": client,
                         "text": "Zvanīju klientam: vakarā bijis pie māsas, to pārbaudīšu." })),
        )
        .await;

    // What the tags sent, and a device nobody registered.
    play_script(&service, dir.path(), &the_week(), None);
    let mut stranger = MqttDevice::connect(service.mqtt_port, STRANGER, None).await;
    stranger.send(&[heartbeat(61)]).await;

    // The alerts as a night shift leaves them: the strap taken and acknowledged, last night's
    // curfew resolved, the zone nobody's yet.
    let alerts = alerts_of(&operator, &["exclusion_zone_entered", "strap_opened"]).await;
    let alert_of = |kind: &str| alerts.iter().find(|a| a["kind"] == kind).map(id);
    let strap = alert_of("strap_opened").expect("the strap's alert");
    operator
        .ok(
            Method::POST,
            &format!("/api/v1/alerts/{strap}/assignment"),
            Some(json!({})),
        )
        .await;
    operator
        .ok(
            Method::POST,
            &format!("/api/v1/alerts/{strap}/acknowledgement"),
            Some(json!({ "note": "Zvanu klientam" })),
        )
        .await;
    if let Some(curfew) = alert_of("absent_during_curfew") {
        operator
            .ok(
                Method::POST,
                &format!("/api/v1/alerts/{curfew}/resolution"),
                Some(json!({ "resolution": "reasonable_excuse",
                             "note": "Bija pie māsas; apstiprināts pa tālruni." })),
            )
            .await;
    }

    // A department with settings of its own, and an officer locked out by wrong passwords.
    let department = id(&admin
        .ok(
            Method::POST,
            "/api/v1/units",
            Some(json!({ "name": "Rīgas Pārdaugavas nodaļa", "parent_id": unit })),
        )
        .await);
    admin
        .ok(
            Method::PUT,
            &format!("/api/v1/units/{department}/alerting"),
            Some(json!({ "channels": ["email"], "escalation_contacts": [id(&operator.ok(Method::GET, "/api/v1/session", None).await)],
                         "escalate_after": { "critical": 120, "high": 600 } })),
        )
        .await;
    let locked = id(&admin
        .ok(
            Method::POST,
            "/api/v1/users",
            Some(
                json!({ "username": "peteris.kalns", "display_name": "Pēteris Kalns",
                         "role": "officer", "unit_id": department, "password": PASSWORD }),
            ),
        )
        .await);
    for _ in 0..5 {
        reqwest::Client::new()
            .post(format!("{base}/api/v1/session"))
            .json(&json!({ "username": "peteris.kalns", "password": "not the password" }))
            .send()
            .await
            .expect("an answer");
    }
    unknown_heard(&admin, STRANGER).await;
    // A signed summary of the first order given out, so that the court's page lists one.
    let riga: rules::schedule::TimeZone = "Europe/Riga".parse().expect("a zone");
    let today = chrono::Utc::now().with_timezone(&riga.0).date_naive();
    let summary = officer
        .http
        .get(format!(
            "{base}/api/v1/orders/{order}/report?from={today}&to={today}&format=pdf"
        ))
        .header(reqwest::header::COOKIE, &officer.cookie)
        .send()
        .await
        .expect("an answer");
    assert_eq!(summary.status(), 200, "a signed summary");
    Office {
        _dir: dir,
        service,
        client,
        order,
        alert: alert_of("exclusion_zone_entered").expect("the zone's alert"),
        locked,
        department,
        victim,
    }
}

/// The first probation client in the officer's care whose family name is `family`.
async fn client_named(officer: &Session, family: &str) -> i64 {
    let clients = officer.ok(Method::GET, "/api/v1/clients", None).await;
    clients
        .as_array()
        .and_then(|all| all.iter().find(|c| c["family_name"] == family))
        .map(id)
        .expect("the client")
}

async fn order_of(officer: &Session, client: i64) -> i64 {
    let orders = officer
        .ok(
            Method::GET,
            &format!("/api/v1/orders?client_id={client}"),
            None,
        )
        .await;
    id(&orders[0])
}

/// The operator's alerts once there is one of each of `kinds`.
async fn alerts_of(operator: &Session, kinds: &[&str]) -> Vec<Value> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let list = operator.ok(Method::GET, "/api/v1/alerts", None).await;
        let list = list.as_array().cloned().unwrap_or_default();
        if kinds.iter().all(|k| list.iter().any(|a| a["kind"] == *k)) {
            return list;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "alerts {kinds:?} never came: {list:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits until the inventory lists `device` among those heard unregistered.
async fn unknown_heard(admin: &Session, device: u64) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let unknown = admin.ok(Method::GET, "/api/v1/devices/unknown", None).await;
        let heard = unknown["devices"]
            .as_array()
            .is_some_and(|d| d.iter().any(|u| u["device_id"] == device));
        if heard {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{device} never heard: {unknown}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The tags' week, as one script of frames in the order they were made: the first client's tag
/// a heartbeat every ten minutes for seven days (the battery running down and charged once, five
/// hours of silence four days ago), last night an hour away from home during the curfew, then
/// home, into the exclusion zone and the strap opened in the last quarter of an hour; the second
/// client's tag at home for the last three hours.
fn the_week() -> String {
    let now = Utc::now();
    let start = now - TimeDelta::days(7);
    let at = |t: chrono::DateTime<Utc>| format!("{}s", (t - start).num_seconds().max(0));
    let fix =
        |(lat, lon): (f64, f64)| format!("fix = {{ lat = {lat}, lon = {lon}, accuracy_m = 9 }}");
    let mut first = Vec::new();
    // Twelve hours at a time, 2 % a half day, charged back to full three and a half days ago.
    for half_day in 0..14 {
        let from = start + TimeDelta::hours(12 * half_day);
        let until =
            (from + TimeDelta::hours(12) - TimeDelta::minutes(10)).min(now - TimeDelta::minutes(2));
        let battery = if half_day < 7 {
            98 - 2 * half_day
        } else {
            100 - 2 * (half_day - 7)
        };
        // The silence: five hours of the sixth half day.
        let (from, until) = if half_day == 6 {
            (from + TimeDelta::hours(5), until)
        } else {
            (from, until)
        };
        first.push(format!(
            "{{ at = \"{}\", until = \"{}\", every = \"10m\", heartbeat = {{ battery_percent = {battery} }} }}",
            at(from),
            at(until)
        ));
    }
    let night = last_night(now);
    for (from, until, place, every) in [
        (night, night + TimeDelta::minutes(30), HOME, "2m"),
        (
            night + TimeDelta::minutes(32),
            night + TimeDelta::minutes(90),
            AWAY,
            "2m",
        ),
        (
            night + TimeDelta::minutes(92),
            night + TimeDelta::minutes(150),
            HOME,
            "2m",
        ),
        (
            now - TimeDelta::minutes(14),
            now - TimeDelta::minutes(7),
            HOME,
            "1m",
        ),
        (
            now - TimeDelta::minutes(6),
            now - TimeDelta::minutes(1),
            ZONE,
            "1m",
        ),
    ] {
        first.push(format!(
            "{{ at = \"{}\", until = \"{}\", every = \"{every}\", {} }}",
            at(from),
            at(until),
            fix(place)
        ));
    }
    first.push(format!(
        "{{ at = \"{}\", event = \"strap_opened\" }}",
        at(now - TimeDelta::seconds(30))
    ));
    let second = [
        format!(
            "{{ at = \"{}\", until = \"{}\", every = \"10m\", {} }}",
            at(now - TimeDelta::hours(3)),
            at(now - TimeDelta::minutes(2)),
            fix(SECOND_HOME)
        ),
        format!(
            "{{ at = \"{}\", until = \"{}\", every = \"10m\", heartbeat = {{ battery_percent = 91 }} }}",
            at(now - TimeDelta::hours(3)),
            at(now - TimeDelta::minutes(2))
        ),
    ];
    format!(
        "start = \"{}\"\n[[devices]]\nid = {TAG}\nkind = \"gps-tag\"\nreports = [\n  {}\n]\n\
         [[devices]]\nid = {SECOND_TAG}\nkind = \"gps-tag\"\nreports = [\n  {}\n]\n",
        start.to_rfc3339(),
        first.join(",\n  "),
        second.join(",\n  ")
    )
}

/// When last night's outing began: 21:00 UTC (23:00 or midnight in Riga, inside the 22:00 to
/// 06:00 curfew), on the last night whose two and a half hours are over and which began after
/// the order did (a day ago); in the first hours of a night, the evening before it instead.
fn last_night(now: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    let latest = now - TimeDelta::minutes(155);
    let nine = latest
        .date_naive()
        .and_hms_opt(21, 0, 0)
        .expect("a time")
        .and_utc();
    let night = if nine <= latest {
        nine
    } else {
        nine - TimeDelta::days(1)
    };
    if night > now - TimeDelta::hours(23) {
        night
    } else {
        latest - TimeDelta::minutes(5)
    }
}
