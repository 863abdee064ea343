//! What ingest keeps of devices of another protocol: each report as the device sent it, keyed
//! by device and report time (the key reports are deduplicated on: a device sends a report
//! again when it did not hear our answer), and the identities devices are registered by.
//!
//! A report's transcription into sargs frames is stored as observations like any tag's; this
//! table keeps the device's own bytes beside them, for evidence.

use std::collections::HashSet;

use sqlx::{AnyConnection, Row};
use store::{Backend, StoreError, WriteTx, db_id, id_list, wire_id};

use super::Telemetry;
use super::observations::{execute_in_chunks, values_list};

/// One report of a device of another protocol, as received.
#[derive(Clone, Debug)]
pub struct ForeignRecordRow {
    /// The device, as registered.
    pub device_id: u64,
    /// The report's time by the device's clock, in ms since the epoch UTC.
    pub time_ms: i64,
    /// The adapter that heard it (`teltonika`, ...).
    pub adapter: &'static str,
    /// When the engine received it, in ms since the epoch UTC.
    pub received_at_ms: i64,
    /// The report as the device sent it.
    pub record: bytes::Bytes,
}

/// A registered device found by its identity in another protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentifiedDevice {
    /// The device's id in sargs.
    pub device_id: u64,
    /// The hash of its shared secret, where its protocol has none of its own.
    pub token_hash: Option<String>,
}

/// Gives `device_id` an identity in another protocol (`teltonika:<IMEI>`, ...), in a
/// transaction of the caller's, with the hash of its shared secret if it has one. An identity
/// belongs to one device: giving it to a second is refused by the store's unique index.
pub async fn set_identity_in(
    conn: &mut AnyConnection,
    device_id: u64,
    identity: &str,
    token_hash: Option<&str>,
) -> Result<bool, StoreError> {
    let changed = sqlx::query("UPDATE devices SET identity = $1, token_hash = $2 WHERE id = $3")
        .bind(identity)
        .bind(token_hash)
        .bind(db_id(device_id))
        .execute(conn)
        .await?
        .rows_affected();
    Ok(changed == 1)
}

/// The statements that add the batch's foreign records, in its transaction; a record already
/// stored (same device and time) is kept as it was.
pub(super) async fn insert_records(
    tx: &mut WriteTx,
    backend: Backend,
    rows: &[ForeignRecordRow],
) -> Result<(), StoreError> {
    execute_in_chunks(tx, backend, rows, insert_sql, |query, row| {
        query
            .bind(db_id(row.device_id))
            .bind(row.time_ms)
            .bind(row.adapter)
            .bind(row.received_at_ms)
            .bind(row.record.as_ref())
    })
    .await?;
    Ok(())
}

fn insert_sql(rows: usize, backend: Backend) -> String {
    format!(
        "INSERT INTO foreign_records (device_id, time_ms, adapter, received_at_ms, record) \
         VALUES {} ON CONFLICT (device_id, time_ms) DO NOTHING",
        values_list(rows, 5, backend)
    )
}

impl Telemetry {
    /// The device registered with `identity`, if any.
    pub async fn device_by_identity(
        &self,
        identity: &str,
    ) -> Result<Option<IdentifiedDevice>, StoreError> {
        let row = sqlx::query("SELECT id, token_hash FROM devices WHERE identity = $1")
            .bind(identity)
            .fetch_optional(self.store.pool())
            .await?;
        row.map(|row| {
            Ok(IdentifiedDevice {
                device_id: wire_id(row.try_get("id")?),
                token_hash: row.try_get("token_hash")?,
            })
        })
        .transpose()
    }

    /// Which of `keys` (device, report time) are stored already.
    pub async fn foreign_records_stored(
        &self,
        keys: &[(u64, i64)],
    ) -> Result<HashSet<(u64, i64)>, StoreError> {
        if keys.is_empty() {
            return Ok(HashSet::new());
        }
        // Two lists of numbers (never text) over the primary key, and the pairs picked out here.
        let wanted: HashSet<(u64, i64)> = keys.iter().copied().collect();
        let devices: HashSet<i64> = keys.iter().map(|&(d, _)| db_id(d)).collect();
        let times: HashSet<i64> = keys.iter().map(|&(_, t)| t).collect();
        let rows = sqlx::query(&format!(
            "SELECT device_id, time_ms FROM foreign_records \
             WHERE device_id IN ({}) AND time_ms IN ({})",
            id_list(devices),
            id_list(times)
        ))
        .fetch_all(self.store.pool())
        .await?;
        let mut stored = HashSet::new();
        for row in rows {
            let key = (wire_id(row.try_get("device_id")?), row.try_get("time_ms")?);
            if wanted.contains(&key) {
                stored.insert(key);
            }
        }
        Ok(stored)
    }

    /// The record a device of another protocol sent at `time_ms`, as it sent it.
    pub async fn foreign_record(
        &self,
        device_id: u64,
        time_ms: i64,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = sqlx::query(
            "SELECT adapter, record FROM foreign_records WHERE device_id = $1 AND time_ms = $2",
        )
        .bind(db_id(device_id))
        .bind(time_ms)
        .fetch_optional(self.store.pool())
        .await?;
        row.map(|row| Ok((row.try_get("adapter")?, row.try_get("record")?)))
            .transpose()
    }
}
