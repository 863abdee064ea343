//! Reading ingest's observations back: a device's history a page at a time, what was committed
//! after a row (the judge's feed), the last word of a device, counts. Apart from the writing
//! side (`observations`), which commits them in batches.

use sqlx::Row;
use store::{Backend, StoreError, db_id, wire_id};

use super::Telemetry;
use super::observations::{
    CommittedObservation, StoredObservation, chunk_sizes, to_u8, to_u32, values_list,
};

impl Telemetry {
    /// One page of a device's history in device-time order, after the `(device_time_ms, seq)`
    /// of the last row of the previous page.
    pub async fn observations_page(
        &self,
        device_id: u64,
        from_ms: i64,
        to_ms: i64,
        after: Option<(i64, u32)>,
        limit: u32,
    ) -> Result<Vec<StoredObservation>, StoreError> {
        let (after_time, after_seq) = after.map_or((i64::MIN, -1), |(t, s)| (t, i64::from(s)));
        let rows = sqlx::query(&format!(
            "SELECT {SELECTED}
             FROM observations
             WHERE device_id = $1 AND device_time_ms >= $2 AND device_time_ms < $3
               AND (device_time_ms > $4 OR (device_time_ms = $4 AND seq > $5))
             ORDER BY device_time_ms, seq
             LIMIT $6"
        ))
        .bind(db_id(device_id))
        .bind(from_ms)
        .bind(to_ms)
        .bind(after_time)
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(stored).collect()
    }

