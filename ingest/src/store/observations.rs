//! Observations: every accepted frame, raw and decoded, written in batches.
//!
//! A whole batch (observations, device watermarks, unknown sightings, security events, gaps) is
//! one transaction: when `write_batch` returns, all of it is durable, and only then may the
//! caller acknowledge the devices. Duplicates (same device and seq) are kept once by the primary
//! key, so a resent frame costs one ignored insert.

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use serde::Serialize;
use sqlx::Row;

use store::{Backend, StoreError, WriteTx, db_id, wire_id};

use super::{SecurityEvent, SeqGap, Telemetry};

/// One accepted frame, ready to store.
#[derive(Clone, Debug)]
pub struct ObservationRow {
    /// The device that sent it.
    pub device_id: u64,
    /// The device's seq for it; a (device, seq) is stored once.
    pub seq: u32,
    /// The protocol's frame type (LOCATION, HEARTBEAT, ...).
    pub frame_type: u8,
    /// The frame's header flags (such as STORED: held through a coverage gap and sent late).
    pub flags: u8,
    /// When it happened by the device's clock, in ms since the epoch UTC.
    pub device_time_ms: i64,
    /// When the engine received it, in ms since the epoch UTC.
    pub received_at_ms: i64,
    /// How it arrived (`mqtt` or a serial line's name).
    pub via: std::sync::Arc<str>,
    /// Whether this frame showed the device's clock skewed (live frames only).
    pub clock_skewed: bool,
    /// The decoded payload as JSON.
    pub fields: String,
    /// The frame's bytes as received.
    pub raw: Bytes,
}

/// The per-device bookkeeping that changes with a batch.
#[derive(Clone, Debug)]
pub struct DeviceUpdate {
    /// The device.
    pub id: u64,
    /// The highest seq acknowledged to the device with nothing missing below it.
    pub acked_through: u32,
    /// The last downlink seq used for the device, so that a restart never reuses one.
    pub down_seq: u32,
    /// When it was last heard, in ms since the epoch UTC.
    pub last_seen_ms: i64,
    /// How it was last heard, and so how to reach it.
    pub last_via: std::sync::Arc<str>,
    /// Device clock minus engine clock, from the newest live frame, if the batch had one.
    pub clock_offset_ms: Option<i64>,
    /// Whether its clock is skewed, from the newest live frame; none to leave it as it was.
    pub clock_skewed: Option<bool>,
}

/// Frames from one unregistered device in a batch, for the list technicians read.
#[derive(Clone, Debug)]
pub struct UnknownSighting {
    /// The id the frames carry.
    pub id: u64,
    /// When the first was received, in ms since the epoch UTC.
    pub at_ms: i64,
    /// How many frames.
    pub frames: i64,
    /// How they arrived.
    pub via: std::sync::Arc<str>,
}

/// Everything one commit writes.
#[derive(Clone, Debug, Default)]
pub struct WriteBatch {
    /// The accepted frames; duplicates are stored once.
    pub observations: Vec<ObservationRow>,
    /// The bookkeeping of the devices the frames came from.
    pub devices: Vec<DeviceUpdate>,
    /// Unregistered devices heard.
    pub unknown: Vec<UnknownSighting>,
    /// Frames refused for security reasons.
    pub security: Vec<SecurityEvent>,
    /// Sequence gaps given up on.
    pub gaps: Vec<SeqGap>,
    /// Reports of devices of another protocol as they sent them; one already stored is kept.
    pub foreign_records: Vec<super::ForeignRecordRow>,
}

impl WriteBatch {
    /// Whether there is nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.observations.is_empty()
            && self.devices.is_empty()
            && self.unknown.is_empty()
            && self.security.is_empty()
            && self.gaps.is_empty()
            && self.foreign_records.is_empty()
    }
}

/// What committing a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Observations newly stored; the rest of the batch's observations were duplicates.
    pub inserted: u64,
}

/// What the ack watermark of a device was when this process last saw it, from storage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceWindowState {
    /// The highest seq acknowledged to the device with nothing missing below it.
    pub acked_through: u32,
    /// The last downlink seq used for the device.
    pub down_seq: u32,
    /// Stored seqs above `acked_through` (frames that arrived ahead of a gap).
    pub stored_above: BTreeSet<u32>,
}

