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

#[tokio::test]
async fn an_order_becomes_the_policy_the_engine_judges_by() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store).await;
        let cases = &w.cases;
        let order = cases
            .create_order(
                &w.by_officer,
                &NewOrder {
                    client_id: w.client,
                    court: "Rīgas pilsētas tiesa".into(),
                    case_number: "K-1/2026".into(),
                    terms: terms(w.victim),
                },
            )
            .await
            .expect("order");
        assert_eq!(
            (order.revision, order.policy_revision, order.status),
            (1, 1, OrderStatus::Active)
        );
        // No tag fitted: nothing to judge yet.
        assert_eq!(
            cases.policy(order.id).await.expect("policy"),
            None,
            "{}",
            db.name
        );

        add_devices(
            cases,
            &[
                (1001, "T-1001", DeviceKind::GpsTag),
                (5001, "H-5001", DeviceKind::HomeUnit),
            ],
        )
        .await;
        cases
            .fit_device(&sys(), order.id, 1001, None, at("2026-11-02T10:00:00Z"))
            .await
            .expect("tag fitted");
        cases
            .fit_device(
                &sys(),
                order.id,
                5001,
                Some("home"),
                at("2026-11-02T10:05:00Z"),
            )
            .await
            .expect("home unit fitted");
        cases
            .add_absence(
                &w.by_officer,
                &NewAbsence {
                    order_id: order.id,
                    from: at("2026-11-02T21:00:00Z"),
                    until: at("2026-11-03T01:00:00Z"),
                    reason: rules::schedule::AbsenceReason::Work,
                    details: "night shift".into(),
                },
            )
            .await
            .expect("absence");

        let policy = cases
            .policy(order.id)
            .await
            .expect("policy")
            .expect("a tag is fitted");
        assert_eq!(policy.client, w.client as u64);
        assert_eq!(policy.revision, 4, "made, two fittings, an absence");
        assert_eq!(
            policy.devices.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![1001, 5001]
        );
        assert_eq!(policy.addresses[0].home_unit, Some(5001));
        assert_eq!(policy.proximity[0].victim_device, 9001);
        assert_eq!(policy.curfew.as_ref().map(|c| c.absences.len()), Some(1));
        policy.compile().expect("the policy compiles");

        // An absence called off stays on record and excuses nothing.
        let second = cases
            .add_absence(
                &w.by_officer,
                &NewAbsence {
                    order_id: order.id,
                    from: at("2026-11-09T21:00:00Z"),
                    until: at("2026-11-10T01:00:00Z"),
                    reason: rules::schedule::AbsenceReason::Work,
                    details: "night shift".into(),
                },
            )
            .await
            .expect("absence");
        let cancelled = cases
            .cancel_absence(&w.by_officer, second.id)
            .await
            .expect("cancelled");
        assert!(cancelled.cancelled_ms.is_some());
        assert_eq!(cancelled.cancelled_by, Some(w.officer));
        assert_eq!(
            conflicts(cases.cancel_absence(&w.by_officer, second.id).await),
            vec!["absence"]
        );
        assert_eq!(cases.absences(order.id).await.expect("absences").len(), 2);
        // The victim's new device is what the proximity condition watches.
        cases
            .update_victim(
                &sys(),
                w.victim,
                &cases::VictimChange {
                    device_id: Some(9002),
                    ..Default::default()
                },
            )
            .await
            .expect("victim changed");
        let policy = cases
            .policy(order.id)
            .await
            .expect("policy")
            .expect("a tag is fitted");
        assert_eq!(
            policy.revision, 7,
            "an absence, its cancellation, a victim's device"
        );
        assert_eq!(policy.curfew.as_ref().map(|c| c.absences.len()), Some(1));
        assert_eq!(policy.proximity[0].victim_device, 9002);
        // The change of device is on record with the old and the new one.
        let log = cases.audit_entries(0, 1000).await.expect("audit");
        let subject = format!("victim/{}", w.victim);
        assert!(
            log.iter()
                .any(|e| e.subject == subject && e.detail == "device_id 9001 -> 9002"),
            "{log:?}"
        );

        // A variation adds a revision and keeps the old one.
        let mut varied = terms(w.victim);
        varied.zones.clear();
        let order = cases
            .vary_order(
                &w.by_officer,
                order.id,
                &varied,
                "court decision of 2026-12-01",
            )
            .await
            .expect("varied");
        assert_eq!((order.revision, order.policy_revision), (2, 8));
        let revisions = cases.order_revisions(order.id).await.expect("revisions");
        assert_eq!(revisions.len(), 2);
        assert_eq!(revisions[0].terms.zones.len(), 1);
        assert!(
            cases
                .policy(order.id)
                .await
                .expect("policy")
                .expect("fitted")
                .zones
                .is_empty()
        );

        // Suspended: nothing judged. Removing the tag: nothing judged either.
        cases
            .set_order_status(&sys(), order.id, OrderStatus::Suspended)
            .await
            .expect("suspended");
        assert_eq!(cases.policy(order.id).await.expect("policy"), None);
        cases
            .set_order_status(&sys(), order.id, OrderStatus::Active)
            .await
            .expect("resumed");
        cases
            .remove_device(
                &sys(),
                1001,
                at("2026-12-02T10:00:00Z"),
                DeviceStatus::Faulty,
            )
            .await
            .expect("removed");
        assert_eq!(cases.policy(order.id).await.expect("policy"), None);
        assert_eq!(
            cases.inventory_device(1001).await.expect("device").status,
            DeviceStatus::Faulty
        );
        let fitted = cases.assignments(order.id).await.expect("assignments");
        assert_eq!(fitted.len(), 2);
        assert_eq!(fitted[0].removed, Some(at("2026-12-02T10:00:00Z")));

        cases
            .add_note(
                &w.by_officer,
                &NewNote {
                    client_id: w.client,
                    text: "Visited at home.".into(),
                },
            )
            .await
            .expect("note");
        assert_eq!(cases.notes(w.client).await.expect("notes").len(), 1);

        // Ended: final.
        cases
            .set_order_status(&sys(), order.id, OrderStatus::Ended)
            .await
            .expect("ended");
        assert_eq!(
            conflicts(
                cases
                    .set_order_status(&sys(), order.id, OrderStatus::Active)
                    .await
            ),
            vec!["status"]
        );
        assert_eq!(
            conflicts(cases.vary_order(&sys(), order.id, &varied, "again").await),
            vec!["status"]
        );
    }
}

