//! The checking stage: decode, match the topic, find the device, verify the MAC.
//!
//! Everything that can be wrong with a frame is decided here, before anything is written, and
//! each refusal is counted by reason and logged with the device id. The registry of devices is
//! cached: registered devices stay cached (their keys do not change while registered), unknown
//! ids are re-checked in storage at most every `UNKNOWN_RECHECK_MS`, so a device registered
//! while the service runs is accepted within seconds and a flood from an unknown id costs no
//! database look-up per frame.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use firmware_proto::{DeviceKey, Flags, Frame, FrameError};

use crate::metrics::{Metrics, RejectReason};
use crate::source::{Inbound, Via};
use store::StoreError;

use crate::store::Telemetry;

pub use firmware_proto::CLOCK_SKEW_LIMIT_MS;

/// Whether a device clock this far from the engine's (device minus engine) counts as skewed.
pub fn is_clock_skewed(offset_ms: i64) -> bool {
    offset_ms.saturating_abs() > CLOCK_SKEW_LIMIT_MS
}
const UNKNOWN_RECHECK_MS: i64 = 2_000;
const WARN_EVERY_MS: i64 = 10_000;
/// Most ids remembered as unknown: a sender inventing ids must not grow memory without bound.
const MAX_REMEMBERED_UNKNOWN: usize = 100_000;

/// A frame that passed every check.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// The decoded frame.
    pub frame: Frame,
    /// The frame's bytes as received, stored alongside for audit and re-decoding.
    pub raw: Bytes,
    /// The device's key, if it has one (its frames are then MAC-checked).
    pub key: Option<DeviceKey>,
    /// How it arrived, and so how to acknowledge it.
    pub via: Via,
    /// When the engine received it, in ms since the epoch UTC.
    pub received_at_ms: i64,
}

impl Accepted {
    /// Device clock minus engine clock, for live frames only (a STORED frame is late by design).
    pub fn live_clock_offset_ms(&self) -> Option<i64> {
        if self.frame.header.flags.contains(Flags::STORED) {
            return None;
        }
        let device_ms = i64::try_from(self.frame.header.time_ms).unwrap_or(i64::MAX);
        Some(device_ms.saturating_sub(self.received_at_ms))
    }
}

/// What the checking stage passes on to the writer.
#[derive(Clone, Debug)]
pub enum Checked {
    /// A frame that passed every check, for the writer to store and acknowledge.
    Accepted(Accepted),
    /// A well-formed frame from a device that is not registered: listed for technicians.
    Unknown {
        /// The id the frame claims.
        device_id: u64,
        /// When it was received, in ms since the epoch UTC.
        at_ms: i64,
        /// How it arrived (`mqtt` or the serial line's name).
        via: Arc<str>,
    },
    /// The reports of one packet or request of a device of another protocol, registered, for
    /// the writer to number, dedupe, commit and then tell its adapter.
    Foreign(Arc<crate::adapter::ForeignBatch>),
    /// A frame refused for a reason that is a security event for its device (bad or missing MAC).
    Security {
        /// The device the frame claims to be from.
        device_id: u64,
        /// When it was received, in ms since the epoch UTC.
        at_ms: i64,
        /// Why it was refused.
        reason: RejectReason,
        /// How it arrived (`mqtt` or the serial line's name).
        via: Arc<str>,
    },
}

/// The checks that need no registry: structure, CRC, direction, topic.
pub fn check_structure(bytes: &[u8], via: &Via) -> Result<Frame, (Option<u64>, RejectReason)> {
    let frame = firmware_proto::decode(bytes)
        .map_err(|e| (peek_device_id(bytes), RejectReason::Frame(e)))?;
    let device_id = frame.header.device_id;
    if !frame.header.frame_type.is_uplink() {
        return Err((Some(device_id), RejectReason::DownlinkType));
    }
    if let Via::Mqtt { topic_device } = via {
        match topic_device {
            None => return Err((Some(device_id), RejectReason::BadTopic)),
            Some(id) if *id != device_id => {
                return Err((Some(device_id), RejectReason::TopicMismatch));
            }
            Some(_) => {}
        }
    }
    Ok(frame)
}

/// The device id field of bytes that may not be a valid frame, for logging a rejection.
fn peek_device_id(bytes: &[u8]) -> Option<u64> {
    let field: [u8; 8] = bytes.get(4..12)?.try_into().ok()?;
    Some(u64::from_be_bytes(field))
}

/// The MAC rule: a device registered with a key must MAC every frame, and the MAC must match.
pub fn check_mac(raw: &[u8], key: Option<&DeviceKey>) -> Result<(), FrameError> {
    match key {
        Some(key) => firmware_proto::verify_mac(raw, key),
        // A device without a key is not authenticated; a MAC it sends cannot be checked.
        None => Ok(()),
    }
}

enum Registration {
    Known(Option<DeviceKey>),
    /// Not registered when looked up at this engine time.
    Unknown(i64),
}