/// A stored observation, as export and the API read it.
#[derive(Clone, Debug, Serialize)]
pub struct StoredObservation {
    /// The device that sent it.
    pub device_id: u64,
    /// The device's seq for it.
    pub seq: u32,
    /// The protocol's frame type (LOCATION, HEARTBEAT, ...).
    pub frame_type: u8,
    /// The frame's header flags (such as STORED: sent late from the device's buffer).
    pub flags: u8,
    /// When it happened by the device's clock, in ms since the epoch UTC.
    pub device_time_ms: i64,
    /// When the engine received it, in ms since the epoch UTC.
    pub received_at_ms: i64,
    /// How it arrived (`mqtt` or a serial line's name).
    pub via: String,
    /// Whether this frame showed the device's clock skewed (live frames only).
    pub clock_skewed: bool,
    /// The decoded payload as JSON.
    pub fields: String,
    /// The frame's bytes as received; not serialised.
    #[serde(skip)]
    pub raw: Vec<u8>,
}

/// A stored observation with its place in commit order (see [`Telemetry::observations_after`]).
#[derive(Clone, Debug)]
pub struct CommittedObservation {
    /// Its place in commit order: readers such as the judge follow the log by it.
    pub row: i64,
    /// The observation.
    pub observation: StoredObservation,
}

const OBSERVATION_COLUMNS: usize = 10;
/// Rows per INSERT statement. Batches are cut into power-of-two chunks up to this size so that
/// only a handful of distinct statements exist and all stay in the prepared-statement cache.
const MAX_ROWS_PER_INSERT: usize = 256;

/// `rows` parenthesised tuples of `columns` placeholders, for multi-row statements. SQLite gets
/// anonymous `?` placeholders: with numbered ones its parameter-name look-up is linear per
/// parameter, which made binding a 2 560-parameter statement quadratic (measured: 14 % of the
/// service's CPU).
pub(super) fn values_list(rows: usize, columns: usize, backend: Backend) -> String {
    let mut sql = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for col in 0..columns {
            if col > 0 {
                sql.push(',');
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * columns + col + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

fn insert_sql(rows: usize, backend: Backend) -> String {
    format!(
        "INSERT INTO observations (device_id, seq, frame_type, flags, device_time_ms, \
         received_at_ms, via, clock_skewed, fields, raw) VALUES {} \
         ON CONFLICT (device_id, seq) DO NOTHING",
        values_list(rows, OBSERVATION_COLUMNS, backend)
    )
}

const DEVICE_UPDATE_COLUMNS: usize = 7;

/// One statement updates many devices: with a fleet of 100 000, nearly every frame in a batch
/// is from another device, and a statement per device cost more than the inserts.
fn device_update_sql(rows: usize, backend: Backend) -> String {
    format!(
        "UPDATE devices SET acked_through = v.column2, down_seq = v.column3, \
            last_seen_ms = v.column4, last_via = v.column5, \
            clock_offset_ms = COALESCE(v.column6, devices.clock_offset_ms), \
            clock_skewed = COALESCE(v.column7, devices.clock_skewed) \
         FROM (VALUES {}) AS v WHERE devices.id = v.column1",
        values_list(rows, DEVICE_UPDATE_COLUMNS, backend)
    )
}

/// Chunk sizes for `n` rows: as many full chunks as fit, then the binary digits of the rest.
pub(super) fn chunk_sizes(mut n: usize) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let size = if n >= MAX_ROWS_PER_INSERT {
            MAX_ROWS_PER_INSERT
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        n -= size;
        Some(size)
    })
}

pub(super) fn to_u32(name: &str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("{name} = {value}")))
}

pub(super) fn to_u8(name: &str, value: i64) -> Result<u8, StoreError> {
    u8::try_from(value).map_err(|_| StoreError::Corrupt(format!("{name} = {value}")))
}

