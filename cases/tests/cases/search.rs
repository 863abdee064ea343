//! A caseload searched on the server: by every word of a name in any order and any case
//! (Latvian letters too), by part of a personal code or of a court's case number; wildcards
//! typed are taken as they are; paged by id; a search too long refused, naming the field.

use cases::ClientFilter;

use super::*;

fn search(q: &str) -> ClientFilter {
    ClientFilter {
        q: Some(q.into()),
        ..ClientFilter::default()
    }
}

#[tokio::test]
async fn clients_are_found_by_name_personal_code_or_case_number() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let w = world(store).await;
        let cases = &w.cases;
        // Jānis Bērziņš is the world's; Ēriks Ozoliņš and Anna Bērziņa join him.
        let mut ids = vec![w.client];
        for (code, given, family) in [
            ("02029012345", "Ēriks", "Ozoliņš"),
            ("03039012345", "Anna", "Bērziņa"),
        ] {
            let mut new = client_json(w.officer, code);
            new.given_name = given.into();
            new.family_name = family.into();
            ids.push(cases.create_client(&sys(), &new).await.expect("client").id);
        }
        cases
            .create_order(
                &sys(),
                &NewOrder {
                    client_id: ids[1],
                    court: "Rīgas pilsētas tiesa".into(),
                    case_number: "K-55/2026".into(),
                    terms: terms(w.victim),
                },
            )
            .await
            .expect("order");
        let found = async |filter: ClientFilter, after: i64, limit: i64| -> Vec<i64> {
            cases
                .clients(&filter, after, limit)
                .await
                .expect("clients")
                .iter()
                .map(|c| c.id)
                .collect()
        };
        for (q, wanted) in [
            ("bērziņ", vec![ids[0], ids[2]]),
            ("BĒRZIŅŠ jānis", vec![ids[0]]),
            ("ĒRIKS", vec![ids[1]]),
            ("k-55", vec![ids[1]]),
            ("030390", vec![ids[2]]),
            ("  ", ids.clone()),
            ("%", vec![]),
            ("_", vec![]),
            ("nobody", vec![]),
        ] {
            assert_eq!(found(search(q), 0, 100).await, wanted, "{}: {q:?}", db.name);
        }
        // A page at a time, by id.
        assert_eq!(found(search("bērziņ"), 0, 1).await, [ids[0]]);
        assert_eq!(found(search("bērziņ"), ids[0], 1).await, [ids[2]]);
        assert_eq!(found(search("bērziņ"), ids[2], 1).await, Vec::<i64>::new());
        // Narrowed to a caseload as well.
        let elsewhere = ClientFilter {
            officer_id: Some(w.officer + 1000),
            ..search("bērziņ")
        };
        assert_eq!(found(elsewhere, 0, 100).await, Vec::<i64>::new());
        // Renamed, found by the new name only.
        cases
            .update_client(
                &sys(),
                ids[2],
                &cases::ClientChange {
                    family_name: Some("Kalniņa".into()),
                    ..cases::ClientChange::default()
                },
            )
            .await
            .expect("renamed");
        assert_eq!(found(search("kalniņa"), 0, 100).await, [ids[2]]);
        // A phone left out is kept; null clears it.
        let phone = async |id: i64| cases.client(id).await.expect("client").phone;
        assert!(phone(ids[2]).await.is_some(), "{}", db.name);
        let change =
            |body: &str| -> cases::ClientChange { serde_json::from_str(body).expect("a change") };
        let kept = phone(ids[2]).await;
        cases
            .update_client(&sys(), ids[2], &change(r#"{"risk_notes":"x"}"#))
            .await
            .expect("changed");
        assert_eq!(phone(ids[2]).await, kept, "{}", db.name);
        cases
            .update_client(&sys(), ids[2], &change(r#"{"phone":null}"#))
            .await
            .expect("cleared");
        assert_eq!(phone(ids[2]).await, None, "{}", db.name);
        // Read as a set, each record and order is its own, whatever the order of the ids asked.
        let named: Vec<i64> = cases
            .clients_by_ids(&[ids[2], ids[0], 999_999])
            .await
            .expect("clients")
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(named, [ids[0], ids[2]], "{}", db.name);
        assert!(cases.clients_by_ids(&[]).await.expect("none").is_empty());
        let active = cases
            .orders_of_clients(&[ids[1], ids[2]], cases::OrderStatus::Active)
            .await
            .expect("orders");
        assert_eq!(
            active
                .iter()
                .map(|o| (o.client_id, o.case_number.as_str()))
                .collect::<Vec<_>>(),
            [(ids[1], "K-55/2026")],
            "{}",
            db.name
        );
        let by_id = cases.orders_by_ids(&[active[0].id]).await.expect("order");
        assert_eq!(by_id[0].terms, active[0].terms, "{}", db.name);
        // Nothing fitted yet (a page's fittings are tested through GET /caseload).
        let fitted = cases.assignments_of_orders(&[active[0].id]).await;
        assert!(fitted.expect("fittings").is_empty(), "{}", db.name);
        assert_eq!(found(search("bērziņ"), 0, 100).await, [ids[0]]);
        for bad in ["a b c d e f g".to_string(), "x".repeat(101)] {
            assert_eq!(fields(cases.clients(&search(&bad), 0, 100).await), ["q"]);
        }
    }
}
