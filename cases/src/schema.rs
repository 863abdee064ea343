//! The case tables. Append only, like ingest's: never edit a migration that has shipped.
//!
//! Times are milliseconds since the epoch (UTC); documents whose shape belongs to the rules
//! engine (an order's terms, a client's addresses) are JSON text, read back through the same
//! serde types that validated them.

use store::{Store, schema};

use crate::{CasesError, audit};

const MIGRATIONS: &[&[&str]] = &[
    &[
        "CREATE TABLE IF NOT EXISTS units (
        id {id},
        name TEXT NOT NULL UNIQUE,
        parent_id BIGINT REFERENCES units (id),
        created_ms BIGINT NOT NULL
    )",
        "CREATE TABLE IF NOT EXISTS users (
        id {id},
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        unit_id BIGINT REFERENCES units (id),
        court TEXT,
        password_hash TEXT NOT NULL,
        failed_logins BIGINT NOT NULL DEFAULT 0,
        locked_until_ms BIGINT,
        disabled BIGINT NOT NULL DEFAULT 0,
        created_ms BIGINT NOT NULL
    )",
        "CREATE TABLE IF NOT EXISTS clients (
        id {id},
        personal_code TEXT NOT NULL UNIQUE,
        given_name TEXT NOT NULL,
        family_name TEXT NOT NULL,
        birth_date TEXT NOT NULL,
        phone TEXT,
        language TEXT NOT NULL,
        risk_notes TEXT NOT NULL,
        officer_id BIGINT NOT NULL REFERENCES users (id),
        unit_id BIGINT NOT NULL REFERENCES units (id),
        addresses TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        updated_ms BIGINT NOT NULL
    )",
        "CREATE INDEX IF NOT EXISTS clients_by_officer ON clients (officer_id)",
        "CREATE INDEX IF NOT EXISTS clients_by_unit ON clients (unit_id)",
        "CREATE TABLE IF NOT EXISTS victims (
        id {id},
        contact_name TEXT NOT NULL,
        contact_phone TEXT,
        device_id BIGINT UNIQUE,
        created_ms BIGINT NOT NULL
    )",
        "CREATE TABLE IF NOT EXISTS orders (
        id {id},
        client_id BIGINT NOT NULL REFERENCES clients (id),
        court TEXT NOT NULL,
        case_number TEXT NOT NULL,
        status TEXT NOT NULL,
        revision BIGINT NOT NULL,
        policy_revision BIGINT NOT NULL,
        created_ms BIGINT NOT NULL,
        UNIQUE (court, case_number)
    )",
        "CREATE INDEX IF NOT EXISTS orders_by_client ON orders (client_id)",
        "CREATE TABLE IF NOT EXISTS order_revisions (
        order_id BIGINT NOT NULL REFERENCES orders (id),
        revision BIGINT NOT NULL,
        terms TEXT NOT NULL,
        reason TEXT NOT NULL,
        author_id BIGINT REFERENCES users (id),
        created_ms BIGINT NOT NULL,
        PRIMARY KEY (order_id, revision)
    )",
        "CREATE TABLE IF NOT EXISTS inventory (
        device_id BIGINT PRIMARY KEY,
        serial TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        model TEXT NOT NULL,
        firmware TEXT NOT NULL,
        status TEXT NOT NULL,
        created_ms BIGINT NOT NULL
    )",
        "CREATE TABLE IF NOT EXISTS assignments (
        id {id},
        device_id BIGINT NOT NULL REFERENCES inventory (device_id),
        order_id BIGINT NOT NULL REFERENCES orders (id),
        address TEXT,
        installed_ms BIGINT NOT NULL,
        installed_by BIGINT REFERENCES users (id),
        removed_ms BIGINT,
        removed_by BIGINT REFERENCES users (id)
    )",
        "CREATE INDEX IF NOT EXISTS assignments_by_device ON assignments (device_id, installed_ms)",
        "CREATE INDEX IF NOT EXISTS assignments_by_order ON assignments (order_id)",
        "CREATE TABLE IF NOT EXISTS notes (
        id {id},
        client_id BIGINT NOT NULL REFERENCES clients (id),
        author_id BIGINT NOT NULL REFERENCES users (id),
        text TEXT NOT NULL,
        created_ms BIGINT NOT NULL
    )",
        "CREATE INDEX IF NOT EXISTS notes_by_client ON notes (client_id, created_ms)",
        "CREATE TABLE IF NOT EXISTS absences (
        id {id},
        order_id BIGINT NOT NULL REFERENCES orders (id),
        from_ms BIGINT NOT NULL,
        until_ms BIGINT NOT NULL,
        reason TEXT NOT NULL,
        details TEXT NOT NULL,
        author_id BIGINT NOT NULL REFERENCES users (id),
        created_ms BIGINT NOT NULL
    )",
        "CREATE INDEX IF NOT EXISTS absences_by_order ON absences (order_id, from_ms)",
    ],
    &[
        "CREATE TABLE IF NOT EXISTS credentials (
        id {id},
        token_hash TEXT NOT NULL UNIQUE,
        user_id BIGINT NOT NULL REFERENCES users (id),
        kind TEXT NOT NULL,
        label TEXT NOT NULL,
        created_ms BIGINT NOT NULL,
        expires_ms BIGINT NOT NULL,
        last_used_ms BIGINT NOT NULL,
        revoked_ms BIGINT
    )",
        "CREATE INDEX IF NOT EXISTS credentials_by_user ON credentials (user_id)",
        "CREATE TABLE IF NOT EXISTS audit_log (
        seq BIGINT PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        actor_id BIGINT,
        actor TEXT NOT NULL,
        origin TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )",
    ],
    &[
        // An authorised absence is never deleted: a cancelled one stays, marked, with who.
        "ALTER TABLE absences ADD COLUMN cancelled_ms BIGINT",
        "ALTER TABLE absences ADD COLUMN cancelled_by BIGINT REFERENCES users (id)",
    ],
    &[
        // Who looks after a victim before any order names them (docs/api.md).
        "ALTER TABLE victims ADD COLUMN unit_id BIGINT REFERENCES units (id)",
        "ALTER TABLE victims ADD COLUMN registered_by BIGINT REFERENCES users (id)",
    ],
    &[
        // Sign-in lock-out is kept per name tried, whether or not a user has it, so that an
        // unknown name locks out as a real one does (crate::signin). A row lives while its
        // window or its lock does.
        "CREATE TABLE IF NOT EXISTS sign_in_guard (
        username TEXT PRIMARY KEY,
        window_start_ms BIGINT NOT NULL,
        attempts BIGINT NOT NULL,
        locked_until_ms BIGINT
    )",
        // Refused sign-ins counted per name, address and minute, until the minute is over and
        // its counts become one audit entry.
        "CREATE TABLE IF NOT EXISTS sign_in_refusals (
        username TEXT NOT NULL,
        origin TEXT NOT NULL,
        minute_ms BIGINT NOT NULL,
        wrong BIGINT NOT NULL,
        locked BIGINT NOT NULL,
        lockouts BIGINT NOT NULL,
        PRIMARY KEY (username, origin, minute_ms)
    )",
        "ALTER TABLE users DROP COLUMN failed_logins",
        "ALTER TABLE users DROP COLUMN locked_until_ms",
    ],
    &[
        // A device whose firmware nobody can read (a victim's own phone) has none recorded:
        // `inventory.firmware` may be NULL. PostgreSQL drops the NOT NULL in place.
        "postgres: ALTER TABLE inventory ALTER COLUMN firmware DROP NOT NULL",
        // SQLite cannot, so the table is rebuilt with every other column, key and constraint as
        // it was. `assignments` refers to it, and PRAGMA foreign_keys cannot change inside the
        // migration's transaction: deferring the checks to COMMIT instead lets the DROP leave
        // the fittings without their devices for a moment, and inserting the rows back into the
        // new `inventory` (the name the fittings refer to) settles every check again. The copy
        // is dropped before COMMIT; nothing is renamed, since renaming `inventory` would
        // rewrite the fittings' REFERENCES to follow it.
        "sqlite: PRAGMA defer_foreign_keys = ON",
        "sqlite: CREATE TABLE inventory_copy AS SELECT * FROM inventory",
        "sqlite: DROP TABLE inventory",
        "sqlite: CREATE TABLE inventory (
        device_id BIGINT PRIMARY KEY,
        serial TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        model TEXT NOT NULL,
        firmware TEXT,
        status TEXT NOT NULL,
        created_ms BIGINT NOT NULL
    )",
        "sqlite: INSERT INTO inventory (device_id, serial, kind, model, firmware, status, created_ms)
        SELECT device_id, serial, kind, model, firmware, status, created_ms FROM inventory_copy",
        "sqlite: DROP TABLE inventory_copy",
    ],
    &[
        // A variation takes effect from the date the court set (crate::variation), which may be
        // after it is recorded. Every revision recorded before took effect when recorded.
        "ALTER TABLE order_revisions ADD COLUMN takes_effect_ms BIGINT",
        "UPDATE order_revisions SET takes_effect_ms = created_ms WHERE takes_effect_ms IS NULL",
    ],
    &[
        // A client's name as the caseload's search matches it, lower-cased in Rust (SQLite's
        // LOWER knows only ASCII); filled for the clients before it by `search::backfill`.
        "ALTER TABLE clients ADD COLUMN search_name TEXT",
    ],
];

