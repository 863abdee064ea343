//! Sign-in lock-out under load, on SQLite and PostgreSQL: however many sign-ins arrive at
//! once, a name has at most five passwords checked before it locks; an unknown name answers
//! exactly as a real one; a flood of refusals becomes one audit entry per name, address and
//! minute.

use cases::{Actor, AuditEntry, Cases, MAX_FAILURES, Refusal, UserChange};
use store::Store;
use store::testing::test_databases;

mod common;
use common::{count, login, with_officer};
use testkit::PASSWORD;

/// The refused-sign-in entries of the whole log, written out first.
async fn refusals(cases: &Cases) -> Vec<AuditEntry> {
    cases.flush_sign_in_refusals(i64::MAX).await.expect("flush");
    let entries = cases.audit_entries(0, 1000).await.expect("entries");
    entries
        .into_iter()
        .filter(|e| e.action == "login_refused")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sign_ins_check_at_most_five_wrong_passwords() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let (cases, _) = with_officer(store).await;
        // Fifty wrong passwords at once, and the right one last.
        let mut tries = Vec::new();
        for i in 0..50 {
            let cases = cases.clone();
            tries.push(tokio::spawn(async move {
                login(
                    &cases,
                    "ilze.ozola",
                    &format!("wrong password {i}"),
                    "192.0.2.9",
                )
                .await
            }));
        }
        let cases_ = cases.clone();
        let right =
            tokio::spawn(async move { login(&cases_, "ilze.ozola", PASSWORD, "192.0.2.1").await });
        for t in tries {
            let answer = t.await.expect("task");
            assert!(answer.is_err(), "{}: a wrong password signed in", db.name);
        }
        let right = right.await.expect("task");
        assert!(
            matches!(right, Err(Refusal::LockedOut { .. })),
            "{}: the right password, last, is refused while locked: {right:?}",
            db.name
        );
        // And it stays refused until the lock ends.
        let again = login(&cases, "ilze.ozola", PASSWORD, "192.0.2.1").await;
        assert!(
            matches!(again, Err(Refusal::LockedOut { .. })),
            "{}",
            db.name
        );

        // Only five passwords were ever checked; the rest were refused unchecked.
        let entries = refusals(&cases).await;
        assert_eq!(
            count(&entries, "ilze.ozola", "wrong"),
            MAX_FAILURES as u64,
            "{}",
            db.name
        );
        assert_eq!(
            count(&entries, "ilze.ozola", "while locked out"),
            50 - MAX_FAILURES as u64 + 2
        );
        assert_eq!(count(&entries, "ilze.ozola", "lock-outs begun"), 1);
    }
}

#[tokio::test]
async fn an_unknown_name_answers_and_locks_out_as_a_real_one() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let (cases, officer) = with_officer(store).await;
        let answers = |name: &'static str| {
            let cases = cases.clone();
            async move {
                let mut seen = Vec::new();
                for _ in 0..MAX_FAILURES + 2 {
                    let answer = login(&cases, name, "wrong password!", "192.0.2.9").await;
                    seen.push(match answer {
                        Ok(_) => "signed in",
                        Err(Refusal::WrongNameOrPassword) => "wrong",
                        Err(Refusal::LockedOut { .. }) => "locked out",
                        Err(Refusal::Busy) => unreachable!("tried again until checked"),
                    });
                }
                seen
            }
        };
        let real = answers("ilze.ozola").await;
        let unknown = answers("no.such.user").await;
        assert_eq!(real, unknown, "{}", db.name);
        assert_eq!(
            real,
            [
                "wrong",
                "wrong",
                "wrong",
                "wrong",
                "locked out",
                "locked out",
                "locked out"
            ]
        );

        // An administrator lifts the lock; the right password then signs in.
        let unlock = UserChange {
            unlock: true,
            ..UserChange::default()
        };
        cases
            .update_user(&Actor::system("test"), officer.id, &unlock, None)
            .await
            .expect("unlocked");
        let signed_in = login(&cases, "ilze.ozola", PASSWORD, "192.0.2.1").await;
        assert!(signed_in.is_ok(), "{}", db.name);
    }
}

#[tokio::test]
async fn a_flood_of_refusals_is_one_audit_entry_per_name_address_and_minute() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let (cases, _) = with_officer(store).await;
        let before = cases.audit_entries(0, 1000).await.expect("entries").len();
        for _ in 0..40 {
            let answer = login(&cases, "guess.who", "wrong password!", "198.51.100.7").await;
            assert!(answer.is_err());
        }
        let entries = refusals(&cases).await;
        // One entry, or two if the flood crossed a minute's end.
        assert!((1..=2).contains(&entries.len()), "{}: {entries:?}", db.name);
        assert!(
            entries
                .iter()
                .all(|e| e.origin == "198.51.100.7" && e.actor_id.is_none())
        );
        assert_eq!(count(&entries, "guess.who", "wrong"), MAX_FAILURES as u64);
        assert_eq!(
            count(&entries, "guess.who", "while locked out"),
            40 - MAX_FAILURES as u64
        );
        let after = cases.audit_entries(0, 1000).await.expect("entries").len();
        assert_eq!(after, before + entries.len());
        // Written once: a second flush adds nothing.
        assert_eq!(
            cases.flush_sign_in_refusals(i64::MAX).await.expect("flush"),
            0
        );
        let verdict = cases.verify_audit().await.expect("verify");
        assert_eq!(verdict.broken, None);
    }
}
