//! Signing in and the audit log, on SQLite and PostgreSQL: sessions and tokens sign in until
//! ended, repeated wrong passwords lock an account, and the audit chain finds an entry edited or
//! removed behind the database's own guard.

use std::sync::Arc;

use cases::{Actor, CredentialKind, MAX_FAILURES, Refusal, SESSION_IDLE_MS, SESSION_MAX_MS};
use rules::Timestamp;
use store::testing::test_databases;
use store::{Backend, ManualClock, Store};

mod common;
use common::{count, with_officer};
use testkit::PASSWORD;

#[tokio::test]
async fn sessions_tokens_and_lock_out() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let (cases, officer) = with_officer(store).await;

        let issued = cases
            .login("ilze.ozola", PASSWORD, "192.0.2.1")
            .await
            .expect("login")
            .expect("signed in");
        assert_eq!(issued.user.id, officer.id);
        assert_eq!(issued.credential.kind, CredentialKind::Session);
        assert!(issued.secret.starts_with("sargs_s_"), "{}", db.name);
        assert!(issued.credential.expires_ms - issued.credential.created_ms <= SESSION_MAX_MS);
        let (who, credential) = cases
            .authenticate(&issued.secret)
            .await
            .expect("authenticate")
            .expect("a live session");
        assert_eq!((who.id, credential), (officer.id, issued.credential.id));
        // Neither a near miss nor the stored hash itself signs in.
        let mut near = issued.secret.clone();
        near.pop();
        near.push('x');
        assert_eq!(cases.authenticate(&near).await.expect("ok"), None);
        assert_eq!(cases.authenticate("").await.expect("ok"), None);

        let me = Actor::user(&officer, "192.0.2.1");
        let token = cases
            .create_api_token(
                &me,
                "case system",
                issued.credential.created_ms + 86_400_000,
            )
            .await
            .expect("token");
        assert!(token.secret.starts_with("sargs_t_"));
        assert_eq!(cases.credentials(officer.id).await.expect("list").len(), 2);
        for bad_expiry in [0, issued.credential.created_ms + 400 * 86_400_000] {
            assert!(matches!(
                cases.create_api_token(&me, "x", bad_expiry).await,
                Err(cases::CasesError::Invalid(_))
            ));
        }

        // Logging out ends the session and leaves the token.
        cases
            .revoke(&me, issued.credential.id)
            .await
            .expect("logout");
        assert_eq!(cases.authenticate(&issued.secret).await.expect("ok"), None);
        assert!(
            cases
                .authenticate(&token.secret)
                .await
                .expect("ok")
                .is_some()
        );
        // Someone else cannot revoke it, and is told nothing about it.
        let stranger = Actor {
            user_id: Some(officer.id + 100),
            ..me.clone()
        };
        assert!(matches!(
            cases.revoke(&stranger, token.credential.id).await,
            Err(cases::CasesError::NotFound { .. })
        ));

        // A wrong name and a wrong password look alike.
        for (name, password) in [("nobody", PASSWORD), ("ilze.ozola", "wrong password!")] {
            let refused = cases.login(name, password, "192.0.2.9").await;
            assert!(
                matches!(refused, Ok(Err(Refusal::WrongNameOrPassword))),
                "{name}"
            );
        }
        // The fifth wrong password in a row locks the account; then the right one is refused too.
        for _ in 2..MAX_FAILURES {
            let refused = cases
                .login("ilze.ozola", "wrong password!", "192.0.2.9")
                .await;
            assert!(matches!(refused, Ok(Err(Refusal::WrongNameOrPassword))));
        }
        let locked = cases
            .login("ilze.ozola", "wrong password!", "192.0.2.9")
            .await;
        assert!(
            matches!(locked, Ok(Err(Refusal::LockedOut { .. }))),
            "{}",
            db.name
        );
        let refused = cases.login("ilze.ozola", PASSWORD, "192.0.2.1").await;
        assert!(matches!(refused, Ok(Err(Refusal::LockedOut { .. }))));

        // Every sign-in is in the audit log, and every refusal is counted there once its
        // minute is written; the chain holds.
        cases.flush_sign_in_refusals(i64::MAX).await.expect("flush");
        let entries = cases.audit_entries(0, 1000).await.expect("entries");
        let refusals: Vec<&cases::AuditEntry> = entries
            .iter()
            .filter(|e| e.action == "login_refused")
            .collect();
        let refused = |name: &str, what: &str| count(&entries, name, what);
        assert_eq!(refused("nobody", "wrong"), 1, "{}", db.name);
        assert_eq!(refused("ilze.ozola", "wrong"), MAX_FAILURES as u64);
        assert_eq!(refused("ilze.ozola", "while locked out"), 1);
        assert!(refusals.iter().all(|e| e.actor_id.is_none()));
        assert!(entries.iter().all(|e| !e.detail.contains(PASSWORD)));
        let verdict = cases.verify_audit().await.expect("verify");
        assert_eq!(verdict.broken, None);
        assert_eq!(verdict.entries, entries.len() as u64);
    }
}

