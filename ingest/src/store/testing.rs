//! Fresh, empty databases for tests: SQLite in a temporary directory always, and PostgreSQL
//! as well when `SARGS_TEST_DATABASE_URL` names a server (a new database is created on it for
//! every call, so tests never see each other's rows).

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Executor};

use super::StoreLocation;

/// The environment variable naming a PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "SARGS_TEST_DATABASE_URL";

/// A database for one test; the SQLite directory lives as long as this value.
pub struct TestDb {
    pub name: &'static str,
    pub location: StoreLocation,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{database}?{query}"),
        None => format!("{root}/{database}"),
    }
}

/// A fresh SQLite database, and a fresh PostgreSQL database if the variable is set.
/// Panics (this is test support) if PostgreSQL is named but unreachable.
pub async fn test_databases() -> Vec<TestDb> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut dbs = vec![TestDb {
        name: "sqlite",
        location: StoreLocation::DataDir(dir.path().join("data")),
        _dir: Some(dir),
    }];
    if let Some(db) = postgres_database().await {
        dbs.push(db);
    }
    dbs
}

/// A fresh PostgreSQL database if `SARGS_TEST_DATABASE_URL` is set.
pub async fn postgres_database() -> Option<TestDb> {
    let url = std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|u| !u.is_empty())?;
    let name = format!(
        "sargs_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    );
    let mut admin = sqlx::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{TEST_DATABASE_URL} is set but unreachable: {e}"));
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let _ = admin.close().await;
    Some(TestDb {
        name: "postgres",
        location: StoreLocation::Url(with_database(&url, &name)),
        _dir: None,
    })
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_replace_the_path() {
        assert_eq!(
            with_database("postgres://127.0.0.1:5432/test", "x"),
            "postgres://127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
