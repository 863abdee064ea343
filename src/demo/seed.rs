//! What the demo puts in a fresh store so that there is something to look at: a unit with an
//! administrator, an operator, two officers and a technician; three probation clients with
//! orders (a nightly curfew, an exclusion zone) and a tag each; and a script of last night in
//! which one client stays out past the curfew, one walks into their exclusion zone and one keeps
//! to everything. Everything is made through the case records, as the API would make it.

use anyhow::Context;
use cases::{
    Actor, Cases, NewClient, NewInventoryDevice, NewOrder, NewUnit, NewUser, OrderTerms, Role,
};
use chrono::{DateTime, TimeDelta, Utc};
use firmware_proto::DeviceKind;
use ingest::store::register_in;
use rules::Timestamp;
use serde_json::json;

/// Every demo user's password, printed for the person trying the demo.
pub const PASSWORD: &str = "sargs demo password";
/// The court that made the demo's orders, whose user reads them.
const COURT: &str = "Rīgas pilsētas tiesa";

/// A scripted client: where they live, the zone they must keep out of, and what they did.
struct Household {
    code: &'static str,
    given: &'static str,
    family: &'static str,
    street: &'static str,
    home: (f64, f64),
    zone: (f64, f64),
    tag: u64,
    night: Night,
}

#[derive(Clone, Copy)]
enum Night {
    /// Home all night.
    Compliant,
    /// Out from 22:40 to 23:50, away from the zone.
    OutPastCurfew,
    /// Out from 22:20 to 22:50, into the exclusion zone.
    IntoTheZone,
}

const HOUSEHOLDS: [Household; 3] = [
    Household {
        code: "010190-10001",
        given: "Jānis",
        family: "Bērziņš",
        street: "Brīvības iela 101, Rīga",
        home: (56.9622, 24.1339),
        zone: (56.9496, 24.1052),
        tag: 1001,
        night: Night::OutPastCurfew,
    },
    Household {
        code: "020285-10002",
        given: "Andris",
        family: "Kalniņš",
        street: "Maskavas iela 40, Rīga",
        home: (56.9388, 24.1375),
        zone: (56.9470, 24.1150),
        tag: 1002,
        night: Night::IntoTheZone,
    },
    Household {
        code: "150778-10003",
        given: "Dmitrijs",
        family: "Ivanovs",
        street: "Ganību dambis 12, Rīga",
        home: (56.9780, 24.1090),
        zone: (56.9600, 24.1300),
        tag: 1003,
        night: Night::Compliant,
    },
];

/// The client ids made, for the demo to print.
pub struct Seeded {
    pub clients: Vec<(i64, String)>,
    pub orders: Vec<i64>,
}

