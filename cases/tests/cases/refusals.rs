//! Bad requests name the field and leave nothing written; a password must be long, unguessable
//! and not the name.

use super::*;

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
                .clients(&cases::ClientFilter::default(), 0, 100)
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