pub(super) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Run a multi-row statement over `rows` in chunks (see `chunk_sizes`), binding each row's
/// values with `bind`. Returns the rows affected.
pub(super) async fn execute_in_chunks<T>(
    tx: &mut WriteTx,
    backend: Backend,
    rows: &[T],
    sql_for: fn(usize, Backend) -> String,
    bind: for<'q> fn(AnyQuery<'q>, &'q T) -> AnyQuery<'q>,
) -> Result<u64, StoreError> {
    let mut affected = 0;
    let mut rest = rows;
    for size in chunk_sizes(rows.len()) {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        let sql = sql_for(chunk.len(), backend);
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = bind(query, row);
        }
        affected += query.execute(&mut **tx).await?.rows_affected();
    }
    Ok(affected)
}

impl Telemetry {
    /// Write a batch in one transaction. Returns only after the commit.
    pub async fn write_batch(&self, batch: &WriteBatch) -> Result<WriteOutcome, StoreError> {
        let mut tx = self.store.begin_write().await?;
        let inserted = match self.write_rows(&mut tx, batch).await {
            Ok(inserted) => inserted,
            Err(error) => {
                if let StoreError::Sql(error) = &error {
                    self.store.write_failed(error);
                }
                return Err(error);
            }
        };
        tx.commit().await?;
        if inserted > 0 {
            self.store.announce_commit();
        }
        Ok(WriteOutcome { inserted })
    }

