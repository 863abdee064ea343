//! Fresh, empty databases for tests: SQLite in a temporary directory always, and PostgreSQL
//! as well when `SARGS_TEST_DATABASE_URL` names a server (a new database is created on it for
//! every call, so tests never see each other's rows). The databases of test processes that
//! have ended are dropped by the next one, so the server does not fill up run after run.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sqlx::{Connection, Executor};

use super::StoreLocation;

/// The environment variable naming a PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "SARGS_TEST_DATABASE_URL";

/// A database for one test; the SQLite directory lives as long as this value.
pub struct TestDb {
    /// "sqlite" or "postgres", for assertion messages.
    pub name: &'static str,
    /// Where to open it.
    pub location: StoreLocation,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);
static SWEPT: AtomicBool = AtomicBool::new(false);

const PREFIX: &str = "sargs_test_";

/// The process that made a test database, from its name (`sargs_test_{pid}_{n}_{micros}`).
fn maker(database: &str) -> Option<u32> {
    database
        .strip_prefix(PREFIX)?
        .split('_')
        .next()?
        .parse()
        .ok()
}

/// Drops the test databases whose making process has ended (a test that panicked, or every test
/// of an earlier run): once per process, where `/proc` tells which processes live. A database
/// still in use by a live process, or of one whose id was reused, is left alone.
async fn sweep(admin: &mut sqlx::PgConnection) {
    if SWEPT.swap(true, Ordering::SeqCst) || !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let names: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(PREFIX)
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for (name,) in names {
        let Some(pid) = maker(&name) else { continue };
        let plain = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if plain && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
        }
    }
}

/// `url` with its database (the path) replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
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
        "{PREFIX}{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    );
    let mut admin = sqlx::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{TEST_DATABASE_URL} is set but unreachable: {e}"));
    sweep(&mut admin).await;
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

/// Makes the storage refuse every `on` (`INSERT`, `UPDATE`) of `table` with an error, as a
/// database refusing writes would, until [`allow_writes`]: for tests of what is (not) answered
/// while the storage refuses writes.
pub async fn refuse_writes(store: &super::Store, on: &str, table: &str) {
    let statements: Vec<String> = match store.backend() {
        super::Backend::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_{table} BEFORE {on} ON {table} \
             BEGIN SELECT RAISE(ABORT, 'writes refused'); END"
        )],
        super::Backend::Postgres => vec![
            "CREATE OR REPLACE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'writes refused'; END $$"
                .to_string(),
            format!(
                "CREATE TRIGGER refuse_{table} BEFORE {on} ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION refuse()"
            ),
        ],
    };
    for statement in statements {
        store
            .pool()
            .execute(statement.as_str())
            .await
            .expect("refuse writes");
    }
}

/// Ends [`refuse_writes`] of `table`.
pub async fn allow_writes(store: &super::Store, table: &str) {
    let statement = match store.backend() {
        super::Backend::Sqlite => format!("DROP TRIGGER refuse_{table}"),
        super::Backend::Postgres => format!("DROP TRIGGER refuse_{table} ON {table}"),
    };
    store
        .pool()
        .execute(statement.as_str())
        .await
        .expect("allow writes");
}

#[cfg(test)]
mod tests {
    use super::{maker, with_database};

    #[test]
    fn a_test_database_names_the_process_that_made_it() {
        assert_eq!(maker("sargs_test_4242_3_1763900000000000"), Some(4242));
        assert_eq!(maker("sargs_test_x_3_1"), None);
        assert_eq!(maker("postgres"), None);
    }

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