#[tokio::test]
async fn bad_requests_name_the_field_and_write_nothing() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store).await;
        let cases = &w.cases;

        // A duplicate personal code, however written.
        assert_eq!(
            conflicts(
                cases
                    .create_client(&sys(), &client_json(w.officer, "010190-12345"))
                    .await
            ),
            vec!["personal_code"]
        );
        let mut bad = client_json(w.officer, "02029012345");
        bad.given_name = " ".into();
        bad.phone = Some("call me".into());
        bad.addresses[0].zone = serde_json::from_value(serde_json::json!({
            "type": "polygon", "coordinates": [[[24.0, 56.0], [24.1, 56.1], [24.1, 56.0], [24.0, 56.1], [24.0, 56.0]]]
        }))
        .expect("a shape");
        assert_eq!(
            fields(cases.create_client(&sys(), &bad).await),
            vec!["given_name", "phone", "addresses[0].zone"]
        );
        assert_eq!(
            fields(
                cases
                    .create_client(&sys(), &client_json(w.client + 1000, "03039012345"))
                    .await
            ),
            vec!["officer_id"]
        );
        assert_eq!(
            cases
                .clients(None, None, 0, 100)
                .await
                .expect("clients")
                .len(),
            1,
            "{}",
            db.name
        );

        // An order ending before it starts; an unknown victim; a curfew at no address.
        let mut t = terms(w.victim);
        t.ends = at("2026-10-01T00:00:00Z");
        let new = |terms| NewOrder {
            client_id: w.client,
            court: "Rīgas pilsētas tiesa".into(),
            case_number: "K-2/2026".into(),
            terms,
        };
        assert_eq!(
            fields(cases.create_order(&sys(), &new(t)).await),
            vec!["terms.ends", "terms.decision_date"]
        );
        assert_eq!(
            fields(cases.create_order(&sys(), &new(terms(w.victim + 99))).await),
            vec!["terms.proximity[0].victim_id"]
        );
        let mut t = terms(w.victim);
        if let Some(c) = t.curfew.as_mut() {
            c.timetable[0].address = "mother's".into();
        }
        assert_eq!(
            fields(cases.create_order(&sys(), &new(t)).await),
            vec!["terms"]
        );
        assert!(
            cases
                .orders(&Default::default(), 0, 100)
                .await
                .expect("orders")
                .is_empty()
        );

        // An unknown time zone never gets as far as the terms.
        let mut json = serde_json::to_value(terms(w.victim)).expect("json");
        json["time_zone"] = "Europe/Atlantis".into();
        assert!(serde_json::from_value::<OrderTerms>(json).is_err());

        // A device fitted to someone else.
        let order = cases
            .create_order(&sys(), &new(terms(w.victim)))
            .await
            .expect("order");
        let other_client = cases
            .create_client(&sys(), &client_json(w.officer, "04049012345"))
            .await
            .expect("client");
        let other = cases
            .create_order(
                &sys(),
                &NewOrder {
                    client_id: other_client.id,
                    court: "Rīgas pilsētas tiesa".into(),
                    case_number: "K-3/2026".into(),
                    terms: terms(w.victim),
                },
            )
            .await
            .expect("order");
        cases
            .add_inventory_device(
                &sys(),
                &NewInventoryDevice {
                    device_id: 1001,
                    serial: "T-1001".into(),
                    kind: DeviceKind::GpsTag,
                    model: "X1".into(),
                    firmware: Some("1.0".into()),
                },
                async |_| Ok(()),
            )
            .await
            .expect("inventory");
        assert_eq!(
            conflicts(
                cases
                    .add_inventory_device(
                        &sys(),
                        &NewInventoryDevice {
                            device_id: 1002,
                            serial: "T-1001".into(),
                            kind: DeviceKind::GpsTag,
                            model: "X1".into(),
                            firmware: Some("1.0".into())
                        },
                        async |_| Ok(()),
                    )
                    .await
            ),
            vec!["serial"]
        );
        cases
            .fit_device(&sys(), order.id, 1001, None, at("2026-11-02T10:00:00Z"))
            .await
            .expect("fitted");
        assert_eq!(
            conflicts(
                cases
                    .fit_device(&sys(), other.id, 1001, None, at("2026-11-02T11:00:00Z"))
                    .await
            ),
            vec!["device_id"]
        );
        assert_eq!(
            fields(
                cases
                    .fit_device(&sys(), other.id, 4242, None, at("2026-11-02T11:00:00Z"))
                    .await
            ),
            vec!["device_id"]
        );
        assert_eq!(cases.assignments(other.id).await.expect("none").len(), 0);

        // Users: a short password, a court user without a court, a taken name.
        let user = |username: &str, role, password: &str| NewUser {
            username: username.into(),
            display_name: "X".into(),
            role,
            unit_id: None,
            court: None,
            password: password.into(),
        };
        assert_eq!(
            fields(
                cases
                    .create_user(&sys(), &user("judge", Role::Court, "short"))
                    .await
            ),
            vec!["password", "court"]
        );
        assert_eq!(
            conflicts(
                cases
                    .create_user(
                        &sys(),
                        &user("ilze.ozola", Role::Operator, "long enough password")
                    )
                    .await
            ),
            vec!["username"]
        );
        assert_eq!(
            fields(
                cases
                    .create_user(
                        &sys(),
                        &user("Bad Name", Role::Operator, "long enough password")
                    )
                    .await
            ),
            vec!["username"]
        );
    }
}