    /// The batch's statements, in the caller's transaction; returns the observations inserted.
    async fn write_rows(&self, tx: &mut WriteTx, batch: &WriteBatch) -> Result<u64, StoreError> {
        let backend = self.store.backend();
        let inserted = execute_in_chunks(
            tx,
            backend,
            &batch.observations,
            insert_sql,
            |query, row| {
                query
                    .bind(db_id(row.device_id))
                    .bind(i64::from(row.seq))
                    .bind(i64::from(row.frame_type))
                    .bind(i64::from(row.flags))
                    .bind(row.device_time_ms)
                    .bind(row.received_at_ms)
                    .bind(&*row.via)
                    .bind(i64::from(row.clock_skewed))
                    .bind(row.fields.as_str())
                    .bind(row.raw.as_ref())
            },
        )
        .await?;
        execute_in_chunks(
            tx,
            backend,
            &batch.devices,
            device_update_sql,
            |query, device| {
                query
                    .bind(db_id(device.id))
                    .bind(i64::from(device.acked_through))
                    .bind(i64::from(device.down_seq))
                    .bind(device.last_seen_ms)
                    .bind(&*device.last_via)
                    .bind(device.clock_offset_ms)
                    .bind(device.clock_skewed.map(i64::from))
            },
        )
        .await?;
        for sighting in &batch.unknown {
            sqlx::query(
                "INSERT INTO unknown_devices (id, first_seen_ms, last_seen_ms, frames, last_via)
                 VALUES ($1, $2, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET last_seen_ms = excluded.last_seen_ms,
                    frames = unknown_devices.frames + excluded.frames,
                    last_via = excluded.last_via",
            )
            .bind(db_id(sighting.id))
            .bind(sighting.at_ms)
            .bind(sighting.frames)
            .bind(&*sighting.via)
            .execute(&mut **tx)
            .await?;
        }
        if !batch.unknown.is_empty() {
            super::devices::forget_oldest_unknown(tx).await?;
        }
        for event in &batch.security {
            sqlx::query(
                "INSERT INTO security_events (device_id, at_ms, reason, frames, via)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(db_id(event.device_id))
            .bind(event.at_ms)
            .bind(event.reason.as_str())
            .bind(event.frames)
            .bind(event.via.as_str())
            .execute(&mut **tx)
            .await?;
        }
        super::foreign::insert_records(tx, backend, &batch.foreign_records).await?;
        for gap in &batch.gaps {
            sqlx::query(
                "INSERT INTO seq_gaps (device_id, first_seq, last_seq, detected_at_ms)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (device_id, first_seq) DO NOTHING",
            )
            .bind(db_id(gap.device_id))
            .bind(i64::from(gap.first_seq))
            .bind(i64::from(gap.last_seq))
            .bind(gap.detected_at_ms)
            .execute(&mut **tx)
            .await?;
        }
        Ok(inserted)
    }

    /// Persist a device's downlink seq on its own, for a command sent between batches (ACKs
    /// persist theirs with the batch). False if the device is not registered.
    pub async fn set_down_seq(&self, id: u64, down_seq: u32) -> Result<bool, StoreError> {
        let _turn = self.store.write_turn().await?;
        let updated = sqlx::query("UPDATE devices SET down_seq = $1 WHERE id = $2")
            .bind(i64::from(down_seq))
            .bind(db_id(id))
            .execute(self.store.pool())
            .await?
            .rows_affected();
        Ok(updated > 0)
    }

    /// The stored ack watermark of a registered device and the seqs stored above it.
    pub async fn device_window(&self, id: u64) -> Result<Option<DeviceWindowState>, StoreError> {
        Ok(self.device_windows(Some(&[id])).await?.remove(&id))
    }

    /// The ack windows of every registered device (`None`) or of some, in two queries per
    /// chunk of ids: the writer loads them all at start, and the devices first heard in a
    /// batch together, rather than two queries per device on its hot path.
    pub async fn device_windows(
        &self,
        ids: Option<&[u64]>,
    ) -> Result<HashMap<u64, DeviceWindowState>, StoreError> {
        let mut windows = HashMap::new();
        match ids {
            None => self.load_windows(&[], &mut windows).await?,
            Some(ids) => {
                for chunk in ids.chunks(MAX_ROWS_PER_INSERT) {
                    if !chunk.is_empty() {
                        self.load_windows(chunk, &mut windows).await?;
                    }
                }
            }
        }
        Ok(windows)
    }

    /// Windows of `ids`, or of every device if `ids` is empty.
    async fn load_windows(
        &self,
        ids: &[u64],
        windows: &mut HashMap<u64, DeviceWindowState>,
    ) -> Result<(), StoreError> {
        let filter = if ids.is_empty() {
            String::new()
        } else {
            let list = values_list(1, ids.len(), self.store.backend());
            format!(" WHERE d.id IN {list}")
        };
        let devices_sql =
            format!("SELECT d.id, d.acked_through, d.down_seq FROM devices d{filter}");
        let ahead_sql = format!(
            "SELECT o.device_id, o.seq FROM observations o
             JOIN devices d ON d.id = o.device_id AND o.seq > d.acked_through{filter}"
        );
        let mut devices_query = sqlx::query(&devices_sql);
        let mut ahead_query = sqlx::query(&ahead_sql);
        for id in ids {
            devices_query = devices_query.bind(db_id(*id));
            ahead_query = ahead_query.bind(db_id(*id));
        }
        for row in devices_query.fetch_all(self.store.pool()).await? {
            windows.insert(
                wire_id(row.try_get("id")?),
                DeviceWindowState {
                    acked_through: to_u32("acked_through", row.try_get("acked_through")?)?,
                    down_seq: to_u32("down_seq", row.try_get("down_seq")?)?,
                    stored_above: BTreeSet::new(),
                },
            );
        }
        for row in ahead_query.fetch_all(self.store.pool()).await? {
            let id = wire_id(row.try_get("device_id")?);
            if let Some(window) = windows.get_mut(&id) {
                window
                    .stored_above
                    .insert(to_u32("seq", row.try_get("seq")?)?);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_row_with_few_distinct_sizes() {
        for n in 0..2000 {
            let sizes: Vec<usize> = chunk_sizes(n).collect();
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(
                sizes
                    .iter()
                    .all(|s| s.is_power_of_two() && *s <= MAX_ROWS_PER_INSERT)
            );
        }
    }

    #[test]
    fn insert_sql_has_one_placeholder_per_value() {
        let sql = insert_sql(3, Backend::Postgres);
        for n in 1..=30 {
            assert!(sql.contains(&format!("${n},")) || sql.contains(&format!("${n})")));
        }
        assert!(!sql.contains("$31"));
        let sql = insert_sql(3, Backend::Sqlite);
        assert_eq!(sql.matches('?').count(), 30);
        assert!(!sql.contains('$'));
    }
}
