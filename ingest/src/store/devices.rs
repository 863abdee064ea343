//! The device registry as stored: registered devices and their keys, the unknown devices that
//! tried to talk to us, security events, and sequence gaps, for technicians to look at.

use firmware_proto::DeviceKey;
pub use firmware_proto::DeviceKind;
use serde::Serialize;
use sqlx::{AnyConnection, Row};
use store::{StoreError, WriteTx, db_id, unsigned_order, wire_id};

use super::Telemetry;

/// A registered device. The key is never serialised: only whether there is one.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceRecord {
    /// The device's id, as its frames carry it.
    pub id: u64,
    /// GPS tag, RF tag or home unit.
    pub kind: DeviceKind,
    /// The key its frames' MACs are checked with; never serialised.
    #[serde(skip)]
    pub key: Option<DeviceKey>,
    /// Whether it has a key, for those who may not see the key.
    pub has_key: bool,
    /// When it was registered, in ms since the epoch UTC.
    pub registered_at_ms: i64,
    /// The highest seq acknowledged to the device with nothing missing below it.
    pub acked_through: u32,
    /// When a frame from it was last received, in ms since the epoch UTC; none if never.
    pub last_seen_ms: Option<i64>,
    /// How it was last heard (`mqtt` or a serial line's name), and so how to reach it.
    pub last_via: Option<String>,
    /// Its clock minus the engine's, in ms, from its newest live frame.
    pub clock_offset_ms: Option<i64>,
    /// Whether its clock is skewed beyond the limit, for technicians to look at.
    pub clock_skewed: bool,
}

/// A device heard from but not registered: a technician may have forgotten to register it.
#[derive(Clone, Debug, Serialize)]
pub struct UnknownDevice {
    /// The id its frames carry.
    pub id: u64,
    /// When it was first heard, in ms since the epoch UTC.
    pub first_seen_ms: i64,
    /// When it was last heard, in ms since the epoch UTC.
    pub last_seen_ms: i64,
    /// How many frames it has sent (all refused).
    pub frames: i64,
    /// How it was last heard (`mqtt` or a serial line's name).
    pub last_via: String,
}

/// Most unknown devices kept: the most recently heard. A flood of frames from invented ids must
/// not grow the table, or the list a technician reads, without bound; the ones let go are
/// counted in [`ForgottenUnknown`].
pub const UNKNOWN_DEVICES_KEPT: i64 = 1_000;

/// The unknown devices let go to keep [`UNKNOWN_DEVICES_KEPT`], and the frames they had sent.
/// An id let go and heard again is kept anew, and counted again if let go again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ForgottenUnknown {
    /// How many ids were let go.
    pub ids: i64,
    /// How many frames they had sent.
    pub frames: i64,
}

/// Lets go of the unknown devices heard least recently, beyond the [`UNKNOWN_DEVICES_KEPT`]
/// newest, counting them: run in the transaction that stored a batch's unknown sightings. The
/// cut-off is found by walking the recency index from the newest end past the kept rows, so a
/// batch costs at most that many index steps and the rows it lets go, however many ids were
/// ever seen.
pub(super) async fn forget_oldest_unknown(tx: &mut WriteTx) -> Result<(), StoreError> {
    let cut: Option<(i64, i64)> = sqlx::query_as(
        "SELECT last_seen_ms, id FROM unknown_devices
         ORDER BY last_seen_ms DESC, id DESC LIMIT 1 OFFSET $1",
    )
    .bind(UNKNOWN_DEVICES_KEPT)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((last_seen_ms, id)) = cut else {
        return Ok(());
    };
    let frames: Vec<(i64,)> = sqlx::query_as(
        // A row value, so that PostgreSQL walks the recency index rather than the table.
        "DELETE FROM unknown_devices WHERE (last_seen_ms, id) <= ($1, $2) RETURNING frames",
    )
    .bind(last_seen_ms)
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let ids = i64::try_from(frames.len()).unwrap_or(i64::MAX);
    let frames = frames.iter().fold(0i64, |sum, (f,)| sum.saturating_add(*f));
    sqlx::query(
        "UPDATE unknown_devices_forgotten SET ids = ids + $1, frames = frames + $2 WHERE id = 1",
    )
    .bind(ids)
    .bind(frames)
    .execute(&mut **tx)
    .await?;
    tracing::debug!(ids, frames, "let go of the oldest unknown devices");
    Ok(())
}