/// 20:00 UTC yesterday: 22:00 in Riga in winter, 23:00 in summer; in the curfew either way.
pub fn last_night() -> DateTime<Utc> {
    let yesterday = (Utc::now() - TimeDelta::days(1)).date_naive();
    yesterday
        .and_hms_opt(20, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_else(Utc::now)
}

fn fix(lat: f64, lon: f64) -> String {
    format!("fix = {{ lat = {lat}, lon = {lon}, accuracy_m = 8 }}")
}

/// The script of last night for the demo's tags (see src/simulate/script.rs).
pub fn script(night: DateTime<Utc>) -> String {
    let mut text = format!("start = \"{}\"\n", night.to_rfc3339());
    for h in &HOUSEHOLDS {
        let home = fix(h.home.0, h.home.1);
        // Halfway between home and the zone: away, but not in it.
        let away = fix((h.home.0 + h.zone.0) / 2.0, (h.home.1 + h.zone.1) / 2.0);
        let zone = fix(h.zone.0, h.zone.1);
        let reports = match h.night {
            Night::Compliant => vec![format!(
                "{{ at = \"0m\", until = \"180m\", every = \"1m\", {home} }}"
            )],
            Night::OutPastCurfew => vec![
                format!("{{ at = \"0m\", until = \"39m\", every = \"1m\", {home} }}"),
                format!("{{ at = \"40m\", until = \"110m\", every = \"1m\", {away} }}"),
                format!("{{ at = \"111m\", until = \"180m\", every = \"1m\", {home} }}"),
            ],
            Night::IntoTheZone => vec![
                format!("{{ at = \"0m\", until = \"19m\", every = \"1m\", {home} }}"),
                format!("{{ at = \"20m\", until = \"50m\", every = \"1m\", {zone} }}"),
                format!("{{ at = \"51m\", until = \"180m\", every = \"1m\", {home} }}"),
            ],
        };
        text.push_str(&format!(
            "[[devices]]\nid = {}\nkind = \"gps-tag\"\nreports = [\n  {},\n]\n",
            h.tag,
            reports.join(",\n  ")
        ));
    }
    text
}

pub async fn seed(cases: &Cases, night: DateTime<Utc>) -> anyhow::Result<Seeded> {
    let sys = Actor::system("sargs demo");
    let unit = cases
        .create_unit(
            &sys,
            &NewUnit {
                name: "Rīgas teritoriālā struktūrvienība".into(),
                parent_id: None,
            },
        )
        .await?;
    let mut officers = Vec::new();
    for (username, display_name, role) in [
        ("admin", "Administrators", Role::Admin),
        ("operator", "Uzraudzības centrs", Role::Operator),
        ("ilze.ozola", "Ilze Ozola", Role::Officer),
        ("peteris.kalns", "Pēteris Kalns", Role::Officer),
        ("anna.liepa", "Anna Liepa", Role::Supervisor),
        ("technician", "Tehniķis", Role::Technician),
        ("tiesa.riga", COURT, Role::Court),
    ] {
        let needs_unit = matches!(role, Role::Officer | Role::Supervisor);
        let user = cases
            .create_user(
                &sys,
                &NewUser {
                    username: username.into(),
                    display_name: display_name.into(),
                    role,
                    unit_id: needs_unit.then_some(unit.id),
                    court: (role == Role::Court).then(|| COURT.to_string()),
                    password: PASSWORD.into(),
                },
            )
            .await?;
        if role == Role::Officer {
            officers.push(user);
        }
    }
    let starts = night - TimeDelta::days(7);
    let mut seeded = Seeded {
        clients: Vec::new(),
        orders: Vec::new(),
    };
    for (i, h) in HOUSEHOLDS.iter().enumerate() {
        let officer = &officers[i % officers.len()];
        let new: NewClient = serde_json::from_value(json!({
            "personal_code": h.code, "given_name": h.given, "family_name": h.family,
            "birth_date": format!("19{}-{}-{}", &h.code[4..6], &h.code[2..4], &h.code[0..2]),
            "language": "lv", "officer_id": officer.id,
            "addresses": [{ "id": "home", "street": h.street,
                "zone": { "type": "circle", "centre": [h.home.1, h.home.0], "radius_m": 40.0 } }]
        }))
        .context("a demo client")?;
        let client = cases.create_client(&sys, &new).await?;
        let slots: Vec<_> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|day| json!({ "day": day, "start": "22:00", "end": "06:00" }))
            .collect();
        let terms: OrderTerms = serde_json::from_value(json!({
            "decision_date": starts.date_naive().to_string(),
            "legal_basis": "conditional_early_release",
            "starts": starts.to_rfc3339(),
            "ends": (starts + TimeDelta::days(180)).to_rfc3339(),
            "curfew": { "timetable": [{ "address": "home", "slots": slots }] },
            "zones": [{ "id": "exclusion-1", "kind": "exclusion",
                "shape": { "type": "circle", "centre": [h.zone.1, h.zone.0], "radius_m": 150.0 } }],
            "obligations": [{ "kind": "alcohol_ban", "description": "No alcohol" }]
        }))
        .context("demo order terms")?;
        let order = cases
            .create_order(
                &Actor::user(officer, "sargs demo"),
                &NewOrder {
                    client_id: client.id,
                    court: COURT.into(),
                    case_number: format!("K-{}/2026", 100 + i),
                    terms,
                },
            )
            .await?;
        cases
            .add_inventory_device(
                &sys,
                &NewInventoryDevice {
                    device_id: h.tag,
                    serial: format!("T-{}", h.tag),
                    kind: DeviceKind::GpsTag,
                    model: "X1".into(),
                    firmware: Some("1.4.2".into()),
                },
                async |conn| {
                    let tag = [(h.tag, DeviceKind::GpsTag, None)];
                    register_in(conn, &tag, Timestamp::from_utc(starts).0)
                        .await
                        .map(drop)
                },
            )
            .await?;
        cases
            .fit_device(&sys, order.id, h.tag, None, Timestamp::from_utc(starts))
            .await?;
        seeded.clients.push((
            client.id,
            format!("{} {} ({})", h.given, h.family, officer.username),
        ));
        seeded.orders.push(order.id);
    }
    Ok(seeded)
}
