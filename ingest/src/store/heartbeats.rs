//! What a device's health history is read from: its heartbeats over a period (decoded again
//! from the stored frames, so a field is read by the protocol's own types) and the holes in its
//! sequence found meanwhile. [`crate::health_history`] sorts them into slices.

use firmware_proto::{Flags, FrameType, Message};
use futures::TryStreamExt;
use sqlx::Row;
use store::{StoreError, db_id};

use super::Telemetry;
use crate::health_history::{HealthHistory, HeartbeatSample, HistoryError, LostFrames};

/// Why a health history was not read.
#[derive(Debug, thiserror::Error)]
pub enum HealthHistoryError {
    /// Asked for in a way that cannot be answered.
    #[error(transparent)]
    Request(#[from] HistoryError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a health history is asked for.
#[derive(Clone, Copy, Debug)]
pub struct HistoryRequest {
    /// The period, in device time: `[from_ms, to_ms)`.
    pub from_ms: i64,
    /// The period's end.
    pub to_ms: i64,
    /// How many slices to cut it into.
    pub slices: u32,
    /// A span with no heartbeat longer than this is a silence.
    pub silence_ms: i64,
    /// Now: a silence is not counted past it.
    pub now_ms: i64,
}

impl Telemetry {
    /// The device's health over the asked period (see [`crate::health_history`]). A stored
    /// heartbeat that no longer decodes is left out with a warning.
    pub async fn health_history(
        &self,
        device_id: u64,
        asked: HistoryRequest,
    ) -> Result<HealthHistory, HealthHistoryError> {
        // Refused before anything is read.
        HealthHistory::build(
            asked.from_ms,
            asked.to_ms,
            asked.slices,
            asked.silence_ms,
            asked.now_ms,
            &[],
            &[],
        )?;
        let heartbeats = self
            .heartbeats(device_id, asked.from_ms, asked.to_ms)
            .await?;
        let lost = self
            .lost_frames(device_id, asked.from_ms, asked.to_ms)
            .await?;
        Ok(HealthHistory::build(
            asked.from_ms,
            asked.to_ms,
            asked.slices,
            asked.silence_ms,
            asked.now_ms,
            &heartbeats,
            &lost,
        )?)
    }

    /// The device's heartbeats with device time in `[from_ms, to_ms)`, in device-time order.
    async fn heartbeats(
        &self,
        device_id: u64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<HeartbeatSample>, StoreError> {
        let mut heartbeats = Vec::new();
        let mut rows = sqlx::query(
            "SELECT device_time_ms, received_at_ms, flags, raw FROM observations
             WHERE device_id = $1 AND device_time_ms >= $2 AND device_time_ms < $3 AND frame_type = $4
             ORDER BY device_time_ms",
        )
        .bind(db_id(device_id))
        .bind(from_ms)
        .bind(to_ms)
        .bind(i64::from(FrameType::Heartbeat.to_u8()))
        .fetch(self.store.pool());
        while let Some(row) = rows.try_next().await? {
            let raw: Vec<u8> = row.try_get("raw")?;
            let flags: i64 = row.try_get("flags")?;
            match firmware_proto::decode(&raw) {
                Ok(frame) => {
                    if let Message::Heartbeat(heartbeat) = frame.message {
                        heartbeats.push(HeartbeatSample {
                            device_ms: row.try_get("device_time_ms")?,
                            received_ms: row.try_get("received_at_ms")?,
                            live: flags & i64::from(Flags::STORED.bits()) == 0,
                            heartbeat,
                        });
                    }
                }
                Err(error) => {
                    tracing::warn!(device_id, %error, "a stored heartbeat does not decode; left out of its health history");
                }
            }
        }
        Ok(heartbeats)
    }

    /// The holes in the device's sequence given up on in `[from_ms, to_ms)`.
    async fn lost_frames(
        &self,
        device_id: u64,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<LostFrames>, StoreError> {
        sqlx::query(
            "SELECT first_seq, last_seq, detected_at_ms FROM seq_gaps
             WHERE device_id = $1 AND detected_at_ms >= $2 AND detected_at_ms < $3",
        )
        .bind(db_id(device_id))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|row| {
            let first: i64 = row.try_get("first_seq")?;
            let last: i64 = row.try_get("last_seq")?;
            Ok(LostFrames {
                detected_ms: row.try_get("detected_at_ms")?,
                frames: u64::try_from(last - first + 1).unwrap_or(0),
            })
        })
        .collect()
    }
}
