//! What the sign-in and audit tests share: a unit with one officer, and the counts in a
//! refused-sign-ins audit entry.
#![allow(dead_code)] // each test file uses part of this

use cases::{AuditEntry, Cases, Issued, Refusal};
use store::Store;

pub async fn with_officer(store: Store) -> (Cases, cases::User) {
    let cases = Cases::open(store).await.expect("cases open");
    let (_, officer) = testkit::unit_with_officer(&cases, "Rīga").await;
    (cases, officer)
}

/// The number before `what` in a refused-sign-ins entry ("... 3 wrong, 0 while locked out").
pub fn count(entries: &[AuditEntry], name: &str, what: &str) -> u64 {
    entries
        .iter()
        .filter(|e| e.action == "login_refused" && e.actor == name)
        .map(|e| {
            let before = e
                .detail
                .split(", ")
                .flat_map(|part| part.split(": "))
                .find_map(|part| part.strip_suffix(what))
                .unwrap_or_else(|| panic!("no count of {what} in {:?}", e.detail));
            before.trim().parse::<u64>().expect("a count")
        })
        .sum()
}

/// A sign-in, tried again while the queue for password checks is full (it is the process's,
/// and tests running at once share it): the answer once the password was considered.
pub async fn login(
    cases: &Cases,
    name: &str,
    password: &str,
    origin: &str,
) -> Result<Issued, Refusal> {
    loop {
        match cases.login(name, password, origin).await.expect("answered") {
            Err(Refusal::Busy) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            answer => return answer,
        }
    }
}