/// Frames of a registered device refused for a security reason (a bad or missing MAC): someone
/// may be forging its frames. One per device, reason and batch.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SecurityEvent {
    /// The device the frames claimed to be from.
    pub device_id: u64,
    /// When the first of them was received, in ms since the epoch UTC.
    pub at_ms: i64,
    /// Why they were refused (the reason's label).
    pub reason: String,
    /// How many frames were refused.
    pub frames: i64,
    /// How they arrived (`mqtt` or a serial line's name).
    pub via: String,
}

/// Frames a device never delivered and no longer holds: a hole in its observations for good.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SeqGap {
    /// The device with the hole.
    pub device_id: u64,
    /// The first seq missing.
    pub first_seq: u32,
    /// The last seq missing.
    pub last_seq: u32,
    /// When ingest gave up waiting for them, in ms since the epoch UTC.
    pub detected_at_ms: i64,
}

const DEVICE_COLUMNS: &str = "id, kind, device_key, registered_at_ms, acked_through, last_seen_ms, \
     last_via, clock_offset_ms, clock_skewed";

fn device_from_row(row: &sqlx::any::AnyRow) -> Result<DeviceRecord, StoreError> {
    let id = wire_id(row.try_get("id")?);
    let name: String = row.try_get("kind")?;
    let kind = name
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("device {id}: {name:?}: {e}")))?;
    let key: Option<Vec<u8>> = row.try_get("device_key")?;
    let key = match key {
        None => None,
        Some(bytes) => Some(DeviceKey::try_from(bytes.as_slice()).map_err(|_| {
            StoreError::Corrupt(format!("device {id}: key is {} bytes, not 32", bytes.len()))
        })?),
    };
    let acked: i64 = row.try_get("acked_through")?;
    Ok(DeviceRecord {
        id,
        kind,
        has_key: key.is_some(),
        key,
        registered_at_ms: row.try_get("registered_at_ms")?,
        acked_through: u32::try_from(acked)
            .map_err(|_| StoreError::Corrupt(format!("device {id}: acked_through {acked}")))?,
        last_seen_ms: row.try_get("last_seen_ms")?,
        last_via: row.try_get("last_via")?,
        clock_offset_ms: row.try_get("clock_offset_ms")?,
        clock_skewed: row.try_get::<i64, _>("clock_skewed")? != 0,
    })
}