/// The checking stage: decides whether each frame is valid, from a registered device, with a
/// good MAC, and counts the refusals; caches the device registry so most frames need no query.
pub struct Checker {
    store: Telemetry,
    metrics: Arc<Metrics>,
    registry: HashMap<u64, Registration>,
    remembered_unknown: usize,
    unknown_limit: usize,
    /// When each rejection reason was last logged at warn level.
    warned_at: HashMap<&'static str, i64>,
}

impl Checker {
    /// A checker reading the registry from `store`, counting into `metrics`.
    pub fn new(store: Telemetry, metrics: Arc<Metrics>) -> Checker {
        Checker {
            store,
            metrics,
            registry: HashMap::new(),
            remembered_unknown: 0,
            unknown_limit: MAX_REMEMBERED_UNKNOWN,
            warned_at: HashMap::new(),
        }
    }

    /// Every rejection is counted; it is logged at warn level once per reason every
    /// `WARN_EVERY_MS` (with how many were suppressed showing in the counters), and at debug
    /// level always, so a flood of garbage cannot flood the log.
    fn log_rejection(
        &mut self,
        device_id: Option<u64>,
        via: &Via,
        reason: RejectReason,
        now_ms: i64,
    ) {
        let label = reason.label();
        let due = self
            .warned_at
            .get(label)
            .is_none_or(|at| now_ms.saturating_sub(*at) >= WARN_EVERY_MS);
        if due {
            self.warned_at.insert(label, now_ms);
            tracing::warn!(device_id, via = %via.label(), reason = label, "frame rejected (more for this reason within 10 s at debug level only; all are counted in sargs_frames_rejected_total)");
        } else {
            tracing::debug!(device_id, via = %via.label(), reason = label, "frame rejected");
        }
    }

    /// Remember at most `limit` unknown ids (tests use a small one).
    pub fn with_unknown_limit(mut self, limit: usize) -> Checker {
        self.unknown_limit = limit;
        self
    }

    /// How many device ids the registry cache holds.
    pub fn cached_ids(&self) -> usize {
        self.registry.len()
    }

    /// Check one inbound frame. `None` means it was dropped (and counted and logged).
    pub async fn check(&mut self, inbound: Inbound) -> Result<Option<Checked>, StoreError> {
        let Inbound {
            bytes,
            via,
            received_at_ms,
        } = inbound;
        let frame = match check_structure(&bytes, &via) {
            Ok(frame) => frame,
            Err((device_id, reason)) => {
                self.metrics.reject(reason);
                self.log_rejection(device_id, &via, reason, received_at_ms);
                return Ok(None);
            }
        };
        let device_id = frame.header.device_id;
        let key = match self.registration(device_id, received_at_ms).await? {
            Some(key) => key,
            None => {
                self.metrics.reject(RejectReason::UnknownDevice);
                self.log_rejection(
                    Some(device_id),
                    &via,
                    RejectReason::UnknownDevice,
                    received_at_ms,
                );
                return Ok(Some(Checked::Unknown {
                    device_id,
                    at_ms: received_at_ms,
                    via: via.label(),
                }));
            }
        };
        if let Err(e) = check_mac(&bytes, key.as_ref()) {
            let reason = RejectReason::Frame(e);
            self.metrics.reject(reason);
            tracing::warn!(device_id, via = %via.label(), reason = reason.label(), "frame failed authentication");
            return Ok(Some(Checked::Security {
                device_id,
                at_ms: received_at_ms,
                reason,
                via: via.label(),
            }));
        }
        Ok(Some(Checked::Accepted(Accepted {
            frame,
            raw: bytes,
            key,
            via,
            received_at_ms,
        })))
    }

    /// The key of a registered device (`Some(None)` if it has none), or `None` if unknown.
    async fn registration(
        &mut self,
        device_id: u64,
        now_ms: i64,
    ) -> Result<Option<Option<DeviceKey>>, StoreError> {
        match self.registry.get(&device_id) {
            Some(Registration::Known(key)) => return Ok(Some(*key)),
            Some(Registration::Unknown(at)) if now_ms.saturating_sub(*at) < UNKNOWN_RECHECK_MS => {
                return Ok(None);
            }
            _ => {}
        }
        let record = self.store.device(device_id).await?;
        let registration = match &record {
            Some(device) => Registration::Known(device.key),
            None => {
                if self.remembered_unknown >= self.unknown_limit {
                    self.registry
                        .retain(|_, r| matches!(r, Registration::Known(_)));
                    self.remembered_unknown = 0;
                }
                self.remembered_unknown += 1;
                Registration::Unknown(now_ms)
            }
        };
        if let Some(Registration::Unknown(_)) = self.registry.insert(device_id, registration) {
            // Re-checked and still (or no longer) unknown: it was counted when first remembered.
            self.remembered_unknown = self.remembered_unknown.saturating_sub(1);
        }
        Ok(record.map(|device| device.key))
    }
}
