//! The case records on SQLite and on PostgreSQL (when `SARGS_TEST_DATABASE_URL` names a
//! server): a unit, an officer, a client with a curfew address, an order with a curfew, zones
//! and victim proximity, devices fitted and removed, an absence, a variation; and the policy the
//! rules engine gets from them. Bad requests name the field and leave nothing written.

use cases::{
    Actor, Cases, CasesError, DeviceStatus, NewAbsence, NewClient, NewInventoryDevice, NewNote,
    NewOrder, NewUser, NewVictim, OrderStatus, OrderTerms, Role,
};
use common::with_officer;
use firmware_proto::DeviceKind;
use rules::Timestamp;
use store::Store;
use store::testing::test_databases;

mod inventory;
mod kinds;
mod policy;
mod refusals;
mod search;
mod variation;

#[path = "../common/mod.rs"]
mod common;

fn at(text: &str) -> Timestamp {
    text.parse().expect("a time")
}

fn client_json(officer: i64, code: &str) -> NewClient {
    serde_json::from_value(serde_json::json!({
        "personal_code": code,
        "given_name": "Jānis",
        "family_name": "Bērziņš",
        "birth_date": "1990-01-01",
        "phone": "+371 20000000",
        "language": "lv",
        "officer_id": officer,
        "addresses": [{ "id": "home", "street": "Brīvības iela 1, Rīga",
                        "zone": { "type": "circle", "centre": [24.1052, 56.9496], "radius_m": 50.0 } }]
    }))
    .expect("a client request")
}

fn terms(victim: i64) -> OrderTerms {
    serde_json::from_value(serde_json::json!({
        "decision_date": "2026-11-01",
        "legal_basis": "conditional_early_release",
        "starts": "2026-11-02T00:00:00Z",
        "ends": "2027-05-02T00:00:00Z",
        "curfew": { "timetable": [{ "address": "home", "slots": [
            { "day": "mon", "start": "22:00", "end": "06:00" },
            { "day": "tue", "start": "22:00", "end": "06:00" }
        ] }] },
        "zones": [{ "id": "old-town", "kind": "exclusion",
                    "shape": { "type": "circle", "centre": [24.1300, 56.9600], "radius_m": 200.0 } }],
        "proximity": [{ "id": "victim", "victim_id": victim, "alarm_m": 500.0, "release_m": 700.0 }],
        "obligations": [{ "kind": "programme", "description": "Attend the anger management programme" }]
    }))
    .expect("order terms")
}

fn fields(result: Result<impl std::fmt::Debug, CasesError>) -> Vec<String> {
    match result {
        Err(CasesError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

/// The fields of a request the records' state refused (a conflict, not an invalid value).
fn conflicts(result: Result<impl std::fmt::Debug, CasesError>) -> Vec<String> {
    match result {
        Err(CasesError::Conflict(errors)) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn sys() -> Actor {
    Actor::system("cases test")
}

/// Adds devices to the inventory: id, serial, kind.
async fn add_devices(cases: &Cases, devices: &[(u64, &str, DeviceKind)]) {
    for (id, serial, kind) in devices {
        cases
            .add_inventory_device(
                &sys(),
                &NewInventoryDevice {
                    device_id: *id,
                    serial: (*serial).into(),
                    kind: *kind,
                    model: "X1".into(),
                    firmware: Some("1.0".into()),
                },
                async |_| Ok(()),
            )
            .await
            .expect("inventory");
    }
}

struct World {
    cases: Cases,
    officer: i64,
    by_officer: Actor,
    client: i64,
    victim: i64,
}

async fn world(store: Store) -> World {
    let (cases, officer) = with_officer(store).await;
    let client = cases
        .create_client(&sys(), &client_json(officer.id, "01019012345"))
        .await
        .expect("client");
    // The victims' devices: a victim may carry only a device the inventory knows.
    add_devices(
        &cases,
        &[
            (9001, "V-9001", DeviceKind::GpsTag),
            (9002, "V-9002", DeviceKind::GpsTag),
        ],
    )
    .await;
    let unknown_device = cases
        .create_victim(
            &sys(),
            &NewVictim {
                contact_name: "Anna".into(),
                contact_phone: None,
                device_id: Some(9999),
                unit_id: officer.unit_id,
            },
        )
        .await;
    assert_eq!(fields(unknown_device), vec!["device_id"]);
    let victim = cases
        .create_victim(
            &sys(),
            &NewVictim {
                contact_name: "Anna".into(),
                contact_phone: None,
                device_id: Some(9001),
                unit_id: officer.unit_id,
            },
        )
        .await
        .expect("victim");
    assert_eq!(victim.unit_id, officer.unit_id);
    World {
        cases,
        officer: officer.id,
        by_officer: Actor::user(&officer, "127.0.0.1"),
        client: client.id,
        victim: victim.id,
    }
}

/// The inventory pages through every device in the wire's unsigned order, those with ids above
/// i64::MAX (stored negative) last: none is left off every page.
#[tokio::test]
async fn the_inventory_lists_every_device_id_a_page_at_a_time() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store).await;
        let cases = &w.cases;
        let ids = [u64::MAX, 1u64 << 63, 7, i64::MAX as u64, 1];
        let devices: Vec<(u64, String)> = ids.iter().map(|id| (*id, format!("S-{id}"))).collect();
        for (id, serial) in &devices {
            add_devices(cases, &[(*id, serial, DeviceKind::GpsTag)]).await;
        }
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = cases
                .inventory(&cases::InventoryFilter::default(), after, 2)
                .await
                .expect("a page");
            let Some(last) = page.last() else { break };
            after = last.device_id;
            seen.extend(page.iter().map(|d| d.device_id));
        }
        // With the victims' two devices the world has already.
        let mut wanted = ids.to_vec();
        wanted.extend([9001, 9002]);
        wanted.sort();
        assert_eq!(seen, wanted, "{}", db.name);
    }
}