pub(crate) async fn migrate(store: &Store) -> Result<(), CasesError> {
    schema::apply(store, "cases_schema_migrations", MIGRATIONS).await?;
    crate::search::backfill(store.pool()).await?;
    for statement in audit::guard_statements(store.backend()) {
        sqlx::query(statement).execute(store.pool()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use store::testing::test_databases;
    use store::{Backend, Store, db_id};

    use super::*;
    use crate::{Actor, Cases, NewInventoryDevice};

    /// How many migrations there were while `inventory.firmware` was NOT NULL.
    const FIRMWARE_REQUIRED: usize = 5;

    type Device = (i64, String, String, String, Option<String>, String, i64);
    type Fitting = (i64, i64, i64, Option<String>, i64, Option<i64>, Option<i64>);

    async fn devices(pool: &sqlx::AnyPool) -> Vec<Device> {
        sqlx::query_as(
            "SELECT device_id, serial, kind, model, firmware, status, created_ms
             FROM inventory ORDER BY device_id",
        )
        .fetch_all(pool)
        .await
        .expect("inventory")
    }

    async fn fittings(pool: &sqlx::AnyPool) -> Vec<Fitting> {
        sqlx::query_as(
            "SELECT id, device_id, order_id, address, installed_ms, installed_by, removed_ms
             FROM assignments ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .expect("assignments")
    }

    /// A database at the schema before, with devices fitted and removed and a victim's device,
    /// migrated: every row is there as it was, the keys and constraints still hold, and a
    /// device without firmware can be added.
    #[tokio::test]
    async fn a_database_from_before_optional_firmware_migrates_without_losing_a_row() {
        for db in test_databases().await {
            let name = db.name;
            let store = Store::open(&db.location).await.expect("store");
            let pool = store.pool().clone();
            schema::apply(
                &store,
                "cases_schema_migrations",
                &MIGRATIONS[..FIRMWARE_REQUIRED],
            )
            .await
            .expect("the schema before");
            let rows = [
                "INSERT INTO units (name, parent_id, created_ms) VALUES ('Rīga', NULL, 1)",
                "INSERT INTO users (username, display_name, role, unit_id, court, password_hash, created_ms)
                 VALUES ('ilze', 'Ilze', 'officer', 1, NULL, 'x', 1)",
                "INSERT INTO clients (personal_code, given_name, family_name, birth_date, phone, language,
                 risk_notes, officer_id, unit_id, addresses, created_ms, updated_ms)
                 VALUES ('010190-12345', 'J', 'B', '1990-01-01', NULL, 'lv', '', 1, 1, '[]', 1, 1)",
                "INSERT INTO orders (client_id, court, case_number, status, revision, policy_revision, created_ms)
                 VALUES (1, 'Rīgas pilsētas tiesa', 'K-1/2026', 'active', 1, 3, 1)",
                "INSERT INTO inventory (device_id, serial, kind, model, firmware, status, created_ms) VALUES
                 (1001, 'T-1001', 'gps-tag', 'X1', '1.4.2', 'fitted', 10),
                 (1002, 'T-1002', 'gps-tag', 'X1', '1.4.1', 'faulty', 11),
                 (9001, 'V-9001', 'gps-tag', 'X2', '2.0', 'in_stock', 12)",
                "INSERT INTO assignments (device_id, order_id, address, installed_ms, installed_by, removed_ms, removed_by)
                 VALUES (1002, 1, NULL, 100, 1, 200, 1)",
                "INSERT INTO assignments (device_id, order_id, address, installed_ms, installed_by, removed_ms, removed_by)
                 VALUES (1001, 1, NULL, 300, 1, NULL, NULL)",
                "INSERT INTO victims (contact_name, contact_phone, device_id, created_ms, unit_id, registered_by)
                 VALUES ('A. K.', NULL, 9001, 1, 1, 1)",
            ];
            for row in rows {
                sqlx::query(row).execute(&pool).await.expect(row);
            }
            let before = (devices(&pool).await, fittings(&pool).await);
            assert_eq!(before.0.len(), 3, "{name}");

            let cases = Cases::open(store.clone()).await.expect("migrated");
            assert_eq!(
                (devices(&pool).await, fittings(&pool).await),
                before,
                "{name}"
            );
            let fitted = cases.inventory_device(1001).await.expect("device");
            assert_eq!(fitted.firmware.as_deref(), Some("1.4.2"), "{name}");

            // The keys and constraints hold as before: a fitting of a device not in the
            // inventory, a serial or id twice, a device without a model are refused.
            for refused in [
                "INSERT INTO assignments (device_id, order_id, installed_ms) VALUES (4242, 1, 400)",
                "INSERT INTO inventory (device_id, serial, kind, model, firmware, status, created_ms)
                 VALUES (1003, 'T-1001', 'gps-tag', 'X1', NULL, 'in_stock', 13)",
                "INSERT INTO inventory (device_id, serial, kind, model, firmware, status, created_ms)
                 VALUES (1001, 'T-1003', 'gps-tag', 'X1', NULL, 'in_stock', 13)",
                "INSERT INTO inventory (device_id, serial, kind, model, firmware, status, created_ms)
                 VALUES (1003, 'T-1003', 'gps-tag', NULL, NULL, 'in_stock', 13)",
            ] {
                let result = sqlx::query(refused).execute(&pool).await;
                assert!(result.is_err(), "{name}: {refused} was let through");
            }
            if store.backend() == Backend::Sqlite {
                let broken = sqlx::query("PRAGMA foreign_key_check")
                    .fetch_all(&pool)
                    .await
                    .expect("foreign key check");
                assert!(broken.is_empty(), "{name}: {} broken", broken.len());
                let (copies,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM sqlite_master WHERE name = 'inventory_copy'",
                )
                .fetch_one(&pool)
                .await
                .expect("schema");
                assert_eq!(copies, 0, "{name}: the copy is dropped");
            }

            // A victim's own phone: no firmware anyone can read.
            let phone = cases
                .add_inventory_device(
                    &Actor::system("test"),
                    &NewInventoryDevice {
                        device_id: u64::MAX - 1,
                        serial: "P-1".into(),
                        kind: firmware_proto::DeviceKind::GpsTag,
                        model: "a phone".into(),
                        firmware: None,
                    },
                    async |_| Ok(()),
                )
                .await
                .expect("a device without firmware");
            assert_eq!(phone.firmware, None, "{name}");
            let (stored,): (Option<String>,) =
                sqlx::query_as("SELECT firmware FROM inventory WHERE device_id = $1")
                    .bind(db_id(u64::MAX - 1))
                    .fetch_one(&pool)
                    .await
                    .expect("stored");
            assert_eq!(stored, None, "{name}");
            store.close().await;
        }
    }
}