/// The codes of what is wrong with a new password, or None when it was taken.
fn password_codes<T>(result: Result<T, CasesError>) -> Option<Vec<&'static str>> {
    match result {
        Ok(_) => None,
        Err(CasesError::Invalid(fields)) => Some(
            fields
                .iter()
                .filter(|f| f.field == "password")
                .filter_map(|f| f.code)
                .collect(),
        ),
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_password_must_be_long_unguessable_and_not_the_name() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store).await;
        let new = |password: &str| NewUser {
            username: "martins.liepa".into(),
            display_name: "Mārtiņš Liepa".into(),
            role: Role::Operator,
            unit_id: None,
            court: None,
            password: password.into(),
        };
        let megabyte = "x".repeat(1 << 20);
        for (password, code) in [
            ("aaaaaaaaaaaa", "password_weak"),
            ("martins.liepa", "password_contains_name"),
            ("Liepa-granite-tulip", "password_contains_name"),
            ("short", "password_too_short"),
            (megabyte.as_str(), "password_too_long"),
        ] {
            let refused = w.cases.create_user(&sys(), &new(password)).await;
            assert_eq!(
                password_codes(refused),
                Some(vec![code]),
                "{} {}",
                db.name,
                &password[..password.len().min(20)]
            );
        }
        let user = w
            .cases
            .create_user(&sys(), &new("granite tulip seventy ferry"))
            .await
            .expect("a strong password is taken");

        // A change of password is held to the same rule, against the name it will have.
        let change = |password: &str, display_name: Option<&str>| cases::UserChange {
            password: Some(password.into()),
            display_name: display_name.map(Into::into),
            ..cases::UserChange::default()
        };
        let refused = w
            .cases
            .update_user(&sys(), user.id, &change("aaaaaaaaaaaa", None), None)
            .await;
        assert_eq!(password_codes(refused), Some(vec!["password_weak"]));
        let refused = w
            .cases
            .update_user(
                &sys(),
                user.id,
                &change("ferry to Saulkrasti at dawn", Some("Saulkrasti Liepa")),
                None,
            )
            .await;
        assert_eq!(
            password_codes(refused),
            Some(vec!["password_contains_name"])
        );
        w.cases
            .update_user(
                &sys(),
                user.id,
                &change("quiet orchard lantern 47", None),
                None,
            )
            .await
            .expect("changed");
        let signed_in = w
            .cases
            .login("martins.liepa", "quiet orchard lantern 47", "127.0.0.1")
            .await
            .expect("login");
        assert!(signed_in.is_ok(), "{}", db.name);
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
            let page = cases.inventory(None, after, 2).await.expect("a page");
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
