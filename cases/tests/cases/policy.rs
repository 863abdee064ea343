//! An order becomes the policy the rules engine judges by: a unit, an officer, a client with a
//! curfew address, a curfew, zones and victim proximity, devices fitted and removed, an absence
//! and a variation.

use super::*;

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
                None,
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
            conflicts(
                cases
                    .vary_order(&sys(), order.id, &varied, "again", None)
                    .await
            ),
            vec!["status"]
        );
    }
}