    /// A device's observations with seqs `first` to `last` (inclusive), in seq order: what it
    /// sent between two observations, by the key it is stored under.
    pub async fn observations_by_seq(
        &self,
        device_id: u64,
        first: u32,
        last: u32,
    ) -> Result<Vec<StoredObservation>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SELECTED}
             FROM observations
             WHERE device_id = $1 AND seq >= $2 AND seq <= $3
             ORDER BY seq"
        ))
        .bind(db_id(device_id))
        .bind(i64::from(first))
        .bind(i64::from(last))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(stored).collect()
    }

    /// The column that numbers observations in commit order.
    fn row_column(&self) -> &'static str {
        match self.store.backend() {
            Backend::Sqlite => "rowid",
            Backend::Postgres => "row_id",
        }
    }

    /// The observations of the devices `wanted` among the `limit` rows committed after row
    /// `after`, in commit order: how the rules engine reads what it has not judged yet. Rows
    /// commit in order because one writer task commits batch after batch; a reader never sees
    /// a row while an earlier one is unseen. Under load most rows are of devices nobody is
    /// judged by, so the rows' devices are read first, then whole rows only of the devices
    /// wanted (the whole span when most are). Returns the last row looked at (None if there
    /// was none) and the rows wanted.
    pub async fn observations_after(
        &self,
        after: i64,
        limit: u32,
        wanted: impl Fn(u64) -> bool,
    ) -> Result<(Option<i64>, Vec<CommittedObservation>), StoreError> {
        let row = self.row_column();
        let heads: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT {row}, device_id FROM observations WHERE {row} > $1 ORDER BY {row} LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.store.pool())
        .await?;
        let Some(&(through, _)) = heads.last() else {
            return Ok((None, Vec::new()));
        };
        let chosen: Vec<i64> = heads
            .iter()
            .filter(|&&(_, device)| wanted(wire_id(device)))
            .map(|&(number, _)| number)
            .collect();
        if chosen.len() * 2 > heads.len() {
            let rows = sqlx::query(&format!(
                "SELECT {row} AS row_number, {SELECTED} FROM observations
                 WHERE {row} > $1 AND {row} <= $2 ORDER BY {row}"
            ))
            .bind(after)
            .bind(through)
            .fetch_all(self.store.pool())
            .await?;
            let mut out = Vec::with_capacity(chosen.len());
            for found in rows.iter().map(committed) {
                let found = found?;
                if wanted(found.observation.device_id) {
                    out.push(found);
                }
            }
            return Ok((Some(through), out));
        }
        let mut out = Vec::with_capacity(chosen.len());
        let mut rest = &chosen[..];
        for size in chunk_sizes(chosen.len()) {
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            let list = values_list(size, 1, self.store.backend());
            let sql = format!(
                "SELECT {row} AS row_number, {SELECTED} FROM observations
                 WHERE {row} IN ({list}) ORDER BY {row}"
            );
            let mut query = sqlx::query(&sql);
            for number in chunk {
                query = query.bind(*number);
            }
            for found in query
                .fetch_all(self.store.pool())
                .await?
                .iter()
                .map(committed)
            {
                out.push(found?);
            }
        }
        Ok((Some(through), out))
    }

    /// A device's observations from device time `from_ms` on, among rows `after` (exclusive)
    /// to `through` (inclusive) in commit order: what the rules engine judges again from a
    /// checkpoint.
    pub async fn device_observations_committed(
        &self,
        device_id: u64,
        from_ms: i64,
        after: i64,
        through: i64,
    ) -> Result<Vec<CommittedObservation>, StoreError> {
        let row = self.row_column();
        let rows = sqlx::query(&format!(
            "SELECT {row} AS row_number, {SELECTED} FROM observations
             WHERE device_id = $1 AND device_time_ms >= $2 AND {row} > $3 AND {row} <= $4
             ORDER BY device_time_ms, seq"
        ))
        .bind(db_id(device_id))
        .bind(from_ms)
        .bind(after)
        .bind(through)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(committed).collect()
    }

    /// The device time of a device's latest observation in `[from_ms, to_ms)`, if any.
    pub async fn last_device_time(
        &self,
        device_id: u64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let last: Option<i64> = sqlx::query(
            "SELECT MAX(device_time_ms) AS last FROM observations
             WHERE device_id = $1 AND device_time_ms >= $2 AND device_time_ms < $3",
        )
        .bind(db_id(device_id))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(self.store.pool())
        .await?
        .try_get("last")?;
        Ok(last)
    }

    /// The last row committed, 0 if none.
    pub async fn last_observation_row(&self) -> Result<i64, StoreError> {
        let row = self.row_column();
        let last: Option<i64> =
            sqlx::query(&format!("SELECT MAX({row}) AS last FROM observations"))
                .fetch_one(self.store.pool())
                .await?
                .try_get("last")?;
        Ok(last.unwrap_or(0))
    }

    /// The fields of a device's latest observation of one frame type (by device time): what
    /// its last heartbeat said of battery and signal, say.
    pub async fn latest_fields(
        &self,
        device_id: u64,
        frame_type: u8,
    ) -> Result<Option<(i64, String)>, StoreError> {
        // Bound, not a list of ids written in: one statement text, kept prepared.
        Ok(sqlx::query_as(
            "SELECT device_time_ms, fields FROM observations
             WHERE device_id = $1 AND frame_type = $2
             ORDER BY device_time_ms DESC, seq DESC LIMIT 1",
        )
        .bind(db_id(device_id))
        .bind(i64::from(frame_type))
        .fetch_optional(self.store.pool())
        .await?)
    }

    /// [`Self::latest_fields`] of each of `devices` that has one, as (device, device time,
    /// fields) in no set order: the last fix of a page of clients' tags in one statement. Each
    /// device's latest row is found by the device-time index, as for one device.
    pub async fn latest_fields_of(
        &self,
        devices: &[u64],
        frame_type: u8,
    ) -> Result<Vec<(u64, i64, String)>, StoreError> {
        let row = self.row_column();
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(&format!(
            "SELECT device_id, device_time_ms, fields FROM observations
             WHERE {row} IN (
                 SELECT (SELECT x.{row} FROM observations x
                         WHERE x.device_id = d.id AND x.frame_type = $1
                         ORDER BY x.device_time_ms DESC, x.seq DESC LIMIT 1)
                 FROM devices d WHERE d.id IN ({}))",
            store::id_list(devices.iter().map(|&id| db_id(id)))
        ))
        .bind(i64::from(frame_type))
        .fetch_all(self.store.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(device, at, fields)| (wire_id(device), at, fields))
            .collect())
    }

    /// How many observations are stored for a device (all devices with `None`).
    pub async fn observation_count(&self, device_id: Option<u64>) -> Result<u64, StoreError> {
        let count: i64 = match device_id {
            Some(id) => sqlx::query("SELECT COUNT(*) AS n FROM observations WHERE device_id = $1")
                .bind(db_id(id))
                .fetch_one(self.store.pool())
                .await?
                .try_get("n")?,
            None => sqlx::query("SELECT COUNT(*) AS n FROM observations")
                .fetch_one(self.store.pool())
                .await?
                .try_get("n")?,
        };
        u64::try_from(count).map_err(|_| StoreError::Corrupt(format!("count = {count}")))
    }
}

const SELECTED: &str = "device_id, seq, frame_type, flags, device_time_ms, received_at_ms, via, \
    clock_skewed, fields, raw";

fn stored(row: &sqlx::any::AnyRow) -> Result<StoredObservation, StoreError> {
    Ok(StoredObservation {
        device_id: wire_id(row.try_get("device_id")?),
        seq: to_u32("seq", row.try_get("seq")?)?,
        frame_type: to_u8("frame_type", row.try_get("frame_type")?)?,
        flags: to_u8("flags", row.try_get("flags")?)?,
        device_time_ms: row.try_get("device_time_ms")?,
        received_at_ms: row.try_get("received_at_ms")?,
        via: row.try_get("via")?,
        clock_skewed: row.try_get::<i64, _>("clock_skewed")? != 0,
        fields: row.try_get("fields")?,
        raw: row.try_get("raw")?,
    })
}

fn committed(row: &sqlx::any::AnyRow) -> Result<CommittedObservation, StoreError> {
    Ok(CommittedObservation {
        row: row.try_get("row_number")?,
        observation: stored(row)?,
    })
}
