//! A database the previous release wrote opens with this one and migrates forward, on both
//! backends, with nothing lost: the rows of every owner are there and read through the owners'
//! typed calls, the audit chain still holds, and a court summary builds from the old data.
//!
//! The databases are SQL dumps in `tests/fixtures/previous/`, made with the previous release's
//! binary by `scripts/make-migration-fixture` (see there for what each holds).

use std::path::Path;

use cases::{Cases, OrderFilter};
use ingest::store::Telemetry;
use sqlx::Connection;
use store::testing::test_databases;
use store::{Store, StoreLocation};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/previous");

/// Writes the dump of `backend` into the empty database at `location`, as the previous release
/// left it.
async fn restore(location: &StoreLocation, backend: &str) {
    let dump = std::fs::read_to_string(Path::new(FIXTURES).join(format!("{backend}.sql")))
        .expect("fixture (scripts/make-migration-fixture)");
    match location {
        StoreLocation::DataDir(dir) => {
            std::fs::create_dir_all(dir).unwrap();
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(dir.join(store::SQLITE_FILE))
                .create_if_missing(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .unwrap();
            sqlx::raw_sql(&dump).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
        StoreLocation::Url(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(&dump).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
}

/// How many rows `table` holds, read directly (before any current code touched the database).
async fn rows(store: &Store, table: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn a_database_of_the_previous_release_opens_and_migrates_forward() {
    for db in test_databases().await {
        restore(&db.location, db.name).await;
        let store = Store::open(&db.location).await.expect("opens");
        let before: Vec<(&str, i64)> = {
            let mut counts = Vec::new();
            for table in [
                "devices",
                "observations",
                "users",
                "audit_log",
                "clients",
                "orders",
                "inventory",
                "episodes",
                "alerts",
            ] {
                counts.push((table, rows(&store, table).await));
            }
            counts
        };
        let count = |table: &str| before.iter().find(|(t, _)| *t == table).unwrap().1;
        assert!(
            count("observations") > 0,
            "{}: the fixture has data",
            db.name
        );

        // Every owner brings its tables up to date, as `sargs serve` does on start.
        let telemetry = Telemetry::open(store.clone())
            .await
            .expect("ingest migrates");
        let cases = Cases::open(store.clone()).await.expect("cases migrate");
        judge::migrate(&store).await.expect("judge migrates");
        alerts::migrate(&store).await.expect("alerts migrate");
        report::issued::migrate(&store)
            .await
            .expect("the register of issued summaries migrates");
        for (table, n) in &before {
            assert_eq!(rows(&store, table).await, *n, "{}: {table} kept", db.name);
        }

        // The old rows read through the owners' typed calls.
        assert_eq!(
            telemetry.devices().await.unwrap().len() as i64,
            count("devices"),
            "{}",
            db.name
        );
        assert_eq!(
            telemetry.observation_count(None).await.unwrap() as i64,
            count("observations"),
            "{}",
            db.name
        );
        let verdict = cases.verify_audit().await.unwrap();
        assert!(verdict.broken.is_none(), "{}: {verdict:?}", db.name);
        assert_eq!(verdict.entries as i64, count("audit_log"), "{}", db.name);
        let orders = cases.orders(&OrderFilter::default(), 0, 500).await.unwrap();
        assert_eq!(orders.len() as i64, count("orders"), "{}", db.name);
        let mut episodes = 0;
        for order in &orders {
            episodes += judge::records::episodes(&store, order.client_id, i64::MIN, i64::MAX)
                .await
                .unwrap()
                .len() as i64;
            // The court summary of the order's first days builds from the old data.
            let from = order.terms.starts.to_utc().date_naive();
            let report = report::build(
                &telemetry,
                &cases,
                &report::Params {
                    order_id: order.id,
                    from,
                    to: from + chrono::Days::new(2),
                    lang: report::Lang::Lv,
                    as_of: None,
                },
            )
            .await;
            assert!(report.is_ok(), "{}: {report:?}", db.name);
            // The register is new: no summary was recorded before it.
            let issued = report::issued::of_order(&store, order.id).await;
            assert!(issued.is_ok_and(|i| i.is_empty()), "{}", db.name);
        }
        assert_eq!(episodes, count("episodes"), "{}", db.name);
        store.close().await;
    }
}
