//! The writer's part for devices of another protocol: their reports are numbered here, since
//! their protocols have no sequence of ours, deduplicated on (device, report time), and written
//! down as the frames a tag would have sent, so that everything after ingest reads them as any
//! observation. The device's own record is kept beside them.
//!
//! A device's numbers continue from its stored watermark (`acked_through`, which for such a
//! device is the last number used and is written in the same commit). A commit that failed
//! may have gone through after all (one that did not answer in time): the writer then forgets
//! those devices' windows, and reads them again, with what is stored, before the next try, so a
//! number is never given twice.

use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use firmware_proto::{Frame, Header};

use super::{MqttDownlink, Touched, Writer, add_accepted};
use crate::adapter::ForeignBatch;
use crate::check::{Accepted, Checked};
use crate::metrics::Metrics;
use crate::source::Via;
use crate::store::{ForeignRecordRow, WriteBatch};
use store::StoreError;

impl<D: MqttDownlink> Writer<D> {
    /// The reports of `items` that storage holds already, by (device, report time).
    pub(super) async fn foreign_stored(
        &self,
        items: &[Checked],
    ) -> Result<HashSet<(u64, i64)>, StoreError> {
        let keys: Vec<(u64, i64)> = foreign(items)
            .flat_map(|batch| batch.reports.iter().map(|r| (batch.device_id, r.time_ms)))
            .collect();
        self.store.foreign_records_stored(&keys).await
    }

    /// A commit of `items` failed, and may have gone through after all: the windows of their
    /// devices of another protocol are read again before they are numbered again.
    pub(super) fn forget_foreign_windows(&mut self, items: &[Checked]) {
        for batch in foreign(items) {
            self.devices.remove(&batch.device_id);
        }
    }
}

/// The foreign batches among `items`.
pub(super) fn foreign(items: &[Checked]) -> impl Iterator<Item = &ForeignBatch> {
    items.iter().filter_map(|item| match item {
        Checked::Foreign(batch) => Some(&**batch),
        _ => None,
    })
}

/// Adds a foreign batch's reports to the commit: each not stored yet is kept as the device sent
/// it and written down as frames numbered on from the device's window.
pub(super) fn add_foreign(
    batch: &mut WriteBatch,
    device: &mut Touched,
    foreign: &ForeignBatch,
    stored: &mut HashSet<(u64, i64)>,
    metrics: &Metrics,
) {
    let device_id = foreign.device_id;
    let via = Via::Adapter(foreign.adapter);
    for report in &foreign.reports {
        if !stored.insert((device_id, report.time_ms)) {
            // Sent again: it is stored, and its answer counts it as taken.
            metrics.duplicate.fetch_add(1, Relaxed);
            continue;
        }
        batch.foreign_records.push(ForeignRecordRow {
            device_id,
            time_ms: report.time_ms,
            adapter: foreign.adapter.label(),
            received_at_ms: foreign.received_at_ms,
            record: report.record.clone(),
        });
        let messages = match foreign_proto::transcribe(report) {
            Ok(messages) => messages,
            Err(error) => {
                // Its adapter refuses such reports before; kept as sent, written down as nothing.
                tracing::warn!(device_id, %error, "a report kept but not transcribed");
                continue;
            }
        };
        let flags = foreign_proto::flags(report.time_ms, foreign.received_at_ms);
        for message in messages {
            let header = Header {
                frame_type: message.frame_type(),
                flags,
                device_id,
                seq: device.state.link.acked_through().wrapping_add(1),
                time_ms: u64::try_from(report.time_ms).unwrap_or_default(),
            };
            let raw = match firmware_proto::encode_to_vec(&header, &message, None) {
                Ok(raw) => Bytes::from(raw),
                Err(error) => {
                    tracing::warn!(device_id, %error, "a report's message cannot be a frame");
                    continue;
                }
            };
            let accepted = Accepted {
                frame: Frame {
                    header,
                    message,
                    mac: None,
                },
                raw,
                key: None,
                via: via.clone(),
                received_at_ms: foreign.received_at_ms,
            };
            add_accepted(batch, device, &accepted, metrics);
        }
    }
}
