//! The case tables. Append only, like ingest's: never edit a migration that has shipped.
//!
//! Times are milliseconds since the epoch (UTC); documents whose shape belongs to the rules
//! engine (an order's terms, a client's addresses) are JSON text, read back through the same
//! serde types that validated them.

use ingest::store::{Store, schema};

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
];

pub(crate) async fn migrate(store: &Store) -> Result<(), CasesError> {
    schema::apply(store, "cases_schema_migrations", MIGRATIONS).await?;
    for statement in audit::guard_statements(store.backend()) {
        sqlx::query(statement).execute(store.pool()).await?;
    }
    Ok(())
}
