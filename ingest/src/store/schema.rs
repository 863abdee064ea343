//! Ingest's tables (devices, observations, unknown devices, security events, sequence gaps)
//! and their migrations, applied through [`store::schema::apply`].

use store::{Store, StoreError};

/// Each migration is a list of statements. Append only: never edit one that has shipped.
const MIGRATIONS: &[&[&str]] = &[
    &[
        "CREATE TABLE IF NOT EXISTS devices (
        id BIGINT PRIMARY KEY,
        kind TEXT NOT NULL,
        device_key {blob},
        registered_at_ms BIGINT NOT NULL,
        acked_through BIGINT NOT NULL DEFAULT 0,
        down_seq BIGINT NOT NULL DEFAULT 0,
        last_seen_ms BIGINT,
        last_via TEXT,
        clock_offset_ms BIGINT,
        clock_skewed BIGINT NOT NULL DEFAULT 0
    )",
        // A rowid table on purpose: rows are appended in arrival order and only the two small
        // indexes are clustered by device. Clustering the rows themselves by (device_id, seq)
        // (WITHOUT ROWID) dirtied a page per device per commit: 24k rows/s against 38k
        // (ingest/benches/store_write.rs, batch 4096).
        "CREATE TABLE IF NOT EXISTS observations (
        device_id BIGINT NOT NULL,
        seq BIGINT NOT NULL,
        frame_type BIGINT NOT NULL,
        flags BIGINT NOT NULL,
        device_time_ms BIGINT NOT NULL,
        received_at_ms BIGINT NOT NULL,
        via TEXT NOT NULL,
        clock_skewed BIGINT NOT NULL,
        fields TEXT NOT NULL,
        raw {blob} NOT NULL,
        PRIMARY KEY (device_id, seq)
    )",
        "CREATE INDEX IF NOT EXISTS observations_by_device_time
        ON observations (device_id, device_time_ms)",
        "CREATE TABLE IF NOT EXISTS unknown_devices (
        id BIGINT PRIMARY KEY,
        first_seen_ms BIGINT NOT NULL,
        last_seen_ms BIGINT NOT NULL,
        frames BIGINT NOT NULL,
        last_via TEXT NOT NULL
    )",
        "CREATE TABLE IF NOT EXISTS security_events (
        id {id},
        device_id BIGINT NOT NULL,
        at_ms BIGINT NOT NULL,
        reason TEXT NOT NULL,
        frames BIGINT NOT NULL,
        via TEXT NOT NULL
    )",
        "CREATE INDEX IF NOT EXISTS security_events_by_device ON security_events (device_id, at_ms)",
        "CREATE TABLE IF NOT EXISTS seq_gaps (
        device_id BIGINT NOT NULL,
        first_seq BIGINT NOT NULL,
        last_seq BIGINT NOT NULL,
        detected_at_ms BIGINT NOT NULL,
        PRIMARY KEY (device_id, first_seq)
    )",
    ],
    &[
        // Observations in the order they were committed, for the rules engine to read after the
        // last one it judged (`Store::observations_after`). SQLite has it already: the rowid of a
        // table rows are never deleted from, given as max + 1 by the one writer. PostgreSQL gets
        // an identity column; the one writer task commits batch after batch, so ids commit in
        // order.
        "postgres: ALTER TABLE observations ADD COLUMN IF NOT EXISTS row_id BIGINT GENERATED ALWAYS AS IDENTITY",
        "postgres: CREATE UNIQUE INDEX IF NOT EXISTS observations_by_row ON observations (row_id)",
    ],
    &[
        // Only the most recently heard unknown devices are kept (`UNKNOWN_DEVICES_KEPT`): the
        // index finds the oldest without a scan, and one row counts what was forgotten.
        "CREATE INDEX IF NOT EXISTS unknown_devices_by_recency
        ON unknown_devices (last_seen_ms, id)",
        "CREATE TABLE IF NOT EXISTS unknown_devices_forgotten (
        id BIGINT PRIMARY KEY,
        ids BIGINT NOT NULL,
        frames BIGINT NOT NULL
    )",
        "INSERT INTO unknown_devices_forgotten (id, ids, frames) VALUES (1, 0, 0)
        ON CONFLICT (id) DO NOTHING",
    ],
    &[
        // Devices of another protocol (issue 19): the identity they are known by there
        // (`teltonika:<IMEI>`, ...), one device each, and the hash of a shared secret where
        // that protocol has none; and each report as the device sent it, keyed by what
        // reports are deduplicated on.
        "ALTER TABLE devices ADD COLUMN identity TEXT",
        "ALTER TABLE devices ADD COLUMN token_hash TEXT",
        "CREATE UNIQUE INDEX IF NOT EXISTS devices_by_identity ON devices (identity)",
        "CREATE TABLE IF NOT EXISTS foreign_records (
        device_id BIGINT NOT NULL,
        time_ms BIGINT NOT NULL,
        adapter TEXT NOT NULL,
        received_at_ms BIGINT NOT NULL,
        record {blob} NOT NULL,
        PRIMARY KEY (device_id, time_ms)
    )",
    ],
];

pub(super) async fn migrate(store: &Store) -> Result<(), StoreError> {
    store::schema::apply(store, "schema_migrations", MIGRATIONS).await
}
