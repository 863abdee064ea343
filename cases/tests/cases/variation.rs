//! A variation the court set to take effect later: scheduled until its date, the order judged
//! by the revision in force till then, the policy history changing at the date, and the
//! variation brought into force by `bring_variations_into_force` at the first look after it
//! (once, on every backend). A date may not come before an earlier revision's; a date in the
//! past takes effect at once and is kept as the court set it; one at or after the end of the
//! monitored period is refused; a revoked order's scheduled variation never takes effect.

use std::sync::Arc;

use cases::ScheduledRevision;
use store::ManualClock;

use super::*;

/// A world on a store whose clock the test sets, with an order (one exclusion zone) under which
/// tag 1001 is fitted; the order.
async fn ordered(db: &store::testing::TestDb, clock: &ManualClock) -> (World, cases::Order) {
    let store = Store::open_with_clock(&db.location, Arc::new(clock.clone()))
        .await
        .expect("store");
    let w = world(store).await;
    let order = w
        .cases
        .create_order(
            &w.by_officer,
            &NewOrder {
                client_id: w.client,
                court: "Rīgas pilsētas tiesa".into(),
                case_number: "K-77/2026".into(),
                terms: terms(w.victim),
            },
        )
        .await
        .expect("order");
    add_devices(&w.cases, &[(1001, "T-1001", DeviceKind::GpsTag)]).await;
    w.cases
        .fit_device(&sys(), order.id, 1001, None, at("2026-12-03T08:00:00Z"))
        .await
        .expect("fitted");
    let order = w.cases.order(order.id).await.expect("order");
    (w, order)
}

/// The terms without their exclusion zone: what the court's variation says.
fn without_zones(victim: i64) -> OrderTerms {
    let mut t = terms(victim);
    t.zones.clear();
    t
}

/// How many zones the order is judged by now.
async fn zones_now(cases: &Cases, order: i64) -> usize {
    let policy = cases.policy(order).await.expect("policy").expect("judged");
    policy.zones.len()
}

#[tokio::test]
async fn a_variation_takes_effect_on_the_date_the_court_set() {
    for db in test_databases().await {
        let name = db.name;
        let clock = ManualClock::new(at("2026-12-03T09:00:00Z"));
        let (w, order) = ordered(&db, &clock).await;
        let cases = &w.cases;
        let from = at("2026-12-10T00:00:00+02:00");
        let varied = cases
            .vary_order(
                &w.by_officer,
                order.id,
                &without_zones(w.victim),
                "court decision of 2026-12-03",
                Some(from),
            )
            .await
            .expect("scheduled");
        assert_eq!(varied.revision, 1, "{name}: revision 1 is still in force");
        assert_eq!(varied.policy_revision, order.policy_revision, "{name}");
        assert_eq!(varied.terms, order.terms, "{name}");
        assert_eq!(
            varied.scheduled,
            Some(ScheduledRevision {
                revision: 2,
                takes_effect: from
            }),
            "{name}"
        );
        assert_eq!(zones_now(cases, order.id).await, 1, "{name}");
        let revisions = cases.order_revisions(order.id).await.expect("revisions");
        assert_eq!(revisions[1].takes_effect_ms, from.0, "{name}");
        assert_eq!(revisions[1].in_force_from(), from.0, "{name}");

        // The history changes at the date, not at the recording.
        let spans = cases
            .policy_history(
                order.id,
                at("2026-12-04T00:00:00Z"),
                at("2026-12-20T00:00:00Z"),
            )
            .await
            .expect("history");
        let cut: Vec<(Timestamp, u32, usize)> = spans
            .iter()
            .map(|s| (s.from, s.revision, s.policy.zones.len()))
            .collect();
        assert_eq!(
            cut,
            vec![(at("2026-12-04T00:00:00Z"), 1, 1), (from, 2, 0)],
            "{name}"
        );

        // Before the date nothing is due; at it, the variation comes into force once.
        clock.set(at("2026-12-09T23:59:59+02:00"));
        assert_eq!(
            cases
                .bring_variations_into_force(&sys())
                .await
                .expect("looked"),
            vec![],
            "{name}"
        );
        clock.set(from);
        assert_eq!(
            cases
                .bring_variations_into_force(&sys())
                .await
                .expect("looked"),
            vec![(order.id, 2)],
            "{name}"
        );
        assert_eq!(
            cases
                .bring_variations_into_force(&sys())
                .await
                .expect("looked"),
            vec![],
            "{name}: once"
        );
        let now = cases.order(order.id).await.expect("order");
        assert_eq!(
            (now.revision, now.policy_revision, now.scheduled),
            (2, order.policy_revision + 1, None),
            "{name}"
        );
        assert_eq!(zones_now(cases, order.id).await, 0, "{name}");
        let entries = cases.audit_entries(0, 500).await.expect("audit");
        assert!(
            entries
                .iter()
                .any(|e| e.subject == format!("order/{}", order.id)
                    && e.detail == "revision 2 in force"),
            "{name}: the change is audited"
        );
    }
}