/// While the storage refuses writes a session must still sign in, so that its user can be told
/// so: recording the session's use is a write that may fail, and that must not refuse the user.
#[tokio::test]
async fn a_session_signs_in_while_its_use_cannot_be_recorded() {
    for db in test_databases().await {
        let clock = ManualClock::new(Timestamp(1_800_000_000_000));
        let store = Store::open_with_clock(&db.location, Arc::new(clock.clone()))
            .await
            .expect("store");
        let pool = store.pool().clone();
        let (cases, officer) = with_officer(store.clone()).await;
        let issued = cases
            .login("ilze.ozola", PASSWORD, "192.0.2.1")
            .await
            .expect("login")
            .expect("signed in");
        store::testing::refuse_writes(&store, "UPDATE", "credentials").await;
        let last_used = async || -> i64 {
            sqlx::query_scalar("SELECT last_used_ms FROM credentials WHERE id = $1")
                .bind(issued.credential.id)
                .fetch_one(&pool)
                .await
                .expect("last used")
        };
        let before = last_used().await;
        // Long enough since the last use that this one is recorded, or tried.
        clock.set(Timestamp(1_800_000_000_000 + 5 * 60 * 1000));
        let (who, _) = cases
            .authenticate(&issued.secret)
            .await
            .expect("answered")
            .expect("still signed in");
        assert_eq!(who.id, officer.id, "{}", db.name);
        assert_eq!(
            last_used().await,
            before,
            "{}: nothing was written",
            db.name
        );
        // Not recording uses can only end a session sooner: idle past the limit, it has ended.
        clock.set(Timestamp(before + SESSION_IDLE_MS + 1));
        assert_eq!(
            cases.authenticate(&issued.secret).await.expect("answered"),
            None,
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn the_audit_chain_finds_edits_and_removals() {
    for db in test_databases().await {
        let store = Store::open(&db.location).await.expect("store");
        let backend = store.backend();
        let pool = store.pool().clone();
        let (cases, officer) = with_officer(store).await;
        let me = Actor::user(&officer, "192.0.2.1");

        // Reads from many tasks at once still make one unbroken chain.
        let reads = (0..20).map(|i| {
            let cases = cases.clone();
            let me = me.clone();
            tokio::spawn(async move {
                cases
                    .record_read(&me, &format!("client/{i}"), "")
                    .await
                    .expect("recorded")
            })
        });
        for read in reads {
            read.await.expect("task");
        }
        let verdict = cases.verify_audit().await.expect("verify");
        assert_eq!(verdict.broken, None, "{}", db.name);
        assert_eq!(verdict.entries, 22, "unit, officer and 20 reads");
        let (head_seq, _) = verdict.head.expect("a head");
        assert_eq!(head_seq, 22);

        // The database refuses edits and removals.
        for statement in [
            "UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 5",
            "DELETE FROM audit_log WHERE seq = 5",
        ] {
            let refused = sqlx::query(statement).execute(&pool).await;
            assert!(refused.is_err(), "{}: {statement}", db.name);
        }

        // Someone with the power to drop the guard edits one entry, then removes another.
        let drop_guard: &[&str] = match backend {
            Backend::Sqlite => &[
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
            ],
            Backend::Postgres => &["DROP TRIGGER audit_log_no_edit ON audit_log"],
        };
        for statement in drop_guard {
            sqlx::query(statement)
                .execute(&pool)
                .await
                .expect("dropped");
        }
        sqlx::query("UPDATE audit_log SET subject = 'client/999' WHERE seq = 7")
            .execute(&pool)
            .await
            .expect("edited");
        let verdict = cases.verify_audit().await.expect("verify");
        assert_eq!(verdict.broken.map(|(seq, _)| seq), Some(7), "{}", db.name);
        assert_eq!(verdict.entries, 6);

        let original = cases.audit_entries(6, 1).await.expect("entry").remove(0);
        assert_eq!(original.seq, 7);
        sqlx::query("DELETE FROM audit_log WHERE seq >= 7 AND seq <= 8")
            .execute(&pool)
            .await
            .expect("removed");
        let verdict = cases.verify_audit().await.expect("verify");
        let (seq, reason) = verdict.broken.expect("broken");
        assert_eq!(seq, 9);
        assert!(reason.contains("missing"), "{reason}");
    }
}