/// Registers devices with the frame path inside a transaction of the caller's: the cases add a
/// device to their inventory and register it here in one step. Devices already registered keep
/// their registration and key. Returns how many were new.
pub async fn register_in(
    conn: &mut AnyConnection,
    devices: &[(u64, DeviceKind, Option<DeviceKey>)],
    now_ms: i64,
) -> Result<u64, StoreError> {
    let mut added = 0;
    for (id, kind, key) in devices {
        added += sqlx::query(
            "INSERT INTO devices (id, kind, device_key, registered_at_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(db_id(*id))
        .bind(kind.as_str())
        .bind(key.map(|k| k.to_vec()))
        .bind(now_ms)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(added)
}

impl Telemetry {
    /// Register devices in one transaction, keeping any already registered as they are (frames
    /// from a device are stored and acked only once it is registered). Returns how many were new.
    pub async fn register_devices(
        &self,
        devices: &[(u64, DeviceKind, Option<DeviceKey>)],
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.store.begin_write().await?;
        let added = register_in(&mut tx, devices, now_ms).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// A registered device, by id; none if not registered.
    /// A bound parameter, not [`Self::devices_by_ids`]' list: the checking stage asks this of
    /// every new or unknown device id (a flood of invented ids too), and one statement text
    /// keeps its prepared statement cached.
    pub async fn device(&self, id: u64) -> Result<Option<DeviceRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1"
        ))
        .bind(db_id(id))
        .fetch_optional(self.store.pool())
        .await?;
        row.as_ref().map(device_from_row).transpose()
    }

    /// The registered devices of `ids`, in no set order; an id not registered is left out.
    pub async fn devices_by_ids(&self, ids: &[u64]) -> Result<Vec<DeviceRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE id IN ({})",
            store::id_list(ids.iter().map(|&id| db_id(id)))
        ))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(device_from_row).collect()
    }

    /// Every registered device, by id.
    pub async fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY id"))
            .fetch_all(self.store.pool())
            .await?;
        let mut devices: Vec<DeviceRecord> =
            rows.iter().map(device_from_row).collect::<Result<_, _>>()?;
        // ORDER BY sorts the stored signed bits; ids above i64::MAX belong at the end.
        devices.sort_by_key(|d| d.id);
        Ok(devices)
    }

    /// The unknown devices kept, in device id order: those after `after` (the last id of the
    /// previous page; `None` for the first), at most `limit`.
    pub async fn unknown_devices(
        &self,
        after: Option<u64>,
        limit: i64,
    ) -> Result<Vec<UnknownDevice>, StoreError> {
        let columns = "id, first_seen_ms, last_seen_ms, frames, last_via";
        let high = unsigned_order("id");
        let rows = match after {
            None => {
                sqlx::query(&format!(
                    "SELECT {columns} FROM unknown_devices
                     ORDER BY {high}, id LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(self.store.pool())
                .await?
            }
            Some(after) => {
                let after = db_id(after);
                sqlx::query(&format!(
                    "SELECT {columns} FROM unknown_devices
                     WHERE {high} > $1 OR ({high} = $1 AND id > $2)
                     ORDER BY {high}, id LIMIT $3"
                ))
                .bind(i64::from(after < 0))
                .bind(after)
                .bind(limit)
                .fetch_all(self.store.pool())
                .await?
            }
        };
        rows.iter()
            .map(|row| {
                Ok(UnknownDevice {
                    id: wire_id(row.try_get("id")?),
                    first_seen_ms: row.try_get("first_seen_ms")?,
                    last_seen_ms: row.try_get("last_seen_ms")?,
                    frames: row.try_get("frames")?,
                    last_via: row.try_get("last_via")?,
                })
            })
            .collect()
    }

    /// How many unknown devices were let go to keep the list bounded, and their frames.
    pub async fn unknown_devices_forgotten(&self) -> Result<ForgottenUnknown, StoreError> {
        let (ids, frames): (i64, i64) =
            sqlx::query_as("SELECT ids, frames FROM unknown_devices_forgotten WHERE id = 1")
                .fetch_optional(self.store.pool())
                .await?
                .unwrap_or((0, 0));
        Ok(ForgottenUnknown { ids, frames })
    }

    /// The security events of a device.
    pub async fn security_events(&self, device_id: u64) -> Result<Vec<SecurityEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT device_id, at_ms, reason, frames, via FROM security_events
             WHERE device_id = $1 ORDER BY at_ms, id",
        )
        .bind(db_id(device_id))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SecurityEvent {
                    device_id: wire_id(row.try_get("device_id")?),
                    at_ms: row.try_get("at_ms")?,
                    reason: row.try_get("reason")?,
                    frames: row.try_get("frames")?,
                    via: row.try_get("via")?,
                })
            })
            .collect()
    }

    /// The sequence gaps of a device.
    pub async fn seq_gaps(&self, device_id: u64) -> Result<Vec<SeqGap>, StoreError> {
        let rows = sqlx::query(
            "SELECT device_id, first_seq, last_seq, detected_at_ms FROM seq_gaps
             WHERE device_id = $1 ORDER BY first_seq",
        )
        .bind(db_id(device_id))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let seq = |name: &str| -> Result<u32, StoreError> {
                    let v: i64 = row.try_get(name)?;
                    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{name} = {v}")))
                };
                Ok(SeqGap {
                    device_id: wire_id(row.try_get("device_id")?),
                    first_seq: seq("first_seq")?,
                    last_seq: seq("last_seq")?,
                    detected_at_ms: row.try_get("detected_at_ms")?,
                })
            })
            .collect()
    }
}