#[tokio::test]
async fn variations_take_effect_in_their_order_and_not_after_the_period() {
    for db in test_databases().await {
        let name = db.name;
        let clock = ManualClock::new(at("2026-12-03T09:00:00Z"));
        let (w, order) = ordered(&db, &clock).await;
        let cases = &w.cases;
        let vary = |t: Option<Timestamp>, why: &'static str| {
            let terms = without_zones(w.victim);
            let actor = w.by_officer.clone();
            async move { cases.vary_order(&actor, order.id, &terms, why, t).await }
        };
        vary(Some(at("2026-12-10T00:00:00Z")), "first")
            .await
            .expect("scheduled");
        // Before the one scheduled, or now (which is before it too): refused.
        for t in [Some(at("2026-12-08T00:00:00Z")), None] {
            assert_eq!(
                conflicts(vary(t, "earlier").await),
                vec!["takes_effect"],
                "{name}"
            );
        }
        // On or after it: a second scheduled revision; the order shows the first due.
        let later = vary(Some(at("2026-12-12T00:00:00Z")), "later")
            .await
            .expect("scheduled");
        assert_eq!(
            later.scheduled.map(|s| s.revision),
            Some(2),
            "{name}: the first to come"
        );
        // At or after the period's end (2027-05-02): refused, nothing written.
        for t in ["2027-05-02T00:00:00Z", "2030-01-01T00:00:00Z"] {
            assert_eq!(
                fields(vary(Some(at(t)), "too late").await),
                vec!["takes_effect"],
                "{name}"
            );
        }
        assert_eq!(
            cases
                .order_revisions(order.id)
                .await
                .expect("revisions")
                .len(),
            3,
            "{name}"
        );
        // Both dates passed by the first look after them: the latest comes into force.
        clock.set(at("2026-12-13T00:00:00Z"));
        assert_eq!(
            cases
                .bring_variations_into_force(&sys())
                .await
                .expect("looked"),
            vec![(order.id, 3)],
            "{name}"
        );
        // A date in the past takes effect at once; the record keeps the court's date.
        let past = at("2026-12-11T00:00:00Z");
        let now = vary(Some(past), "decided last week, recorded today")
            .await
            .expect("varied");
        assert_eq!((now.revision, now.scheduled), (4, None), "{name}");
        let revisions = cases.order_revisions(order.id).await.expect("revisions");
        assert_eq!(revisions[3].takes_effect_ms, past.0, "{name}");
        assert_eq!(
            revisions[3].in_force_from(),
            at("2026-12-13T00:00:00Z").0,
            "{name}: from its recording"
        );
    }
}

#[tokio::test]
async fn a_revoked_orders_scheduled_variation_never_takes_effect() {
    for db in test_databases().await {
        let name = db.name;
        let clock = ManualClock::new(at("2026-12-03T09:00:00Z"));
        let (w, order) = ordered(&db, &clock).await;
        let cases = &w.cases;
        cases
            .vary_order(
                &w.by_officer,
                order.id,
                &without_zones(w.victim),
                "scheduled",
                Some(at("2026-12-10T00:00:00Z")),
            )
            .await
            .expect("scheduled");
        cases
            .set_order_status(&sys(), order.id, OrderStatus::Revoked)
            .await
            .expect("revoked");
        clock.set(at("2026-12-11T00:00:00Z"));
        assert_eq!(
            cases
                .bring_variations_into_force(&sys())
                .await
                .expect("looked"),
            vec![],
            "{name}"
        );
        assert_eq!(
            cases.order(order.id).await.expect("order").revision,
            1,
            "{name}"
        );
    }
}
