//! Which kind of device goes where: a probation client wears a tag or a GPS tracker, a home
//! unit stands at their address, a phone is a victim's; a victim carries a device that reports
//! where it is. Each refusal names the field and its reason; a tracker fitted is judged by, and
//! what it cannot evidence is said.

use cases::kinds::not_evidenced;
use rules::policy::{DeviceKind as PolicyKind, Watched};

use super::*;

/// The codes of an invalid request's field errors, by field.
fn codes(result: Result<impl std::fmt::Debug, CasesError>) -> Vec<(String, Option<&'static str>)> {
    match result {
        Err(CasesError::Invalid(errors)) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_wears_a_tag_or_a_tracker_and_a_victim_carries_what_locates_itself() {
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
                    case_number: "K-2/2026".into(),
                    terms: terms(w.victim),
                },
            )
            .await
            .expect("order");
        add_devices(
            cases,
            &[
                (2001, "GT-2001", DeviceKind::GpsTracker),
                (2002, "P-2002", DeviceKind::Phone),
                (2003, "RF-2003", DeviceKind::RfTag),
                (2004, "H-2004", DeviceKind::HomeUnit),
                (2005, "P-2005", DeviceKind::Phone),
                (2006, "GT-2006", DeviceKind::GpsTracker),
            ],
        )
        .await;
        let technician = sys();
        let fit = |device: u64, address: Option<&'static str>| {
            cases.fit_device(
                &technician,
                order.id,
                device,
                address,
                at("2026-11-02T10:00:00Z"),
            )
        };

        // A phone is a victim's: never fitted to a client, with or without an address.
        for address in [None, Some("home")] {
            assert_eq!(
                codes(fit(2002, address).await),
                [("device_id".to_string(), Some("not_fitted_to_clients"))],
                "{}",
                db.name
            );
        }
        // A tracker is worn, so it stands at no address.
        assert_eq!(fields(fit(2001, Some("home")).await), ["address"]);
        fit(2001, None).await.expect("the tracker fitted");
        // The order is judged by the tracker, as by a tag; the policy names its kind.
        let policy = cases
            .policy(order.id)
            .await
            .expect("policy")
            .expect("judged by the tracker");
        assert_eq!(
            policy
                .devices
                .iter()
                .map(|d| (d.id, d.kind))
                .collect::<Vec<_>>(),
            [(2001, PolicyKind::Tracker)]
        );
        policy.compile().expect("compiles");
        let unknown: Vec<Watched> = not_evidenced(order.terms.watches(), [DeviceKind::GpsTracker])
            .into_iter()
            .map(|n| n.condition)
            .collect();
        assert_eq!(
            unknown,
            [Watched::Strap, Watched::SkinContact, Watched::Case]
        );
        let history = cases
            .policy_history(
                order.id,
                at("2026-11-02T00:00:00Z"),
                at("2026-11-03T00:00:00Z"),
            )
            .await
            .expect("history");
        assert!(history.last().expect("a span").judged(), "{history:?}");

        // A victim carries a phone or a tracker; an RF tag or a home unit cannot say where the
        // victim is, so proximity would watch nothing.
        for device in [2003, 2004] {
            let refused = cases
                .update_victim(
                    &sys(),
                    w.victim,
                    &cases::VictimChange {
                        device_id: Some(device),
                        ..Default::default()
                    },
                )
                .await;
            assert_eq!(
                codes(refused),
                [(
                    "device_id".to_string(),
                    Some("victim_device_without_location")
                )]
            );
        }
        let refused = cases
            .create_victim(
                &sys(),
                &NewVictim {
                    contact_name: "Ilze".into(),
                    contact_phone: None,
                    device_id: Some(2004),
                    unit_id: None,
                },
            )
            .await;
        assert_eq!(
            codes(refused),
            [(
                "device_id".to_string(),
                Some("victim_device_without_location")
            )]
        );
        let carried = cases
            .update_victim(
                &sys(),
                w.victim,
                &cases::VictimChange {
                    device_id: Some(2005),
                    ..Default::default()
                },
            )
            .await
            .expect("a phone is a victim's");
        assert_eq!(carried.device_id, Some(2005));
        let policy = cases
            .policy(order.id)
            .await
            .expect("policy")
            .expect("judged");
        assert_eq!(policy.proximity[0].victim_device, 2005);
        policy.compile().expect("a victim's phone compiles");
        cases
            .create_victim(
                &sys(),
                &NewVictim {
                    contact_name: "Ilze".into(),
                    contact_phone: None,
                    device_id: Some(2006),
                    unit_id: None,
                },
            )
            .await
            .expect("a tracker may be a victim's too");

        // The inventory lists each new kind by its filter.
        for (kind, ids) in [
            (DeviceKind::GpsTracker, vec![2001, 2006]),
            (DeviceKind::Phone, vec![2002, 2005]),
        ] {
            let filter = cases::InventoryFilter {
                kind: Some(kind),
                ..Default::default()
            };
            let found = cases.inventory(&filter, 0, 50).await.expect("a page");
            assert_eq!(
                found.iter().map(|d| d.device_id).collect::<Vec<_>>(),
                ids,
                "{kind}"
            );
            assert!(found.iter().all(|d| d.kind == kind));
        }
    }
}
